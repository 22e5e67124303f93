"""`python -m tokenprobs`: the `tokenprobs` command (as `python -m tokenprobs.cli`)."""

import sys

from tokenprobs.cli import main

sys.exit(main())
