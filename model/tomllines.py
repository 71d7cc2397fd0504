"""Where things are in a TOML text: the line of every key, table and array element.

``tomllib`` returns the data of a file but not where each value was written,
and a message about a user's file must say ``FILE:LINE``.  :class:`TomlLines`
scans the text once, the way TOML's grammar reads it (so a ``[header]`` or a
``key =`` inside a multi-line string is not taken for one), and answers
:meth:`TomlLines.line` for a *path*: the keys leading to a value, with the
index of an element of an array or of an array of tables::

    TomlLines(text).line("tests", 2, "kind")   # 'kind' in the third [[tests]]
    TomlLines(text).line("network", "capacity") # in [network], network.capacity = ..,
                                                # or network = { capacity = .. }
    TomlLines(text).line("A")                   # where the table A is first defined

A path that was not written falls back to its longest written prefix (a
missing key: the line of its table), and to line 1.  The first definition
of a path counts (a duplicate is a TOML error, reported by tomllib).  It is
meant for text that ``tomllib`` accepted; on other text it still ends and
answers as well as it can.  Quoted keys are unquoted; nothing is evaluated.

Hand-written because no library fits: tomllib keeps no positions, and
tomlkit keeps a file's formatting but exposes no line numbers.  Every reader
of a user's TOML file (configurations, assignments, questions, answer files)
finds its lines here.
"""

from __future__ import annotations

import bisect
import json
import re

__all__ = ["TomlLines", "KeyPath", "error_line"]

#: a path: keys (str) and indices of array elements (int)
KeyPath = tuple

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_BASIC = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
_LITERAL = re.compile(r"'([^'\n]*)'")
_SCALAR = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:[Zz]|[+-]\d\d:\d\d)?"
                     r"|[^\s,\]\}#=\[\{]+")

#: arrays and inline tables nested deeper than this are not read (tomllib
#: itself stops far sooner, with a RecursionError)
_DEEPEST = 256


def error_line(exc: Exception) -> int:
    """The line a ``tomllib.TOMLDecodeError`` points at (its message says
    "(at line N, column M)"), or 1."""
    m = re.search(r"line (\d+)", str(exc))
    return int(m.group(1)) if m else 1


def _unescape(body: str) -> str:
    try:
        return json.loads(f'"{body}"')
    except ValueError:  # TOML's \UXXXXXXXX or \e, which JSON lacks: the key as written
        return body


class _Open:
    """An array or inline table being read: its path, where it starts, and its
    elements so far."""

    __slots__ = ("kind", "path", "start", "count")

    def __init__(self, kind: str, path: KeyPath, start: int):
        self.kind, self.path, self.start, self.count = kind, path, start, 0


