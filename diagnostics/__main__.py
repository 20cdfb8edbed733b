"""`python -m diagnostics …` is the `diagnostic` command."""
import sys

from .commandes import main

sys.exit(main())
