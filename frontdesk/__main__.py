"""`python -m frontdesk ...`: the same as the `frontdesk` command."""
import sys

from .cli import main

sys.exit(main())
