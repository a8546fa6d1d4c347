"""LlamaIndex MetadataFilters on AgentDBVectorStore, every operator and condition LlamaIndex
defines, checked against a brute-force evaluation in Python over random metadata and random
nested filters. The evaluator follows LlamaIndex's reference (``build_metadata_filter_fn``, the
SimpleVectorStore's), extended to nesting as LlamaIndex's own stores read it; it is itself checked
against that reference on flat filters."""

from __future__ import annotations

import random
from typing import Any, Callable, Dict, List, Mapping, Optional, Union

import pytest
from llama_index.core.schema import TextNode
from llama_index.core.vector_stores import SimpleVectorStore
from llama_index.core.vector_stores.types import (
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
)

import agentdb
from agentdb.errors import InvalidFilterError
from agentdb.integrations.llamaindex import AgentDBVectorStore

Op = FilterOperator
#: What each operator is generated for, per value type of the key (a filter of another type is
#: a type error in LlamaIndex's reference as in the engine, so none is generated).
OPS_BY_TYPE: Dict[str, List[Op]] = {
    "str": [Op.EQ, Op.NE, Op.GT, Op.GTE, Op.LT, Op.LTE, Op.IN, Op.NIN, Op.CONTAINS, Op.TEXT_MATCH, Op.ANY, Op.ALL,
            Op.IS_EMPTY],
    "num": [Op.EQ, Op.NE, Op.GT, Op.GTE, Op.LT, Op.LTE, Op.IN, Op.NIN, Op.IS_EMPTY],
    "list": [Op.CONTAINS, Op.ANY, Op.ALL, Op.IS_EMPTY],
}
#: Refused with a typed error, and why (the engine has no case-insensitive operator).
REFUSED = {Op.TEXT_MATCH_INSENSITIVE}
KEYS = {"genre": "str", "note": "str", "year": "num", "rating": "num", "tags": "list"}
GENRES = ["drama", "comedy", "horror", "noir", ""]
WORDS = ["film", "good", "great", "noir", "the"]
TAGS = ["a", "b", "c", "d"]


def test_every_operator_and_condition_is_covered() -> None:
    generated = {op for ops in OPS_BY_TYPE.values() for op in ops}
    assert generated | REFUSED == set(FilterOperator), "an operator LlamaIndex defines is neither tested nor refused"
    assert not generated & REFUSED
    assert set(FilterCondition) == {FilterCondition.AND, FilterCondition.OR, FilterCondition.NOT}


def _random_metadata(rng: random.Random) -> Dict[str, Any]:
    meta: Dict[str, Any] = {}
    if rng.random() < 0.8:
        meta["genre"] = rng.choice(GENRES)
    if rng.random() < 0.7:
        meta["note"] = " ".join(rng.sample(WORDS, rng.randint(0, 3)))
    if rng.random() < 0.8:
        meta["year"] = rng.randint(1995, 2025)
    if rng.random() < 0.7:
        meta["rating"] = round(rng.uniform(0, 10), 1) if rng.random() < 0.8 else rng.randint(0, 10)
    if rng.random() < 0.7:
        meta["tags"] = rng.sample(TAGS, rng.randint(0, 3))  # [] included
    return meta


def _random_value(rng: random.Random, key: str, op: Op) -> Any:
    kind = KEYS[key]
    if op == Op.IS_EMPTY:
        return None
    if op in (Op.IN, Op.NIN, Op.ANY, Op.ALL):
        pool = {"str": GENRES + WORDS, "num": list(range(1995, 2026)), "list": TAGS}[kind]
        if key == "rating":
            pool = [x / 2 for x in range(21)]
        return rng.sample(pool, rng.randint(0, 3))
    if kind == "list" or op in (Op.CONTAINS, Op.TEXT_MATCH):
        return rng.choice(TAGS if kind == "list" else WORDS + ["oo", "dra"])
    if kind == "str":
        return rng.choice(GENRES + ["e", "m"])
    return rng.randint(1995, 2025) if key == "year" else rng.choice([5, 5.5, 7.0, 8.2])


def _random_leaf(rng: random.Random) -> MetadataFilter:
    key = rng.choice(list(KEYS))
    op = rng.choice(OPS_BY_TYPE[KEYS[key]])
    return MetadataFilter(key=key, operator=op, value=_random_value(rng, key, op))


def _random_filters(rng: random.Random, depth: int) -> MetadataFilters:
    children: List[Union[MetadataFilter, MetadataFilters]] = []
    for _ in range(rng.randint(1, 3)):
        children.append(_random_filters(rng, depth - 1) if depth > 0 and rng.random() < 0.35 else _random_leaf(rng))
    return MetadataFilters(filters=children, condition=rng.choice(list(FilterCondition)))


