"""C kernels, compiled by gcc once into the cache folder and loaded through ctypes.

The packed engine's expansion (model/packed.py) and liveness's strong
components (model/liveness.py) each have a few loops that numpy cannot write
without copies.  Their C source is a string in the module that uses it;
:func:`load` compiles it with ``gcc -O2`` the first time (a few hundred
milliseconds), keeps the shared library in the cache folder under a name
that holds the source's hash (so an edited source is built again), and loads
it.  Where there is no C compiler, or it fails, :func:`load` gives None and
the caller runs its numpy or scipy passes instead, with the same result.

The cache folder is ``$TCPCHECK_CACHE``, else ``$XDG_CACHE_HOME/tcpcheck`` or
``~/.cache/tcpcheck``; ``TCPCHECK_CACHE=off`` builds into a temporary folder
each time (the tests use it).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile

__all__ = ["load"]


def load(name: str, source: str) -> ctypes.CDLL | None:
    """The library ``name`` built from C ``source``, or None without a working compiler."""
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        return None
    where = os.environ.get("TCPCHECK_CACHE")
    if where != "off":
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        where = where or os.path.join(base, "tcpcheck")
    file = f"{name}-{hashlib.sha256(source.encode()).hexdigest()[:16]}.so"
    path = os.path.join(where, file) if where != "off" else None
    if path is not None and os.path.exists(path):
        try:
            return ctypes.CDLL(path)
        except OSError:  # a damaged file: built again
            pass
    tmp = tempfile.mkdtemp(prefix="tcpcheck-kernel-")
    try:
        src, out = os.path.join(tmp, "kernel.c"), os.path.join(tmp, file)
        with open(src, "w") as f:
            f.write(source)
        if subprocess.run([cc, "-O2", "-shared", "-fPIC", "-o", out, src], capture_output=True).returncode:
            return None
        lib = ctypes.CDLL(out)
        if path is not None:
            try:
                os.makedirs(where, exist_ok=True)
                os.replace(out, path)  # atomic: concurrent builds leave one whole file
            except OSError:
                pass
        return lib
    except OSError:
        return None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # a loaded library stays mapped
