"""packetdrill scripts run against the model (issue 12, "Packetdrill").

A packetdrill script (https://github.com/google/packetdrill) drives one TCP
endpoint, the *local* one, from both sides: its ``<`` lines are segments that
arrive at the endpoint, its system calls are the application's calls, its
``>`` lines are segments the endpoint must send, and assertions on
``tcpi_state`` check its state.  :func:`read_script` reads the subset the
model can express; :func:`run_script` runs it against a rule table, the
local endpoint being the model's own TCB, and :func:`run_path` runs one
script or every ``.pkt`` of a directory.  There is no second copy of the
transitions: an arriving segment goes through ``system.process`` (the
explorer's and the conformance checker's), a call through ``table.lookup``
and ``actions.fire``.

How a script maps onto the model:

* ``socket`` + ``bind`` + ``listen`` is a passive OPEN (at ``listen``),
  ``connect`` an active OPEN, ``write``/``send`` a SEND of as many octets as
  the call returns, ``shutdown(SHUT_WR)`` and ``close`` a CLOSE, and
  ``close`` after ``setsockopt(SO_LINGER, {onoff=1, linger=0})`` an ABORT.
  The model's endpoint is the connection: a listener and the socket
  ``accept`` returns are one TCB, so closing the listener once a connection
  was accepted is not a call on it (listed as skipped).
* Sequence numbers as packetdrill reads them (``socket.h`` of the Google
  tree): numbers of a segment carrying SYN are absolute, the others relative
  to the first SYN of their sender.  The remote side's numbers are the
  script's own; the local ISS is the model's (:data:`LOCAL_ISS`, chosen so
  that relative numbers cross 2**32 after 256 octets), and a ``>`` SYN line
  learns it, as packetdrill learns the kernel's.
* A ``>`` line is compared with the next segment the model sent (flags SYN,
  ACK, FIN, RST, SEQ, ACK and the length).  A pure ACK still waiting may be
  covered by a later segment that acknowledges as much (a delayed ACK, RFC
  9293 3.8.6.3).  With nothing waiting, a retransmission timeout is inferred
  where the table has a row and its retransmission is the segment expected.
  What the model sent after the last ``>`` line is listed as unchecked, as
  packetdrill leaves it unchecked.
* The receive window is the one the script's ``>`` lines advertise (the
  model chooses none): the right edge SEG.ACK + SEG.WND of the last one.
* ``getsockopt(FD, SOL_SOCKET, SO_ERROR, [E], ...)`` is a check, like a state
  check: E is the error the model's endpoint signalled since it was last read,
  from the event that deleted its TCB and the signal RFC 9293 gives there
  (:func:`_reset_error`: "connection reset" is ECONNRESET, "connection refused"
  ECONNREFUSED, "connection aborted due to user timeout" ETIMEDOUT), or 0.
* Timeouts are inferred from the script's clock (its times; a range's least),
  each only where the table has a row for it: TIME_WAIT's 2MSL timeout once 2MSL
  (:data:`~.follow.MSL` twice) has passed since TIME_WAIT was entered or a
  retransmitted FIN restarted it, and the user timeout once sequence space has
  waited for its ACK as long as ``TCP_USER_TIMEOUT`` (else :data:`USER_TIMEOUT`).
* A write larger than the MSS is sent as several segments: the MSS option of the
  peer's SYN, else :data:`DEFAULT_MSS` (536 over IPv4, 1220 over IPv6, RFC 9293
  3.7.1); the sender's window and options are not subtracted.
* The report speaks English or Chinese (``--lang``): prose kept in data is a
  :class:`Said` (the English, and the template and values to say it again).
* ``#ifdef NAME`` / ``#ifndef`` / ``#else`` / ``#endif`` (FreeBSD's
  tcp-testsuite keeps a STANDARD and a FreeBSD branch) keep the lines of the
  names defined (``--define``).  FreeBSD's idiom
  ``sockstat ... | grep -c STATE | grep 1`` (or ``0``) is a state check.
* Timing (times, tolerances), windows beyond acceptability, TCP options,
  PSH/URG/ECE/CWR, return values, socket options other than SO_LINGER 0,
  reads, shell commands and python blocks are outside the model: such lines
  are listed as skipped, and the fields not checked on the lines run are
  listed too.  Nothing skipped counts as a pass.

A malformed line raises :class:`ScriptError` (exit 2) with ``FILE:LINE``.
Must not import proofs/ or diagrams/.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import wcwidth

from ..actions import ACTIONS, Params, fire
from ..errors import InputError, read_input
from ..i18n import N_, translator
from ..interface import segment_json, stamp
from ..report import pad
from ..system import process
from ..table import RuleTable, canonical_state
from ..tcb import CLOSED_TCB, HALF, MASK, STATES, SYNCHRONIZED, Concrete, Segment, describe_segment, seg_len
from .follow import BUDGET, MSL, actions_for, parts, retransmits

__all__ = ["ScriptError", "Packet", "Line", "Script", "Step", "Failure", "Outcome", "LOCAL_ISS",
           "read_script", "run_script", "run_path", "text_report", "json_report", "exit_code",
           "matrix", "matrix_markdown", "matrix_text", "KINDS", "MATRIX_STATES", "TCPI_STATES", "MAX_BYTES", "Said", "say",
           "SO_ERRORS", "USER_TIMEOUT", "DEFAULT_MSS"]

D = Concrete

#: The model endpoint's ISS: relative numbers cross 2**32 after 256 octets, so the
#: scripts run through the model's 32-bit arithmetic, wraparound included.
LOCAL_ISS = 0xFFFFFF00

#: The largest script read.
MAX_BYTES = 1024 * 1024

#: Names of tcpi_state values (Linux ``TCP_*``, FreeBSD ``TCPI_*``/``TCPS_*``) and the RFC state.
TCPI_STATES = {
    "TCP_ESTABLISHED": "ESTABLISHED", "TCP_SYN_SENT": "SYN_SENT", "TCP_SYN_RECV": "SYN_RCVD",
    "TCP_FIN_WAIT1": "FIN_WAIT_1", "TCP_FIN_WAIT2": "FIN_WAIT_2", "TCP_TIME_WAIT": "TIME_WAIT",
    "TCP_CLOSE": "CLOSED", "TCP_CLOSE_WAIT": "CLOSE_WAIT", "TCP_LAST_ACK": "LAST_ACK",
    "TCP_LISTEN": "LISTEN", "TCP_CLOSING": "CLOSING",
    **{f"{p}_{s}": s for p in ("TCPI", "TCPS") for s in STATES},
    "TCPI_SYN_RECEIVED": "SYN_RCVD", "TCPS_SYN_RECEIVED": "SYN_RCVD",
}

#: Packet flags as packetdrill writes them.
_FLAG_BITS = {"S": "SYN", "F": "FIN", "R": "RST", "P": "PSH", ".": "ACK", "U": "URG", "E": "ECE", "W": "CWR"}

_TIME = re.compile(r"(\*|[+]?\d+(?:\.\d*)?(?:\s*~\s*[+]?\d+(?:\.\d*)?)?)(?=\s|$)")
_SEQ = re.compile(r"(\d+):(\d+)\((\d+)\)$|\.\.\.\((\d+)\)$")
_CALL = re.compile(r"([A-Za-z_]\w*)\s*\((.*)\)\s*=\s*(.+)$")
_SOCKSTAT = re.compile(r"sockstat\b.*grep\s+-c\s+([A-Z_0-9]+)\s*\|\s*grep\s+(\d+)\s*$")
_TCPI = re.compile(r"assert\s+(?:\w+\.)?tcpi_state\s*==\s*([A-Za-z_0-9]+)\s*(?:,.*)?$")
_IFDEF = re.compile(r"#\s*(ifdef|ifndef|else|endif|if|elif|define|undef)\b\s*(\S*)")


class ScriptError(InputError):
    """A script that cannot be read: ``FILE:LINE: what was expected``."""


class Said(str):
    """English prose kept in data (why a line is skipped, the model's answer, a step's note):
    the English text itself, and the template (context ``packetdrill``) and values that
    say it in another language (:func:`say`).  A value may itself be :class:`Said`."""

    def __new__(cls, template: str, **values):
        self = super().__new__(cls, template.format(**values))
        self.template, self.values = template, values
        return self

    def __reduce__(self):
        return (_said, (self.template, self.values))


def _said(template, values):
    return Said(template, **values)


class RuleText(str):
    """A row as an edge of Figure 5 (``Rule.describe``), said with the catalogue's events
    and actions in another language."""

    def __new__(cls, rule):
        self = super().__new__(cls, rule.describe())
        self.rule = rule
        return self

    def __reduce__(self):
        return (RuleText, (self.rule,))

    def said(self, _) -> str:
        r = self.rule
        if _.lang == "en":
            return str(self)
        q = f"[{_(r.qualifier + ' OPEN', 'event')}]" if r.qualifier else ""
        acts = [_("send {segment}", context="packetdrill").format(segment=a[4:]) if a.startswith("snd <")
                else _(a, "action") for a in r.actions]
        act = " / " + _("; ", context="phrase").join(acts) if acts else ""
        return f"{r.state}{q} --{_(r.event, 'event')}{act}--> {r.to}"


def say(text, _) -> str:
    """``text`` in the language of the translator ``_``: a :class:`Said` from its template,
    anything else as it is (segments, states, script text)."""
    if isinstance(text, Said):
        return _(text.template, context="packetdrill").format(**{k: say(v, _) for k, v in text.values.items()})
    if isinstance(text, RuleText):
        return text.said(_)
    if isinstance(text, _Event):
        return _(text, context="event")
    return text


class Packet(NamedTuple):
    """A ``<`` or ``>`` line's TCP segment, as written (script numbers)."""

    direction: str  # "<" arrives at the endpoint, ">" the endpoint sends
    flags: frozenset  # of SYN, ACK, FIN, RST, PSH, URG, ECE, CWR
    seq: int | None  # None: "...(LEN)", any SEQ
    len: int
    ack: int | None  # None without "ack N"
    win: int | None
    urg: int | None
    options: str | None  # the text of "<...>"

    def segment(self, seq: int, ack: int) -> Segment:
        f = self.flags
        return Segment("SYN" in f, "ACK" in f, "FIN" in f, "RST" in f, seq & MASK, ack & MASK, self.len)

    def text(self) -> str:
        return script_text(self.flags, self.seq, self.len, self.ack if "ACK" in self.flags else None)


