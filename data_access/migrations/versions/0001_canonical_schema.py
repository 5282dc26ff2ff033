"""The canonical tables of METRICS.md: estates, tickets, surveys, with their indexes.

A frozen copy of data_access/schema.py as it was when schema versions began. Tables that
already exist are left alone (a database written before versions is stamped here instead).

Revision ID: 0001_canonical_schema
Revises:
Create Date: 2026-11-23
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0001_canonical_schema"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.String(64)
CODE = sa.String(32)
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _missing(name: str) -> bool:
    return name not in sa.inspect(op.get_bind()).get_table_names()


def upgrade() -> None:
    if _missing("estates"):
        op.create_table(
            "estates",
            sa.Column("estate_id", ID, primary_key=True),
            sa.Column("name", sa.String(200), nullable=False),
            sa.Column("city", sa.String(100)),
            sa.Column("region", sa.String(100)),
            sa.Column("households", sa.Integer, nullable=False),
        )
    if _missing("tickets"):
        op.create_table(
            "tickets",
            sa.Column("ticket_id", ID, primary_key=True),
            sa.Column("estate_id", ID, nullable=False),
            sa.Column("created_at", TIMESTAMP, nullable=False),
            sa.Column("channel", CODE),
            sa.Column("request_type", CODE),
            sa.Column("service_area", CODE),
            sa.Column("priority", CODE),
            sa.Column("severity", CODE),
            sa.Column("status", CODE),
            sa.Column("first_response_at", TIMESTAMP),
            sa.Column("resolved_at", TIMESTAMP),
            sa.Column("closed_at", TIMESTAMP),
            sa.Column("escalation_level", sa.Integer, nullable=False),
            sa.Column("escalated_at", TIMESTAMP),
            sa.Column("reopened_count", sa.Integer, nullable=False),
            sa.Column("owner_name", sa.String(100)),
            sa.Column("owner_phone", sa.String(40)),
            sa.Column("room", sa.String(40)),
            sa.Column("summary", sa.Text),
        )
        op.create_index("ix_tickets_created_at", "tickets", ["created_at"])
        op.create_index("ix_tickets_estate_created", "tickets", ["estate_id", "created_at"])
        op.create_index("ix_tickets_area_created", "tickets", ["service_area", "created_at"])
    if _missing("surveys"):
        op.create_table(
            "surveys",
            sa.Column("survey_id", ID, primary_key=True),
            sa.Column("ticket_id", ID),
            sa.Column("estate_id", ID, nullable=False),
            sa.Column("service_area", CODE),
            sa.Column("surveyed_at", TIMESTAMP, nullable=False),
            sa.Column("channel", CODE),
            sa.Column("score", sa.Integer),
            sa.Column("attitude", sa.Integer),
            sa.Column("speed", sa.Integer),
            sa.Column("result", sa.Integer),
            sa.Column("professionalism", sa.Integer),
            sa.Column("comment", sa.Text),
        )
        op.create_index("ix_surveys_surveyed_at", "surveys", ["surveyed_at"])
        op.create_index("ix_surveys_estate_surveyed", "surveys", ["estate_id", "surveyed_at"])
        op.create_index("ix_surveys_ticket_id", "surveys", ["ticket_id"])


def downgrade() -> None:
    for table in ("surveys", "tickets", "estates"):
        op.drop_table(table)
