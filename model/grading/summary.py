"""The class summary of a graded folder: ``summary.csv`` and ``summary.html``.

``summary.csv`` has one row per student, sorted by id: ``id``, ``score``,
``max_score``, ``gradable``, then one column per graded test, headed by its
number and name (``1. the table, cell by cell``), holding the student's score
on it.  Scores are written with at most four decimals, as in the JSON results.

``summary.html`` is one self-contained page (no scripts, no external style
sheets, fonts or images; the charts are inline SVG drawn here):

* the score histogram, in bins of 10% of the maximum;
* the table cells most often wrong, from the ``rows`` test's
  ``details["wrong"]`` (state / event, how many students, what they wrote);
* the students grouped by identical mistakes: the same wrong cells (written
  the same way), the same failing tests and the same rows named by the runs
  that tell their table from the reference (file and line left out), so one
  comment serves a whole group; biggest group first;
* the properties most often failed, and each test's mean score;
* the submissions that were not gradable or not finished, and every student
  with links to their own result.

The page speaks the results' language (the assignment's ``lang``, or
``grade --lang``): every word of it comes from the gettext catalogue
(context ``summary``), ``<html lang="zh">`` in Chinese; state names, events,
the students' cells and the instructor's test names stay as written.

Every text that comes from a submission or an assignment is escaped.
Nothing depends on the clock or on the order results were computed in: the
same results give the same bytes.

It summarises results; it grades nothing.
"""

from __future__ import annotations

import csv
import io
import re
import statistics
from collections import Counter, defaultdict
from html import escape
from pathlib import Path
from urllib.parse import quote

from ..i18n import N_, translator
from .results import GradeResult

__all__ = ["summary_csv", "summary_html", "write_summary", "mistake_signature", "wrong_cells"]


def _num(x: float) -> str:
    """A score as the JSON results round it: at most four decimals, no trailing zeros."""
    s = f"{round(x, 4):.4f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _e(x) -> str:
    return escape(str(x), quote=True)


def _href(name: str) -> str:
    """A file name beside the page, as a relative link ('#', '?' or '%' in it stay literal)."""
    return escape(quote(name), quote=True)


def _columns(results: list[GradeResult]) -> list[tuple[str, str, float]]:
    """Every graded test, (number, name, max score), in the order of the numbers.

    A test is known by its number; its name is the one a graded result gives
    it (a result that could not be graded may name it more shortly)."""
    seen: dict[str, tuple[int, str, float]] = {}
    for r in results:
        for t in r.tests:
            if t.number == "0":
                continue
            rank = 0 if r.gradable else 1
            if t.number not in seen or rank < seen[t.number][0]:
                seen[t.number] = (rank, t.name, t.max_score)
    return [(n, name, m) for n, (_, name, m) in
            sorted(seen.items(), key=lambda kv: (int(kv[0]) if kv[0].isdigit() else 1 << 30, kv[0]))]


def _by_number(result: GradeResult) -> dict:
    return {t.number: t for t in result.tests}


def _sorted(results: list[GradeResult]) -> list[GradeResult]:
    return sorted(results, key=lambda r: r.student)


# --- CSV -------------------------------------------------------------------------

def summary_csv(results: list[GradeResult]) -> str:
    cols = _columns(results)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "score", "max_score", "gradable", *(f"{n}. {name}" for n, name, _ in cols)])
    for r in _sorted(results):
        by = _by_number(r)
        w.writerow([r.student, _num(r.score), _num(r.max_score), "true" if r.gradable else "false",
                    *(_num(by[n].score) if n in by else "" for n, _, _ in cols)])
    return buf.getvalue()


# --- what the results say --------------------------------------------------------

