"""An index of unresolved complaints by date, for the complaint watch list.

Without it the watch list (oldest unresolved major or overdue complaints, any date) scans the
whole tickets table: 1.4 s at 10M tickets on PostgreSQL, 10 ms with it. PostgreSQL and SQLite
keep only the unresolved complaints in it (a partial index, a few thousand rows), in date order
as the list is read; MySQL/MariaDB have no partial indexes and index every ticket instead.

Revision ID: 0003_unresolved_complaints
Revises: 0002_import_batches
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_unresolved_complaints"
down_revision = "0002_import_batches"
branch_labels = None
depends_on = None

# The same text as data_access.schema.UNRESOLVED_COMPLAINT and the watch list's condition.
WHERE = "request_type = 'complaint' AND (resolved_at IS NULL OR resolved_at < created_at)"


def upgrade() -> None:
    existing = {index["name"] for index in sa.inspect(op.get_bind()).get_indexes("tickets")}
    if "ix_tickets_unresolved_complaints" in existing:  # made from the models (before versions)
        return
    op.create_index(
        "ix_tickets_unresolved_complaints", "tickets", ["created_at", "request_type"],
        postgresql_where=sa.text(WHERE), sqlite_where=sa.text(WHERE),
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_unresolved_complaints", table_name="tickets")
