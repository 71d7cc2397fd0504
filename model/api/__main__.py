"""``python -m tcpcheck``: the same command line as ``tcpcheck``."""

import sys

from tcpcheck.model.cli import main

sys.exit(main())