def wrong_cells(result: GradeResult) -> list[dict] | None:
    """The cells the rows test(s) found wrong ([] when every cell is right), or
    None when the result does not list them (no rows test, a feedback level
    below "run", or a submission that was not graded)."""
    rows = [t for t in result.tests if t.kind == "rows"]
    if not rows or not result.gradable:
        return None
    out: list[dict] = []
    for t in rows:
        wrong = t.details.get("wrong")
        if isinstance(wrong, list):
            out.extend(c for c in wrong if isinstance(c, dict))
        elif wrong is None and "cells" in t.details and t.details.get("right") == t.details.get("cells"):
            continue  # every cell right: nothing listed
        else:
            return None
    return out


#: Rows of the most-often-wrong table, and groups shown before the rest are folded away.
CELLS_SHOWN = 25
GROUPS_SHOWN = 30

_WHERE = re.compile(r"^.+?:\d+: ")


def _row_text(row: str, submission: str) -> str:
    """A row named by a run, without its file:line (which differs per student)."""
    if submission and row.startswith(submission + ":"):
        rest = row[len(submission) + 1:]
        m = re.match(r"\d+: ", rest)
        if m:
            return rest[m.end():]
    return _WHERE.sub("", row, count=1)


def _failing(result: GradeResult):
    return [t for t in result.tests if t.number != "0" and t.status != "passed"]


def mistake_signature(result: GradeResult) -> tuple:
    """What identifies a student's mistakes: the wrong cells (as written), the
    failing tests and the rows their runs name, none of it tied to a file or line."""
    cells = tuple(sorted((c.get("state", ""), c.get("event", ""), c.get("status", ""), c.get("yours", ""))
                         for c in (wrong_cells(result) or [])))
    tests = tuple((t.number, t.name, t.status) for t in _failing(result))
    rows = tuple(sorted({_row_text(row, result.submission) for t in result.tests
                         for row in (t.details.get("rows") or []) if isinstance(row, str)}))
    return cells, tests, rows


def _attention(result: GradeResult) -> str:
    """'' for a graded result, else what went wrong, in a few words."""
    if not result.gradable:
        return N_("not gradable", "summary")
    why = next((t.details.get("reason") for t in result.tests if t.number == "0"), None)
    if why == "timeout":
        return N_("timed out", "summary")
    if why == "error":
        return N_("grader failed", "summary")
    if any(t.status == "error" for t in result.tests):
        return N_("a test failed to run", "summary")
    if any(t.status == "unknown" for t in result.tests):
        return N_("a test hit its budget", "summary")
    return ""


def _full(result: GradeResult) -> bool:
    return result.gradable and result.score >= result.max_score - 1e-9


# --- SVG -------------------------------------------------------------------------

def _bar(fraction: float, width: int = 140, color: str = "#4a78b5") -> str:
    fraction = min(1.0, max(0.0, fraction))
    w = round(width * fraction, 1)
    return (f'<svg class="bar" width="{width}" height="12" viewBox="0 0 {width} 12" role="img" '
            f'aria-label="{100 * fraction:.0f}%"><rect x="0" y="1" width="{width}" height="10" fill="#e8ecf2"/>'
            f'<rect x="0" y="1" width="{w}" height="10" fill="{color}"/></svg>')


