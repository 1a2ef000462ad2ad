"""Registry content metadata: repositories, manifests, tags, blob links, referrers, upload sessions,
and ACR's changeable attributes (locks) of repositories, tags and manifests.

Tables live in the same database as the resources and are used inside the same transactions
(``ContentTx(tx)`` wraps an open ``SqliteTransaction`` or ``PostgresTransaction``: anything with a SQLAlchemy
``connection``). One set of SQLAlchemy Core statements serves both dialects: upserts are built with the
dialect's own ``INSERT ... ON CONFLICT``; text columns compare and sort by code point on both (PostgreSQL's
default collation is the database's locale, so they are declared ``COLLATE "C"`` there, as SQLite's ``BINARY``
already is); counts and offsets are 64-bit (a layer may be larger than 2 GiB); ``body`` is bytes (BYTEA) and the
attributes real booleans. Holds no rules: the registry service decides what may be written. Every table is
keyed by the registry's lower-case name, which is unique in the cloud (``NAME.azurecr.cn``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Float,
    Index,
    LargeBinary,
    MetaData,
    String,
    Table,
    and_,
    delete,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from acrlink.domain.content import MANIFEST, REPOSITORY, TAG, UNLOCKED, Attributes, Manifest, Tag
from acrlink.domain.gc import Link, StoredManifest


class _OpenTransaction(Protocol):
    """What the content tables need of a store transaction: its open SQLAlchemy connection."""

    @property
    def connection(self) -> Connection: ...


Text = String().with_variant(String(collation="C"), "postgresql")
"""A text column that compares and sorts by code point on every dialect (listing order, ``last`` pages)."""
Count = BigInteger
"""Sizes, offsets and epoch seconds: 64-bit on every dialect."""

_metadata = MetaData()

repositories = Table(
    "oci_repositories",
    _metadata,
    Column("registry", Text, primary_key=True),
    Column("name", Text, primary_key=True),
    Column("created", Text, nullable=False),
    Column("updated", Text, nullable=False),
)

manifests = Table(
    "oci_manifests",
    _metadata,
    Column("registry", Text, primary_key=True),
    Column("repo", Text, primary_key=True),
    Column("digest", Text, primary_key=True),
    Column("media_type", Text, nullable=False),
    Column("artifact_type", Text, nullable=True),
    Column("subject", Text, nullable=True),
    Column("annotations", Text, nullable=True),
    Column("size", Count, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("created", Text, nullable=False),
    Index("oci_manifests_subject", "registry", "repo", "subject"),
)

tags = Table(
    "oci_tags",
    _metadata,
    Column("registry", Text, primary_key=True),
    Column("repo", Text, primary_key=True),
    Column("tag", Text, primary_key=True),
    Column("digest", Text, nullable=False),
    Column("created", Text, nullable=False),
    Column("updated", Text, nullable=False),
    Index("oci_tags_digest", "registry", "repo", "digest"),
)

blob_links = Table(
    "oci_blob_links",
    _metadata,
    Column("registry", Text, primary_key=True),
    Column("repo", Text, primary_key=True),
    Column("digest", Text, primary_key=True),
    Column("size", Count, nullable=False),
    Column("linked", Float, nullable=False),
)
"""``linked``: when the link was last made or held by a manifest push (epoch seconds; garbage collection
removes unreferenced links only once they are older than its grace period)."""

uploads = Table(
    "oci_upload_sessions",
    _metadata,
    Column("id", Text, primary_key=True),
    Column("registry", Text, nullable=False),
    Column("repo", Text, nullable=False),
    Column("started", Count, nullable=False),
    Column("touched", Count, nullable=False),
    Column("offset", Count, nullable=False),
    Column("generation", Count, nullable=False),
    Column("holder", Text, nullable=True),
    Column("lease_until", Float, nullable=True),
)
"""Upload sessions: how many bytes are staged (``offset``), which staged object holds them
(``generation``), and the request that holds the session now (``holder`` until ``lease_until``)."""

UPLOAD_FIELDS = frozenset({"touched", "offset", "generation", "holder", "lease_until"})

attributes = Table(
    "oci_attributes",
    _metadata,
    Column("registry", Text, primary_key=True),
    Column("repo", Text, primary_key=True),
    Column("kind", Text, primary_key=True),
    Column("ref", Text, primary_key=True),
    Column("delete_enabled", Boolean, nullable=False),
    Column("write_enabled", Boolean, nullable=False),
    Column("read_enabled", Boolean, nullable=False),
    Column("list_enabled", Boolean, nullable=False),
)
"""ACR's changeable attributes. ``kind`` is ``repository`` (``ref`` empty), ``tag`` (the tag) or ``manifest``
(the digest). No row means every attribute is true."""


TABLES = (repositories, manifests, tags, blob_links, uploads, attributes)
"""Every content table (what a store's ``snapshot`` copies)."""


def create_tables(tx: _OpenTransaction) -> None:
    """Create the content tables that do not exist yet, inside the open transaction (either dialect; store
    transactions are serial on both, so processes starting together do not race on the same table)."""
    connection = tx.connection
    _metadata.create_all(connection)
    # Sessions of the table before offsets were stored (their bytes are swept by age).
    connection.exec_driver_sql("DROP TABLE IF EXISTS oci_uploads")
    _add_link_times(connection)


def _add_link_times(conn: Connection) -> None:
    """Links stored before they had a time count as linked now (a grace period from the upgrade on)."""
    if "linked" in {c["name"] for c in inspect(conn).get_columns(blob_links.name)}:
        return
    conn.execute(text(f"ALTER TABLE {blob_links.name} ADD COLUMN linked FLOAT"))
    conn.execute(update(blob_links).values(linked=time.time()))


def _page(statement: Any, column: Any, last: str | None, n: int | None) -> Any:
    statement = statement.order_by(column)
    if last:
        statement = statement.where(column > last)
    if n is not None:
        statement = statement.limit(n)
    return statement


_INSERTS: dict[str, Callable[[Table], Any]] = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
"""The dialects' ``INSERT`` constructs with ``ON CONFLICT`` (the same API on both)."""


def _upsert(dialect: str, table: Table, keys: list[str], values: dict[str, Any], keep: tuple[str, ...] = ()) -> Any:
    """Insert ``values``, or on a conflict over ``keys`` update the other columns except those in ``keep``."""
    statement = _INSERTS[dialect](table).values(**values)
    changed = {k: statement.excluded[k] for k in values if k not in keys and k not in keep}
    return statement.on_conflict_do_update(index_elements=keys, set_=changed)


class ContentTx:
    """Content operations inside one open store transaction."""

    def __init__(self, tx: _OpenTransaction) -> None:
        self._conn: Connection = tx.connection
        self._dialect = self._conn.dialect.name

    # Repositories -------------------------------------------------------------------------------------

    def touch_repository(self, registry: str, name: str, now: str) -> None:
        values = {"registry": registry, "name": name, "created": now, "updated": now}
        self._conn.execute(_upsert(self._dialect, repositories, ["registry", "name"], values, keep=("created",)))

    def repository(self, registry: str, name: str) -> dict[str, str] | None:
        row = self._conn.execute(
            select(repositories).where(and_(repositories.c.registry == registry, repositories.c.name == name))
        ).first()
        return dict(row._mapping) if row else None

    def repository_names(
        self, registry: str, last: str | None = None, n: int | None = None, *, listed_only: bool = False
    ) -> list[str]:
        """Repository names in lexical order; ``listed_only`` leaves out those with ``listEnabled`` false."""
        statement = select(repositories.c.name).where(repositories.c.registry == registry)
        if listed_only:
            statement = statement.where(repositories.c.name.not_in(_unlisted(registry, None, REPOSITORY, "repo")))
        return [r[0] for r in self._conn.execute(_page(statement, repositories.c.name, last, n))]

    def delete_repository(self, registry: str, name: str) -> bool:
        """The repository and everything in it, attributes included."""
        for table, column in (
            (manifests, "repo"),
            (tags, "repo"),
            (blob_links, "repo"),
            (uploads, "repo"),
            (attributes, "repo"),
        ):
            self._conn.execute(delete(table).where(and_(table.c.registry == registry, table.c[column] == name)))
        result = self._conn.execute(
            delete(repositories).where(and_(repositories.c.registry == registry, repositories.c.name == name))
        )
        return bool(result.rowcount)

    def drop_registry(self, registry: str) -> None:
        """Everything a registry holds (its ARM resource is being deleted)."""
        for table in (repositories, manifests, tags, blob_links, uploads, attributes):
            self._conn.execute(delete(table).where(table.c.registry == registry))

    # Manifests ----------------------------------------------------------------------------------------

    def put_manifest(self, registry: str, repo: str, manifest: Manifest) -> None:
        values = {"registry": registry, "repo": repo, **manifest.__dict__}
        self._conn.execute(_upsert(self._dialect, manifests, ["registry", "repo", "digest"], values, keep=("created",)))

    def manifest(self, registry: str, repo: str, digest: str) -> Manifest | None:
        row = self._conn.execute(select(manifests).where(self._in(manifests, registry, repo, digest=digest))).first()
        return _manifest(row) if row else None

    def manifests(self, registry: str, repo: str) -> list[Manifest]:
        statement = select(manifests).where(self._in(manifests, registry, repo)).order_by(manifests.c.created)
        return [_manifest(r) for r in self._conn.execute(statement)]

    def referrers(self, registry: str, repo: str, subject: str) -> list[Manifest]:
        statement = (
            select(manifests)
            .where(and_(self._in(manifests, registry, repo), manifests.c.subject == subject))
            .order_by(manifests.c.digest)
        )
        return [_manifest(r) for r in self._conn.execute(statement)]

    def delete_manifest(self, registry: str, repo: str, digest: str) -> bool:
        """The manifest and every tag that points at it, with their attributes."""
        for tag in self.tags_of(registry, repo, digest):
            self._drop_attributes(registry, repo, TAG, tag)
        self._drop_attributes(registry, repo, MANIFEST, digest)
        self._conn.execute(delete(tags).where(self._in(tags, registry, repo, digest=digest)))
        result = self._conn.execute(delete(manifests).where(self._in(manifests, registry, repo, digest=digest)))
        return bool(result.rowcount)

    # Tags ---------------------------------------------------------------------------------------------

    def put_tag(self, registry: str, repo: str, tag: str, digest: str, now: str) -> None:
        values = {"registry": registry, "repo": repo, "tag": tag, "digest": digest, "created": now, "updated": now}
        self._conn.execute(_upsert(self._dialect, tags, ["registry", "repo", "tag"], values, keep=("created",)))

    def tag(self, registry: str, repo: str, tag: str) -> Tag | None:
        row = self._conn.execute(select(tags).where(and_(self._in(tags, registry, repo), tags.c.tag == tag))).first()
        return Tag(row.tag, row.digest, row.created, row.updated) if row else None

    def tags(
        self, registry: str, repo: str, last: str | None = None, n: int | None = None, *, listed_only: bool = False
    ) -> list[Tag]:
        """Tags in lexical order; ``listed_only`` leaves out those with ``listEnabled`` false."""
        statement = select(tags).where(self._in(tags, registry, repo))
        if listed_only:
            statement = statement.where(tags.c.tag.not_in(_unlisted(registry, repo, TAG, "ref")))
        statement = _page(statement, tags.c.tag, last, n)
        return [Tag(r.tag, r.digest, r.created, r.updated) for r in self._conn.execute(statement)]

    def tags_of(self, registry: str, repo: str, digest: str) -> list[str]:
        statement = select(tags.c.tag).where(self._in(tags, registry, repo, digest=digest)).order_by(tags.c.tag)
        return [r[0] for r in self._conn.execute(statement)]

    def delete_tag(self, registry: str, repo: str, tag: str) -> bool:
        """The tag and its attributes."""
        self._drop_attributes(registry, repo, TAG, tag)
        result = self._conn.execute(delete(tags).where(and_(self._in(tags, registry, repo), tags.c.tag == tag)))
        return bool(result.rowcount)

    # Changeable attributes ----------------------------------------------------------------------------

    def attributes(self, registry: str, repo: str, kind: str, ref: str = "") -> Attributes:
        """The attributes of a repository (``ref`` empty), tag or manifest; all true when never set."""
        row = self._conn.execute(select(attributes).where(_attribute_key(registry, repo, kind, ref))).first()
        return _attributes(row) if row else UNLOCKED

    def all_attributes(self, registry: str) -> dict[tuple[str, str, str], Attributes]:
        """Every attribute row a registry has, by (repo, kind, ref)."""
        rows = self._conn.execute(select(attributes).where(attributes.c.registry == registry))
        return {(r.repo, r.kind, r.ref): _attributes(r) for r in rows}

    def put_attributes(self, registry: str, repo: str, kind: str, ref: str, value: Attributes) -> None:
        """Set the attributes; all true removes the row (the default needs none)."""
        if value == UNLOCKED:
            self._drop_attributes(registry, repo, kind, ref)
            return
        values = {"registry": registry, "repo": repo, "kind": kind, "ref": ref, **value.__dict__}
        self._conn.execute(_upsert(self._dialect, attributes, ["registry", "repo", "kind", "ref"], values))

    def _drop_attributes(self, registry: str, repo: str, kind: str, ref: str) -> None:
        self._conn.execute(delete(attributes).where(_attribute_key(registry, repo, kind, ref)))

    # Blob links: which blobs a repository holds -------------------------------------------------------

    def link_blob(self, registry: str, repo: str, digest: str, size: int, now: float | None = None) -> None:
        """Link a blob into a repository (again), as of ``now`` (epoch seconds; default: the clock)."""
        linked = time.time() if now is None else now
        values = {"registry": registry, "repo": repo, "digest": digest, "size": size, "linked": linked}
        self._conn.execute(_upsert(self._dialect, blob_links, ["registry", "repo", "digest"], values))

    def blob_size(self, registry: str, repo: str, digest: str) -> int | None:
        row = self._conn.execute(
            select(blob_links.c.size).where(self._in(blob_links, registry, repo, digest=digest))
        ).first()
        return int(row[0]) if row else None

    def unlink_blob(self, registry: str, repo: str, digest: str) -> bool:
        result = self._conn.execute(delete(blob_links).where(self._in(blob_links, registry, repo, digest=digest)))
        return bool(result.rowcount)

    # Upload sessions ----------------------------------------------------------------------------------

    def put_upload(self, upload_id: str, registry: str, repo: str, now: int) -> None:
        self._conn.execute(
            uploads.insert().values(
                id=upload_id, registry=registry, repo=repo, started=now, touched=now, offset=0, generation=0
            )
        )

    def upload(self, upload_id: str) -> dict[str, Any] | None:
        row = self._conn.execute(select(uploads).where(uploads.c.id == upload_id)).first()
        return dict(row._mapping) if row else None

    def update_upload(self, upload_id: str, expected: dict[str, Any], values: dict[str, Any]) -> bool:
        """Compare and set: write ``values`` only if every column in ``expected`` still has that value
        (``None`` compares as SQL NULL); whether the row was written."""
        condition = uploads.c.id == upload_id
        for name, value in expected.items():
            column = uploads.c[name]
            condition = and_(condition, column.is_(None) if value is None else column == value)
        unknown = set(values) - UPLOAD_FIELDS
        if unknown:
            raise ValueError(f"not upload session fields: {sorted(unknown)}")
        return bool(self._conn.execute(update(uploads).where(condition).values(**values)).rowcount)

    def delete_upload(self, upload_id: str, expected: dict[str, Any] | None = None) -> bool:
        """Delete the session, only if every column in ``expected`` still has that value."""
        condition = uploads.c.id == upload_id
        for name, value in (expected or {}).items():
            column = uploads.c[name]
            condition = and_(condition, column.is_(None) if value is None else column == value)
        return bool(self._conn.execute(delete(uploads).where(condition)).rowcount)

    def uploads_touched_before(self, moment: int) -> list[dict[str, Any]]:
        statement = select(uploads).where(uploads.c.touched < moment)
        return [dict(r._mapping) for r in self._conn.execute(statement)]

    @staticmethod
    def _in(table: Table, registry: str, repo: str, *, digest: str | None = None) -> Any:
        condition = and_(table.c.registry == registry, table.c.repo == repo)
        return and_(condition, table.c.digest == digest) if digest is not None else condition

    # Garbage collection -------------------------------------------------------------------------------

    def hold_links(self, registry: str, repo: str, digests: list[str], now: float | None = None) -> set[str]:
        """Refresh the repository's links to ``digests`` and return those that exist (the rows stay locked
        until the transaction ends, on backends with row locks)."""
        if not digests:
            return set()
        statement = (
            update(blob_links)
            .where(and_(self._in(blob_links, registry, repo), blob_links.c.digest.in_(set(digests))))
            .values(linked=time.time() if now is None else now)
            .returning(blob_links.c.digest)
        )
        return {r[0] for r in self._conn.execute(statement)}

    def blob_links(self) -> list[Link]:
        """Every blob link of every registry."""
        columns = (blob_links.c.registry, blob_links.c.repo, blob_links.c.digest, blob_links.c.linked)
        return [Link(r[0], r[1], r[2], float(r[3])) for r in self._conn.execute(select(*columns))]

    def manifest_bodies(self) -> Iterator[StoredManifest]:
        """Every manifest of every registry."""
        columns = (manifests.c.registry, manifests.c.repo, manifests.c.media_type, manifests.c.body)
        for row in self._conn.execute(select(*columns)):
            yield StoredManifest(row[0], row[1], row[2], bytes(row[3]))

    def unlink_blob_before(self, registry: str, repo: str, digest: str, moment: float) -> bool:
        """Remove a link only if it was last made or held before ``moment``."""
        condition = and_(self._in(blob_links, registry, repo, digest=digest), blob_links.c.linked < moment)
        return bool(self._conn.execute(delete(blob_links).where(condition)).rowcount)


def _attribute_key(registry: str, repo: str, kind: str, ref: str) -> Any:
    return and_(
        attributes.c.registry == registry,
        attributes.c.repo == repo,
        attributes.c.kind == kind,
        attributes.c.ref == ref,
    )


def _unlisted(registry: str, repo: str | None, kind: str, column: str) -> Any:
    """The names (``repo`` or ``ref``) of the registry's targets of ``kind`` whose ``listEnabled`` is false."""
    condition = and_(attributes.c.registry == registry, attributes.c.kind == kind, attributes.c.list_enabled.is_(False))
    if repo is not None:
        condition = and_(condition, attributes.c.repo == repo)
    return select(attributes.c[column]).where(condition)


def _attributes(row: Any) -> Attributes:
    return Attributes(
        delete_enabled=bool(row.delete_enabled),
        write_enabled=bool(row.write_enabled),
        read_enabled=bool(row.read_enabled),
        list_enabled=bool(row.list_enabled),
    )


def _manifest(row: Any) -> Manifest:
    return Manifest(
        digest=row.digest,
        media_type=row.media_type,
        size=row.size,
        body=bytes(row.body),
        created=row.created,
        artifact_type=row.artifact_type,
        subject=row.subject,
        annotations=row.annotations,
    )
