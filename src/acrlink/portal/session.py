"""Portal sessions: opening the portal signs the user in as the emulator's default principal.

The session cookie is HttpOnly, Secure and SameSite=Strict and carries only a random session id. Every
state-changing request must carry the session's own token (a hidden form field), and its ``Origin``, when
the browser sends one, must be the portal's: a page from another origin cannot drive the portal.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field

from acrlink.portal.i18n import LANGUAGES

COOKIE = "acrlink_portal"
MAX_SESSIONS = 1000
"""Sessions kept at once (the oldest goes first): a loop of cookie-less requests cannot grow memory."""


@dataclass
class Session:
    id: str
    csrf: str
    language: str | None = None
    """Chosen in the header (None: follow the browser's Accept-Language)."""


@dataclass
class Sessions:
    _by_id: dict[str, Session] = field(default_factory=dict)

    def get(self, session_id: str | None) -> Session | None:
        return self._by_id.get(session_id or "")

    def open(self) -> Session:
        """A new signed-in session."""
        while len(self._by_id) >= MAX_SESSIONS:
            self._by_id.pop(next(iter(self._by_id)))
        session = Session(secrets.token_urlsafe(24), secrets.token_urlsafe(24))
        self._by_id[session.id] = session
        return session


def choose_language(session: Session, language: str) -> None:
    """The header's choice; anything but a language acrlink has is ignored."""
    if language in LANGUAGES:
        session.language = language


def same_token(session: Session, sent: str | None) -> bool:
    """Whether a form's token is the session's (constant time)."""
    return sent is not None and hmac.compare_digest(session.csrf.encode(), sent.encode())


def cookie_header(session: Session) -> str:
    return f"{COOKIE}={session.id}; Path=/; HttpOnly; Secure; SameSite=Strict"
