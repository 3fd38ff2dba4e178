"""The command line's grammar: every verb, its options and its help, and nothing heavier than
argparse. A verb names its handler as "module:function" (a module of webhook_desk.cli); only
the module of the verb that runs is imported, so `--version` and `VERB --help` answer without
loading the database, HTTP or Qt layers (tests/test_startup_imports.py holds that).

Words such as statuses, auth types, modes and formats are not `choices` here: the service
that takes them checks them and says what is allowed, in one place for the CLI, GUI and API.
"""

from __future__ import annotations

import argparse

from webhook_desk import __version__
from webhook_desk.settings import RECEIVER_DEFAULT_HOST, RECEIVER_DEFAULT_PORT
from webhook_desk.vocabulary import AuthType, DeliveryStatus

MOCK_API_DEFAULT_PORT = 8790


def parser() -> argparse.ArgumentParser:
    """The whole command line; a verb's parsed args carry `handler` ("module:function")."""
    top = argparse.ArgumentParser(
        prog="webhook-desk", description="Register, fire, receive and analyse webhooks."
    )
    top.add_argument("--version", action="version", version=f"webhook-desk {__version__}")
    add_db_option(top)
    top.add_argument(
        "--self-test",
        action="store_true",
        help="open the window offscreen, check database, catalog and keyring, and exit",
    )
    top.add_argument(
        "--install-desktop-entry",
        action="store_true",
        help="add webhook-desk to the desktop's menu (a freedesktop .desktop file and icon "
        "under XDG_DATA_HOME) and exit",
    )
    subparsers = top.add_subparsers(dest="verb", metavar="VERB")
    for add_group in GROUPS:
        add_group(subparsers)
    return top


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        default=argparse.SUPPRESS,
        metavar="URL",
        help="database URL (default: WEBHOOK_DESK_DB or the user's SQLite file)",
    )


def add_verb(subparsers, name: str, help_text: str, handler: str) -> argparse.ArgumentParser:
    """Add a verb run by `handler` ("module:function"); its parser also takes --db, so that
    may come after the verb too."""
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    add_db_option(parser)
    parser.set_defaults(handler=handler)
    return parser


def one_of(words) -> str:
    """'a, b or c': the words a service accepts, for a help text."""
    *others, last = [str(word) for word in words]
    return f"{', '.join(others)} or {last}"


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def add_reason_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reason", help="why, for the audit trail")


ECG_MIRROR_URL = (
    "an ECG mirror's module API, as given to `sync ecg`: the change is made there first"
)


def add_keep_mine_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--keep-mine",
        action="store_true",
        help="an ECG mirror: make the change even where the module changed it since the last "
        "sync (it still fails if the module changes it again meanwhile)",
    )


ECG_CATALOG_URL = "an ECG module's API: the change is made in its catalog first, then here"


