"""Indexes for the reads the web app makes per request, the codes per case, and the store's
data version.

The case list filters by gender, region and year of leaving; a case's passages are read in
order; the counts look up the latest machine run and its open suggestions. ``data_version``
(in ``meta``) goes up with every committed unit of work, so cached analyses know when to
recompute. ``case_codes`` holds the codes each case carries (filled here from the
annotations, then kept by every unit of work).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_gender", "cases", ["gender"])
    op.create_index("ix_cases_region", "cases", ["region"])
    op.create_index("ix_cases_left", "cases", ["left"])
    op.drop_index("ix_passages_case_id", table_name="passages")
    op.create_index("ix_passages_case_position", "passages", ["case_id", "position"])
    op.create_index("ix_annotations_run_status", "annotations", ["run_id", "status"])
    op.create_table(
        "case_codes",
        sa.Column(
            "case_id",
            sa.String(64),
            sa.ForeignKey("cases.case_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("passages", sa.Integer(), nullable=False),
        sa.Column("unreviewed_passages", sa.Integer(), nullable=False),
    )
    op.create_index("ix_case_codes_code", "case_codes", ["code", "case_id"])
    meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.execute(meta.insert().values(key="data_version", value="0"))
    from defectio.store.codes import refill_case_codes

    refill_case_codes(op.get_bind(), None)


def downgrade() -> None:
    op.execute("DELETE FROM meta WHERE key = 'data_version'")
    op.drop_index("ix_case_codes_code", table_name="case_codes")
    op.drop_table("case_codes")
    op.drop_index("ix_annotations_run_status", table_name="annotations")
    op.drop_index("ix_passages_case_position", table_name="passages")
    op.create_index("ix_passages_case_id", "passages", ["case_id"])
    op.drop_index("ix_cases_left", table_name="cases")
    op.drop_index("ix_cases_region", table_name="cases")
    op.drop_index("ix_cases_gender", table_name="cases")
