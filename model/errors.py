"""The one exception class for bad input from the user.

A configuration, rule table, trace file or argument that cannot be used
raises a subclass of :class:`InputError` whose message names the file, the
line and what was expected; the command line prints it and exits with code
2.  The message is one line, except a rule table's (table.TableError), which
lists every problem of the file, one a line.  Anything else that goes wrong
is an internal error (exit 3).
"""

import codecs
import errno
import os
import stat
from pathlib import Path

__all__ = ["InputError", "UnknownName", "read_input", "decode_input", "write_output", "output_folder", "closest",
           "unknown"]


class InputError(ValueError):
    """Bad input from the user: reported with exit code 2."""


class UnknownName(InputError, KeyError):
    """A name that names nothing known (a scenario, an experiment): bad input,
    and a KeyError to a caller that looks a name up."""

    __str__ = InputError.__str__  # the message, not a key's repr


def read_input(path: Path, what: str, error: type[InputError] = InputError,
               limit: int | None = None) -> str:
    """The text of a user's file (UTF-8, with or without a byte-order mark),
    or ``error`` saying why ``what`` (e.g. "the rule table") cannot be read.

    With ``limit``, a file of more than ``limit`` bytes is refused before it
    is read whole (at most ``limit + 1`` bytes are read)."""
    try:
        with open(path, "rb") as f:
            if limit is None:
                data = f.read()
            else:
                data = f.read(limit + 1)
                if len(data) > limit:
                    st = os.fstat(f.fileno())
                    regular = stat.S_ISREG(st.st_mode) and st.st_size >= len(data)
                    shown = f"{st.st_size:,}" if regular else f"more than {limit:,}"
                    raise error(f"{path}: {what} is {shown} bytes; the limit is {limit:,}")
    except OSError as exc:
        raise error(f"{path}: cannot read {what}: {exc.strerror}") from None
    text = decode_input(data, path, what, error)
    # line ends as text mode reads them (universal newlines)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode_input(data: bytes, path, what: str, error: type[InputError] = InputError) -> str:
    """``data``, the bytes of a user's file, as UTF-8 text (a byte-order mark
    dropped), or ``error`` at the line of the first byte that is not UTF-8,
    with that byte and its offset in the file (from 0, as hex editors count;
    lines end as :func:`read_input` ends them: CR, LF or CRLF).
    A file that starts with a UTF-16 byte-order mark (FF FE or FE FF: what
    Windows Notepad's "Unicode" saves) is said to be UTF-16.

    >>> decode_input(b"CLOSED\\n\\xe9t\\xe9", "t.rules", "the rule table")
    Traceback (most recent call last):
    ...
    tcpcheck.model.errors.InputError: t.rules:2: the rule table is not UTF-8 text (byte 0xE9 at offset 7); save it as UTF-8
    >>> decode_input(b"\\xff\\xfeC\\x00", "t.rules", "the rule table")
    Traceback (most recent call last):
    ...
    tcpcheck.model.errors.InputError: t.rules:1: the rule table is UTF-16 text: save it as UTF-8
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise error(f"{path}:1: {what} is UTF-16 text: save it as UTF-8")
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        at = bom + exc.start
        head = data[:at]
        line = head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1
        raise error(f"{path}:{line}: {what} is not UTF-8 text (byte 0x{data[at]:02X} "
                    f"at offset {at:,}); save it as UTF-8") from None


def write_output(path: str | Path, data: bytes | str, what: str = "the output",
                 error: type[InputError] = InputError) -> None:
    """Write ``data`` (text is written as UTF-8) to the user's ``path``, or raise
    ``error`` ("PATH: cannot write WHAT: reason") when it cannot be written: a
    missing folder, a folder, a path through a file, no permission, a full disk.

    A file this call created is removed again when the write fails, so that no
    partial output is left behind; a file that was there already (or a device
    such as /dev/full) is not removed."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    p = Path(path)
    try:
        existed = os.path.lexists(p)
    except ValueError:
        existed = True
    try:
        with open(p, "wb") as f:
            f.write(data)
    except (OSError, ValueError) as exc:
        if isinstance(exc, ValueError):  # an embedded NUL byte
            reason = "the path contains a NUL byte"
        else:
            reason = exc.strerror or str(exc)
        if not existed:
            try:
                if stat.S_ISREG(os.lstat(p).st_mode):
                    os.unlink(p)
            except (OSError, ValueError):
                pass
        raise error(f"{path}: cannot write {what}: {reason}") from None


def output_folder(path: str | Path, what: str, error: type[InputError] = InputError) -> Path:
    """The output folder ``path``, made (with its parents) unless it exists, or
    ``error`` "DIR: cannot write WHAT there: reason": "not a directory" for a
    file (or a link to one) there, else the system's reason (a path through a
    file, no permission, a NUL byte).  Every command that writes into a folder
    says it so (``diagram gallery``, ``experiments --out``, ``grade --out``,
    ``grade --package -o``).

    >>> output_folder("/dev/null", "the report")
    Traceback (most recent call last):
    ...
    tcpcheck.model.errors.InputError: /dev/null: cannot write the report there: not a directory
    """
    out = Path(path)
    try:
        if (out.exists() or out.is_symlink()) and not out.is_dir():
            raise error(f"{out}: cannot write {what} there: not a directory")
        out.mkdir(parents=True, exist_ok=True)
    except ValueError as exc:
        if isinstance(exc, InputError):
            raise
        raise error(f"{out}: cannot write {what} there: the path contains a NUL byte") from None
    except OSError as exc:
        raise error(f"{out}: cannot write {what} there: {exc.strerror or exc}") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise error(f"{out}: cannot write {what} there: {os.strerror(errno.EACCES)}")
    return out


def closest(word, options) -> str | None:
    """The option ``word`` most likely meant (difflib, ratio at least 0.6, then
    ignoring case), or None: what a "did you mean" says.

    >>> closest("ESTABLISED", ["CLOSED", "ESTABLISHED"]), closest("xyz", ["CLOSED"])
    ('ESTABLISHED', None)
    """
    import difflib

    options = [str(o) for o in options]
    close = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    if not close and isinstance(word, str):
        low = {o.lower(): o for o in options}
        close = [low[c] for c in difflib.get_close_matches(word.lower(), list(low), n=1, cutoff=0.6)]
    return close[0] if close else None



def unknown(what: str, word, known, listed: str | None = None) -> str:
    """The message for an unknown ``what`` (a "scenario"): the name most likely
    meant among ``known`` (see :func:`closest`), then ``listed`` (default:
    "known WHATs: a, b, c").

    >>> unknown("scenario", "sed", ["seed", "lost-final-ack"])
    "unknown scenario 'sed'; did you mean 'seed'? known scenarios: seed, lost-final-ack"
    """
    known = list(known)
    hint = closest(word, known)
    if listed is None:
        listed = f"known {what}s: {', '.join(map(str, known))}"
    return f"unknown {what} '{word}'; " + (f"did you mean '{hint}'? " if hint else "") + listed