def _registrations(subparsers) -> None:
    parser = subparsers.add_parser("registrations", help="manage webhook registrations")
    verbs = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = add_verb(verbs, "list", "list registrations", "registrations:_list")
    listing.add_argument("--all", action="store_true", help="include archived registrations")
    add_json_option(listing)

    show = add_verb(verbs, "show", "show one registration", "registrations:_show")
    show.add_argument("id")
    add_json_option(show)

    _registrations_add(verbs)

    edit = add_verb(verbs, "edit", "change a registration's TLS for sending", "registrations:_edit")
    edit.add_argument("id")
    add_tls_options(edit, removable=True)
    add_reason_option(edit)

    for verb in ("enable", "disable", "archive", "restore"):
        p = add_verb(verbs, verb, f"{verb} a registration", "registrations:_set_status")
        p.add_argument("id")
        add_reason_option(p)
        p.set_defaults(status_action=verb)
        add_platform_options(p, required=False, url_help=ECG_MIRROR_URL)
        add_keep_mine_option(p)

    delete = add_verb(
        verbs, "delete", "delete a registration and its secrets", "registrations:_delete"
    )
    delete.add_argument("id")
    add_reason_option(delete)
    add_platform_options(delete, required=False, url_help=ECG_MIRROR_URL)

    patch = add_verb(verbs, "patch", "change a registration by JSON Patch (RFC 6902)",
                     "registrations:_patch")  # fmt: skip
    patch.add_argument("id")
    patch.add_argument("--json-patch", required=True, metavar="FILE", help="the patch; - = stdin")
    add_platform_options(patch, required=False, url_help=ECG_MIRROR_URL)
    add_keep_mine_option(patch)
    add_reason_option(patch)

    rotate = add_verb(verbs, "rotate-secret", "start a new secret version", "registrations:_rotate")
    rotate.add_argument("id")
    rotate.add_argument(
        "--secret-stdin",
        action="store_true",
        help="read the new secret (default: a new one is made; an ECG mirror's by the module)",
    )
    rotate.add_argument(
        "--grace-hours",
        type=float,
        default=24.0,
        help="how long the previous secret stays valid (default 24)",
    )
    add_reason_option(rotate)
    add_json_option(rotate)
    add_platform_options(rotate, required=False, url_help=ECG_MIRROR_URL)

    secrets = add_verb(
        verbs,
        "secrets",
        "list the secret versions by fingerprint (an ECG mirror's: the module's history)",
        "registrations:_secrets",
    )
    secrets.add_argument("id")
    add_json_option(secrets)
    add_platform_options(secrets, required=False, url_help="an ECG mirror's module API")

    copy = add_verb(
        verbs, "copy", "make a local registration of a platform mirror", "registrations:_copy"
    )
    copy.add_argument("id")
    add_reason_option(copy)
    add_json_option(copy)

    validate = add_verb(
        verbs, "validate", "run the validation handshake now", "delivery:validate_handler"
    )
    validate.add_argument("id")
    add_json_option(validate)


def add_tls_options(parser: argparse.ArgumentParser, removable: bool) -> None:
    """The client certificate presented and the authorities trusted; a passphrase is asked
    on a terminal or read from an environment variable, never given on the command line."""
    tls = parser.add_argument_group("TLS for sending")
    client = tls.add_mutually_exclusive_group()
    client.add_argument("--client-cert", metavar="FILE", help="client certificate (PEM)")
    client.add_argument("--pkcs12", metavar="FILE", help="client certificate and key (PKCS#12)")
    tls.add_argument("--client-key", metavar="FILE", help="its key (PEM), if not in the cert file")
    tls.add_argument(
        "--passphrase-env", metavar="NAME", help="environment variable holding the passphrase"
    )
    authorities = tls.add_mutually_exclusive_group()
    authorities.add_argument(
        "--ca-bundle", metavar="FILE", help="trust these CAs (PEM) instead of the system's"
    )
    if removable:
        client.add_argument(
            "--no-client-cert", action="store_true", help="present no client certificate"
        )
        authorities.add_argument(
            "--no-ca-bundle", action="store_true", help="trust the system's CAs again"
        )


def _registrations_add(verbs) -> None:
    add = add_verb(verbs, "add", "add a registration (prints its id)", "registrations:_add")
    add.add_argument("--url", required=True)
    add.add_argument(
        "--api-url",
        help="make it an ECG module's subscription of --organization there, mirrored here",
    )
    add.add_argument(
        "--token-stdin", action="store_true", help="with --api-url: read the module's API token"
    )
    scope = add.add_mutually_exclusive_group()
    scope.add_argument("--study", dest="study_id")
    scope.add_argument("--organization", "--organisation", dest="organization_id")
    add.add_argument("--events", help="comma-separated event codes (default: all of the module)")
    add.add_argument("--event-version", default="v1")
    add.add_argument("--name", default="")
    add.add_argument("--auth", default="none", help=one_of(AuthType))
    add.add_argument(
        "--secret-stdin",
        action="store_true",
        help="read the HMAC or whsec_ secret from standard input",
    )
    add.add_argument("--username", help="Basic auth user; the password is read from stdin")
    add.add_argument("--token-url", help="OAuth2 token endpoint")
    add.add_argument("--client-id", help="OAuth2 client id; the client secret is read from stdin")
    add.add_argument("--scope", dest="oauth_scope", help="OAuth2 scope")
    add.add_argument(
        "--development", action="store_true", help="a development registration (plain http allowed)"
    )
    add.add_argument(
        "--retry-schedule",
        help="waits between tries, e.g. 5s,5m,30m, or centrepoint (the platform's own)",
    )
    add_tls_options(add, removable=False)
    add_reason_option(add)
    add_json_option(add)


