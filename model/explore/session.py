"""What the explorer page shows, computed from the model: one run at a time.

A *run* is a list of step indices: the k-th number picks the step of that
index among :meth:`Model.successors` of the state reached so far (the order
is fixed, so ``[0, 0, 1]`` means the same run on every start of the same
configuration and table).  :class:`Session` turns a run into what the page
shows (the global state, the steps enabled from it, the chart of the run, the
properties the run violates), explores what can still happen from its end, and
turns a counterexample of ``check`` (by property, or a ``check --json`` file)
into a run.

Every fact comes from the model: the steps from ``successors``, the rules and
their lines from the table, the properties' verdicts from the predicates of
:mod:`..properties` (invariants on each state of the run, the step property on
each step, deadlock freedom at its end), the chart from the ``tcpcheck.charts``
entry point (``diagrams/`` draws it; this module never imports it).  Nothing
here decides a transition.
"""

from __future__ import annotations

import inspect
import json
import threading
from pathlib import Path

from ..checker import build, run as check_run
from ..errors import InputError, closest, read_input
from ..explorer import explore
from ..grading.formats import chart_service
from ..i18n import canonical_property, property_name, say, translator
from ..interface import segment_json, stamp, tcb_json
from ..properties import IDS, PROPERTIES, REASONS, Text, acceptable_end, path_of
from ..mutants import MUTANTS
from ..recorded import MUTANT_SUFFIX
from ..report import _what as _report_what, check_note, describe_config, trace_json
from ..system import ENDPOINTS
from ..tcb import STATES, describe_segment

__all__ = ["Session", "RunError", "MAX_RUN", "REACH_LIMIT", "read_json"]

#: the most steps a run may have (a counterexample has tens; a URL stays short)
MAX_RUN = 500

#: the default bound of the "what can happen from here" search, in states
REACH_LIMIT = 20_000


class RunError(InputError):
    """A run that is not a run of the model: a step index that is not enabled."""


class _From:
    """The model started from one of its states (for the bounded search from here)."""

    def __init__(self, model, start):
        self.model, self.start = model, start
        self.successors, self.decode, self.step = model.successors, model.decode, model.step

    def initial_states(self):
        return [self.start]


def parse_run(text: str | None) -> list[int]:
    """``"3,0,2"`` -> ``[3, 0, 2]``; ``""`` or None is the empty run; RunError otherwise."""
    if not text:
        return []
    parts = text.split(",")
    if len(parts) > MAX_RUN or not all(p.isdigit() and len(p) <= 6 for p in parts):
        raise RunError(f"run: expected step numbers separated by commas, like 3,0,2 (at most "
                       f"{MAX_RUN}), not '{text[:40]}'")
    return [int(p) for p in parts]


