"""JWT-SVIDs verified by generic OIDC/JOSE libraries after OIDC discovery (joserfc, PyJWT)."""

from __future__ import annotations

import ssl
import time

import jwt as pyjwt
import pytest
import requests
from joserfc import jwt as jose_jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from harness import HTTP_TIMEOUT, decode_part, unique

AUD = "https://interop.example.org/api"


@pytest.fixture(scope="module")
def jwt_identity(server):
    spiffe_id = f"spiffe://example.org/prod/{unique('jwt')}"
    server.create_entry(spiffe_id)
    return spiffe_id


@pytest.fixture(scope="module")
def discovery(server):
    r = requests.get(server.url + "/.well-known/openid-configuration", verify=server.ca_file, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    return r.json()


@pytest.fixture(scope="module")
def jwks(server, discovery):
    # jwks_uri names https://localhost:PORT; the server certificate has a localhost SAN.
    r = requests.get(discovery["jwks_uri"], verify=server.ca_file, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()


def test_discovery_document(server, discovery):
    assert discovery["issuer"] == server.default_issuer
    assert discovery["jwks_uri"] == server.default_issuer + "/keys"
    assert "ES256" in discovery["id_token_signing_alg_values_supported"]
    assert "public" in discovery["subject_types_supported"]
    assert "id_token" in discovery["response_types_supported"]


def test_jwks_matches_spiffe_bundle(server, jwks):
    bundle = server.get("/bundle", cert=None).json()
    jwt_keys = {k["kid"]: (k["kty"], k["crv"], k["x"], k["y"]) for k in bundle["keys"] if k.get("use") == "jwt-svid"}
    published = {k["kid"]: (k["kty"], k["crv"], k["x"], k["y"]) for k in jwks["keys"]}
    assert published == jwt_keys and published, (published, jwt_keys)
    for k in jwks["keys"]:
        assert "d" not in k, "private key material in the JWKS!"
        assert k.get("use", "sig") == "sig"
        assert k.get("alg", "ES256") == "ES256"
    assert server.active_jwt_kid() in published


def test_joserfc_verifies_minted_token(server, discovery, jwks, jwt_identity):
    token = server.mint_jwt(jwt_identity, AUD)
    keys = KeySet.import_key_set(jwks)
    decoded = jose_jwt.decode(token, keys, algorithms=["ES256"])
    assert decoded.header["alg"] == "ES256"
    assert decoded.header["kid"] in {k["kid"] for k in jwks["keys"]}
    registry = jose_jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": discovery["issuer"]},
        sub={"essential": True, "value": jwt_identity},
        aud={"essential": True, "value": AUD},
        exp={"essential": True},
        iat={"essential": True},
    )
    registry.validate(decoded.claims)
    now = time.time()
    assert now < decoded.claims["exp"] <= now + 300 + 5, decoded.claims
    # The same registry refuses another audience.
    with pytest.raises(JoseError):
        jose_jwt.JWTClaimsRegistry(aud={"essential": True, "value": "someone-else"}).validate(decoded.claims)


def test_joserfc_refuses_other_algorithms(server, jwks, jwt_identity):
    token = server.mint_jwt(jwt_identity, AUD)
    with pytest.raises(JoseError):
        jose_jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["RS256"])


def test_pyjwt_verifies_via_pyjwkclient(server, discovery, jwt_identity):
    token = server.mint_jwt(jwt_identity, AUD)
    ctx = ssl.create_default_context(cafile=server.ca_file)
    client = pyjwt.PyJWKClient(discovery["jwks_uri"], ssl_context=ctx, timeout=HTTP_TIMEOUT)
    signing_key = client.get_signing_key_from_jwt(token)
    claims = pyjwt.decode(token, signing_key.key, algorithms=["ES256"], audience=AUD,
                          issuer=discovery["issuer"], options={"require": ["exp", "iat", "sub", "aud", "iss"]})
    assert claims["sub"] == jwt_identity
    assert claims["iss"] == server.default_issuer
    assert claims["exp"] > time.time()
    with pytest.raises(pyjwt.InvalidAudienceError):
        pyjwt.decode(token, signing_key.key, algorithms=["ES256"], audience="someone-else")


def test_pyjwt_verifies_token_minted_over_http_with_two_audiences(server, jwks, jwt_identity):
    r = server.post("/v1/svids/jwt", json={"spiffe_id": jwt_identity, "audience": ["aud-a", "aud-b"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["spiffe_id"] == jwt_identity and sorted(body["audience"]) == ["aud-a", "aud-b"]
    token = body["token"]
    header = decode_part(token, 0)
    assert set(header) <= {"alg", "kid", "typ"} and header["alg"] == "ES256"
    key = pyjwt.PyJWKSet.from_dict(jwks)[header["kid"]]
    for aud in ("aud-a", "aud-b"):
        claims = pyjwt.decode(token, key.key, algorithms=["ES256"], audience=aud, options={"require": ["exp"]})
        assert claims["sub"] == jwt_identity
    assert r.headers.get("cache-control") == "no-store"


def test_public_url_sets_issuer(spawn_server):
    public = "https://signet.interop.example:8443"
    s = spawn_server("public-url", public_url=public)
    doc = s.get("/.well-known/openid-configuration", cert=None).json()
    assert doc["issuer"] == public
    assert doc["jwks_uri"] == public + "/keys"
    spiffe_id = f"spiffe://example.org/prod/{unique()}"
    s.create_entry(spiffe_id)
    token = s.mint_jwt(spiffe_id, "aud")
    jwks = s.get("/keys", cert=None).json()
    claims = pyjwt.decode(token, pyjwt.PyJWKSet.from_dict(jwks)[decode_part(token, 0)["kid"]].key,
                          algorithms=["ES256"], audience="aud", issuer=public)
    assert claims["sub"] == spiffe_id


def test_jwt_lifetime_is_capped(server, jwt_identity):
    token = server.cli_ok("jwt", "mint", "--spiffe-id", jwt_identity, "--audience", AUD, "--ttl", "1h").stdout.strip()
    claims = decode_part(token, 1)
    assert claims["exp"] - claims["iat"] <= 300, f"JWT lives {claims['exp'] - claims['iat']}s, max is 300s"
    token = server.cli_ok("jwt", "mint", "--spiffe-id", jwt_identity, "--audience", AUD, "--ttl", "1m").stdout.strip()
    claims = decode_part(token, 1)
    assert claims["exp"] - claims["iat"] <= 60


def test_every_token_has_a_unique_jti(server, jwt_identity):
    tokens = [server.mint_jwt(jwt_identity, AUD) for _ in range(3)]
    jtis = [decode_part(t, 1).get("jti") for t in tokens]
    assert all(jtis) and len(set(jtis)) == 3, jtis
