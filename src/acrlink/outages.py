"""What a background loop says while a server acrlink depends on is away: one warning when the outage begins
and one line when it ends, not a trace on every retry (the loops retry on their own schedule)."""

from __future__ import annotations

import logging

from acrlink.errors import Unavailable


class OutageLog:
    """The outage state of one background loop, for its log."""

    def __init__(self, log: logging.Logger, what: str) -> None:
        self._log = log
        self._what = what
        self.down = False

    def failed(self, outage: Unavailable) -> None:
        """A round failed because a server is away: logged when this begins an outage."""
        if not self.down:
            self._log.warning("%s is waiting: %s (retrying until it is back)", self._what, outage)
            self.down = True

    def succeeded(self) -> None:
        """A round went through: logged when this ends an outage."""
        if self.down:
            self._log.info("%s goes on: the server it waited for is back", self._what)
            self.down = False