class Line(NamedTuple):
    """One line (or ``%{ }%`` block line) of a script."""

    number: int
    text: str
    kind: str  # "in", "out", "call", "state", "skip"
    packet: Packet | None = None
    call: str | None = None  # the system call's name
    args: tuple = ()
    ret: str | None = None
    state: str | None = None  # "state": the RFC state checked
    negate: bool = False  # "state": the endpoint must not be in it
    reason: str | None = None  # "skip": why the model does not run it
    unchecked: tuple = ()  # features of the line that are not checked (win, options, time, ...)
    at: tuple | None = None  # the line's time: (relative, seconds), seconds the least of a range; None: '*' or none


class Script(NamedTuple):
    path: str
    lines: tuple
    defines: tuple


class Step(NamedTuple):
    """A line as run: what the model did on it."""

    line: Line
    what: str  # "arrival", "sent", "call", "state", "timeout", "skip"
    rules: tuple  # ids of the rules that fired
    state: str  # the endpoint's state after the line
    sent: tuple = ()  # segments the model sent on it
    note: str = ""
    shown: tuple = ()  # each of ``sent`` in script numbers (``F. 1:1(0) ack 2``)


class Failure(NamedTuple):
    """The first line where the model differs from the script."""

    line: Line
    expected: str
    model: str  # the model's answer: what it sends, or the state it is in
    state: str
    rules: tuple  # the rules behind the model's answer


class Outcome(NamedTuple):
    path: str
    table: str
    verdict: str  # "passes", "fails", "nothing checked"
    failure: Failure | None
    steps: tuple
    skipped: tuple  # (line number, text, reason)
    unchecked: tuple  # (segment in script numbers, segment in the RFC's notation, line number, rule id)
    not_checked: dict  # feature -> line numbers where it was not checked
    checked: int  # ">" lines and state checks compared
    defines: tuple = ()


def script_text(flags, seq, n, ack) -> str:
    """A segment as packetdrill writes it: ``F. 1:1(0) ack 2``."""
    f = "".join(ch for ch, name in _FLAG_BITS.items() if name in flags and ch != ".")
    if "ACK" in flags:
        f += "."
    s = f"...({n})" if seq is None else f"{seq}:{(seq + n) & MASK}({n})"
    return f"{f or '-'} {s}" + (f" ack {ack}" if ack is not None else "")


# --- reading --------------------------------------------------------------------------------

def _strip_comment(text: str, in_block: bool) -> tuple[str, bool]:
    """``text`` without ``//`` and ``/* */`` comments (outside backticks); whether a block comment is open."""
    out, i, tick = [], 0, False
    while i < len(text):
        if in_block:
            j = text.find("*/", i)
            if j < 0:
                return "".join(out), True
            i, in_block = j + 2, False
            continue
        ch = text[i]
        if ch == "`":
            tick = not tick
        if not tick and text.startswith("//", i):
            break
        if not tick and text.startswith("/*", i):
            in_block, i = True, i + 2
            continue
        out.append(ch)
        i += 1
    return "".join(out), in_block


def _split_args(text: str) -> tuple[str, ...]:
    """Top-level comma-separated arguments of a call ([], {} and () nest)."""
    out, depth, cur = [], 0, []
    for ch in text:
        if ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        if ch == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    if "".join(cur).strip():
        out.append("".join(cur).strip())
    return tuple(out)


def _number(text: str, where: str, what: str, limit: int = MASK) -> int:
    try:
        n = int(text, 0)
    except ValueError:
        raise ScriptError(f"{where}: expected {what} (a whole number), not '{text}'") from None
    if not 0 <= n <= limit:
        raise ScriptError(f"{where}: {what} {n} is out of range (0 to {limit})")
    return n


def _packet(direction: str, rest: str, where: str) -> Packet | str:
    """The packet of a ``<``/``>`` line, or the reason it is skipped (not TCP)."""
    options = None
    if "<" in rest:
        i = rest.index("<")
        if not rest.rstrip().endswith(">"):
            raise ScriptError(f"{where}: expected the TCP options to end with '>', as in <mss 1460,nop,wscale 7>")
        options = rest[i + 1:rest.rstrip().rindex(">")].strip()
        rest = rest[:i]
    words = rest.split()
    while words and (words[0].startswith("[") or words[0].startswith("(")):
        words.pop(0)  # IP-level fields ([ect0], (tos 0x0)): outside the model
    if not words:
        raise ScriptError(f"{where}: expected TCP flags (S, S., ., P., F., R, R.) after '{direction}'")
    if words[0].lower() in ("udp", "udplite", "icmp", "sctp"):
        return Said(N_("a {protocol} packet: the model is TCP only", "packetdrill"), protocol=words[0].upper())
    flags = words[0]
    if any(ch not in _FLAG_BITS for ch in flags):
        raise ScriptError(f"{where}: expected TCP flags made of S F R P . U E W (such as S., F. or R) "
                          f"after '{direction}', not '{flags}'")
    if len(words) < 2:
        raise ScriptError(f"{where}: expected SEQ:SEQ(LEN), such as 1:11(10), after the flags '{flags}'")
    m = _SEQ.match(words[1])
    if m is None:
        raise ScriptError(f"{where}: expected SEQ:SEQ(LEN), such as 1:11(10), not '{words[1]}'")
    if m.group(4) is not None:
        if direction == "<":
            raise ScriptError(f"{where}: '...' for the sequence number can only be used in '>' lines")
        seq, n = None, _number(m.group(4), where, "a payload length", 65535)
    else:
        seq = _number(m.group(1), where, "a sequence number")
        end = _number(m.group(2), where, "a sequence number")
        n = _number(m.group(3), where, "a payload length", 65535)
        if end != (seq + n) & MASK:
            raise ScriptError(f"{where}: inconsistent sequence numbers {words[1]}: the end must be the start "
                              f"plus the length ({seq}+{n} = {(seq + n) & MASK})")
    ack = win = urg = None
    i = 2
    while i < len(words):
        key = words[i]
        if key not in ("ack", "win", "urg") or i + 1 >= len(words):
            raise ScriptError(f"{where}: expected 'ack N', 'win N', 'urg N' or <options> after the sequence "
                              f"numbers, not '{' '.join(words[i:])}'")
        value = _number(words[i + 1], where, f"the {key} value", MASK if key == "ack" else 65535)
        if key == "ack":
            ack = value
        elif key == "win":
            win = value
        else:
            urg = value
        i += 2
    bits = frozenset(_FLAG_BITS[ch] for ch in flags)
    if "ACK" in bits and ack is None:
        ack = 0  # as packetdrill reads it
    if options is not None and options == "..." and direction == "<":
        raise ScriptError(f"{where}: <...> for TCP options can only be used in '>' lines")
    return Packet(direction, bits, seq, n, ack, win, urg, options)


