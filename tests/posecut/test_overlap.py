"""posecut.overlap: stages of a video run on threads, in order, with errors where they belong."""
import threading

import pytest

from posecut.overlap import Behind, overlapped, read_ahead


@pytest.mark.parametrize("depth", [0, 1, 4])
def test_read_ahead_yields_every_item_in_order(depth):
    assert list(read_ahead(iter(range(50)), depth)) == list(range(50))


def test_read_ahead_produces_on_another_thread():
    threads = []

    def items():
        for k in range(3):
            threads.append(threading.current_thread())
            yield k

    assert list(read_ahead(items(), 2)) == [0, 1, 2]
    assert threading.current_thread() not in threads


@pytest.mark.parametrize("depth", [0, 3])
def test_read_ahead_raises_after_the_items_before_the_error(depth):
    def items():
        yield 1
        yield 2
        raise ValueError("frame 2: cannot decode")

    got = []
    with pytest.raises(ValueError, match="frame 2: cannot decode"):
        for item in read_ahead(items(), depth):
            got.append(item)
    assert got == [1, 2]


def test_read_ahead_closed_early_stops_its_thread():
    made = []

    def items():
        for k in range(1000):
            made.append(k)
            yield k

    ahead = read_ahead(items(), 2)
    assert next(ahead) == 0
    ahead.close()
    count = len(made)
    assert count < 10 and [t for t in threading.enumerate() if t.name == "read_ahead"] == []
    assert len(made) == count


@pytest.mark.parametrize("depth", [0, 1, 4])
def test_behind_does_the_work_in_order(depth):
    done = []
    behind = Behind(done.append, depth)
    for k in range(40):
        behind.put(k)
    behind.close()
    assert done == list(range(40))


def test_behind_raises_the_error_of_its_work_and_drops_the_rest():
    done = []

    def work(item):
        if item == 2:
            raise OSError("disk full")
        done.append(item)

    behind = Behind(work, 1)
    with pytest.raises(OSError, match="disk full"):
        for k in range(100):
            behind.put(k)
        behind.close()
    behind.stop()
    assert done == [0, 1]


def test_overlapped_finishes_the_work_or_ends_both_threads_on_an_error():
    done = []
    with overlapped(iter(range(5)), done.append, 2) as (ahead, behind):
        for item in ahead:
            behind.put(item)
    assert done == list(range(5))
    with overlapped(iter(range(100)), None, 2) as (ahead, behind):
        assert behind is None and next(ahead) == 0
    with pytest.raises(KeyError):
        with overlapped(iter(range(100)), done.append, 2) as (ahead, behind):
            next(ahead)
            raise KeyError("the caller's own error")
    assert [t for t in threading.enumerate() if t.name in ("read_ahead", "behind")] == []

    def failing(item):
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        with overlapped(iter(range(3)), failing, 2) as (ahead, behind):
            behind.put(next(ahead))


def test_read_ahead_closed_after_its_producer_finished_does_not_hang():
    # three items, room for two: the producer waits to hand over its end when the reader leaves
    ahead = read_ahead(iter(range(3)), 2)
    assert next(ahead) == 0
    ahead.close()
    assert [t for t in threading.enumerate() if t.name == "read_ahead"] == []
