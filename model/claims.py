"""What tcpcheck cites, readable from the package: the seed note's claims C1-C17
and the parts of RFC 9293 that the rule table, the events, reports, mutants and
experiments cite.

The data ships in ``model/claims/``: ``CLAIMS.md`` (the study note's claims,
as the user wrote them down; its source, the note itself, is the Chinese
``000_4fe751ad814872b1.txt`` beside it) and ``rfc9293.toml`` (for each section
or figure cited: its number, its title, a summary in our own words and the
claims it bears on; no RFC text).  Which rules, events, mutants and
experiments cite an id is computed from the code here, so it cannot go stale.

``tcpcheck cite [ID ...]`` prints them: ``C9``, ``3.10.7.4``, ``3.10.7.4 fifth``
(a step of a section), ``Figure 5``, ``note 2`` (of Figure 5), ``F12`` (an arrow
of Figure 5, as the rule table's sources number them F1-F20).  One command for
both kinds, because a report prints both side by side ("C11; RFC 9293 3.10.8")
and a reader copies whichever id is in front of them; the two kinds of id
cannot be confused.  An unknown id gets a "did you mean".

It reads shipped files only; it runs nothing.
"""

from __future__ import annotations

import argparse
import re
import shutil
import textwrap
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from .errors import InputError, closest
from .i18n import add_lang_option, language, translator

__all__ = ["Claim", "Passage", "CLAIMS_FILE", "SEED_NOTE", "RFC_FILE", "RFC_URL", "claims", "passages",
           "arrows", "citations", "lookup", "cited_by", "describe", "render", "register"]

DATA = Path(__file__).with_name("claims")
CLAIMS_FILE = DATA / "CLAIMS.md"
SEED_NOTE = DATA / "000_4fe751ad814872b1.txt"
RFC_FILE = DATA / "rfc9293.toml"
RFC_URL = "https://www.rfc-editor.org/rfc/rfc9293"

#: the ordinal words of the steps of 3.10.7.4, as the rule table cites them
STEPS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")


class CiteError(InputError):
    """An id that names no claim, section or figure."""


class Claim(NamedTuple):
    """One claim of the seed note: ``C9``, the part of the note it is in, its text."""

    id: str
    part: str
    text: str


class Passage(NamedTuple):
    """A section or figure of RFC 9293: ``3.10.7.4`` or ``Figure 5``."""

    id: str
    title: str
    summary: str
    url: str
    claims: tuple[str, ...]
    parts: dict  # the steps of a section ("fifth" -> ...) or the notes of a figure ("note 2" -> ...)


@lru_cache(maxsize=1)
def claims() -> dict[str, Claim]:
    """The claims C1-C17 of CLAIMS.md, by id, in the file's order."""
    out: dict[str, Claim] = {}
    part, current = "", None
    for line in CLAIMS_FILE.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            part, current = line[3:].strip(), None
        elif m := re.match(r"^- (C\d+)\.\s+(.*)$", line):
            current = m.group(1)
            out[current] = Claim(current, part, m.group(2))
        elif current and line.startswith("  ") and line.strip():
            c = out[current]
            out[current] = c._replace(text=f"{c.text} {line.strip()}")
        else:
            current = None
    return out


@lru_cache(maxsize=1)
def passages() -> dict[str, Passage]:
    """The sections and figures of rfc9293.toml, by id ("3.10.7.4", "Figure 5")."""
    data = tomllib.loads(RFC_FILE.read_text(encoding="utf-8"))
    out: dict[str, Passage] = {}
    for number, s in data.get("sections", {}).items():
        out[number] = Passage(number, s["title"], s["summary"], f"{RFC_URL}#section-{number}",
                              tuple(s.get("claims", ())), dict(s.get("steps", {})))
    for number, f in data.get("figures", {}).items():
        out[f"Figure {number}"] = Passage(f"Figure {number}", f["title"], f["summary"], f"{RFC_URL}#figure-{number}",
                                          tuple(f.get("claims", ())),
                                          {f"note {k}": v for k, v in f.get("notes", {}).items()})
    return out


@lru_cache(maxsize=1)
def arrows() -> dict:
    """Figure 5's arrows as the reference rule table's sources number them
    ("F12", from the figure's transcription), each with the rules that are it,
    in the order of their numbers: ``{"F1": (Rule, ...), ...}``."""
    from .table import load_table

    found: dict[int, list] = {}
    for r in load_table().rules:
        for m in _ARROW.finditer(r.source):
            found.setdefault(int(m.group(1)), []).append(r)
    return {f"F{n}": tuple(found[n]) for n in sorted(found)}


