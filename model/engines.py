"""The search engines behind ``tcpcheck check --engine NAME``.

Each engine is a module with an ``explore(model, max_states=None,
progress=None, stop=None, interruptible=False, observe=None)`` function of
the same contract as :func:`tcpcheck.model.explorer.explore`: it returns an
:class:`~tcpcheck.model.explorer.Exploration` with the same states, edges,
parents and depths as the breadth-first search, so every property, report
and diagram works on it unchanged.  An engine is imported only when it is
asked for.
"""

from __future__ import annotations

import importlib

#: name -> (module, one line for --help)
ENGINES = {
    "bfs": ("tcpcheck.model.explorer", "the breadth-first search of explorer.py (the default)"),
    "dask": ("tcpcheck.model.distributed", "the same search on a Dask cluster, states partitioned by "
             "hash: TCPCHECK_DASK_SCHEDULER=tcp://host:8786, else a local cluster of "
             "TCPCHECK_DASK_WORKERS (2) processes"),
    "packed": ("tcpcheck.model.packed", "the same search on states packed into 64-bit integers, "
                                        "successors memoised per component and vectorised (millions of states)"),
}

#: Engines of ``check --engine NAME`` that run the whole check themselves (their module's
#: ``check``), not an ``explore`` for checker.py's properties: name -> (module, line for --help).
#: They are not in :data:`ENGINES`, which lists the searches (bench --scale runs those).
CHECK_ENGINES = {
    "spin": ("tcpcheck.model.spin", "SPIN on the generated Promela (needs spin and gcc): the safety "
                                    "properties only (INV1-4, STEP1, DEAD1), not reachability nor liveness; "
                                    "--spin-cores N, --bitstate"),
}

DEFAULT = "bfs"


def explore_function(name: str):
    """The ``explore`` function of engine ``name`` (one of :data:`ENGINES`).

    >>> explore_function("bfs").__module__
    'tcpcheck.model.explorer'
    """
    module, _ = ENGINES[name]
    return importlib.import_module(module).explore


def accepts(name: str, option: str) -> bool:
    """Whether engine ``name``'s explore takes the keyword ``option`` (``edges``,
    ``cores``): the benches ask it before they pass one.

    >>> accepts("packed", "cores"), accepts("bfs", "cores"), accepts("packed", "edges"), accepts("dask", "edges")
    (True, False, True, False)
    """
    import inspect

    return option in inspect.signature(explore_function(name)).parameters


def help_text() -> str:
    """The engines, a line each, for ``--help``."""
    return "\n".join(f"  {name:<8} {line}" for name, (_, line) in {**ENGINES, **CHECK_ENGINES}.items())
