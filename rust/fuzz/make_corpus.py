#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into rust/fuzz/corpus/<target>/ (and the C-ABI
fuzzer's into tests/c/fuzz/corpus/): small valid inputs of each format, their edge cases, and the
adversarial shapes of issues 11 and 22. Deterministic; rerun it after changing a format, and
commit the result. Files named crash-*, timeout-* or regress-* are regressions from fuzz runs
(see rust/fuzz/RESULTS.md) and are left alone.

    python3 rust/fuzz/make_corpus.py
"""

import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")
KEEP = ("crash-", "timeout-", "regress-", "oom-", "slow-unit-")


def write_target(target, seeds, base=CORPUS):
    d = os.path.join(base, target)
    os.makedirs(d, exist_ok=True)
    for name in os.listdir(d):
        if not name.startswith(KEEP):
            os.remove(os.path.join(d, name))
    for name, data in seeds.items():
        if isinstance(data, str):
            data = data.encode()
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    print(f"{d}: {len(seeds)} seeds")


# ---------------------------------------------------------------------------------------------
# metadata_json: Value::from_json (metadata, dict filters and state values sent by C and Zig)
# ---------------------------------------------------------------------------------------------

def metadata_seeds():
    s = {
        "object": '{"lang": "en", "year": 2021}',
        "batch": '[{"lang": "en", "year": 2021, "tags": ["a", "b"]}, {"lang": "fr", "score": 0.5}, null]',
        "types": '{"b": true, "f": false, "n": null, "i": -7, "x": 2.5, "s": "text", "l": ["x", "y"], "e": []}',
        "datetime": '{"d": {"$datetime": "2024-05-01T12:00:00Z"}, "e": {"$datetime": "1970-01-01T01:00:00+01:00"}}',
        "datetime_forms": '[{"$datetime": "2024-02-29"}, {"$datetime": "2024-05-01T12:00:00.123456789Z"},'
                          ' {"$datetime": "2024-05-01 12:00:60-00:30"}, {"$datetime": "2024-13-01"},'
                          ' {"$datetime": 5}, {"$datetime": "x", "other": 1}]',
        "datetime_bad": '{"d": {"$datetime": "yesterday"}}',
        "ints": '[0, -0, 1, -1, 9223372036854775807, -9223372036854775808, 9223372036854775808,'
                ' 18446744073709551615, 18446744073709551616, 123456789012345678901234567890]',
        "floats": '[0.0, -0.0, 0.1, 1e308, -1e308, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,'
                  ' 1E+2, 1e-7, 0.30000000000000004, 9007199254740993.0]',
        "float_overflow": '[1e400]',
        "strings": '{"s": "caf\\u00e9 \\ud83d\\ude00 \\n\\t\\"\\\\ \\u0000", "raw": "caf\u00e9"}',
        "lone_surrogate": '{"s": "\\ud800"}',
        "keys": '{"id": 1, "1a": 2, "a b": 3, "_rowid": 4, "ok_key": 5, "": 6, "' + "k" * 65 + '": 7}',
        "nested_map": '{"a": {"b": {"c": 1}}}',
        "duplicate_keys": '{"a": 1, "a": 2}',
        "empty": "",
        "whitespace": " \n\t ",
        "trailing": "{} x",
        "trailing_comma": '{"a": 1,}',
        "unclosed": '{"a": [1, 2',
        "scalar": "42",
        "bom": "\ufeff{}",
        "invalid_utf8": b'{"s": "\xff\xfe"}',
        # Depth: exactly the limit (100), one past it.
        "depth_100": "[" * 100 + "]" * 100,
        "depth_101": "[" * 101 + "]" * 101,
        "depth_100_maps": '{"a":' * 99 + "{}" + "}" * 99,
        "depth_101_maps": '{"a":' * 100 + "{}" + "}" * 100,
        # Issue 22: metadata nested 100,000 levels deep (arrays, maps, unclosed) must be an error,
        # not a stack overflow.
        "issue22_deep_arrays_100000": "[" * 100_000 + "]" * 100_000,
        "issue22_deep_maps_100000": '{"":' * 100_000 + "1" + "}" * 100_000,
        "issue22_deep_unclosed_100000": "[" * 100_000,
        "issue22_deep_in_batch": '[{"a": ' + "[" * 10_000 + "]" * 10_000 + "}]",
    }
    return s


# ---------------------------------------------------------------------------------------------
# filter_sql / filter_json: the filter compiler (issue 11)
# ---------------------------------------------------------------------------------------------

# The columns of the layout the filter targets compile against (rust/engine/src/filter/mod.rs,
# `fuzzing::layout`): s str, i int, f float, b bool, t datetime, l list[str]. The seeds are written
# with readable names and also kept that way (unknown columns are an error path of their own).
COLUMNS = {"lang": "s", "year": "i", "score": "f", "flag": "b", "ts": "t", "tags": "l"}


def with_layout_columns(seeds):
    import re
    out = dict(seeds)
    pattern = re.compile(r"\b(" + "|".join(COLUMNS) + r")\b")
    for name, text in seeds.items():
        if isinstance(text, bytes):
            continue
        mapped = pattern.sub(lambda m: COLUMNS[m.group(1)], text)
        if mapped != text:
            out[name + "_cols"] = mapped
    return out


def filter_sql_seeds():
    exprs = {
        "eq": "lang = 'en'",
        "and": "lang = 'en' AND year >= 2020",
        "or_not": "NOT (year < 2000) OR lang != 'fr'",
        "in": "lang IN ('en', 'fr', 'de')",
        "not_in": "year NOT IN (1, 2, 3)",
        "between": "year BETWEEN 2000 AND 2030",
        "like": "document LIKE '%vector%' AND lang ILIKE 'E_'",
        "is_null": "lang IS NULL OR score IS NOT NULL",
        "is_true": "flag IS TRUE AND flag IS NOT FALSE",
        "arith": "year + 1 > 2021 AND score * 2.5 <= 10 AND year % 4 = 0 AND -year < 0",
        "timestamp": "created_at >= TIMESTAMP '2024-01-01T00:00:00Z'",
        "cast": "year = CAST('2021' AS BIGINT)",
        "id": "id = 'r1' OR id IN ('r2', 'r3')",
        "quotes": "lang = 'it''s' AND document = ''",
        "backticks": "`lang` = 'en' AND `year` > 1",
        "func": "lower(lang) = 'en' AND length(document) > 3",
        "array": "array_has(tags, 'x')",
        "parens": "((((lang = 'en'))))",
        "true": "TRUE",
        "false": "FALSE",
        "null": "NULL",
        "numbers": "score > 1e10 OR score < -1.5e-3 OR year = 9223372036854775807 OR year = -9223372036854775808",
        "unicode": "lang = 'caf\u00e9 \U0001F600'",
        "whitespace": "  \n\tlang\n=\n'en'  ",
        "empty": "",
        # Issue 11: injections and trailing text must be InvalidFilter, never wider than the filter.
        "issue11_close_paren": "FALSE) OR (TRUE",
        "issue11_close_paren2": "1=1) OR (1=1",
        "issue11_trailing": "n = 1 n = 2",
        "issue11_trailing_garbage": "TRUE garbage",
        "issue11_semicolon": "id = 'r1'; DROP TABLE x",
        "issue11_comment": "id = 'r1' -- AND year = 1",
        "issue11_block_comment": "id = 'r1' /* ) OR (TRUE */",
        "issue11_quote_escape": "lang = 'x'' OR ''1''=''1'",
        "issue22_repeat": "repeat(id, 2147483648) = 'x'",
        "subquery": "id IN (SELECT id FROM t)",
        "unknown_column": "nope = 1",
        "unknown_function": "sleep(1000) = 0",
        "unterminated": "lang = 'en",
        "deep_parens_200": "(" * 200 + "TRUE" + ")" * 200,
        "deep_parens_100000": "(" * 100_000 + "TRUE" + ")" * 100_000,
        "deep_not_5000": "NOT " * 5000 + "TRUE",
        "deep_minus_5000": "year = " + "-" * 5000 + "1",
        "long_and": " AND ".join(f"year != {i}" for i in range(2000)),
        "long_in": "year IN (" + ", ".join(str(i) for i in range(5000)) + ")",
        "long_string": "document = '" + "x" * 70_000 + "'",
        "invalid_utf8": b"lang = '\xff\xfe'",
        "nul": b"lang = 'a\x00b'",
    }
    return exprs


def filter_json_seeds():
    def j(v):
        return json.dumps(v)

    seeds = {
        "eq": j({"lang": "en"}),
        "ops": j({"year": {"$gte": 2020, "$lt": 2030}, "score": {"$gt": 0.5, "$lte": 1}, "lang": {"$ne": "fr"}}),
        "in": j({"lang": {"$in": ["en", "fr"]}, "year": {"$nin": [1, 2]}}),
        "and_or": j({"$and": [{"lang": "en"}, {"$or": [{"year": 2021}, {"year": {"$gt": 2023}}]}]}),
        "not": j({"$not": {"lang": "en"}}),
        "exists": j({"lang": {"$exists": True}, "score": {"$exists": False}}),
        "contains": j({"tags": {"$contains": "x"}, "document": {"$contains": "vector"}}),
        "datetime": j({"created_at": {"$gte": {"$datetime": "2024-01-01T00:00:00Z"}}}),
        "id": j({"id": {"$in": ["r1", "r2"]}}),
        "bool": j({"flag": True}),
        "null": j({"lang": None}),
        "empty": j({}),
        "empty_and": j({"$and": []}),
        "bad_op": j({"year": {"$regex": ".*"}}),
        "bad_key": j({"a b": 1, "id; DROP": 2}),
        "unknown_key": j({"nope": 1}),
        "list_value": j({"lang": ["en", "fr"]}),
        "map_value": j({"lang": {"a": 1}}),
        "not_a_dict": j([{"lang": "en"}]),
        "scalar": "1",
        "injection_value": j({"id": "x' OR 1=1 --", "lang": "FALSE) OR (TRUE"}),
        "injection_key": j({"lang = 'en') OR (TRUE": 1}),
        "big_numbers": j({"year": 9223372036854775807, "score": 1e308}) + "",
        "u64": '{"year": 18446744073709551615}',
        "mixed_types": j({"year": {"$in": [1, "x", 2.5, True, None]}}),
        "invalid_json": '{"lang": ',
        # Issue 11: $not nested 38-50 levels took seconds to days; compile time must be linear.
        "issue11_not_38": '{"$not": ' * 38 + '{"a": 1}' + "}" * 38,
        "issue11_not_50": '{"$not": ' * 50 + '{"a": 1}' + "}" * 50,
        "issue11_not_99": '{"$not": ' * 99 + '{"a": 1}' + "}" * 99,
        "issue11_or_nested_30": '{"$or": [' * 30 + '{"a": 1}' + "]}" * 30,
        "issue11_and_wide": j({"$and": [{"year": i} for i in range(3000)]}),
        # Issue 22: a dict `where` nested 100,000 deep.
        "issue22_deep_not_100000": '{"$not": ' * 100_000 + "{}" + "}" * 100_000,
        "issue22_deep_value_100000": '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "long_string": j({"document": "x" * 70_000}),
    }
    return seeds


# ---------------------------------------------------------------------------------------------
# index_load: the HNSW index file (rust/engine/src/index_file.rs, layout AGDBHNS2)
# ---------------------------------------------------------------------------------------------

def fnv1a(data):
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def index_file(dim=2, metric=0, m=16, efc=200, quant=0, scale=0.0, rows=None, entry=None, lance_version=3,
               row_count=None, raw_rows=None):
    """rows: list of (id, alive, vector, levels: list of link lists)."""
    if rows is None:
        rows = []
    b = bytearray(b"AGDBHNS2")
    b += struct.pack("<QIBIIBf", lance_version, dim, metric, m, efc, quant, scale)
    b += struct.pack("<I", len(rows) if row_count is None else row_count)
    b += struct.pack("<I", (0 if rows else 0xFFFFFFFF) if entry is None else entry)
    if raw_rows is not None:
        b += raw_rows
    for rid, alive, vec, levels in rows:
        rid = rid.encode()
        b += struct.pack("<I", len(rid)) + rid + bytes([alive])
        b += b"".join(struct.pack("<f", x) for x in vec)
        b += bytes([len(levels)])
        for links in levels:
            b += struct.pack("<I", len(links)) + b"".join(struct.pack("<I", l) for l in links)
    b += struct.pack("<Q", fnv1a(b))
    return bytes(b)


def index_seeds():
    three = [
        ("a", 1, [1.0, 0.0], [[1, 2], [1]]),
        ("b", 1, [0.0, 1.0], [[0, 2], [0]]),
        ("c", 0, [0.7, 0.7], [[0, 1]]),
    ]
    s = {
        "empty": index_file(rows=[]),
        "one_row": index_file(rows=[("only", 1, [0.5, 0.5], [[]])]),
        "three_rows": index_file(rows=three),
        "three_rows_l2": index_file(metric=1, rows=three),
        "three_rows_dot_int8": index_file(metric=2, quant=1, scale=0.01, rows=three),
        "dim8": index_file(dim=8, rows=[(f"r{i}", 1, [float(i + j) for j in range(8)], [[(i + 1) % 4, (i + 3) % 4]])
                                        for i in range(4)], entry=2),
        "nan_vector": index_file(rows=[("n", 1, [float("nan"), 1.0], [[]])]),
        "bad_checksum": index_file(rows=three)[:-1] + b"\x00",
        "truncated": index_file(rows=three)[:-20],
        "link_out_of_range": index_file(rows=[("a", 1, [1.0, 0.0], [[5]])]),
        "entry_out_of_range": index_file(rows=three, entry=3),
        "no_levels": index_file(rows=[("a", 1, [1.0, 0.0], [])]),
        "bad_utf8_id": index_file(rows=[("a", 1, [1.0, 0.0], [[]])]).replace(b"\x01\x00\x00\x00a", b"\x01\x00\x00\x00\xff"),
        "old_magic": b"AGDBHNS1" + index_file(rows=three)[8:],
        "short": b"AGDBHNS2",
        "nothing": b"",
        # Issue 22: a valid checksum but a row count of 0xFFFFFFF0: must be refused (rebuild), never
        # allocate for the count.
        "issue22_rows_0xfffffff0": index_file(rows=[], row_count=0xFFFFFFF0),
        "issue22_rows_0xfffffff0_with_row": index_file(rows=[("a", 1, [1.0, 0.0], [[]])], row_count=0xFFFFFFF0),
        "huge_id_len": index_file(row_count=1, raw_rows=struct.pack("<I", 0xFFFFFFF0)),
        "huge_link_count": index_file(row_count=1, raw_rows=struct.pack("<I", 1) + b"a\x01" + struct.pack("<ff", 1, 0)
                                      + b"\x01" + struct.pack("<I", 0xFFFFFFF0)),
        "huge_levels": index_file(row_count=1, raw_rows=struct.pack("<I", 1) + b"a\x01" + struct.pack("<ff", 1, 0)
                                  + b"\xff"),
        "huge_dim": index_file(dim=0xFFFFFFF0, rows=[]),
        "zero_dim": index_file(dim=0, rows=[("a", 1, [], [[]])]),
        "m_zero": index_file(m=0, efc=0, rows=three),
    }
    return s


# ---------------------------------------------------------------------------------------------
# wal_decode: write-ahead log segments (rust/engine/src/wal.rs) and their payloads
# ---------------------------------------------------------------------------------------------

def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def wal_record(lsn, stream, payload, length=None, crc=None):
    body = struct.pack("<QH", lsn, len(stream.encode())) + stream.encode() + payload
    n = len(body) if length is None else length
    c = crc32c(body) if crc is None else crc
    return struct.pack("<II", n, c) + body


def segment(*records, magic=b"AGDBWAL1"):
    return magic + b"".join(records)


def put_str(s):
    s = s.encode() if isinstance(s, str) else s
    return struct.pack("<I", len(s)) + s


def put_value(v):
    if v is None:
        return b"\x00"
    if isinstance(v, bool):
        return b"\x01" + bytes([v])
    if isinstance(v, int):
        return b"\x02" + struct.pack("<q", v)
    if isinstance(v, float):
        return b"\x03" + struct.pack("<d", v)
    if isinstance(v, str):
        return b"\x04" + put_str(v)
    if isinstance(v, list):
        return b"\x06" + struct.pack("<I", len(v)) + b"".join(put_value(x) for x in v)
    raise TypeError(v)


def collection_put(rows):
    """OP_PUT (1): n rows of id, created, updated, document?, dim + f32s, metadata."""
    out = bytearray(b"\x01" + struct.pack("<I", len(rows)))
    for rid, vec, doc, meta in rows:
        out += put_str(rid) + struct.pack("<qq", 1_700_000_000_000_000, 1_700_000_000_000_001)
        out += (b"\x01" + put_str(doc)) if doc is not None else b"\x00"
        out += struct.pack("<I", len(vec)) + b"".join(struct.pack("<f", x) for x in vec)
        out += struct.pack("<I", len(meta))
        for k, v in meta.items():
            out += put_str(k) + put_value(v)
    return bytes(out)


def collection_delete(ids):
    """OP_DELETE (2): n ids."""
    return b"\x02" + struct.pack("<I", len(ids)) + b"".join(put_str(i) for i in ids)


def st_str(s):
    s = s.encode() if isinstance(s, str) else s
    return struct.pack("<Q", len(s)) + s


def state_ops(*ops):
    """The agent state's payload: format 1, u64 count, ops."""
    return b"\x01" + struct.pack("<Q", len(ops)) + b"".join(ops)


