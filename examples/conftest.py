"""The examples are third-party plugins, not part of WebMACS: the development environment does not
install them (so ``./wm demo`` and ``./wm serve`` show WebMACS as shipped), and their tests import
each example from its own folder instead."""

import sys
from pathlib import Path

for folder in sorted(Path(__file__).parent.glob("*/pyproject.toml")):
    sys.path.insert(0, str(folder.parent))
