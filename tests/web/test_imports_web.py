"""Importing files from the browser and through the API."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from openkam.web.accounts.models import Account

ACCOUNTS = b"account_id,name,industry,region\nN1,Nova Foods,food,EMEA\nN2,Nova Metals,metals,APAC\n"
BAD = b"account_id,name,industry,region,parent_account_id\nN3,,food,EMEA,\nN4,Ok,food,EMEA,NOPE\n"


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_champion_imports_from_the_page(programme, login, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    client = login(programme["users"]["Chris"])
    response = client.post("/import/", {"kind": "accounts", "files": [upload("new.csv", ACCOUNTS)]})
    page = response.content.decode()
    assert response.status_code == 200 and "Imported accounts" in page
    assert Account.objects.filter(account_id__in=["N1", "N2"]).count() == 2


def test_bad_upload_lists_every_problem_and_loads_nothing(programme, login, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    client = login(programme["users"]["Chris"])
    page = client.post(
        "/import/", {"kind": "accounts", "files": [upload("bad.csv", BAD)]}
    ).content.decode()
    assert "nothing was loaded" in page
    # Both problems, each with its file, row and column, as the user named the file.
    assert page.count("bad.csv") >= 2 and "name" in page and "parent_account_id" in page
    assert not Account.objects.filter(account_id__in=["N3", "N4"]).exists()
    wrong_type = client.post(
        "/import/", {"kind": "accounts", "files": [upload("a.json", ACCOUNTS)]}
    )
    assert "use a .csv, .xlsx (.xlsm, .xlsb, .xls, .ods) or .parquet file" in (
        wrong_type.content.decode()
    )


def test_only_programme_roles_import(programme, login):
    client = login(programme["users"]["Alice"])
    assert client.get("/import/").status_code == 200
    response = client.post("/import/", {"kind": "accounts", "files": [upload("new.csv", ACCOUNTS)]})
    assert response.status_code == 403
    assert not Account.objects.filter(account_id="N1").exists()


def test_api_import(programme, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    api = APIClient()
    api.force_authenticate(programme["users"]["Chris"])
    ok = api.post(
        "/api/imports/",
        {"kind": "accounts", "files": [upload("new.csv", ACCOUNTS)]},
        format="multipart",
    )
    assert ok.status_code == 201, ok.content
    assert ok.json()["created"] == 2
    bad = api.post(
        "/api/imports/", {"kind": "accounts", "files": [upload("bad.csv", BAD)]}, format="multipart"
    )
    assert bad.status_code == 422
    body = bad.json()
    assert body["total_issues"] == 2
    assert {(i["file"], i["row"], i["column"]) for i in body["issues"]} == {
        ("bad.csv", 2, "name"),
        ("bad.csv", 3, "parent_account_id"),
    }
    api.force_authenticate(programme["users"]["Vera"])
    assert (
        api.post(
            "/api/imports/",
            {"kind": "accounts", "files": [upload("n.csv", ACCOUNTS)]},
            format="multipart",
        ).status_code
        == 403
    )


def _nested_parquet() -> bytes:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    table = pa.table(
        {
            "account_id": ["N1"],
            "name": [["a", "list"]],  # nested: one value per row is expected
            "industry": ["food"],
            "region": ["EMEA"],
        }
    )
    pq.write_table(table, buf)
    return buf.getvalue()


def test_a_hostile_file_gets_a_message_on_the_page_and_in_the_api(
    programme, login, tmp_path, settings
):
    settings.DATA_DIR = tmp_path
    client = login(programme["users"]["Chris"])
    page = client.post(
        "/import/", {"kind": "accounts", "files": [upload("n.parquet", _nested_parquet())]}
    )
    text = page.content.decode()
    assert page.status_code == 200 and "nothing was loaded" in text
    assert "n.parquet" in text and "is a nested column" in text
    api = APIClient()
    api.force_authenticate(programme["users"]["Chris"])
    bad = api.post(
        "/api/imports/",
        {"kind": "accounts", "files": [upload("n.parquet", _nested_parquet())]},
        format="multipart",
    )
    assert bad.status_code == 422
    (issue,) = bad.json()["issues"]
    assert (issue["file"], issue["row"], issue["column"]) == ("n.parquet", None, "name")
    assert not Account.objects.filter(account_id="N1").exists()


def test_an_unexpected_failure_is_a_message_not_a_500(programme, tmp_path, settings, monkeypatch):
    # Whatever a reader does with a file it was never tested on, the user sees a message
    # and the database is unchanged; the traceback goes to the server log.
    settings.DATA_DIR = tmp_path

    def explode(*args, **kwargs):
        raise RuntimeError("a reader bug")

    monkeypatch.setattr("openkam.store.validate_import", explode)
    api = APIClient()
    api.force_authenticate(programme["users"]["Chris"])
    response = api.post(
        "/api/imports/",
        {"kind": "accounts", "files": [upload("a.csv", ACCOUNTS)]},
        format="multipart",
    )
    assert response.status_code == 422
    (issue,) = response.json()["issues"]
    assert issue["file"] == "a.csv"
    assert "unexpected error (RuntimeError: a reader bug); nothing was imported" in issue["reason"]
    assert not Account.objects.filter(account_id="N1").exists()
