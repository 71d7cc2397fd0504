"""tcpcheck's Python API (``import tcpcheck``) and ``python -m tcpcheck``.

The command line's packages are ``tcpcheck.model``, ``tcpcheck.proofs`` and
``tcpcheck.diagrams``; this package is what a notebook or script imports.
"""
