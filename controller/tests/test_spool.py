from pathlib import Path

from webmacs_controller.spool import Spool


def points(n: int, start: int = 0, pad: int = 0) -> list[dict[str, object]]:
    return [
        {
            "value": float(start + i),
            "event_public_id": "e" * pad + "1",
            "timestamp": "2026-11-23T12:00:00+00:00",
        }
        for i in range(n)
    ]


def test_batches_come_back_in_order_until_acked(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.db")
    seqs = [spool.append(points(2, start=10 * i)) for i in range(3)]
    assert seqs == [1, 2, 3]
    assert [b.seq for b in spool.pending()] == [1, 2, 3]
    assert spool.pending()[1].datapoints()[0]["value"] == 10.0
    assert spool.ack(2)
    assert not spool.ack(2)  # a second ack for the same batch changes nothing
    assert [b.seq for b in spool.pending()] == [1, 3]
    assert [b.seq for b in spool.pending(after_seq=1, limit=5)] == [3]
    assert spool.pending()[0].frame().startswith(b'{"seq":1,"datapoints":[{"value":0.0')


def test_spool_survives_restart(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    spool = Spool(path)
    controller_id = spool.controller_id
    spool.append(points(3))
    spool.append(points(3, start=3))
    spool.ack(1)
    spool.close()

    again = Spool(path)
    assert again.controller_id == controller_id
    assert [b.seq for b in again.pending()] == [2]
    assert again.stats().pending_datapoints == 3
    assert again.append(points(1)) == 3  # sequence numbers never repeat after a restart
    again.ack(2)
    again.ack(3)
    again.close()
    last = Spool(path)
    assert last.append(points(1)) == 4
    assert last.stats().spooled_datapoints == 3 + 3 + 1 + 1  # every datapoint ever spooled, acked or not


def test_size_bound_drops_oldest_and_counts(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    spool = Spool(path, max_bytes=64 * 1024)
    for i in range(200):
        spool.append(points(10, start=i * 10, pad=40))
    stats = spool.stats()
    assert stats.size_bytes <= 64 * 1024
    assert stats.dropped_batches > 0
    assert stats.dropped_datapoints == stats.dropped_batches * 10
    assert stats.dropped_batches + stats.pending_batches == 200
    pending = spool.pending(limit=1000)
    assert pending[-1].seq == 200  # newest kept
    assert pending[0].seq == stats.dropped_batches + 1  # oldest dropped first
    spool.close()
    assert Spool(path, max_bytes=64 * 1024).stats().dropped_datapoints == stats.dropped_datapoints


def test_rejected_batches_are_removed_and_counted(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.db")
    spool.append(points(4))
    spool.append(points(2))
    assert spool.reject(1) == 4
    assert spool.reject(1) == 0
    stats = spool.stats()
    assert (stats.rejected_batches, stats.rejected_datapoints, stats.pending_batches) == (1, 4, 1)