def _events(subparsers) -> None:
    parser = subparsers.add_parser("events", help="browse the event catalog")
    verbs = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = add_verb(verbs, "list", "list event types", "events:_list")
    add_json_option(listing)

    categories = add_verb(verbs, "categories", "list event categories", "events:_categories")
    add_json_option(categories)

    show = add_verb(verbs, "show", "show an event's schema and samples", "events:_show")
    show.add_argument("code")
    show.add_argument("--version", help="an event version such as v2 (default: the newest)")
    add_json_option(show)

    check = add_verb(
        verbs, "validate", "check a payload against an event's schema", "events:_validate"
    )
    check.add_argument("code")
    check.add_argument("--version", help="an event version (default: the newest)")
    check.add_argument("--payload", default="-", metavar="FILE", help="JSON file, or - for stdin")

    for action in ("activate", "deactivate", "archive", "restore"):
        verb = add_verb(
            verbs,
            action,
            f"{action} an event (or, with --category, a category)",
            "events:_set_status",
        )
        verb.add_argument("code")
        verb.add_argument("--category", action="store_true", help="CODE names a category")
        verb.add_argument("--version", help="only this version of the event (default: all)")
        add_reason_option(verb)
        verb.set_defaults(status_action=action)
        add_platform_options(verb, required=False, url_help=ECG_CATALOG_URL)

    _catalog_edits(verbs)


def _catalog_edits(verbs) -> None:
    create = add_verb(
        verbs, "create", "add an event (or, with --category, a category)", "catalog_edits:_create"
    )
    update = add_verb(verbs, "update", "change an event (or a category)", "catalog_edits:_update")
    delete = add_verb(
        verbs, "delete", "delete an event version (or a category)", "catalog_edits:_delete"
    )
    for verb in (create, update, delete):
        verb.add_argument("code")
        verb.add_argument("--category", action="store_true", help="CODE names a category")
        verb.add_argument("--version", help="the event's version, e.g. v1")
        add_reason_option(verb)
        add_json_option(verb)
        add_platform_options(verb, required=False, url_help=ECG_CATALOG_URL)
    for verb in (create, update):
        verb.add_argument("--name", required=verb is create, help="the name people read")
        verb.add_argument("--description")
        verb.add_argument("--schema", metavar="FILE", help="the event's JSON Schema (- = stdin)")
    create.add_argument("--in", dest="within", metavar="CATEGORY", help="the new event's category")
    create.add_argument("--module", default="ecg", help="a new category's module (default ecg)")
    update.add_argument("--new-code", help="rename it")
    update.add_argument("--new-version", help="renumber an event version")

    samples = verbs.add_parser("samples", help="manage an event's sample payloads")
    actions = samples.add_subparsers(dest="sample_action", metavar="ACTION", required=True)
    for action in ("add", "update", "delete"):
        verb = add_verb(actions, action, f"{action} a sample payload", "catalog_edits:_sample")
        verb.add_argument("code")
        verb.add_argument("name", help="the sample's name, e.g. ack")
        verb.add_argument("--version", required=True, help="the event's version, e.g. v1")
        if action != "delete":
            verb.add_argument("--payload", required=True, metavar="FILE", help="JSON, - = stdin")
        add_reason_option(verb)
        add_platform_options(verb, required=False, url_help=ECG_CATALOG_URL)


def _audit(subparsers) -> None:
    parser = add_verb(subparsers, "audit", "list the audit trail, newest first", "audit:_audit")
    parser.add_argument("--limit", type=int, default=None, help="at most this many entries")
    add_json_option(parser)
    actions = parser.add_subparsers(dest="audit_action", metavar="ACTION")
    verify = add_verb(
        actions, "verify", "check the audit chain (exit 1 at the first break)", "audit:_verify"
    )
    verify.add_argument(
        "--against", metavar="EXPORT.csv", help="also check a filed export's head is in the chain"
    )
    add_json_option(verify)
    export = add_verb(
        actions, "export", "write the trail with its head hash, for filing", "audit:_export"
    )
    export.add_argument("--output", required=True, metavar="FILE.csv|.pdf")


