"""Configurations: the bounds and switches of one model-checking run.

Like TLA+'s MC*.cfg, the bounds live here, apart from the model, each with a
one-line reason.  A configuration is built from a named preset and, when a
file is given, TOML overrides of it.  Errors in a file name the file, the
line and what was expected.

It must not run anything.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import InputError, read_input
from .tcb import MOD, STATES

__all__ = ["EndpointConfig", "Config", "PRESETS", "ConfigError", "load_config", "preset"]

OPEN_MODES = ("active", "passive", "none")


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
    rules: str | None = _why("path of the rule table; empty means the reference RFC 9293 table", None)

    def describe(self) -> list[str]:
        """One line per setting, for the human summary."""
        net = [x for x in ("loss", "duplication", "reordering") if getattr(self, x)]
        lines = [f"network: capacity {self.capacity} per direction, "
                 f"{', '.join(net) if net else 'no faults'}"
                 f"{'' if self.reordering else ', FIFO'}; RCV.WND={self.rcv_wnd}"]
        for who in ("A", "B"):
            e = getattr(self, who)
            close = "anywhere the RFC allows" if e.close_in is None else "in " + "/".join(e.close_in)
            lines.append(f"{who}: {e.open} open{' (made before the run)' if e.opened else ''}, ISS={e.iss}, {e.data} data segment(s), "
                         f"{e.retransmissions} retransmission(s), closes {close}"
                         f"{', may ABORT' if e.abort else ''}"
                         f"{', may SEND from LISTEN' if e.foreign_socket and e.open == 'passive' else ''}")
        return lines


_CLIENT = EndpointConfig(open="active", iss=MOD - 2)
_SERVER = EndpointConfig(open="passive", iss=300)

#: Named configurations.  ``default`` is what ``tcpcheck check`` runs.  The
#: presets without loss have a capacity at which no channel ever fills up, so
#: that nothing is dropped either (the tests check this).
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
        Config("seed", replace(_CLIENT, data=0, close_in=("ESTABLISHED",)),
               replace(_SERVER, opened=True, data=0, close_in=("CLOSE_WAIT",)),
               loss=False, reordering=False)),
    "simultaneous-open": (
        "both endpoints open actively (RFC 9293 Figure 7), no data; lossy FIFO network",
        Config("simultaneous-open", replace(_CLIENT, iss=100, data=0),
               replace(_CLIENT, iss=300, data=0), reordering=False)),
    "duplicating": (
        "as default without data, and the network also duplicates",
        Config("duplicating", replace(_CLIENT, data=0), replace(_SERVER, data=0), duplication=True)),
    "abort": (
        "as reliable, and either application may ABORT; the server may SEND from LISTEN",
        Config("abort", replace(_CLIENT, abort=True),
               replace(_SERVER, abort=True, foreign_socket=True),
               capacity=6, loss=False, reordering=False)),
}


def preset(name: str) -> Config:
    """The preset called ``name``; ConfigError lists the known ones otherwise."""
    try:
        return PRESETS[name][1]
    except KeyError:
        raise ConfigError(f"unknown preset '{name}'; known presets: {', '.join(PRESETS)}") from None


# --- TOML files ----------------------------------------------------------------

_HEADER = re.compile(r'^\[\s*"?([^\]"]+?)"?\s*\]\s*(?:#.*)?$')
_KEY = re.compile(r'^("?)([A-Za-z0-9_.-]+)\1\s*=')


def _line_of(text: str, section: str | None, key: str) -> int:
    """The line where ``key`` is set (inside ``[section]`` if given), or where
    ``[section]`` begins when ``key`` is empty; 1 if it cannot be found.
    Understands comments after headers, quoted keys and dotted keys."""
    current = None
    want = f"{section}.{key}" if section and key else (section or key)
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        m = _HEADER.match(s)
        if m:
            current = m.group(1).strip()
            if not key and current == section:
                return n
            continue
        m = _KEY.match(s)
        if m:
            path = f"{current}.{m.group(2)}" if current else m.group(2)
            if path == want or (not key and path.startswith(f"{section}.")):
                return n
    return 1


def _expect(cond: bool, where: str, what: str) -> None:
    if not cond:
        raise ConfigError(f"{where}: {what}")


def _endpoint(base: EndpointConfig, table: dict, text: str, path: str, section: str) -> EndpointConfig:
    names = {f.name for f in dataclasses.fields(EndpointConfig)}
    out = {}
    for key, value in table.items():
        where = f"{path}:{_line_of(text, section, key)}"
        _expect(key in names, where, f"unknown key '{key}' in [{section}]; expected one of {', '.join(sorted(names))}")
        if key == "open":
            _expect(value in OPEN_MODES, where, f"open must be one of {', '.join(OPEN_MODES)}, not {value!r}")
        elif key == "iss":
            _expect(type(value) is int and 0 <= value < MOD, where, f"iss must be an integer from 0 to {MOD - 1}, not {value!r}")
        elif key in ("data", "retransmissions"):
            _expect(type(value) is int and 0 <= value <= 8, where, f"{key} must be an integer from 0 to 8, not {value!r}")
        elif key in ("abort", "foreign_socket", "opened"):
            _expect(type(value) is bool, where, f"{key} must be true or false, not {value!r}")
        elif key == "close_in":
            _expect(isinstance(value, list) and all(v in STATES for v in value), where,
                    f"close_in must be a list of state names ({', '.join(STATES)}), not {value!r}")
            value = tuple(value) or None
        out[key] = value
    return replace(base, **out)


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
    text = read_input(p, "the configuration", ConfigError)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        line = m.group(1) if m else "1"
        raise ConfigError(f"{p}:{line}: not valid TOML: {exc}") from None
    top = {"preset", "rules", "rcv_wnd", "network", "A", "B"}
    for key in data:
        _expect(key in top, f"{p}:{_line_of(text, None, key) if not isinstance(data[key], dict) else _line_of(text, key, '')}",
                f"unknown key '{key}'; expected one of {', '.join(sorted(top))}")
    name = data.get("preset", "default")
    _expect(isinstance(name, str), f"{p}:{_line_of(text, None, 'preset')}", "preset must be a string")
    try:
        cfg = preset(name)
    except ConfigError as exc:
        raise ConfigError(f"{p}:{_line_of(text, None, 'preset')}: {exc}") from None
    changes: dict = {"name": f"{p.name} (from preset {name})"}
    if "rules" in data:
        where = f"{p}:{_line_of(text, None, 'rules')}"
        _expect(isinstance(data["rules"], str), where, "rules must be a path in quotes")
        changes["rules"] = str((p.parent / data["rules"]).resolve())
    if "rcv_wnd" in data:
        w = data["rcv_wnd"]
        _expect(type(w) is int and 1 <= w <= 1 << 30, f"{p}:{_line_of(text, None, 'rcv_wnd')}",
                f"rcv_wnd must be an integer from 1 to {1 << 30}, not {w!r}")
        changes["rcv_wnd"] = w
    net = data.get("network", {})
    _expect(isinstance(net, dict), f"{p}:{_line_of(text, None, 'network')}", "network must be a table: [network]")
    for key, value in net.items():
        where = f"{p}:{_line_of(text, 'network', key)}"
        if key == "capacity":
            _expect(type(value) is int and 1 <= value <= 8, where, f"capacity must be an integer from 1 to 8, not {value!r}")
        elif key in ("loss", "duplication", "reordering"):
            _expect(type(value) is bool, where, f"{key} must be true or false, not {value!r}")
        else:
            raise ConfigError(f"{where}: unknown key '{key}' in [network]; expected capacity, loss, duplication or reordering")
        changes[key] = value
    for who in ("A", "B"):
        section = data.get(who, {})
        _expect(isinstance(section, dict), f"{p}:{_line_of(text, None, who)}", f"{who} must be a table: [{who}]")
        if section:
            changes[who] = _endpoint(getattr(cfg, who), section, text, str(p), who)
    return replace(cfg, **changes)
