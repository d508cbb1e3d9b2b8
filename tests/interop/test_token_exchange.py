"""RFC 8693 token exchange at /oauth2/token with tokens from a real (test) OIDC issuer.

The issuer (tests/interop/oidc_issuer.py) serves discovery + JWKS over HTTPS on
loopback; Signet trusts its CA through `[exchange] ca_bundle`, fetches its keys,
and maps GitHub-Actions-shaped and Kubernetes-shaped tokens to SPIFFE IDs under
trust rules. Every refusal must be an OAuth JSON error with `Cache-Control:
no-store`, issue nothing, and leave an `exchange.token` denied event with the
full reason.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from conftest_exchange import (ACCESS_TOKEN_TYPE, GITHUB_CONDITION, ID_TOKEN_TYPE, JWT_TYPE, K8S_CONDITION,
                               MAX_AGE, REFRESH, TOKEN_EXCHANGE, X509_TYPE, Watch, claims_of, create_rule, exchange,
                               header_of, post_token, start_exchange_server, token_error, exchange_ok,
                               verify_via_discovery, wait_until)
from harness import unique
from oidc_issuer import DROP, OIDCIssuer

TD = "example.org"
GITHUB_ID = f"spiffe://{TD}/ci/github/acme/app"
K8S_ID = f"spiffe://{TD}/k8s/ns/payments/sa/api"


def _aud(prefix: str) -> str:
    return f"https://{unique(prefix)}.signet.test"


@pytest.fixture(scope="module")
def gh_rule(exchange_server, oidc_issuer):
    """A GitHub-preset rule pinned to the acme organisation; (rule, accepted audience)."""
    aud = _aud("gh")
    rule = create_rule(exchange_server, unique("gh-acme-"), oidc_issuer.issuer, [aud], preset="github",
                       condition=GITHUB_CONDITION, max_ttl=600)
    return rule, aud


@pytest.fixture(scope="module")
def k8s_rule(exchange_server, oidc_issuer):
    aud = _aud("k8s")
    rule = create_rule(exchange_server, unique("k8s-payments-"), oidc_issuer.issuer, [aud], preset="kubernetes",
                       condition=K8S_CONDITION, max_ttl=600)
    return rule, aud


# --------------------------------------------------------------------------
# Positive exchanges
# --------------------------------------------------------------------------


def test_rule_created_from_preset(gh_rule, oidc_issuer):
    rule, aud = gh_rule
    assert rule["issuer"] == oidc_issuer.issuer
    assert rule["subject_template"] == f"spiffe://{TD}/ci/github/{{repository_owner}}/{{repository#2}}", rule
    assert rule["audiences"] == [aud]
    assert rule.get("lint", []) == [], rule


def test_github_exchange_issues_jwt_svid(exchange_server, oidc_issuer, gh_rule):
    rule, aud = gh_rule
    target = "https://deploy.acme.internal"
    subject = oidc_issuer.github_token(aud)
    watch = Watch(exchange_server)
    body = exchange_ok(exchange(exchange_server, subject, target))
    assert body["issued_token_type"] == JWT_TYPE, body
    assert body["token_type"] == "N_A", body
    token = body["access_token"]
    header, claims = header_of(token), claims_of(token)
    assert header.get("typ", "JWT") == "JWT" and header["alg"] == "ES256" and header["kid"], header
    assert set(header) <= {"alg", "kid", "typ"}, f"JWT-SVID header may only hold alg, kid, typ: {header}"
    assert claims["sub"] == GITHUB_ID, claims
    aud_claim = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    assert target in aud_claim, claims
    assert claims.get("signet_rule") == rule["name"], claims
    assert 0 < claims["exp"] - claims["iat"] <= 600 and abs(body["expires_in"] - (claims["exp"] - time.time())) < 5
    assert "repository" not in claims, "external claims must not leak into the SVID"

    # signet jwt verify (the server's own verifier, through /bundle).
    proc = exchange_server.jwt_verify(token, target, "--output", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    verified = json.loads(proc.stdout)
    assert verified["valid"] is True and verified["spiffe_id"] == GITHUB_ID, verified
    assert verified["delegation"] == [], verified
    # A relying party with nothing but OIDC discovery (joserfc).
    decoded = verify_via_discovery(exchange_server, token, audience=target,
                                   extra={"sub": {"essential": True, "value": GITHUB_ID}})
    assert decoded.header["kid"] == exchange_server.active_jwt_kid()

    ev = watch.assert_issued(secrets=[subject, token])
    d = ev.get("details", {})
    assert d.get("rule") == rule["name"], ev
    assert d.get("issuer") == oidc_issuer.issuer, ev
    assert d.get("spiffe_id") == GITHUB_ID or ev.get("subject") == GITHUB_ID, ev
    assert d.get("external_sub") == "repo:acme/app:ref:refs/heads/main", ev
    # The credential inventory knows the JWT-SVID.
    creds = exchange_server.get(f"/v1/credentials?spiffe_id={GITHUB_ID}&limit=10000").json()["credentials"]
    assert creds, "the exchanged JWT-SVID is not in the credential inventory"


@pytest.mark.parametrize("subject_type", [ID_TOKEN_TYPE, ACCESS_TOKEN_TYPE])
def test_other_subject_token_types_and_audience_array(exchange_server, oidc_issuer, gh_rule, subject_type):
    """id_token / access_token subject types are accepted; an aud array holding the rule's audience matches."""
    _, aud = gh_rule
    subject = oidc_issuer.github_token(["https://unrelated.example", aud])
    body = exchange_ok(exchange(exchange_server, subject, "svc-a", subject_token_type=subject_type))
    assert claims_of(body["access_token"])["sub"] == GITHUB_ID


