"""Framework integrations (optional extras): each submodule imports its framework lazily, so
``import agentdb`` never needs them installed.

- :mod:`agentdb.integrations.langchain`: ``AgentDBVectorStore``, a LangChain vector store
  (``pip install 'agentdb-embedded[langchain]'``).
- :mod:`agentdb.integrations.llamaindex`: ``AgentDBVectorStore``, a LlamaIndex vector store
  (``pip install 'agentdb-embedded[llamaindex]'``).
- :mod:`agentdb.integrations.mcp`: an MCP server (``agentdb mcp --db PATH``;
  ``pip install 'agentdb-embedded[mcp]'``).

Both store framework metadata with the convention of :mod:`agentdb.integrations._metadata`."""
