"""The store's one write path (``UnitOfWork``) and its read queries (``Store``).

Every write happens inside ``Store.unit_of_work()``: one transaction, committed at the end
of the block or rolled back entirely when anything in it fails.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, Integer, String, cast, create_engine, event, func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, SQLAlchemyError
from sqlalchemy.orm import Session

from defectio.codebook import DEFAULT_CODEBOOK, Codebook, parse_codebook, read_codebook_text
from defectio.errors import StoreError, VaultError
from defectio.model import (
    Annotation,
    AnnotationStatus,
    Case,
    CoderKind,
    Corpus,
    Identity,
    PartialDate,
    Passage,
    Source,
)
from defectio.store import vault
from defectio.store.codes import cases_of_passages, refill_case_codes
from defectio.store.schema import (
    AnnotationRow,
    CaseRow,
    CaseSourceRow,
    CodebookRow,
    CodingRunRow,
    EventRow,
    IdentityRow,
    MetaRow,
    PassageRow,
    RunPassageRow,
    SourceRow,
    utcnow,
)

DB_ENV = "DEFECTIO_DB"
DATA_VERSION = "data_version"
RECOUNT_ALL_FROM = 2000  # cases touched by one unit of work
POOL_SIZE = 16
POOL_OVERFLOW = 32
Change = Literal["added", "updated", "unchanged"]


def default_db_url() -> str:
    """``DEFECTIO_DB`` if set, else a SQLite file ``./defectio.db``."""
    return os.environ.get(DB_ENV) or "sqlite:///defectio.db"


def normalise_url(url_or_path: str) -> str:
    """Accept a SQLAlchemy URL or a bare path to a SQLite file."""
    if "://" in url_or_path:
        return url_or_path
    return f"sqlite:///{url_or_path}"


def current_actor() -> str:
    """Who is acting, for the event log: ``DEFECTIO_USER`` or the login name."""
    try:
        return os.environ.get("DEFECTIO_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def case_fields_hash(case: Case) -> str:
    payload = json.dumps(case.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _alembic_config(connection: Any) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("defectio") / "store/migrations"))
    cfg.attributes["connection"] = connection
    return cfg


class Store:
    """A defectio store at a database URL (SQLite by default, PostgreSQL with the same code)."""

    def __init__(self, url: str | None = None, *, create: bool = True) -> None:
        self.url = normalise_url(url or default_db_url())
        parsed = make_url(self.url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self.path = Path(parsed.database) if self.is_sqlite and parsed.database else None
        self._codebooks: dict[str, Codebook] = {}
        if self.path is not None:
            if not create and not self.path.exists():
                raise StoreError(f"{self.path}: no store here; create one with `defectio init`")
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # The web app reads from many threads at once; a pool smaller than its thread pool
            # opens and closes a connection (and sets its pragmas) on most requests.
            self.engine: Engine = create_engine(
                self.url, future=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW
            )
        except (SQLAlchemyError, ImportError) as exc:
            raise StoreError(f"cannot open {self._safe_url()}: {exc}") from None
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._migrate()

    def _safe_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    @property
    def key_file(self) -> Path:
        """Where ``defectio init`` keeps the identity key: ``DEFECTIO_KEY_FILE``; else by the db."""
        env = os.environ.get(vault.KEY_FILE_ENV)
        if env:
            return Path(env)
        if self.path is not None:
            return self.path.with_suffix(".key")
        return Path.home() / ".config" / "defectio" / "secret.key"

    def ensure_key(self) -> bool:
        """Create the key file with 0600 permissions unless a key is already configured."""
        if os.environ.get(vault.KEY_ENV):
            return False
        return vault.create_key_file(self.key_file)

    # -- schema ---------------------------------------------------------------------------
    def _migrate(self) -> None:
        try:
            with self.engine.begin() as conn:
                current = MigrationContext.configure(conn).get_current_revision()
                cfg = _alembic_config(conn)
                head = ScriptDirectory.from_config(cfg).get_current_head()
                if current != head:
                    command.upgrade(cfg, "head")
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot migrate {self._safe_url()}: {exc}") from None

    def revision(self) -> str | None:
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    # -- writes ---------------------------------------------------------------------------
    @contextmanager
    def unit_of_work(self, actor: str | None = None) -> Iterator[UnitOfWork]:
        """One transaction: committed when the block ends, rolled back if anything raises."""
        with Session(self.engine, expire_on_commit=False) as session:
            if self.is_sqlite:
                # Take the write lock before the first read, so what a unit of work reads
                # cannot change under it (PostgreSQL locks the rows it updates instead).
                session.connection().exec_driver_sql("BEGIN IMMEDIATE")
            uow = UnitOfWork(session, actor or current_actor(), self)
            try:
                yield uow
                uow.recount()
                _bump_data_version(session)
                session.commit()
            except DataError as exc:
                # PostgreSQL checks what SQLite lets through (VARCHAR lengths, NUL characters):
                # one clear line instead of a driver traceback; nothing was written.
                session.rollback()
                raise StoreError(f"the database refused a value: {_refusal(exc)}") from None
            except BaseException:
                session.rollback()
                raise

    # -- codebook -------------------------------------------------------------------------
    def codebook(self) -> Codebook:
        """The store's active codebook; the default one is installed on first use."""
        with Session(self.engine) as session:
            ref = session.get(MetaRow, "codebook")
            if ref is not None:
                # A stored codebook version never changes, so each is parsed once per Store.
                cached = self._codebooks.get(ref.value)
                if cached is not None:
                    return cached
                cb_id, _, version = ref.value.partition("@")
                row = session.get(CodebookRow, (cb_id, version))
                if row is None:
                    raise StoreError(f"the store names codebook {ref.value} but does not hold it")
                book = parse_codebook(row.yaml, f"store:{ref.value}")
                self._codebooks[ref.value] = book
                return book
        with self.unit_of_work() as uow:
            return uow.set_codebook(DEFAULT_CODEBOOK)

    # -- reads ----------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        with Session(self.engine) as s:
            return {
                "cases": s.scalar(select(func.count()).select_from(CaseRow)) or 0,
                "passages": s.scalar(select(func.count()).select_from(PassageRow)) or 0,
                "sources": s.scalar(select(func.count()).select_from(SourceRow)) or 0,
                "annotations": s.scalar(select(func.count()).select_from(AnnotationRow)) or 0,
                "events": s.scalar(select(func.count()).select_from(EventRow)) or 0,
            }

    def cases(self) -> list[Case]:
        with Session(self.engine) as s:
            return [_case_from_row(r) for r in s.scalars(select(CaseRow).order_by(CaseRow.case_id))]

    def passages(self, *, only_uncoded_by: str | None = None) -> list[tuple[str, Passage]]:
        """Passages with their ids, in case order; optionally those no run of a coder has seen."""
        with Session(self.engine) as s:
            q = select(PassageRow).order_by(PassageRow.case_id, PassageRow.position)
            if only_uncoded_by is not None:
                seen = (
                    select(RunPassageRow.passage_id)
                    .join(CodingRunRow, RunPassageRow.run_id == CodingRunRow.run_id)
                    .where(CodingRunRow.coder_name == only_uncoded_by)
                )
                q = q.where(PassageRow.passage_id.not_in(seen))
            return [(r.passage_id, _passage_from_row(r)) for r in s.scalars(q)]

    def corpus(self) -> Corpus:
        """Everything analysis needs, read in one go (cases, sources, passages, annotations)."""
        with Session(self.engine) as s:
            cases = tuple(
                _case_from_row(r) for r in s.scalars(select(CaseRow).order_by(CaseRow.case_id))
            )
            sources = tuple(
                Source(
                    url=r.url,
                    outlet=r.outlet,
                    title=r.title,
                    published=PartialDate.parse(r.published) if r.published else None,
                )
                for r in s.scalars(select(SourceRow))
            )
            links: dict[str, list[str]] = {}
            for link in s.scalars(select(CaseSourceRow).order_by(CaseSourceRow.position)):
                links.setdefault(link.case_id, []).append(link.source_id)
            passages = tuple(
                _passage_from_row(r)
                for r in s.scalars(
                    select(PassageRow).order_by(PassageRow.case_id, PassageRow.position)
                )
            )
            annotations = tuple(
                _annotation_from_row(r)
                for r in s.scalars(select(AnnotationRow).order_by(AnnotationRow.annotation_id))
            )
        return Corpus(
            cases=cases,
            sources=sources,
            case_sources={k: tuple(v) for k, v in links.items()},
            passages=passages,
            annotations=annotations,
        )

    def data_version(self) -> int:
        """A number that goes up with every committed unit of work: what caches key on."""
        value = self.get_meta(DATA_VERSION)
        return int(value) if value else 0

    def get_meta(self, key: str) -> str | None:
        with Session(self.engine) as s:
            row = s.get(MetaRow, key)
            return row.value if row is not None else None

    def latest_run(self) -> dict[str, Any] | None:
        with Session(self.engine) as s:
            row = s.scalars(select(CodingRunRow).order_by(CodingRunRow.run_id.desc())).first()
            if row is None:
                return None
            return {
                "run_id": row.run_id,
                "coder": f"{row.coder_name}@{row.coder_version}",
                "config": row.config,
                "codebook": f"{row.codebook_id}@{row.codebook_version}",
                "started_at": _utc(row.started_at),
                "n_passages": row.n_passages,
            }

    def passages_coded_by_run(self, run_id: int) -> set[str]:
        """The passages a coding run has seen, whether or not it found a code on them."""
        with Session(self.engine) as s:
            q = select(RunPassageRow.passage_id).where(RunPassageRow.run_id == run_id)
            return set(s.scalars(q))

    def events(self) -> list[dict[str, Any]]:
        with Session(self.engine) as s:
            return [
                {
                    "event_id": e.event_id,
                    "at": _utc(e.at),
                    "actor": e.actor,
                    "action": e.action,
                    "target_type": e.target_type,
                    "target_id": e.target_id,
                    "payload": e.payload,
                }
                for e in s.scalars(select(EventRow).order_by(EventRow.event_id))
            ]

    def reveal_identity(self, case_id: str, actor: str | None = None) -> Identity | None:
        """Open a case's sealed identity; each reveal is written to the event log."""
        key = vault.load_key(self.key_file)
        if key is None:
            raise VaultError("no key: set DEFECTIO_SECRET_KEY or run `defectio init`")
        with self.unit_of_work(actor) as uow:
            row = uow.session.get(IdentityRow, case_id)
            if row is None:
                return None
            uow.append_event("identity.reveal", "case", case_id)
            return vault.unseal(key, case_id, vault.Sealed(row.nonce, row.sealed, row.key_id))

    def dispose(self) -> None:
        self.engine.dispose()


