"""The one exception class for bad input from the user.

A configuration, rule table, trace file or argument that cannot be used
raises a subclass of :class:`InputError` whose message names the file, the
line and what was expected; the command line prints it in one line and exits
with code 2.  Anything else that goes wrong is an internal error (exit 3).
"""

__all__ = ["InputError"]


class InputError(ValueError):
    """Bad input from the user: reported in one line, exit code 2."""
