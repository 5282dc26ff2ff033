"""The index of unresolved complaints keeps the estate, the area and the status too.

Counting a few months of unresolved complaints per estate or area (the overdue rule's part
of a rollup row, data_access.rollups) read the tickets of those months through the date index:
PostgreSQL takes a third of tickets to match `resolved_at < created_at` (a comparison of two
columns it cannot know), so the partial index, with a heap fetch per row, looked dearer. With
the columns those counts group and filter by, the partial index answers them alone (an
index-only scan): a city's two months at 10M tickets 138 ms -> 0.4 ms. The watch list reads it
as before (the same leading columns).

Revision ID: 0004_unresolved_covering
Revises: 0003_unresolved_complaints
Create Date: 2026-12-03
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_unresolved_covering"
down_revision = "0003_unresolved_complaints"
branch_labels = None
depends_on = None

NAME = "ix_tickets_unresolved_complaints"
# The same text as data_access.schema.UNRESOLVED_COMPLAINT and the watch list's condition.
WHERE = "request_type = 'complaint' AND (resolved_at IS NULL OR resolved_at < created_at)"
COLUMNS = ["created_at", "request_type", "estate_id", "service_area", "status"]
BEFORE = ["created_at", "request_type"]


def _rebuild(columns: list[str]) -> None:
    existing = {index["name"]: index["column_names"] for index in sa.inspect(op.get_bind()).get_indexes("tickets")}
    if existing.get(NAME) == columns:  # made from the models already (a database from before versions)
        return
    if NAME in existing:
        op.drop_index(NAME, table_name="tickets")
    op.create_index(NAME, "tickets", columns, postgresql_where=sa.text(WHERE), sqlite_where=sa.text(WHERE))


def upgrade() -> None:
    _rebuild(COLUMNS)


def downgrade() -> None:
    _rebuild(BEFORE)