def _bump_data_version(session: Session) -> None:
    """Last before the commit, so on PostgreSQL the row lock it takes is held for no time."""
    bumped = session.execute(
        update(MetaRow)
        .where(MetaRow.key == DATA_VERSION)
        .values(value=cast(cast(MetaRow.value, Integer) + 1, String))
    )
    if not bumped.rowcount:  # type: ignore[attr-defined]
        session.add(MetaRow(key=DATA_VERSION, value="1"))


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _utc(value: datetime) -> datetime:
    """Times read back as aware UTC on every backend: SQLite returns them naive (they were
    written in UTC), PostgreSQL in the server's time zone."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _refusal(exc: DataError) -> str:
    table = (exc.statement or "").split("(")[0].strip().lower()
    reason = str(exc.orig).splitlines()[0] if exc.orig is not None else str(exc)
    return f"{reason} ({table})" if table else reason


def _case_from_row(r: CaseRow) -> Case:
    return Case.model_validate({f: getattr(r, f) for f in Case.model_fields})


def _passage_from_row(r: PassageRow) -> Passage:
    return Passage.model_validate({f: getattr(r, f) for f in Passage.model_fields})


def _annotation_from_row(r: AnnotationRow) -> Annotation:
    data = {f: getattr(r, f) for f in Annotation.model_fields if f != "evidence"}
    data["evidence"] = tuple((int(a), int(b)) for a, b in r.evidence)
    data["created_at"] = _utc(r.created_at)
    return Annotation.model_validate(data)


class UnitOfWork:
    """The only way to write: every method adds to the one open transaction."""

    def __init__(self, session: Session, actor: str, store: Store) -> None:
        self.session = session
        self.actor = actor
        self._store = store
        self._key: vault.SecretKey | None = None
        # What ``case_codes`` must follow at commit: passages whose annotations changed, or
        # everything (a machine run's suggestions move the latest run).
        self.touched: set[str] = set()
        self.recount_all = False
        event.listen(session, "before_flush", self._track)

    def _track(self, session: Session, _context: Any, _instances: Any) -> None:
        if self.recount_all:
            return
        for obj in (*session.new, *session.dirty, *session.deleted):
            if not isinstance(obj, AnnotationRow):
                continue
            if obj.coder_kind == CoderKind.MACHINE.value and obj in session.new:
                self.recount_all = True
                return
            self.touched.add(obj.passage_id)

    def recount(self) -> None:
        """Bring ``case_codes`` up to this unit of work's changes, before it commits."""
        self.session.flush()
        if self.recount_all:
            refill_case_codes(self.session, None)
        elif self.touched:
            cases = cases_of_passages(self.session, self.touched)
            # Past a few thousand cases, one pass over every annotation beats many small ones.
            refill_case_codes(self.session, cases if len(cases) < RECOUNT_ALL_FROM else None)

    # codebook
    def set_codebook(self, name_or_path: str | Path) -> Codebook:
        text, origin = read_codebook_text(name_or_path)
        book = parse_codebook(text, origin)
        if self.session.get(CodebookRow, (book.id, book.version)) is None:
            self.session.add(
                CodebookRow(id=book.id, version=book.version, yaml=text, added_at=utcnow())
            )
        meta = self.session.get(MetaRow, "codebook")
        if meta is None:
            self.session.add(MetaRow(key="codebook", value=book.ref))
        elif meta.value != book.ref:
            meta.value = book.ref
        self.session.flush()
        self.append_event("codebook.set", "codebook", book.ref, {"origin": origin})
        return book

    def set_meta(self, key: str, value: str) -> None:
        row = self.session.get(MetaRow, key)
        if row is None:
            self.session.add(MetaRow(key=key, value=value))
        else:
            row.value = value

    # cases
    def upsert_case(self, case: Case) -> Change:
        digest = case_fields_hash(case)
        row = self.session.get(CaseRow, case.case_id)
        data = case.model_dump(mode="json")
        if row is None:
            now = utcnow()
            self.session.add(CaseRow(**data, fields_hash=digest, created_at=now, updated_at=now))
            return "added"
        if row.fields_hash == digest:
            return "unchanged"
        for key, value in data.items():
            setattr(row, key, value)
        row.fields_hash = digest
        row.updated_at = utcnow()
        return "updated"

    def put_identity(self, case_id: str, identity: Identity) -> None:
        """Seal and store a person's identity; refuses to store it in clear when no key exists."""
        if identity.is_empty():
            return
        if self._key is None:
            self._key = vault.load_key(self._store.key_file)
        if self._key is None:
            raise VaultError(
                f"case {case_id} carries identity fields but no key is configured: "
                "set DEFECTIO_SECRET_KEY or run `defectio init`"
            )
        sealed = vault.seal(self._key, case_id, identity)
        row = self.session.get(IdentityRow, case_id)
        if row is None:
            self.session.add(
                IdentityRow(
                    case_id=case_id, nonce=sealed.nonce, sealed=sealed.sealed, key_id=sealed.key_id
                )
            )
        else:
            row.nonce, row.sealed, row.key_id = sealed.nonce, sealed.sealed, sealed.key_id

    # sources
    def upsert_source(self, source: Source) -> Change:
        row = self.session.get(SourceRow, source.source_id)
        published = str(source.published) if source.published else None
        if row is None:
            self.session.add(
                SourceRow(
                    source_id=source.source_id,
                    url=source.url,
                    outlet=source.outlet,
                    title=source.title,
                    published=published,
                )
            )
            return "added"
        new = (source.outlet or row.outlet, source.title or row.title, published or row.published)
        if (row.outlet, row.title, row.published) == new:
            return "unchanged"
        row.outlet, row.title, row.published = new
        return "updated"

    def link_source(self, case_id: str, source_id: str, position: int) -> None:
        if self.session.get(CaseSourceRow, (case_id, source_id)) is None:
            self.session.add(CaseSourceRow(case_id=case_id, source_id=source_id, position=position))

    # passages
    def upsert_passage(self, passage: Passage) -> Change:
        pid = passage.passage_id
        row = self.session.get(PassageRow, pid)
        if row is None:
            self.session.add(
                PassageRow(
                    passage_id=pid,
                    case_id=passage.case_id,
                    source_id=passage.source_id,
                    position=passage.position,
                    text=passage.text,
                    text_hash=pid.rsplit("-", 1)[-1],
                    lang=passage.lang,
                    voice=passage.voice.value,
                    created_at=utcnow(),
                )
            )
            return "added"
        new = (passage.voice.value, passage.lang or row.lang, passage.source_id or row.source_id)
        if (row.voice, row.lang, row.source_id) == new:
            return "unchanged"
        row.voice, row.lang, row.source_id = new
        return "updated"

    # annotations
    def add_annotation(self, ann: Annotation) -> Change:
        """Add an annotation; a person's code already on the passage is left unchanged."""
        if ann.coder_kind == CoderKind.PERSON and ann.run_id is None:
            existing = self.session.scalars(
                select(AnnotationRow).where(
                    AnnotationRow.passage_id == ann.passage_id,
                    AnnotationRow.code == ann.code,
                    AnnotationRow.coder == ann.coder,
                    AnnotationRow.run_id.is_(None),
                )
            ).first()
            if existing is not None:
                if existing.status == ann.status.value:
                    return "unchanged"
                existing.status = ann.status.value
                return "updated"
        self.session.add(
            AnnotationRow(
                passage_id=ann.passage_id,
                code=ann.code,
                coder=ann.coder,
                coder_kind=ann.coder_kind.value,
                run_id=ann.run_id,
                probability=ann.probability,
                evidence=[list(span) for span in ann.evidence],
                status=ann.status.value,
                created_at=ann.created_at,
                memo=ann.memo,
            )
        )
        return "added"

    def set_annotation_status(self, annotation_id: int, status: AnnotationStatus) -> None:
        # Locked, so two reviewers at once are logged one after the other, each with the
        # status it really changed.
        row = self.session.get(
            AnnotationRow, annotation_id, with_for_update=True, populate_existing=True
        )
        if row is None:
            raise StoreError(f"no annotation {annotation_id}")
        before = row.status
        row.status = status.value
        self.append_event(
            f"annotation.{status.value}",
            "annotation",
            str(annotation_id),
            {"code": row.code, "passage_id": row.passage_id, "before": before},
        )

    # coding runs
    def start_run(
        self, coder_name: str, coder_version: str, config: dict[str, Any], codebook: Codebook
    ) -> int:
        row = CodingRunRow(
            coder_name=coder_name,
            coder_version=coder_version,
            config=config,
            codebook_id=codebook.id,
            codebook_version=codebook.version,
            started_at=utcnow(),
            n_passages=0,
        )
        self.session.add(row)
        self.session.flush()
        return row.run_id

    def mark_coded(self, run_id: int, passage_ids: list[str]) -> None:
        """Record that a run has seen these passages, whether or not it found a code."""
        self.session.add_all(RunPassageRow(run_id=run_id, passage_id=p) for p in passage_ids)

    def finish_run(self, run_id: int, n_passages: int) -> None:
        row = self.session.get(CodingRunRow, run_id)
        if row is None:
            raise StoreError(f"no coding run {run_id}")
        row.n_passages = n_passages
        row.finished_at = utcnow()

    # events
    def append_event(
        self,
        action: str,
        target_type: str | None = None,
        target_id: str | None = None,
        payload: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> None:
        self.session.add(
            EventRow(
                at=at or utcnow(),
                actor=self.actor,
                action=action,
                target_type=target_type,
                target_id=target_id,
                payload=payload or {},
            )
        )

    def flush(self) -> None:
        self.session.flush()
