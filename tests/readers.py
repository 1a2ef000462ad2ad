"""Readers for tests of concurrent reads: each drains one iterator of chunks in a thread of its own."""

from __future__ import annotations

import threading
from collections.abc import Iterator


def drain_in_thread(chunks: Iterator[bytes], into: dict[int, bytes | BaseException], key: int) -> threading.Thread:
    """Start a thread that joins every chunk into ``into[key]``, or puts there the exception that ended it."""

    def run() -> None:
        try:
            into[key] = b"".join(chunks)
        except BaseException as error:  # noqa: BLE001 - the test looks at it
            into[key] = error

    thread = threading.Thread(target=run)
    thread.start()
    return thread