def _health(subparsers) -> None:
    parser = add_verb(subparsers, "health", "check the database and the keyring", "health:_health")
    add_json_option(parser)


def _demo(subparsers) -> None:
    parser = add_verb(
        subparsers, "demo", "add demo registrations and synthetic history", "demo:_demo"
    )
    parser.add_argument(
        "--deliveries",
        type=int,
        default=1000,
        help="how many history records to generate (default 1000)",
    )


def _delivery(subparsers) -> None:
    fire = add_verb(
        subparsers, "fire", "queue deliveries of an event (the engine sends them)", "delivery:_fire"
    )
    fire.add_argument("event", metavar="EVENT")
    target = fire.add_mutually_exclusive_group(required=True)
    target.add_argument("--to", metavar="REG_ID", help="a registration")
    target.add_argument("--url", help="an ad-hoc URL (no registration, no auth)")
    fire.add_argument("--payload", metavar="FILE|-", help="the JSON body (default: the sample)")
    fire.add_argument("--count", type=int, default=1, help="how many deliveries (default 1)")
    fire.add_argument(
        "--no-validate", action="store_true", help="send a payload that breaks the schema anyway"
    )
    fire.add_argument(
        "--sign-with",
        metavar="REG_ID|throwaway",
        help="with --url: sign as that registration does, or with the throwaway secret the "
        "built-in receiver knows (default: unsigned)",
    )
    add_json_option(fire)
    add_reason_option(fire)
    add_platform_options(fire, required=False, url_help=ECG_MIRROR_URL)

    deliver = add_verb(subparsers, "deliver", "run the delivery engine", "delivery:_deliver")
    deliver.add_argument(
        "--until-idle", action="store_true", help="stop when nothing is due (default: run on)"
    )
    deliver.add_argument("--workers", type=int, default=4, help="sending threads (default 4)")
    deliver.add_argument(
        "--connect-timeout", type=float, default=5.0, help="seconds to connect (default 5)"
    )
    deliver.add_argument(
        "--timeout", type=float, default=15.0, help="seconds for a whole request (default 15)"
    )
    deliver.add_argument(
        "--retry-schedule",
        metavar="WAITS",
        help="retries of registrations without their own schedule and of ad-hoc deliveries "
        "(default 5s,5m,30m,2h,5h,10h,10h)",
    )
    deliver.add_argument("--quiet", action="store_true", help="print only the summary")

    resend = add_verb(subparsers, "resend", "queue deliveries again", "delivery:_resend")
    resend.add_argument("delivery", nargs="?", metavar="DELIVERY_ID")
    resend.add_argument(
        "--all-matching", action="store_true", help="every delivery the history filters match"
    )
    resend.add_argument("--dry-run", action="store_true", help="only say how many would go")
    resend.add_argument(
        "--edit", metavar="PAYLOAD_FILE|-", help="resend one delivery with this payload instead"
    )
    resend.add_argument(
        "--no-validate",
        action="store_true",
        help="with --edit: send a payload that breaks the schema",
    )
    resend.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="with --edit: a header to send over the platform's (repeat for more)",
    )
    retarget = resend.add_mutually_exclusive_group()
    retarget.add_argument("--to", metavar="REG_ID", help="with --edit: another registration")
    retarget.add_argument("--url", help="with --edit: an ad-hoc URL")
    add_reason_option(resend)
    add_filter_options(resend)
    add_json_option(resend)
    add_platform_options(resend, required=False, url_help=ECG_MIRROR_URL)


def _diff(subparsers) -> None:
    diff = add_verb(subparsers, "diff", "compare two requests: headers, body, answer", "diff:_diff")
    diff.add_argument("a", metavar="A", help="DELIVERY (number or id), attempt:ID or capture:ID")
    diff.add_argument("b", metavar="B")
    add_json_option(diff)


