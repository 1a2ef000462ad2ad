"""Blob upload sessions: POST opens, PATCH appends, PUT closes with a digest, DELETE cancels.

State machine (per session row): ``idle --claim--> held --release(offset')--> idle``, ``held --commit-->
gone`` and ``idle|expired --DELETE--> gone``. The rules:

- The session's identity and position travel signed in the ``Location`` URL (``_state``, as
  Distribution's ``registry/handlers/hmac.go`` does). The position a request writes at is the signed
  offset, never the size of what is staged; a request whose signed offset is not the stored one is
  refused with ``RANGE_INVALID`` (416: Distribution 3, and the OCI conformance suite's "Retry previous
  blob chunk"). ``GET`` reports the stored position with a fresh state.
- One request at a time writes a session, on one process or many: a request first claims the row with a
  compare-and-set (stored offset == signed offset, nobody holding it), and a concurrent one is refused
  (``BLOB_UPLOAD_INVALID``), never interleaved. A claim is a lease, renewed while bytes arrive, so a
  request that died does not wedge the session; taking over an expired claim copies the staged bytes to
  a new staged object (a new ``generation``), so the stalled request can only write to the old one.
- Bytes are hashed as they arrive; the running hash is kept per process by (session, generation,
  offset) and rebuilt from the staged bytes only when this process does not know it (a restart, another
  process, a sha512 digest). The final PUT verifies the digest over exactly the bytes it commits, while
  it holds the claim, then deletes the row (no one can write after that) and commits the staged bytes;
  a digest already stored is kept, never overwritten.
- The request methods run on the event loop; the blob store's calls go through ``offload`` (a worker
  thread for a store behind a network, batched to a megabyte per hop; direct calls for files).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from acrlink import signing
from acrlink.clock import epoch
from acrlink.domain.oci import Digest, parse_chunk_range, parse_digest
from acrlink.errors import BadRequest, Conflict, NotFound, RangeInvalid
from acrlink.services.content import Content
from acrlink.services.offload import ChunkFeed, call
from acrlink.store.base import StagedWriter, Transaction

SESSION_LIFETIME = 24 * 3600
"""Sessions untouched for a day are abandoned; their rows and staged bytes are swept."""
LEASE_SECONDS = 60.0
"""How long a request holds a session without sending a byte before another may take it over."""
SWEEP_INTERVAL = 600.0
"""Abandoned sessions are swept at start-up and then at most this often, when a session opens."""
MAX_CACHED_HASHES = 1024


@dataclass(frozen=True)
class Session:
    id: str
    registry: str
    repo: str
    offset: int

    def range_header(self) -> str:
        """``Range: 0-LAST`` of the bytes received (``0-0`` before the first byte, as Distribution says)."""
        return f"0-{max(self.offset - 1, 0)}"


@dataclass
class Claim:
    """A request's hold on a session: it alone writes the staged object ``key`` from ``offset``."""

    session: Session
    generation: int
    token: str
    renewed: float

    @property
    def key(self) -> str:
        return staged_key(self.session.id, self.generation)


def staged_key(upload_id: str, generation: int) -> str:
    return f"{upload_id}.{generation}"


def upload_unknown(upload_id: str) -> NotFound:
    return NotFound("BLOB_UPLOAD_UNKNOWN", f"blob upload unknown to registry: {upload_id[:80]}")


def upload_busy(upload_id: str) -> Conflict:
    return Conflict("BLOB_UPLOAD_INVALID", f"blob upload invalid: another request is writing to upload {upload_id}")


