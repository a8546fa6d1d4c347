"""Databases: a directory holding one LanceDB table per collection."""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import List, Optional, Type, Union

from . import _native
from .collection import Collection

__all__ = ["Database", "connect", "METRICS"]

#: The metrics a collection can use (see :mod:`agentdb.collection` for their distances).
METRICS = ("cosine", "l2", "dot")

PathLike = Union[str, "os.PathLike[str]"]


class Database:
    """An open AgentDB database: a directory of collections.

    Use :func:`connect` (or this constructor), preferably as a context manager::

        with agentdb.connect("./my-db") as db:
            docs = db.get_or_create_collection("docs", dim=384)
            docs.add(["a"], vectors, documents=["hello"])

    Writes are durable when they return, so closing loses nothing; it makes every handle of this
    database and of its collections raise :class:`~agentdb.errors.ClosedError`. Another process
    that opens the same directory sees everything committed.
    """

    __slots__ = ("_native",)

    def __init__(self, path: PathLike) -> None:
        """Opens the database in directory ``path``, creating the directory if needed."""
        self._native = _native.Database(path)

    @property
    def path(self) -> Path:
        """The database directory (absolute, symlinks resolved)."""
        return self._native.path

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._native.closed

    def close(self) -> None:
        """Closes the database. Calling it again does nothing."""
        self._native.close()

    def __enter__(self) -> "Database":
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = ", closed" if self.closed else ""
        return f"Database({str(self.path)!r}{state})"

    def create_collection(self, name: str, dim: int, metric: str = "cosine") -> Collection:
        """Creates an empty collection of ``dim``-dimensional vectors.

        Args:
            name: 1–128 ASCII letters, digits, ``_`` or ``-`` (not starting with ``-``).
            dim: the vector dimension (1 … 65536).
            metric: ``"cosine"`` (distance ``1 - cos``), ``"l2"`` (squared Euclidean) or
                ``"dot"`` (``1 - a·b``).

        Raises:
            CollectionExistsError: the collection exists.
            InvalidNameError: the name is not allowed.
            InvalidArgumentError: bad ``dim`` or ``metric``.
        """
        return Collection(self._native.create_collection(name, dim, metric))

    def get_collection(self, name: str) -> Collection:
        """Opens an existing collection.

        Raises:
            CollectionNotFoundError: no collection has that name (also a ``KeyError``).
        """
        return Collection(self._native.get_collection(name))

    def get_or_create_collection(self, name: str, dim: int, metric: str = "cosine") -> Collection:
        """Opens the collection, creating it if it does not exist. An existing collection must
        have the same ``dim`` and ``metric`` (else :class:`~agentdb.errors.InvalidArgumentError`)."""
        return Collection(self._native.get_or_create_collection(name, dim, metric))

    def list_collections(self) -> List[str]:
        """The names of all collections, sorted."""
        return self._native.list_collections()

    def drop_collection(self, name: str) -> None:
        """Deletes a collection and its data. Open handles to it raise
        :class:`~agentdb.errors.ClosedError` afterwards.

        Raises:
            CollectionNotFoundError: no collection has that name.
        """
        self._native.drop_collection(name)

    def __contains__(self, name: object) -> bool:
        """``"docs" in db``: whether a collection of that name exists."""
        return isinstance(name, str) and name in self.list_collections()


def connect(path: PathLike) -> Database:
    """Opens (creating if needed) the AgentDB database in directory ``path``.

    The returned :class:`Database` is also a context manager that closes it on exit.
    """
    return Database(path)
