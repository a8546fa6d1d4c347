"""LangChain's standard vector store suite (PyPI ``langchain-tests``), run unchanged against
:class:`agentdb.integrations.langchain.AgentDBVectorStore`, sync and async, for a cosine and an
l2 collection. Nothing is overridden or skipped (the suite's own guard test checks that)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from langchain_core.vectorstores import VectorStore
from langchain_tests.integration_tests.vectorstores import VectorStoreIntegrationTests

import agentdb
from agentdb.integrations.langchain import AgentDBVectorStore


class _AgentDBStandardTests(VectorStoreIntegrationTests):
    metric = "cosine"

    @pytest.fixture()
    def vectorstore(self, tmp_path: Path) -> Iterator[VectorStore]:  # type: ignore[override]
        """An empty store on a fresh database (the suite needs one per test)."""
        db = agentdb.connect(tmp_path / "db")
        store = AgentDBVectorStore(self.get_embeddings(), db=db, collection_name="standard", metric=self.metric)
        try:
            yield store
        finally:
            db.close()


class TestStandardCosine(_AgentDBStandardTests):
    metric = "cosine"


class TestStandardL2(_AgentDBStandardTests):
    metric = "l2"