class TomlLines:
    """The lines of the keys, tables and array elements of a TOML ``text``."""

    def __init__(self, text: str):
        self.text = text
        self._newlines = [i for i, c in enumerate(text) if c == "\n"]
        self._lines: dict[KeyPath, int] = {}
        self._spans: dict[KeyPath, tuple[int, int, str]] = {}  # path -> (start, end, "array"|"table"|"value")
        self._scan()

    # --- answers ---------------------------------------------------------------------

    def line(self, *path) -> int:
        """The line where ``path`` is written, else where its longest written
        prefix is, else 1."""
        for n in range(len(path), 0, -1):
            found = self._lines.get(tuple(path[:n]))
            if found is not None:
                return found
        return 1

    def has(self, *path) -> bool:
        """Whether ``path`` itself is written in the text."""
        return tuple(path) in self._lines

    def elements(self, path: KeyPath, values: list) -> list[int]:
        """The line of each of ``values``, the elements of the value at ``path``:
        of an array, its elements' lines; of a (multi-line) string split into
        ``values``, the line where each one is found, in order; the line of
        ``path`` for what is not found."""
        path = tuple(path)
        where = self.line(*path)
        start, end, kind = self._spans.get(path, (0, 0, "value"))
        if kind == "array":
            return [self._lines.get(path + (j,), where) for j in range(len(values))]
        out, pos = [], start
        for v in values:
            found = -1
            if isinstance(v, str) and v:
                for form in (json.dumps(v, ensure_ascii=False)[1:-1], v):
                    found = self.text.find(form, pos, end)
                    if found >= 0:
                        break
            if found < 0:
                out.append(where)
                continue
            out.append(self._line_at(found))
            pos = found + 1
        return out

    def paths(self) -> list[KeyPath]:
        """Every path written, in the order of the text."""
        return sorted(self._lines, key=lambda p: (self._lines[p], len(p)))

    # --- reading -----------------------------------------------------------------------

    def _line_at(self, pos: int) -> int:
        return bisect.bisect_right(self._newlines, pos - 1) + 1

    def _set(self, path: KeyPath, pos: int) -> None:
        self._lines.setdefault(path, self._line_at(pos))

    def _skip(self, pos: int, newlines: bool) -> int:
        """Past blanks (and, with ``newlines``, line ends and comments)."""
        text, n = self.text, len(self.text)
        while pos < n:
            c = text[pos]
            if c in " \t\r":
                pos += 1
            elif newlines and c == "\n":
                pos += 1
            elif newlines and c == "#":
                end = text.find("\n", pos)
                pos = n if end < 0 else end
            else:
                break
        return pos

    def _eol(self, pos: int) -> int:
        end = self.text.find("\n", pos)
        return len(self.text) if end < 0 else end + 1

    def _key(self, pos: int) -> tuple[list[str], int]:
        """A (dotted) key at ``pos``: its parts and the position after it."""
        parts: list[str] = []
        while True:
            pos = self._skip(pos, newlines=False)
            m = (_BASIC.match(self.text, pos) or _LITERAL.match(self.text, pos)
                 or _BARE.match(self.text, pos))
            if not m:
                return parts, pos
            part = m.group(1) if m.re is not _BARE else m.group(0)
            parts.append(_unescape(part) if m.re is _BASIC else part)
            pos = self._skip(m.end(), newlines=False)
            if not self.text.startswith(".", pos):
                return parts, pos
            pos += 1

    def _define(self, base: KeyPath, parts: list[str], pos: int) -> KeyPath:
        """Record a key written at ``pos`` and the tables its dots imply."""
        for k in range(1, len(parts) + 1):
            self._set(base + tuple(parts[:k]), pos)
        return base + tuple(parts)

    def _scan(self) -> None:
        text, n = self.text, len(self.text)
        table: KeyPath = ()
        arrays: dict[KeyPath, int] = {}  # an array of tables -> the index of its last element
        pos = 0
        while pos < n:
            pos = self._skip(pos, newlines=True)
            if pos >= n:
                break
            if text[pos] == "[":
                double = text.startswith("[[", pos)
                at = pos
                parts, pos = self._key(pos + (2 if double else 1))
                if parts:
                    table = self._header(parts, double, arrays, at)
                pos = self._eol(pos)
                continue
            at = pos
            parts, pos = self._key(pos)
            if not parts or not text.startswith("=", pos):
                pos = self._eol(at)  # not a key = value line: skip it
                continue
            path = self._define(table, parts, at)
            pos = self._value(pos + 1, path)
            pos = self._eol(pos)

    def _header(self, parts: list[str], double: bool, arrays: dict, at: int) -> KeyPath:
        path: KeyPath = ()
        for k in parts[:-1]:
            path += (k,)
            self._set(path, at)
            if path in arrays:
                path += (arrays[path],)
        path += (parts[-1],)
        self._set(path, at)
        if double:
            arrays[path] = arrays.get(path, -1) + 1
            path += (arrays[path],)
            self._set(path, at)
        return path

    def _string(self, pos: int) -> int:
        """Past the string or other scalar value at ``pos``."""
        text = self.text
        for quote in ('"""', "'''"):
            if text.startswith(quote, pos):
                i = pos + 3
                while True:
                    i = text.find(quote, i) if quote == "'''" else self._basic_end(i)
                    if i < 0:
                        return len(text)
                    end = i + 3
                    while end < len(text) and text[end] == quote[0] and end - i < 5:
                        end += 1  # up to two quotes of the content just before the closing three
                    return end
        m = _BASIC.match(text, pos) or _LITERAL.match(text, pos) or _SCALAR.match(text, pos)
        return m.end() if m else pos

    def _basic_end(self, i: int) -> int:
        """The position of the ``\"\"\"`` closing a multi-line basic string whose content starts at ``i``."""
        text = self.text
        while i < len(text):
            c = text[i]
            if c == "\\":
                i += 2
            elif text.startswith('"""', i):
                return i
            else:
                i += 1
        return -1

    def _value(self, pos: int, path: KeyPath) -> int:
        """Read the value of ``path`` at ``pos``, recording what is inside it (an
        explicit stack: nesting costs no recursion); the position after it."""
        text, n = self.text, len(self.text)
        stack: list[_Open] = []
        state = "value"  # "value": a value starts here; "after": one has just ended
        while pos < n:
            inside = stack[-1] if stack else None
            pos = self._skip(pos, newlines=inside is not None)
            if pos >= n:
                break
            c = text[pos]
            if state == "value":
                if c in "[{":
                    if len(stack) == _DEEPEST:
                        return self._eol(pos)
                    stack.append(_Open("array" if c == "[" else "table", path, pos))
                    pos += 1
                    state = "first"
                    continue
                start = pos
                pos = self._string(pos)
                if pos == start:  # not a value: give up on this line
                    return self._eol(pos)
                self._spans.setdefault(path, (start, pos, "value"))
                state = "after"
                continue
            if inside is None:
                return pos
            if state == "after" and c == ",":
                pos += 1
                inside.count += 1
                state = "next"
                continue
            if c == ("]" if inside.kind == "array" else "}") and state in ("after", "first", "next"):
                stack.pop()
                pos += 1
                self._spans.setdefault(inside.path, (inside.start, pos, inside.kind))
                state = "after"
                continue
            if state in ("first", "next"):
                if inside.kind == "array":
                    path = inside.path + (inside.count,)
                    self._set(path, pos)
                    state = "value"
                    continue
                at = pos
                parts, pos = self._key(pos)
                pos = self._skip(pos, newlines=False)
                if not parts or not text.startswith("=", pos):
                    return self._eol(pos)
                path = self._define(inside.path, parts, at)
                pos += 1
                state = "value"
                continue
            return self._eol(pos)  # something TOML does not allow here
        return pos
