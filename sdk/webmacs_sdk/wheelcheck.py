"""Static validation of a plugin wheel before anything of it is installed (reliability R-24): the
server checks uploads with it, controllers check what they download. No code of the wheel runs.

Everything is checked from the ZIP central directory first (member count, names, types, sizes,
compression ratio, overlapping members), without inflating a byte; then the small metadata files
are read with hard caps, and every member is hashed against ``RECORD`` while being inflated, the
declared sizes enforced as we go. A zip bomb is refused from its directory in milliseconds and
with memory bounded by the directory-size cap.
"""

from __future__ import annotations

import base64
import configparser
import csv
import hashlib
import io
import re
import stat
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
from typing import IO

from packaging.metadata import InvalidMetadata, Metadata
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from webmacs_sdk.discovery import ENTRY_POINT_GROUP

_FILENAME = re.compile(r"^[A-Za-z0-9._+-]+\.whl$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ROOT_MODULE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(\.[A-Za-z0-9_-]+)*\.(py|so|pyd)$")
_ENTRY_POINT_VALUE = re.compile(
    r"^([A-Za-z_][A-Za-z0-9_]*)(\.[A-Za-z_][A-Za-z0-9_]*)*(\s*:\s*[A-Za-z_][\w.]*)?$"
)
_PLUGIN_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")
_HASHES = {"sha256", "sha384", "sha512"}
_SIGNATURE_FILES = {"RECORD", "RECORD.jws", "RECORD.p7s"}
_CHUNK = 64 * 1024


