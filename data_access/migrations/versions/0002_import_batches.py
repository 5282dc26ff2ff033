"""import_batches: one row per file each import loaded (file, kind, counts, time, mapping).

Revision ID: 0002_import_batches
Revises: 0001_canonical_schema
Create Date: 2026-11-23
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_import_batches"
down_revision = "0001_canonical_schema"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("batch_id", sa.String(32), nullable=False),
        sa.Column("imported_at", sa.DateTime, nullable=False),
        sa.Column("file", sa.String(500), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("rows_read", sa.Integer, nullable=False),
        sa.Column("rows_loaded", sa.Integer, nullable=False),
        sa.Column("rows_rejected", sa.Integer, nullable=False),
        sa.Column("mapping", sa.String(500)),
    )
    op.create_index("ix_import_batches_imported_at", "import_batches", ["imported_at"])


def downgrade() -> None:
    op.drop_table("import_batches")