_ARROW = re.compile(r"\bF(\d+)\b")
_SECTION = re.compile(r"(?<![\w.])(3(?:\.\d+)+)(?:\s+(" + "|".join(STEPS) + r")\b)?(?!\.?\d)(?!\w)")
_FIGURE = re.compile(r"\bFigure\s+(\d+)(?:,?\s+notes?\s+(\d+))?", re.I)
_NOTE = re.compile(r"\bnote\s+(\d+)\b")


def citations(text: str) -> list[str]:
    """The ids of RFC 9293 passages that ``text`` cites, in order, each once:
    section numbers ("3.10.7.4", or "3.10.7.4 fifth" for a step), figures
    ("Figure 5", "Figure 5 note 2") and Figure 5's notes ("note 2", as the rule
    table writes them)."""
    found: list[tuple[int, str]] = []
    for m in _SECTION.finditer(text):
        found.append((m.start(), m.group(1) + (f" {m.group(2)}" if m.group(2) else "")))
    for m in _FIGURE.finditer(text):
        found.append((m.start(), f"Figure {m.group(1)}" + (f" note {m.group(2)}" if m.group(2) else "")))
    for m in _NOTE.finditer(text):
        if not re.search(r"Figure\s+\d+,?\s+$", text[:m.start()]):
            found.append((m.start(), f"Figure 5 note {m.group(1)}"))
    return list(dict.fromkeys(cid for _, cid in sorted(found)))


def _key(word: str) -> str:
    return re.sub(r"\s+", " ", word.strip()).lower()


def lookup(word: str) -> tuple[str, str | None]:
    """The id ``word`` names and the part of it (a step or a note), or CiteError
    with a "did you mean".  Accepts ``c9``, ``3.10.7.4``, ``3.10.7.4 fifth``,
    ``Figure 5``, ``fig 5``, ``Figure 5 note 2``, ``note 2``, ``§3.10.8``, ``RFC 9293 3.10.8``."""
    w = _key(word).removeprefix("rfc 9293").removeprefix("rfc9293").strip(" §,#")
    w = re.sub(r"^section-?\s*", "", w)
    w = re.sub(r"^fig(?:ure)?\.?\s*-?\s*(\d+)", r"figure \1", w)
    if re.fullmatch(r"note\s*\d+", w):
        w = "figure 5 " + w
    if (m := re.fullmatch(r"(?:figure 5,?\s+)?f\s*(\d+)", w)) and f"F{int(m.group(1))}" in arrows():
        return "Figure 5", f"F{int(m.group(1))}"
    ids = {c.lower(): c for c in claims()} | {p.lower(): p for p in passages()}
    if w in ids:
        return ids[w], None
    m = re.fullmatch(r"(.+?),?\s+((?:note\s*)?\w+)", w)
    if m and m.group(1) in ids:
        passage = passages().get(ids[m.group(1)])
        part = re.sub(r"note\s*", "note ", m.group(2))
        if passage and part in passage.parts:
            return passage.id, part
        if passage and passage.parts:
            hint = closest(part, list(passage.parts))
            raise CiteError(f"'{word}': {passage.id} has no part '{part}'"
                            + (f"; did you mean '{passage.id} {hint}'?" if hint else "")
                            + f" Its parts: {', '.join(passage.parts)}")
        raise CiteError(f"'{word}': {passage.id if passage else ids[m.group(1)]} has no parts")
    every = list(claims()) + list(passages()) + list(arrows())
    hint = closest(word.strip(), every)
    raise CiteError(f"unknown id '{word}'" + (f"; did you mean '{hint}'?" if hint else "")
                    + f" Known: claims {_span(list(claims()))}; RFC 9293 sections "
                      f"{', '.join(p for p in passages() if not p.startswith('Figure'))}; "
                      f"{', '.join(p for p in passages() if p.startswith('Figure'))}; "
                      f"Figure 5's arrows {_span(list(arrows()))}")


def _arg(cid: str) -> str:
    """``cid`` as a shell argument."""
    return f"'{cid}'" if " " in cid else cid


def _span(ids: list[str]) -> str:
    return f"{ids[0]}-{ids[-1]}" if len(ids) > 2 else ", ".join(ids)


def _cites(text: str, pid: str, part: str | None) -> bool:
    for c in citations(text):
        if c == pid or c.startswith(pid + " ") and (part is None or c == f"{pid} {part}"):
            return True
    return False


