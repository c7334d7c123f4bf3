"""A NUL character anywhere a text could reach the database is a 400 that says where, never a
server error (the API fuzz found a 500 on PostgreSQL: a person's ``reports_to`` with U+0000
reached the lookup, which PostgreSQL cannot run)."""

from __future__ import annotations

from rest_framework.test import APIClient

from openkam.web.people.models import Person


def test_api_body_address_and_form_with_nul_are_refused(programme, login):
    api = APIClient()
    api.force_authenticate(programme["users"]["Chris"])
    before = Person.objects.count()
    body = {"person_id": "P-New", "name": "New", "role": "viewer", "reports_to": "P-\x00Chris"}
    answer = api.post("/api/people/", body, format="json")
    assert answer.status_code == 400
    assert "NUL" in answer.json()["detail"] and "JSON body" in answer.json()["detail"]
    assert Person.objects.count() == before
    assert api.get("/api/accounts/?search=A%001").status_code == 400
    client = login(programme["users"]["Chris"])
    page = client.get("/accounts/?q=Ac%00me")
    assert page.status_code == 400 and b"the address" in page.content
    form = client.post(
        "/people/add/",
        "person_id=P-X&name=X%00&role=viewer",
        content_type="application/x-www-form-urlencoded",
    )
    assert form.status_code == 400 and b"the form" in form.content
    # A multipart form's text fields too (the fuzz sent one to /api/assignments/).
    multipart = api.post("/api/people/", {**body, "reports_to": "P-\x00"}, format="multipart")
    assert multipart.status_code == 400 and "the form" in multipart.json()["detail"]
    assert Person.objects.count() == before


def test_an_escaped_backslash_before_u0000_is_text_not_nul(programme):
    """``"\\\\u0000"`` in JSON is a backslash and the letters u0000: allowed."""
    api = APIClient()
    api.force_authenticate(programme["users"]["Chris"])
    raw = '{"person_id": "P-Slash", "name": "Back\\\\u0000slash", "role": "viewer"}'
    answer = api.post("/api/people/", raw, content_type="application/json")
    assert answer.status_code == 201, answer.content
    assert Person.objects.get(person_id="P-Slash").name == "Back\\u0000slash"


def test_nul_bytes_inside_an_uploaded_file_are_the_importers_to_judge(programme, login):
    client = login(programme["users"]["Chris"])
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("accounts.csv", b"account_id,name\nA9,Nul\x00Co\n")
    answer = client.post("/import/", {"kind": "accounts", "files": [upload]})
    # The importer answers (its own message on the cell), not the NUL refusal.
    assert answer.status_code == 200
    assert b"A NUL character (U+0000) is not accepted" not in answer.content
