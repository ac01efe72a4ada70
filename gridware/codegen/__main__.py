"""``python -m gridware.codegen WSDL -o DIR``."""

import sys

from gridware.codegen.cli import main

sys.exit(main())
