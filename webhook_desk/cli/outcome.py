"""`webhook-desk outcome DELIVERY_ID`: record what happened to a delivery (seed 004's
activity outcome), as the served API's `outcomes` route does."""

from __future__ import annotations

from webhook_desk.cli.common import open_db, print_json
from webhook_desk.history import queries
from webhook_desk.services import outcomes


def _outcome(args) -> int:
    with open_db(args).session() as session:
        attempt = outcomes.record_outcome(
            session,
            args.delivery,
            args.success,
            args.status_code,
            args.error,
            args.raw_response,
            reason=args.reason,
        )
        delivery = queries.as_dict(attempt.delivery)
    if args.json:
        print_json(delivery)
    else:
        shown = f"{delivery['delivery_id']} is {delivery['status']}"
        print(f"Delivery {shown} (attempt {attempt.number}).")
    return 0
