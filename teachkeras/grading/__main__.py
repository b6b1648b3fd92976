"""``python -m teachkeras.grading``: see teachkeras/grading/__init__.py and docs/grading.md."""

import sys

from teachkeras.grading.cli import main

sys.exit(main())
