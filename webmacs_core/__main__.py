import sys

from webmacs_core.cli import main

sys.exit(main())
