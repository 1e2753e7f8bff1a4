"""Officials' actions over HTTP on the real database: a client key makes a double click one
action (the retry answers as done, the history holds one row), the same key for another action
or content is refused 409 CLIENT_KEY_REUSED; the complaint page lists what its reader may do."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from bkpsdm.common.auth import Role
from bkpsdm.testing.auth import token_for

pytestmark = pytest.mark.integration


def signed_in(*roles: Role, subject: str, unit: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(*roles, unit=unit, subject=subject)}"}


OFFICER = signed_in(Role.PENGELOLA_PENGADUAN, subject="nip-pengelola-1")
OTHER_OFFICER = signed_in(Role.PENGELOLA_PENGADUAN, subject="nip-pengelola-2")
SEKRETARIS = signed_in(Role.SEKRETARIS, subject="nip-sekretaris")
KABID = signed_in(Role.KEPALA_BIDANG, subject="nip-kabid", unit="BIDANG-PKA")


async def recorded(complaints: Any) -> str:
    response = await complaints.client.post(
        "/api/v1/complaints",
        json={
            "channel": "TATAP_MUKA",
            "content": "Antrean layanan terlalu lama.",
            "reporter": {"name": "Budi"},
        },
        headers=OFFICER,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["complaint_id"])


def key() -> str:
    return f"klik-{uuid.uuid4().hex}"


async def test_the_same_key_and_action_again_is_answered_once_without_acting_twice(complaints: Any) -> None:
    complaint_id = await recorded(complaints)
    k = key()
    first = await complaints.act(complaint_id, {**OFFICER, "Idempotency-Key": k}, action="VERIFY")
    assert first.status_code == 200, first.text
    assert "Idempotent-Replayed" not in first.headers
    again = await complaints.act(complaint_id, {**OFFICER, "Idempotency-Key": k}, action="VERIFY")
    assert again.status_code == 200, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert [h["action"] for h in again.json()["history"]] == ["RECEIVE", "VERIFY"]

    # The key may ride in the body instead; the same key in both places is the same key.
    body_key = await complaints.act(complaint_id, OFFICER, action="VERIFY", client_key=k)
    assert (body_key.status_code, body_key.headers["Idempotent-Replayed"]) == (200, "true")
    both = await complaints.act(
        complaint_id, {**OFFICER, "Idempotency-Key": k}, action="VERIFY", client_key=k
    )
    assert both.status_code == 200

    # Without a key the second VERIFY is what it is: the status no longer allows it.
    unkeyed = await complaints.act(complaint_id, OFFICER, action="VERIFY")
    assert (unkeyed.status_code, unkeyed.json()["code"]) == (409, "ACTION_NOT_ALLOWED")


async def test_the_same_key_with_another_action_or_content_is_refused(complaints: Any) -> None:
    complaint_id = await recorded(complaints)
    k = key()
    postponed = await complaints.act(
        complaint_id, {**OFFICER, "Idempotency-Key": k}, action="POSTPONE", note="Menunggu berkas"
    )
    assert postponed.status_code == 200, postponed.text
    for body in ({"action": "VERIFY"}, {"action": "POSTPONE", "note": "Alasan lain"}):
        reused = await complaints.act(complaint_id, {**OFFICER, "Idempotency-Key": k}, **body)
        assert (reused.status_code, reused.json()["code"]) == (409, "CLIENT_KEY_REUSED")
        assert "Idempotency-Key" in reused.json()["message"]
    other_complaint = await recorded(complaints)
    elsewhere = await complaints.act(
        other_complaint, {**OFFICER, "Idempotency-Key": k}, action="POSTPONE", note="Menunggu berkas"
    )
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (409, "CLIENT_KEY_REUSED")
    # Keys are each official's own: another officer's same key is a new action.
    theirs = await complaints.act(other_complaint, {**OTHER_OFFICER, "Idempotency-Key": k}, action="VERIFY")
    assert theirs.status_code == 200, theirs.text
    mismatch = await complaints.act(
        complaint_id, {**OFFICER, "Idempotency-Key": key()}, action="VERIFY", client_key=key()
    )
    assert (mismatch.status_code, mismatch.json()["code"]) == (409, "CLIENT_KEY_MISMATCH")
    history = (await complaints.client.get(f"/api/v1/complaints/{complaint_id}", headers=OFFICER)).json()
    assert [h["action"] for h in history["history"]] == ["RECEIVE", "POSTPONE"]


async def test_a_refused_action_keeps_no_key_so_the_corrected_one_goes_through(complaints: Any) -> None:
    complaint_id = await recorded(complaints)
    k = key()
    refused = await complaints.act(complaint_id, {**OFFICER, "Idempotency-Key": k}, action="POSTPONE")
    assert (refused.status_code, refused.json()["code"]) == (422, "NOTE_REQUIRED")
    corrected = await complaints.act(
        complaint_id, {**OFFICER, "Idempotency-Key": k}, action="POSTPONE", note="Menunggu berkas"
    )
    assert (corrected.status_code, corrected.json()["status"]) == (200, "DITUNDA")


async def test_the_complaint_page_lists_the_actions_its_reader_may_take_now(complaints: Any) -> None:
    complaint_id = await recorded(complaints)
    path = f"/api/v1/complaints/{complaint_id}"

    async def offered(headers: dict[str, str]) -> list[str]:
        page = await complaints.client.get(path, headers=headers)
        assert page.status_code == 200, page.text
        return [a["action"] for a in page.json()["allowed_actions"]]

    assert await offered(OFFICER) == ["VERIFY", "POSTPONE", "NOT_AUTHORITY", "ARCHIVE"]
    assert await offered(SEKRETARIS) == []
    page = (await complaints.client.get(path, headers=OFFICER)).json()
    postpone = next(a for a in page["allowed_actions"] if a["action"] == "POSTPONE")
    assert postpone == {
        "action": "POSTPONE",
        "label": "Tunda",
        "leads_to": "DITUNDA",
        "leads_to_label": "Ditunda",
        "note_required": True,
        "note_public": False,
        "unit_required": False,
    }
    verified = await complaints.act(complaint_id, OFFICER, action="VERIFY")
    assert verified.json()["allowed_actions"] == []  # the officer's part waits on the Sekretaris
    assert await offered(SEKRETARIS) == ["ASSIGN"]
    assigned = await complaints.act(complaint_id, SEKRETARIS, action="ASSIGN", unit="BIDANG-PKA")
    assert [a["action"] for a in assigned.json()["allowed_actions"]] == ["ASSIGN"]
    assert (await offered(KABID)) == ["FOLLOW_UP"]
    assert (await offered(OFFICER)) == []