def _unchecked_fields(p: Packet) -> tuple:
    out = ["time"]
    if p.win is not None:
        out.append("win")
    if p.options is not None:
        out.append("options")
    if p.urg is not None or "URG" in p.flags:
        out.append("urgent data")
    out += [name for name in ("PSH", "ECE", "CWR") if name in p.flags]
    return tuple(out)


_RECEIVE = N_("{call}(): RECEIVE is not modelled (data handed to the application)", "packetdrill")
_SKIP_CALLS = {
    "read": _RECEIVE, "recv": _RECEIVE, "recvfrom": _RECEIVE, "recvmsg": _RECEIVE, "readv": _RECEIVE,
    "socket": N_("{call}(): no RFC 9293 call of its own (the TCB is created by OPEN: listen or connect)",
                 "packetdrill"),
    "bind": N_("{call}(): no RFC 9293 call of its own (part of the passive OPEN at listen)", "packetdrill"),
}

#: The errors SO_ERROR reports and the RFC 9293 signal each stands for (None: no error).
SO_ERRORS = {"0": None, "ECONNRESET": Said(N_("connection reset", "packetdrill")),
             "ECONNREFUSED": Said(N_("connection refused", "packetdrill")),
             "ETIMEDOUT": Said(N_("connection aborted due to user timeout", "packetdrill"))}

#: The user timeout when the script sets none (TCP_USER_TIMEOUT): "the present global
#: default is five minutes" (RFC 9293 3.9.1, OPEN).
USER_TIMEOUT = 300.0

#: The MSS assumed when the peer's SYN carries no MSS option (RFC 9293 3.7.1): IPv4, IPv6.
DEFAULT_MSS = {"ipv4": 536, "ipv6": 1220}
_SEND_CALLS = ("write", "send", "sendto", "sendmsg", "writev")
_SENDS = N_("sends {segment}", "packetdrill")


def _call_line(number: int, text: str, body: str, where: str, unchecked: tuple) -> Line:
    m = _CALL.match(body)
    if m is None:
        raise ScriptError(f"{where}: expected a system call NAME(ARGUMENTS) = RESULT, such as close(3) = 0, "
                          f"not '{body}'")
    name, args, ret = m.group(1), _split_args(m.group(2)), m.group(3).strip()
    mk = lambda kind, **kw: Line(number, text, kind, call=name, args=args, ret=ret, unchecked=unchecked, **kw)
    if name in _SKIP_CALLS:
        return mk("skip", reason=Said(_SKIP_CALLS[name], call=name))
    if name in ("listen", "connect", "close", "shutdown", "accept") or name in _SEND_CALLS:
        if not args:
            raise ScriptError(f"{where}: {name}() needs a socket (file descriptor) as its first argument")
        _number(args[0], where, f"the socket of {name}()", 1 << 20)
        if name == "shutdown":
            if len(args) < 2 or args[1] not in ("SHUT_RD", "SHUT_WR", "SHUT_RDWR"):
                raise ScriptError(f"{where}: expected shutdown(FD, SHUT_WR), SHUT_RD or SHUT_RDWR")
            if args[1] == "SHUT_RD":
                return mk("skip", reason=Said(N_("shutdown(SHUT_RD): closing the receiving half is not modelled",
                                                 "packetdrill")))
        return mk("call")
    if name == "setsockopt":
        if len(args) >= 4 and args[2] == "SO_LINGER":
            lin = re.fullmatch(r"\{\s*(?:l_)?onoff\s*=\s*(\d+)\s*,\s*(?:l_)?linger\s*=\s*(\d+)\s*\}", args[3])
            if lin is None:
                raise ScriptError(f"{where}: expected SO_LINGER's value as {{onoff=1, linger=0}}, not '{args[3]}'")
            return mk("call")
        if len(args) >= 4 and args[2] == "TCP_USER_TIMEOUT":
            _number(args[3].strip("[] "), where, "TCP_USER_TIMEOUT's value (milliseconds, as in [3000])", MASK)
            return mk("call")
        opt = args[2] if len(args) >= 3 else "?"
        return mk("skip", reason=Said(N_("setsockopt {option}: a socket option outside the model", "packetdrill"),
                                      option=opt))
    if name == "getsockopt":
        joined = ", ".join(args)
        m2 = re.search(r"tcpi_state\s*=\s*([A-Za-z_0-9]+)", joined)
        if "TCP_INFO" in joined and m2:
            return _state_line(number, text, m2.group(1), where, False, unchecked)
        if len(args) >= 4 and args[2] == "SO_ERROR":
            value = args[3].strip("[] ")
            if value not in SO_ERRORS:
                return mk("skip", reason=Said(N_("getsockopt SO_ERROR {error}: an error no event of the model "
                                                 "signals", "packetdrill"), error=value))
            return mk("error", state=value)
        opt = args[2] if len(args) >= 3 else "?"
        return mk("skip", reason=Said(N_("getsockopt {option}: outside the model", "packetdrill"), option=opt))
    return mk("skip", reason=Said(N_("{call}(): a system call outside the model", "packetdrill"), call=name))


def _state_line(number, text, name, where, negate, unchecked) -> Line:
    state = TCPI_STATES.get(name) or canonical_state(name)
    if state is None:
        raise ScriptError(f"{where}: expected a TCP state such as TCP_ESTABLISHED, TCPI_SYN_RECEIVED or "
                          f"TIME_WAIT, not '{name}'")
    return Line(number, text, "state", state=state, negate=negate, unchecked=unchecked)


