"""Readers in other processes see whole commits.

A writer process upserts (and now and then deletes) whole groups of records, one batch at a time,
flushing after most batches and leaving the rest to the background flusher; two read-only reader
processes read the whole collection as fast as they can meanwhile (see
tests/cross_process_child.py). Every read must be the state after some prefix of the writer's
batches (all of a batch or none of it, never a group with records missing or of two batches), and
each reader's reads must go forward through those states, never back.

``AGENTDB_XPROC_SECONDS`` (default 12) is how long the writer writes; ``make stress`` runs it for
minutes. ``AGENTDB_XPROC_SEED`` fixes the writer's sequence of batches.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path
from typing import IO, Dict, List, Optional, Tuple

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cross_process_child as child  # noqa: E402

SECONDS = float(os.environ.get("AGENTDB_XPROC_SECONDS", "12"))
READERS = 2


def spawn(*args: str, stdout: Optional[IO[str]] = None) -> subprocess.Popen:
    """A child process; its output goes to a pipe, or to `stdout` (a file)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE.parent / "python"), env.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, str(HERE / "cross_process_child.py"), *args],
        stdout=subprocess.PIPE if stdout is None else stdout,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def committed_states(journal: List[Tuple[str, int, int]]) -> Dict[Tuple[str, ...], List[int]]:
    """Every state after a prefix of the writer's batches (the setup's included), as a reader
    summarises it, mapped to the prefix lengths that give it."""
    state: List[Optional[int]] = list(range(child.GROUPS))
    states: Dict[Tuple[str, ...], List[int]] = {}

    def note(p: int) -> None:
        states.setdefault(tuple("-" if b is None else str(b) for b in state), []).append(p)

    note(0)
    for p, (kind, b, g) in enumerate(journal, start=1):
        state[g] = b if kind == "U" else None
        note(p)
    return states


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes")
def test_readers_in_other_processes_see_whole_commits(tmp_path: Path) -> None:
    seed = int(os.environ.get("AGENTDB_XPROC_SEED", str(random.randrange(1 << 30))))
    path = str(tmp_path / "db")
    setup = spawn("setup", path)
    _, err = setup.communicate(timeout=120)
    assert setup.returncode == 0, err

    writer = spawn("writer", path, str(seed), str(SECONDS))
    # The readers write their lines to files: a pipe nobody reads while the writer runs fills
    # after about 800 lines and stops its reader (every run before this one read that little).
    files = [open(tmp_path / f"reader{i}.out", "w+") for i in range(READERS)]
    readers = [spawn("reader", path, str(SECONDS + 1), stdout=f) for f in files]
    w_out, w_err = writer.communicate(timeout=SECONDS + 300)
    outs = []
    for r, f in zip(readers, files):
        _, err = r.communicate(timeout=SECONDS + 300)
        f.seek(0)
        outs.append((f.read(), err))
        f.close()
    assert writer.returncode == 0, f"seed {seed}: the writer failed:\n{w_err}"
    for r, (_, err) in zip(readers, outs):
        assert r.returncode == 0, f"seed {seed}: a reader failed:\n{err}"
    lines = w_out.splitlines()
    assert lines and lines[-1] == "DONE", f"seed {seed}: the writer did not finish:\n{w_err}"
    journal = [(k, int(b), int(g)) for k, b, g in (line.split() for line in lines[:-1])]
    assert [b for _, b, _ in journal] == list(range(child.GROUPS, child.GROUPS + len(journal)))
    states = committed_states(journal)

    reads = torn = 0
    examples: List[str] = []
    progress = []
    for out, _ in outs:
        at = 0  # the shortest prefix this reader's reads so far are consistent with
        seen = set()
        for line in out.splitlines():
            reads += 1
            key = tuple(line.split())
            candidates = [p for p in states.get(key, []) if p >= at]
            if not candidates:
                torn += 1
                if len(examples) < 5:
                    why = "no state the writer committed" if key not in states else "an older state than an earlier read"
                    examples.append(f"{why}: {line[:300]}")
                continue
            at = candidates[0]
            seen.add(at)
        progress.append(len(seen))
    print(
        f"cross-process: seed {seed}, {len(journal)} batches written in {SECONDS:g} s, "
        f"{reads} reads by {READERS} readers, {torn} torn, distinct states seen per reader {progress}"
    )
    assert torn == 0, f"seed {seed}: {torn} of {reads} reads were not a committed state:\n" + "\n".join(examples)
    # The test must have tested something: many reads, and readers that followed the writer.
    assert reads >= 200 * READERS, f"seed {seed}: only {reads} reads"
    assert len(journal) >= 50, f"seed {seed}: only {len(journal)} batches"
    assert min(progress) >= 10, f"seed {seed}: the readers saw too few of the writer's states: {progress}"
