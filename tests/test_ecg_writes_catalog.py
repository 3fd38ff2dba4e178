"""Managing the ECG module's catalog from the desk (categories, events, sample payloads): each
change is made in the module's catalog first (`webhook-desk serve` in its own process, its own
database), then in the desk's, audited with the module's id; a refusal changes neither."""

import pytest
from ecg_module import served_module

from webhook_desk.db.models import AuditEntry
from webhook_desk.errors import NotFound, UserError
from webhook_desk.platform.ecg_catalog_writes import EcgCatalogWrites
from webhook_desk.services import catalog

module = pytest.fixture(scope="module")(served_module)
SCHEMA = {"type": "object", "required": ["reading"]}


def _both(module, db, read):
    """`read(session)` over the module's catalog and over the desk's."""
    with module.db.session() as theirs, db.session() as ours:
        return read(theirs), read(ours)


def _category(code):
    return lambda session: catalog.category_as_dict(catalog.get_category(session, code))


def _event(code):
    def read(session):
        event = catalog.get_event(session, code, "v1")
        return {
            "name": event.name,
            "schema": event.json_schema,
            "samples": {s.name: s.payload for s in event.samples},
        }

    return read


def test_a_category_made_on_the_desk_is_made_on_the_module_first(module, catalog_db, cli):
    made = cli("events", "create", "lab", "--category", "--name", "Lab results", "--description",
               "From the site lab", "--api-url", module.url, "--token-stdin", "--reason",
               "new site", "--json", db=catalog_db, stdin=module.token)  # fmt: skip

    assert made.code == 0, made.err
    theirs, ours = _both(module, catalog_db, _category("lab"))
    assert (theirs["name"], theirs["description"]) == ("Lab results", "From the site lab")
    assert (ours["name"], ours["description"]) == ("Lab results", "From the site lab")
    with catalog_db.session() as session:
        entry = session.query(AuditEntry).filter_by(action="category.create").one()
        assert entry.reason.startswith("new site; sent to ECG category ")
        assert module.url in entry.reason

    renamed = cli("events", "update", "lab", "--category", "--name", "Lab", "--api-url",
                  module.url, db=catalog_db)  # fmt: skip
    assert renamed.code == 0, renamed.err
    assert "updated, on the ECG module and here" in renamed.out
    theirs, ours = _both(module, catalog_db, _category("lab"))
    assert theirs["name"] == ours["name"] == "Lab"


def test_events_and_samples_are_managed_on_the_module_then_here(module, catalog_db):
    with EcgCatalogWrites(catalog_db, module.client()) as writes:
        writes.create_category("vitals-extra", "Extra vitals")
        writes.create_event("vitals-extra", "bp.created", "v1", "Blood pressure", schema=SCHEMA)
        writes.update_event("bp.created", "v1", {"name": "Blood pressure taken"}, "clearer")
        writes.change_sample("add", "bp.created", "v1", "ack", {"reading": 120})
        writes.change_sample("update", "bp.created", "v1", "ack", {"reading": 135})

        theirs, ours = _both(module, catalog_db, _event("bp.created"))
        assert (
            theirs
            == ours
            == {
                "name": "Blood pressure taken",
                "schema": SCHEMA,
                "samples": {"ack": {"reading": 135}},
            }
        )

        writes.change_sample("delete", "bp.created", "v1", "ack")
        assert _both(module, catalog_db, _event("bp.created"))[0]["samples"] == {}
        writes.delete_event("bp.created", "v1", "retired")
        writes.delete_category("vitals-extra")

    for side in (module.db, catalog_db):
        with side.session() as session, pytest.raises(NotFound):
            catalog.get_category(session, "vitals-extra")
    with catalog_db.session() as session:
        entry = session.query(AuditEntry).filter_by(action="event.update").one()
        assert entry.reason.startswith("clearer; sent to ECG event ")


