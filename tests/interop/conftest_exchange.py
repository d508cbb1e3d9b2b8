"""Helpers shared by the token-exchange, trust-rule, delegation and client-credentials tests.

Everything talks to a real `signet server` (started by the `exchange_server`
fixture in conftest.py with an `[exchange]` section that trusts the test OIDC
issuers' CA and uses short JWKS cache intervals) over HTTPS.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

import requests
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet

from harness import HTTP_TIMEOUT, SignetServer, b64u_decode, describe

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
CLIENT_CREDENTIALS = "client_credentials"
JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
X509_TYPE = "urn:signet:params:oauth:token-type:x509-svid"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

#: JWKS cache settings of the exchange server: refetch on an unknown kid at most every 1 s, refresh every 2 s,
#: use cached keys of an unreachable issuer for at most MAX_AGE s.
MIN_REFETCH = 1
REFRESH = 2
MAX_AGE = 8
MAX_DELEGATION_DEPTH = 2

OAUTH_ERRORS = {"invalid_request", "invalid_grant", "invalid_target", "invalid_client", "unsupported_grant_type",
                "invalid_scope", "unauthorized_client"}


def exchange_config(ca_bundle: Path, *, max_age: int = MAX_AGE, depth: int = MAX_DELEGATION_DEPTH) -> str:
    return (
        "[exchange]\n"
        f'ca_bundle = "{ca_bundle}"\n'
        f'jwks_min_refetch_seconds = "{MIN_REFETCH}s"\n'
        f'jwks_refresh_seconds = "{REFRESH}s"\n'
        f'jwks_max_age_seconds = "{max_age}s"\n'
        f"max_delegation_depth = {depth}\n"
    )


def start_exchange_server(data_dir: Path, ca_bundle: Path, trust_domain: str = "example.org") -> SignetServer:
    return SignetServer(data_dir, trust_domain, config=exchange_config(ca_bundle)).start()


# --------------------------------------------------------------------------
# The token endpoint
# --------------------------------------------------------------------------


def token_endpoint(server: SignetServer) -> str:
    return server.url + "/oauth2/token"


def post_token(server: SignetServer, data: Any, *, cert: Any = None, headers: Optional[dict] = None,
               **kw) -> requests.Response:
    """POST to /oauth2/token as an unauthenticated caller (no client certificate unless `cert`)."""
    return requests.post(token_endpoint(server), data=data, cert=cert, headers=headers, verify=server.ca_file,
                         timeout=HTTP_TIMEOUT, **kw)


def exchange_ok(r: requests.Response) -> dict:
    body = token_ok(r)
    assert "issued_token_type" in body, f"RFC 8693 response lacks issued_token_type: {body}"
    return body


def exchange(server: SignetServer, subject_token: str, audience: Optional[str], *,
             subject_token_type: str = JWT_TYPE, cert: Any = None, **params: Any) -> requests.Response:
    data = {"grant_type": TOKEN_EXCHANGE, "subject_token": subject_token, "subject_token_type": subject_token_type}
    if audience is not None:
        data["audience"] = audience
    data.update({k: v for k, v in params.items() if v is not None})
    return post_token(server, data, cert=cert)


def _no_store(r: requests.Response) -> None:
    cc = r.headers.get("Cache-Control", "")
    assert "no-store" in cc.lower(), f"HTTP {r.status_code} without Cache-Control: no-store ({cc!r})"


def token_ok(r: requests.Response) -> dict:
    """The JSON of a successful token response (RFC 8693 §2.2.1 / RFC 6749 §5.1); fails the test otherwise."""
    assert r.status_code == 200, f"expected 200, got {r.status_code}: {r.text[:1000]}"
    _no_store(r)
    assert "no-cache" in r.headers.get("Pragma", "").lower(), f"no Pragma: no-cache: {dict(r.headers)}"
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
    body = r.json()
    # issued_token_type is required by RFC 8693 (token exchange) only; client_credentials follows RFC 6749 §5.1.
    for field in ("access_token", "token_type", "expires_in"):
        assert field in body, f"token response lacks {field}: {body}"
    assert isinstance(body["expires_in"], int) and body["expires_in"] > 0, body
    return body


def token_error(r: requests.Response, *codes: str, secrets: Iterable[str] = ()) -> dict:
    """Asserts an RFC 6749 §5.2 error with one of `codes`, a safe description, and no-store."""
    assert r.status_code in (400, 401), f"expected 400 (OAuth error {codes}), got {r.status_code}: {r.text[:1000]}"
    _no_store(r)
    assert r.headers.get("Content-Type", "").startswith("application/json"), \
        f"OAuth error is not JSON: {r.headers.get('Content-Type')!r} {r.text[:300]!r}"
    body = r.json()
    assert isinstance(body, dict) and body.get("error") in OAUTH_ERRORS, f"not an OAuth error body: {body}"
    assert body["error"] in codes, f"expected error in {codes}, got {body}"
    if body["error"] == "invalid_client":
        assert r.status_code in (400, 401), r.status_code
    else:
        assert r.status_code == 400, f"{body['error']} must be HTTP 400, got {r.status_code}"
    desc = body.get("error_description", "")
    assert isinstance(desc, str) and desc.strip(), f"error_description missing or empty: {body}"
    assert len(desc) <= 300 and "\n" not in desc, f"error_description is not short and safe: {desc!r}"
    # RFC 6749: error_description is limited to %x20-21 / %x23-5B / %x5D-7E.
    assert re.fullmatch(r"[\x20\x21\x23-\x5b\x5d-\x7e]*", desc), f"error_description has forbidden chars: {desc!r}"
    for s in secrets:
        if s and len(s) > 8:
            assert s not in r.text, f"the response echoes a secret/internal value {s[:40]!r}: {r.text[:500]}"
    return body


# --------------------------------------------------------------------------
# Events and credentials (read over the admin API: fast, no subprocess)
# --------------------------------------------------------------------------


def last_event_sequence(server: SignetServer) -> int:
    seq = 0
    while True:
        r = server.get(f"/v1/events?after={seq}&limit=10000")
        assert r.status_code == 200, r.text
        events = r.json()["events"]
        if not events:
            return seq
        seq = max(e["sequence"] for e in events)


def events_after(server: SignetServer, seq: int, action: Optional[str] = None) -> list[dict]:
    url = f"/v1/events?after={seq}&limit=10000" + (f"&action={action}" if action else "")
    r = server.get(url)
    assert r.status_code == 200, r.text
    return r.json()["events"]


def event_reason(event: dict) -> str:
    return (event.get("reason") or "") + " " + (event.get("details") or {}).get("reason", "")


class Watch:
    """Snapshot of credentials and events before a request, to prove what it changed (or did not)."""

    def __init__(self, server: SignetServer):
        self.server = server
        self.credentials = server.credential_count()
        self.seq = last_event_sequence(server)

    def new_events(self, action: str = "exchange.token") -> list[dict]:
        return events_after(self.server, self.seq, action)

    def issued(self) -> int:
        return self.server.credential_count() - self.credentials

    def assert_refused(self, *reason_words: str, secrets: Iterable[str] = ()) -> dict:
        """Nothing was issued and exactly one `exchange.token` denied event carries the full reason."""
        assert self.issued() == 0, f"a refused request issued {self.issued()} credential(s)"
        events = self.new_events()
        assert len(events) == 1, f"expected one exchange.token event, got {events}"
        ev = events[0]
        assert ev["outcome"] == "denied", ev
        reason = event_reason(ev)
        assert reason.strip(), f"denied event without a reason: {ev}"
        if reason_words:
            low = reason.lower()
            assert any(w.lower() in low for w in reason_words), \
                f"event reason {reason!r} should mention one of {reason_words}"
        dumped = json.dumps(ev)
        for s in secrets:
            assert s not in dumped, f"event contains a token: {ev}"
        return ev

    def assert_issued(self, secrets: Iterable[str] = ()) -> dict:
        assert self.issued() == 1, f"expected one new credential, got {self.issued()}"
        events = self.new_events()
        assert len(events) == 1 and events[0]["outcome"] == "success", events
        dumped = json.dumps(events[0])
        for s in secrets:
            assert s not in dumped, f"event contains a token: {events[0]}"
        return events[0]


# --------------------------------------------------------------------------
# Trust rules and clients over the admin API
# --------------------------------------------------------------------------


def create_rule(server: SignetServer, name: str, issuer: str, audiences: list[str], *, preset: Optional[str] = None,
                template: Optional[str] = None, condition: Optional[str] = None, max_ttl: int = 600,
                allowed_actors: Iterable[str] = (), accept_risk: Optional[str] = None, jwks: Optional[str] = None,
                owner: str = "platform-team", purpose: str = "interop token exchange") -> dict:
    body: dict[str, Any] = {"name": name, "issuer": issuer, "audiences": audiences, "max_ttl": max_ttl,
                            "owner": owner, "purpose": purpose}
    for k, v in (("preset", preset), ("subject_template", template), ("condition", condition),
                 ("accept_risk", accept_risk), ("jwks", jwks)):
        if v is not None:
            body[k] = v
    if allowed_actors:
        body["allowed_actors"] = list(allowed_actors)
    r = server.post("/v1/trust-rules", json=body)
    assert r.status_code == 201, f"creating trust rule {name}: HTTP {r.status_code} {r.text[:1500]}"
    return r.json()


GITHUB_CONDITION = ('claims.repository_owner == "acme" && claims.repository_owner_id == "1001" '
                    '&& claims.repository.startsWith("acme/")')
K8S_CONDITION = 'claims["kubernetes.io"].namespace == "payments"'


# --------------------------------------------------------------------------
# Verifying what Signet issued, the way a relying party does
# --------------------------------------------------------------------------


def discovery(server: SignetServer) -> dict:
    r = requests.get(server.url + "/.well-known/openid-configuration", verify=server.ca_file, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()


def verify_via_discovery(server: SignetServer, token: str, *, audience: str, typ: Optional[str] = None,
                         extra: Optional[dict] = None):
    """joserfc: discovery -> jwks_uri -> verify signature; check iss, aud, exp, iat (+typ). Returns the token."""
    doc = discovery(server)
    r = requests.get(doc["jwks_uri"], verify=server.ca_file, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    keys = KeySet.import_key_set(r.json())
    decoded = jose_jwt.decode(token, keys, algorithms=doc.get("id_token_signing_alg_values_supported") or ["ES256"])
    if typ is not None:
        assert decoded.header.get("typ") == typ, f"typ {decoded.header.get('typ')!r}, expected {typ!r}"
    registry = jose_jwt.JWTClaimsRegistry(
        leeway=5,
        iss={"essential": True, "value": doc["issuer"]},
        aud={"essential": True, "value": audience},
        exp={"essential": True},
        iat={"essential": True},
        **(extra or {}),
    )
    registry.validate(decoded.claims)
    return decoded


def claims_of(token: str) -> dict:
    return json.loads(b64u_decode(token.split(".")[1]))


def header_of(token: str) -> dict:
    return json.loads(b64u_decode(token.split(".")[0]))


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def cli_fail(proc, *words: str) -> str:
    """A CLI call that must fail and say `words`; returns its combined output."""
    assert proc.returncode != 0, f"expected failure:\n{describe(proc)}"
    out = proc.stdout + proc.stderr
    for w in words:
        assert w.lower() in out.lower(), f"output should mention {w!r}:\n{describe(proc)}"
    return out
