"""How framework metadata (LangChain ``Document.metadata``, LlamaIndex node metadata) is stored in
AgentDB's typed metadata, faithfully, and how framework filters reach it.

AgentDB stores each metadata key as a typed column (``str``, ``int``, ``float``, ``bool``,
``datetime``, ``list[str]``) so that filters run inside the engine; keys must be identifiers that
are not reserved (``id``, ``document``, ...), and a key keeps the type of its first value.
Framework metadata is looser: any string key (``"id"`` is common, so are ``"file name"`` or
``"source-url"``), ``None``, nested dicts, lists of numbers, and a key whose type differs between
documents. The convention, shared by every integration:

Keys
    A key that is an identifier of at most 64 characters, not reserved by AgentDB (compared
    case-insensitively) and not starting with ``adb_`` (any case) is stored under its own name.
    Any other key ``k`` is stored as ``"adb_" + escape(k)``, where ``escape`` keeps ASCII letters
    and digits, doubles ``_``, and writes every other UTF-8 byte as ``_XX`` (two upper-case hex
    digits): ``"id"`` → ``adb_id``, ``"file name"`` → ``adb_file_20name``, ``"adb_x"`` →
    ``adb_adb__x``. The mapping is one-to-one, so it reverses exactly. Filters name keys as the
    framework does (``{"id": 1}``); the integration applies the same mapping. An escaped name
    longer than 64 characters cannot be a column: such a key is kept in the side table below.
    A store may reserve more names for itself (a RAG store's chunk keys, :data:`RAG_CHUNK_KEYS`:
    ``source``, ``doc_id``, ...): with ``reserved=`` those are escaped the same way.

Values
    ``str``, ``int`` (64-bit), finite ``float``, ``bool``, ``datetime`` and a non-empty ``list``
    of ``str`` are stored natively, in the key's column, when the column's type accepts them: an
    ``int`` in a ``float`` column is stored as a float and marked to come back as an ``int``
    (when it fits a float exactly, |n| ≤ 2⁵³); a naive ``datetime`` is stored as UTC (AgentDB's
    rule) and marked to come back naive; an aware one comes back as the same instant in UTC.
    Everything else (``None``, dicts, other lists, empty lists, tuples, NaN and infinities,
    larger integers, and a value whose type differs from the type its key already holds) is
    JSON-encoded into one side table, the ``str`` metadata entry ``adb__json`` (a name no key
    escapes to): ``{"v": {key: value}, "i": [keys to read back as int], "n": [keys to read back
    as naive datetimes]}``, each part present only when non-empty. Values there must be
    JSON-serializable (else :class:`~agentdb.errors.InvalidMetadataError`) and come back as
    ``json.loads`` gives them (a tuple comes back as a list).

What filters see
    Only natively stored values: engine filters cannot look into the side table, so a condition
    on a key never matches a record whose value for that key sits there (``None``, a nested
    value, an empty list, or a value of another type than the key's column).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from typing import Any, Dict, List, Mapping, Optional, Sequence

from .. import _native
from .. import errors as _errors

__all__ = [
    "SIDE_KEY",
    "stored_key",
    "framework_key",
    "encode_batch",
    "decode",
    "translate_where",
]

#: The metadata entry that holds the side table (JSON text). ``escape`` never produces ``_j``
#: (after ``_`` comes either ``_`` or two hex digits), so no framework key maps to it.
SIDE_KEY = "adb__json"
_PREFIX = "adb_"
_I64 = (-(2**63), 2**63 - 1)
_EXACT_FLOAT_INT = 2**53


def _escape(key: str) -> str:
    out: List[str] = []
    for byte in key.encode("utf-8"):
        c = chr(byte)
        if c.isascii() and c.isalnum():
            out.append(c)
        elif c == "_":
            out.append("__")
        else:
            out.append(f"_{byte:02X}")
    return "".join(out)


def _unescape(text: str) -> Optional[str]:
    """The key ``escape`` maps to ``text``, or None if ``escape`` never produces ``text``."""
    raw = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c != "_":
            raw.append(ord(c))
            i += 1
        elif text[i + 1 : i + 2] == "_":
            raw.append(ord("_"))
            i += 2
        else:
            hex2 = text[i + 1 : i + 3]
            if len(hex2) != 2 or not all(h in "0123456789ABCDEF" for h in hex2):
                return None
            raw.append(int(hex2, 16))
            i += 3
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def stored_key(key: str, reserved: Sequence[str] = ()) -> Optional[str]:
    """The AgentDB metadata key that holds framework key ``key``, or None when no column can
    (the escaped name would exceed 64 characters): then its values live in the side table.
    ``reserved``: further names the store keeps for itself (a RAG store's chunk keys), escaped
    like AgentDB's own reserved names."""
    if not isinstance(key, str):
        raise _errors.InvalidMetadataError(f"metadata keys must be strings, got {type(key).__name__} {key!r}")
    if _native.is_metadata_key(key) and not key.lower().startswith(_PREFIX) and key not in reserved:
        return key
    escaped = _PREFIX + _escape(key)
    return escaped if len(escaped) <= _native.MAX_METADATA_KEY_LEN else None


def framework_key(stored: str) -> Optional[str]:
    """The inverse of :func:`stored_key` (None for the side table and for names it never makes)."""
    if stored == SIDE_KEY:
        return None
    if stored.startswith(_PREFIX):
        return _unescape(stored[len(_PREFIX) :])
    return stored


def _native_type(value: Any) -> Optional[str]:
    """The AgentDB type ``value`` is stored as natively, or None (side table)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int" if _I64[0] <= value <= _I64[1] else None
    if isinstance(value, float):
        return "float" if math.isfinite(value) else None
    if isinstance(value, str):
        return "str"
    if isinstance(value, _dt.datetime):
        return "datetime"
    if type(value) is list and value and all(isinstance(v, str) for v in value):
        return "list[str]"
    return None


def _plain(value: Any) -> Any:
    """numpy scalars (common in embeddings pipelines) → the Python value they hold."""
    item = getattr(value, "item", None)
    if item is not None and type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 0:
        return item()
    return value


def _planned_types(
    rows: Sequence[Mapping[str, Any]], schema: Mapping[str, str], reserved: Sequence[str] = ()
) -> Dict[str, str]:
    """The column type each new key will get from this batch, as the engine decides it: the type
    of the first value sent, widened from int to float if a later one is a float."""
    planned: Dict[str, str] = {}
    for row in rows:
        for key, value in row.items():
            skey = stored_key(key, reserved)
            t = _native_type(_plain(value))
            if skey is None or t is None or skey in schema:
                continue
            first = planned.setdefault(skey, t)
            if first == "int" and t == "float":
                planned[skey] = "float"
    return planned


def _encode_row(row: Mapping[str, Any], types: Mapping[str, str], reserved: Sequence[str] = ()) -> Dict[str, Any]:
    native: Dict[str, Any] = {}
    side_values: Dict[str, Any] = {}
    as_int: List[str] = []
    naive: List[str] = []
    for key, raw in row.items():
        value = _plain(raw)
        skey = stored_key(key, reserved)
        t = _native_type(value)
        column = types.get(skey) if skey is not None else None
        if skey is not None and t is not None and column is not None:
            if column == t:
                native[skey] = value
                if t == "datetime" and value.tzinfo is None:
                    naive.append(key)
                continue
            if column == "float" and t == "int" and abs(value) <= _EXACT_FLOAT_INT:
                native[skey] = value
                as_int.append(key)
                continue
        side_values[key] = value
    side: Dict[str, Any] = {}
    if side_values:
        side["v"] = side_values
    if as_int:
        side["i"] = as_int
    if naive:
        side["n"] = naive
    if side:
        try:
            native[SIDE_KEY] = json.dumps(side, ensure_ascii=False, allow_nan=True)
        except (TypeError, ValueError) as e:
            bad = next(k for k, v in side_values.items() if not _json_ok(v))
            raise _errors.InvalidMetadataError(
                f"metadata key {bad!r}: a {type(side_values[bad]).__name__} is neither an AgentDB "
                f"metadata type (str, int, float, bool, datetime, list[str]) nor JSON-serializable"
            ) from e
    return native


def _json_ok(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=True)
    except (TypeError, ValueError):
        return False
    return True


def encode_batch(
    rows: Sequence[Optional[Mapping[str, Any]]], schema: Mapping[str, str], reserved: Sequence[str] = ()
) -> List[Dict[str, Any]]:
    """Framework metadata dicts → AgentDB metadata dicts for one write, given the collection's
    current ``metadata_schema`` (stored key → type name); ``reserved`` as for :func:`stored_key`.

    Raises:
        InvalidMetadataError: a key is not a string, or a value is neither storable natively
            nor JSON-serializable.
    """
    plain_rows = [row or {} for row in rows]
    for row in plain_rows:
        if not isinstance(row, Mapping):
            raise _errors.InvalidMetadataError(f"metadata must be a dict, got {type(row).__name__}")
    types = dict(schema)
    types.update(_planned_types(plain_rows, schema, reserved))
    return [_encode_row(row, types, reserved) for row in plain_rows]


def decode(stored: Mapping[str, Any]) -> Dict[str, Any]:
    """AgentDB metadata of one record → the framework metadata it was encoded from (metadata
    written by other means comes back under its own keys)."""
    out: Dict[str, Any] = {}
    for skey, value in stored.items():
        key = framework_key(skey)
        if key is not None:
            out[key] = value
        elif skey != SIDE_KEY:  # a name escape never makes: written by someone else, keep it
            out[skey] = value
    side_text = stored.get(SIDE_KEY)
    if isinstance(side_text, str):
        try:
            side = json.loads(side_text)
        except ValueError:
            side = None
        if isinstance(side, dict):
            for key in side.get("i", ()):
                if isinstance(out.get(key), float):
                    out[key] = int(out[key])
            for key in side.get("n", ()):
                value = out.get(key)
                if isinstance(value, _dt.datetime) and value.tzinfo is not None:
                    out[key] = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
            out.update(side.get("v", {}))
        else:  # not ours after all: keep the text rather than drop it
            out[SIDE_KEY] = side_text
    return out


def translate_where(where: Any, reserved: Sequence[str] = ()) -> Any:
    """A dict filter naming framework keys → the same filter naming stored keys (see the module
    documentation; ``reserved`` as for :func:`stored_key`). SQL strings and None pass through
    unchanged: SQL names stored columns.

    Raises:
        InvalidFilterError: a key that has no column, or a filter that is neither a dict, a
            string nor None.
    """
    if where is None or isinstance(where, str):
        return where
    if not isinstance(where, Mapping):
        raise _errors.InvalidFilterError(
            f"a filter must be a dict (AgentDB's dict form) or a SQL string, got {type(where).__name__}"
        )
    out: Dict[str, Any] = {}
    for key, value in where.items():
        if key in ("$and", "$or") and isinstance(value, (list, tuple)):
            out[key] = [translate_where(w, reserved) for w in value]
        elif key == "$not":
            out[key] = translate_where(value, reserved)
        elif isinstance(key, str) and key.startswith("$"):
            out[key] = value  # the engine names the unknown operator
        else:
            skey = stored_key(key, reserved)
            if skey is None:
                raise _errors.InvalidFilterError(
                    f"metadata key {key!r} is too long to have a column, so it cannot be filtered on"
                )
            out[skey] = value
    return out


#: The metadata keys the engine writes on every RAG chunk (``rag::CHUNK_KEYS`` in the engine,
#: not exported to Python yet); integrations over a RAG store pass them as ``reserved`` so a
#: framework's own ``source`` or ``doc_id`` is kept apart from the engine's.
RAG_CHUNK_KEYS = (
    "doc_id",
    "source",
    "position",
    "char_start",
    "char_end",
    "heading",
    "tokens",
    "content_hash",
    "ingest_hash",
)