class Session:
    """One configuration and rule table, and the runs of its model.

    >>> from tcpcheck.model.config import preset
    >>> s = Session(preset("seed"))
    >>> [st["what"] for st in s.view([])["enabled"]]
    ['A: active OPEN']
    >>> v = s.view([0, 0])
    >>> v["state"]["A"]["state"], v["state"]["B"]["state"], [q["text"] for q in v["state"]["in_flight"]["B->A"]]
    ('SYN_SENT', 'SYN_RCVD', ['<SEQ=300><ACK=4294967295><CTL=SYN,ACK>'])
    """

    def __init__(self, config, table=None, *, mutant: str | None = None):
        self.model = build(config, table)
        self.config, self.table = config, self.model.table
        #: the mutant the model is (named in the page's note), if any: given, or as
        #: the configuration's name says it (:func:`~..mutants.apply_mutant`)
        found = MUTANT_SUFFIX.search(config.name)
        self.mutant = mutant or (found.group(1) if found and found.group(1) in MUTANTS else None)
        self.start: list[int] = []  # the run the page opens with (a counterexample)
        self.start_title = ""  # what that run is, in English (the page says it in its language)
        self.start_what: tuple[str, str | None, str | None] | None = None  # (file, kind, property): see opening
        self._lock = threading.RLock()  # the model memoizes: one request at a time
        self._check = None

    # --- runs ------------------------------------------------------------------------

    def walk(self, run: list[int]) -> tuple[list, list]:
        """The run's path [(None, s0), (Step, s1), ...] (readable) and its internal states."""
        m = self.model
        s = m.initial_states()[0]
        path, ids = [(None, m.decode(s))], [s]
        for n, k in enumerate(run, 1):
            succ = m.successors(s)
            if not 0 <= k < len(succ):
                raise RunError(f"run: step {n} is {k}, but from there only "
                               f"{len(succ)} step(s) are enabled (0 to {len(succ) - 1})"
                               if succ else f"run: step {n} is {k}, but nothing can happen there")
            label, s = succ[k]
            path.append((m.step(label), m.decode(s)))
            ids.append(s)
        return path, ids

    def indices_of(self, path: list, start=None) -> list[int]:
        """The run of a readable path [(None, s0), (Step, s1), ...] (as
        :func:`~..properties.path_of` gives) from the initial state, or from the
        internal state ``start``: each step the first successor with the same
        step and the same next state."""
        m = self.model
        s = m.initial_states()[0] if start is None else start
        if m.decode(s) != path[0][1]:
            raise RunError("the run does not start in this configuration's initial state")
        out = []
        for n, (step, state) in enumerate(path[1:], 1):
            succ = m.successors(s)
            k = next((i for i, (label, t) in enumerate(succ) if m.step(label) == step and m.decode(t) == state),
                     None)
            if k is None:
                raise RunError(f"step {n} of the run is not a step of this model")
            out.append(k)
            s = succ[k][1]
        return out

    # --- what the page shows ---------------------------------------------------------

    def _what(self, step, lang: str) -> str:
        """What a step does, in ``lang``: report.py's English, or its templates
        (context ``trace``) said in another language."""
        if lang == "en":
            return _report_what(step, self.table)
        _ = translator(lang)
        if step.kind in ("call", "timer"):
            return _("{actor}: {event}", "trace").format(actor=step.actor, event=_(step.event, "event"))
        if step.kind == "rcv":
            events = _("; ", "trace").join(_(e, "event") for e in step.event.split("; "))
            return _("{actor} receives {segment}: {events}", "trace").format(
                actor=step.actor, segment=describe_segment(step.segment), events=events)
        template = (_("network loses {segment} ({direction})", "trace") if step.kind == "lose"
                    else _("network duplicates {segment} ({direction})", "trace"))
        return template.format(segment=describe_segment(step.segment), direction=step.event)

    def _app(self, app, lang: str) -> dict:
        """An application's remaining intentions, as fields and as phrases."""
        _ = translator(lang)
        said = []
        if app.open:
            said.append(_("will OPEN actively", "explore") if app.open == "active"
                        else _("will OPEN passively", "explore"))
        if app.data:
            said.append(_("{n} data segment(s) to SEND", "explore").format(n=app.data))
        if app.close:
            said.append(_("will CLOSE", "explore"))
        if app.abort:
            said.append(_("may ABORT", "explore"))
        return {"open": app.open or None, "data": app.data, "close": app.close, "abort": app.abort,
                "incarnation": app.incarnation,
                "text": said or [_("nothing left to do", "explore")]}

    def _state(self, s, lang: str) -> dict:
        return {"A": tcb_json(s.A), "B": tcb_json(s.B),
                "apps": {"A": self._app(s.app_A, lang), "B": self._app(s.app_B, lang)},
                "in_flight": {"A->B": [segment_json(q) for q in s.net_AB],
                              "B->A": [segment_json(q) for q in s.net_BA]},
                "lost": s.lost}

    def _enabled(self, internal, lang: str) -> list[dict]:
        m, table = self.model, self.table
        out = []
        for k, (label, t) in enumerate(m.successors(internal)):
            step, after = m.step(label), m.decode(t)
            out.append({"index": k, "actor": step.actor, "kind": step.kind, "event": step.event,
                        "what": self._what(step, "en"), "text": self._what(step, lang),
                        "segment": segment_json(step.segment) if step.segment else None,
                        "rules": [{"rule": table.rules[r].describe(), "where": table.rules[r].where}
                                  for r in step.rules],
                        "sent": [segment_json(q) for q in step.sent],
                        "dropped": [segment_json(q) for q in step.dropped],
                        "next": {"A": after.A.state, "B": after.B.state}})
        return out

    def flagged(self, path: list, lang: str = "en", terminal: bool = False) -> list[dict]:
        """The properties the run violates, each at the first step where it does:
        invariants on each state, step properties on each step (the predicates of
        model/properties.py), deadlock freedom when the run ends where nothing can
        happen and that is not an acceptable end.  Reachability and liveness are
        about all runs, not this one: they are not flagged."""
        out = []

        def flag(p, n, why):
            out.append({"id": p.id, "name": p.name, "name_text": property_name(p.name, lang), "kind": p.kind,
                        "step": n, "detail": str(why), "detail_text": say(why, lang)})

        for p in PROPERTIES:
            if p.kind == "invariant":
                for n, (_, s) in enumerate(path):
                    why = p.test(s)
                    if why is not None:
                        flag(p, n, why)
                        break
            elif p.kind == "step":
                for n in range(1, len(path)):
                    why = p.test(path[n - 1][1], path[n][0], path[n][1])
                    if why is not None:
                        flag(p, n, why)
                        break
            elif p.kind == "deadlock" and terminal and not acceptable_end(path[-1][1]):
                s = path[-1][1]
                flag(p, len(path) - 1, Text("stuck", REASONS["stuck"], a=s.A.state, b=s.B.state,
                                            n=len(s.net_AB) + len(s.net_BA)))
        return out

    def chart(self, path: list, lang: str, stuck: bool = False) -> str:
        """The run's message sequence chart as SVG, drawn by the ``msc_svg`` chart
        service (diagrams/); "" when no service draws it (no Graphviz).  ``stuck``:
        the run ends in a deadlock, and the chart marks its end as a wait for ever
        (as ``diagram trace`` draws a deadlock's counterexample)."""
        fn = chart_service("msc_svg")
        if fn is None:
            return ""
        _ = translator(lang)
        title = _("{config}: the run so far, to step {n}", "explore").format(config=self.config.name,
                                                                           n=len(path) - 1)
        trace = trace_json(path, self.table)
        accepted = inspect.signature(fn).parameters
        extra = {k: v for k, v in (("lang", lang), ("stuck", stuck)) if k in accepted}
        return fn(trace, title, **extra)

    def view(self, run: list[int], lang: str = "en", chart: bool = False) -> dict:
        """Everything the page shows for ``run`` (see the module docstring)."""
        with self._lock:
            path, ids = self.walk(run)
            enabled = self._enabled(ids[-1], lang)
            trace = trace_json(path, self.table)
            for st, (step, _) in zip(trace[1:], path[1:]):
                st["text"] = self._what(step, lang)
            doc = {"run": list(run), "config": self.config.name, "trace": trace,
                   "state": self._state(path[-1][1], lang), "enabled": enabled,
                   "terminal": not enabled, "acceptable_end": acceptable_end(path[-1][1]),
                   "flagged": self.flagged(path, lang, terminal=not enabled)}
            if chart:
                doc["chart"] = self.chart(path, lang, stuck=not enabled and not doc["acceptable_end"])
            return stamp("explore-run", doc)

    # --- what can happen from here ----------------------------------------------------

    def reach(self, run: list[int], limit: int = REACH_LIMIT) -> dict:
        """A bounded BFS from the run's last state with the model's successors: how
        many states, whether the search finished, the terminal states and the
        deadlocks among them, and for each endpoint and each of the eleven states
        whether it can still get there, in how few steps, and the run that does."""
        with self._lock:
            path, ids = self.walk(run)
            x = explore(_From(self.model, ids[-1]), max_states=limit)
            first: dict = {w: {} for w in ENDPOINTS}
            for i in range(len(x.states)):
                s = x.state(i)
                for w in ENDPOINTS:
                    first[w].setdefault(getattr(s, w).state, i)
            reach = {}
            for w in ENDPOINTS:
                rows = []
                for name in STATES:
                    i = first[w].get(name)
                    if i is None:
                        rows.append({"state": name, "reachable": False, "steps": None, "run": None})
                        continue
                    sub = x.walk(x.ids_to(i), x.labels_to(i))
                    more = self.indices_of(sub, start=ids[-1])
                    rows.append({"state": name, "reachable": True, "steps": len(more),
                                 "run": list(run) + more})
                reach[w] = rows
            deadlocks = [i for i in x.terminal if not acceptable_end(x.state(i))]
            return stamp("explore-reach", {
                "run": list(run), "states": len(x.states), "transitions": x.transitions,
                "depth": x.max_depth, "complete": x.complete, "limit": limit,
                "terminal": len(x.terminal), "deadlocks": len(deadlocks), "reach": reach})

    # --- counterexamples -------------------------------------------------------------

    def check(self, lang: str = "en") -> dict:
        """The verdicts of ``check`` on this configuration (computed once), each
        property with the run of its counterexample or witness, if any."""
        with self._lock:
            if self._check is None:
                self._check = check_run(self.config, self.table)
            result = self._check
            props = []
            for v in result.verdicts:
                path = path_of(result.exploration, v)
                props.append({"id": v.id, "name": v.name, "name_text": property_name(v.name, lang),
                              "kind": v.kind, "verdict": v.verdict, "detail": str(v.detail or ""),
                              "detail_text": say(v.detail, lang) if v.detail else "",
                              "run": self.indices_of(path) if path else None})
            x = result.exploration
            return stamp("explore-check", {"states": len(x.states), "transitions": x.transitions,
                                           "complete": x.complete, "properties": props})

    def property_named(self, name: str, option: str = "--counterexample") -> str:
        """The English name of the property ``name`` names (English, Chinese or its id);
        InputError naming the ``option`` it was given with when it names none."""
        by_id = {i.lower(): p.name for i, p in zip(IDS, PROPERTIES)}
        found = canonical_property(name) or by_id.get(name.strip().lower())
        if found is None:
            guess = closest(name, [p.name for p in PROPERTIES] + list(IDS))
            hint = f"; did you mean '{guess}'?" if guess else f"; the properties are: {', '.join(IDS)}"
            raise InputError(f"{option}: unknown property '{name}'{hint}")
        return found

    def open_counterexample(self, name: str) -> None:
        """Start the page at the counterexample (or witness) of property ``name``."""
        english = self.property_named(name)
        doc = self.check()
        q = next(q for q in doc["properties"] if q["name"] == english)
        if q["run"] is None:
            raise InputError(f"--counterexample: '{english}' {q['verdict']} in configuration "
                             f"'{self.config.name}' and has no counterexample or witness to open")
        self.start = q["run"]
        what = "counterexample to" if q["verdict"] == "violated" else "witness of"
        self.start_title = f"{what} '{english}'"
        self.start_what = ("", "counterexample" if q["verdict"] == "violated" else "witness", english)

    def open_file(self, path: str, prop: str | None = None, data=None) -> None:
        """Start the page at a run of a ``check --json`` file (the property ``prop``'s,
        else the first violated one's) or of a plain trace (a list of steps as
        ``check --json`` writes them), replayed on this model step by step;
        ``data``: the file as :func:`read_json` read it already."""
        p = Path(path)
        if data is None:
            data = read_json(p)
        title = p.name
        what = (p.name, None, None)
        if isinstance(data, dict) and isinstance(data.get("properties"), list):
            cands = [q for q in data["properties"] if isinstance(q, dict)
                     and ("counterexample" in q or "witness" in q)]
            if prop is not None:
                english = self.property_named(prop, "--property")
                cands = [q for q in cands if q.get("name") == english]
            if not cands:
                raise InputError(f"{p}: no property{' ' + repr(prop) if prop else ''} with a counterexample "
                                 f"or witness in this 'tcpcheck check --json' output")
            q = next((q for q in cands if q.get("verdict") == "violated"), cands[0])
            data = q.get("counterexample") or q.get("witness")
            title = f"{p.name}: {'counterexample to' if 'counterexample' in q else 'witness of'} '{q.get('name')}'"
            what = (p.name, "counterexample" if "counterexample" in q else "witness", str(q.get("name")))
        if not isinstance(data, list) or not data or not all(isinstance(st, dict) for st in data):
            raise InputError(f"{p}:1: expected the output of 'tcpcheck check --json' or a list of steps")
        if len(data) > MAX_RUN + 1:
            raise InputError(f"{p}: the trace has {len(data) - 1:,} steps; the limit is {MAX_RUN:,}")
        self.start = self._replay(p, data)
        self.start_title = title
        self.start_what = what

    def opening(self, lang: str = "en") -> str:
        """What the run the page opens with is, in ``lang`` ('' for none): the
        counterexample to (or witness of) a property, from a file or not, or a
        trace file.

        >>> from tcpcheck.model.config import preset
        >>> s = Session(preset("seed"))
        >>> s.start_what = ("check.json", "counterexample", "deadlock freedom")
        >>> s.opening(), s.opening("zh")
        ("check.json: counterexample to 'deadlock freedom'", 'check.json：“无死锁”的反例')
        """
        if self.start_what is None:
            return ""
        _ = translator(lang)
        file, kind, prop = self.start_what
        if kind is None:
            return file
        name = property_name(prop, lang)
        if file:
            return (_("{file}: counterexample to '{property}'") if kind == "counterexample" else
                    _("{file}: witness of '{property}'")).format(file=file, property=name)
        return (_("the counterexample to '{property}'") if kind == "counterexample" else
                _("the witness of '{property}'")).format(property=name)

    def _replay(self, p: Path, steps: list[dict]) -> list[int]:
        """The run whose steps are the file's: at each step, the first enabled step
        whose trace entry agrees with the file's on every field the file gives
        (who, kind, event, segment, sent, dropped, both endpoints' TCBs)."""
        m = self.model
        s = m.initial_states()[0]
        path = [(None, m.decode(s))]
        out = []
        first = trace_json(path, self.table)[0]
        for w in ENDPOINTS:  # as every later step: the fields the file gives
            if w in steps[0] and not _agrees(steps[0][w], first[w]):
                raise InputError(f"{p}: step 0: configuration '{self.config.name}' starts with {w} in "
                                 f"{first[w]['state']}: give the --preset, --config, --rules or --mutant the file "
                                 f"was checked with")
        for n, st in enumerate(steps[1:], 1):
            succ = m.successors(s)
            found = None
            for k, (label, t) in enumerate(succ):
                cand = trace_json(path[-1:] + [(m.step(label), m.decode(t))], self.table)[1]
                if all(_agrees(st[key], cand[key]) for key in
                       ("actor", "kind", "event", "segment", "sent", "dropped", "A", "B") if key in st):
                    found = k, label, t
                    break
            if found is None:
                possible = "; ".join(dict.fromkeys(self._what(m.step(label), "en") for label, _ in succ))
                what = st.get("what") or f"{st.get('actor')}: {st.get('event')}"
                raise InputError(f"{p}: step {n}: '{str(what)[:80]}' is not a step the model can take here"
                                 f"{'; from here the model can: ' + possible if possible else '; nothing can happen here'}"
                                 f" (give the --preset, --config, --rules or --mutant the file was checked with)")
            k, label, s = found
            path.append((m.step(label), m.decode(s)))
            out.append(k)
        return out

    def session_json(self, lang: str = "en") -> dict:
        """What the page needs once: the configuration, the run to open with, the
        properties and the eleven states."""
        return stamp("explore-session", {
            "lang": lang, "config": self.config.name, "describe": describe_config(self.config, lang),
            "note": check_note(self.config, self.mutant, lang),
            "rules": self.table.name, "start": self.start, "start_title": self.start_title,
            "properties": [{"id": p.id, "name": p.name, "name_text": property_name(p.name, lang),
                            "kind": p.kind} for p in PROPERTIES],
            "states": list(STATES)})


def read_json(p: Path):
    """The JSON of the file ``p`` (a ``check --json`` output or a trace); InputError
    with the file and line when it cannot be read or is not JSON."""
    text = read_input(p, "the trace", limit=50_000_000)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{p}:{exc.lineno}: not JSON: {exc.msg}") from None
    except RecursionError:
        raise InputError(f"{p}:1: nested too deeply to be a trace") from None


def _agrees(claimed, actual) -> bool:
    """Whether a trace file's field says what the model's does: a segment as its
    text or its object, a TCB as its state or some of its variables."""
    if isinstance(actual, dict) and "text" in actual:  # a segment
        return claimed == actual["text"] or claimed == actual
    if isinstance(actual, dict):  # a TCB
        if isinstance(claimed, str):
            return claimed == actual["state"]
        return isinstance(claimed, dict) and all(actual.get(k) == v for k, v in claimed.items())
    if isinstance(actual, list):
        return isinstance(claimed, list) and len(claimed) == len(actual) and all(
            _agrees(c, a) for c, a in zip(claimed, actual))
    return claimed == actual
