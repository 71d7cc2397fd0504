"""Shared helpers for the tcpcheck test suite.

Runs of the presets are cached for the whole session (each preset is explored
once however many tests read it); every helper here computes something from
a real exploration, nothing is hard-coded.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import pty
import select
import signal
import subprocess
import time
from collections import deque

from tcpcheck.model.actions import ACTIONS
from tcpcheck.model.checker import run
from tcpcheck.model.config import preset
from tcpcheck.model.table import REFERENCE, parse_table

# The grader's cache of the reference's side stays off: every test computes what it checks
# (tests/test_grading_cli.py turns it on in a folder of its own).
os.environ["TCPCHECK_CACHE"] = "off"

# The tests that press Ctrl-C on a command send SIGINT to a child process.  A suite started in
# the background of a shell without job control (`cmd &`, nohup) inherits SIGINT ignored, and so
# would every child (Python keeps an ignored SIGINT ignored): the signal would never arrive and
# the child would run on.  A handler here is reset to the default in each child at exec.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

REFERENCE_TEXT = REFERENCE.read_text(encoding="utf-8")
A_ISS = 4294967294  # the default client's ISS (2**32 - 2)
B_ISS = 300  # the default server's ISS


def interrupt_when(argv: list[str], text: str, timeout: float = 120.0):
    """Run ``argv`` with stderr on a terminal (where a command shows its progress), press
    Ctrl-C (SIGINT) once ``text`` shows there, and return (exit code, stdout, stderr seen).

    The signal waits for the command to say it is at work, never for a time: under load a
    command may still be importing its modules seconds after it started."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=slave, text=True)
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + timeout
    try:
        while text.encode() not in seen and time.monotonic() < deadline:
            if select.select([master], [], [], 1.0)[0]:
                try:
                    seen += os.read(master, 4096)
                except OSError:
                    break
        assert text.encode() in seen, seen[-500:]
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=timeout)
        while select.select([master], [], [], 0.2)[0]:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, out, seen.decode(errors="replace")



@functools.lru_cache(maxsize=None)
def run_preset(name: str):
    """The checker's Result for a preset, computed once per session."""
    return run(preset(name))


def verdict(result, name: str):
    """The Verdict of the property called ``name``."""
    found = [v for v in result.verdicts if v.name == name]
    assert len(found) == 1, f"no single property called {name!r}"
    return found[0]


def mutant_table(name: str, *edits: tuple[str, str]):
    """The reference table with each ``(old, new)`` edit applied exactly once.

    Every ``old`` must occur exactly once in the reference text, so a mutant
    can never silently be the reference table itself.
    """
    text = REFERENCE_TEXT
    for old, new in edits:
        assert text.count(old) == 1, f"mutation anchor occurs {text.count(old)} times: {old!r}"
        text = text.replace(old, new)
    assert text != REFERENCE_TEXT
    return parse_table(text, name)


def mutant_actions(replacements: dict):
    """A copy of ACTIONS with the entries of ``replacements`` replaced."""
    actions = dict(ACTIONS)
    for key, fn in replacements.items():
        assert key in actions, key
        actions[key] = fn
    return actions


def with_endpoint(cfg, who: str, **changes):
    """``cfg`` with endpoint ``who`` ('A' or 'B') changed."""
    return dataclasses.replace(cfg, **{who: dataclasses.replace(getattr(cfg, who), **changes)})


class Graph:
    """An exploration decoded once: states, labels and adjacency in BFS order."""

    def __init__(self, exploration):
        x = self.x = exploration
        self.states = [x.state(i) for i in range(len(x.states))]
        self.labels = [x.label(k) for k in range(len(x.labels))]
        self.out: list[list[tuple[int, int]]] = [[] for _ in self.states]
        for u, v, k in zip(x.src, x.dst, x.lab):
            self.out[u].append((k, v))

    def edges(self):
        """Every transition as (source id, step, target id)."""
        for u, succ in enumerate(self.out):
            for k, v in succ:
                yield u, self.labels[k], v

    def monitored_path(self, start, advance, accept):
        """The shortest path from state 0 along which a monitor reaches ``accept``.

        The monitor starts in ``start``; on each edge ``advance(m, before, step,
        after)`` gives its next value, or None when the edge is not allowed.
        The search is a BFS over (state, monitor) pairs, taking edges in the
        explorer's order, so the answer is deterministic.  Returns
        ``[(None, s0), (step1, s1), ...]``, or None when no path exists.
        """
        first = (0, start)
        parent = {first: None}
        queue = deque([first])
        while queue:
            node = queue.popleft()
            u, m = node
            if accept(m, self.states[u]):
                out = []
                while node is not None:
                    prev = parent[node]
                    out.append((prev[1] if prev else None, self.states[node[0]]))
                    node = prev[0] if prev else None
                return out[::-1]
            before = self.states[u]
            for k, v in self.out[u]:
                step = self.labels[k]
                m2 = advance(m, before, step, self.states[v])
                if m2 is None:
                    continue
                nxt = (v, m2)
                if nxt not in parent:
                    parent[nxt] = (node, step)
                    queue.append(nxt)
        return None

    def constrained_path(self, phases):
        """The shortest path from state 0 that goes through ``phases`` in order.

        ``phases`` is a list of ``(advance, keep)`` pairs of predicates on
        ``(before, step, after)``: in phase i an edge satisfying ``advance``
        moves to phase i+1, and otherwise the edge may be taken only if it
        satisfies ``keep`` (None means any edge).
        """
        def step(phase, before, st, after):
            if phase == len(phases):
                return None
            advance, keep = phases[phase]
            if advance(before, st, after):
                return phase + 1
            if keep is None or keep(before, st, after):
                return phase
            return None
        return self.monitored_path(0, step, lambda phase, _: phase == len(phases))


@functools.lru_cache(maxsize=None)
def preset_graph(name: str) -> Graph:
    return Graph(run_preset(name).exploration)


def steps_of(path):
    """The Step sequence of a path (without the initial None)."""
    return [step for step, _ in path[1:]]


def endpoint_states(path, who: str):
    return [getattr(s, who).state for _, s in path]
