"""The exception hierarchy and its mapping from the engine's error kinds."""

from __future__ import annotations

import agentdb
from agentdb import _native, errors


def test_every_engine_kind_has_its_class() -> None:
    assert sorted(_native.ERROR_CLASSES) == list(range(1, 16))
    for code, name in _native.ERROR_CLASSES.items():
        cls = getattr(errors, name)
        assert issubclass(cls, errors.AgentDBError), name
        assert name in errors.__all__
        assert getattr(agentdb, name) is cls
    # …and every class of the module (but the base, and the Python-only refinement of
    # invalid_argument for arguments of the wrong type) is some engine kind.
    python_only = {"AgentDBError", "InvalidArgumentTypeError"}
    assert sorted(set(errors.__all__) - python_only) == sorted(_native.ERROR_CLASSES.values())


def test_hierarchy() -> None:
    for name in (
        "InvalidNameError",
        "DimensionMismatchError",
        "DuplicateIdError",
        "InvalidVectorError",
        "InvalidMetadataError",
        "InvalidFilterError",
    ):
        cls = getattr(errors, name)
        assert issubclass(cls, errors.InvalidArgumentError) and issubclass(cls, ValueError), name
    assert issubclass(errors.CollectionNotFoundError, KeyError)
    for name in ("CollectionExistsError", "ClosedError", "StorageError", "InternalError"):
        assert not issubclass(getattr(errors, name), ValueError), name
    kinds = {getattr(errors, n).kind for n in errors.__all__ if n != "InvalidArgumentTypeError"}
    assert len(kinds) == len(errors.__all__) - 1
    # A wrong-type argument is an invalid argument that is also a TypeError.
    cls = errors.InvalidArgumentTypeError
    assert issubclass(cls, errors.InvalidArgumentError) and issubclass(cls, TypeError) and issubclass(cls, ValueError)
    assert cls.kind == errors.InvalidArgumentError.kind


def test_messages_are_plain() -> None:
    e = errors.CollectionNotFoundError("collection 'x' does not exist")
    assert str(e) == "collection 'x' does not exist"