def _history(subparsers) -> None:
    history = add_verb(subparsers, "history", "list deliveries, newest first", "history:_history")
    add_filter_options(history)
    history.add_argument("--limit", type=int, default=100, help="how many (default 100)")
    history.add_argument(
        "--sort",
        metavar="COLUMN[:desc]",
        help="status, code, event, … (default created:desc)",
    )
    add_json_option(history)

    export = add_verb(
        subparsers, "export", "write the deliveries a filter selects to a file", "history:_export"
    )
    add_filter_options(export)
    export.add_argument("--format", required=True, help="csv, xlsx, ndjson, v3 or v1")
    export.add_argument("--output", required=True, metavar="FILE")
    export.add_argument(
        "--attempts", action="store_true", help="csv/xlsx/ndjson: one row per attempt"
    )
    export.add_argument(
        "--pseudonymise",
        action="store_true",
        help="replace identifying fields by keyed pseudonyms (salts in the OS keyring)",
    )

    imports = add_verb(
        subparsers, "import", "add CentrePoint v3 history pages or v1 records", "history:_import"
    )
    imports.add_argument("file", metavar="FILE")
    add_json_option(imports)


def add_filter_options(parser) -> None:
    """The History tab's filters, shared by `history`, `resend --all-matching` and exports."""
    parser.add_argument("--study")
    parser.add_argument("--subject", help="subjectId / subject_id in the payload")
    parser.add_argument("--registration", metavar="ID")
    parser.add_argument("--event")
    parser.add_argument("--status", help=one_of(DeliveryStatus))
    parser.add_argument("--include-codes", metavar="CODES", help="e.g. 2xx,404")
    parser.add_argument("--exclude-codes", metavar="CODES")
    parser.add_argument("--since", metavar="T", help="ISO 8601; without offset: local time")
    parser.add_argument("--until", metavar="T", help="a date alone: to the end of that day")
    parser.add_argument("--text", metavar="WORDS", help="words within the payload")


def _payload_hash(subparsers) -> None:
    parser = subparsers.add_parser("payload-hash", help="the ECG module's payload hash")
    verbs = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    generate = add_verb(
        verbs, "generate", "hash a payload and its creation time", "payload_hash:_generate"
    )
    validate = add_verb(
        verbs, "validate", "check a payload hash (exit 1 if it differs)", "payload_hash:_validate"
    )
    for p in (generate, validate):
        p.add_argument("--payload", required=True, metavar="FILE", help="the JSON payload")
        p.add_argument(
            "--secret-stdin",
            action="store_true",
            required=True,
            help="read the secret from standard input",
        )
        add_json_option(p)
    generate.add_argument("--created-at", type=int, help="Unix seconds (default: now)")
    validate.add_argument("--created-at", type=int, required=True, help="Unix seconds")
    validate.add_argument("--hash", required=True, help="the 64 hex digits to check")
    get = add_verb(
        verbs, "get", "the hash of what a delivery carried (its secret)", "payload_hash:_get"
    )
    get.add_argument("delivery", metavar="DELIVERY_ID", help="a delivery's number or UUID")
    add_json_option(get)

    outcome = add_verb(
        subparsers, "outcome", "record what happened to a delivery", "outcome:_outcome"
    )
    outcome.add_argument("delivery", metavar="DELIVERY_ID", help="a delivery's number or UUID")
    result = outcome.add_mutually_exclusive_group(required=True)
    result.add_argument("--success", dest="success", action="store_true", default=None)
    result.add_argument("--failure", dest="success", action="store_false")
    outcome.add_argument("--status-code", type=int, help="the HTTP status the receiver answered")
    outcome.add_argument("--error", help="what went wrong")
    outcome.add_argument("--raw-response", help="the receiver's answer, as text")
    add_reason_option(outcome)
    add_json_option(outcome)
    add_platform_options(outcome, required=False, url_help=ECG_MIRROR_URL)