def read_script(path: str | Path, defines=()) -> Script:
    """The lines of the packetdrill script at ``path``; ``defines`` are the names an
    ``#ifdef`` keeps.  Raises :class:`ScriptError` on a malformed line."""
    p = Path(path)
    source = read_input(p, "the packetdrill script", ScriptError, limit=MAX_BYTES)
    defined = set(defines)
    lines: list[Line] = []
    stack: list[tuple[bool, bool, int, str]] = []  # (branch active, taken, line, name)
    in_comment = False
    python: tuple[int, str] | None = None  # an open %{ block: its line and time
    raw = source.split("\n")
    for number, full in enumerate(raw, 1):
        where = f"{p}:{number}"
        text, in_comment = _strip_comment(full, in_comment)
        text = text.strip()
        if python is not None:
            body, closed = (text[:text.index("}%")], True) if "}%" in text else (text, False)
            lines.extend(_python(number, full.strip(), body, where, stack, defined))
            if closed:
                python = None
            continue
        if not text:
            continue
        m = _IFDEF.match(text)
        if m:
            word, name = m.groups()
            active = all(s[0] for s in stack)
            if word in ("ifdef", "ifndef"):
                if not name:
                    raise ScriptError(f"{where}: expected a name after #{word}")
                on = (name in defined) == (word == "ifdef")
                stack.append((on, on, number, name))
            elif word == "else":
                if not stack:
                    raise ScriptError(f"{where}: #else without #ifdef")
                on, taken, n0, name0 = stack.pop()
                stack.append((not taken, True, n0, name0))
            elif word == "endif":
                if not stack:
                    raise ScriptError(f"{where}: #endif without #ifdef")
                stack.pop()
            elif word in ("define", "undef") and active:
                (defined.add if word == "define" else defined.discard)(name)
            elif word in ("if", "elif"):
                raise ScriptError(f"{where}: expected #ifdef NAME, #ifndef NAME, #else or #endif "
                                  f"(#{word} with an expression is not read)")
            continue
        if not all(s[0] for s in stack):
            names = " and ".join(f"{s[3]}" for s in stack if not s[0])
            lines.append(Line(number, text, "skip", reason=Said(N_("in a branch of #ifdef {names} that is not "
                                                                   "defined (--define)", "packetdrill"), names=names)))
            continue
        if text.startswith("--"):
            opt = text.split("=", 1)[0]
            why = N_("{option}: a timing tolerance: timing is not modelled", "packetdrill") if "tolerance" in opt \
                else N_("{option}: IP version: the model is the same on IPv4 and IPv6 (but for the default MSS)",
                        "packetdrill") if opt == "--ip_version" else \
                N_("{option}: a packetdrill option outside the model", "packetdrill")
            lines.append(Line(number, text, "skip", reason=Said(why, option=opt)))
            continue
        m = _TIME.match(text)
        if m is None:
            raise ScriptError(f"{where}: expected a time at the start of the line (0.100, +0.1, * or "
                              f"0.1~0.2), not '{text.split()[0]}'")
        time, rest = m.group(1), text[m.end():].strip()
        unchecked = ("time", "timing range") if "~" in time else ("time",)
        start = len(lines)
        at = None if time == "*" else (time.startswith("+"), float(time.lstrip("+").split("~")[0]))
        if not rest:
            raise ScriptError(f"{where}: expected a packet (< or >), a system call, a `shell command` or "
                              f"%{{ python }}% after the time '{time}'")
        if rest[0] in "<>":
            pk = _packet(rest[0], rest[1:], where)
            if isinstance(pk, str):
                lines.append(Line(number, text, "skip", reason=pk))
            else:
                lines.append(Line(number, text, "in" if pk.direction == "<" else "out", packet=pk,
                                  unchecked=_unchecked_fields(pk) + unchecked[1:]))
        elif rest.startswith("`"):
            if not rest.endswith("`") or len(rest) < 2:
                raise ScriptError(f"{where}: expected the shell command to end with '`'")
            cmd = rest[1:-1].strip()
            st = _SOCKSTAT.search(cmd)
            if st and (canonical_state(st.group(1)) is not None) and st.group(2) in ("0", "1"):
                lines.append(Line(number, text, "state", state=canonical_state(st.group(1)),
                                  negate=st.group(2) == "0", unchecked=unchecked))
            else:
                lines.append(Line(number, text, "skip", reason=Said(N_("a shell command: outside the model",
                                                                       "packetdrill"))))
        elif rest.startswith("%{"):
            body = rest[2:]
            closed = "}%" in body
            if closed:
                body = body[:body.index("}%")]
            else:
                python = (number, time)
            lines.extend(_python(number, text, body, where, stack, defined))
        else:
            lines.append(_call_line(number, text, rest, where, unchecked))
        if at is not None and len(lines) > start:  # the first line of the time carries it (once: '+' adds)
            lines[start] = lines[start]._replace(at=at)
    if python is not None:
        raise ScriptError(f"{p}:{python[0]}: the python block %{{ is not closed by }}%")
    if in_comment:
        raise ScriptError(f"{p}:{len(raw)}: a /* comment is not closed by */")
    if stack:
        raise ScriptError(f"{p}:{stack[-1][2]}: #ifdef {stack[-1][3]} is not closed by #endif")
    return Script(str(p), tuple(lines), tuple(sorted(set(defines))))


def _python(number, text, body, where, stack, defined) -> list[Line]:
    """The lines of a ``%{ }%`` block: ``assert tcpi_state == NAME`` is a state check, the rest skipped."""
    out = []
    for part in body.split(";"):
        part = part.strip()
        if not part:
            continue
        if not all(s[0] for s in stack):
            continue
        m = _TCPI.match(part)
        if m:
            out.append(_state_line(number, text, m.group(1), where, False, ("time",)))
        else:
            out.append(Line(number, text, "skip", reason=Said(N_("python code in %{{ }}%: outside the model",
                                                                 "packetdrill"))))
    return out


# --- running --------------------------------------------------------------------------------

class _Numbers:
    """packetdrill's script <-> live sequence numbers (Google packetdrill, socket.h): SYN
    segments' numbers absolute, the others relative to their sender's first SYN."""

    def __init__(self):
        self.remote_isn = None  # the remote side's: the script's and the live ones are the same
        self.local_script = None
        self.local_live = None

    def local(self, syn: bool) -> int:
        """Add to a local script number to get the live one."""
        if self.local_live is None:
            return 0
        return (self.local_live - self.local_script) & MASK if syn else self.local_live

    def remote(self, syn: bool) -> int:
        return 0 if syn or self.remote_isn is None else self.remote_isn

    def to_script(self, seg: Segment) -> tuple[int, int | None]:
        """A live segment's SEQ and ACK in script numbers."""
        # a SYN sent before a > line learnt the local ISN is shown relative to itself
        seq = 0 if seg.SYN and self.local_live is None else (seg.seq - self.local(seg.SYN)) & MASK
        ack = (seg.ack - self.remote(seg.SYN)) & MASK if seg.ACK else None
        return seq, ack


