"""`webhook-desk events create|update|delete` and `events samples add|update|delete`: the
catalog edits the served API and the Events tab make, through services/catalog_edits.py."""

from __future__ import annotations

from webhook_desk.cli.common import open_db, print_json
from webhook_desk.cli.events import read_json_file
from webhook_desk.errors import InvalidInput
from webhook_desk.services import catalog, catalog_edits


def _done(args, label: str, document: dict | None) -> int:
    if args.json and document is not None:
        print_json(document)
    else:
        print(label)
    return 0


def _module(args):
    """The ECG module's catalog writes when --api-url names one; None for the desk's own."""
    if not args.api_url:
        return None
    from webhook_desk.cli.platform import warned_connection
    from webhook_desk.platform.ecg_catalog_writes import EcgCatalogWrites

    return EcgCatalogWrites(open_db(args), warned_connection(args))


HERE_AND_THERE = ", on the ECG module and here"
SAMPLE_DONE = {"add": "added", "update": "updated", "delete": "deleted"}


def _create_on_module(args, module) -> int:
    with module:
        if args.category:
            made = module.create_category(args.code, args.name, args.description, args.reason)
            return _done(args, f"Category {args.code} created{HERE_AND_THERE}.", made)
        if not (args.within and args.version):
            raise InvalidInput("A new event needs --in CATEGORY and --version, e.g. v1.")
        schema = read_json_file(args.schema) if args.schema else None
        event = module.create_event(
            args.within, args.code, args.version, args.name, args.description, schema,
            args.reason,
        )  # fmt: skip
    return _done(args, f"Event {args.code} {args.version} created{HERE_AND_THERE}.", event)


def _create(args) -> int:
    module = _module(args)
    if module is not None:
        return _create_on_module(args, module)
    with open_db(args).session() as session:
        if args.category:
            made = catalog_edits.create_category(
                session, args.code, args.name, args.description, args.module, args.reason
            )
            return _done(args, f"Category {made.code} created.", catalog.category_as_dict(made))
        if not (args.within and args.version):
            raise InvalidInput("A new event needs --in CATEGORY and --version, e.g. v1.")
        schema = read_json_file(args.schema) if args.schema else None
        event = catalog_edits.create_event(
            session, args.within, args.code, args.version, args.name, args.description, schema,
            args.reason,
        )  # fmt: skip
        document = catalog.event_as_dict(event)
    return _done(args, f"Event {args.code} {args.version} created.", document)


def _changes(args) -> dict:
    changes = {
        name: value
        for name, value in (
            ("code", args.new_code),
            ("name", args.name),
            ("description", args.description),
        )
        if value is not None
    }
    if not args.category:
        if args.new_version:
            changes["version"] = args.new_version
        if args.schema:
            changes["json_schema"] = read_json_file(args.schema)
    if not changes:
        raise InvalidInput("Nothing to change; give --name, --description, --new-code or more.")
    return changes


def _update(args) -> int:
    changes = _changes(args)
    module = _module(args)
    if module is not None:
        with module:
            if args.category:
                done = module.update_category(args.code, changes, args.reason)
                return _done(args, f"Category {args.code} updated{HERE_AND_THERE}.", done)
            version = _version(args)
            event = module.update_event(args.code, version, changes, args.reason)
        return _done(args, f"Event {args.code} {version} updated{HERE_AND_THERE}.", event)
    with open_db(args).session() as session:
        if args.category:
            done = catalog_edits.update_category(session, args.code, changes, args.reason)
            return _done(args, f"Category {done.code} updated.", catalog.category_as_dict(done))
        version = _version(args)
        event = catalog_edits.update_event(session, args.code, version, changes, args.reason)
        document = catalog.event_as_dict(event)
    return _done(args, f"Event {args.code} {version} updated.", document)


def _delete(args) -> int:
    module = _module(args)
    if module is not None:
        with module:
            if args.category:
                module.delete_category(args.code, args.reason)
            else:
                module.delete_event(args.code, _version(args), args.reason)
        what = "Category" if args.category else "Event"
        return _done(args, f"{what} {args.code} deleted{HERE_AND_THERE}.", None)
    with open_db(args).session() as session:
        if args.category:
            catalog_edits.delete_category(session, args.code, args.reason)
            return _done(args, f"Category {args.code} deleted.", None)
        catalog_edits.delete_event(session, args.code, _version(args), args.reason)
    return _done(args, f"Event {args.code} {args.version} deleted.", None)


def _version(args) -> str:
    if not args.version:
        raise InvalidInput("Name the event's version with --version, e.g. v1.")
    return args.version


def _sample(args) -> int:
    change = {"add": catalog_edits.add_sample, "update": catalog_edits.update_sample}
    module = _module(args)
    if module is not None:
        payload = None if args.sample_action == "delete" else read_json_file(args.payload)
        with module:
            module.change_sample(
                args.sample_action, args.code, args.version, args.name, payload, args.reason
            )
        done = SAMPLE_DONE[args.sample_action]
        print(f"Sample {args.name} of {args.code} {args.version} {done}{HERE_AND_THERE}.")
        return 0
    with open_db(args).session() as session:
        if args.sample_action == "delete":
            catalog_edits.delete_sample(session, args.code, args.version, args.name, args.reason)
        else:
            payload = read_json_file(args.payload)
            change[args.sample_action](
                session, args.code, args.version, args.name, payload, args.reason
            )
    done = SAMPLE_DONE[args.sample_action]
    print(f"Sample {args.name} of {args.code} {args.version} {done}.")
    return 0


def set_status_on_module(args) -> list:
    """`events activate|deactivate|archive|restore CODE --api-url`: on the module, then here."""
    with _module(args) as module:
        target = "category" if args.category else "event"
        return module.set_status(target, args.code, args.status_action, args.version, args.reason)
