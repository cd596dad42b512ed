"""``python -m sparseimg``: the workspace's command line (see :mod:`sparseimg.workspace.cli`)."""

import sys

from sparseimg.workspace.cli import main

if __name__ == "__main__":
    sys.exit(main())
