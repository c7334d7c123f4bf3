"""The OpenAPI schema and the browsable docs."""

from __future__ import annotations

import yaml


def test_schema_lists_every_domain_endpoint(programme, login):
    response = login(programme["users"]["Vera"]).get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    for path in ("/api/accounts/", "/api/accounts/{account_id}/", "/api/contacts/", "/api/people/"):
        assert path in schema["paths"], path
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_docs_page_uses_packaged_assets(programme, login):
    page = login(programme["users"]["Vera"]).get("/api/docs/").content.decode()
    assert "swagger-ui" in page
    assert "cdn.jsdelivr" not in page  # works offline
