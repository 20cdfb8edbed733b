"""`python -m diagnostics …` is the `diagnostic` command."""
import sys

from .cli import main

sys.exit(main())
