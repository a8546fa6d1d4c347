"""Issue 22 item 4: agent state gives back exactly what was written, bit for bit.

Before the fix, stored JSON was parsed by serde_json without its ``float_roundtrip`` feature and
about 14% of random doubles came back 1 ULP off. Checked here for every double (hypothesis over
all finite doubles, plus subnormals and ±0.0 with their sign), integers up to the u64 / i64
limits, strings, nested containers, and on every read path: memory right after the write, the
write-ahead log after a reopen, Lance after a flush, a read-only reader, history and snapshots.
NaN and ±infinity are not JSON: ``put`` rejects them (documented in ``agentdb.state``)."""

from __future__ import annotations

import math
import struct
from pathlib import Path
from typing import Any, List

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import agentdb
from agentdb.errors import InvalidArgumentError

SETTINGS = settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

SPECIAL_FLOATS = [
    0.0,
    -0.0,
    5e-324,  # smallest subnormal
    -5e-324,
    2.2250738585072009e-308,  # largest subnormal
    2.2250738585072014e-308,  # smallest normal
    1.7976931348623157e308,
    -1.7976931348623157e308,
    0.1,
    0.30000000000000004,
    1e23,
    9007199254740993.0,
    123456789.12345679,
    2.0**-1074 * 3,
    math.pi,
]
BIG_INTS = [2**53, 2**53 + 1, -(2**53) - 1, 2**63 - 1, -(2**63), 2**63, 2**64 - 1, 0, -1]


def bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def same(a: Any, b: Any) -> bool:
    """Equal as JSON values, floats compared by their bits (so -0.0 != 0.0), ints by type too."""
    if isinstance(a, float) or isinstance(b, float):
        return type(a) is float and type(b) is float and bits(a) == bits(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int) or isinstance(b, int):
        return type(a) is int and type(b) is int and a == b
    if isinstance(a, (list, tuple)):
        return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def test_special_floats_and_big_ints(db: agentdb.Database, db_path: Path) -> None:
    s = db.state
    value = {"floats": SPECIAL_FLOATS, "ints": BIG_INTS, "neg_zero": -0.0, "nested": [{"z": -0.0}, [5e-324]]}
    s.put("a", "s", "k", value)
    assert same(s.get("a", "s", "k"), value)
    assert same(s.snapshot("a", "s")["k"], value)
    assert math.copysign(1.0, s.get("a", "s", "k")["neg_zero"]) == -1.0
    db.close()
    with agentdb.open(db_path) as again:  # replayed from the write-ahead log
        assert same(again.state.get("a", "s", "k"), value)
        again.flush()  # now in Lance
    with agentdb.open(db_path, read_only=True) as reader:
        assert same(reader.state.get("a", "s", "k"), value)
        assert same(reader.state.get_version("a", "s", "k").value, value)


def test_integers_beyond_64_bits_are_rejected(db: agentdb.Database) -> None:
    s = db.state
    for big in (2**64, -(2**63) - 1, 10**30):
        with pytest.raises(InvalidArgumentError, match="does not fit in 64 bits"):
            s.put("a", "s", "k", big)
        with pytest.raises(InvalidArgumentError, match="does not fit in 64 bits"):
            s.put("a", "s", "k", {"deep": [1, big]})
    assert s.keys("a", "s") == []


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_rejected(db: agentdb.Database, bad: float) -> None:
    s = db.state
    s.put("a", "s", "k", 1.5)
    with pytest.raises(InvalidArgumentError, match="NaN and infinity are not allowed"):
        s.put("a", "s", "k", bad)
    with pytest.raises(InvalidArgumentError, match="NaN and infinity are not allowed"):
        s.put_many("a", "s", {"k": [1.0, bad]})
    assert same(s.get("a", "s", "k"), 1.5)
    assert [v.version for v in s.history("a", "s", "k")] == [1]


@SETTINGS
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=40))
def test_every_double_round_trips(db: agentdb.Database, floats: List[float]) -> None:
    s = db.state
    s.put("a", "s", "f", floats)
    back = s.get("a", "s", "f")
    assert [bits(x) for x in back] == [bits(x) for x in floats]
    assert all(type(x) is float for x in back)


@SETTINGS
@given(st.lists(st.integers(min_value=0, max_value=2**64 - 1).map(lambda b: struct.unpack("<d", struct.pack("<Q", b))[0]),
                min_size=1, max_size=40))
def test_every_bit_pattern_round_trips(db: agentdb.Database, floats: List[float]) -> None:
    """Uniform over bit patterns (hypothesis's float strategy favours simple values): most are
    far from 'nice' decimals, and a quarter of these are tiny or huge."""
    finite = [x for x in floats if math.isfinite(x)]
    s = db.state
    s.put("a", "s", "bits", finite)
    assert [bits(x) for x in s.get("a", "s", "bits")] == [bits(x) for x in finite]


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=30,
)


def test_round_trip_through_every_read_path(db_path: Path) -> None:
    """Many random JSON values, written once, then read from memory, from the log after a
    reopen, and from Lance after a flush (read-only reader)."""
    values: List[Any] = []

    @settings(max_examples=150, deadline=None, derandomize=True)
    @given(JSON)
    def collect(v: Any) -> None:
        values.append(v)

    collect()
    with agentdb.connect(db_path) as db:
        s = db.state
        s.put_many("a", "s", {f"k{i}": v for i, v in enumerate(values)})
        for i, v in enumerate(values):
            assert same(s.get("a", "s", f"k{i}"), v), v
    with agentdb.open(db_path) as db:
        snap = db.state.snapshot("a", "s")
        for i, v in enumerate(values):
            assert same(snap[f"k{i}"], v), v
        db.flush()
    with agentdb.open(db_path, read_only=True) as db:
        s = db.state
        for i, v in enumerate(values):
            assert same(s.get("a", "s", f"k{i}"), v), v
            assert same(s.history("a", "s", f"k{i}")[0].value, v), v


def test_checkpoint_metadata_is_exact_and_filters_by_exact_value(db: agentdb.Database) -> None:
    s = db.state
    meta = {"score": 0.1 + 0.2, "tiny": 5e-324, "neg": -0.0, "big": 2**64 - 1}
    s.put_checkpoint("t", "1", b"payload", metadata=meta)
    assert same(s.get_checkpoint("t").metadata, meta)
    db.flush()
    assert [c.checkpoint_id for c in s.list_checkpoints(metadata={"score": 0.30000000000000004})] == ["1"]
    assert s.list_checkpoints(metadata={"score": 0.3}) == []
