"""Framework integrations (optional extras): each submodule imports its framework lazily, so
``import agentdb`` never needs them installed.

- :mod:`agentdb.integrations.langchain`: ``AgentDBVectorStore`` (vector, hybrid and MMR search),
  ``AgentDBHybridRetriever`` on a RAG store and ``AgentDBChatMessageHistory`` on agent state
  (``pip install 'agentdb-embedded[langchain]'``).
- :mod:`agentdb.integrations.llamaindex`: ``AgentDBVectorStore`` (default, MMR, text/sparse and
  hybrid queries), ``AgentDBRagRetriever`` and the chat stores ``AgentDBChatStore`` /
  ``AgentDBAsyncChatStore`` (``pip install 'agentdb-embedded[llamaindex]'``).
- :mod:`agentdb.integrations.langgraph`: a checkpointer and a long-term memory store
  (``pip install 'agentdb-embedded[langgraph]'``).
- :mod:`agentdb.integrations.haystack`: a Haystack 3 ``DocumentStore`` and its embedding, BM25
  and hybrid retrievers (``pip install 'agentdb-embedded[haystack]'``).
- :mod:`agentdb.integrations.autogen`: ``AgentDBMemory``, an ``autogen_core`` memory
  (``pip install 'agentdb-embedded[autogen]'``).
- :mod:`agentdb.integrations.openai_agents`: ``AgentDBSession``, an OpenAI Agents SDK session
  (``pip install 'agentdb-embedded[openai-agents]'``).
- :mod:`agentdb.integrations.mcp`: an MCP server (``agentdb mcp --db PATH``;
  ``pip install 'agentdb-embedded[mcp]'``).

The vector stores keep framework metadata with the convention of
:mod:`agentdb.integrations._metadata`."""
