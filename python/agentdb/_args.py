"""Argument checks shared by the Python layer, so that a bad argument raises an
:mod:`agentdb.errors` class (never a bare ``TypeError``, ``AttributeError`` or numpy's
``ValueError``). The native extension checks the arguments it receives the same way.

Also the engine's defaults in docstrings: an argument left ``None`` is decided by the engine, and
:func:`engine_defaults` writes the engine's value into the docstring that names it (from the
``DEFAULT_…`` attributes the extension exports), so no docstring keeps a copy that can go stale."""

from __future__ import annotations

import re
from typing import Any, List, Optional, Tuple, Type, TypeVar, Union

import numpy as np

from . import _native
from .errors import InvalidArgumentError, InvalidArgumentTypeError, InvalidVectorError

_T = TypeVar("_T")
#: ``{DEFAULT_RAG_K}`` (the value as str) or ``{DEFAULT_MEMORY_KIND!r}`` (its repr).
_DEFAULT_FIELD = re.compile(r"\{(DEFAULT_[A-Z0-9_]+)(!r)?\}")


def fill_defaults(doc: Optional[str]) -> Optional[str]:
    """``doc`` with each ``{DEFAULT_…}`` field replaced by that attribute of ``agentdb._native``
    (the engine's default). A name the extension does not export raises ``AttributeError`` at
    import, so a docstring cannot name a default that does not exist."""
    if not doc:
        return doc  # python -OO strips docstrings

    def value(m: "re.Match[str]") -> str:
        v = getattr(_native, m.group(1))
        return repr(v) if m.group(2) else str(v)

    return _DEFAULT_FIELD.sub(value, doc)


def engine_defaults(obj: _T) -> _T:
    """Decorator: fills the engine's defaults into ``obj``'s docstring (see :func:`fill_defaults`)."""
    obj.__doc__ = fill_defaults(obj.__doc__)
    return obj


def type_name(value: Any) -> str:
    """The name of ``value``'s type, for messages."""
    return type(value).__name__


def require(name: str, value: Any, types: Union[Type[Any], Tuple[Type[Any], ...]], expected: str) -> Any:
    """``value`` if it is an instance of ``types`` (a ``bool`` never counts as a number), else an
    :class:`InvalidArgumentTypeError` saying ``name must be <expected>``."""
    if isinstance(value, types) and not (isinstance(value, bool) and bool not in _as_tuple(types)):
        return value
    raise InvalidArgumentTypeError(f"{name} must be {expected}, got {type_name(value)}")


def _as_tuple(types: Union[Type[Any], Tuple[Type[Any], ...]]) -> Tuple[Type[Any], ...]:
    return types if isinstance(types, tuple) else (types,)


def as_list(name: str, value: Any, expected: str = "a sequence") -> List[Any]:
    """``list(value)`` for an iterable that is not a ``str``/``bytes``, else an
    :class:`InvalidArgumentTypeError`."""
    if isinstance(value, (str, bytes)):
        raise InvalidArgumentTypeError(f"{name} must be {expected}, not a single {type_name(value)}")
    try:
        return list(value)
    except TypeError:
        raise InvalidArgumentTypeError(f"{name} must be {expected}, got {type_name(value)}") from None


def as_seconds(name: str, value: Any) -> float:
    """A number of seconds (int, float or ``timedelta``) as a float."""
    import datetime as _dt

    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InvalidArgumentTypeError(f"{name} must be a number of seconds or a timedelta, got {type_name(value)}")
    try:
        return float(value)
    except OverflowError:
        raise InvalidArgumentError(f"{name} is out of range: {value!r}") from None


def as_vector(name: str, value: Any) -> np.ndarray:
    """One vector as a 1-D C-contiguous float32 array; what numpy cannot read as numbers raises
    :class:`InvalidVectorError`, another shape :class:`InvalidArgumentError`."""
    if isinstance(value, (str, bytes)):
        raise InvalidVectorError(f"{name} must be a sequence of numbers, got {type_name(value)}")
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # beyond float32: inf, rejected later
            arr = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError, OverflowError) as e:
        raise InvalidVectorError(f"{name} must be a sequence of numbers: {e}") from None
    if arr.ndim != 1:
        raise InvalidArgumentError(f"{name} must be 1-D, got shape {arr.shape}")
    return np.ascontiguousarray(arr)
