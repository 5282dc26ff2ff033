"""The embedded database's own bookkeeping: one row per file each import loaded.

Not a canonical table (a source database never has it); created by the second schema
migration, written by the importer in the same transaction as the rows it records.
"""
from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

import_batches = sa.Table(
    "import_batches",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("batch_id", sa.String(32), nullable=False),  # the files of one `import` run share it
    sa.Column("imported_at", sa.DateTime, nullable=False),
    sa.Column("file", sa.String(500), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("rows_read", sa.Integer, nullable=False),
    sa.Column("rows_loaded", sa.Integer, nullable=False),
    sa.Column("rows_rejected", sa.Integer, nullable=False),
    sa.Column("mapping", sa.String(500)),
    sa.Index("ix_import_batches_imported_at", "imported_at"),
)
