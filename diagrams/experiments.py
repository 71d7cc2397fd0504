"""``tcpcheck experiments`` and ``tcpcheck experiment``: the claims, checked.

The experiments themselves (what is asked, what the model answers) are in
``tcpcheck.model.experiments``; this module runs them and writes what people
read: a Markdown report with a sequence chart per experiment, or one
experiment's result as text or JSON.  It lives beside the diagrams because
the report embeds their charts.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tcpcheck.model.checker import run
from tcpcheck.model.errors import InputError
from tcpcheck.model.experiments import EXPERIMENTS, run_experiment
from tcpcheck.model.mutants import MUTANTS, apply_mutant, mutant, mutant_config
from tcpcheck.model.report import trace_json, trace_lines

from .i18n import LANGS, phrase
from .msc import msc_dot
from .render import DotMissing, render

__all__ = ["register", "write_report"]

_ZH = {
    "confirmed": "证实", "qualified": "有补充", "refuted": "被否定",
    "Question": "问题", "Verdict": "结论", "expected": "预期", "as expected": "符合预期",
    "NOT as expected": "不符合预期", "witness": "示例运行", "counterexample": "反例",
    "Claims": "论断", "Experiment": "实验",
}


def _t(text: str, lang: str) -> str:
    return _ZH.get(text, text) if lang == "zh" else text


def _section(name: str, lang: str, charts: Path | None, variant: str | None = None) -> tuple[list[str], bool]:
    e = EXPERIMENTS[name]
    o = run_experiment(name, variant)
    ok = o.verdict == e.expected
    lines = [f"## {name} ({', '.join(e.claims)})", "",
             f"**{_t('Question', lang)}.** {e.question}", "",
             f"**{_t('Verdict', lang)}: {_t(o.verdict, lang)}** "
             f"({_t('expected', lang)}: {_t(e.expected, lang)}; "
             f"{_t('as expected' if ok else 'NOT as expected', lang)}). {o.finding}", ""]
    if o.trace:
        what = _t(o.trace_kind, lang)
        lines.append(f"{what.capitalize()}: configuration `{o.config}`, {len(o.trace) - 1} steps.")
        lines.append("")
        if charts is not None:
            svg = charts / f"{name}{'' if lang == 'en' else '.' + lang}.svg"
            dot = msc_dot(trace_json(o.trace, o.table), title=f"{name}: {o.config}", lang=lang)
            svg.write_bytes(render(dot, "svg"))
            lines += [f"![{name}]({svg.name})", ""]
        lines += ["```", *trace_lines(o.trace, o.table), "```", ""]
    return lines, ok


def _mutant_section(name: str, lang: str, charts: Path) -> list[str]:
    """A broken variant: what it changes, and the property that fails on it but
    not on the reference model, with the counterexample."""
    m = MUTANTS[name]
    cfg = mutant_config(name)
    reference = next(v for v in run(cfg).verdicts if v.name == m.property)
    r = run(*apply_mutant(name, cfg))
    v = next(v for v in r.verdicts if v.name == m.property)
    x = r.exploration
    path = x.path(v.state) if v.lasso is None else x.walk(v.lasso.stem + v.lasso.cycle[1:])
    svg = charts / f"mutant-{name}{'' if lang == 'en' else '.' + lang}.svg"
    svg.write_bytes(render(msc_dot(trace_json(path, r.table), title=f"{name}: {m.property}",
                                   lang=lang), "svg"))
    return [f"### {name} ({', '.join(m.claims)})", "",
            f"{m.description}. In its configuration, '{m.property}' {reference.verdict} on the "
            f"reference model and is **{v.verdict}** on this variant: {v.detail} "
            f"({len(path) - 1} steps).", "", f"![{name}]({svg.name})", "",
            "```", *trace_lines(path, r.table), "```", ""]


def write_report(out: Path, lang: str = "en", variant: str | None = None) -> tuple[Path, int, int]:
    """Run every experiment (on the reference model, or on mutant ``variant``) and
    write ``experiments.md`` (and charts) into ``out``.  Returns (report path,
    experiments run, how many came out as expected)."""
    out.mkdir(parents=True, exist_ok=True)
    body, rows, good = [], [], 0
    for name, e in EXPERIMENTS.items():
        lines, ok = _section(name, lang, out, variant)
        body += lines
        good += ok
        rows.append(f"| [{name}](#{name}-{'-'.join(c.lower() for c in e.claims)}) | {', '.join(e.claims)} | "
                    f"{_t(run_experiment(name, variant).verdict, lang)} | {'yes' if ok else '**no**'} |")
    if variant is None:
        body += ["## Broken variants", "",
                 "Each variant below is one edit of the rule table or the configuration. The property "
                 "named holds on the reference model in the variant's configuration and fails on the "
                 "variant: what goes wrong shows why TCP is built the way it is.", ""]
        for name in MUTANTS:
            body += _mutant_section(name, lang, out)
    title = "tcpcheck：笔记中的论断与模型的检验" if lang == "zh" else "The seed note's claims, checked against the model"
    if variant is not None:
        title += f" (mutant {variant}: {mutant(variant).description})"
    head = [f"# {title}", "",
            "Generated by `tcpcheck experiments`. Each experiment asks the RFC 9293 model one "
            "question about the claims of the study note (C1-C17, see shared/seed/CLAIMS.md) and "
            "shows the shortest run that answers it. *confirmed*: the model does what the note "
            "says; *qualified*: it does, and shows more or a limit the note does not mention; "
            "*refuted*: it does otherwise.", "",
            f"{good} of {len(EXPERIMENTS)} experiments came out as expected.", "",
            f"| {_t('Experiment', lang)} | {_t('Claims', lang)} | {_t('Verdict', lang)} | "
            f"{_t('as expected', lang)} |", "|---|---|---|---|", *rows, ""]
    stem = "experiments" if variant is None else f"experiments-{variant}"
    report = out / (f"{stem}.md" if lang == "en" else f"{stem}.{lang}.md")
    report.write_text("\n".join(head + body), encoding="utf-8")
    return report, len(EXPERIMENTS), good


def cmd_experiments(args) -> int:
    try:
        if args.mutant is not None:
            mutant(args.mutant)  # an unknown name is an input error
        report, n, good = write_report(Path(args.out), args.lang, args.mutant)
    except DotMissing as exc:
        raise InputError(str(exc)) from None
    print(f"{good} of {n} experiments came out as expected; report: {report}")
    return 0 if good == n else 1


def cmd_experiment(args) -> int:
    if args.list or not args.name:
        if not args.list:
            raise InputError("name an experiment, or use --list to see them")
        for name, e in EXPERIMENTS.items():
            print(f"{name:<20} {', '.join(e.claims):<12} {e.question}")
        return 0
    if args.name not in EXPERIMENTS:
        raise InputError(f"unknown experiment '{args.name}'; known experiments: {', '.join(EXPERIMENTS)}")
    if args.mutant is not None:
        mutant(args.mutant)
    e, o = EXPERIMENTS[args.name], run_experiment(args.name, args.mutant)
    ok = o.verdict == e.expected
    if args.json:
        json.dump({"name": e.name, "mutant": args.mutant, "claims": list(e.claims), "question": e.question,
                   "expected": e.expected, "verdict": o.verdict, "as_expected": ok,
                   "finding": o.finding, "config": o.config, "trace_kind": o.trace_kind,
                   "trace": trace_json(o.trace, o.table) if o.trace else None},
                  sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print(f"{e.name} ({', '.join(e.claims)}): {e.question}")
        print(f"verdict: {o.verdict} (expected: {e.expected}; {'as expected' if ok else 'NOT as expected'})")
        print(o.finding)
        if o.trace:
            print(f"\n{o.trace_kind} ({o.config}, {len(o.trace) - 1} steps):")
            print("\n".join(trace_lines(o.trace, o.table)))
    return 0 if ok else 1


def register(sub) -> None:
    """Add ``experiments`` and ``experiment`` to the main command line."""
    a = sub.add_parser("experiments", help="run every experiment on the seed note's claims; write a report",
                       description="Run the experiments that check the study note's claims C1-C17 "
                                   "against the model, and write a Markdown report with a sequence "
                                   "chart per experiment. Exit code 0 when every experiment comes "
                                   "out as expected.")
    a.add_argument("--out", default="experiments", metavar="DIR", help="where to write (default: experiments)")
    a.add_argument("--lang", choices=LANGS, default="en", help="language of the headings and charts")
    a.add_argument("--mutant", metavar="NAME", help="run the experiments on a broken variant (see 'tcpcheck mutants')")
    a.set_defaults(func=cmd_experiments)
    b = sub.add_parser("experiment", help="run one experiment (--list names them)",
                       description="Run one experiment and print its question, verdict, finding and "
                                   "the run that shows it.")
    b.add_argument("name", nargs="?", metavar="NAME", help="the experiment to run")
    b.add_argument("--list", action="store_true", help="name every experiment with its question")
    b.add_argument("--json", action="store_true", help="print the result as JSON")
    b.add_argument("--mutant", metavar="NAME", help="run it on a broken variant (see 'tcpcheck mutants')")
    b.set_defaults(func=cmd_experiment)
