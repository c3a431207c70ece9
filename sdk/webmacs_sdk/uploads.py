"""File uploads sent as ``multipart/form-data``: find the file field, stream it to disk under a cap.

The body is never read into memory: a part is written chunk by chunk, hashed as it goes, and an
upload over the cap stops at the cap (a 413) with the partial file removed.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

from aiohttp import BodyPartReader, web

from webmacs_sdk.errors import PayloadTooLarge, ValidationFailed

_CHUNK = 256 * 1024


async def file_part(request: web.Request, field: str = "file") -> BodyPartReader:
    """The multipart part named ``field``; parts before it are skipped, a missing one is a 422."""
    if not request.content_type.startswith("multipart/"):
        raise ValidationFailed.single(["body", field], "Field required", "missing")
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if isinstance(part, BodyPartReader) and part.name == field:
            return part
        if isinstance(part, BodyPartReader):
            await part.release()
    raise ValidationFailed.single(["body", field], "Field required", "missing")


async def receive_file(part: BodyPartReader, target: Path, cap: int, too_large: str) -> tuple[int, str]:
    """Stream ``part`` to ``target``, at most ``cap`` bytes; returns its size and SHA-256 (hex).

    Over the cap raises :class:`PayloadTooLarge` with ``too_large``; on any failure the partial
    file is removed.
    """
    digest = hashlib.sha256()
    size = 0
    try:
        with target.open("wb") as out:
            while chunk := await part.read_chunk(_CHUNK):
                size += len(chunk)
                if size > cap:
                    raise PayloadTooLarge(too_large)
                digest.update(chunk)
                await asyncio.to_thread(out.write, chunk)
    except BaseException:
        await asyncio.to_thread(target.unlink, True)
        raise
    return size, digest.hexdigest()
