"""Configurations: the bounds and switches of one model-checking run.

Like TLA+'s MC*.cfg, the bounds live here, apart from the model, each with a
one-line reason: channel capacity, retransmissions, data segments,
incarnations (``opens``), the number of losses, and the switches that order
TIME-WAIT's 2MSL against the network and the peer's retransmissions.  A
configuration is built from a named preset and, when a file (or a mutant's
TOML text) is given, TOML overrides of it.  Errors in a file name the file,
the line and what was expected.  At their defaults, the options for
incarnations, losses and timers are the model without them (one OPEN, any
number of losses, 2MSL that waits only for the network).

It must not run anything.
"""

from __future__ import annotations

import dataclasses
import errno
import functools
import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import InputError, closest, read_input
from .tcb import MOD, STATES
from .tomllines import TomlLines, error_line

__all__ = ["EndpointConfig", "Config", "PRESETS", "ConfigError", "ISS_STEP", "load_config", "parse_config", "preset"]

OPEN_MODES = ("active", "passive", "none")

#: The default distance between the ISSs of two incarnations.  RFC 9293 3.4.1
#: binds the ISN generator to a clock whose low-order bit ticks about every
#: 4 microseconds; a connection is opened again no sooner than 2MSL after its
#: active closer saw it close (MSL = 2 minutes, 3.4.2), and 240 s / 4 us is
#: 60,000,000.  So far apart, an old segment never falls into the new window.
ISS_STEP = 60_000_000


class ConfigError(InputError):
    """A configuration that cannot be used; the message says where and why."""


def _why(text: str, default):
    return field(default=default, metadata={"why": text})


@dataclass(frozen=True)
class EndpointConfig:
    """One endpoint and what its application means to do."""

    open: str = _why("how the application opens: active (connect), passive (listen) or none", "active")
    opened: bool = _why(
        "whether its OPEN was made before the run starts (a server already listening)", False)
    iss: int = _why("initial send sequence number, 0 <= ISS < 2**32", 0)
    data: int = _why("data segments the application may SEND before it closes", 1)
    retransmissions: int = _why("retransmissions the endpoint may make before its user timeout", 1)
    close_in: tuple[str, ...] | None = _why(
        "states in which the application may CLOSE; empty means wherever the RFC allows", None)
    abort: bool = _why("whether the application may ABORT instead of closing", False)
    foreign_socket: bool = _why(
        "whether a passive OPEN names the remote socket, which lets SEND turn LISTEN into "
        "SYN_SENT (RFC 9293 3.10.2)", False)
    opens: int = _why(
        "how many times the application OPENs: each OPEN after the first is made once its "
        "connection is CLOSED again, a new incarnation of the same connection", 1)
    iss_step: int = _why(
        "how far the ISS moves from one OPEN to the next: the k-th OPEN (k = 0, 1, ...) uses "
        "ISS = iss + k * iss_step mod 2**32", ISS_STEP)
    reaches: tuple[str, ...] | None = _why(
        "the states this endpoint is meant to reach (empty: all eleven); a state that neither "
        "endpoint is meant to reach and none does is reported as information, not as a "
        "violation. It changes nothing in the model", None)


@dataclass(frozen=True)
class Config:
    """A complete configuration: two endpoints, the network, the receive window."""

    name: str
    A: EndpointConfig
    B: EndpointConfig
    capacity: int = _why("segments one direction of the network holds; more are dropped", 2)
    loss: bool = _why("the network may lose any segment in flight", True)
    duplication: bool = _why("the network may duplicate a segment in flight", False)
    reordering: bool = _why("the network may deliver segments out of order", True)
    rcv_wnd: int = _why("RCV.WND, the receive window used by the acceptability test", 4)
    rules: str | None = _why("path of the rule table; empty means the reference RFC 9293 table (a "
                             "file's profile = \"linux\" sets it to a shipped table, model/profiles.py)", None)
    loss_budget: int | None = _why(
        "at most this many segments lost by the network in a run (empty: any number); a "
        "segment dropped at a full channel is not a loss", None)
    time_wait_outlasts_rto: bool = _why(
        "2MSL expires only once the peer has nothing left it may retransmit: TIME_WAIT "
        "outlasts the peer's retransmission timeouts", False)
    time_wait_waits_for_network: bool = _why(
        "2MSL expires only when no segment of the connection is in flight (false: it may "
        "expire while old segments are still in the network)", True)

    def describe(self) -> list[str]:
        """One line per setting, for the human summary (in English:
        :func:`~tcpcheck.model.report.describe_config` says it in a language)."""
        from .report import describe_config  # report imports this module

        return describe_config(self)


