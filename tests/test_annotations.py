"""Annotations: stored in the dashboard's own SQLite file (never the ticket database), seen within
the user's scope, and drawn on the weekly trend charts over the weeks they touch."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from dash_requests import post_callback

from dashboard.app import create_app
from dashboard.figures import response as response_figures
from dashboard.figures.common import add_annotations
from data_access import Database, Scope, Settings
from data_access.annotations import Annotation, AnnotationError, AnnotationStore, annotation_store, store_path
from data_access.demo import generate_demo

D = dt.date


@pytest.fixture
def store(tmp_path) -> AnnotationStore:
    store = AnnotationStore(tmp_path / "dashboard.sqlite")
    yield store
    store.dispose()


def test_store_and_list(store):
    typhoon = store.add(D(2026, 9, 5), D(2026, 9, 7), "Typhoon Yagi", note="Power cut in two estates", created_by="ana")
    contractor = store.add(D(2026, 10, 1), D(2026, 10, 1), "New cleaning contractor", estates=["E02", "E01", "E01"])
    assert store.path.exists()
    listed = store.list(Scope.everything())
    assert [a.label for a in listed] == ["New cleaning contractor", "Typhoon Yagi"]  # newest first
    assert listed[0].estates == ("E01", "E02") and listed[1].estates == ()
    assert listed[1].note == "Power cut in two estates" and listed[1].created_by == "ana"
    assert (typhoon.start, typhoon.end) == (D(2026, 9, 5), D(2026, 9, 7))
    assert contractor.annotation_id != typhoon.annotation_id


def test_list_by_period_and_estates(store):
    store.add(D(2026, 9, 5), D(2026, 9, 7), "Typhoon")  # the whole group
    store.add(D(2026, 9, 20), D(2026, 10, 10), "Staffing change", estates=["E01"])
    store.add(D(2026, 11, 1), D(2026, 11, 2), "Lift works", estates=["E02"])
    labels = lambda found: sorted(a.label for a in found)
    assert labels(store.list(Scope.everything(), start=D(2026, 9, 7), end=D(2026, 9, 20))) == ["Staffing change", "Typhoon"]
    assert labels(store.list(Scope.everything(), start=D(2026, 10, 11), end=D(2026, 10, 31))) == []
    # Group-wide events concern every selection; estate events only selections with their estates.
    assert labels(store.list(Scope.everything(), estates=frozenset({"E02"}))) == ["Lift works", "Typhoon"]
    assert labels(store.list(Scope.everything(), estates=frozenset())) == ["Lift works", "Staffing change", "Typhoon"]


def test_scope(store):
    store.add(D(2026, 9, 5), D(2026, 9, 7), "Typhoon")
    store.add(D(2026, 9, 20), D(2026, 9, 21), "Shared works", estates=["E01", "E03"])
    store.add(D(2026, 11, 1), D(2026, 11, 2), "Lift works", estates=["E02"])
    manager = Scope.of({"E01"})
    seen = store.list(manager)
    assert sorted(a.label for a in seen) == ["Shared works", "Typhoon"]
    assert next(a for a in seen if a.label == "Shared works").estates == ("E01",)  # never the names of others' estates
    assert store.list(Scope.of(())) == [a for a in store.list(Scope.of(())) if not a.estates]
    with pytest.raises(AnnotationError) as group_wide:
        store.add(D(2026, 9, 1), D(2026, 9, 1), "Mine", scope=manager)
    assert group_wide.value.key == "estates_required"
    with pytest.raises(AnnotationError) as outside:
        store.add(D(2026, 9, 1), D(2026, 9, 1), "Mine", estates=["E01", "E02"], scope=manager)
    assert outside.value.key == "estates_outside"
    own = store.add(D(2026, 9, 1), D(2026, 9, 1), "Mine", estates=["E01"], scope=manager)
    typhoon = next(a for a in store.list(Scope.everything()) if a.label == "Typhoon")
    with pytest.raises(AnnotationError):
        store.delete(typhoon.annotation_id, manager)  # group-wide: only someone who sees every estate
    assert store.delete(own.annotation_id, manager) is True
    assert store.delete(typhoon.annotation_id, Scope.everything()) is True
    assert store.delete(typhoon.annotation_id, Scope.everything()) is False
    assert sorted(a.label for a in store.list(Scope.everything())) == ["Lift works", "Shared works"]


@pytest.mark.parametrize(
    "start, end, label, key",
    [
        (D(2026, 9, 5), D(2026, 9, 4), "Reversed", "dates_reversed"),
        (D(2026, 9, 5), D(2026, 9, 5), "  ", "label_missing"),
        (D(2026, 9, 5), D(2026, 9, 5), "x" * 61, "label_long"),
        (None, D(2026, 9, 5), "No start", "dates_missing"),
        (D(2025, 1, 1), D(2026, 9, 5), "Too long", "too_long"),
    ],
)
def test_invalid_annotations(store, start, end, label, key):
    with pytest.raises(AnnotationError) as problem:
        store.add(start, end, label)
    assert problem.value.key == key
    assert store.list(Scope.everything()) == []


def weekly_frame(mondays: list[str]) -> pd.DataFrame:
    rows = []
    for week in mondays:
        for area in ("security", "repair"):
            rows.append({"week": week, "service_area": area, "tickets": 10, "responded": 10, "resolved": 10,
                         "response_median": 8.0, "response_p90": 20.0, "resolution_median": 12.0})
    return pd.DataFrame(rows)


def test_annotation_shades_the_weeks_it_touches_on_a_trend_figure():
    weekly = weekly_frame(["2026-11-02", "2026-11-09", "2026-11-16"])
    typhoon = Annotation(1, D(2026, 11, 11), D(2026, 11, 12), "Typhoon", "", ())
    before = Annotation(2, D(2026, 10, 1), D(2026, 10, 3), "Long before", "", ())
    fig = response_figures.reply_trend(weekly, 15, "en", annotations=[typhoon, before])
    shaded = [s for s in fig.layout.shapes if s.type == "rect"]
    # The week of 9 November, half a week either side of its point, in both panels; nothing for the early event.
    assert {(pd.Timestamp(s.x0), pd.Timestamp(s.x1)) for s in shaded} == {(pd.Timestamp("2026-11-05 12:00"), pd.Timestamp("2026-11-12 12:00"))}
    assert len(shaded) == 2
    labels = [a.text for a in fig.layout.annotations if "Typhoon" in (a.text or "")]
    assert labels == ["▍Typhoon"]
    assert not any("Long before" in (a.text or "") for a in fig.layout.annotations)


def test_annotation_is_clipped_to_the_weeks_shown():
    fig = response_figures.resolution_trend(weekly_frame(["2026-11-02", "2026-11-09"]), "en",
                                            annotations=[Annotation(1, D(2026, 10, 20), D(2026, 12, 31), "Works", "", ())])
    (shape,) = fig.layout.shapes
    assert (pd.Timestamp(shape.x0), pd.Timestamp(shape.x1)) == (pd.Timestamp("2026-10-29 12:00"), pd.Timestamp("2026-11-12 12:00"))


def test_no_annotations_leaves_the_figure_alone():
    fig = response_figures.resolution_trend(weekly_frame(["2026-11-02"]), "en")
    assert len(fig.layout.shapes) == 0
    assert add_annotations(fig, [], "en") is fig


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory):
    folder = tmp_path_factory.mktemp("annotated")
    url = f"sqlite:///{folder / 'demo.sqlite'}"
    generate_demo(Database(url), estates=6, tickets=4_000, months=3, seed=4, end=D(2026, 11, 22), progress=False)
    settings = Settings(today=D(2026, 11, 23), data_dir=folder / "data")
    return create_app(settings, url).server.test_client(), settings


def test_trend_charts_of_the_pages_show_annotations(dashboard):
    client, settings = dashboard
    store = annotation_store(settings.data_dir)
    store.add(D(2026, 11, 18), D(2026, 11, 18), "Water main burst")
    store.add(D(2026, 11, 18), D(2026, 11, 18), "Only E999", estates=["E999"])
    assert store_path(settings.data_dir).exists()
    result = post_callback(client, "response-reply-trend", "figure", {"url.search": "?estate=E001", "lang.data": "en"})
    texts = [a.get("text", "") for a in result["response-reply-trend.figure"]["layout"]["annotations"]]
    assert "▍Water main burst" in texts and not any("Only E999" in t for t in texts)
    escalations = post_callback(client, "escalations-by-week", "figure", {"url.search": "", "lang.data": "zh"})
    assert any("Water main burst" in a.get("text", "") for a in escalations["escalations-by-week.figure"]["layout"]["annotations"])
    satisfaction = post_callback(client, "satisfaction-trend", "figure", {"url.search": "", "lang.data": "en"})
    assert any("Water main burst" in a.get("text", "") for a in satisfaction["satisfaction-trend.figure"]["layout"]["annotations"])


def test_annotations_page_adds_lists_and_deletes(dashboard):
    client, settings = dashboard
    assert client.get("/annotations").status_code == 200
    added = post_callback(client, "annotation-feedback", "children", {
        "annotation-add.n_clicks": 1, "annotation-start.value": "2026-11-03", "annotation-end.value": "2026-11-05",
        "annotation-estates.value": ["E001"], "annotation-label.value": "New greening contractor",
        "annotation-note.value": "Contract started", "annotations-version.data": 0, "lang.data": "en",
    }, trigger="annotation-add.n_clicks")
    assert added["annotation-feedback.color"] == "success" and added["annotations-version.data"] == 1
    found = [a for a in annotation_store(settings.data_dir).list(Scope.everything()) if a.label == "New greening contractor"]
    assert len(found) == 1 and found[0].estates == ("E001",) and (found[0].start, found[0].end) == (D(2026, 11, 3), D(2026, 11, 5))
    refused = post_callback(client, "annotation-feedback", "children", {
        "annotation-add.n_clicks": 2, "annotation-start.value": "2026-11-05", "annotation-end.value": "2026-11-03",
        "annotation-label.value": "Backwards", "annotations-version.data": 1, "lang.data": "zh",
    }, trigger="annotation-add.n_clicks")
    assert refused["annotation-feedback.color"] == "warning" and refused["annotation-feedback.children"] == "结束日期早于开始日期。"
    listed = post_callback(client, "annotations-list", "children", {"annotations-version.data": 1, "lang.data": "en"})
    assert "New greening contractor" in str(listed["annotations-list.children"])
