"""A connection SQLAlchemy discards both ways at once (graceful close, then an immediate stop) closes."""

import asyncio
from pathlib import Path

from sqlalchemy.ext.asyncio import create_async_engine

from webmacs_sdk.sqlite import configure_sqlite


async def test_a_graceful_close_overtaken_by_a_stop_still_ends(tmp_path: Path) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    configure_sqlite(engine)
    try:
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            # What SQLAlchemy's terminate() does when its graceful close is cancelled: the close
            # goes on in its shielded task while the connection is stopped at once.
            graceful = asyncio.ensure_future(driver.close())
            await asyncio.sleep(0)
            driver.stop()
            async with asyncio.timeout(10):
                await graceful
            await conn.invalidate()  # the pool must not take back a closed connection
    finally:
        await engine.dispose()
