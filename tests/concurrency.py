"""Racing requests for the concurrency tests: limits are enforced by the database, so the tests send
the competing requests really at the same time and check that the counts stay exact."""

import threading
from collections.abc import Callable, Sequence
from typing import Any


def all_at_once(clients: Sequence[Any], send: Callable[[Any], Any]) -> list:
    """``send(client)`` for every client, each in its own thread, all released together by a barrier;
    what they return, in the order they finish."""
    barrier = threading.Barrier(len(clients))
    results: list = []

    def run(client):
        barrier.wait()
        results.append(send(client))

    threads = [threading.Thread(target=run, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