def _bin(result: GradeResult) -> int:
    pct = round(100 * result.fraction, 6)
    return min(9, max(0, int(pct // 10)))


def _axis(top: int) -> tuple[int, int]:
    """(step, axis top) for a count axis: a step of 1, 2 or 5 x 10^k giving at most 5 steps."""
    step, k = 1, 0
    while top > 5 * step:
        k += 1
        step = (1, 2, 5)[k % 3] * 10 ** (k // 3)
    return step, -(-top // step) * step


def _histogram(results: list[GradeResult], graded: set[str], _) -> str:
    """Bars of 10%: the graded submissions in blue, the others in grey on top."""
    counts = [[0, 0] for _ in range(10)]
    for r in results:
        counts[_bin(r)][0 if r.student in graded else 1] += 1
    step, top = _axis(max(a + b for a, b in counts) or 1)
    W, H, left, bottom, top_pad = 640, 262, 40, 46, 36
    bw = (W - left - 10) / 10
    ph = H - bottom - top_pad
    parts = [f'<svg class="hist" width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img" '
             f'aria-label="{_e(_("score histogram", "summary"))}">']
    for v in range(0, top + 1, step):
        y = top_pad + ph - ph * v / top
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{W - 10}" y2="{y:.1f}" stroke="#dde2ea"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">{v}</text>')
    for k, (g, other) in enumerate(counts):
        x = left + k * bw
        span = f"{10 * k}–{10 * k + 10}%"
        y = top_pad + ph
        for n, color, what in ((g, "#4a78b5", _("{n} graded at {span}", "summary")),
                               (other, "#a9b0bb", _("{n} not graded at {span}", "summary"))):
            if n:
                h = ph * n / top
                y -= h
                parts.append(f'<rect x="{x + 3:.1f}" y="{y:.1f}" width="{bw - 6:.1f}" height="{h:.1f}" '
                             f'fill="{color}"><title>{_e(what.format(n=n, span=span))}</title></rect>')
        if g + other:
            parts.append(f'<text x="{x + bw / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
                         f'class="count">{g + other}</text>')
        parts.append(f'<text x="{x + bw / 2:.1f}" y="{top_pad + ph + 16}" text-anchor="middle" '
                     f'class="axis">{span}</text>')
    parts.append(f'<line x1="{left}" y1="{top_pad + ph}" x2="{W - 10}" y2="{top_pad + ph}" stroke="#666"/>')
    parts.append(f'<text x="{left + (W - left - 10) / 2:.1f}" y="{H - 8}" text-anchor="middle" class="axis">'
                 f'{_e(_("score as a percentage of the maximum (the last bin includes 100%)", "summary"))}</text>')
    if any(other for _, other in counts):
        parts.append(f'<rect x="{left}" y="4" width="10" height="10" fill="#4a78b5"/>'
                     f'<text x="{left + 14}" y="13" class="axis">{_e(_("graded", "summary"))}</text>'
                     f'<rect x="{left + 70}" y="4" width="10" height="10" fill="#a9b0bb"/>'
                     f'<text x="{left + 84}" y="13" class="axis">'
                     f'{_e(_("not gradable, or not finished", "summary"))}</text>')
    parts.append("</svg>")
    return "".join(parts)


# --- HTML ------------------------------------------------------------------------

_STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d2430;
       margin: 24px auto; max-width: 1100px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #d5dbe4;
     padding-bottom: 4px; }
.meta { color: #4b5565; margin: 0 0 8px; } .note { color: #5b6575; font-size: 13px; }
table { border-collapse: collapse; margin: 4px 0 8px; } th, td { text-align: left; padding: 4px 10px 4px 0;
     vertical-align: top; border-bottom: 1px solid #eceff4; } th { font-weight: 600; color: #3a4352; }
td.nw { white-space: nowrap; } details > summary { cursor: pointer; margin: 10px 0; color: #2c5aa0; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f3f5f8; padding: 0 3px;
     border-radius: 3px; white-space: pre-wrap; overflow-wrap: anywhere; }
.group { border: 1px solid #d5dbe4; border-radius: 6px; padding: 8px 12px; margin: 10px 0; }
.group h3 { font-size: 15px; margin: 0 0 4px; } .group ul { margin: 2px 0 6px; padding-left: 20px; }
.ids a { margin-right: 8px; } .bad { color: #a1261b; } svg.bar { vertical-align: middle; }
svg text.axis { font-size: 11px; fill: #4b5565; } svg text.count { font-size: 12px; fill: #1d2430; }
"""


def _link(student: str, pages: dict[str, str]) -> str:
    page = pages.get(student)
    return f'<a href="{_href(page)}">{_e(student)}</a>' if page else _e(student)


def _h(text: str, **facts) -> str:
    """A sentence of the page (already in its language) escaped, then its facts
    filled in; a fact is HTML, so it is escaped where it comes from data."""
    return _e(text).format(**facts)


def _cells_section(graded: list[GradeResult], _) -> list[str]:
    listed = [r for r in graded if wrong_cells(r) is not None]
    out = [f"<h2>{_h(_('The cells most often wrong', 'summary'))}</h2>"]
    if not listed:
        out.append('<p class="note">' + _h(_('The results do not list wrong cells (no rows test, or its feedback '
                                             'level is below "run"), so there is nothing to count.', 'summary'))
                   + "</p>")
        return out
    students: dict[tuple[str, str], set[str]] = defaultdict(set)
    versions: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for r in listed:
        for c in wrong_cells(r) or []:
            key = (c.get("state", ""), c.get("event", ""))
            students[key].add(r.student)
            versions[key]["no row" if c.get("status") == "missing" else c.get("yours", "")] += 1
    if not students:
        out.append('<p class="note">' + _h(_("No cell is wrong in any of the {n} graded tables.", "summary"),
                                           n=len(listed)) + "</p>")
        return out
    order = sorted(students, key=lambda k: (-len(students[k]), k))
    out.append('<p class="note">' + _h(_("Over the {n} graded table(s); {cells} different cell(s) are wrong "
                                         "somewhere. \"What they wrote\" is the cell as the students' tables have "
                                         "it: actions, then the next state (\"-\" for no action).", "summary"),
                                       n=len(listed), cells=len(order)) + "</p>")
    shown = order[:CELLS_SHOWN]
    most = len(students[order[0]])
    out.append(f'<table><tr><th>{_h(_("state", "summary"))}</th><th>{_h(_("event", "summary"))}</th>'
               f'<th class="n">{_h(_("students", "summary"))}</th><th></th>'
               f'<th>{_h(_("what they wrote (how many)", "summary"))}</th></tr>')
    no_row = f"<i>{_h(_('no row', 'summary'))}</i>"
    for key in shown:
        n = len(students[key])
        wrote = _h(_("; ", "summary")).join(
            f"{no_row if v == 'no row' else f'<code>{_e(v)}</code>'} ({c})"
            for v, c in sorted(versions[key].items(), key=lambda vc: (-vc[1], vc[0]))[:3])
        more = len(versions[key]) - 3
        if more > 0:
            wrote += _h(_("; and {n} other version(s)", "summary"), n=more)
        out.append(f"<tr><td class=\"nw\">{_e(key[0])}</td><td class=\"nw\">{_e(key[1])}</td>"
                   f"<td class=\"n\">{n}</td><td>{_bar(n / most)}</td><td>{wrote}</td></tr>")
    out.append("</table>")
    rest = order[len(shown):]
    if rest:
        by_count = Counter(len(students[k]) for k in rest)
        counts = _h(_(", ", "summary")).join(_h(_("{cells} wrong in {n} table(s)", "summary"), cells=c, n=n)
                                             for n, c in sorted(by_count.items(), reverse=True))
        out.append('<p class="note">' + _h(_("And {n} more cell(s): {counts} (every student's result lists "
                                             "theirs).", "summary"), n=len(rest), counts=counts) + "</p>")
    out.append('<p class="note">' + _h(_("The bars are relative to the cell wrong most often.", "summary"))
               + "</p>")
    return out


def _groups_section(graded: list[GradeResult], pages: dict[str, str], _) -> list[str]:
    out = [f"<h2>{_h(_('Students grouped by identical mistakes', 'summary'))}</h2>"]
    wrong = [r for r in graded if not _full(r)]
    full = len(graded) - len(wrong)
    if not wrong:
        out.append('<p class="note">' + _h(_("Every graded student ({n}) has full marks.", "summary"), n=full)
                   + "</p>")
        return out
    groups: dict[tuple, list[GradeResult]] = defaultdict(list)
    for r in wrong:
        groups[mistake_signature(r)].append(r)
    order = sorted(groups.values(), key=lambda g: (-len(g), -g[0].score, g[0].student))
    out.append('<p class="note">' + _h(_("{n} graded student(s) without full marks fall into {groups} group(s): "
                                         "the students of a group have the same wrong cells (written the same "
                                         "way), fail the same tests and their runs name the same rows, so one "
                                         "comment serves the group. {full} student(s) with full marks are not "
                                         "listed.", "summary"), n=len(wrong), groups=len(order), full=full)
               + "</p>")
    for k, g in enumerate(order, 1):
        if k == GROUPS_SHOWN + 1:
            out.append("<details><summary>" + _h(_("{groups} more group(s), {n} student(s)", "summary"),
                                                 groups=len(order) - GROUPS_SHOWN,
                                                 n=sum(len(x) for x in order[GROUPS_SHOWN:])) + "</summary>")
        g = sorted(g, key=lambda r: r.student)
        cells, tests, rows = mistake_signature(g[0])
        scores = sorted({_num(r.score) for r in g})
        score = scores[0] if len(scores) == 1 else _("{low} to {high}", "summary").format(low=scores[0],
                                                                                          high=scores[-1])
        out.append('<div class="group">')
        out.append("<h3>" + _h(_("Group {k}: {n} student(s), score {score} / {most}", "summary"), k=k, n=len(g),
                               score=_e(score), most=_e(_num(g[0].max_score))) + "</h3>")
        out.append('<div class="ids">' + " ".join(_link(r.student, pages) for r in g) + "</div>")
        if cells:
            out.append(f"<div>{_h(_('Wrong cells:', 'summary'))}</div><ul>")
            for state, event, status, yours in cells:
                if status == "missing":
                    what = _h(_("no row for it", "summary"))
                elif status == "extra":
                    what = _h(_("a row the reference has not: {row}", "summary"), row=f"<code>{_e(yours)}</code>")
                else:
                    what = f"<code>{_e(yours)}</code>"
                out.append(f"<li>{_e(state)} / {_e(event)}: {what}</li>")
            out.append("</ul>")
        elif wrong_cells(g[0]) is None:
            out.append('<div class="note">' + _h(_("(the results do not list the wrong cells)", "summary"))
                       + "</div>")
        if tests:
            out.append(f"<div>{_h(_('Failing tests:', 'summary'))}</div><ul>")
            for number, name, status in tests:
                extra = "" if status == "failed" else f' <span class="bad">({_e(_(status, "status"))})</span>'
                out.append(f"<li>{_e(number)}. {_e(name)}{extra}</li>")
            out.append("</ul>")
        if rows:
            out.append(f"<div>{_h(_('Rows named by the runs that tell the table from the reference:', 'summary'))}"
                       f"</div><ul>")
            out.extend(f"<li><code>{_e(row)}</code></li>" for row in rows)
            out.append("</ul>")
        out.append("</div>")
    if len(order) > GROUPS_SHOWN:
        out.append("</details>")
    return out


def _properties_section(graded: list[GradeResult], _) -> list[str]:
    out = [f"<h2>{_h(_('The properties most often failed', 'summary'))}</h2>"]
    failed: Counter = Counter()
    graded_on: Counter = Counter()
    for r in graded:
        for t in r.tests:
            if t.kind == "property":
                graded_on[t.name] += 1
                if t.status != "passed":
                    failed[t.name] += 1
    if not graded_on:
        out.append('<p class="note">' + _h(_("The assignment grades no properties.", "summary")) + "</p>")
        return out
    if not failed:
        out.append('<p class="note">' + _h(_("Every graded property holds on every graded table ({n}).", "summary"),
                                           n=len(graded)) + "</p>")
        return out
    out.append(f'<table><tr><th>{_h(_("property", "summary"))}</th><th class="n">{_h(_("students", "summary"))}'
               f'</th><th></th></tr>')
    ranked = sorted(failed.items(), key=lambda kv: (-kv[1], kv[0]))
    for name, n in ranked:
        of = _h(_("{n} of {total}", "summary"), n=n, total=graded_on[name])
        out.append(f"<tr><td>{_e(name)}</td><td class=\"n\">{of}</td>"
                   f"<td>{_bar(n / ranked[0][1], color='#b5544a')}</td></tr>")
    out.append("</table>")
    out.append('<p class="note">' + _h(_("A property counts when its verdict on the student's table differs from "
                                         "the reference's; the bars are relative to the property failed most "
                                         "often.", "summary")) + "</p>")
    return out


def _tests_section(graded: list[GradeResult], cols, _) -> list[str]:
    out = ["<h2>" + _h(_("Each test's mean score", "summary")) + "</h2>"]
    if not graded:
        out.append('<p class="note">' + _h(_("No submission was graded.", "summary")) + "</p>")
        return out
    out.append('<p class="note">' + _h(_("Over the {n} graded submission(s).", "summary"), n=len(graded)) + "</p>")
    out.append(f'<table><tr><th class="n">#</th><th>{_h(_("test", "summary"))}</th>'
               f'<th class="n">{_h(_("mean", "summary"))}</th><th class="n">{_h(_("of", "summary"))}</th>'
               f'<th></th><th class="n">{_h(_("passed", "summary"))}</th></tr>')
    for number, name, max_score in cols:
        scores, passed = [], 0
        for r in graded:
            t = _by_number(r).get(number)
            if t is not None:
                scores.append(t.score)
                passed += t.status == "passed"
        if not scores:
            continue
        mean = sum(scores) / len(scores)
        frac = mean / max_score if max_score else 1.0
        of = _h(_("{n} of {total}", "summary"), n=passed, total=len(scores))
        out.append(f"<tr><td class=\"n\">{_e(number)}</td><td>{_e(name)}</td><td class=\"n\">{_num(mean)}</td>"
                   f"<td class=\"n\">{_num(max_score)}</td><td>{_bar(frac)}</td>"
                   f"<td class=\"n\">{of}</td></tr>")
    out.append("</table>")
    return out


def _first_line(result: GradeResult) -> str:
    if result.messages:
        return result.messages[0]
    t0 = next((t for t in result.tests if t.number == "0"), None)
    if t0 is not None and t0.status != "passed" and t0.output:
        return t0.output.splitlines()[0]
    t = next((t for t in result.tests if t.status in ("error", "unknown")), None)
    return f"{t.number}. {t.name}: {t.output.splitlines()[0] if t.output else t.status}" if t else ""


def summary_html(results: list[GradeResult], pages: dict[str, str] | None = None,
                 data: dict[str, str] | None = None, lang: str | None = None) -> str:
    """The class summary page; ``pages`` and ``data`` map a student's id to the
    file names of their result page and JSON, for links.  ``lang`` is the
    page's language (default: the results', else English)."""
    pages, data = pages or {}, data or {}
    results = _sorted(results)
    lang = lang or (results[0].lang if results else "en")
    _ = translator(lang)
    title = results[0].assignment if results else "tcpcheck grade"
    cols = _columns(results)
    attention = {r.student: _attention(r) for r in results}
    graded = [r for r in results if not attention[r.student]]
    not_gradable = sum(not r.gradable for r in results)
    unfinished = len(results) - len(graded) - not_gradable
    heading = _h(_("{title}: class summary", "summary"), title=_e(title))
    out = ["<!DOCTYPE html>", f'<html lang="{_e(lang)}"><head><meta charset="utf-8">',
           f"<title>{heading}</title>", f"<style>{_STYLE}</style></head><body>", f"<h1>{heading}</h1>"]
    facts = [_("{n} submission(s): {graded} graded, {not_gradable} not gradable, {unfinished} not finished.",
               "summary").format(n=len(results), graded=len(graded), not_gradable=not_gradable,
                                 unfinished=unfinished)]
    if graded:
        scores = [r.score for r in graded]
        facts = [_("{before} Graded: mean {mean}, median {median} of {most}; {full} with full marks.",
                   "summary").format(before=facts[0], mean=_num(statistics.fmean(scores)),
                                     median=_num(statistics.median(scores)), most=_num(graded[0].max_score),
                                     full=sum(_full(r) for r in graded))]
    out.append(f'<p class="meta">{_e(facts[0])}</p>')
    if results:
        r0 = results[0]
        out.append(f'<p class="note">tcpcheck {_e(r0.tool_version)}; '
                   f'{_e(_("reference sha256 {digest}").format(digest=r0.reference_sha256))}</p>')

    out.append(f"<h2>{_h(_('Scores', 'summary'))}</h2>")
    out.append(_histogram(results, {r.student for r in graded}, _))
    if len(graded) < len(results):
        note = _h(_("Every submission, in bins of a tenth of the maximum score; the {n} not gradable or not "
                    "finished (in grey) at the score they got, 0 when nothing was graded.", "summary"),
                  n=len(results) - len(graded))
    else:
        note = _h(_("Every submission, in bins of a tenth of the maximum score.", "summary"))
    out.append(f'<p class="note">{note}</p>')
    out += _cells_section(graded, _)
    out += _groups_section(graded, pages, _)
    out += _properties_section(graded, _)
    out += _tests_section(graded, cols, _)

    problems = [r for r in results if attention[r.student]]
    out.append(f"<h2>{_h(_('Not gradable or not finished', 'summary'))}</h2>")
    if not problems:
        out.append('<p class="note">' + _h(_("None: every submission was graded to the end.", "summary")) + "</p>")
    else:
        out.append(f'<table><tr><th>{_h(_("id", "summary"))}</th><th>{_h(_("what", "summary"))}</th>'
                   f'<th>{_h(_("first message", "summary"))}</th></tr>')
        for r in problems:
            out.append(f"<tr><td>{_link(r.student, pages)}</td>"
                       f"<td class=\"bad nw\">{_e(_(attention[r.student], 'summary'))}</td>"
                       f"<td><code>{_e(_first_line(r))}</code></td></tr>")
        out.append("</table>")

    out.append(f"<h2>{_h(_('Every student', 'summary'))}</h2>")
    out.append(f'<table><tr><th>{_h(_("id", "summary"))}</th><th class="n">{_h(_("score", "summary"))}</th>'
               f'<th class="n">{_h(_("of", "summary"))}</th><th></th><th>{_h(_("status", "summary"))}</th>'
               f'<th>{_h(_("files", "summary"))}</th></tr>')
    for r in results:
        status = attention[r.student] or (N_("full marks", "summary") if _full(r) else N_("graded", "summary"))
        files = " ".join(f'<a href="{_href(f)}">{_e(label)}</a>' for label, f in
                         ((_("result", "summary"), pages.get(r.student)), ("JSON", data.get(r.student))) if f)
        cls = ' class="bad"' if attention[r.student] else ""
        out.append(f"<tr><td>{_e(r.student)}</td><td class=\"n\">{_num(r.score)}</td>"
                   f"<td class=\"n\">{_num(r.max_score)}</td><td>{_bar(r.fraction)}</td>"
                   f"<td{cls}>{_e(_(status, 'summary'))}</td><td>{files}</td></tr>")
    out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_summary(results: list[GradeResult], out: Path, pages: dict[str, str] | None = None,
                  data: dict[str, str] | None = None, lang: str | None = None) -> None:
    """Write ``summary.csv`` and ``summary.html`` (in ``lang``) into the folder ``out``."""
    from ..errors import InputError

    for name, text in (("summary.csv", summary_csv(results)),
                       ("summary.html", summary_html(results, pages, data, lang))):
        try:
            (Path(out) / name).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{Path(out) / name}: cannot write: {exc.strerror}") from None