def _all_but(*states: str) -> tuple[str, ...]:
    return tuple(st for st in STATES if st not in states)


#: What each kind of endpoint is meant to reach.  An active opener reaches
#: SYN_RCVD only by a simultaneous open (RFC 9293 Figure 7), which needs an
#: active peer; a passive opener reaches SYN_SENT only by a SEND from LISTEN
#: (3.10.2), which needs a foreign socket; neither reaches LISTEN nor
#: SYN_SENT without opening that way.
_ACTIVE_REACHES = _all_but("LISTEN", "SYN_RCVD")
_PASSIVE_REACHES = _all_but("SYN_SENT")

_CLIENT = EndpointConfig(open="active", iss=MOD - 2, reaches=_ACTIVE_REACHES)
_SERVER = EndpointConfig(open="passive", iss=300, reaches=_PASSIVE_REACHES)

#: Named configurations.  ``default`` is what ``tcpcheck check`` runs.  The
#: presets without loss have a capacity at which no channel ever fills up, so
#: that nothing is dropped either (the tests check this).  Each endpoint says
#: which states it is meant to reach (``reaches``; the tests check that it
#: reaches exactly those on the reference table): a narrow preset's states
#: outside them are reported as information, not as violations.
PRESETS: dict[str, tuple[str, Config]] = {
    "default": (
        "client (ISS near 2**32, so sequence numbers wrap) and server, one data segment "
        "each way; the network loses and reorders",
        Config("default", _CLIENT, _SERVER)),
    "reliable": (
        "as default, but the network neither loses, duplicates nor reorders, and is large "
        "enough never to drop",
        Config("reliable", _CLIENT, _SERVER, capacity=4, loss=False, reordering=False)),
    "seed": (
        "the seed note's exchange: the server already listens, no data, the client closes "
        "first, no faults",
        # the note's states (C8-C15) but CLOSING, which needs both to close at once (C13)
        Config("seed", replace(_CLIENT, data=0, close_in=("ESTABLISHED",), reaches=(
                   "CLOSED", "SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT")),
               replace(_SERVER, opened=True, data=0, close_in=("CLOSE_WAIT",), reaches=(
                   "CLOSED", "LISTEN", "SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK")),
               loss=False, reordering=False)),
    "simultaneous-open": (
        "both endpoints open actively (RFC 9293 Figure 7), no data; lossy FIFO network",
        # both active: SYN_RCVD by the simultaneous open, no LISTEN
        Config("simultaneous-open", replace(_CLIENT, iss=100, data=0, reaches=_all_but("LISTEN")),
               replace(_CLIENT, iss=300, data=0, reaches=_all_but("LISTEN")), reordering=False)),
    "duplicating": (
        "as default without data, and the network also duplicates",
        Config("duplicating", replace(_CLIENT, data=0), replace(_SERVER, data=0), duplication=True)),
    "abort": (
        "as reliable, and either application may ABORT; the server may SEND from LISTEN",
        # the server's SEND from LISTEN makes it SYN_SENT, and the client's open simultaneous
        Config("abort", replace(_CLIENT, abort=True, reaches=_all_but("LISTEN")),
               replace(_SERVER, abort=True, foreign_socket=True, reaches=STATES),
               capacity=6, loss=False, reordering=False)),
}


def preset(name: str) -> Config:
    """The preset called ``name``; ConfigError says which was likely meant and
    lists the known ones otherwise.

    >>> try:
    ...     preset("defualt")
    ... except ConfigError as exc:
    ...     print(exc)
    unknown preset 'defualt'; did you mean 'default'? known presets: default, reliable, seed, simultaneous-open, duplicating, abort
    """
    try:
        return PRESETS[name][1]
    except (KeyError, TypeError):
        hint = closest(name, PRESETS)
        raise ConfigError(f"unknown preset '{name}'; " + (f"did you mean '{hint}'? " if hint else "")
                          + f"known presets: {', '.join(PRESETS)}") from None


# --- TOML files ----------------------------------------------------------------

def _line_of(text: str, section: str | None, key: str) -> int:
    """The line where ``key`` is set (inside ``[section]``), or where
    ``[section]`` is first defined when ``key`` is empty; 1 if not found
    (model/tomllines.py)."""
    return _lines(text).line(*(p for p in (section, key) if p))