def _leaf_holds(f: MetadataFilter, metadata: Mapping[str, Any], store: bool) -> bool:
    """LlamaIndex's reference semantics of one filter; with ``store``, AgentDB's documented
    exception: an empty list is kept out of the columns (in the side table), so conditions
    other than ``is_empty`` see the key as missing (this differs from the reference only for
    ``all`` of an empty list, which the reference holds for ``[]``)."""
    value = metadata.get(f.key)
    op, want = f.operator, f.value
    if op == Op.IS_EMPTY:
        return value is None or value == "" or value == []
    if store and value == []:
        value = None
    if value is None:
        return op in (Op.NE, Op.NIN)
    table: Dict[Op, Callable[[], bool]] = {
        Op.EQ: lambda: value == want,
        Op.NE: lambda: value != want,
        Op.GT: lambda: value > want,
        Op.GTE: lambda: value >= want,
        Op.LT: lambda: value < want,
        Op.LTE: lambda: value <= want,
        Op.IN: lambda: value in want,
        Op.NIN: lambda: value not in want,
        Op.CONTAINS: lambda: want in value,
        Op.TEXT_MATCH: lambda: want in value,
        Op.ANY: lambda: any(v in value for v in want),
        Op.ALL: lambda: all(v in value for v in want),
    }
    return table[op]()


def _holds(filters: MetadataFilters, metadata: Mapping[str, Any], store: bool = True) -> bool:
    results = [
        _holds(f, metadata, store) if isinstance(f, MetadataFilters) else _leaf_holds(f, metadata, store)
        for f in filters.filters
    ]
    condition = filters.condition or FilterCondition.AND
    if condition == FilterCondition.AND:
        return all(results)
    if condition == FilterCondition.OR:
        return any(results)
    return not any(results)  # NOT: none of them holds


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Any:
    rng = random.Random(1616)
    metas = [_random_metadata(rng) for _ in range(60)]
    nodes = [
        TextNode(id_=f"n{i:02d}", text=f"node {i}", metadata=m, embedding=[1.0, float(i % 7) / 7 + 0.1, 0.5])
        for i, m in enumerate(metas)
    ]
    db = agentdb.connect(tmp_path_factory.mktemp("filters") / "db")
    store = AgentDBVectorStore(db=db, collection_name="random")
    store.add(nodes)
    reference = SimpleVectorStore()
    reference.add(nodes)
    yield store, reference, {n.node_id: m for n, m in zip(nodes, metas)}
    db.close()


def _ids(store: Any, filters: Optional[MetadataFilters]) -> set:
    q = VectorStoreQuery(query_embedding=[1.0, 0.3, 0.5], similarity_top_k=100, filters=filters)
    return set(store.query(q).ids)


def test_the_evaluator_agrees_with_llamaindex_reference(data: Any) -> None:
    _, reference, metas = data
    rng = random.Random(1)
    for _ in range(150):
        flat = MetadataFilters(filters=[_random_leaf(rng) for _ in range(rng.randint(1, 3))],
                               condition=rng.choice(list(FilterCondition)))
        assert _ids(reference, flat) == {i for i, m in metas.items() if _holds(flat, m, store=False)}, flat


@pytest.mark.parametrize("op", sorted(set(FilterOperator) - REFUSED, key=lambda o: o.value), ids=lambda o: o.value)
def test_each_operator_against_brute_force(data: Any, op: Op) -> None:
    store, _, metas = data
    rng = random.Random(op.value)
    keys = [k for k, kind in KEYS.items() if op in OPS_BY_TYPE[kind]]
    nonempty = 0
    for _ in range(30):
        key = rng.choice(keys)
        leaf = MetadataFilter(key=key, operator=op, value=_random_value(rng, key, op))
        for condition in FilterCondition:
            filters = MetadataFilters(filters=[leaf], condition=condition)
            expected = {i for i, m in metas.items() if _holds(filters, m)}
            assert _ids(store, filters) == expected, (leaf, condition)
            nonempty += bool(expected) and len(expected) < len(metas)
    assert nonempty > 10  # the checks were not all trivially empty or everything


def test_random_nested_filters_against_brute_force(data: Any) -> None:
    store, _, metas = data
    rng = random.Random(16)
    sizes = set()
    for _ in range(250):
        filters = _random_filters(rng, depth=3)
        expected = {i for i, m in metas.items() if _holds(filters, m)}
        assert _ids(store, filters) == expected, filters
        sizes.add(len(expected))
    assert len(sizes) > 15


def test_refused_operator_is_a_typed_error(data: Any) -> None:
    store, _, _ = data
    for op in REFUSED:
        leaf = MetadataFilter(key="note", operator=op, value="FILM")
        with pytest.raises(InvalidFilterError, match=op.value):
            _ids(store, MetadataFilters(filters=[leaf]))
        nested = MetadataFilters(filters=[MetadataFilters(filters=[leaf]), _random_leaf(random.Random(0))])
        with pytest.raises(InvalidFilterError):
            _ids(store, nested)
