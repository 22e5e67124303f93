"""`python -m tokenprobs.cli`: the `tokenprobs` command."""

import sys

from tokenprobs.cli import main

sys.exit(main())