class _Runner:
    def __init__(self, script: Script, table: RuleTable):
        self.script, self.table = script, table
        self.tcb = CLOSED_TCB
        self.params = Params(LOCAL_ISS, BUDGET)
        self.numbers = _Numbers()
        self.queue: list = []  # (segment, line number, rule id) sent and not yet compared
        self.edge = None  # the right edge of the window the endpoint last advertised (live)
        self.scale = None  # window scaling: (local SYN's wscale, remote SYN's wscale)
        self.wscale = [None, None]
        self.conn_fd = None  # the socket the model's endpoint is
        self.listener_fd = None
        self.linger0: set = set()
        self.steps: list = []
        self.skipped: list = []
        self.checked = 0
        self.not_checked: dict = {}
        self.now = 0.0  # the script's clock (seconds; a range's least time)
        self.time_wait = None  # (time, line) TIME_WAIT was entered or its 2MSL timer restarted
        self.unacked = None  # (time, SND.UNA) since when sent sequence space waits for its ACK
        self.user_timeout = None  # TCP_USER_TIMEOUT, seconds
        self.error = None  # (errno name, line, state) of the error SO_ERROR will report
        self.mss = None  # (MSS, where it comes from) for the segments of a write
        version = "ipv4"
        for line in script.lines:
            if line.kind == "skip" and line.text.replace(" ", "").startswith("--ip_version="):
                version = "ipv6" if "ipv6" in line.text else "ipv4"
        self.default_mss = DEFAULT_MSS[version]

    # --- helpers
    def _state(self) -> str:
        return self.tcb.state

    def _wnd(self, seg: Segment) -> int:
        """RCV.WND: from RCV.NXT to the right edge last advertised (65535 before one was); a zero
        window still accepts a segment of length zero at RCV.NXT (RFC 9293 3.10.7.4, Table 6)."""
        wnd = 65535 if self.edge is None else (self.edge - self.tcb.rcv_nxt) & MASK
        if wnd >= HALF:
            wnd = 0
        return wnd if wnd or seg_len(seg) else 1

    def _fire(self, event: str, octets: int = 0):
        rule = self.table.lookup(self.tcb.state, event, self.tcb.passive)
        if rule is None:
            return None, ()
        actions = actions_for(octets) if octets else ACTIONS
        self.tcb, sent = fire(D, actions, rule, self.tcb, None, self.params)
        return rule, tuple(sent)

    def _script(self, seg: Segment) -> str:
        """``seg`` in script numbers, as a ``>`` line writes it."""
        seq, ack = self.numbers.to_script(seg)
        flags = {n for n in ("SYN", "ACK", "FIN", "RST") if getattr(seg, n)}
        return script_text(flags, seq, seg.len, ack)

    def _show(self, seg: Segment) -> str:
        return f"{self._script(seg)} {describe_segment(seg)}"

    def _where(self, rule_id) -> str:
        r = self.table.rules[rule_id]
        return Said(N_("{where} ({rule})", "packetdrill"), where=r.where, rule=RuleText(r))

    # --- the lines
    def _skip(self, line: Line, reason: str | None = None):
        self.skipped.append((line.number, line.text, reason or line.reason))
        self.steps.append(Step(line, "skip", (), self._state(), note=reason or line.reason))

    def _in(self, line: Line):
        p = line.packet
        syn = "SYN" in p.flags
        if syn and self.numbers.remote_isn is None:
            self.numbers.remote_isn = p.seq
        seg = p.segment(p.seq + self.numbers.remote(syn), (p.ack or 0) + self.numbers.local(syn))
        if syn and p.options is not None:
            self.wscale[1] = _wscale(p.options)
            mss = re.search(r"\bmss\s+(\d+)", p.options)
            if mss and int(mss.group(1)):
                self.mss = (int(mss.group(1)), line.number)
        before, passive = self.tcb.state, self.tcb.passive
        rules, sent = [], []
        # a segment with data and a FIN is processed as its text, then its FIN (as follow.py does),
        # where there is a text stage: in a synchronized state
        for part in parts(seg) if self.tcb.state in SYNCHRONIZED else (seg,):
            r = process(self.table, ACTIONS, self.tcb, part, self._wnd(part), self.params)
            self.tcb = r.tcb
            rules += r.rules
            for out, rid in zip(r.sent, r.senders):
                self.queue.append((out, line.number, rid))
                sent.append(out)
        if self.tcb.state == "CLOSED" and before != "CLOSED" and (seg.RST or any(x.RST for x in sent)):
            error = _reset_error(before, passive)
            self.error = (error, line.number, before) if error else None
        self.steps.append(Step(line, "arrival", tuple(rules), self._state(), tuple(sent),
                               shown=tuple(self._script(x) for x in sent)))

    def _out(self, line: Line):
        p = line.packet
        self.checked += 1
        expected = p.text()
        syn = "SYN" in p.flags
        for i, (seg, origin, rid) in enumerate(self.queue):
            if self._matches(seg, p):
                covered = self.queue[:i]
                self.queue = self.queue[i + 1:]
                note = ""
                if covered:
                    note = Said(N_("the model's ACK of line(s) {lines} delayed and covered by this segment "
                                   "(RFC 9293 3.8.6.3)", "packetdrill"), lines=", ".join(str(o) for _, o, _ in covered))
                self._sent(line, seg, syn)
                self.steps.append(Step(line, "sent", (rid,), self._state(), (seg,), note))
                return None
            if not (self._pure_ack(seg) and p.ack is not None and "ACK" in p.flags
                    and self._covers(p, seg)):
                break
        if self.queue:
            seg, origin, rid = self.queue[0]
            return Failure(line, f"> {expected}", Said(N_("{answer} (in reply to line {line}, by {rule})", "packetdrill"),
                                                       answer=Said(_SENDS, segment=self._show(seg)), line=origin,
                                                       rule=self._where(rid)), self._state(), (rid,))
        timed = self._retransmission(p)
        if timed is not None:
            rule, seg = timed
            self._sent(line, seg, syn)
            self.steps.append(Step(line, "timeout", (rule.id,), self._state(), (seg,),
                                   Said(N_("retransmission timeout inferred (the timer is not modelled)",
                                           "packetdrill"))))
            return None
        return Failure(line, f"> {expected}", Said(N_("sends nothing here (in {state})", "packetdrill"),
                                                   state=self._state()), self._state(), ())

    def _pure_ack(self, seg: Segment) -> bool:
        return seg.ACK and not (seg.SYN or seg.FIN or seg.RST or seg.len)

    def _covers(self, p: Packet, seg: Segment) -> bool:
        """Whether the expected segment acknowledges at least what the model's pure ACK ``seg`` does."""
        ack = (p.ack + self.numbers.remote("SYN" in p.flags)) & MASK
        return ((ack - seg.ack) & MASK) < HALF

    def _matches(self, seg: Segment, p: Packet) -> bool:
        f = p.flags
        if (seg.SYN, seg.ACK, seg.FIN, seg.RST) != ("SYN" in f, "ACK" in f, "FIN" in f, "RST" in f):
            return False
        if seg.len != p.len:
            return False
        n = self.numbers
        if seg.SYN and n.local_live is None:
            seq_ok = True  # the first SYN the endpoint sends fixes the local ISN (as packetdrill learns it)
        else:
            seq_ok = p.seq is None or n.to_script(seg)[0] == p.seq
        if not seq_ok:
            return False
        return not seg.ACK or (seg.ack - n.remote(seg.SYN)) & MASK == p.ack

    def _sent(self, line: Line, seg: Segment, syn: bool):
        """A ``>`` line matched: learn the local ISN and the window it advertises."""
        p = line.packet
        n = self.numbers
        if seg.SYN and n.local_live is None:
            n.local_script, n.local_live = (p.seq if p.seq is not None else 0), seg.seq
            if p.options is not None:
                self.wscale[0] = _wscale(p.options)
        if p.win is not None and seg.ACK and not seg.RST:
            scale = 0 if seg.SYN or None in self.wscale else min(self.wscale[0], 14)
            self.edge = (seg.ack + (p.win << scale)) & MASK

    def _retransmission(self, p: Packet):
        """The retransmission timeout's row, when the segment it resends is the one expected."""
        rule = self.table.lookup(self.tcb.state, "retransmission timeout", self.tcb.passive)
        if rule is None or self.tcb.state == "CLOSED":
            return None
        syn = "SYN" in p.flags
        seq = self.tcb.snd_una if p.seq is None else (p.seq + self.numbers.local(syn)) & MASK
        want = p.segment(seq, (p.ack or 0) + self.numbers.remote(syn))
        if not retransmits(self.tcb, want):
            return None
        after, sent = fire(D, ACTIONS, rule, self.tcb, None, self.params)
        if len(sent) != 1 or not (sent[0].SYN or sent[0].FIN or sent[0].len):
            return None
        self.tcb = after._replace(budget=self.tcb.budget)
        return rule, want

    def _state_check(self, line: Line):
        self.checked += 1
        now = self._state()
        ok = (now == line.state) != line.negate
        self.steps.append(Step(line, "state", (), now))
        if ok:
            return None
        expected = Said(N_("state not {state}", "packetdrill") if line.negate else N_("state {state}", "packetdrill"),
                        state=line.state)
        last = next((s for s in reversed(self.steps) if s.rules), None)
        answer = Said(N_("is in {state}", "packetdrill"), state=now)
        if last:
            answer = Said(N_("{answer} (after line {line}, by {rule})", "packetdrill"), answer=answer,
                          line=last.line.number, rule=self._where(last.rules[-1]))
        return Failure(line, expected, answer, now, last.rules[-1:] if last else ())

    def _error_check(self, line: Line):
        """``getsockopt(SO_ERROR)``: the error the model's endpoint signalled (RFC 9293's "connection
        reset", "connection refused", "connection aborted due to user timeout"), or 0; reading it
        clears it, as SO_ERROR does."""
        self.checked += 1
        now = self._state()
        error, self.error = self.error, None
        got = error[0] if error else "0"
        self.steps.append(Step(line, "error", (), now, note=got))
        if got == line.state:
            return None
        if error:
            answer = Said(N_("reports {error}: the event of line {line} in {state} deleted its TCB, and RFC 9293 "
                             "signals \"{signal}\" there", "packetdrill"),
                          error=got, line=error[1], state=error[2], signal=SO_ERRORS[got])
        else:
            answer = Said(N_("reports 0: no event signalled an error (in {state})", "packetdrill"), state=now)
        return Failure(line, Said(N_("SO_ERROR {error}", "packetdrill"), error=line.state), answer, now, ())

    # --- timeouts and the clock
    def _clock(self, line: Line) -> None:
        if line.at is not None:
            relative, t = line.at
            self.now = round(self.now + t if relative else t, 6)  # microseconds, as packetdrill counts

    def _timeouts(self, line: Line) -> None:
        """Infer the 2MSL and user timeouts that have expired by ``line``'s time, each only where
        the table has a row for it in the endpoint's state."""
        t = self.tcb
        if t.state == "TIME_WAIT" and self.time_wait and round(self.now - self.time_wait[0], 6) >= 2 * MSL:
            rule = self.table.lookup(t.state, "timeout 2MSL", t.passive)
            if rule is not None:
                since, origin = self.time_wait
                self.tcb, sent = fire(D, ACTIONS, rule, t, None, self.params)
                self.time_wait = None
                self.steps.append(Step(line, "timeout", (rule.id,), self._state(), tuple(sent), Said(
                    N_("2MSL timeout inferred: TIME_WAIT since line {line}, {seconds:g} s before this line "
                       "(2MSL = {limit:g} s, RFC 9293 3.10.8)", "packetdrill"),
                    line=origin, seconds=round(self.now - since, 6), limit=2 * MSL)))
                return
        limit = USER_TIMEOUT if self.user_timeout is None else self.user_timeout
        if self.unacked and round(self.now - self.unacked[0], 6) >= limit:
            rule = self.table.lookup(t.state, "user timeout", t.passive)
            if rule is not None:
                before = t.state
                self.tcb, sent = fire(D, ACTIONS, rule, t, None, self.params)
                if self.tcb.state == "CLOSED":  # "connection aborted due to user timeout" (RFC 9293 3.10.8)
                    self.queue = []  # the retransmission queue is flushed with the TCB
                    self.error = ("ETIMEDOUT", line.number, before)
                why = N_("the default (RFC 9293 3.9.1)", "packetdrill") if self.user_timeout is None else \
                    N_("set by TCP_USER_TIMEOUT", "packetdrill")
                self.steps.append(Step(line, "timeout", (rule.id,), self._state(), tuple(sent), Said(
                    N_("user timeout inferred: sequence space unacknowledged for {seconds:g} s (the user timeout, "
                       "{limit:g} s: {why}; RFC 9293 3.10.8)", "packetdrill"),
                    seconds=round(self.now - self.unacked[0], 6), limit=limit, why=Said(why))))
                self.unacked = None

    def _after(self, line: Line, first: int) -> None:
        """Start or restart the timers the steps from ``first`` on leave running."""
        t = self.tcb
        if t.state != "TIME_WAIT":
            self.time_wait = None
        elif self.time_wait is None or any(self.table.rules[i].event == "rcv retransmitted FIN"
                                           for s in self.steps[first:] for i in s.rules):
            self.time_wait = (self.now, line.number)
        if t.state == "CLOSED" or t.snd_una == t.snd_nxt:
            self.unacked = None
        elif self.unacked is None or self.unacked[1] != t.snd_una:
            self.unacked = (self.now, t.snd_una)

    def _call(self, line: Line):
        name, args = line.call, line.args
        fd = int(args[0], 0)
        if name == "setsockopt" and args[2] == "TCP_USER_TIMEOUT":
            ms = int(args[3].strip("[] "), 0)
            self.user_timeout = ms / 1000 if ms else None  # 0: the system's default again
            self.steps.append(Step(line, "call", (), self._state(), note=Said(
                N_("TCP_USER_TIMEOUT: the user timeout is {seconds:g} s (RFC 9293 3.9.1, OPEN's timeout)",
                   "packetdrill"), seconds=USER_TIMEOUT if self.user_timeout is None else self.user_timeout)))
            return None
        if name == "setsockopt":
            onoff, linger = re.findall(r"=\s*(\d+)", args[3])
            (self.linger0.add if int(onoff) and not int(linger) else self.linger0.discard)(fd)
            self.steps.append(Step(line, "call", (), self._state(), note=Said(N_("SO_LINGER 0: close will ABORT",
                                                                                "packetdrill"))))
            return None
        if name in ("listen", "connect"):
            if self.conn_fd is not None or self.listener_fd is not None:
                return self._skip(line, Said(N_("{call}(): a second connection (the model follows the script's first)",
                                                "packetdrill"), call=name))
            if name == "listen":
                self.listener_fd = fd
            self.conn_fd = fd
            event = "passive OPEN" if name == "listen" else "active OPEN"
        elif name == "accept":
            ret = line.ret.split()[0]
            if fd != self.listener_fd or not ret.isdigit():
                return self._skip(line, Said(N_("accept(): not on the listener, or no connection returned",
                                                "packetdrill")))
            self.conn_fd = int(ret)
            self.steps.append(Step(line, "call", (), self._state(), note=Said(
                N_("accept(): socket {socket} is the connection (the listener's TCB in the model; no RFC 9293 call)",
                   "packetdrill"), socket=ret)))
            return None
        elif fd != self.conn_fd and fd != self.listener_fd:
            return self._skip(line, Said(N_("{call}(): socket {socket} is not the connection's", "packetdrill"),
                                         call=name, socket=fd))
        elif name == "close" and fd == self.listener_fd and self.conn_fd != fd:
            return self._skip(line, Said(N_("close(): closes the listener; the accepted connection (socket {socket}) "
                                            "goes on", "packetdrill"), socket=self.conn_fd))
        elif name in _SEND_CALLS:
            event = "SEND"
        elif name == "shutdown":
            event = "CLOSE"
        else:
            event = "ABORT" if fd in self.linger0 else "CLOSE"
        octets = 0
        if event == "SEND":
            ret = line.ret.split()[0]
            octets = int(ret) if ret.isdigit() else (int(args[2]) if len(args) > 2 and args[2].isdigit() else 0)
            if not octets:
                return self._skip(line, Said(N_("{call}(): no octets sent", "packetdrill"), call=name))
        before = self._state()
        rule, sent = self._fire(event, octets)
        if rule is None:
            self.steps.append(Step(line, "call", (), before, note=Said(
                N_("{event}: no row in {state}, nothing happens (an error to the application, RFC 9293 3.10)",
                   "packetdrill"), event=_Event(event), state=before)))
            return None
        note = event
        if any(seg.len > self._mss()[0] for seg in sent):
            mss, origin = self._mss()
            sent = tuple(piece for seg in sent for piece in _segments(seg, mss))
            note = Said(N_("{event}: {octets} octets sent as {count} segments of at most {mss} (the MSS {origin}, "
                           "RFC 9293 3.7.1)", "packetdrill"), event=_Event(event), octets=octets, count=len(sent),
                        mss=mss, origin=origin)
        for seg in sent:
            self.queue.append((seg, line.number, rule.id))
        self.steps.append(Step(line, "call", (rule.id,), self._state(), sent, note,
                               tuple(self._script(x) for x in sent)))
        return None

    def _mss(self):
        """The MSS a write is cut to, and where it comes from."""
        if self.mss is not None:
            return self.mss[0], Said(N_("of the peer's SYN, line {line}", "packetdrill"), line=self.mss[1])
        return self.default_mss, Said(N_("by default: the peer's SYN has no MSS option", "packetdrill"))


