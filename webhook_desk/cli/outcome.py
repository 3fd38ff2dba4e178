"""`webhook-desk outcome DELIVERY_ID`: record what happened to a delivery (seed 004's
activity outcome), as the served API's `outcomes` route does."""

from __future__ import annotations

from webhook_desk.cli.common import open_db, print_json
from webhook_desk.cli.platform import hosted_activity, print_module_answer
from webhook_desk.history import queries
from webhook_desk.services import outcomes


def _outcome(args) -> int:
    db = open_db(args)
    hosted = hosted_activity(args, db, delivery=args.delivery)
    if hosted is not None:
        from webhook_desk.platform.ecg_activity_writes import Outcome

        outcome = Outcome(args.success, args.status_code, args.error, args.raw_response)
        with hosted:
            done = hosted.record_outcome(args.delivery, outcome, args.reason)
        return print_module_answer(args, done, "The ECG module recorded the outcome")
    with db.session() as session:
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
