"""The one exception class for bad input from the user.

A configuration, rule table, trace file or argument that cannot be used
raises a subclass of :class:`InputError` whose message names the file, the
line and what was expected; the command line prints it in one line and exits
with code 2.  Anything else that goes wrong is an internal error (exit 3).
"""

from pathlib import Path

__all__ = ["InputError", "read_input"]


class InputError(ValueError):
    """Bad input from the user: reported in one line, exit code 2."""


def read_input(path: Path, what: str, error: type[InputError] = InputError) -> str:
    """The text of a user's file (UTF-8, with or without a byte-order mark),
    or ``error`` saying why ``what`` (e.g. "the rule table") cannot be read."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise error(f"{path}: cannot read {what}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise error(f"{path}: {what} is not UTF-8 text") from None