def _receive(subparsers) -> None:
    receive = add_verb(subparsers, "receive", "run the built-in test receiver", "receive:_receive")
    receive.add_argument("--host", default=RECEIVER_DEFAULT_HOST, help="default 127.0.0.1")
    receive.add_argument("--port", type=int, default=RECEIVER_DEFAULT_PORT, help="default 8787")
    receive.add_argument(
        "--mode", default="ok", help="how to answer: ok (default), fail, delay, flaky or timeout"
    )
    receive.add_argument(
        "--status", type=int, default=500, help="status for fail and flaky (default 500)"
    )
    receive.add_argument(
        "--delay-ms",
        type=int,
        help="delay: wait before answering (default 1000); timeout: how long to hold (30000)",
    )
    receive.add_argument("--failure-rate", type=float, default=0.5, help="flaky: 0 to 1")
    receive.add_argument(
        "--secret-stdin",
        action="store_true",
        help="read secrets to check, one a line; hmac:VALUE or standard-webhooks:VALUE names "
        "the scheme (default: whsec_... is Standard Webhooks, anything else HMAC)",
    )
    receive.add_argument(
        "--require-signature", action="store_true", help="answer 401 to a bad or missing one"
    )
    receive.add_argument(
        "--fail-validation", action="store_true", help="do not echo the handshake secret"
    )
    receive.add_argument("--inbox-limit", type=int, help="requests kept (default 10,000)")
    receive.add_argument(
        "--tls",
        action="store_true",
        help="serve HTTPS with a localhost certificate from the app's own CA (made on first use)",
    )
    receive.add_argument("--cert", metavar="FILE", help="serve HTTPS with this PEM certificate")
    receive.add_argument("--key", metavar="FILE", help="the --cert's PEM key (unencrypted)")
    receive.add_argument(
        "--require-client-cert",
        action="store_true",
        help="mTLS: a request without a client certificate gets 403; one from another "
        "authority fails the TLS handshake",
    )
    receive.add_argument(
        "--client-ca",
        metavar="FILE",
        help="with --require-client-cert: the PEM CA(s) to trust (default: the app's local CA)",
    )
    actions = receive.add_subparsers(dest="receive_action", metavar="ACTION")
    issue = add_verb(
        actions,
        "issue-client-cert",
        "issue a client certificate from the app's local CA (for a registration to present)",
        "receive:_issue_client_cert",
    )
    issue.add_argument("--name", required=True, help="its common name, and its files' name")
    issue.add_argument("--out", required=True, metavar="DIR", help="write NAME.pem, NAME-key.pem")
    issue.add_argument(
        "--print-passphrase",
        action="store_true",
        help="print the key's passphrase once (it is kept in the keyring either way)",
    )

    listing = add_verb(subparsers, "inbox", "list what the receiver captured", "inbox:_inbox")
    listing.add_argument("--limit", type=int, default=50, help="newest N (default 50)")
    add_json_option(listing)


def _platform(subparsers) -> None:
    mock = add_verb(
        subparsers,
        "mock-api",
        "serve the platform's webhook APIs (CentrePoint v3/v1, ECG module) for testing",
        "mock_api:_mock_api",
    )
    add_switch_options(mock)
    mock.add_argument("--token", help="the bearer token clients must send (default: a new one)")
    mock.add_argument(
        "--demo-deliveries",
        type=int,
        default=1000,
        help="without --db: how many demo deliveries to serve (default 1000)",
    )

    parser = subparsers.add_parser("sync", help="pull registrations and history from the platform")
    kinds = parser.add_subparsers(dest="platform", metavar="PLATFORM", required=True)
    centrepoint = add_verb(
        kinds, "centrepoint", "a CentrePoint study's webhooks and history", "platform:_sync"
    )
    centrepoint.add_argument("--study", required=True, help="the CentrePoint study id")
    centrepoint.add_argument("--since", help="only history sent on or after this time (UTC)")
    ecg = add_verb(
        kinds, "ecg", "the ECG module's catalog, subscriptions and activity", "platform:_sync"
    )
    ecg.add_argument("--organization", "--organisation", dest="organization", required=True)
    ecg.add_argument(
        "--changes-only",
        action="store_true",
        help="only what changed since the last sync: subscriptions and new activity, not the "
        "catalog",
    )
    for verb in (centrepoint, ecg):
        add_platform_options(verb, required=True)
        add_json_option(verb)