def state_put(agent, session, key, version, value, written_at=1_700_000_000_000_000, expires=None):
    out = b"\x01" + st_str(agent) + st_str(session) + st_str(key) + struct.pack("<Q", version)
    out += (b"\x01" + st_str(value)) if value is not None else b"\x00"
    out += struct.pack("<q", written_at)
    out += (b"\x01" + struct.pack("<q", expires)) if expires is not None else b"\x00"
    return out


def wal_seeds():
    put = collection_put([("r1", [1.0, 0.0], "first", {"lang": "en", "year": 2021}),
                          ("r2", [0.0, 1.0], None, {"tags": ["a", "b"], "score": 0.5, "ok": True, "n": None})])
    dele = collection_delete(["r1", "gone"])
    sput = state_ops(state_put("agent", "session", "key", 1, '{"a": 1}'),
                     state_put("agent", "session", "gone", 2, None, expires=1_800_000_000_000_000))
    sdel = state_ops(b"\x03" + st_str("agent") + b"\x01" + st_str("session") + b"\x00" + b"\x00" + b"\x00",
                     b"\x02" + st_str("agent") + st_str("session") + struct.pack("<Q", 3) + b"\x00"
                     + struct.pack("<q", 0))
    s = {
        "empty_segment": segment(),
        "one_put": segment(wal_record(1, "collection:docs", put)),
        "put_delete": segment(wal_record(1, "collection:docs", put), wal_record(2, "collection:docs", dele)),
        "two_streams": segment(wal_record(1, "collection:docs", put), wal_record(2, "state", sput),
                               wal_record(3, "collection:other", dele)),
        "state_ops": segment(wal_record(1, "state", sput), wal_record(2, "state", sdel)),
        "state_checkpoint": segment(wal_record(7, "state", state_ops(
            b"\x04" + st_str("thread") + st_str("") + st_str("ck1") + b"\x00" + st_str("json") + st_str(b"{}")
            + st_str("{}") + struct.pack("<q", 5),
            b"\x05" + st_str("thread") + st_str("") + st_str("ck1") + st_str("task") + st_str("path")
            + struct.pack("<qQ", 5, 1) + struct.pack("<q", 0) + st_str("chan") + st_str("json") + st_str(b"1"),
            b"\x06" + st_str("thread")))),
        "issue22_state_huge_count": segment(wal_record(1, "state", b"\x01" + struct.pack("<Q", 0xFFFFFFFFFFFFFFF0))),
        "issue22_state_huge_len": segment(wal_record(1, "state", b"\x01" + struct.pack("<Q", 1) + b"\x01"
                                                     + struct.pack("<Q", 0xFFFFFFFFFFFFFFF0))),
        "zero_tail": segment(wal_record(1, "collection:docs", put)) + b"\x00" * 64,
        "torn_tail": segment(wal_record(1, "collection:docs", put), wal_record(2, "collection:docs", dele)[:-3]),
        "bad_crc_middle": segment(wal_record(1, "collection:docs", put, crc=0), wal_record(2, "collection:docs", dele)),
        "lsn_backwards": segment(wal_record(5, "collection:docs", put), wal_record(2, "collection:docs", dele)),
        "stream_not_utf8": segment(struct.pack("<II", 11, crc32c(struct.pack("<QH", 1, 1) + b"\xff"))
                                   + struct.pack("<QH", 1, 1) + b"\xff"),
        "stream_cut": segment(b"".join([struct.pack("<II", 10, crc32c(struct.pack("<QH", 1, 9))),
                                        struct.pack("<QH", 1, 9)])),
        "length_too_small": segment(struct.pack("<II", 3, 0) + b"abc"),
        "length_huge": segment(struct.pack("<II", 0xFFFFFFFF, 0)),
        "bad_magic": segment(wal_record(1, "collection:docs", put), magic=b"AGDBWAL0"),
        # Issue 22 (7): a valid CRC but bad content: a StorageError naming file and offset.
        "issue22_valid_crc_bad_op": segment(wal_record(1, "collection:docs", b"\x07" + struct.pack("<I", 0))),
        "issue22_valid_crc_huge_count": segment(wal_record(1, "collection:docs", b"\x01" + struct.pack("<I", 0xFFFFFFF0))),
        "issue22_valid_crc_huge_dim": segment(wal_record(1, "collection:docs", b"\x01" + struct.pack("<I", 1) + put_str("r")
                                                         + struct.pack("<qq", 0, 0) + b"\x00"
                                                         + struct.pack("<I", 0xFFFFFFFF))),
        "issue22_valid_crc_huge_str": segment(wal_record(1, "collection:docs", b"\x02" + struct.pack("<I", 1)
                                                         + struct.pack("<I", 0xFFFFFFF0))),
        "issue22_valid_crc_bad_tag": segment(wal_record(1, "collection:docs", collection_put([("r", [1.0], None, {})])[:-4]
                                                        + struct.pack("<I", 1) + put_str("k") + b"\x09")),
        "issue22_valid_crc_deep_list": segment(wal_record(1, "collection:docs", collection_put([("r", [1.0], None, {})])[:-4]
                                                          + struct.pack("<I", 1) + put_str("k")
                                                          + (b"\x06" + struct.pack("<I", 1)) * 50 + b"\x00")),
        "issue22_valid_crc_trailing": segment(wal_record(1, "collection:docs", dele + b"junk")),
        "issue22_valid_crc_state_garbage": segment(wal_record(1, "state", b"\xff" * 40)),
        "payload_only_put": put,
        "payload_only_delete": dele,
    }
    return s


