"""`python -m webhook_desk.cli`: the same as the webhook-desk command."""

import sys

from webhook_desk.cli import main

sys.exit(main())
