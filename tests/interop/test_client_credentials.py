"""client_credentials at /oauth2/token: private_key_jwt (RFC 7523, assertions made with PyJWT) and
tls_client_auth (RFC 8705, an X.509-SVID minted with `signet x509 mint`), issuing RFC 9068 access tokens
that joserfc verifies through Signet's OIDC discovery; mTLS-issued tokens are certificate-bound."""

from __future__ import annotations

import hashlib
import json
import time
import uuid

import jwt as pyjwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc.jwk import ECKey, RSAKey

from conftest_exchange import (CLIENT_CREDENTIALS, JWT_BEARER, Watch, claims_of, discovery, post_token, token_error,
                               token_ok, verify_via_discovery)
from harness import b64u, unique
from oidc_issuer import compact, sign_bytes

TD = "example.org"


class Client:
    """A registered private_key_jwt client holding its private key."""

    def __init__(self, server, alg: str = "ES256", audiences: list[str] | None = None, max_ttl: int = 120):
        self.id = unique("batch-")
        self.alg = alg
        self.kid = unique("k")
        self.key = (ec.generate_private_key(ec.SECP256R1()) if alg == "ES256"
                    else rsa.generate_private_key(public_exponent=65537, key_size=2048))
        self.spiffe_id = f"spiffe://{TD}/legacy/{self.id}"
        self.audiences = audiences or [f"https://{unique('legacy')}.signet.test/api"]
        self.max_ttl = max_ttl
        self.jwks = jwks_of(self.key, self.kid)
        r = server.post("/v1/oauth-clients", json={
            "client_id": self.id, "method": "private_key_jwt", "jwks": json.dumps(self.jwks),
            "spiffe_id": self.spiffe_id, "audiences": self.audiences, "max_ttl": max_ttl,
            "owner": "billing", "purpose": "interop client_credentials"})
        assert r.status_code == 201, r.text
        self.server = server

    def assertion(self, *, key=None, kid: str | None = None, alg: str | None = None, **overrides) -> str:
        now = int(time.time())
        claims = {"iss": self.id, "sub": self.id, "aud": discovery(self.server)["token_endpoint"],
                  "iat": now, "exp": now + 60, "jti": str(uuid.uuid4())}
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return pyjwt.encode(claims, key or self.key, algorithm=alg or self.alg, headers={"kid": kid or self.kid})

    def request(self, assertion: str, audience: str | None = "default", **extra):
        data = {"grant_type": CLIENT_CREDENTIALS, "client_assertion_type": JWT_BEARER, "client_assertion": assertion}
        if audience == "default":
            audience = self.audiences[0]
        if audience is not None:
            data["audience"] = audience
        data.update(extra)
        return post_token(self.server, data)


def jwks_of(private_key, kid: str) -> dict:
    pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    key = (ECKey if isinstance(private_key, ec.EllipticCurvePrivateKey) else RSAKey).import_key(pem)
    jwk = key.as_dict(private=False)
    jwk.update({"kid": kid, "use": "sig"})
    assert "d" not in jwk
    return {"keys": [jwk]}


@pytest.fixture(scope="module")
def es_client(exchange_server):
    return Client(exchange_server, "ES256")


@pytest.fixture(scope="module")
def rs_client(exchange_server):
    return Client(exchange_server, "RS256", audiences=["https://a.signet.test", "https://b.signet.test"])


def _check_access_token(server, body, client_id, sub, audience, max_ttl):
    assert body["token_type"].lower() == "bearer", body
    assert body.get("issued_token_type", "urn:ietf:params:oauth:token-type:access_token") == \
        "urn:ietf:params:oauth:token-type:access_token", body
    decoded = verify_via_discovery(server, body["access_token"], audience=audience, typ="at+jwt",
                                   extra={"sub": {"essential": True, "value": sub},
                                          "client_id": {"essential": True, "value": client_id},
                                          "jti": {"essential": True}})
    c = decoded.claims
    assert 0 < c["exp"] - c["iat"] <= max_ttl and body["expires_in"] <= max_ttl, (c, body)
    return c


# --------------------------------------------------------------------------
# private_key_jwt
# --------------------------------------------------------------------------