class _Event(str):
    """An event's name, said through the catalogue's ``event`` context."""


def _segments(seg: Segment, mss: int) -> tuple:
    """``seg`` as a stack sends it: its octets in segments of at most ``mss``, a FIN on the last."""
    if seg.len <= mss or seg.SYN or seg.RST:
        return (seg,)
    out, n = [], 0
    while n < seg.len:
        k = min(mss, seg.len - n)
        last = n + k == seg.len
        out.append(seg._replace(seq=(seg.seq + n) & MASK, len=k, FIN=seg.FIN and last))
        n += k
    return tuple(out)


def _reset_error(state: str, passive: bool) -> str | None:
    """The error an arrival that deleted the TCB in ``state`` signals to the user, as SO_ERROR
    names it (RFC 9293 3.10.7.3, 3.10.7.4: "connection reset" in SYN-SENT, ESTABLISHED,
    FIN-WAIT-1, FIN-WAIT-2 and CLOSE-WAIT, "connection refused" in SYN-RECEIVED from an active
    OPEN; nothing in CLOSING, LAST-ACK and TIME-WAIT, where the application has closed)."""
    if state == "SYN_RCVD":
        return None if passive else "ECONNREFUSED"
    if state in ("SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT"):
        return "ECONNRESET"
    return None


def _wscale(options: str):
    m = re.search(r"wscale\s+(\d+)", options)
    return int(m.group(1)) if m else None


def run_script(script: Script, table: RuleTable) -> Outcome:
    """Run ``script`` against ``table``: its verdict, the first line where the model differs,
    what was skipped and what was not checked."""
    r = _Runner(script, table)
    failure = None
    for line in script.lines:
        if line.kind != "skip":
            for f in line.unchecked:
                r.not_checked.setdefault(f, []).append(line.number)
        handler = {"in": r._in, "out": r._out, "call": r._call, "state": r._state_check, "error": r._error_check,
                   "skip": r._skip}[line.kind]
        r._clock(line)
        first = len(r.steps)
        if line.kind != "skip":
            r._timeouts(line)
        failure = handler(line)
        if failure is not None:
            break
        r._after(line, first)
    # the skipped lines after a failure are listed too: they are the script's, whether run or not
    later = {n for n, _, _ in r.skipped}
    if failure is not None:
        for line in script.lines:
            if line.kind == "skip" and line.number > failure.line.number and line.number not in later:
                r.skipped.append((line.number, line.text, line.reason))
    verdict = "fails" if failure else "passes" if r.checked else "nothing checked"
    unchecked = tuple((r._script(seg), describe_segment(seg), origin, rid)
                      for seg, origin, rid in r.queue) if failure is None else ()
    if any(line.kind == "call" or line.kind != "skip" for line in script.lines):
        r.not_checked.setdefault("return values", [])
        r.not_checked["return values"] = [line.number for line in script.lines[:len(r.steps)]
                                          if line.kind == "call"]
        if not r.not_checked["return values"]:
            del r.not_checked["return values"]
    return Outcome(script.path, table.name, verdict, failure, tuple(r.steps), tuple(sorted(r.skipped)),
                   unchecked, {k: sorted(set(v)) for k, v in r.not_checked.items()}, r.checked, script.defines)