# ---------------------------------------------------------------------------------------------
# The C-ABI fuzzer (tests/c/fuzz/fuzz_capi.c): byte programs, see its op table.
# ---------------------------------------------------------------------------------------------

def capi_seeds():
    def p(*b):
        return bytes(b)

    return {
        # add 2 records to collection 0, then get, count, search, delete
        "add_get_search_delete": p(0, 0, 2, 9, 1, 2, 100, 0, 200, 1, 60, 60, 60, 60, 60, 60, 60, 60,
                                   2, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 3, 0, 0, 0, 0,
                                   3, 0, 2, 9, 0, 1, 0, 200, 30, 200, 0),
        "upsert_l2": p(1, 1, 3, 9, 0, 1, 2, 0, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9),
        "huge_counts_null_arrays": p(0, 0, 255, 0, 0, 0, 3, 0, 250, 0, 0, 0, 2, 0, 251, 0, 0, 0, 0, 0),
        "injection_delete": p(0, 0, 3, 9, 0, 1, 2, 0, 60, 60, 60, 60, 60, 60, 0, 0, 0, 0,
                              3, 0, 1, 9, 0, 0, 20, 28, 0, 0, 200, 0),
        "memory": p(11, 0, 0, 1, 0, 0, 1, 200, 200, 9, 60, 60, 60, 60, 60, 60, 0, 0, 0, 0, 0,
                    11, 0, 1, 0, 60, 60, 60, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        "state": p(13, 0, 0, 0, 0, 3, 0, 40, 10, 13, 0, 0, 0, 0, 3, 1, 13, 0, 0, 0, 0, 3, 2, 5, 0),
        "index_and_drop": p(0, 2, 2, 9, 0, 1, 2, 0, 60, 60, 60, 60, 60, 60, 60, 60, 0, 0, 0, 0,
                            7, 2, 0, 16, 200, 5, 2, 0, 9, 0, 0, 0, 0, 8, 2, 0, 15, 0),
        "create_bad_names": p(9, 0, 200, 47, 9, 0, 250, 20, 1, 2, 3, 4, 5, 0, 2, 10, 0, 1),
        "flush": p(15, 0, 15, 1),
    }


def main():
    write_target("metadata_json", metadata_seeds())
    write_target("filter_sql", with_layout_columns(filter_sql_seeds()))
    write_target("filter_json", with_layout_columns(filter_json_seeds()))
    write_target("index_load", index_seeds())
    write_target("wal_decode", wal_seeds())
    write_target("corpus", capi_seeds(), base=os.path.join(ROOT, "tests", "c", "fuzz"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
