"""Profiles: the shipped rule tables by name (``--profile rfc9293|linux``).

A profile is a rule table that ships beside this module: ``rfc9293`` is the
reference (RFC 9293 as written, ``rfc9293.rules``) and ``linux`` is the same
table row for row with Linux's choices, each commented with what Linux does
and the evidence (``linux.rules``).  Every command that takes ``--profile``
(check, prove, conform, diagram fsm) and a configuration file's ``profile =
"linux"`` resolve the name here, so an unknown name is reported the same way
everywhere, with a "did you mean".

It must not run anything.
"""

from __future__ import annotations

from pathlib import Path

from .errors import InputError, closest
from .table import LINUX, REFERENCE, RuleTable, load_table

__all__ = ["PROFILES", "DEFAULT", "ProfileError", "profile_path", "profile_table", "profile_of",
           "add_profile_option", "help_text", "chosen_rules"]

#: name -> (the table's file, what it is)
PROFILES: dict[str, tuple[Path, str]] = {
    "rfc9293": (REFERENCE, "RFC 9293 as written: Figure 5 and section 3.10, with RFC 5961's challenge ACKs"),
    "linux": (LINUX, "Linux 6.x: FIN_WAIT_2 ends after tcp_fin_timeout, a passive SYN_RCVD gives up to "
                     "LISTEN, a retransmitted SYN gets the SYN,ACK again, a simultaneous open's SYN,ACK "
                     "establishes, ABORT sends RST,ACK, a higher SYN reopens from TIME_WAIT"),
}

#: The profile used when none is named.
DEFAULT = "rfc9293"


class ProfileError(InputError):
    """An unknown profile name."""


def profile_path(name: str) -> Path:
    """The rule table file of the profile ``name``.

    >>> profile_path("linux").name
    'linux.rules'
    >>> try:
    ...     profile_path("linus")
    ... except ProfileError as exc:
    ...     print(exc)
    unknown profile 'linus'; did you mean 'linux'? known profiles: rfc9293, linux
    """
    try:
        return PROFILES[name][0]
    except (KeyError, TypeError):
        hint = closest(name, PROFILES) if isinstance(name, str) else None
        raise ProfileError(f"unknown profile '{name}'; " + (f"did you mean '{hint}'? " if hint else "")
                           + f"known profiles: {', '.join(PROFILES)}") from None


def profile_table(name: str) -> RuleTable:
    """The rule table of the profile ``name``, loaded and validated."""
    return load_table(profile_path(name))


def profile_of(table: RuleTable) -> str | None:
    """The profile whose file ``table`` was loaded from (by its name), or None."""
    return next((n for n, (p, _) in PROFILES.items() if table.name == p.name), None)


def help_text() -> str:
    """One line per profile, for --help."""
    return "\n".join(f"  {name:<9} {what}" for name, (_, what) in PROFILES.items())


def add_profile_option(group) -> None:
    """Add ``--profile NAME`` to a parser or (with --rules) a mutually exclusive group."""
    group.add_argument("--profile", choices=list(PROFILES), metavar="NAME",
                       help="a shipped rule table by name: " + ", ".join(PROFILES)
                            + f" (default: {DEFAULT}; not with --rules)")


def chosen_rules(args):
    """The rule table a parsed command line names: its ``--profile``'s file, else its
    ``--rules`` (None when it names neither)."""
    name = getattr(args, "profile", None)
    return profile_path(name) if name is not None else getattr(args, "rules", None)