def test_private_key_jwt_es256(exchange_server, es_client):
    watch = Watch(exchange_server)
    assertion = es_client.assertion()
    body = token_ok(es_client.request(assertion))
    c = _check_access_token(exchange_server, body, es_client.id, es_client.spiffe_id, es_client.audiences[0],
                            es_client.max_ttl)
    assert "cnf" not in c, "a private_key_jwt token is not certificate-bound"
    ev = watch.assert_issued(secrets=[assertion, body["access_token"]])
    assert ev["details"].get("client_id") == es_client.id, ev


def test_private_key_jwt_rs256_with_issuer_audience(exchange_server, rs_client):
    """aud = the issuer (not the token endpoint) is also accepted; the second registered audience can be asked for."""
    assertion = rs_client.assertion(aud=discovery(exchange_server)["issuer"])
    body = token_ok(rs_client.request(assertion, audience="https://b.signet.test"))
    _check_access_token(exchange_server, body, rs_client.id, rs_client.spiffe_id, "https://b.signet.test",
                        rs_client.max_ttl)


def test_resource_parameter_names_the_audience(exchange_server, rs_client):
    body = token_ok(rs_client.request(rs_client.assertion(), audience=None, resource="https://a.signet.test"))
    assert claims_of(body["access_token"])["aud"] in ("https://a.signet.test", ["https://a.signet.test"])


def test_single_audience_is_the_default(exchange_server, es_client):
    body = token_ok(es_client.request(es_client.assertion(), audience=None))
    aud = claims_of(body["access_token"])["aud"]
    assert aud in (es_client.audiences[0], [es_client.audiences[0]]), aud


def test_no_audience_with_several_registered_is_refused(exchange_server, rs_client):
    watch = Watch(exchange_server)
    token_error(rs_client.request(rs_client.assertion(), audience=None), "invalid_target", "invalid_request")
    assert watch.issued() == 0


def test_unregistered_audience_is_invalid_target(exchange_server, es_client):
    watch = Watch(exchange_server)
    token_error(es_client.request(es_client.assertion(), audience="https://elsewhere.example"), "invalid_target")
    watch.assert_refused("audience", "aud", "may request", "elsewhere.example")


def test_replayed_assertion_is_refused(exchange_server, es_client):
    assertion = es_client.assertion()
    token_ok(es_client.request(assertion))
    watch = Watch(exchange_server)
    token_error(es_client.request(assertion), "invalid_client", "invalid_grant", secrets=[assertion])
    watch.assert_refused("used", "replay", "jti", secrets=[assertion])


REFUSED_ASSERTIONS = {
    # name: (assertion builder(client), words for the event reason)
    "wrong-aud": (lambda c: c.assertion(aud="https://somewhere-else.example/token"), ("aud",)),
    "expired": (lambda c: c.assertion(iat=int(time.time()) - 600, exp=int(time.time()) - 120), ("exp", "expired")),
    "exp-too-far": (lambda c: c.assertion(exp=int(time.time()) + 2 * 3600), ("exp", "hour", "long", "far")),
    "no-exp": (lambda c: c.assertion(exp=None), ("exp",)),
    "no-jti": (lambda c: c.assertion(jti=None), ("jti",)),
    "iss-not-sub": (lambda c: c.assertion(sub="someone-else"), ("sub", "iss")),
    "wrong-key": (lambda c: c.assertion(key=ec.generate_private_key(ec.SECP256R1())), ("signature",)),
    "unknown-kid": (lambda c: c.assertion(kid="nope"), ("kid", "key")),
    "hs256-public-key": (lambda c: compact(
        {"alg": "HS256", "typ": "JWT", "kid": c.kid},
        {"iss": c.id, "sub": c.id, "aud": discovery(c.server)["token_endpoint"], "exp": int(time.time()) + 60,
         "jti": str(uuid.uuid4())},
        lambda data: sign_bytes("HS256", json.dumps(c.jwks["keys"][0]).encode(), data)), ("alg", "hs256")),
}