def test_resource_names_the_audience(exchange_server, oidc_issuer, gh_rule):
    """RFC 8693 `resource` (an absolute URI) instead of `audience`."""
    _, aud = gh_rule
    body = exchange_ok(exchange(exchange_server, oidc_issuer.github_token(aud), None,
                                resource="https://storage.acme.internal/bucket"))
    claims = claims_of(body["access_token"])
    assert "https://storage.acme.internal/bucket" in (claims["aud"] if isinstance(claims["aud"], list)
                                                      else [claims["aud"]]), claims


def test_concurrent_replay_issues_exactly_once(exchange_server, oidc_issuer, gh_rule):
    """Eight simultaneous exchanges of one token: one credential, seven invalid_grant."""
    from concurrent.futures import ThreadPoolExecutor
    _, aud = gh_rule
    subject = oidc_issuer.github_token(aud)
    watch = Watch(exchange_server)
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda _: exchange(exchange_server, subject, "https://deploy.acme.internal"),
                                  range(8)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [400] * 7, [(r.status_code, r.text[:200]) for r in responses]
    for r in responses:
        if r.status_code == 400:
            token_error(r, "invalid_grant")
    assert watch.issued() == 1, f"{watch.issued()} credentials issued for one subject token"


def test_kubernetes_exchange(exchange_server, oidc_issuer, k8s_rule):
    rule, aud = k8s_rule
    subject = oidc_issuer.kubernetes_token(aud)
    assert header_of(subject)["alg"] == "ES256"
    watch = Watch(exchange_server)
    body = exchange_ok(exchange(exchange_server, subject, "https://ledger.internal"))
    claims = claims_of(body["access_token"])
    assert claims["sub"] == K8S_ID, claims
    assert claims.get("signet_rule") == rule["name"]
    verify_via_discovery(exchange_server, body["access_token"], audience="https://ledger.internal")
    ev = watch.assert_issued(secrets=[subject])
    assert ev["details"].get("external_sub") == "system:serviceaccount:payments:api", ev


def test_kubernetes_other_namespace_is_refused(exchange_server, oidc_issuer, k8s_rule):
    _, aud = k8s_rule
    subject = oidc_issuer.kubernetes_token(aud, namespace="kube-system", service_account="default")
    watch = Watch(exchange_server)
    token_error(exchange(exchange_server, subject, "https://ledger.internal"), "invalid_grant", "invalid_request")
    watch.assert_refused("condition", "namespace", "no rule", "match")


