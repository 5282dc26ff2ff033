"""Annotations: events analysts record (a typhoon, a staffing change, a new contractor) with a
date range, optional estates and a note, shown on trend charts and in the reports.

They live in the dashboard's own SQLite file (`<data_dir>/dashboard.sqlite`), never in the
ticket database, which the dashboard only reads. An annotation without estates concerns the
whole group; one with estates is seen by whoever may see one of them.
"""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from .filters import Scope
from .sqlfuncs import as_date

MAX_LABEL = 60
MAX_NOTE = 1000
MAX_DAYS = 366

metadata = sa.MetaData()
annotations_table = sa.Table(
    "annotations", metadata,
    sa.Column("annotation_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date, nullable=False),
    sa.Column("label", sa.String(MAX_LABEL), nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("created_by", sa.String(100)),
    sa.Index("ix_annotations_dates", "start_date", "end_date"),
)
annotation_estates = sa.Table(
    "annotation_estates", metadata,
    sa.Column("annotation_id", sa.Integer, sa.ForeignKey("annotations.annotation_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("estate_id", sa.String(64), primary_key=True),
)
A = annotations_table.c
AE = annotation_estates.c


class AnnotationError(ValueError):
    """An annotation that cannot be stored (empty label, reversed dates, estates out of scope).
    `key` names the problem for the message catalogue (annotations.error_<key>)."""

    def __init__(self, message: str, key: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class Annotation:
    annotation_id: int
    start: dt.date
    end: dt.date  # inclusive
    label: str
    note: str
    estates: tuple[str, ...]  # empty: the whole group
    created_at: dt.datetime | None = None
    created_by: str | None = None

    def overlaps(self, start: dt.date, end: dt.date) -> bool:
        return self.start <= end and self.end >= start


def store_path(data_dir: Path) -> Path:
    return Path(data_dir) / "dashboard.sqlite"


class AnnotationStore:
    """The annotations table of the dashboard's own database; created on first use."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._engine: sa.Engine | None = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> sa.Engine:
        with self._lock:
            if self._engine is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                engine = sa.create_engine(f"sqlite:///{self.path}")

                @sa.event.listens_for(engine, "connect")
                def _foreign_keys(dbapi_conn, _record):
                    dbapi_conn.execute("PRAGMA foreign_keys = ON")

                metadata.create_all(engine)
                self._engine = engine
            return self._engine

    def add(self, start: dt.date, end: dt.date, label: str, *, note: str = "", estates=(), scope: Scope | None = None,
            created_by: str | None = None) -> Annotation:
        label = (label or "").strip()
        note = (note or "").strip()
        estates = tuple(sorted({e.strip() for e in estates if e and e.strip()}))
        if not label:
            raise AnnotationError("an annotation needs a label", "label_missing")
        if len(label) > MAX_LABEL:
            raise AnnotationError(f"the label is longer than {MAX_LABEL} characters", "label_long")
        if len(note) > MAX_NOTE:
            raise AnnotationError(f"the note is longer than {MAX_NOTE} characters", "note_long")
        if start is None or end is None:
            raise AnnotationError("an annotation needs a first and a last day", "dates_missing")
        if end < start:
            raise AnnotationError("the last day is before the first", "dates_reversed")
        if (end - start).days >= MAX_DAYS:
            raise AnnotationError(f"an annotation covers at most {MAX_DAYS} days", "too_long")
        if scope is not None and scope.estates is not None:
            # Someone who sees only some estates annotates only those, never the whole group.
            if not estates:
                raise AnnotationError("choose the estates the annotation concerns", "estates_required")
            outside = sorted(set(estates) - scope.estates)
            if outside:
                raise AnnotationError(f"estates outside your scope: {', '.join(outside)}", "estates_outside")
        created = dt.datetime.now().replace(microsecond=0)
        with self.engine.begin() as conn:
            new_id = conn.execute(
                annotations_table.insert().values(start_date=start, end_date=end, label=label, note=note or None,
                                                  created_at=created, created_by=created_by)
            ).inserted_primary_key[0]
            if estates:
                conn.execute(annotation_estates.insert(), [{"annotation_id": new_id, "estate_id": e} for e in estates])
        return Annotation(new_id, start, end, label, note, estates, created, created_by)

    def list(self, scope: Scope, *, start: dt.date | None = None, end: dt.date | None = None,
             estates: frozenset[str] | None = None) -> list[Annotation]:
        """Annotations the scope may see, overlapping [start, end] when given, and concerning
        `estates` when given (group-wide ones always concern them), newest first."""
        statement = sa.select(A.annotation_id, A.start_date, A.end_date, A.label, A.note, A.created_at, A.created_by)
        if start is not None:
            statement = statement.where(A.end_date >= start)
        if end is not None:
            statement = statement.where(A.start_date <= end)
        with self.engine.connect() as conn:
            rows = conn.execute(statement.order_by(A.start_date.desc(), A.annotation_id.desc())).fetchall()
            links: dict[int, list[str]] = {}
            for annotation_id, estate_id in conn.execute(sa.select(AE.annotation_id, AE.estate_id).order_by(AE.estate_id)):
                links.setdefault(annotation_id, []).append(estate_id)
        visible = scope.estates
        wanted = frozenset(estates) if estates else None
        found = []
        for row in rows:
            linked = tuple(links.get(row.annotation_id, ()))
            if visible is not None:
                # An estate manager sees group-wide annotations and those of their estates, and only
                # the names of their own estates.
                if linked and not set(linked) & visible:
                    continue
                linked = tuple(e for e in linked if e in visible)
            if wanted is not None and linked and not set(linked) & wanted:
                continue
            found.append(Annotation(row.annotation_id, as_date(row.start_date), as_date(row.end_date), row.label,
                                    row.note or "", linked, row.created_at, row.created_by))
        return found

    def delete(self, annotation_id: int, scope: Scope) -> bool:
        """Remove one annotation; someone with a limited scope only those wholly within it."""
        with self.engine.begin() as conn:
            linked = {r[0] for r in conn.execute(sa.select(AE.estate_id).where(AE.annotation_id == annotation_id))}
            exists = conn.execute(sa.select(A.annotation_id).where(A.annotation_id == annotation_id)).first()
            if exists is None:
                return False
            if scope.estates is not None and (not linked or not linked <= scope.estates):
                raise AnnotationError("this annotation concerns estates outside your scope", "delete_outside")
            conn.execute(annotation_estates.delete().where(AE.annotation_id == annotation_id))
            conn.execute(annotations_table.delete().where(A.annotation_id == annotation_id))
        return True

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


_stores: dict[Path, AnnotationStore] = {}
_stores_lock = threading.Lock()


def annotation_store(data_dir: Path) -> AnnotationStore:
    """One store per file and process (its engine pools the connections)."""
    path = store_path(data_dir).resolve()
    with _stores_lock:
        if path not in _stores:
            _stores[path] = AnnotationStore(path)
        return _stores[path]