@pytest.mark.parametrize("case", list(REFUSED_ASSERTIONS))
def test_refused_assertion(exchange_server, es_client, case):
    build, words = REFUSED_ASSERTIONS[case]
    assertion = build(es_client)
    watch = Watch(exchange_server)
    token_error(es_client.request(assertion), "invalid_client", secrets=[assertion])
    watch.assert_refused(*words, secrets=[assertion])


def test_alg_none_assertion_is_refused(exchange_server, es_client):
    from harness import json_b64u
    now = int(time.time())
    assertion = (json_b64u({"alg": "none", "kid": es_client.kid}) + "." +
                 json_b64u({"iss": es_client.id, "sub": es_client.id, "aud": discovery(exchange_server)["token_endpoint"],
                            "exp": now + 60, "jti": str(uuid.uuid4())}) + ".")
    watch = Watch(exchange_server)
    token_error(es_client.request(assertion), "invalid_client")
    watch.assert_refused("alg", "none")


def test_unknown_client_is_invalid_client(exchange_server, es_client):
    stranger = unique("nobody-")
    assertion = es_client.assertion(iss=stranger, sub=stranger)
    watch = Watch(exchange_server)
    token_error(es_client.request(assertion), "invalid_client", secrets=[assertion])
    watch.assert_refused("client", stranger)


def test_client_id_parameter_must_match_assertion(exchange_server, es_client, rs_client):
    watch = Watch(exchange_server)
    token_error(es_client.request(es_client.assertion(), client_id=rs_client.id), "invalid_client", "invalid_request")
    assert watch.issued() == 0


def test_wrong_assertion_type_is_refused(exchange_server, es_client):
    r = post_token(exchange_server, {"grant_type": CLIENT_CREDENTIALS, "client_assertion": es_client.assertion(),
                                     "client_assertion_type": "urn:example:unknown",
                                     "audience": es_client.audiences[0]})
    token_error(r, "invalid_client", "invalid_request")


def test_no_client_authentication_is_refused(exchange_server, es_client):
    r = post_token(exchange_server, {"grant_type": CLIENT_CREDENTIALS, "client_id": es_client.id,
                                     "audience": es_client.audiences[0]})
    token_error(r, "invalid_client", "invalid_request")