class Uploads:
    def __init__(
        self,
        content: Content,
        key: bytes,
        *,
        lease_seconds: float = LEASE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._content = content
        self._store = content.store
        self._blobs = content.blobs
        self._key = key
        self.lease_seconds = lease_seconds
        self.clock = clock
        self._hashes: OrderedDict[tuple[str, int, int], Any] = OrderedDict()
        self._next_sweep = clock() + SWEEP_INTERVAL

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

    def _signed_offset(self, registry: str, repo: str, upload_id: str, state: str | None) -> int:
        """The offset a request's signed state names; ``BLOB_UPLOAD_UNKNOWN`` unless it is a valid state
        of this registry, repository and session."""
        try:
            claims = signing.decode(state or "", self._key)
        except signing.InvalidToken:
            raise upload_unknown(upload_id) from None
        named = (claims.get("kind"), claims.get("id"), claims.get("reg"), claims.get("repo"))
        offset = claims.get("off")
        if named != ("upload", upload_id, registry, repo) or not isinstance(offset, int) or offset < 0:
            raise upload_unknown(upload_id)
        return offset

    def _row(self, tx: Transaction, registry: str, repo: str, upload_id: str) -> dict[str, Any]:
        row = tx.content.upload(upload_id)
        if row is None or (row["registry"], row["repo"]) != (registry, repo):
            raise upload_unknown(upload_id)
        return row

    def status(self, registry: str, repo: str, upload_id: str, state: str | None) -> Session:
        """GET: where the session is now (the stored offset, also for a stale state)."""
        self._signed_offset(registry, repo, upload_id, state)
        with self._store.transaction() as tx:
            row = self._row(tx, registry, repo, upload_id)
        return Session(upload_id, registry, repo, int(row["offset"]))

    # Claims -------------------------------------------------------------------------------------------

    def claim(self, registry: str, repo: str, upload_id: str, state: str | None) -> Claim:
        """Hold the session for one request: its signed offset must be the stored one (416 otherwise)
        and no live request may hold it (``BLOB_UPLOAD_INVALID``). An expired hold is taken over."""
        claim, taken_over = self._hold(registry, repo, upload_id, state)
        if taken_over:
            self._remember(claim, claim.session.offset, self._take_over(claim))
        return claim

    async def _claim(self, registry: str, repo: str, upload_id: str, state: str | None) -> Claim:
        """``claim`` from the event loop: a take-over's copy runs through ``offload``."""
        claim, taken_over = self._hold(registry, repo, upload_id, state)
        if taken_over:
            self._remember(claim, claim.session.offset, await call(self._blobs, self._take_over, claim))
        return claim

    def _hold(self, registry: str, repo: str, upload_id: str, state: str | None) -> tuple[Claim, bool]:
        """The claim's row update (the store only); the claim and whether it took over an expired hold."""
        signed = self._signed_offset(registry, repo, upload_id, state)
        token = uuid.uuid4().hex
        now = self.clock()
        with self._store.transaction() as tx:
            row = self._row(tx, registry, repo, upload_id)
            if row["offset"] != signed:
                raise RangeInvalid(
                    "RANGE_INVALID",
                    f"the upload has {row['offset']} bytes but this request's state says {signed}; "
                    "get the upload's status and resume from there",
                )
            if row["holder"] is not None and (row["lease_until"] or 0) > now:
                raise upload_busy(upload_id)
            expected = {"offset": signed, "holder": row["holder"], "generation": row["generation"]}
            held = {"holder": token, "lease_until": now + self.lease_seconds}
            if not tx.content.update_upload(upload_id, expected, held):
                raise upload_busy(upload_id)
        claim = Claim(Session(upload_id, registry, repo, signed), int(row["generation"]), token, now)
        return claim, row["holder"] is not None

    def _take_over(self, claim: Claim) -> Any:
        """Copy the staged bytes of a session whose holder went silent into a new staged object, which
        the silent request cannot reach; the running hash of those bytes, rebuilt on the way."""
        old_key, offset = claim.key, claim.session.offset
        new_key = staged_key(claim.session.id, claim.generation + 1)
        self._blobs.drop_staged(new_key)
        self._blobs.stage(new_key)
        hasher = hashlib.sha256()
        writer = self._blobs.writer(new_key, 0)
        try:
            for chunk in self._blobs.read_staged(old_key, offset):
                writer.write(chunk)
                hasher.update(chunk)
        except (FileNotFoundError, ValueError):
            writer.close()
            self._blobs.drop_staged(new_key)
            self._drop(claim)
            raise upload_unknown(claim.session.id) from None
        writer.close()
        with self._store.transaction() as tx:
            moved = tx.content.update_upload(
                claim.session.id, {"holder": claim.token}, {"generation": claim.generation + 1}
            )
        if not moved:
            self._blobs.drop_staged(new_key)
            raise upload_busy(claim.session.id)
        self._blobs.drop_staged(old_key)
        claim.generation += 1
        return hasher

    def _renew(self, claim: Claim) -> None:
        """Extend the lease while bytes keep arriving; a claim someone took over ends the request."""
        now = self.clock()
        if now - claim.renewed < self.lease_seconds / 3:
            return
        with self._store.transaction() as tx:
            renewed = tx.content.update_upload(
                claim.session.id,
                {"holder": claim.token, "generation": claim.generation},
                {"lease_until": now + self.lease_seconds},
            )
        if not renewed:
            raise upload_busy(claim.session.id)
        claim.renewed = now

    def _release(self, claim: Claim, offset: int) -> bool:
        with self._store.transaction() as tx:
            return tx.content.update_upload(
                claim.session.id,
                {"holder": claim.token, "generation": claim.generation},
                {"holder": None, "lease_until": None, "offset": offset, "touched": epoch()},
            )

    def _drop(self, claim: Claim) -> None:
        with self._store.transaction() as tx:
            tx.content.delete_upload(claim.session.id, {"holder": claim.token})

    # Running hashes -----------------------------------------------------------------------------------

    def _remember(self, claim: Claim, offset: int, hasher: Any) -> None:
        self._hashes[(claim.session.id, claim.generation, offset)] = hasher
        while len(self._hashes) > MAX_CACHED_HASHES:
            self._hashes.popitem(last=False)

    async def _hasher(self, claim: Claim, algorithm: str = "sha256") -> Any:
        """The hash of the staged bytes before this request's: known, or rebuilt from them."""
        if algorithm == "sha256":
            known = self._hashes.get((claim.session.id, claim.generation, claim.session.offset))
            if known is not None:
                return known.copy()
        return await call(self._blobs, self._rebuilt_hash, claim, algorithm)

    def _rebuilt_hash(self, claim: Claim, algorithm: str) -> Any:
        hasher = hashlib.new(algorithm)
        for chunk in self._blobs.read_staged(claim.key, claim.session.offset):
            hasher.update(chunk)
        return hasher

    def _forget(self, upload_id: str) -> None:
        # A copy of the keys first: a collection sweeps from a worker thread while requests add hashes.
        for key in [k for k in list(self._hashes) if k[0] == upload_id]:
            self._hashes.pop(key, None)

    # Transitions --------------------------------------------------------------------------------------

    async def open(self, registry: str, repo: str) -> Session:
        """POST: a new session (abandoned ones are swept first, at most every ``SWEEP_INTERVAL``)."""
        if self.clock() >= self._next_sweep:
            self._next_sweep = self.clock() + SWEEP_INTERVAL  # one sweep at a time, however many requests
            await call(self._blobs, self.sweep)
        upload_id = str(uuid.uuid4())
        await call(self._blobs, self._blobs.stage, staged_key(upload_id, 0))
        with self._store.transaction() as tx:
            tx.content.put_upload(upload_id, registry, repo, epoch())
        return Session(upload_id, registry, repo, 0)

    async def _receive(
        self, claim: Claim, writer: StagedWriter, hasher: Any, chunks: AsyncIterator[bytes], content_range: str | None
    ) -> None:
        """Write a request's bytes at the claim's offset; with ``Content-Range`` they must start there
        (416 otherwise) and be exactly as many as it names."""
        expected: int | None = None
        if content_range:
            start, end = parse_chunk_range(content_range)
            if start != claim.session.offset:
                raise RangeInvalid(
                    "RANGE_INVALID", f"chunk starts at {start} but the upload has {claim.session.offset} bytes"
                )
            expected = end - start + 1
        feed = ChunkFeed(self._blobs, writer, hasher)
        try:
            async for chunk in chunks:
                await feed.add(chunk)
                self._renew(claim)
            await feed.flush()
        finally:
            await feed.settle()
        received = writer.offset - writer.start
        if expected is not None and received != expected:
            raise RangeInvalid("RANGE_INVALID", f"Content-Range names {expected} bytes but the chunk has {received}")

    async def _write(
        self,
        claim: Claim,
        hasher: Any,
        chunks: AsyncIterator[bytes],
        content_range: str | None,
        verify: Callable[[], None] | None = None,
    ) -> int:
        """Write one request's bytes under its claim and return the new size; if anything fails (the
        chunk, or ``verify`` after it) the staged bytes are cut back and the claim released, so the session
        is as it was before the request."""
        writer = await call(self._blobs, self._blobs.writer, claim.key, claim.session.offset)
        try:
            await self._receive(claim, writer, hasher, chunks, content_range)
            if verify is not None:
                verify()
        except BaseException:
            await call(self._blobs, _abandon, writer)
            self._release(claim, claim.session.offset)
            raise
        await call(self._blobs, writer.close)
        return writer.offset

    async def append(
        self,
        registry: str,
        repo: str,
        upload_id: str,
        state: str | None,
        chunks: AsyncIterator[bytes],
        content_range: str | None,
    ) -> Session:
        """PATCH: append a chunk. A refused or broken chunk leaves the session as it was."""
        if content_range:
            parse_chunk_range(content_range)
        claim = await self._claim(registry, repo, upload_id, state)
        hasher = await self._hasher(claim)
        offset = await self._write(claim, hasher, chunks, content_range)
        if not self._release(claim, offset):
            raise upload_busy(upload_id)
        self._hashes.pop((upload_id, claim.generation, claim.session.offset), None)
        self._remember(claim, offset, hasher)
        return Session(upload_id, registry, repo, offset)

    async def finish(
        self,
        registry: str,
        repo: str,
        upload_id: str,
        state: str | None,
        chunks: AsyncIterator[bytes],
        content_range: str | None,
        digest: str | None,
    ) -> str:
        """PUT: append the last chunk (if any), verify the digest over every staged byte, commit the
        blob, close the session. A digest that does not match leaves the session as it was."""
        if not digest:
            raise BadRequest("DIGEST_INVALID", "the digest query parameter is required to complete an upload")
        wanted = parse_digest(digest)
        if content_range:
            parse_chunk_range(content_range)
        claim = await self._claim(registry, repo, upload_id, state)
        return await self._finish(claim, chunks, content_range, wanted)

    async def _finish(
        self, claim: Claim, chunks: AsyncIterator[bytes], content_range: str | None, wanted: Digest
    ) -> str:
        session = claim.session
        hasher = await self._hasher(claim, wanted.algorithm)

        def verify() -> None:
            if hasher.hexdigest() != wanted.encoded:
                raise BadRequest("DIGEST_INVALID", f"uploaded content does not match digest {wanted}")

        size = await self._write(claim, hasher, chunks, content_range, verify)
        with self._store.transaction() as tx:
            closed = tx.content.delete_upload(session.id, {"holder": claim.token, "generation": claim.generation})
        if not closed:
            raise upload_busy(session.id)
        self._forget(session.id)
        await call(self._blobs, self._blobs.commit, claim.key, size, wanted)
        self._content.link_blob(session.registry, session.repo, str(wanted), size)
        return str(wanted)

    async def cancel(self, registry: str, repo: str, upload_id: str, state: str | None) -> None:
        """DELETE: drop the session and its bytes; refused while a live request holds it."""
        self._signed_offset(registry, repo, upload_id, state)
        with self._store.transaction() as tx:
            row = self._row(tx, registry, repo, upload_id)
            if row["holder"] is not None and (row["lease_until"] or 0) > self.clock():
                raise upload_busy(upload_id)
            tx.content.delete_upload(upload_id, {"holder": row["holder"], "generation": row["generation"]})
        self._forget(upload_id)
        await call(self._blobs, self._blobs.drop_staged, staged_key(upload_id, int(row["generation"])))

    async def monolithic(self, registry: str, repo: str, chunks: AsyncIterator[bytes], digest: str) -> str:
        """POST with ``digest``: the whole blob in one request (a session that opens and closes at once)."""
        wanted = parse_digest(digest)
        session = await self.open(registry, repo)
        claim = await self._claim(registry, repo, session.id, self.state(session))
        try:
            return await self._finish(claim, chunks, None, wanted)
        except BaseException:
            with self._store.transaction() as tx:
                tx.content.delete_upload(session.id)
            await call(self._blobs, self._blobs.drop_staged, claim.key)
            raise

    def sweep(self, *, dry_run: bool = False) -> int:
        """Drop sessions untouched for ``SESSION_LIFETIME`` that no live request holds (rows and staged
        bytes), and staged bytes as old that no session names; how many sessions (``dry_run``: how many
        would go, nothing removed)."""
        now = self.clock()
        dropped = []
        with self._store.transaction() as tx:
            content = tx.content
            for row in content.uploads_touched_before(epoch() - SESSION_LIFETIME):
                if row["holder"] is not None and (row["lease_until"] or 0) > now:
                    continue
                if dry_run:
                    dropped.append(row["id"])
                elif content.delete_upload(row["id"], {"holder": row["holder"], "generation": row["generation"]}):
                    dropped.append(staged_key(row["id"], int(row["generation"])))
        if dry_run:
            return len(dropped)
        self._next_sweep = now + SWEEP_INTERVAL
        for key in dropped:
            self._forget(key.rsplit(".", 1)[0])
            self._blobs.drop_staged(key)
        self._blobs.sweep_staged(SESSION_LIFETIME)
        return len(dropped)


def _abandon(writer: StagedWriter) -> None:
    """Forget what a failed request wrote and close its writer."""
    writer.rewind()
    writer.close()
