"""One check run: configuration and rule table in, verdicts out.

Glue between the layers: it builds the model for a configuration, explores
it, checks the properties and keeps everything a report needs.  The command
line, the benchmark and the tests all go through :func:`run`.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
import time

from .config import Config
from .engines import accepts, explore_function
from .explorer import Exploration, explore
from .liveness import Stopped
from .properties import PROPERTIES, Monitor, Property, Verdict, check_properties, on_the_fly
from .system import Model, State
from .table import REFERENCE, RuleTable, load_table
from .tcb import STATES

__all__ = ["Result", "Budget", "build", "run", "machine_memory", "default_max_memory", "resident_memory"]


def build(config: Config, table: RuleTable | None = None, actions: dict | None = None) -> Model:
    """The model of ``config`` with ``table`` (else the configuration's, else the
    reference) and ``actions`` (else the standard vocabulary)."""
    if table is None:
        table = load_table(config.rules or REFERENCE)
    return Model(config, table, actions)


@dataclasses.dataclass
class Result:
    """Everything one ``check`` run found.

    ``timings`` are the phases' wall-clock seconds: ``{"search": s,
    "properties": s, "total": s}``, where ``total`` is the whole run (from
    the ``started`` time :func:`run` was given, else from its own start:
    building the model, the search and the properties).
    ``property_seconds`` is ``{property name: seconds}`` for each property
    that was checked, in the order checked.  ``stopped`` says why the run
    ended early: ``None`` (it did not), ``"max-states"``, ``"max-memory"``,
    ``"max-seconds"``, ``"interrupted"`` (Ctrl-C) or ``"violation"`` (asked
    to stop at the first violation, it found one); then every property
    that could not be decided is ``unknown``, and a violation found is
    genuine (its counterexample is a run of the model).
    """

    config: object
    table: RuleTable
    exploration: Exploration
    verdicts: list[Verdict]
    timings: dict[str, float] = dataclasses.field(default_factory=dict)
    property_seconds: dict[str, float] = dataclasses.field(default_factory=dict)
    stopped: str | None = None
    #: the RFC states each endpoint was seen in, as the on-the-fly check recorded them
    reached: dict | None = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def fired(self) -> list[int]:
        ids = {r for k in range(len(self.exploration.labels)) for r in self.exploration.label(k).rules}
        return sorted(ids)

    @property
    def dead(self) -> list[int]:
        fired = set(self.fired)
        return [r.id for r in self.table.rules if r.id not in fired]

    def reachable(self) -> dict[str, list[str]]:
        """The RFC states each endpoint reaches, in the order of :data:`tcb.STATES`."""
        seen = self.reached
        if seen is None:
            seen = {"A": set(), "B": set()}
            x = self.exploration
            for i in range(len(x.states)):
                s = x.state(i)
                seen["A"].add(s.A.state)
                seen["B"].add(s.B.state)
        return {w: [st for st in STATES if st in seen[w]] for w in ("A", "B")}



def _memory_limit_of_cgroup() -> int | None:
    """The memory limit of this process's cgroup (v2 ``memory.max``, else v1), if any."""
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path) as f:
                text = f.read().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 1 << 60:  # "max", or v1's huge "no limit"
            return int(text)
    return None


def machine_memory() -> int | None:
    """The memory this process may use, in bytes: the machine's (MemTotal of
    /proc/meminfo), or its cgroup's limit when that is lower; None if unknown."""
    total = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    total = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    limit = _memory_limit_of_cgroup()
    if limit is not None and (total is None or limit < total):
        total = limit
    return total


#: The default memory budget of ``tcpcheck check``: this share of :func:`machine_memory`.
DEFAULT_MEMORY_SHARE = 0.75


