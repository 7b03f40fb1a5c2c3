"""Tables of the store; the Alembic migrations in ``migrations/`` create them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class MetaRow(Base):
    """Key-value facts about the store itself (active codebook, creation time)."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class CodebookRow(Base):
    """Every codebook version the store has used, with its full YAML, so runs stay reproducible."""

    __tablename__ = "codebooks"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[str] = mapped_column(String(32), primary_key=True)
    yaml: Mapped[str] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CaseRow(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_gender", "gender"),
        Index("ix_cases_region", "region"),
        Index("ix_cases_left", "left"),
    )
    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    alias: Mapped[str] = mapped_column(Text)
    gender: Mapped[str] = mapped_column(String(16))
    origin: Mapped[str | None] = mapped_column(Text)
    region: Mapped[str] = mapped_column(String(64))
    joined: Mapped[str | None] = mapped_column(String(10))
    left: Mapped[str | None] = mapped_column(String(10))
    role: Mapped[str] = mapped_column(String(32))
    status_after: Mapped[str] = mapped_column(String(32))
    went_public_via: Mapped[str | None] = mapped_column(Text)
    group: Mapped[str | None] = mapped_column(Text)
    fields_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IdentityRow(Base):
    """A private person's identity, sealed with AES-GCM; the case id is the associated data."""

    __tablename__ = "identities"
    case_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("cases.case_id", ondelete="CASCADE"), primary_key=True
    )
    nonce: Mapped[bytes] = mapped_column(LargeBinary)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(String(16))


class SourceRow(Base):
    __tablename__ = "sources"
    source_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    outlet: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    published: Mapped[str | None] = mapped_column(String(10))


class CaseSourceRow(Base):
    __tablename__ = "case_sources"
    case_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("cases.case_id", ondelete="CASCADE"), primary_key=True
    )
    source_id: Mapped[str] = mapped_column(
        String(16), ForeignKey("sources.source_id"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)


class PassageRow(Base):
    __tablename__ = "passages"
    __table_args__ = (Index("ix_passages_case_position", "case_id", "position"),)
    passage_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    case_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("cases.case_id", ondelete="CASCADE")
    )
    source_id: Mapped[str | None] = mapped_column(String(16), ForeignKey("sources.source_id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64))
    lang: Mapped[str | None] = mapped_column(String(8))
    voice: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CodingRunRow(Base):
    """One coding run: which coder, which version and config, on which codebook version."""

    __tablename__ = "coding_runs"
    run_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    coder_name: Mapped[str] = mapped_column(String(64))
    coder_version: Mapped[str] = mapped_column(String(32))
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    codebook_id: Mapped[str] = mapped_column(String(64))
    codebook_version: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    n_passages: Mapped[int] = mapped_column(Integer, default=0)


class RunPassageRow(Base):
    """Which passages a run has coded, so ``--only-uncoded`` skips them even when no code fired."""

    __tablename__ = "run_passages"
    run_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("coding_runs.run_id", ondelete="CASCADE"), primary_key=True
    )
    passage_id: Mapped[str] = mapped_column(
        String(80), ForeignKey("passages.passage_id", ondelete="CASCADE"), primary_key=True
    )


class AnnotationRow(Base):
    __tablename__ = "annotations"
    __table_args__ = (
        UniqueConstraint("passage_id", "code", "coder", "run_id", name="uq_annotation"),
        Index("ix_annotations_code_status", "code", "status"),
        # The latest machine run (the largest run id, read backwards) and its suggestions.
        Index("ix_annotations_run_status", "run_id", "status"),
    )
    annotation_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    passage_id: Mapped[str] = mapped_column(
        String(80), ForeignKey("passages.passage_id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(64))
    coder: Mapped[str] = mapped_column(String(128))
    coder_kind: Mapped[str] = mapped_column(String(16))
    run_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("coding_runs.run_id"))
    probability: Mapped[float | None] = mapped_column(Float)
    evidence: Mapped[list[list[int]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    memo: Mapped[str | None] = mapped_column(Text)


class CaseCodeRow(Base):
    """The codes each case carries on the combined basis (people's decisions, then the latest
    machine run), with how many of its passages carry each and how many of those only by an
    unreviewed suggestion. Kept by the one write path in the same transaction as the change."""

    __tablename__ = "case_codes"
    __table_args__ = (Index("ix_case_codes_code", "code", "case_id"),)
    case_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("cases.case_id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    passages: Mapped[int] = mapped_column(Integer)
    unreviewed_passages: Mapped[int] = mapped_column(Integer)


class EventRow(Base):
    """The append-only log of human actions; database triggers refuse UPDATE and DELETE."""

    __tablename__ = "events"
    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class UserRow(Base):
    """A person who signs in to the web app; the password only as an argon2id hash."""

    __tablename__ = "users"
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ApiTokenRow(Base):
    """An API token for scripts: only its SHA-256 is kept; revoked tokens stay, marked."""

    __tablename__ = "api_tokens"
    token_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.user_id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    label: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SessionRow(Base):
    """A signed-in browser: the cookie's SHA-256, its CSRF token, and when it expires."""

    __tablename__ = "web_sessions"
    session_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.user_id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
