"""Filters: SQL strings and dict filters, each operator, datetimes, lists, and injection."""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Optional

import numpy as np
import pytest
from _helpers import raises_exactly, snapshot

import agentdb
from agentdb.errors import InvalidFilterError

UTC = dt.timezone.utc

ROWS: Dict[str, Dict[str, Any]] = {
    "r0": {"lang": "en", "year": 2018, "score": 0.1, "ok": True, "ts": dt.datetime(2023, 1, 1), "tags": ["a", "b"]},
    "r1": {"lang": "fr", "year": 2020, "score": 0.5, "ok": False, "ts": dt.datetime(2024, 1, 1), "tags": ["b"]},
    "r2": {"lang": "en", "year": 2021, "score": 0.9, "ok": True, "ts": dt.datetime(2024, 6, 1, 12), "tags": []},
    "r3": {"lang": "de", "year": 2022, "ts": dt.datetime(2025, 1, 1)},
    "r4": {"lang": "english", "tags": ["c"]},
    "r5": {},
}
DOCS: Dict[str, Optional[str]] = {"r0": "alpha", "r1": "beta", "r2": None, "r3": "gamma", "r4": "alphabet", "r5": None}


@pytest.fixture
def fc(db: agentdb.Database) -> agentdb.Collection:
    c = db.create_collection("filters", dim=2, metric="l2")
    ids = list(ROWS)
    vectors = np.array([[i, 0] for i in range(len(ids))], dtype=np.float32)
    c.add(ids, vectors, documents=[DOCS[i] for i in ids], metadata=[ROWS[i] for i in ids])
    return c


def matching(c: agentdb.Collection, where: Any) -> List[str]:
    """The ids matching ``where``, checked to agree across get, count and search."""
    ids = sorted(c.get(where=where).ids)
    assert c.count(where) == len(ids), where
    hits = c.search(np.zeros(2, np.float32), k=100, where=where)
    assert sorted(hits.ids) == ids, where
    return ids


DICT_CASES = [
    ({"lang": "en"}, ["r0", "r2"]),
    ({"lang": {"$eq": "en"}}, ["r0", "r2"]),
    ({"lang": {"$ne": "en"}}, ["r1", "r3", "r4"]),  # records without the key never match
    ({"year": {"$gt": 2020}}, ["r2", "r3"]),
    ({"year": {"$gte": 2020}}, ["r1", "r2", "r3"]),
    ({"year": {"$lt": 2020}}, ["r0"]),
    ({"year": {"$lte": 2020}}, ["r0", "r1"]),
    ({"year": {"$gte": 2019, "$lt": 2022}}, ["r1", "r2"]),
    ({"score": {"$gt": 0.4}}, ["r1", "r2"]),
    ({"score": {"$lte": 1}}, ["r0", "r1", "r2"]),  # an int against a float field
    ({"year": {"$gt": 2020.5}}, ["r2", "r3"]),  # a float against an int field
    ({"ok": True}, ["r0", "r2"]),
    ({"ok": {"$ne": True}}, ["r1"]),
    ({"lang": {"$in": ["fr", "de"]}}, ["r1", "r3"]),
    ({"lang": {"$nin": ["fr", "de"]}}, ["r0", "r2", "r4"]),
    ({"year": {"$in": []}}, []),
    ({"tags": {"$contains": "b"}}, ["r0", "r1"]),
    ({"lang": {"$contains": "gli"}}, ["r4"]),  # substring of a str field
    ({"tags": {"$exists": True}}, ["r0", "r1", "r2", "r4"]),
    ({"tags": {"$exists": False}}, ["r3", "r5"]),
    ({"year": {"$exists": False}}, ["r4", "r5"]),
    ({"$or": [{"lang": "fr"}, {"year": 2022}]}, ["r1", "r3"]),
    ({"$and": [{"lang": "en"}, {"year": {"$gt": 2018}}]}, ["r2"]),
    ({"$not": {"lang": "en"}}, ["r1", "r3", "r4"]),
    ({"lang": "en", "ok": True, "year": 2021}, ["r2"]),
    ({"id": {"$in": ["r1", "r5", "nope"]}}, ["r1", "r5"]),
    ({"document": {"$contains": "alpha"}}, ["r0", "r4"]),
    ({"document": {"$exists": False}}, ["r2", "r5"]),
    ({"never_seen_key": 1}, []),
    ({"never_seen_key": {"$exists": False}}, ["r0", "r1", "r2", "r3", "r4", "r5"]),
    ({}, ["r0", "r1", "r2", "r3", "r4", "r5"]),
]


@pytest.mark.parametrize("where,expected", DICT_CASES, ids=[str(w) for w, _ in DICT_CASES])
def test_dict_filters(fc: agentdb.Collection, where: Dict[str, Any], expected: List[str]) -> None:
    assert matching(fc, where) == expected


SQL_CASES = [
    ("lang = 'en'", ["r0", "r2"]),
    ("lang != 'en'", ["r1", "r3", "r4"]),
    ("year > 2020", ["r2", "r3"]),
    ("year >= 2020 AND lang = 'en'", ["r2"]),
    ("year < 2020 OR lang = 'de'", ["r0", "r3"]),
    ("year <= 2020", ["r0", "r1"]),
    ("year IN (2018, 2022)", ["r0", "r3"]),
    ("lang NOT IN ('en', 'fr')", ["r3", "r4"]),
    ("year BETWEEN 2019 AND 2021", ["r1", "r2"]),
    ("lang LIKE 'en%'", ["r0", "r2", "r4"]),
    ("ok = true", ["r0", "r2"]),
    ("score < 0.5", ["r0"]),
    ("year IS NULL", ["r4", "r5"]),
    ("document IS NULL", ["r2", "r5"]),
    ("NOT (lang = 'en')", ["r1", "r3", "r4"]),
    ("id = 'r3'", ["r3"]),
    ("array_has(tags, 'b')", ["r0", "r1"]),
    ("ts >= TIMESTAMP '2024-01-01 00:00:00'", ["r1", "r2", "r3"]),
    ("", ["r0", "r1", "r2", "r3", "r4", "r5"]),
]


