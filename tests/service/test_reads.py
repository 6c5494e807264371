"""Remembered queue reads (parcelaudit.service.reads): a change through the server shows on the next read, a
change by another writer within VERSION_SECONDS, and requests that miss together compute once."""

from __future__ import annotations

import threading
import time

from parcelaudit.service import queue, reads
from parcelaudit.service.accounts import User


def _status(bench, item_id: int) -> str:
    return next(i for i in bench.items(kind="hold") if i["id"] == item_id)["status"]


def test_a_decision_through_the_api_shows_on_the_next_queue_read(bench):
    item = bench.items(kind="hold", status="open")[-1]
    assert _status(bench, item["id"]) == "open"  # the read is remembered now
    url = f"/api/v1/items/{item['id']}/decision"
    body = {"action": "escalate", "reason": "needs a supervisor"}
    assert bench.client.post(url, json=body, headers=bench.auth("ana")).status_code == 200
    assert _status(bench, item["id"]) == "escalated"  # at once, not after READ_SECONDS
    page = bench.client.get("/api/v1/queue/counts", headers=bench.auth("vic")).json()["counts"]
    assert any(row["kind"] == "hold" and row["status"] == "escalated" for row in page)


def test_a_change_by_another_writer_shows_within_the_version_interval(bench):
    item = bench.items(kind="hold", status="open")[-1]
    assert _status(bench, item["id"]) == "open"
    # Another writer (here: the store used directly, as a second server on PostgreSQL would): no request of
    # this server marks the change, only the log's newest entry moves.
    app = bench.client.app
    with app.state.store() as store:
        queue.decide(store, app.state.settings, User(0, "other", "supervisor"), item["id"], "escalate", "x")
    time.sleep(reads.VERSION_SECONDS + 0.2)
    assert _status(bench, item["id"]) == "escalated"


def test_requests_missing_the_same_key_together_compute_it_once():
    cache = reads.TimedCache()
    calls = []
    barrier = threading.Barrier(8)

    def slow() -> int:
        calls.append(1)
        time.sleep(0.2)
        return 42

    results = []

    def ask() -> None:
        barrier.wait()
        results.append(cache.get("k", 5.0, slow))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [42] * 8 and len(calls) == 1
    cache.forget("k")
    assert cache.get("k", 5.0, slow) == 42 and len(calls) == 2