def test_client_registered_with_the_cli(exchange_server, tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    kid, cid = unique("k"), unique("cli-client-")
    (tmp_path / "client.jwks.json").write_text(json.dumps(jwks_of(key, kid)))
    sid, aud = f"spiffe://{TD}/legacy/{cid}", "https://reports.signet.test"
    shown = exchange_server.cli_json("client", "add", cid, "--method", "private_key_jwt", "--jwks-file",
                                     str(tmp_path / "client.jwks.json"), "--spiffe-id", sid, "--audience", aud,
                                     "--max-ttl", "2m", "--owner", "bi", "--purpose", "report export")
    assert shown["client_id"] == cid and shown["spiffe_id"] == sid and shown["max_ttl"] == 120, shown
    assert "\"d\"" not in json.dumps(shown)
    listed = exchange_server.cli_json("client", "list")["clients"]
    assert any(c["client_id"] == cid for c in listed)
    now = int(time.time())
    claims = {"iss": cid, "sub": cid, "aud": discovery(exchange_server)["token_endpoint"], "iat": now,
              "exp": now + 60, "jti": str(uuid.uuid4())}
    body = token_ok(post_token(exchange_server, {
        "grant_type": CLIENT_CREDENTIALS, "client_assertion_type": JWT_BEARER,
        "client_assertion": pyjwt.encode(claims, key, algorithm="ES256", headers={"kid": kid}), "audience": aud}))
    _check_access_token(exchange_server, body, cid, sid, aud, 120)
    assert [e for e in exchange_server.events("oauth.client.create") if e["subject"] == cid]
    # Deleted: the same key no longer gets a token.
    exchange_server.cli_ok("client", "delete", cid)
    claims["jti"] = str(uuid.uuid4())
    token_error(post_token(exchange_server, {
        "grant_type": CLIENT_CREDENTIALS, "client_assertion_type": JWT_BEARER,
        "client_assertion": pyjwt.encode(claims, key, algorithm="ES256", headers={"kid": kid}), "audience": aud}),
        "invalid_client")
    assert [e for e in exchange_server.events("oauth.client.delete") if e["subject"] == cid]


def test_client_with_private_key_in_jwks_is_refused(exchange_server):
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    jwk = ECKey.import_key(pem).as_dict(private=True)
    jwk["kid"] = "leak"
    r = exchange_server.post("/v1/oauth-clients", json={
        "client_id": unique("leaky-"), "method": "private_key_jwt", "jwks": json.dumps({"keys": [jwk]}),
        "spiffe_id": f"spiffe://{TD}/legacy/leaky", "audiences": ["x"], "owner": "o", "purpose": "p"})
    assert r.status_code == 400, r.text


# --------------------------------------------------------------------------
# tls_client_auth (RFC 8705)
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mtls_client(exchange_server, tmp_path_factory):
    cid = unique("mtls-")
    san = f"spiffe://{TD}/prod/{cid}"
    exchange_server.create_entry(san)
    svid_dir = exchange_server.mint_x509(san, tmp_path_factory.mktemp("mtls-svid"))
    aud = f"https://{unique('legacy')}.signet.test"
    r = exchange_server.post("/v1/oauth-clients", json={
        "client_id": cid, "method": "tls_client_auth", "tls_client_auth_san_uri": san, "spiffe_id": san,
        "audiences": [aud], "max_ttl": 300, "owner": "bi", "purpose": "interop mTLS client"})
    assert r.status_code == 201, r.text
    return cid, san, aud, svid_dir


def test_tls_client_auth_issues_certificate_bound_token(exchange_server, mtls_client):
    cid, san, aud, svid_dir = mtls_client
    watch = Watch(exchange_server)
    cert = (str(svid_dir / "svid.pem"), str(svid_dir / "svid.key"))
    body = token_ok(post_token(exchange_server, {"grant_type": CLIENT_CREDENTIALS, "client_id": cid,
                                                 "audience": aud}, cert=cert))
    c = _check_access_token(exchange_server, body, cid, san, aud, 300)
    leaf = x509.load_pem_x509_certificates((svid_dir / "svid.pem").read_bytes())[0]
    thumb = b64u(hashlib.sha256(leaf.public_bytes(serialization.Encoding.DER)).digest())
    assert c.get("cnf") == {"x5t#S256": thumb}, f"cnf {c.get('cnf')} != x5t#S256 {thumb}"
    ev = watch.assert_issued(secrets=[body["access_token"]])
    assert ev["details"].get("client_id") == cid, ev


def test_tls_client_auth_wrong_san_is_refused(exchange_server, mtls_client, tmp_path):
    cid, _, aud, _ = mtls_client
    other = f"spiffe://{TD}/prod/{unique('impostor')}"
    exchange_server.create_entry(other)
    d = exchange_server.mint_x509(other, tmp_path / "impostor")
    watch = Watch(exchange_server)
    token_error(post_token(exchange_server, {"grant_type": CLIENT_CREDENTIALS, "client_id": cid, "audience": aud},
                           cert=(str(d / "svid.pem"), str(d / "svid.key"))), "invalid_client")
    watch.assert_refused("san", "uri", other)


def test_tls_client_auth_without_certificate_is_refused(exchange_server, mtls_client):
    cid, _, aud, _ = mtls_client
    watch = Watch(exchange_server)
    token_error(post_token(exchange_server, {"grant_type": CLIENT_CREDENTIALS, "client_id": cid, "audience": aud}),
                "invalid_client")
    watch.assert_refused("certificate", "cert", "tls")


def test_tls_client_auth_client_cannot_use_private_key_jwt_slot(exchange_server, mtls_client, es_client):
    """A tls_client_auth client id with another client's (valid) assertion is not authenticated."""
    cid, _, aud, _ = mtls_client
    assertion = es_client.assertion(iss=cid, sub=cid)
    token_error(post_token(exchange_server, {"grant_type": CLIENT_CREDENTIALS, "client_assertion_type": JWT_BEARER,
                                             "client_assertion": assertion, "audience": aud}), "invalid_client")
