"""``python -m briefgen``: the same command as ``briefgen``."""

import sys

from briefgen.cli import main

sys.exit(main())
