"""Write-ahead log records whose checksum is valid but whose content is not (issue 22): never an
``InternalError`` nor a record that trips later reads, but a ``StorageError`` naming the segment
file and the record's byte offset, with the rest of the log still recovered.

A child process writes through the log and dies without closing (the log then holds the
writes); the test rewrites one record of collection ``v`` in place (same LSN, valid CRC-32C) and
reopens. The other collection, the agent state and the records after the damaged one come
back; ``v`` fails with the ``StorageError`` until it is repaired or dropped."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Callable, Dict, List, NamedTuple

import pytest

import agentdb
from agentdb.errors import AgentDBError, StorageError

ROOT = Path(__file__).resolve().parents[1]
MAGIC = b"AGDBWAL1"
HEADER = 8


def _crc_table() -> List[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = 0x82F63B78 ^ (c >> 1) if c & 1 else c >> 1
        table.append(c)
    return table


CRC_TABLE = _crc_table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for b in data:
        crc = CRC_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def test_crc32c_is_the_logs() -> None:
    assert crc32c(b"123456789") == 0xE3069283


class Rec(NamedTuple):
    offset: int
    lsn: int
    stream: bytes
    payload: bytes


def records(data: bytes) -> List[Rec]:
    """The records of a segment, up to the zeros written ahead of its end."""
    assert data[:8] == MAGIC
    out, pos = [], len(MAGIC)
    while pos + HEADER <= len(data):
        n, crc = struct.unpack_from("<II", data, pos)
        body = data[pos + HEADER : pos + HEADER + n]
        if n < 10 or len(body) < n or crc32c(body) != crc:
            break
        (lsn, slen) = struct.unpack_from("<QH", body, 0)
        out.append(Rec(pos, lsn, body[10 : 10 + slen], body[10 + slen :]))
        pos += HEADER + n
    return out


def encode(lsn: int, stream: bytes, payload: bytes) -> bytes:
    body = struct.pack("<QH", lsn, len(stream)) + stream + payload
    return struct.pack("<II", len(body), crc32c(body)) + body


WRITE_AND_CRASH = """
    import os, sys
    import agentdb
    db = agentdb.open(sys.argv[1])
    v = db.create_collection("v", dim=3, metric="l2")
    w = db.create_collection("w", dim=3, metric="l2")
    v.add(["v0"], [[0.0, 0.0, 1.0]], metadata=[{"lang": "en"}])
    db.flush()  # v0 and the column "lang" are in Lance
    for i in range(1, 6):
        v.add([f"v{i}"], [[float(i), 1.0, 2.0]], documents=[f"doc {i}"], metadata=[{"lang": "en"}])
        w.add([f"w{i}"], [[float(i), 2.0, 3.0]])
    db.state.put("agent", "s", "k", {"x": 1.5})
    w.add(["w6"], [[6.0, 2.0, 3.0]])
    os._exit(0)
