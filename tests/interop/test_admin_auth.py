"""The admin API's mTLS gate, driven with `requests` (OpenSSL) client certificates."""

from __future__ import annotations

import pytest
import requests

from harness import error_body, unique


def _denials(server) -> list[dict]:
    return server.events(action="api.denied")


def _new(before: list[dict], after: list[dict]) -> list[dict]:
    seen = {e["sequence"] for e in before}
    return [e for e in after if e["sequence"] not in seen]


ROUTES = [
    ("GET", "/v1/entries", None),
    ("POST", "/v1/entries", {"spiffe_id": "spiffe://example.org/prod/sneaky", "owner": "x", "purpose": "y"}),
    ("GET", "/v1/credentials", None),
    ("GET", "/v1/events", None),
    ("POST", "/v1/svids/jwt", {"spiffe_id": "spiffe://example.org/prod/interop-workload", "audience": ["a"]}),
    ("POST", "/v1/svids/x509", {"spiffe_id": "spiffe://example.org/prod/interop-workload"}),
    ("DELETE", "/v1/entries/00000000-0000-0000-0000-000000000000", None),
]


@pytest.mark.parametrize("method,path,body", ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_no_client_certificate_is_401_and_changes_nothing(server, workload, method, path, body):
    entries, creds, denials = server.entry_count(), server.credential_count(), _denials(server)
    r = server.request(method, path, cert=None, json=body)
    assert r.status_code == 401, f"{method} {path} without a client cert: {r.status_code} {r.text}"
    assert error_body(r)["error"] == "unauthenticated"
    assert server.entry_count() == entries, "an unauthenticated request changed the entries"
    assert server.credential_count() == creds, "an unauthenticated request issued a credential"
    new = _new(denials, _denials(server))
    assert len(new) == 1, f"expected exactly one api.denied event, got {new}"
    assert new[0]["actor"] == "anonymous" and new[0]["subject"] == path.split("?")[0], new[0]
    assert new[0]["outcome"] == "denied"


@pytest.mark.parametrize("method,path,body", ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_workload_svid_is_403_and_changes_nothing(server, workload, method, path, body):
    spiffe_id, svid_dir = workload
    cert = (str(svid_dir / "svid.pem"), str(svid_dir / "svid.key"))
    entries, creds, denials = server.entry_count(), server.credential_count(), _denials(server)
    r = server.request(method, path, cert=cert, json=body)
    assert r.status_code == 403, f"{method} {path} with a workload SVID: {r.status_code} {r.text}"
    err = error_body(r)
    assert err["error"] == "forbidden" and spiffe_id in err["message"], err
    assert server.entry_count() == entries
    assert server.credential_count() == creds
    new = _new(denials, _denials(server))
    assert len(new) == 1, f"expected exactly one api.denied event, got {new}"
    assert new[0]["actor"] == spiffe_id and new[0]["subject"] == path, new[0]


def test_admin_succeeds(server):
    before = server.entry_count()
    spiffe_id = f"spiffe://example.org/prod/{unique('admin')}"
    r = server.post("/v1/entries", json={"spiffe_id": spiffe_id, "owner": "interop", "purpose": "admin route test"})
    assert r.status_code == 201, r.text
    entry = r.json()
    assert entry["spiffe_id"] == spiffe_id
    assert server.entry_count() == before + 1
    r = server.get(f"/v1/entries/{entry['id']}")
    assert r.status_code == 200 and r.json()["id"] == entry["id"]
    r = server.request("PATCH", f"/v1/entries/{entry['id']}", json={"purpose": "changed"})
    assert r.status_code == 200 and r.json()["purpose"] == "changed" and r.json()["revision"] == 2, r.text
    r = server.request("DELETE", f"/v1/entries/{entry['id']}")
    assert r.status_code == 200, r.text
    assert server.get(f"/v1/entries/{entry['id']}").status_code == 404
    assert server.entry_count() == before
    who = server.get("/v1/whoami")
    assert who.status_code == 200 and who.json()["spiffe_id"] == "spiffe://example.org/signet/admin/bootstrap"


def test_other_trust_domain_admin_is_refused(server, other_server):
    """The other.org bootstrap admin is not chained to example.org roots: no access, no change."""
    entries = server.entry_count()
    try:
        r = server.request("POST", "/v1/entries", cert=other_server.admin_cert,
                           json={"spiffe_id": f"spiffe://example.org/prod/{unique()}", "owner": "x", "purpose": "y"})
    except requests.exceptions.SSLError:
        pass  # handshake refused: acceptable
    except requests.exceptions.ConnectionError:
        pass  # TLS alert surfaced as a reset: acceptable
    else:
        assert r.status_code in (401, 403), f"foreign admin got {r.status_code}: {r.text}"
    assert server.entry_count() == entries


def test_public_endpoints_need_no_certificate(server):
    for path, kind in [("/healthz", "text/plain"), ("/readyz", "text/plain"), ("/bundle", "application/json"),
                       ("/bundle.pem", "application/x-pem-file"), ("/keys", "application/json"),
                       ("/.well-known/openid-configuration", "application/json")]:
        r = server.get(path, cert=None)
        assert r.status_code == 200, f"{path}: {r.status_code} {r.text}"
        assert r.headers["content-type"].startswith(kind), (path, r.headers["content-type"])
