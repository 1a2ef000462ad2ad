"""One accept loop for every TCP face: at most ``limit`` connections at once.

Beyond the limit the loop stops accepting, so further connections wait in the kernel's listen backlog and
use no descriptor of ours (a flood of idle connections cannot starve another face of file descriptors).
An accept that fails for lack of resources (EMFILE, ENFILE, ENOBUFS, ENOMEM) is retried after a pause;
any other failure ends the loop.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from collections.abc import Callable

log = logging.getLogger("acrlink.accept")

BACKLOG = 1024
RESOURCE_ERRORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
RETRY_SECONDS = 0.1

Release = Callable[[], None]
"""Frees the connection's slot; safe to call from any thread, and only the first call counts."""
OnConnection = Callable[[socket.socket, Release], None]
"""Takes an accepted connection; must see that ``release`` is called once the connection ends."""


async def accept_bounded(listener: socket.socket, limit: int, on_connection: OnConnection, name: str) -> None:
    """Accept on ``listener`` until cancelled, handing each connection to ``on_connection``."""
    loop = asyncio.get_running_loop()
    slots = asyncio.Semaphore(limit)
    listener.setblocking(False)
    listener.listen(BACKLOG)
    try:
        while True:
            await slots.acquire()
            try:
                conn, _ = await loop.sock_accept(listener)
            except OSError as exc:
                slots.release()
                if exc.errno not in RESOURCE_ERRORS:
                    raise
                log.warning("%s cannot accept (%s); retrying in %.1f s", name, exc, RETRY_SECONDS)
                await asyncio.sleep(RETRY_SECONDS)
                continue
            on_connection(conn, _releaser(loop, slots))
    finally:
        listener.close()


def _releaser(loop: asyncio.AbstractEventLoop, slots: asyncio.Semaphore) -> Release:
    released = False

    def release() -> None:
        nonlocal released
        if not released:
            released = True
            loop.call_soon_threadsafe(slots.release)

    return release