"""


def crashed_writer(db_path: Path) -> Path:
    """Runs the writer; returns the log segment holding its unflushed records. The background
    flusher (once a second) may have moved some to Lance before the crash on a slow machine:
    then the run is repeated on a fresh directory."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "python"), env.get("PYTHONPATH")]))
    for _ in range(5):
        shutil.rmtree(db_path, ignore_errors=True)
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(WRITE_AND_CRASH), str(db_path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        seg = sorted((db_path / "_agentdb" / "wal").glob("*.wal"))[-1]
        streams = [r.stream for r in records(seg.read_bytes())]
        flushed = db_path / "_agentdb" / "wal" / "flushed.json"
        marks = json.loads(flushed.read_text()) if flushed.exists() else {}
        if (streams.count(b"collection:v"), streams.count(b"collection:w"), streams.count(b"state")) == (5, 6, 1) and all(
            marks.get(s, 0) == 0 for s in ("collection:w", "state")
        ):
            return seg
    pytest.fail("the background flusher flushed the writer's records before every crash")


# A put payload, as rust/engine/src/buffer.rs encodes it: op 1, row count u32, then per row the
# id (u32 length + bytes), created i64, updated i64, document flag (+ string), vector length u32
# and f32s, metadata count u32 and entries.
def put_offsets(payload: bytes) -> Dict[str, int]:
    (idlen,) = struct.unpack_from("<I", payload, 5)
    created = 9 + idlen
    doc = created + 16
    at = doc + 1
    if payload[doc]:
        (dlen,) = struct.unpack_from("<I", payload, at)
        at += 4 + dlen
    return {"rows": 1, "id_len": 5, "created": created, "dim": at, "vector": at + 4}


def set_u32(p: bytes, at: int, v: int) -> bytes:
    return p[:at] + struct.pack("<I", v) + p[at + 4 :]


DAMAGE: Dict[str, Callable[[bytes], bytes]] = {
    "garbage payload": lambda p: bytes((i * 37 ^ 0xA5) & 0xFF for i in range(len(p))),
    "huge row count": lambda p: set_u32(p, 1, 0xFFFFFFF0),
    "huge id length": lambda p: set_u32(p, 5, 0xFFFFFFF0),
    "huge vector length": lambda p: set_u32(p, put_offsets(p)["dim"], 0x40000000),
    # A 2-d vector in a 3-d collection: the row re-laid with one value fewer.
    "wrong dimension": lambda p: set_u32(p, put_offsets(p)["dim"], 2)[: put_offsets(p)["vector"] + 8]
    + p[put_offsets(p)["vector"] + 12 :],
    "NaN in the vector": lambda p: p[: put_offsets(p)["vector"] + 4]
    + struct.pack("<f", float("nan"))
    + p[put_offsets(p)["vector"] + 8 :],
    "timestamp out of range": lambda p: p[: put_offsets(p)["created"]]
    + struct.pack("<q", -(2**62))
    + p[put_offsets(p)["created"] + 8 :],
    "empty payload": lambda p: b"",
    "truncated payload": lambda p: p[: len(p) // 2],
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_bad_collection_record_is_a_storage_error_and_the_rest_is_recovered(db_path: Path, damage: str) -> None:
    seg = crashed_writer(db_path)
    data = seg.read_bytes()
    recs = records(data)
    v_recs = [r for r in recs if r.stream == b"collection:v"]
    assert len(v_recs) == 5, recs
    target = v_recs[2]  # the write of v3: records of v, w and the state follow it
    assert any(r.lsn > target.lsn and r.stream == b"collection:w" for r in recs)
    new = encode(target.lsn, target.stream, DAMAGE[damage](target.payload))
    # Rewrite the log from the target on: the damaged record, then every record after it.
    tail = b"".join(encode(r.lsn, r.stream, r.payload) for r in recs if r.lsn > target.lsn)
    seg.write_bytes(data[: target.offset] + new + tail + b"\0" * 4096)

    with agentdb.open(db_path) as db:
        # The rest of the log is recovered: the other collection (also its record after the
        # damaged one) and the agent state.
        w = db.get_collection("w")
        assert sorted(w.get().ids) == [f"w{i}" for i in range(1, 7)]
        assert db.state.get("agent", "s", "k") == {"x": 1.5}
        # The damaged collection names the file and the offset, every time it is asked for.
        for _ in range(2):
            with pytest.raises(StorageError) as info:
                db.get_collection("v")
            msg = str(info.value)
            assert str(seg) in msg, msg
            assert f"at byte {target.offset}" in msg, msg
            assert f"LSN {target.lsn}" in msg, msg
        assert "v" in db.list_collections()
    # Not dropped on the way: the next open finds it again.
    with agentdb.open(db_path) as db:
        with pytest.raises(StorageError, match=re.escape(f"at byte {target.offset}")):
            db.get_collection("v")
        # Dropping the collection discards its records; the database is whole again.
        db.drop_collection("v")
    with agentdb.open(db_path) as db:
        assert "v" not in db.list_collections()
        assert len(db.get_collection("w").get().ids) == 6


def test_a_bad_state_record_fails_the_open_with_a_storage_error(db_path: Path) -> None:
    seg = crashed_writer(db_path)
    data = seg.read_bytes()
    recs = records(data)
    (target,) = [r for r in recs if r.stream == b"state"]
    new = encode(target.lsn, target.stream, b"\xee" * len(target.payload))
    seg.write_bytes(data[: target.offset] + new + data[target.offset + len(new) :])
    with pytest.raises(StorageError) as info:
        agentdb.open(db_path)
    assert not isinstance(info.value, agentdb.InternalError)
    msg = str(info.value)
    assert str(seg) in msg and f"at byte {target.offset}" in msg, msg
    # The log is untouched: the same error again, and a read-only open reads what Lance has.
    with pytest.raises(StorageError, match=re.escape(f"at byte {target.offset}")):
        agentdb.open(db_path)
    with agentdb.open(db_path, read_only=True) as ro:
        assert ro.get_collection("v").get().ids == ["v0"]


@pytest.mark.parametrize("stream", [b"\xff\xfe collection", b"bogus"])
def test_a_record_of_an_unreadable_or_unknown_stream_fails_the_open(db_path: Path, stream: bytes) -> None:
    seg = crashed_writer(db_path)
    data = seg.read_bytes()
    recs = records(data)
    target = recs[3]
    tail = b"".join(encode(r.lsn, r.stream, r.payload) for r in recs[4:])
    seg.write_bytes(data[: target.offset] + encode(target.lsn, stream, target.payload) + tail + b"\0" * 4096)
    with pytest.raises(StorageError) as info:
        agentdb.open(db_path)
    msg = str(info.value)
    assert str(seg) in msg and f"at byte {target.offset}" in msg, msg
    # Never cut off as a torn tail: the record is still there.
    assert encode(target.lsn, stream, target.payload) in seg.read_bytes()


def test_errors_are_agentdb_errors_not_internal(db_path: Path) -> None:
    seg = crashed_writer(db_path)
    data = seg.read_bytes()
    recs = records(data)
    target = [r for r in recs if r.stream == b"collection:w"][0]
    payload = target.payload
    # A row count of 2^32 - 16 in a valid record.
    bad = set_u32(payload, 1, 0xFFFFFFF0)
    rest = data[target.offset + HEADER + 10 + len(target.stream) + len(payload) :]
    seg.write_bytes(data[: target.offset] + encode(target.lsn, target.stream, bad) + rest)
    with agentdb.open(db_path) as db:
        with pytest.raises(AgentDBError) as info:
            db.get_collection("w")
        assert type(info.value) is StorageError
        assert sorted(db.get_collection("v").get().ids) == [f"v{i}" for i in range(6)]
