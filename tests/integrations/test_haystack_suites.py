"""Haystack's own document store test suites (``haystack.testing.document_store`` and
``haystack.testing.document_store_async``), unmodified, against AgentDBDocumentStore.

Two hooks the suites ask implementers to fill:
- ``test_write_documents`` raises NotImplementedError in the suite ("override this test"):
  the default policy is the store's to choose; ours is FAIL, as InMemoryDocumentStore's.
- ``assert_documents_are_equal`` ("override it when the store returns documents differently"):
  AgentDB stores vectors as float32, so a document comes back with its embedding rounded to
  float32; the expected documents are rounded the same way before the exact comparison
  (order, ids, content, meta, blob and the rounded embedding must all be equal).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator, List

os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")  # offline: no usage analytics

import numpy as np
import pytest
from haystack import Document
from haystack.document_stores.errors import DuplicateDocumentError
from haystack.document_stores.types import DuplicatePolicy
from haystack.testing.document_store import (
    CountDocumentsByFilterTest,
    CountUniqueMetadataByFilterTest,
    DocumentStoreBaseExtendedTests,
    GetMetadataFieldMinMaxTest,
    GetMetadataFieldsInfoTest,
    GetMetadataFieldUniqueValuesTest,
)
from haystack.testing.document_store_async import (
    CountDocumentsAsyncTest,
    CountDocumentsByFilterAsyncTest,
    CountUniqueMetadataByFilterAsyncTest,
    DeleteAllAsyncTest,
    DeleteByFilterAsyncTest,
    DeleteDocumentsAsyncTest,
    FilterDocumentsAsyncTest,
    GetMetadataFieldMinMaxAsyncTest,
    GetMetadataFieldsInfoAsyncTest,
    GetMetadataFieldUniqueValuesAsyncTest,
    UpdateByFilterAsyncTest,
    WriteDocumentsAsyncTest,
)

from agentdb.integrations.haystack import AgentDBDocumentStore


def _rounded(doc: Document) -> Document:
    if doc.embedding is None:
        return doc
    fields = doc.to_dict(flatten=False)
    fields["embedding"] = [float(x) for x in np.asarray(doc.embedding, dtype=np.float32)]
    return Document.from_dict(fields)


class _Fixture:
    @pytest.fixture
    def document_store(self, tmp_path: Path) -> Iterator[AgentDBDocumentStore]:
        # The suites' documents are 768-dimensional, or have no embedding at all.
        store = AgentDBDocumentStore(path=tmp_path / "db", collection_name="suite", embedding_dim=768)
        yield store
        store.close()

    @staticmethod
    def assert_documents_are_equal(received: List[Document], expected: List[Document]) -> None:
        assert received == [_rounded(d) for d in expected]


class TestDocumentStore(
    _Fixture,
    DocumentStoreBaseExtendedTests,
    CountDocumentsByFilterTest,
    CountUniqueMetadataByFilterTest,
    GetMetadataFieldsInfoTest,
    GetMetadataFieldMinMaxTest,
    GetMetadataFieldUniqueValuesTest,
):
    def test_write_documents(self, document_store: AgentDBDocumentStore) -> None:
        docs = [Document(content="first", meta={"n": 1}), Document(content="second", embedding=[0.5] * 768)]
        assert document_store.write_documents(docs) == 2
        self.assert_documents_are_equal(document_store.filter_documents(), docs)
        # The default policy (NONE) is FAIL: nothing of a batch with a known id is written.
        with pytest.raises(DuplicateDocumentError):
            document_store.write_documents([Document(content="third"), docs[0]])
        assert document_store.count_documents() == 2
        assert document_store.write_documents([docs[0]], policy=DuplicatePolicy.SKIP) == 0


class TestDocumentStoreAsync(
    _Fixture,
    CountDocumentsAsyncTest,
    CountDocumentsByFilterAsyncTest,
    CountUniqueMetadataByFilterAsyncTest,
    DeleteAllAsyncTest,
    DeleteByFilterAsyncTest,
    DeleteDocumentsAsyncTest,
    FilterDocumentsAsyncTest,
    GetMetadataFieldMinMaxAsyncTest,
    GetMetadataFieldsInfoAsyncTest,
    GetMetadataFieldUniqueValuesAsyncTest,
    UpdateByFilterAsyncTest,
    WriteDocumentsAsyncTest,
):
    async def test_write_documents_async(self, document_store: AgentDBDocumentStore) -> None:
        docs = [Document(content="first", meta={"n": 1}), Document(content="second", embedding=[0.5] * 768)]
        assert await document_store.write_documents_async(docs) == 2
        self.assert_documents_are_equal(await document_store.filter_documents_async(), docs)
        with pytest.raises(DuplicateDocumentError):
            await document_store.write_documents_async([docs[1]])
        assert await document_store.count_documents_async() == 2