@functools.lru_cache(maxsize=4)
def _lines(text: str) -> TomlLines:
    return TomlLines(text)


def _unknown(key, known, where_said: str, listed: str) -> str:
    """"unknown key 'capasity' in [network]; did you mean 'capacity'? expected ..."."""
    hint = closest(key, known)
    return (f"unknown key '{key}'{where_said}; " + (f"did you mean '{hint}'? " if hint else "") + listed)


def _expect(cond: bool, where: str, what: str) -> None:
    if not cond:
        raise ConfigError(f"{where}: {what}")


def _endpoint(base: EndpointConfig, table: dict, text: str, path: str, section: str) -> EndpointConfig:
    names = {f.name for f in dataclasses.fields(EndpointConfig)}
    out = {}
    for key, value in table.items():
        where = f"{path}:{_line_of(text, section, key)}"
        _expect(key in names, where, _unknown(key, names, f" in [{section}]",
                                              f"expected one of {', '.join(sorted(names))}"))
        if key == "open":
            hint = closest(value, OPEN_MODES) if isinstance(value, str) else None
            _expect(value in OPEN_MODES, where, f"open must be one of {', '.join(OPEN_MODES)}, not {value!r}"
                    + (f"; did you mean '{hint}'?" if hint else ""))
        elif key in ("iss", "iss_step"):
            _check_sequence_number(value, where, key)
        elif key in ("data", "retransmissions"):
            _expect(type(value) is int and 0 <= value <= 8, where, f"{key} must be an integer from 0 to 8, not {value!r}")
        elif key == "opens":
            _expect(type(value) is int and 1 <= value <= 4, where, f"opens must be an integer from 1 to 4, not {value!r}")
        elif key in ("abort", "foreign_socket", "opened"):
            _expect(type(value) is bool, where, f"{key} must be true or false, not {value!r}")
        elif key in ("close_in", "reaches"):
            names_ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
            bad = [v for v in value if v not in STATES] if names_ok else []
            hint = closest(bad[0], STATES) if bad else None
            _expect(names_ok and not bad, where,
                    f"{key} must be a list of state names ({', '.join(STATES)}), not {value!r}"
                    + (f"; did you mean '{hint}' for '{bad[0]}'?" if hint else ""))
            value = tuple(value) or None
            if key == "reaches" and value is not None:
                value = tuple(st for st in STATES if st in value)  # the RFC's order, once each
        out[key] = value
    return replace(base, **out)


def _check_sequence_number(value, where: str, key: str) -> None:
    _expect(type(value) is int and 0 <= value < MOD, where,
            f"{key} must be an integer from 0 to {MOD - 1}, not {value!r}")


#: Endpoint keys that change which states it can reach: a file that changes
#: one and does not set ``reaches`` drops the preset's ``reaches`` for that endpoint.
_BEHAVIOUR = {"open", "opened", "close_in", "abort", "foreign_socket", "opens"}

_TOP = ("preset", "rules", "profile", "rcv_wnd", "iss_step", "network", "timers", "A", "B")
_NETWORK = ("capacity", "loss", "duplication", "reordering", "loss_budget")
_TIMERS = ("time_wait_outlasts_rto", "time_wait_waits_for_network")


def _rules_path(value: str, base_dir: Path | None, where: str) -> str:
    """The absolute path of the rule table ``value`` names; ConfigError at
    ``where`` for a path no file can have (a NUL byte) or that cannot be
    followed (a symlink loop).  A missing file is reported when it is read."""
    _expect("\0" not in value, where, f"rules must be a path; {value!r} contains a NUL byte")
    try:
        p = (Path(base_dir or ".") / value).resolve()
        os.stat(p)
    except FileNotFoundError:
        pass
    except RuntimeError:  # Path.resolve before Python 3.13: "Symlink loop from ..."
        raise ConfigError(f"{where}: rules: cannot follow '{value}': a loop of symbolic links") from None
    except OSError as exc:  # others (no permission ...) are reported when the table is read
        if exc.errno == errno.ELOOP:
            raise ConfigError(f"{where}: rules: cannot follow '{value}': a loop of symbolic links") from None
    return str(p)


#: the largest configuration file read (a real one is a few hundred bytes; /dev/zero must not fill
#: the memory)
INPUT_LIMIT = 1 << 20


def load_config(path: str | Path) -> Config:
    """Read a TOML configuration file: a ``preset`` to start from and overrides.

    Example::

        preset = "default"
        [network]
        capacity = 3
        reordering = true
        [A]
        iss = 4294967295
    """
    p = Path(path)
    text = read_input(p, "the configuration", ConfigError, limit=INPUT_LIMIT)
    return parse_config(text, str(p), p.parent)