def scripts_in(path: str | Path) -> list[Path]:
    """``path`` itself, or every ``.pkt`` file under the directory ``path`` (sorted)."""
    p = Path(path)
    if p.is_dir():
        found = sorted(q for q in p.rglob("*.pkt") if q.is_file())
        if not found:
            raise ScriptError(f"{p}: the directory holds no packetdrill script (*.pkt)")
        return found
    return [p]


def run_path(path: str | Path, table: RuleTable, defines=()) -> list:
    """Each script at ``path`` (a file, or a directory's ``.pkt`` files) run against ``table``:
    an :class:`Outcome`, or the :class:`ScriptError` of a script that cannot be read."""
    out = []
    for p in scripts_in(path):
        try:
            out.append(run_script(read_script(p, defines), table))
        except ScriptError as exc:
            if not Path(path).is_dir():
                raise
            out.append(exc)
    return out


def exit_code(outcomes) -> int:
    """0 every script passes; 1 one fails; 2 one cannot be read; 4 none fails but one checks nothing."""
    if any(isinstance(o, ScriptError) for o in outcomes):
        return 2
    verdicts = {o.verdict for o in outcomes}
    return 1 if "fails" in verdicts else 4 if "nothing checked" in verdicts else 0


# --- reports --------------------------------------------------------------------------------

def _ranges(numbers, sep: str = ", ") -> str:
    """1, 2, 3, 5 -> '1-3, 5'."""
    out, run = [], []
    for n in sorted(numbers):
        if run and n == run[-1] + 1:
            run.append(n)
            continue
        if run:
            out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
        run = [n]
    if run:
        out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
    return sep.join(out)


def summary(o: Outcome, name: str | None = None, lang: str = "en") -> str:
    """One line: the script and its verdict."""
    _ = translator(lang)
    name = name or o.path
    counts = _("{checked} checked, {skipped} skipped", context="packetdrill").format(
        checked=o.checked, skipped=len(o.skipped))
    if o.failure is None:
        return _("{name}: {verdict} ({counts})", context="packetdrill").format(
            name=name, verdict=_(o.verdict, context="packetdrill"), counts=counts)
    f = o.failure
    return _("{name}: fails at line {line}: expected {expected}; the model {model} ({counts})",
             context="packetdrill").format(name=name, line=f.line.number, expected=say(f.expected, _),
                                           model=say(f.model, _), counts=counts)


#: The verdicts, as the report says them (context ``packetdrill``).
VERDICTS = (N_("passes", "packetdrill"), N_("fails", "packetdrill"), N_("nothing checked", "packetdrill"))

#: The features of a line that are not checked, as the report names them.
FEATURES = {"time": N_("time", "packetdrill"), "timing range": N_("timing range", "packetdrill"),
            "win": N_("win", "packetdrill"), "options": N_("options", "packetdrill"),
            "urgent data": N_("urgent data", "packetdrill"), "return values": N_("return values", "packetdrill")}


def text_report(outcomes, table: RuleTable, root: str | None = None, lang: str = "en") -> list[str]:
    """The text of a run: a script in full, or a directory one line a script and a total."""
    _ = translator(lang)
    if len(outcomes) == 1 and root is None:
        return _full(outcomes[0], table, _)
    out = []
    for o in outcomes:
        if isinstance(o, ScriptError):
            out.append(_("error: {message}", context="packetdrill").format(message=o))
            continue
        out.append(summary(o, _relative(o.path, root), lang))
    out.append(_total(outcomes, _))
    return out


def _body(text: str) -> str:
    """A line without its time."""
    m = _TIME.match(text)
    return text[m.end():].strip() if m and not text.startswith(("--", "#")) else text


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


def _relative(path: str, root: str | None) -> str:
    if root is None:
        return path
    try:
        return str(Path(path).relative_to(root))
    except ValueError:
        return path


def _total(outcomes, _) -> str:
    ok = [o for o in outcomes if not isinstance(o, ScriptError)]
    n = {v: sum(o.verdict == v for o in ok) for v in ("passes", "fails", "nothing checked")}
    bad = len(outcomes) - len(ok)
    text = _("total: {n} script(s): {passes} pass, {fails} fail, {nothing} check nothing", context="packetdrill").format(
        n=len(outcomes), passes=n["passes"], fails=n["fails"], nothing=n["nothing checked"])
    if bad:
        text += _(", {n} cannot be read", context="packetdrill").format(n=bad)
    return text


#: What each kind of step is called in the text (context ``packetdrill``).
_WHAT = {"arrival": N_("arrives", "packetdrill"), "sent": N_("sent", "packetdrill"),
         "call": N_("call", "packetdrill"), "state": N_("state", "packetdrill"),
         "error": N_("error", "packetdrill"), "timeout": N_("timeout", "packetdrill")}


def _full(o: Outcome, table: RuleTable, _) -> list[str]:
    head = _("{file}: {verdict}, against {rules}", context="packetdrill").format(
        file=o.path, verdict=_(o.verdict, context="packetdrill"), rules=o.table)
    if o.defines:
        head += _(" (defined: {names})", context="packetdrill").format(names=", ".join(o.defines))
    out = [head, "  " + _("the model's endpoint is the script's local one; its ISS is {iss} (script numbers as "
                          "packetdrill writes them, then RFC 9293 notation)", context="packetdrill").format(iss=LOCAL_ISS)]
    rows = []
    for s in o.steps:
        if s.what == "skip":
            continue
        what = "sent" if s.what == "timeout" and s.sent else s.what
        rules = "; ".join(table.rules[i].where for i in s.rules)
        sent = _(", ", context="phrase").join(f"{t} {describe_segment(x)}" for t, x in zip(s.shown, s.sent))
        body = "" if s.what == "timeout" and not s.sent else _body(s.line.text)
        tail = f"-> {s.state}"
        if rules:
            tail += f"  [{rules}]"
        if sent:
            tail += "  " + _("sends {segments}", context="packetdrill").format(segments=sent)
        if s.note and (isinstance(s.note, Said) or not s.rules and s.what not in ("call", "error")):
            tail += "  " + _("({note})", context="packetdrill").format(note=say(s.note, _))
        elif s.what == "error":
            tail += "  " + _("({note})", context="packetdrill").format(
                note=_("reports {error}", context="packetdrill").format(error=s.note))
        rows.append((_("line {n}", context="packetdrill").format(n=s.line.number), _(_WHAT[what], context="packetdrill"),
                     body, tail))
    # columns by display width (a CJK character takes two), as the capture report pads them
    w = [max([wcwidth.width(r[i]) for r in rows] + [0]) for i in range(3)]
    for r in rows:
        out.append("  " + "  ".join([pad(r[0], w[0]), pad(r[1], w[1])] + [x for x in r[2:] if x]))
    if o.failure is not None:
        f = o.failure
        out.append("  " + _("fails at line {line}: {text}", context="packetdrill").format(
            line=f.line.number, text=_body(f.line.text)))
        out.append("    " + _("the script expects {expected}; the model {model}", context="packetdrill").format(
            expected=say(f.expected, _), model=say(f.model, _)))
    if o.unchecked:
        out.append("  " + _("unchecked (sent after the script's last expectation, as packetdrill leaves them):",
                            context="packetdrill"))
        out += ["    " + _("{segment} {rfc} (in reply to line {line})", context="packetdrill").format(
            segment=s, rfc=rfc, line=line) for s, rfc, line, _r in o.unchecked]
    if o.skipped:
        out.append("  " + _("skipped ({n} line(s), outside the model; never counted as passes):",
                            context="packetdrill").format(n=len(o.skipped)))
        out += [f"    " + _("line {n}: {text}: {reason}", context="packetdrill").format(
            n=n, text=_clip(_body(text)), reason=say(reason, _)) for n, text, reason in o.skipped]
    if o.not_checked:
        parts = [_("{feature} (lines {lines})", context="packetdrill").format(
            feature=_(FEATURES[k], context="packetdrill") if k in FEATURES else k,
            lines=_ranges(v, _(", ", context="phrase")))
            for k, v in o.not_checked.items()]
        out.append("  " + _("not checked on the lines run: {features}", context="packetdrill").format(
            features=_("; ", context="phrase").join(parts)))
    return out


