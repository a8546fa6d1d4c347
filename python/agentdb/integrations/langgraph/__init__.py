"""LangGraph integration (``pip install 'agentdb-embedded[langgraph]'``).

* :class:`AgentDBSaver` — a checkpointer (``BaseCheckpointSaver``, sync and async) on AgentDB's
  checkpoint store: graphs resume, time-travel and fork from checkpoints kept in the database.
* :class:`AgentDBStore` — a long-term memory store (``BaseStore``) on AgentDB memory, with
  semantic search through LangGraph's ``IndexConfig`` and TTLs.

::

    from agentdb.integrations.langgraph import AgentDBSaver, AgentDBStore

    db = agentdb.connect("./agent-db")
    graph = builder.compile(checkpointer=AgentDBSaver(db), store=AgentDBStore(db, index=...))
"""

from .checkpoint import AgentDBSaver
from .store import AgentDBStore

__all__ = ["AgentDBSaver", "AgentDBStore"]