def default_max_memory() -> int | None:
    """75 % of the memory this process may use (None when it is not known)."""
    total = machine_memory()
    return int(total * DEFAULT_MEMORY_SHARE) if total else None


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident_memory() -> int:
    """This process's resident memory now, in bytes (/proc/self/statm; where
    there is none, the peak so far from getrusage, an upper bound)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


class Budget:
    """The limits of one run: seconds since ``started`` and resident bytes.
    :meth:`exceeded` names the first one exceeded, else None."""

    def __init__(self, started: float, max_seconds: float | None = None, max_memory: int | None = None):
        self.started, self.max_seconds, self.max_memory = started, max_seconds, max_memory

    def exceeded(self, _x=None) -> str | None:
        if self.max_seconds is not None and time.perf_counter() - self.started >= self.max_seconds:
            return "max-seconds"
        if self.max_memory is not None and resident_memory() >= self.max_memory:
            return "max-memory"
        return None


class _Stop(BaseException):
    """Raised inside a property's check when a budget runs out (a BaseException,
    like KeyboardInterrupt, so that no ``except Exception`` on the way swallows it)."""


class _Ticker:
    """While armed, every ``every`` seconds (SIGALRM): call ``tick()`` and stop
    the check in progress by raising :class:`_Stop` when ``budget`` is exceeded.
    The handler runs in the main thread, so arming and disarming need no lock.
    It does nothing (the budget is then asked between properties only) when
    not ``wanted``, outside the main thread, without setitimer, or when a
    caller's own SIGALRM timer is pending (a grader's or a test's wall-clock
    limit around the run): that one is left alone."""

    def __init__(self, budget: Budget, tick, every: float = 0.25, wanted: bool = True):
        self.budget, self.tick, self.every = budget, tick, every
        self.armed, self.reason, self._old = False, None, None
        self.works = (wanted and hasattr(signal, "setitimer")
                      and threading.current_thread() is threading.main_thread()
                      and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0))

    def _handler(self, signum, frame):
        if not self.armed:
            return
        if self.tick is not None:
            self.tick()
        why = self.budget.exceeded()
        if why is not None:
            self.armed, self.reason = False, why
            raise _Stop(why)

    def __enter__(self):
        if self.works:
            self._old = signal.signal(signal.SIGALRM, self._handler)
            signal.setitimer(signal.ITIMER_REAL, self.every, self.every)
        self.armed = True
        return self

    def __exit__(self, *exc):
        self.armed = False
        if self.works:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._old)
        return False


def _unknown(p: Property) -> Verdict:
    """The verdict of a property that was not decided."""
    v = Verdict(p.name, p.kind, p.statement, "unknown", None, "")
    return v._replace(id=p.id) if "id" in Verdict._fields and hasattr(p, "id") else v


def _check(x: Exploration, properties, budget: Budget, progress, interruptible: bool,
           monitor: Monitor | None = None):
    """Check ``properties`` one by one on ``x``, timing each, until a budget
    runs out or (when ``interruptible``) Ctrl-C: then the property being
    checked and the rest are unknown.  Those of ``monitor`` were checked while
    the states were found: their verdicts are collected (a liveness property's
    fair-cycle analysis runs now); the others are checked on the readable
    states.  Returns (verdicts, seconds, why stopped)."""
    properties = tuple(properties)
    report = getattr(progress, "property", None)  # report(i, total, property or None, seconds on it)
    current: list = [0, None, time.perf_counter()]  # index, property, when it started

    def tick():
        if report is not None:
            i, p, t = current
            report(i, len(properties), p, time.perf_counter() - t)

    verdicts: list[Verdict] = []
    seconds: dict[str, float] = {}
    stopped = None
    ticker = _Ticker(budget, tick, wanted=report is not None or budget.max_seconds is not None
                     or budget.max_memory is not None)
    fly = {p.name for p in monitor.properties} if monitor is not None else set()
    view = None
    try:
        with ticker:
            tick()  # before the first property
            should_stop = None if ticker.works else budget.exceeded
            for i, p in enumerate(properties):
                stopped = budget.exceeded()  # where the ticker does not work
                if stopped is not None:
                    break
                current[:] = i, p, time.perf_counter()
                tick()
                if p.name in fly:
                    v = monitor.verdict(p, x, should_stop=should_stop)
                else:
                    if view is None:
                        view = x.decoded()  # read every state once, for the properties checked here
                    v = check_properties(view, (p,))[0]
                seconds[p.name] = time.perf_counter() - current[2]
                verdicts.append(v)
            current[:] = len(properties), None, time.perf_counter()
    except (_Stop, Stopped) as stop:
        stopped = str(stop)
    except KeyboardInterrupt:
        if not interruptible:
            raise
        stopped = "interrupted"
    if len(verdicts) == len(properties):  # it came after the last was decided: nothing is missing
        stopped = None
    if stopped is not None and current[1] is not None and current[1].name not in seconds:
        seconds[current[1].name] = time.perf_counter() - current[2]  # the time it had before it was cut
    verdicts += [_unknown(p) for p in properties[len(verdicts):]]
    return verdicts, seconds, stopped


def run(config: Config, table: RuleTable | None = None, max_states: int | None = None,
        progress=None, properties=PROPERTIES, actions: dict | None = None, *,
        max_seconds: float | None = None, max_memory: int | None = None,
        started: float | None = None, interruptible: bool = False,
        stop_at_first: bool = False, engine: str = "bfs", engine_options: dict | None = None) -> Result:
    """Explore ``config`` exhaustively (up to ``max_states``) and check ``properties``.

    Budgets: ``max_states`` bounds the search (the properties are then
    checked on the states found); ``max_seconds`` (since ``started``, a
    ``time.perf_counter()`` value, default now) and ``max_memory`` (resident
    bytes) bound the whole run.  When either runs out the run stops where it
    is: a property already decided keeps its verdict, the rest are unknown,
    and ``Result.stopped`` says why.  With ``interruptible``, Ctrl-C stops it
    the same way (``stopped == "interrupted"``) instead of raising.

    The properties whose tests say what they read (all the built-in ones,
    see :func:`properties.on_the_fly`) are checked while the states are found
    (:class:`properties.Monitor`), so the search's time includes theirs; the
    rest after the search.  With ``stop_at_first`` the search stops as soon as
    an invariant, step property or deadlock is violated (``stopped ==
    "violation"``), like SPIN and TLC: that counterexample is the shortest,
    and the properties not yet decided are unknown.

    ``engine`` names the search (:data:`engines.ENGINES`); every engine finds
    the same states in the same order, so the verdicts do not depend on it.
    ``engine_options`` go to its search as they are (e.g. ``{"cores": 1}``
    for the packed engine).

    ``progress(exploration)`` is called during the search; if it has a
    method ``property(i, total, prop, seconds)``, that is called as each
    property starts and about every 0.25 s while it is checked (``prop`` is
    None while the states are read, before the first, and after the last).

    >>> from tcpcheck.model.config import preset
    >>> r = run(preset("seed"))
    >>> len(r.exploration.states), [v.verdict for v in r.verdicts][-1], r.stopped
    (14, 'holds', None)
    >>> r = run(preset("default"), max_seconds=0.001)
    >>> r.stopped, sorted({v.verdict for v in r.verdicts})
    ('max-seconds', ['unknown'])
    """
    t0 = started if started is not None else time.perf_counter()
    budget = Budget(t0, max_seconds, max_memory)
    model = build(config, table, actions)
    layout = State._fields if isinstance(model, Model) else None  # component i decodes to field i
    monitor = Monitor(tuple(p for p in properties if on_the_fly(p)), layout, stop_at_first)
    search = explore if engine == "bfs" else explore_function(engine)
    options = dict(engine_options or {})
    if engine != "bfs" and accepts(engine, "monitor"):  # the engine checks the properties itself (the cluster)
        options["monitor"] = monitor
    x = search(model, max_states=max_states, progress=progress, stop=budget.exceeded,
                interruptible=interruptible, observe=None if "monitor" in options else monitor.feed, **options)
    monitor = getattr(x, "monitor", monitor)
    stopped = x.stopped
    t1 = time.perf_counter()
    verdicts = []
    try:
        if stopped in (None, "max-states", "violation"):
            monitor.feed(x)  # what the search found after the last look
        if stopped in (None, "max-states", "violation"):
            verdicts, seconds, why = _check(x, properties, budget, progress, interruptible, monitor)
            stopped = why or stopped
        else:  # out of time or memory, or interrupted: nothing more is decided
            verdicts, seconds = [_unknown(p) for p in properties], {}
    finally:
        if hasattr(x, "settle"):  # gather what the verdicts' runs need, and close the cluster
            x.settle(verdicts)
    t2 = time.perf_counter()
    return Result(config, model.table, x, verdicts,
                  timings={"search": x.seconds, "properties": t2 - t1, "total": t2 - t0},
                  property_seconds=seconds, stopped=stopped,
                  reached=monitor.reached if layout is not None and stopped != "interrupted"
                  and monitor.n_states == len(x.states) else None)