def cited_by(cid: str, part: str | None = None, lang: str = "en") -> list[tuple[str, str]]:
    """Where the code cites the claim or passage ``cid`` (``part``: one step or
    note of it), as (kind, line) pairs: for a claim, the experiments and mutants
    that show it and the passages that bear on it; for a passage, the rows of
    the reference rule table, the events and the mutants whose edited rows cite it.
    The kinds and the words around the ids in ``lang``; the rule rows, the
    passages' titles and the event's RFC reference as written."""
    from .events import ARRIVALS
    from .experiments import EXPERIMENTS
    from .mutants import MUTANTS
    from .table import REFERENCE

    _ = translator(lang)
    out: list[tuple[str, str]] = []
    if cid in claims():
        for e in EXPERIMENTS.values():
            if cid in e.claims:
                out.append((_("shown by"), _("experiment {id} {name}: {question} (tcpcheck experiment {name})").format(
                    id=e.id, name=e.name, question=_(e.question, "question"))))
        for m in MUTANTS.values():
            if cid in m.claims:
                out.append((_("shown by"), _("mutant {name}: {description} (tcpcheck check --mutant {name})").format(
                    name=m.name, description=_(m.description, "mutant"))))
        for p in passages().values():
            if cid in p.claims:
                out.append((_("in RFC 9293"), _("{id}: {title} (tcpcheck cite {arg})").format(
                    id=p.id, title=p.title, arg=_arg(p.id))))
        return out
    rows = REFERENCE.read_text(encoding="utf-8").splitlines()
    for n, row in enumerate(rows, 1):
        if row.strip() and not row.lstrip().startswith("#") and "|" in row:
            source = row.rsplit("|", 1)[1]
            if _cites(source, cid, part) or _cites_note(source, cid, part) or _cites_arrow(source, cid, part):
                out.append((_("cited by"), _("rule {where}: {row}").format(
                    where=f"{REFERENCE.name}:{n}", row=re.sub(r' {2,}', ' ', row.strip()))))
    seen = set()
    for ev in ARRIVALS:
        if _cites(ev.ref, cid, part) and (ev.name, ev.ref) not in seen:
            seen.add((ev.name, ev.ref))
            out.append((_("cited by"), _("event '{event}' in {states} ({ref})").format(
                event=_(ev.name, "event"), states=", ".join(ev.states), ref=ev.ref)))
    for m in MUTANTS.values():
        if any(_cites(old.rsplit("|", 1)[-1], cid, part) or _cites_arrow(old.rsplit("|", 1)[-1], cid, part)
               for old, _ in m.edits):
            out.append((_("cited by"), _("mutant {name} edits a row citing it: {description} "
                                         "(tcpcheck check --mutant {name})").format(
                name=m.name, description=_(m.description, "mutant"))))
    return out


def _cites_note(source: str, cid: str, part: str | None) -> bool:
    """A rule's "note 3" is a note of Figure 5."""
    return cid == "Figure 5" and any(c.startswith("Figure 5 note") and (part is None or c == f"Figure 5 {part}")
                                     for c in citations(source))


def _cites_arrow(source: str, cid: str, part: str | None) -> bool:
    """A rule's "F12" is an arrow of Figure 5: cited by the figure, and by that arrow."""
    return cid == "Figure 5" and not (part or "").startswith("note") and any(
        part in (None, f"F{m.group(1)}") for m in _ARROW.finditer(source))


def describe(word: str, lang: str = "en") -> list[tuple[int, str]]:
    """What ``tcpcheck cite WORD`` prints: (indent, text) lines, unwrapped; the
    command's words in ``lang``, the claims' text and the RFC summaries as shipped."""
    _ = translator(lang)
    cid, part = lookup(word)
    lines: list[tuple[int, str]] = []
    if cid in claims():
        c = claims()[cid]
        lines += [(0, _("{id} (the seed note, {part})").format(id=c.id, part=c.part)), (2, c.text),
                  (2, _("source: the user's study note {note}, claim by claim in {claims} "
                        "(both shipped in tcpcheck/model/claims)").format(note=SEED_NOTE.name,
                                                                          claims=CLAIMS_FILE.name))]
    else:
        p = passages()[cid]
        heading = (_("RFC 9293 {id}: {title}") if cid.startswith("Figure")
                   else _("RFC 9293 section {id}: {title}"))
        lines += [(0, heading.format(id=p.id, title=p.title)),
                  (2, p.url), (2, p.summary)]
        lines += [(2, f"{k}: {v}") for k, v in p.parts.items() if part in (None, k)]
        if part in arrows():
            lines.append((2, _("{arrow}: one of its arrows, as the rule table's sources number them (F1-F20); "
                               "the row that is it is cited below").format(arrow=part)))
        if p.claims:
            lines.append((2, _("claims of the seed note it bears on: {claims}").format(claims=", ".join(p.claims))))
        lines.append((2, _("(a summary in tcpcheck's words; the RFC's own text is at the URL)")))
    heading = None
    for kind, text in cited_by(cid, part, lang):
        if kind != heading:
            lines.append((2, _("{kind}:").format(kind=kind)))
            heading = kind
        lines.append((4, text))
    return lines