def test_access_token_is_rfc9068(exchange_server, oidc_issuer, gh_rule):
    _, aud = gh_rule
    target = "https://api.acme.internal"
    subject = oidc_issuer.github_token(aud)
    body = exchange_ok(exchange(exchange_server, subject, target, requested_token_type=ACCESS_TOKEN_TYPE,
                             scope="deploy read"))
    assert body["issued_token_type"] == ACCESS_TOKEN_TYPE, body
    assert body["token_type"].lower() == "bearer", body
    decoded = verify_via_discovery(exchange_server, body["access_token"], audience=target, typ="at+jwt",
                                   extra={"sub": {"essential": True, "value": GITHUB_ID},
                                          "jti": {"essential": True}, "client_id": {"essential": True}})
    c = decoded.claims
    assert isinstance(c["client_id"], str) and c["client_id"], c
    assert isinstance(c["jti"], str) and len(c["jti"]) >= 16, c
    assert c.get("scope") in (None, "deploy read"), c
    # Token confusion: a JWT-SVID verifier refuses an at+jwt (typ must be JWT or JOSE).
    proc = exchange_server.jwt_verify(body["access_token"], target)
    assert proc.returncode != 0, f"`signet jwt verify` accepted an at+jwt access token as a JWT-SVID:\n{proc.stdout}"
    # Two issued tokens never share a jti.
    other = exchange_ok(exchange(exchange_server, oidc_issuer.github_token(aud), target,
                              requested_token_type=ACCESS_TOKEN_TYPE))
    assert claims_of(other["access_token"])["jti"] != c["jti"]