@pytest.mark.parametrize("where,expected", SQL_CASES, ids=[w or "<empty>" for w, _ in SQL_CASES])
def test_sql_filters(fc: agentdb.Collection, where: str, expected: List[str]) -> None:
    assert matching(fc, where) == expected


def test_datetime_filters(fc: agentdb.Collection) -> None:
    cut = dt.datetime(2024, 1, 1)
    assert matching(fc, {"ts": {"$gte": cut}}) == ["r1", "r2", "r3"]
    assert matching(fc, {"ts": {"$gt": cut}}) == ["r2", "r3"]
    assert matching(fc, {"ts": cut}) == ["r1"]
    # Aware datetimes compare in UTC: 2024-01-01 01:00+01:00 is 2024-01-01 00:00Z.
    plus_one = dt.timezone(dt.timedelta(hours=1))
    assert matching(fc, {"ts": dt.datetime(2024, 1, 1, 1, tzinfo=plus_one)}) == ["r1"]
    # RFC 3339 strings work too.
    assert matching(fc, {"ts": {"$lt": "2024-01-01T00:00:00Z"}}) == ["r0"]
    assert matching(fc, {"ts": {"$in": [dt.datetime(2023, 1, 1), dt.datetime(2025, 1, 1, tzinfo=UTC)]}}) == ["r0", "r3"]
    # created_at / updated_at are filterable columns.
    assert len(matching(fc, {"created_at": {"$lte": dt.datetime.now(UTC) + dt.timedelta(minutes=5)}})) == 6


def test_filter_with_search_is_prefiltered(fc: agentdb.Collection) -> None:
    # The nearest records to (0, 0) are r0, r1, …; with a filter the k nearest *matching* come back.
    res = fc.search(np.zeros(2, np.float32), k=2, where={"lang": {"$in": ["de", "english"]}})
    assert res.ids == ["r3", "r4"]
    np.testing.assert_allclose(res.distances, [9.0, 16.0])
    res = fc.search(np.zeros(2, np.float32), k=1, where="year >= 2021")
    assert res.ids == ["r2"]


def test_delete_with_filters(fc: agentdb.Collection) -> None:
    assert fc.delete(where={"lang": "en"}) == 2
    assert fc.delete(where="year >= 2022") == 1
    assert fc.delete(ids=["r1", "r4", "r5"], where={"lang": "fr"}) == 1  # both: ids AND filter
    assert sorted(fc.get().ids) == ["r4", "r5"]
    assert fc.delete(where="TRUE") == 2
    assert fc.count() == 0


INJECTIONS = ["x' OR 1=1 --", "x' OR '1'='1", "'; DROP TABLE filters; --", "en' OR lang != '", "\\' OR 1=1 --"]


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_matches_and_deletes_nothing(fc: agentdb.Collection, value: str) -> None:
    before = snapshot(fc)
    for where in ({"lang": value}, {"lang": {"$in": [value]}}, {"tags": {"$contains": value}}, {"id": value}):
        assert matching(fc, where) == [], where
        assert fc.delete(where=where) == 0
    assert fc.get(ids=[value]).ids == []
    assert fc.delete(ids=[value]) == 0
    assert snapshot(fc) == before


def test_quotes_in_ids_and_values_round_trip(db: agentdb.Database) -> None:
    c = db.create_collection("quotes", dim=2, metric="l2")
    ids = ["o'brien", "x' OR 1=1 --", 'double"quote', "back\\slash"]
    c.add(ids, np.ones((4, 2), np.float32), metadata=[{"name": i} for i in ids])
    assert c.get(ids).ids == ids
    for i in ids:
        assert matching(c, {"name": i}) == [i]
        assert matching(c, {"id": i}) == [i]
    assert c.delete(["o'brien"]) == 1
    assert sorted(c.get().ids) == sorted(ids[1:])


BAD_FILTERS: List[Any] = [
    "lang = = 'en'",  # syntax
    "no_such_column = 1",  # unknown column
    "year > 'abc' AND",  # trailing operator
    {"year": {"$like": 1}},  # unknown operator
    {"year": "2020"},  # wrong value type
    {"tags": "a"},  # equality on a list field
    {"$or": []},
    {"$nope": 1},
    {"bad key": 1},
    {"lang": {"$in": "en"}},  # $in takes a list
    {"ts": {"$gt": "yesterday"}},  # not a datetime
    {"lang": {"$eq": {1, 2}}},  # unsupported value type
    ["lang", "en"],  # neither str nor dict
    42,
]


@pytest.mark.parametrize("where", BAD_FILTERS, ids=[repr(w) for w in BAD_FILTERS])
def test_bad_filters(fc: agentdb.Collection, where: Any) -> None:
    before = snapshot(fc)
    for call in (
        lambda: fc.count(where),
        lambda: fc.get(where=where),
        lambda: fc.search(np.zeros(2, np.float32), k=3, where=where),
        lambda: fc.delete(where=where),
    ):
        with raises_exactly(InvalidFilterError):
            call()
    assert snapshot(fc) == before