class WheelRejected(Exception):
    """The upload is refused; ``status`` is the HTTP status, ``message`` the client-facing reason."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class WheelLimits:
    """Caps that bound the time and memory one upload can cost."""

    max_members: int = 10_000
    #: Bytes of central directory parsed at all (bounds the memory of listing the archive).
    max_directory_bytes: int = 2 * 1024 * 1024
    max_total_uncompressed: int = 150 * 1024 * 1024
    max_member_uncompressed: int = 50 * 1024 * 1024
    #: Inflate ratio allowed for a member larger than ``ratio_floor`` bytes.
    max_ratio: float = 100.0
    ratio_floor: int = 1024 * 1024
    max_metadata_file: int = 2 * 1024 * 1024


@dataclass(frozen=True)
class WheelInfo:
    """What validation learned: the distribution, its plugin ids and what it installs at the top level."""

    name: str
    version: str
    plugin_ids: tuple[str, ...]
    top_level: tuple[str, ...]
    dist_info: str


def sanitise_filename(raw: str | None) -> str:
    """The basename of a client-supplied filename, if it is a well-formed wheel filename.

    :raises WheelRejected: 400 for anything else.
    """
    name = re.split(r"[\\/]", raw or "")[-1].strip()
    if not name.endswith(".whl"):
        raise WheelRejected("File must be a .whl (Python wheel) package.", 400)
    if not _FILENAME.match(name):
        raise WheelRejected("Invalid wheel filename: only letters, digits and ._+- are allowed.", 400)
    try:
        parse_wheel_filename(name)
    except InvalidWheelFilename as exc:
        raise WheelRejected(f"Invalid wheel filename: {exc}", 400) from None
    return name


def validate_wheel(path: Path, filename: str, limits: WheelLimits | None = None) -> WheelInfo:
    """Check the wheel at ``path`` (uploaded as ``filename``) completely; nothing is written anywhere.

    :raises WheelRejected: 422 with the specific reason.
    """
    limits = limits or WheelLimits()
    file_name, file_version, _, _ = parse_wheel_filename(filename)
    size = path.stat().st_size
    with path.open("rb") as fh:
        _check_end_record(fh, size, limits)
        try:
            archive = zipfile.ZipFile(fh)
        except (zipfile.BadZipFile, OSError, ValueError, struct.error) as exc:
            raise WheelRejected(f"Not a valid ZIP/wheel archive: {exc}") from None
        with archive:
            infos = archive.infolist()
            _check_directory(infos, size, archive.start_dir, limits)
            dist_info = _dist_info_dir(infos)
            layout = _check_layout(infos, dist_info)
            metadata = _read_text(
                archive, f"{dist_info}/METADATA", limits, "No .dist-info/METADATA found in wheel."
            )
            name, version = _check_metadata(metadata, file_name, file_version, dist_info)
            _check_wheel_file(
                _read_text(archive, f"{dist_info}/WHEEL", limits, "No .dist-info/WHEEL found in wheel.")
            )
            entry_points = _read_text(
                archive,
                f"{dist_info}/entry_points.txt",
                limits,
                f"Wheel does not declare a [{ENTRY_POINT_GROUP}] entry point (no entry_points.txt).",
            )
            plugin_ids = _check_entry_points(entry_points, layout)
            record = _read_text(
                archive, f"{dist_info}/RECORD", limits, "No .dist-info/RECORD found in wheel."
            )
            _check_record(archive, infos, dist_info, record, limits)
    return WheelInfo(name, version, plugin_ids, tuple(sorted(layout)), dist_info)


# ---- the central directory ---------------------------------------------------------------------


def _check_end_record(fh: IO[bytes], size: int, limits: WheelLimits) -> None:
    """Read the member count and directory size from the end record before zipfile lists anything."""
    tail_len = min(size, 65535 + 22)
    fh.seek(size - tail_len)
    tail = fh.read(tail_len)
    pos = tail.rfind(b"PK\x05\x06")
    if pos < 0 or len(tail) - pos < 22:
        raise WheelRejected("Not a valid ZIP/wheel archive: no end of central directory record.")
    disk, cd_disk, _, entries, cd_size, _, _ = struct.unpack("<HHHHIIH", tail[pos + 4 : pos + 22])
    if disk or cd_disk:
        raise WheelRejected("Not a valid ZIP/wheel archive: multi-disk archives are not supported.")
    if entries == 0xFFFF or cd_size == 0xFFFFFFFF:
        locator = tail[pos - 20 : pos] if pos >= 20 else b""
        if locator[:4] != b"PK\x06\x07":
            raise WheelRejected("Not a valid ZIP/wheel archive: broken ZIP64 end record.")
        (_, offset, _) = struct.unpack("<IQI", locator[4:20])
        fh.seek(offset)
        record = fh.read(56)
        if len(record) < 56 or record[:4] != b"PK\x06\x06":
            raise WheelRejected("Not a valid ZIP/wheel archive: broken ZIP64 end record.")
        entries, cd_size = struct.unpack("<QQ", record[32:48])
    if entries > limits.max_members:
        raise WheelRejected(f"Wheel has too many members ({entries} > {limits.max_members}).")
    if cd_size > limits.max_directory_bytes:
        raise WheelRejected(f"Wheel central directory is too large ({cd_size} bytes).")


def _check_directory(
    infos: list[zipfile.ZipInfo], size: int, directory_start: int, limits: WheelLimits
) -> None:
    if len(infos) > limits.max_members:
        raise WheelRejected(f"Wheel has too many members ({len(infos)} > {limits.max_members}).")
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.orig_filename
        _check_member_name(name)
        folded = name.casefold()
        if folded in seen:
            raise WheelRejected(
                f"Wheel contains the member '{name}' more than once (duplicate member names)."
            )
        seen.add(folded)
        _check_member_type(info)
        if info.flag_bits & 0x1:
            raise WheelRejected(f"Wheel member '{name}' is encrypted.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise WheelRejected(f"Wheel member '{name}' uses an unsupported compression method.")
        if info.file_size > limits.max_member_uncompressed:
            raise WheelRejected(
                f"Wheel member '{name}' inflates to {info.file_size} bytes, "
                "over the per-file limit (zip bomb guard)."
            )
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise WheelRejected(
                f"Wheel member '{name}' has a compression ratio over "
                f"{limits.max_ratio:.0f}:1 (zip bomb guard)."
            )
        total += info.file_size
        if total > limits.max_total_uncompressed:
            raise WheelRejected("Wheel inflates beyond the total size limit (zip bomb guard).")
    # Members must not share bytes: overlapping entries are how a small archive claims huge content.
    spans = sorted((info.header_offset, info) for info in infos)
    for index, (offset, info) in enumerate(spans):
        end = offset + 30 + len(info.orig_filename.encode("utf-8", "surrogateescape")) + info.compress_size
        limit = spans[index + 1][0] if index + 1 < len(spans) else directory_start
        if end > limit or end > size:
            raise WheelRejected(
                f"Wheel member '{info.orig_filename}' overlaps another member (zip bomb guard)."
            )


def _check_member_name(name: str) -> None:
    if not name or len(name) > 1000 or any(ord(ch) < 32 or ch == "\x7f" for ch in name):
        raise WheelRejected(f"Wheel member {name!r} has an invalid name.")
    if "\\" in name:
        raise WheelRejected(f"Wheel member '{name}' contains a backslash (path traversal).")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise WheelRejected(f"Wheel member '{name}' has an absolute path.")
    parts = name.removesuffix("/").split("/")
    if ".." in parts:
        raise WheelRejected(f"Wheel member '{name}' escapes the install directory (path traversal).")
    if any(part in ("", ".") for part in parts):
        raise WheelRejected(f"Wheel member '{name}' has an invalid path.")
    if parts[-1].endswith(".pth"):
        raise WheelRejected(f"Wheel member '{name}' is a .pth file (code run at interpreter start).")


def _check_member_type(info: zipfile.ZipInfo) -> None:
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind == stat.S_IFLNK:
        raise WheelRejected(f"Wheel member '{info.orig_filename}' is a symlink.")
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise WheelRejected(f"Wheel member '{info.orig_filename}' is not a regular file.")


# ---- layout ------------------------------------------------------------------------------------


def _dist_info_dir(infos: list[zipfile.ZipInfo]) -> str:
    tops = {info.orig_filename.split("/", 1)[0] for info in infos if "/" in info.orig_filename}
    found = sorted(top for top in tops if top.endswith(".dist-info"))
    if not found:
        raise WheelRejected("No .dist-info/METADATA found in wheel.")
    if len(found) > 1:
        raise WheelRejected("Wheel contains more than one .dist-info directory.")
    return found[0]


def _check_layout(infos: list[zipfile.ZipInfo], dist_info: str) -> set[str]:
    """Every member lies in the wheel's own packages/modules, its .dist-info, or ``.data/{pure,plat}lib``.

    Returns the top-level import names the wheel installs.
    """
    data_dir = dist_info.removesuffix(".dist-info") + ".data"
    top_level: set[str] = set()
    for info in infos:
        name = info.orig_filename
        parts = name.removesuffix("/").split("/")
        if parts[0] == dist_info:
            continue
        if parts[0] == data_dir:
            if len(parts) < 2 or parts[1] not in ("purelib", "platlib"):
                raise WheelRejected(
                    f"Wheel member '{name}' installs outside the plugin's packages (only .data/purelib and "
                    ".data/platlib are allowed; no scripts, headers or data files)."
                )
            parts = parts[2:]
            if not parts:
                continue
        top_level.add(_top_level_name(name, parts, is_dir=info.is_dir() and len(parts) == 1))
    if not top_level:
        raise WheelRejected("Wheel contains no Python package or module.")
    return top_level


def _top_level_name(name: str, parts: list[str], *, is_dir: bool) -> str:
    if len(parts) == 1 and not is_dir:
        match = _ROOT_MODULE.match(parts[0])
        if match is None:
            raise WheelRejected(f"Wheel member '{name}' is a file outside the plugin's packages.")
        return match.group(1)
    if not _IDENTIFIER.match(parts[0]):
        raise WheelRejected(f"Wheel member '{name}' is outside the plugin's packages (not a Python package).")
    return parts[0]


# ---- metadata files ----------------------------------------------------------------------------


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> Iterator[bytes]:
    """Inflate ``info`` in chunks, refusing more than its declared size or ``cap`` bytes."""
    allowed = min(info.file_size, cap)
    produced = 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK):
                produced += len(chunk)
                if produced > allowed:
                    raise WheelRejected(
                        f"Wheel member '{info.orig_filename}' inflates beyond its declared size."
                    )
                yield chunk
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise WheelRejected(f"Not a valid ZIP/wheel archive: {info.orig_filename}: {exc}") from None
    if produced != info.file_size:
        raise WheelRejected(f"Wheel member '{info.orig_filename}' is shorter than declared.")


def _read_text(archive: zipfile.ZipFile, name: str, limits: WheelLimits, missing: str) -> str:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise WheelRejected(missing) from None
    if info.file_size > limits.max_metadata_file:
        raise WheelRejected(f"Wheel member '{name}' is too large for a metadata file.")
    data = b"".join(_read_member(archive, info, limits.max_metadata_file))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise WheelRejected(f"Wheel member '{name}' is not valid UTF-8.") from None


def _check_metadata(text: str, file_name: str, file_version: Version, dist_info: str) -> tuple[str, str]:
    try:
        metadata = Metadata.from_email(text, validate=True)
    except ExceptionGroup as group:
        first = group.exceptions[0] if group.exceptions else group
        raise WheelRejected(f"Invalid METADATA: {first}") from None
    except (InvalidMetadata, ValueError) as exc:
        raise WheelRejected(f"Invalid METADATA: {exc}") from None
    name, version = metadata.name, metadata.version
    if canonicalize_name(name) != file_name or version != file_version:
        raise WheelRejected(
            f"METADATA names '{name}' {version}, which does not match the filename "
            f"({file_name} {file_version})."
        )
    info_name, _, info_version = dist_info.removesuffix(".dist-info").rpartition("-")
    try:
        same_dir = canonicalize_name(info_name) == file_name and Version(info_version) == file_version
    except InvalidVersion:
        same_dir = False
    if not same_dir:
        raise WheelRejected(f"The .dist-info directory '{dist_info}' does not match the filename.")
    return name, str(version)


def _check_wheel_file(text: str) -> None:
    headers = HeaderParser().parsestr(text)
    wheel_version = (headers.get("Wheel-Version") or "").strip()
    if not re.match(r"^1\.\d+$", wheel_version):
        raise WheelRejected(f"Unsupported Wheel-Version {wheel_version!r} in .dist-info/WHEEL.")


def _check_entry_points(text: str, top_level: set[str]) -> tuple[str, ...]:
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        raise WheelRejected(f"entry_points.txt is malformed: {exc.message}") from None
    if not parser.has_section(ENTRY_POINT_GROUP) or not parser.options(ENTRY_POINT_GROUP):
        raise WheelRejected(
            f"Wheel does not declare a [{ENTRY_POINT_GROUP}] entry point in entry_points.txt; "
            "it is not a WebMACS plugin."
        )
    for section in ("console_scripts", "gui_scripts"):
        if parser.has_section(section) and parser.options(section):
            raise WheelRejected(f"Wheel declares {section}; plugin wheels must not install scripts.")
    ids: list[str] = []
    for plugin_id, value in parser.items(ENTRY_POINT_GROUP):
        if not _PLUGIN_ID.match(plugin_id):
            raise WheelRejected(
                f"Plugin id '{plugin_id}' is invalid (lower-case letters, digits, '_', '.', '-')."
            )
        target = value.strip()
        match = _ENTRY_POINT_VALUE.match(target)
        if match is None or match.group(1) not in top_level:
            raise WheelRejected(
                f"Entry point '{plugin_id} = {target}' does not point into the wheel's own packages."
            )
        ids.append(plugin_id)
    return tuple(ids)


def _check_record(
    archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], dist_info: str, text: str, limits: WheelLimits
) -> None:
    """Every file is listed in RECORD with a strong hash and size; every listed file exists and matches."""
    record_name = f"{dist_info}/RECORD"
    expected: dict[str, tuple[str, str, str]] = {}
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise WheelRejected(f"RECORD is malformed: {exc}") from None
    for row in rows:
        if not row:
            continue
        if len(row) != 3:
            raise WheelRejected("RECORD is malformed: every line needs path, hash and size.")
        path, digest, size = row
        if path in expected:
            raise WheelRejected(f"RECORD lists '{path}' twice.")
        expected[path] = (path, digest, size)
    signatures = {f"{dist_info}/{name}" for name in _SIGNATURE_FILES}
    files = {info.orig_filename: info for info in infos if not info.is_dir()}
    for name in files:
        if name not in expected and name not in signatures:
            raise WheelRejected(f"Wheel member '{name}' is not listed in RECORD.")
    for path, digest, size in expected.values():
        if path == record_name:
            continue
        info = files.get(path)
        if info is None:
            raise WheelRejected(f"RECORD lists '{path}', which is not in the wheel.")
        algorithm, _, value = digest.partition("=")
        if algorithm not in _HASHES or not value:
            raise WheelRejected(f"RECORD entry for '{path}' has no sha256 (or stronger) hash.")
        if size.strip() and size.strip() != str(info.file_size):
            raise WheelRejected(f"RECORD size of '{path}' does not match the wheel (RECORD mismatch).")
        hasher = hashlib.new(algorithm)
        for chunk in _read_member(archive, info, limits.max_member_uncompressed):
            hasher.update(chunk)
        actual = base64.urlsafe_b64encode(hasher.digest()).rstrip(b"=").decode("ascii")
        if actual != value.rstrip("="):
            raise WheelRejected(f"RECORD hash of '{path}' does not match its content (RECORD mismatch).")
