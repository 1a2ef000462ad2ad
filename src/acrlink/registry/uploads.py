"""Blob upload sessions: POST opens, PATCH appends, PUT closes with a digest, DELETE cancels.

State machine (per session): ``open --PATCH(in order)--> open --PUT(digest ok)--> committed`` and
``open --DELETE--> cancelled``. The session's identity travels signed in the ``Location`` URL
(``_state``, as distribution's ``registry/handlers/hmac.go`` does), its existence is a row in the
store and its bytes an upload file, so a session continues after a restart or on another process.
Bytes are hashed as they arrive; the running hash is kept per process and rebuilt from the file
when a chunk arrives at a process that has not seen the earlier ones.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from acrlink import signing
from acrlink.clock import epoch
from acrlink.domain.oci import parse_chunk_range, parse_digest
from acrlink.errors import BadRequest, NotFound, RangeInvalid
from acrlink.services.content import Content
from acrlink.store.content import ContentTx
from acrlink.store.sqlite import SqliteTransaction

SESSION_LIFETIME = 24 * 3600
"""Sessions untouched for a day are abandoned; their files and rows are swept."""


@dataclass(frozen=True)
class Session:
    id: str
    registry: str
    repo: str
    offset: int

    def range_header(self) -> str:
        """``Range: 0-LAST`` of the bytes received (``0-0`` before the first byte, as distribution says)."""
        return f"0-{max(self.offset - 1, 0)}"


def upload_unknown(upload_id: str) -> NotFound:
    return NotFound("BLOB_UPLOAD_UNKNOWN", f"blob upload unknown to registry: {upload_id}")


class Uploads:
    def __init__(self, content: Content, key: bytes) -> None:
        self._content = content
        self._blobs = content.blobs
        self._key = key
        self._hashes: dict[str, tuple[int, hashlib._Hash]] = {}

    def _tx(self, tx: object) -> ContentTx:
        assert isinstance(tx, SqliteTransaction)
        return ContentTx(tx)

    # State in the Location URL ------------------------------------------------------------------------

    def state(self, session: Session) -> str:
        claims = {
            "kind": "upload",
            "id": session.id,
            "reg": session.registry,
            "repo": session.repo,
            "off": session.offset,
            "exp": epoch() + SESSION_LIFETIME,
        }
        return signing.encode(claims, self._key)

    def find(self, registry: str, repo: str, upload_id: str, state: str | None) -> Session:
        """The open session a request names; ``BLOB_UPLOAD_UNKNOWN`` unless the signed state matches
        the registry, repository and id, and the session still exists."""
        try:
            claims = signing.decode(state or "", self._key)
        except signing.InvalidToken:
            raise upload_unknown(upload_id) from None
        if (claims.get("kind"), claims.get("id"), claims.get("reg"), claims.get("repo")) != (
            "upload",
            upload_id,
            registry,
            repo,
        ):
            raise upload_unknown(upload_id)
        with self._content.store.transaction() as tx:
            if self._tx(tx).upload(upload_id) is None:
                raise upload_unknown(upload_id)
        size = self._blobs.upload_size(upload_id)
        if size is None:
            raise upload_unknown(upload_id)
        return Session(upload_id, registry, repo, size)

    # Transitions --------------------------------------------------------------------------------------

    def open(self, registry: str, repo: str) -> Session:
        upload_id = str(uuid.uuid4())
        self._blobs.upload_path(upload_id).touch(mode=0o600)
        with self._content.store.transaction() as tx:
            self._tx(tx).put_upload(upload_id, registry, repo, epoch())
        return Session(upload_id, registry, repo, 0)

    async def append(self, session: Session, chunks: AsyncIterator[bytes], content_range: str | None) -> Session:
        """Append a chunk. With ``Content-Range`` it must start where the session is (416 otherwise) and
        carry exactly the bytes the range names; a bad chunk leaves the session as it was."""
        expected: int | None = None
        if content_range:
            start, end = parse_chunk_range(content_range)
            if start != session.offset:
                raise RangeInvalid(
                    "RANGE_INVALID", f"chunk starts at {start} but the upload has {session.offset} bytes"
                )
            expected = end - start + 1
        hasher = self._hasher(session)
        received = 0
        path = self._blobs.upload_path(session.id)
        with open(path, "ab") as handle:
            try:
                async for chunk in chunks:
                    handle.write(chunk)
                    hasher.update(chunk)
                    received += len(chunk)
                if expected is not None and received != expected:
                    raise RangeInvalid(
                        "RANGE_INVALID", f"Content-Range names {expected} bytes but the chunk has {received}"
                    )
            except BaseException:
                handle.truncate(session.offset)
                raise
        # ``hasher`` is a copy: a refused chunk leaves the session's running hash untouched.
        offset = session.offset + received
        self._hashes[session.id] = (offset, hasher)
        return Session(session.id, session.registry, session.repo, offset)

    def _hasher(self, session: Session) -> hashlib._Hash:
        known = self._hashes.get(session.id)
        if known is not None and known[0] == session.offset:
            return known[1].copy()
        return self._blobs.rehash(session.id, "sha256")

    async def finish(
        self, session: Session, chunks: AsyncIterator[bytes], content_range: str | None, digest: str | None
    ) -> str:
        """PUT: append the last chunk (if any), verify the digest, commit the blob, close the session.
        A digest that does not match leaves the session as it was before this request."""
        if not digest:
            raise BadRequest("DIGEST_INVALID", "the digest query parameter is required to complete an upload")
        wanted = parse_digest(digest)
        before = session.offset
        session = await self.append(session, chunks, content_range)
        hasher = self._hashes[session.id][1] if wanted.algorithm == "sha256" else None
        if hasher is None:
            hasher = self._blobs.rehash(session.id, wanted.algorithm)
        if hasher.hexdigest() != wanted.encoded:
            self._rewind(session, before)
            raise BadRequest("DIGEST_INVALID", f"uploaded content does not match digest {digest}")
        self._blobs.commit(self._blobs.upload_path(session.id), wanted)
        self._content.link_blob(session.registry, session.repo, str(wanted), session.offset)
        self._close(session.id)
        return str(wanted)

    def _rewind(self, session: Session, offset: int) -> None:
        os.truncate(self._blobs.upload_path(session.id), offset)
        self._hashes.pop(session.id, None)

    def cancel(self, session: Session) -> None:
        self._blobs.drop_upload(session.id)
        self._close(session.id)

    def _close(self, upload_id: str) -> None:
        self._hashes.pop(upload_id, None)
        with self._content.store.transaction() as tx:
            self._tx(tx).delete_upload(upload_id)

    async def monolithic(self, registry: str, repo: str, chunks: AsyncIterator[bytes], digest: str) -> str:
        """POST with ``digest``: the whole blob in one request (a session that opens and closes at once)."""
        parse_digest(digest)
        session = self.open(registry, repo)
        try:
            return await self.finish(session, chunks, None, digest)
        except BaseException:
            self.cancel(session)
            raise

    def sweep(self) -> int:
        """Drop sessions older than ``SESSION_LIFETIME`` (rows and files); how many."""
        with self._content.store.transaction() as tx:
            content = self._tx(tx)
            stale = content.uploads_started_before(epoch() - SESSION_LIFETIME)
            for upload_id in stale:
                content.delete_upload(upload_id)
        for upload_id in stale:
            self._blobs.drop_upload(upload_id)
        self._blobs.sweep_uploads(SESSION_LIFETIME)
        return len(stale)
