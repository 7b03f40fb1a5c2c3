"""Initial tables: meta, codebooks, cases, identities, sources, passages, runs, annotations, events.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_table(
        "codebooks",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("version", sa.String(32), primary_key=True),
        sa.Column("yaml", sa.Text(), nullable=False),
        sa.Column("added_at", TS, nullable=False),
    )
    op.create_table(
        "cases",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("alias", sa.Text(), nullable=False),
        sa.Column("gender", sa.String(16), nullable=False),
        sa.Column("origin", sa.Text()),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("joined", sa.String(10)),
        sa.Column("left", sa.String(10)),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("status_after", sa.String(32), nullable=False),
        sa.Column("went_public_via", sa.Text()),
        sa.Column("group", sa.Text()),
        sa.Column("fields_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "identities",
        sa.Column(
            "case_id",
            sa.String(64),
            sa.ForeignKey("cases.case_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("nonce", sa.LargeBinary(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
    )
    op.create_table(
        "sources",
        sa.Column("source_id", sa.String(16), primary_key=True),
        sa.Column("url", sa.Text(), nullable=False, unique=True),
        sa.Column("outlet", sa.Text()),
        sa.Column("title", sa.Text()),
        sa.Column("published", sa.String(10)),
    )
    op.create_table(
        "case_sources",
        sa.Column(
            "case_id",
            sa.String(64),
            sa.ForeignKey("cases.case_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("source_id", sa.String(16), sa.ForeignKey("sources.source_id"), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
    )
    op.create_table(
        "passages",
        sa.Column("passage_id", sa.String(80), primary_key=True),
        sa.Column(
            "case_id",
            sa.String(64),
            sa.ForeignKey("cases.case_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("source_id", sa.String(16), sa.ForeignKey("sources.source_id")),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_hash", sa.String(64), nullable=False),
        sa.Column("lang", sa.String(8)),
        sa.Column("voice", sa.String(8), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_passages_case_id", "passages", ["case_id"])
    op.create_table(
        "coding_runs",
        sa.Column("run_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("coder_name", sa.String(64), nullable=False),
        sa.Column("coder_version", sa.String(32), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("codebook_id", sa.String(64), nullable=False),
        sa.Column("codebook_version", sa.String(32), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS),
        sa.Column("n_passages", sa.Integer(), nullable=False),
    )
    op.create_table(
        "run_passages",
        sa.Column(
            "run_id",
            sa.Integer(),
            sa.ForeignKey("coding_runs.run_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "passage_id",
            sa.String(80),
            sa.ForeignKey("passages.passage_id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    op.create_table(
        "annotations",
        sa.Column("annotation_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "passage_id",
            sa.String(80),
            sa.ForeignKey("passages.passage_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("coder", sa.String(128), nullable=False),
        sa.Column("coder_kind", sa.String(16), nullable=False),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("coding_runs.run_id")),
        sa.Column("probability", sa.Float()),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("memo", sa.Text()),
        sa.UniqueConstraint("passage_id", "code", "coder", "run_id", name="uq_annotation"),
    )
    op.create_index("ix_annotations_passage_id", "annotations", ["passage_id"])
    op.create_index("ix_annotations_code_status", "annotations", ["code", "status"])
    op.create_table(
        "events",
        sa.Column("event_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target_type", sa.String(32)),
        sa.Column("target_id", sa.String(128)),
        sa.Column("payload", sa.JSON(), nullable=False),
    )
    _make_events_append_only()


def _make_events_append_only() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER events_no_{verb.lower()} BEFORE {verb} ON events "
                "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION events_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'events are append-only'; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
            "FOR EACH ROW EXECUTE FUNCTION events_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS events_append_only ON events")
        op.execute("DROP FUNCTION IF EXISTS events_append_only()")
    for table in (
        "events",
        "annotations",
        "run_passages",
        "coding_runs",
        "passages",
        "case_sources",
        "sources",
        "identities",
        "cases",
        "codebooks",
        "meta",
    ):
        op.drop_table(table)
