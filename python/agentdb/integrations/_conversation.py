"""What the chat histories of the framework integrations share: a conversation is one versioned
key of AgentDB state holding the list of its messages, and a change is a read of that list and a
write of the new one. This lock serialises those read-modify-writes within a process, for every
history object of the same conversation; the state has no compare-and-set yet, so two processes
changing one conversation at the same instant can still lose one change."""

from __future__ import annotations

import threading
from typing import Any, Dict, Tuple

__all__ = ["conversation_lock"]

_locks: Dict[Tuple[str, str, str, str], threading.Lock] = {}
_guard = threading.Lock()


def conversation_lock(db: Any, agent_id: str, session_id: str, key: str) -> threading.Lock:
    """The process-wide lock of one conversation, ``(database directory, agent, session, key)``."""
    ident = (str(db.path), agent_id, session_id, key)
    with _guard:
        return _locks.setdefault(ident, threading.Lock())