def add_platform_options(verb, required: bool, url_help: str = "the platform API's base URL"):
    """How to reach the platform's API: its URL and the token or client credentials."""
    verb.add_argument("--api-url", required=required, help=url_help)
    verb.add_argument(
        "--token-stdin",
        action="store_true",
        help="read the API token from standard input (kept in the keyring for next time)",
    )
    verb.add_argument(
        "--client-id", help="OAuth2 client credentials: fetch and renew the token ourselves"
    )
    verb.add_argument(
        "--client-secret-stdin",
        action="store_true",
        help="read the client secret from standard input (kept in the keyring)",
    )
    verb.add_argument("--token-url", help="the token endpoint (default: API_URL/connect/token)")
    verb.add_argument("--scope", default="CentrePoint", help="default: CentrePoint")


def add_switch_options(parser) -> None:
    """Where to listen and how slow or flaky to be: serve's and mock-api's options."""
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=MOCK_API_DEFAULT_PORT)
    parser.add_argument("--latency-ms", type=int, default=0, help="delay every answer")
    parser.add_argument("--failure-rate", type=float, default=0.0, help="share answered 503")
    parser.add_argument("--rate-limit", help="requests per second, e.g. 20/s; more get 429")


def _serve(subparsers) -> None:
    serve = add_verb(
        subparsers,
        "serve",
        "serve every route of the ECG module and CentrePoint v3/v1 over this database",
        "serve:_serve",
    )
    add_switch_options(serve)
    actions = serve.add_subparsers(dest="serve_action", metavar="ACTION")
    token = add_verb(actions, "token", "print a bearer token for serve", "serve:_token")
    token.add_argument("--expires", default="8h", help="how long it is valid (default 8h)")
    token.add_argument("--subject", help="who it stands for in the audit (default: user@host)")


def _erase_subject(subparsers) -> None:
    erase = add_verb(
        subparsers,
        "erase-subject",
        "erase a study participant's payloads, bodies and captures everywhere, with proof",
        "erasure:_erase",
    )
    erase.add_argument("--study", required=True)
    erase.add_argument("--subject", required=True, help="the participant's identifier")
    erase.add_argument("--reason", help="why, for the audit trail (e.g. the request's reference)")
    erase.add_argument(
        "--certificate", metavar="FILE.json", help="write the erasure certificate here"
    )
    erase.add_argument("--dry-run", action="store_true", help="only count what would go")
    add_json_option(erase)


def _retention(subparsers) -> None:
    parser = subparsers.add_parser("retention", help="how long history is kept, and the purge")
    verbs = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = add_verb(verbs, "show", "list the retention policies", "retention:_show")
    add_json_option(show)
    policy = add_verb(
        verbs, "set", "set a study's (or the default) retention policy", "retention:_set"
    )
    policy.add_argument("--study", help="the study (default: the policy for every other study)")
    policy.add_argument("--payload-days", type=int, help="keep payloads and bodies this long")
    policy.add_argument("--metadata-days", type=int, help="keep delivery records this long")
    add_reason_option(policy)
    purge = add_verb(verbs, "purge", "apply the policies now", "retention:_purge")
    purge.add_argument("--dry-run", action="store_true", help="only count what would go")
    add_reason_option(purge)
    add_json_option(purge)


def _check_endpoint(subparsers) -> None:
    check = add_verb(
        subparsers,
        "check-endpoint",
        "check a receiving endpoint as the platform will use it, with a dated evidence report",
        "endpoint_check:_check",
    )
    check.add_argument("registration", nargs="?", metavar="REG_ID")
    check.add_argument("--url", help="an endpoint with no registration")
    check.add_argument("--auth", default="none", help="with --url: none, hmac or standard-webhooks")
    check.add_argument("--secret-stdin", action="store_true", help="with --url: read the secret")
    check.add_argument("--report", metavar="FILE.html|.pdf", help="write the evidence report")
    check.add_argument("--yes", action="store_true", help="confirm the target without asking")
    check.add_argument("--timeout", type=float, default=15.0, help="seconds a request may take")
    check.add_argument("--verify-report", metavar="FILE", help="check a filed report, send nothing")
    add_json_option(check)


GROUPS = [
    _registrations,
    _events,
    _audit,
    _health,
    _demo,
    _delivery,
    _diff,
    _erase_subject,
    _check_endpoint,
    _retention,
    _history,
    _payload_hash,
    _receive,
    _platform,
    _serve,
]