def _csr(key) -> str:
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ci job")]))
           .sign(key, hashes.SHA256()))
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def test_x509_svid_via_csr(exchange_server, oidc_issuer, gh_rule, tmp_path):
    _, aud = gh_rule
    key = ec.generate_private_key(ec.SECP256R1())
    subject = oidc_issuer.github_token(aud)
    watch = Watch(exchange_server)
    body = exchange_ok(exchange(exchange_server, subject, "x509", requested_token_type=X509_TYPE, csr=_csr(key)))
    assert body["issued_token_type"] == X509_TYPE, body
    assert body["token_type"] == "N_A", body
    chain_pem = body["access_token"]
    certs = x509.load_pem_x509_certificates(chain_pem.encode())
    leaf = certs[0]
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.UniformResourceIdentifier) == [GITHUB_ID]
    assert leaf.public_key().public_numbers() == key.public_key().public_numbers(), "not the CSR's key"
    assert 0 < (leaf.not_valid_after_utc.timestamp() - time.time()) <= 600 + 5, "rule max_ttl (600 s) not applied"
    # openssl verifies the chain against Signet's published bundle.
    bundle = exchange_server.get("/bundle.pem", cert=None).text
    (tmp_path / "bundle.pem").write_text(bundle)
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "chain.pem").write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs[1:]))
    cmd = ["openssl", "verify", "-CAfile", str(tmp_path / "bundle.pem")]
    if certs[1:]:
        cmd += ["-untrusted", str(tmp_path / "chain.pem")]
    proc = subprocess.run(cmd + [str(tmp_path / "leaf.pem")], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0 and ": OK" in proc.stdout, proc.stdout + proc.stderr
    watch.assert_issued(secrets=[subject])


def test_x509_requested_without_csr_is_invalid_request(exchange_server, oidc_issuer, gh_rule):
    _, aud = gh_rule
    subject = oidc_issuer.github_token(aud)
    watch = Watch(exchange_server)
    token_error(exchange(exchange_server, subject, "x509", requested_token_type=X509_TYPE), "invalid_request")
    assert watch.issued() == 0
    # The subject token was not consumed by a malformed request.
    exchange_ok(exchange(exchange_server, subject, "x509", requested_token_type=X509_TYPE,
                      csr=_csr(ec.generate_private_key(ec.SECP256R1()))))


# --------------------------------------------------------------------------
# Refusals
# --------------------------------------------------------------------------


def _hs256_confusion(issuer: OIDCIssuer, aud: str) -> str:
    """HS256 keyed with the RSA public key's PEM bytes (the classic algorithm-confusion attack)."""
    key = issuer.key_for("RS256")
    claims = issuer.github_claims(aud)
    return issuer.mint_raw({"alg": "HS256", "typ": "JWT", "kid": key.kid}, claims, key=key.public_pem())


def _unknown_kid(issuer: OIDCIssuer, aud: str) -> str:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return issuer.mint_raw({"alg": "RS256", "typ": "JWT", "kid": "not-" + uuid.uuid4().hex}, issuer.github_claims(aud),
                           key=stranger)


def _wrong_key_known_kid(issuer: OIDCIssuer, aud: str) -> str:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return issuer.mint_raw({"alg": "RS256", "typ": "JWT", "kid": issuer.key_for("RS256").kid},
                           issuer.github_claims(aud), key=stranger)


NOW = lambda: int(time.time())  # noqa: E731

REFUSALS = {
    # name: (token factory, accepted OAuth errors, words one of which the event reason must contain)
    "wrong-issuer": (lambda i, a: i.github_token(a, iss="https://token.actions.githubusercontent.com"),
                     ("invalid_grant", "invalid_request"), ("issuer", "iss", "no rule")),
    "wrong-audience": (lambda i, a: i.github_token("https://someone-else.example"),
                       ("invalid_grant", "invalid_request"), ("aud",)),
    "expired": (lambda i, a: i.github_token(a, iat=NOW() - 900, nbf=NOW() - 900, exp=NOW() - 120),
                ("invalid_grant", "invalid_request"), ("expired", "exp")),
    "not-yet-valid": (lambda i, a: i.github_token(a, nbf=NOW() + 600, exp=NOW() + 900),
                      ("invalid_grant", "invalid_request"), ("nbf", "not yet", "not valid before", "future")),
    "issued-in-future": (lambda i, a: i.github_token(a, iat=NOW() + 600, nbf=DROP, exp=NOW() + 900),
                         ("invalid_grant", "invalid_request"), ("iat", "future", "issued")),
    "no-exp": (lambda i, a: i.github_token(a, exp=DROP), ("invalid_grant", "invalid_request"), ("exp",)),
    "alg-none": (lambda i, a: i.mint_raw({"alg": "none", "typ": "JWT", "kid": i.key_for("RS256").kid},
                                         i.github_claims(a)),
                 ("invalid_grant", "invalid_request"), ("alg", "none", "algorithm")),
    "hs256-public-key": (_hs256_confusion, ("invalid_grant", "invalid_request"), ("alg", "hs256", "algorithm")),
    "unknown-kid": (_unknown_kid, ("invalid_grant", "invalid_request"), ("kid", "key")),
    "bad-signature": (_wrong_key_known_kid, ("invalid_grant", "invalid_request"), ("signature",)),
    "condition-false": (lambda i, a: i.github_token(a, repository="evil/app", repository_owner="evil",
                                                    repository_owner_id="666"),
                        ("invalid_grant", "invalid_request"), ("condition",)),
    "owner-id-mismatch": (lambda i, a: i.github_token(a, repository_owner_id="666"),
                          ("invalid_grant", "invalid_request"), ("condition",)),
    "claim-injection": (lambda i, a: i.github_token(a, repository="acme/../../x", repository_owner="acme"),
                        ("invalid_grant", "invalid_request"), ("repository",)),
    "claim-injection-slash-in-owner": (lambda i, a: i.github_token(a, repository_owner="acme/..",
                                                                   repository="acme/app"),
                                       ("invalid_grant", "invalid_request"), ("repository_owner", "condition")),
    "claim-injection-percent": (lambda i, a: i.github_token(a, repository="acme/%2e%2e"),
                                ("invalid_grant", "invalid_request"), ("repository",)),
    "not-a-jwt": (lambda i, a: "this.is.not-a-jwt", ("invalid_grant", "invalid_request"), ("",)),
    "payload-not-json": (lambda i, a: i.mint_raw({"alg": "RS256", "kid": i.key_for("RS256").kid}, b"[1,2",
                                                 key=i.key_for("RS256").private_key),
                         ("invalid_grant", "invalid_request"), ("",)),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refused_subject_token(exchange_server, oidc_issuer, gh_rule, case):
    rule, aud = gh_rule
    factory, codes, words = REFUSALS[case]
    subject = factory(oidc_issuer, aud)
    fetches_before = oidc_issuer.jwks_fetches
    watch = Watch(exchange_server)
    r = exchange(exchange_server, subject, "https://deploy.acme.internal")
    # The description is for an unauthenticated caller: no token, no rule internals.
    token_error(r, *codes, secrets=[subject, rule["name"], GITHUB_CONDITION, rule["id"]])
    watch.assert_refused(*[w for w in words if w], secrets=[subject])
    if case in ("alg-none", "hs256-public-key"):
        # Refused on the header alone: an HS/none token must not even make Signet refetch keys.
        assert oidc_issuer.jwks_fetches == fetches_before, "alg none/HS256 triggered a JWKS fetch"


def test_untrusted_issuer_is_never_contacted(exchange_server, issuer_ca, gh_rule):
    """A well-formed token from a live issuer that no rule names: refused without a fetch to that issuer."""
    _, aud = gh_rule
    other = OIDCIssuer(issuer_ca).start()
    try:
        subject = other.github_token(aud)
        watch = Watch(exchange_server)
        token_error(exchange(exchange_server, subject, "x"), "invalid_grant", "invalid_request")
        watch.assert_refused("issuer", "iss", "no rule", secrets=[subject])
        assert other.jwks_fetches == 0 and other.discovery_fetches == 0, \
            f"Signet contacted an issuer that no trust rule names: {other.requests}"
    finally:
        other.stop()


def test_refused_token_is_not_consumed(exchange_server, oidc_issuer, gh_rule):
    """A refusal for the request's own fault (audience missing) does not burn the subject token."""
    _, aud = gh_rule
    subject = oidc_issuer.github_token(aud)
    token_error(exchange(exchange_server, subject, None), "invalid_request", "invalid_target")
    exchange_ok(exchange(exchange_server, subject, "https://deploy.acme.internal"))


def test_replayed_subject_token_is_refused(exchange_server, oidc_issuer, gh_rule):
    _, aud = gh_rule
    subject = oidc_issuer.github_token(aud)
    exchange_ok(exchange(exchange_server, subject, "https://deploy.acme.internal"))
    watch = Watch(exchange_server)
    body = token_error(exchange(exchange_server, subject, "https://other.acme.internal"), "invalid_grant",
                       secrets=[subject])
    assert "used" in body["error_description"].lower(), body
    watch.assert_refused("used", "replay", secrets=[subject])
    # Another requested token type does not open a second use either.
    token_error(exchange(exchange_server, subject, "https://deploy.acme.internal",
                         requested_token_type=ACCESS_TOKEN_TYPE), "invalid_grant")


def test_subject_token_without_jti_is_single_use_too(exchange_server, oidc_issuer, gh_rule):
    _, aud = gh_rule
    subject = oidc_issuer.github_token(aud, jti=DROP)
    exchange_ok(exchange(exchange_server, subject, "https://deploy.acme.internal"))
    token_error(exchange(exchange_server, subject, "https://deploy.acme.internal"), "invalid_grant")


def test_replay_refused_after_restart(tmp_path, issuer_ca, oidc_issuer):
    """Replay protection is durable: the same token is refused by the same server after a restart."""
    data = tmp_path / "data"
    s = start_exchange_server(data, issuer_ca.pem_path)
    aud = _aud("restart")
    try:
        create_rule(s, unique("gh-restart-"), oidc_issuer.issuer, [aud], preset="github", condition=GITHUB_CONDITION)
        subject = oidc_issuer.github_token(aud)
        exchange_ok(exchange(s, subject, "https://deploy.acme.internal"))
    finally:
        s.stop_cleanly()
    s2 = start_exchange_server(data, issuer_ca.pem_path)
    try:
        watch = Watch(s2)
        token_error(exchange(s2, subject, "https://deploy.acme.internal"), "invalid_grant")
        watch.assert_refused("used", "replay")
        # A fresh token from the same job still works after the restart.
        exchange_ok(exchange(s2, oidc_issuer.github_token(aud), "https://deploy.acme.internal"))
    finally:
        s2.stop_cleanly()


def test_ambiguous_rules_are_refused(exchange_server, oidc_issuer):
    """Two rules accepting the same token but mapping to different IDs: refused, never a guess."""
    aud = _aud("amb")
    create_rule(exchange_server, unique("amb-a-"), oidc_issuer.issuer, [aud], preset="github",
                condition=GITHUB_CONDITION)
    create_rule(exchange_server, unique("amb-b-"), oidc_issuer.issuer, [aud], preset="github",
                template=f"spiffe://{TD}/ci/other/{{repository_owner}}/{{repository#2}}",
                condition=GITHUB_CONDITION, accept_risk="interop: deliberately overlapping audience")
    watch = Watch(exchange_server)
    body = token_error(exchange(exchange_server, oidc_issuer.github_token(aud), "x"), "invalid_grant",
                       "invalid_request")
    assert "ambiguous" in body["error_description"], body
    ev = watch.assert_refused()
    reason = ev.get("reason") or ""
    assert f"spiffe://{TD}/ci/github/acme/app" in reason and f"spiffe://{TD}/ci/other/acme/app" in reason, ev
    # The event must say why the token was refused, not only what each rule did.
    assert "ambiguous" in reason.lower(), f"the denied event does not say the mapping was ambiguous: {reason!r}"


def test_ttl_is_capped_by_rule(exchange_server, oidc_issuer):
    aud = _aud("ttl")
    create_rule(exchange_server, unique("gh-ttl-"), oidc_issuer.issuer, [aud], preset="github",
                condition=GITHUB_CONDITION, max_ttl=60)
    body = exchange_ok(exchange(exchange_server, oidc_issuer.github_token(aud), "x"))
    c = claims_of(body["access_token"])
    assert c["exp"] - c["iat"] <= 60 and body["expires_in"] <= 60, (c, body)


# --------------------------------------------------------------------------
# Malformed requests
# --------------------------------------------------------------------------


def test_wrong_content_type_is_invalid_request(exchange_server, oidc_issuer, gh_rule):
    _, aud = gh_rule
    subject = oidc_issuer.github_token(aud)
    watch = Watch(exchange_server)
    r = post_token(exchange_server, None, json={"grant_type": TOKEN_EXCHANGE, "subject_token": subject,
                                                "subject_token_type": JWT_TYPE, "audience": "x"})
    token_error(r, "invalid_request", secrets=[subject])
    assert watch.issued() == 0
    # Not consumed: the same token still exchanges once sent as a form.
    exchange_ok(exchange(exchange_server, subject, "x"))


@pytest.mark.parametrize("drop", ["subject_token", "subject_token_type", "grant_type"])
def test_missing_parameter_is_invalid_request(exchange_server, oidc_issuer, gh_rule, drop):
    _, aud = gh_rule
    data = {"grant_type": TOKEN_EXCHANGE, "subject_token": oidc_issuer.github_token(aud),
            "subject_token_type": JWT_TYPE, "audience": "x"}
    del data[drop]
    watch = Watch(exchange_server)
    body = token_error(post_token(exchange_server, data), "invalid_request", secrets=[data.get("subject_token", "")])
    assert drop in body["error_description"], f"description should name the missing {drop}: {body}"
    assert watch.issued() == 0


def test_unsupported_subject_token_type(exchange_server, oidc_issuer, gh_rule):
    _, aud = gh_rule
    r = exchange(exchange_server, oidc_issuer.github_token(aud), "x",
                 subject_token_type="urn:ietf:params:oauth:token-type:saml2")
    token_error(r, "invalid_request")


def test_unsupported_requested_token_type(exchange_server, oidc_issuer, gh_rule):
    _, aud = gh_rule
    r = exchange(exchange_server, oidc_issuer.github_token(aud), "x",
                 requested_token_type="urn:ietf:params:oauth:token-type:refresh_token")
    token_error(r, "invalid_request", "invalid_target")


def test_duplicate_parameter_is_invalid_request(exchange_server, oidc_issuer, gh_rule):
    """RFC 6749 §3.2: request parameters must not be included more than once."""
    _, aud = gh_rule
    t1, t2 = oidc_issuer.github_token(aud), oidc_issuer.github_token(aud)
    data = [("grant_type", TOKEN_EXCHANGE), ("subject_token", t1), ("subject_token", t2),
            ("subject_token_type", JWT_TYPE), ("audience", "x")]
    watch = Watch(exchange_server)
    token_error(post_token(exchange_server, data), "invalid_request")
    assert watch.issued() == 0


@pytest.mark.parametrize("grant", ["password", "authorization_code", "urn:ietf:params:oauth:grant-type:jwt-bearer"])
def test_unsupported_grant_type(exchange_server, grant):
    r = post_token(exchange_server, {"grant_type": grant, "username": "a", "password": "b"})
    token_error(r, "unsupported_grant_type")


def test_oversize_body_is_refused(exchange_server, oidc_issuer, gh_rule):
    _, aud = gh_rule
    data = {"grant_type": TOKEN_EXCHANGE, "subject_token": oidc_issuer.github_token(aud),
            "subject_token_type": JWT_TYPE, "audience": "x", "scope": "a" * (70 * 1024)}
    watch = Watch(exchange_server)
    r = post_token(exchange_server, data)
    assert r.status_code in (400, 413), f"oversize body: HTTP {r.status_code} {r.text[:300]}"
    assert "no-store" in r.headers.get("Cache-Control", ""), r.headers
    assert r.json().get("error") == "invalid_request", r.text[:300]
    assert watch.issued() == 0
    # The server is still healthy.
    assert exchange_server.get("/readyz", cert=None).status_code == 200


def test_get_is_not_a_token_request(exchange_server):
    import requests
    r = requests.get(exchange_server.url + "/oauth2/token", verify=exchange_server.ca_file, timeout=10)
    assert r.status_code in (400, 404, 405), r.status_code


def test_discovery_advertises_token_endpoint(exchange_server):
    from conftest_exchange import discovery
    doc = discovery(exchange_server)
    assert doc.get("token_endpoint") == doc["issuer"] + "/oauth2/token", doc
    assert TOKEN_EXCHANGE in doc.get("grant_types_supported", []), doc
    assert "client_credentials" in doc.get("grant_types_supported", []), doc
    assert set(doc.get("token_endpoint_auth_methods_supported", [])) >= {"private_key_jwt", "tls_client_auth"}, doc
    assert doc.get("tls_client_certificate_bound_access_tokens") is True, doc
    assert doc.get("token_endpoint_auth_signing_alg_values_supported"), doc


# --------------------------------------------------------------------------
# The issuer's keys: rotation and outages
# --------------------------------------------------------------------------


def test_key_rotation_is_picked_up_without_restart(exchange_server, issuer_ca):
    issuer = OIDCIssuer(issuer_ca).start()
    try:
        aud = _aud("rot")
        create_rule(exchange_server, unique("gh-rot-"), issuer.issuer, [aud], preset="github",
                    condition=GITHUB_CONDITION)
        exchange_ok(exchange(exchange_server, issuer.github_token(aud), "x"))
        assert issuer.jwks_fetches >= 1
        old, new = issuer.rotate("RS256")
        before = issuer.jwks_fetches
        # A token signed with the new key (unknown kid to Signet) makes it refetch, at most once per interval.
        wait_until(lambda: exchange(exchange_server, issuer.github_token(aud), "x").status_code == 200,
                   timeout=REFRESH + 4, what="a token signed by the rotated-in key to be accepted")
        assert issuer.jwks_fetches > before, "Signet accepted a new kid without fetching the JWKS"
        # Unknown kids in a burst refetch at most once per jwks_min_refetch_seconds.
        time.sleep(1.1)
        burst_start, t0 = issuer.jwks_fetches, time.monotonic()
        for _ in range(6):
            token_error(exchange(exchange_server, _unknown_kid(issuer, aud), "x"), "invalid_grant", "invalid_request")
        elapsed = time.monotonic() - t0
        assert issuer.jwks_fetches - burst_start <= int(elapsed) + 1 + 1, \
            f"{issuer.jwks_fetches - burst_start} JWKS fetches for 6 unknown-kid tokens in {elapsed:.1f}s"
        # The retired key stops working once Signet's cache refreshes (no restart).
        old_token = issuer.mint(issuer.github_claims(aud), key=old)
        wait_until(lambda: exchange(exchange_server, issuer.mint(issuer.github_claims(aud), key=old),
                                    "x").status_code == 400,
                   timeout=REFRESH + 6, what="the retired key to be refused")
        assert old_token
    finally:
        issuer.stop()


def test_unreachable_issuer_uses_cached_keys_until_max_age(exchange_server, issuer_ca):
    issuer = OIDCIssuer(issuer_ca).start()
    aud = _aud("down")
    try:
        create_rule(exchange_server, unique("gh-down-"), issuer.issuer, [aud], preset="github",
                    condition=GITHUB_CONDITION)
        exchange_ok(exchange(exchange_server, issuer.github_token(aud), "x"))
        issuer.stop()
        down_at = time.monotonic()
        # Connection refused now; cached keys still verify, also after the refresh interval has passed.
        exchange_ok(exchange(exchange_server, issuer.github_token(aud), "x"))
        time.sleep(REFRESH + 0.5)
        exchange_ok(exchange(exchange_server, issuer.github_token(aud), "x"))
        # Past the maximum age (counted from the last successful fetch, before down_at) the keys are refused.
        time.sleep(max(0.0, MAX_AGE + 0.5 - (time.monotonic() - down_at)))
        watch = Watch(exchange_server)
        subject = issuer.github_token(aud)
        token_error(exchange(exchange_server, subject, "x"), "invalid_grant", "invalid_request", secrets=[subject])
        watch.assert_refused("fetch", "unreachable", "unavailable", "old")
        # Back up: the same server fetches again and accepts.
        issuer.start()
        wait_until(lambda: exchange(exchange_server, issuer.github_token(aud), "x").status_code == 200,
                   timeout=REFRESH + 4, what="the issuer's keys after it came back")
    finally:
        issuer.stop()
