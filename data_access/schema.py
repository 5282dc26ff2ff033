"""The canonical tables of METRICS.md as SQLAlchemy Core metadata.

Queries are written against these Table objects; only names matter when the
database was created by another tool, so a DBA's DDL or `pandas.to_sql` works too.
"""
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

SERVICE_AREAS = ("security", "cleaning", "greening", "repair", "other")
REQUEST_TYPES = ("repair", "complaint", "inquiry", "suggestion", "praise")
TICKET_CHANNELS = ("phone", "front_desk", "app", "mailbox", "patrol", "email", "other")
PRIORITIES = ("urgent", "normal")
SEVERITIES = ("minor", "important", "major")
STATUSES = ("open", "in_progress", "resolved", "closed", "cancelled")
SURVEY_CHANNELS = ("phone", "sms", "visit", "app")
SATISFACTION_DIMENSIONS = ("attitude", "speed", "result", "professionalism")
ESCALATION_LEVELS = (1, 2, 3)

metadata = sa.MetaData()
# A complaint not (validly) resolved: a resolution before creation is invalid, so missing.
UNRESOLVED_COMPLAINT = "request_type = 'complaint' AND (resolved_at IS NULL OR resolved_at < created_at)"
# The same in a query of the tickets table, literals as in the partial index built on it (below),
# so the engines see that the index holds every row wanted: a few thousand, not every ticket.
UNRESOLVED_COMPLAINT_TICKETS = (
    "tickets.request_type = 'complaint' AND (tickets.resolved_at IS NULL OR tickets.resolved_at < tickets.created_at)"
)

# Short codes are bounded so MySQL can index them; free text stays unbounded.
_ID = sa.String(64)
_CODE = sa.String(32)
# MySQL/MariaDB DATETIME keeps whole seconds unless asked for microseconds, like the other engines.
_TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

estates = sa.Table(
    "estates",
    metadata,
    sa.Column("estate_id", _ID, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("city", sa.String(100)),
    sa.Column("region", sa.String(100)),
    sa.Column("households", sa.Integer, nullable=False, default=0),
)

tickets = sa.Table(
    "tickets",
    metadata,
    sa.Column("ticket_id", _ID, primary_key=True),
    sa.Column("estate_id", _ID, nullable=False),
    sa.Column("created_at", _TIMESTAMP, nullable=False),
    sa.Column("channel", _CODE),
    sa.Column("request_type", _CODE),
    sa.Column("service_area", _CODE),
    sa.Column("priority", _CODE),
    sa.Column("severity", _CODE),
    sa.Column("status", _CODE),
    sa.Column("first_response_at", _TIMESTAMP),
    sa.Column("resolved_at", _TIMESTAMP),
    sa.Column("closed_at", _TIMESTAMP),
    sa.Column("escalation_level", sa.Integer, nullable=False, default=0),
    sa.Column("escalated_at", _TIMESTAMP),
    sa.Column("reopened_count", sa.Integer, nullable=False, default=0),
    sa.Column("owner_name", sa.String(100)),
    sa.Column("owner_phone", sa.String(40)),
    sa.Column("room", sa.String(40)),
    sa.Column("summary", sa.Text),
    # Period filters are range scans on created_at, alone or within estates.
    sa.Index("ix_tickets_created_at", "created_at"),
    sa.Index("ix_tickets_estate_created", "estate_id", "created_at"),
    sa.Index("ix_tickets_area_created", "service_area", "created_at"),
    # The complaint watch list: unresolved complaints by date (partial where the engine can),
    # with what their counts per estate or area read, so those need no ticket rows (migration 0004).
    sa.Index("ix_tickets_unresolved_complaints", "created_at", "request_type", "estate_id", "service_area", "status",
             postgresql_where=sa.text(UNRESOLVED_COMPLAINT), sqlite_where=sa.text(UNRESOLVED_COMPLAINT)),
)

surveys = sa.Table(
    "surveys",
    metadata,
    sa.Column("survey_id", _ID, primary_key=True),
    sa.Column("ticket_id", _ID),
    sa.Column("estate_id", _ID, nullable=False),
    sa.Column("service_area", _CODE),
    sa.Column("surveyed_at", _TIMESTAMP, nullable=False),
    sa.Column("channel", _CODE),
    sa.Column("score", sa.Integer),
    sa.Column("attitude", sa.Integer),
    sa.Column("speed", sa.Integer),
    sa.Column("result", sa.Integer),
    sa.Column("professionalism", sa.Integer),
    sa.Column("comment", sa.Text),
    sa.Index("ix_surveys_surveyed_at", "surveyed_at"),
    sa.Index("ix_surveys_estate_surveyed", "estate_id", "surveyed_at"),
    # Follow-up coverage looks surveys up by ticket.
    sa.Index("ix_surveys_ticket_id", "ticket_id"),
)

CANONICAL_TABLES = ("estates", "tickets", "surveys")


def create_schema(engine: sa.Engine) -> None:
    """Create the canonical tables (and their indexes) where they are missing, by migrating the
    database to the newest schema version (data_access/migrations): only for databases we write."""
    from .migrations import upgrade_to_head

    upgrade_to_head(engine)