def json_report(outcomes, table: RuleTable, root: str | None = None, matrix_doc: dict | None = None) -> dict:
    """The ``--json`` object (kind ``packetdrill``)."""
    scripts = []
    for o in outcomes:
        if isinstance(o, ScriptError):
            continue
        f = o.failure
        scripts.append({
            "file": _relative(o.path, root), "verdict": o.verdict, "checked": o.checked, "defines": list(o.defines),
            "failure": None if f is None else {
                "line": f.line.number, "text": f.line.text, "expected": f.expected, "model": f.model,
                "state": f.state, "rules": [_rule(table, i) for i in f.rules]},
            "steps": [{"line": s.line.number, "what": s.what, "state": s.state,
                       "rules": [_rule(table, i) for i in s.rules], "sent": [segment_json(x) for x in s.sent],
                       "note": s.note} for s in o.steps if s.what != "skip"],
            "skipped": [{"line": n, "text": t, "reason": why} for n, t, why in o.skipped],
            "unchecked": [{"segment": s, "text": rfc, "after_line": line} for s, rfc, line, _ in o.unchecked],
            "not_checked": {k: v for k, v in o.not_checked.items()},
        })
    ok = [o for o in outcomes if not isinstance(o, ScriptError)]
    total = {"scripts": len(outcomes), **{v.replace(" ", "_"): sum(o.verdict == v for o in ok)
                                          for v in ("passes", "fails", "nothing checked")},
             "unreadable": len(outcomes) - len(ok)}
    return stamp("packetdrill", {"rules": table.name, "local_iss": LOCAL_ISS, "scripts": scripts,
                                 "unreadable": [str(o) for o in outcomes if isinstance(o, ScriptError)],
                                 "total": total, "matrix": matrix_doc})


def _rule(table: RuleTable, i: int) -> dict:
    r = table.rules[i]
    return {"rule": r.describe(), "where": r.where, "source": r.source}


# --- FreeBSD's state-event-engine matrix ----------------------------------------------------

#: The rows of the matrix: the 11 states, as tcp-testsuite's state-event-engine README orders them.
MATRIX_STATES = ("CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT", "FIN_WAIT_1",
                 "CLOSING", "LAST_ACK", "FIN_WAIT_2", "TIME_WAIT")
#: The columns: the kinds of arriving segment.
KINDS = ("syn", "syn-ack", "syn-fin", "ack", "fin", "fin-ack", "rst", "rst-ack")
_KIND_TITLES = {"syn": "SYN", "syn-ack": "SYN-ACK", "syn-fin": "SYN-FIN", "ack": "ACK", "fin": "FIN",
                "fin-ack": "FIN-ACK", "rst": "RST", "rst-ack": "RST-ACK"}


def _cell(directory: str):
    """(state, kind) of a directory named rcv-KIND-STATE, or None."""
    if not directory.startswith("rcv-"):
        return None
    rest = directory[4:]
    for state in sorted(MATRIX_STATES, key=len, reverse=True):
        suffix = "-" + state.lower().replace("_", "-").replace("syn-rcvd", "syn-rcvd")
        if rest.endswith(suffix) and rest[:-len(suffix)] in KINDS:
            return state, rest[:-len(suffix)]
    return None


def matrix(outcomes, root: str | Path) -> dict:
    """The agreement matrix of a state-event-engine run: per (state, kind), how many scripts
    pass of how many, and each script that does not, with its line and the model's answer."""
    cells = {s: {k: [0, 0] for k in KINDS} for s in MATRIX_STATES}
    disagree = []
    for o in outcomes:
        if isinstance(o, ScriptError):
            raise o
        rel = Path(o.path).relative_to(root)
        cell = _cell(rel.parent.name)
        if cell is None:
            continue
        state, kind = cell
        cells[state][kind][1] += 1
        if o.verdict == "passes":
            cells[state][kind][0] += 1
        else:
            f = o.failure
            disagree.append({"script": str(rel), "state": state, "kind": kind, "verdict": o.verdict,
                             "line": f.line.number if f else None, "expected": f.expected if f else None,
                             "model": _answer(f.model) if f else None})
    return {"rules": outcomes[0].table if outcomes else "", "defines": list(outcomes[0].defines) if outcomes else [],
            "states": list(MATRIX_STATES), "kinds": list(KINDS),
            "cells": {s: {k: {"agree": a, "scripts": n} for k, (a, n) in row.items()} for s, row in cells.items()},
            "disagreements": disagree}


def _answer(model):
    """The model's answer without the line and row behind it (as the matrix lists it)."""
    return model.values["answer"] if isinstance(model, Said) and "answer" in model.values else model


def matrix_markdown(doc: dict, lang: str = "en") -> list[str]:
    """The matrix as a Markdown table: ``agree/scripts`` per cell, ``-`` where the suite has none."""
    head = "| " + translator(lang)("state", context="packetdrill") + " | " + \
        " | ".join(_KIND_TITLES[k] for k in doc["kinds"]) + " |"
    out = [head, "|:--|" + ":-:|" * len(doc["kinds"])]
    for s in doc["states"]:
        row = []
        for k in doc["kinds"]:
            c = doc["cells"][s][k]
            row.append("-" if not c["scripts"] else f"{c['agree']}/{c['scripts']}")
        out.append(f"| {s} | " + " | ".join(row) + " |")
    return out


# --- the command line (tcpcheck conform FILE.pkt | DIR | --matrix DIR) ------------------------

def is_packetdrill(path: str) -> bool:
    """Whether ``tcpcheck conform`` reads ``path`` as packetdrill: a ``.pkt`` file or a directory."""
    return Path(path).is_dir() or str(path).endswith(".pkt")


def cmd_packetdrill(args) -> int:
    """``tcpcheck conform FILE.pkt | DIR [--matrix] [--define NAME]... [--rules FILE | --profile NAME] [--json]``."""
    import json
    import sys

    from ..profiles import chosen_rules
    from ..table import REFERENCE, load_table

    rules = chosen_rules(args)
    table = load_table(rules) if rules else load_table(REFERENCE)
    defines = tuple(args.define or ())
    if args.matrix:
        if not Path(args.file).is_dir():
            raise ScriptError(f"{args.file}: --matrix expects a directory of state-event-engine scripts "
                              f"(rcv-KIND-STATE/*.pkt)")
        defines = defines or ("FreeBSD",)
    root = args.file if Path(args.file).is_dir() else None
    outcomes = run_path(args.file, table, defines)
    doc = matrix(outcomes, args.file) if args.matrix else None
    if args.json:
        json.dump(json_report(outcomes, table, root, doc), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        from ..i18n import language

        lang = language(args.lang)
        lines = text_report(outcomes, table, root, lang)
        if doc is not None:
            lines = matrix_text(doc, lang) + [""] + lines
        print("\n".join(lines))
    return exit_code(outcomes)


def matrix_text(doc: dict, lang: str = "en") -> list[str]:
    """The matrix and its disagreements, as text (Markdown)."""
    _ = translator(lang)
    out = [_("FreeBSD tcp-testsuite state-event-engine against {rules} (defined: {names}): scripts the model "
             "passes / scripts", context="packetdrill").format(
        rules=doc["rules"], names=", ".join(doc["defines"]) or _("nothing", context="packetdrill")), ""]
    out += matrix_markdown(doc, lang)
    if doc["disagreements"]:
        out += ["", _("disagreements (the first line where the model differs):", context="packetdrill")]
        for d in doc["disagreements"]:
            where = _("line {line}: expected {expected}; the model {model}", context="packetdrill").format(
                line=d["line"], expected=say(d["expected"], _), model=say(d["model"], _)) if d["line"] \
                else _(d["verdict"], context="packetdrill")
            out.append("  " + _("{script}: {where}", context="packetdrill").format(script=d["script"], where=where))
    return out