def render(lines: list[tuple], width: int, lang: str = "en") -> str:
    """``lines`` of (indent, text[, hanging indent]) wrapped to ``width`` terminal
    columns (at least 40; a CJK character takes two, as check's summary counts
    them); continuation lines are indented two more, or by the hanging indent."""
    from .report import wrap  # the one wrapper by terminal columns (loaded when cite prints)

    out = []
    for indent, text, *hang in lines:
        out += wrap(text, max(width, 40), " " * indent, " " * (hang[0] if hang else indent + 2), lang) or [""]
    return "\n".join(out)


def index(lang: str = "en") -> list[tuple]:
    """What ``tcpcheck cite`` prints without an id: every id with its title."""
    _ = translator(lang)
    lines = [(0, _("The seed note's claims (tcpcheck cite C9):"))]
    lines += [(2, f"{c.id:<4} {c.text}", 7) for c in claims().values()]
    lines.append((0, ""))
    lines.append((0, _("The parts of RFC 9293 tcpcheck cites (tcpcheck cite 3.10.7.4, "
                       "tcpcheck cite '3.10.7.4 fifth', tcpcheck cite 'Figure 5'):")))
    lines += [(2, f"{p.id:<10} {p.title}", 13) for p in passages().values()]
    lines.append((0, ""))
    lines.append((0, _("The arrows of Figure 5, as the rule table's sources number them (tcpcheck cite F12):")))
    lines += [(2, f"{a:<4} {'; '.join(r.describe() for r in rules)}", 7) for a, rules in arrows().items()]
    return lines


def cmd_cite(args) -> int:
    width = shutil.get_terminal_size((80, 24)).columns - 1
    lang = language(args.lang)
    if not args.id:
        print(render(index(lang), width, lang))
        return 0
    out = [render(describe(w, lang), width, lang) for w in args.id]  # every id is checked before anything is printed
    print("\n\n".join(out))
    return 0


def register(sub) -> None:
    """Add ``cite`` to the main command line (entry point ``tcpcheck.commands``)."""
    c = sub.add_parser(
        "cite", help="print a claim of the seed note (C1-C17) or a cited part of RFC 9293",
        description=textwrap.fill(
            "Print what an id that tcpcheck's reports, rule table and experiments cite stands for: "
            "a claim of the seed note (its text, and the experiments and mutants that show it), or "
            "a section or figure of RFC 9293 (its title, its URL, a summary in tcpcheck's words, and "
            "the rules, events and mutants that cite it). Without an id, list them all. With --lang zh "
            "the command's own words are Chinese; the claims' text (as the user wrote them down), the "
            "RFC's titles and tcpcheck's summaries of them, and the rule rows stay as shipped, and an "
            "error stays English, as every error does.", 78),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  tcpcheck cite                     every claim and passage\n"
               "  tcpcheck cite C9                  a claim of the seed note\n"
               "  tcpcheck cite 3.10.7.4            a section of RFC 9293\n"
               "  tcpcheck cite '3.10.7.4 fifth'    one step of it, as the rule table cites it\n"
               "  tcpcheck cite 'Figure 5' 'note 2' a figure, and one of its notes\n"
               "  tcpcheck cite F12                 an arrow of Figure 5, as the rule table's sources number them\n"
               "  tcpcheck cite C9 --lang zh        in Chinese (the claim's text as shipped)\n\n"
               "exit codes: 0 printed, 2 an unknown id (with a 'did you mean')")
    c.add_argument("id", nargs="*", metavar="ID",
                   help="C1-C17, a section number, 'Figure N', 'note N' or an arrow F1-F20 of Figure 5")
    add_lang_option(c)
    c.set_defaults(func=cmd_cite)
