"""The identifying fields and the mask rule: what a user sees in place of a participant's id,
which fields count (the catalog's subject keys until the user edits the list), and that
switching masking off or revealing an id leaves an audit entry."""

from __future__ import annotations

import json

import pytest

from webhook_desk.errors import InvalidInput
from webhook_desk.services import audit, identifying


@pytest.mark.parametrize(
    ("value", "shown"),
    [("SUBJ-2358", "•••• 2358"), (60418, "•••• 0418"), ("2358", "••••"), ("", ""), (None, "")],
)
def test_mask_hides_all_but_the_last_four_characters(value, shown):
    assert identifying.mask(value) == shown


def test_a_new_database_masks_the_catalog_subject_fields(sqlite_db):
    with sqlite_db.session() as session:
        masking = identifying.masking(session)
    assert masking.on
    assert set(identifying.DEFAULT_FIELDS) == masking.fields
    body = json.dumps({"studyId": 2207, "subjectId": 60418, "subjectIdentifier": "KNEE-0417"})
    shown = json.loads(masking.body(body) or "")
    assert shown == {"studyId": 2207, "subjectId": "•••• 0418", "subjectIdentifier": "•••• 0417"}


def test_a_field_the_user_adds_is_masked_at_any_depth(sqlite_db):
    with sqlite_db.session() as session:
        identifying.set_fields(session, identifying.names_in("subjectId, participantEmail"))
    with sqlite_db.session() as session:
        masking = identifying.masking(session)
    body = json.dumps({"people": [{"participantEmail": "ann@example.org", "subject_id": 7}]})
    assert json.loads(masking.body(body) or "") == {
        "people": [{"participantEmail": "•••• .org", "subject_id": 7}]
    }


def test_an_id_inside_another_text_is_masked_there_too(sqlite_db):
    body = json.dumps({"subject_id": 19512, "file_name": "19512_TAS1Z12345678.avro"})
    shown = json.loads(identifying.Masking().body(body) or "")
    assert shown["file_name"] == "•••• 9512_TAS1Z12345678.avro"


def test_a_bad_field_name_is_refused_with_a_sentence(sqlite_db):
    with sqlite_db.session() as session, pytest.raises(InvalidInput) as error:
        identifying.set_fields(session, ["subjectId", 'bad"name'])
    assert str(error.value) == "'bad\"name' is not a payload field: no quotes, tabs or line breaks."


def test_switching_masking_off_and_revealing_are_audited(sqlite_db):
    with sqlite_db.session() as session:
        identifying.set_masking(session, False)
        identifying.reveal(session, "delivery", 42)
    with sqlite_db.session() as session:
        assert not identifying.masking_on(session)
        actions = [(e.action, e.entity_id) for e in audit.entries(session)]
        assert audit.verify(session).ok
    assert ("masking.off", "masking") in actions
    assert ("identifiers.reveal", "42") in actions
