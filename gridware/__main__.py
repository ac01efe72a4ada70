"""``python -m gridware`` is the ``gridware`` command."""

import sys

from gridware.clients.cli import main

sys.exit(main())
