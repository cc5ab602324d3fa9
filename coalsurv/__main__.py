"""``python -m coalsurv``: the ``coalsurv`` command (see :mod:`coalsurv.cli`)."""

import sys

from coalsurv.cli import main

if __name__ == "__main__":
    sys.exit(main())