def parse_config(text: str, source: str, base_dir: Path | None = None, name: str | None = None) -> Config:
    r"""The configuration described by the TOML ``text``; errors are reported as
    ``source:line: what is wrong``.  A ``rules`` path is relative to ``base_dir``
    (default: the current directory).  The configuration is called ``name``,
    by default "<file name> (from preset <preset>)".

    >>> parse_config('preset = "seed"\n[network]\nloss = true\nloss_budget = 1\n', "x.toml").loss_budget
    1
    """
    p = source
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}:{error_line(exc)}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{p}:1: nested too deeply to be a configuration") from None
    for key in data:
        _expect(key in _TOP, f"{p}:{_line_of(text, None, key)}",
                _unknown(key, _TOP, "", f"expected one of {', '.join(sorted(_TOP))}"))
    preset_name = data.get("preset", "default")
    _expect(isinstance(preset_name, str), f"{p}:{_line_of(text, None, 'preset')}", "preset must be a string")
    try:
        cfg = preset(preset_name)
    except ConfigError as exc:
        raise ConfigError(f"{p}:{_line_of(text, None, 'preset')}: {exc}") from None
    changes: dict = {"name": name or f"{Path(p).name} (from preset {preset_name})"}
    if "rules" in data:
        where = f"{p}:{_line_of(text, None, 'rules')}"
        _expect(isinstance(data["rules"], str), where, "rules must be a path in quotes")
        changes["rules"] = _rules_path(data["rules"], base_dir, where)
    if "profile" in data:
        where = f"{p}:{_line_of(text, None, 'profile')}"
        _expect("rules" not in data, where, "give rules or profile, not both (a profile is a shipped rule table)")
        _expect(isinstance(data["profile"], str), where, "profile must be a name in quotes, e.g. profile = \"linux\"")
        from .profiles import ProfileError, profile_path  # profiles -> table; config must not load tables

        try:
            changes["rules"] = str(profile_path(data["profile"]))
        except ProfileError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    if "rcv_wnd" in data:
        w = data["rcv_wnd"]
        _expect(type(w) is int and 1 <= w <= 1 << 30, f"{p}:{_line_of(text, None, 'rcv_wnd')}",
                f"rcv_wnd must be an integer from 1 to {1 << 30}, not {w!r}")
        changes["rcv_wnd"] = w
    endpoints = {"A": cfg.A, "B": cfg.B}
    if "iss_step" in data:
        _check_sequence_number(data["iss_step"], f"{p}:{_line_of(text, None, 'iss_step')}", "iss_step")
        endpoints = {w: replace(e, iss_step=data["iss_step"]) for w, e in endpoints.items()}
    for section, keys in (("network", _NETWORK), ("timers", _TIMERS)):
        table = data.get(section, {})
        _expect(isinstance(table, dict), f"{p}:{_line_of(text, None, section)}",
                f"{section} must be a table: [{section}]")
        for key, value in table.items():
            where = f"{p}:{_line_of(text, section, key)}"
            _expect(key in keys, where, _unknown(key, keys, f" in [{section}]",
                                                 f"expected {', '.join(keys[:-1])} or {keys[-1]}"))
            if key == "capacity":
                _expect(type(value) is int and 1 <= value <= 8, where, f"capacity must be an integer from 1 to 8, not {value!r}")
            elif key == "loss_budget":
                _expect(type(value) is int and 0 <= value <= 8, where,
                        f"loss_budget must be an integer from 0 to 8 (leave it out for no limit), not {value!r}")
            else:
                _expect(type(value) is bool, where, f"{key} must be true or false, not {value!r}")
            changes[key] = value
    for who in ("A", "B"):
        section = data.get(who, {})
        _expect(isinstance(section, dict), f"{p}:{_line_of(text, None, who)}", f"{who} must be a table: [{who}]")
        base = endpoints[who]
        changed = _endpoint(base, section, text, str(p), who)
        if "reaches" not in section and any(getattr(changed, k) != getattr(base, k) for k in _BEHAVIOUR):
            changed = replace(changed, reaches=None)  # the preset's intent was for its own behaviour
        endpoints[who] = changed
    if endpoints["A"] != cfg.A or endpoints["B"] != cfg.B:
        changes.update(endpoints)
    return replace(cfg, **changes)