def test_a_catalog_change_the_module_refuses_changes_neither_side(module, catalog_db, cli):
    refused = cli("events", "create", "refused", "--category", "--name", "Refused", "--api-url",
                  module.url, "--token-stdin", db=catalog_db, stdin="not-the-token")  # fmt: skip

    assert refused.code != 0 and len(refused.err.strip().splitlines()) == 1
    assert "refused the API token" in refused.err and "nothing was changed here" in refused.err
    for side in (module.db, catalog_db):
        with side.session() as session, pytest.raises(NotFound):
            catalog.get_category(session, "refused")


def test_an_event_the_desk_lacks_is_not_changed_on_the_module(module, catalog_db):
    with EcgCatalogWrites(catalog_db, module.client()) as writes:
        writes.create_category("side", "Side")
        writes.create_event("side", "only.there", "v1", "Only on the module")
    with catalog_db.session() as session:
        session.delete(catalog.get_event(session, "only.there", "v1"))

    with pytest.raises(UserError):
        EcgCatalogWrites(catalog_db, module.client()).update_event(
            "only.there", "v1", {"name": "Renamed"}
        )

    with module.db.session() as session:
        assert catalog.get_event(session, "only.there", "v1").name == "Only on the module"


def test_statuses_change_on_the_module_then_here(module, catalog_db, cli):
    with EcgCatalogWrites(catalog_db, module.client()) as writes:
        writes.create_category("statuses", "Statuses")
        writes.create_event("statuses", "st.created", "v1", "Status test")

    paused = cli("events", "deactivate", "st.created", "--version", "v1", "--api-url",
                 module.url, "--token-stdin", "--reason", "paused", db=catalog_db,
                 stdin=module.token)  # fmt: skip
    archived = cli("events", "archive", "statuses", "--category", "--api-url", module.url,
                   db=catalog_db)  # fmt: skip

    assert paused.code == 0 and archived.code == 0, paused.err + archived.err
    for side in (module.db, catalog_db):
        with side.session() as session:
            assert catalog.get_event(session, "st.created", "v1").status == "inactive"
            assert catalog.get_category(session, "statuses").status == "archived"
    unversioned = cli("events", "activate", "st.created", "--api-url", module.url, db=catalog_db)
    assert unversioned.code != 0 and "--version" in unversioned.err


def test_an_ecg_events_schema_is_changed_on_the_module_then_here(module, catalog_db):
    wider = {"type": "object", "required": ["reading", "unit"]}
    with EcgCatalogWrites(catalog_db, module.client()) as writes:
        writes.create_category("schemas", "Schemas")
        writes.create_event("schemas", "sc.created", "v1", "Schema test", schema=SCHEMA)

        writes.update_event("sc.created", "v1", {"json_schema": wider}, "unit is required now")

    theirs, ours = _both(module, catalog_db, _event("sc.created"))
    assert theirs["schema"] == ours["schema"] == wider


def test_a_read_the_module_refuses_says_nothing_was_changed(module, catalog_db):
    with EcgCatalogWrites(catalog_db, module.client()) as writes:
        writes.create_category("reads", "Reads")

    with pytest.raises(UserError) as refused:  # finding the category's id is refused
        EcgCatalogWrites(catalog_db, module.client(token="not-the-token")).update_category(
            "reads", {"name": "Renamed"}
        )

    assert "refused the API token" in str(refused.value)
    assert str(refused.value).endswith("; nothing was changed here.")
    assert _both(module, catalog_db, _category("reads"))[0]["name"] == "Reads"


def test_a_refusal_quotes_at_most_a_line_of_what_the_module_said(module, catalog_db):
    with EcgCatalogWrites(catalog_db, module.client()) as writes:
        writes.create_category("quotes", "Quotes")
        writes.create_event("quotes", "qu.created", "v1", "Quote test", schema=SCHEMA)
        broken = {"type": "no-such-type-" + "x" * 300}

        with pytest.raises(UserError) as refused:
            writes.update_event("qu.created", "v1", {"json_schema": broken})

    sentence = str(refused.value)
    assert "x" * 120 not in sentence and "…" in sentence  # cut after 120 characters
    assert sentence.endswith("; nothing was changed here.")
    assert _both(module, catalog_db, _event("qu.created"))[0]["schema"] == SCHEMA
