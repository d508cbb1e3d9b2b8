"""`signet trust add|list|show|update|delete|test` against a real server and a real OIDC issuer.

Over-broad rules are refused by the linter unless `--accept-risk REASON` is
given (the accepted risk is stored and shown); structural errors are refused
always; `trust test --token` explains which rule matched and why each other
rule did not, without consuming the token.
"""

from __future__ import annotations

import json

import pytest

from conftest_exchange import (GITHUB_CONDITION, Watch, claims_of, cli_fail, exchange, exchange_ok, token_error)
from harness import describe, unique
from oidc_issuer import OIDCIssuer

TD = "example.org"


def _aud(prefix: str) -> str:
    return f"https://{unique(prefix)}.signet.test"


def trust_add(server, name: str, *args: str):
    return server.cli("trust", "add", name, *args)


def base_args(issuer: str, aud: str, *extra: str) -> list[str]:
    return ["--issuer", issuer, "--audience", aud, "--owner", "platform-team", "--purpose", "interop CLI test",
            "--max-ttl", "10m", *extra]


def rule_api(server, name: str):
    return server.get(f"/v1/trust-rules/{name}")


def listed(server) -> dict:
    rules = server.cli_json("trust", "list")["rules"]
    return {r["name"]: r for r in rules}


# --------------------------------------------------------------------------
# Linting and --accept-risk
# --------------------------------------------------------------------------


def test_over_broad_github_rule_needs_accept_risk(exchange_server, oidc_issuer):
    name, aud = unique("gh-any-"), _aud("broad")
    watch = Watch(exchange_server)
    proc = trust_add(exchange_server, name, "--preset", "github", *base_args(oidc_issuer.issuer, aud))
    cli_fail(proc, "tenant-not-pinned")
    assert "--accept-risk" in proc.stdout + proc.stderr, f"the refusal should say how to proceed:\n{describe(proc)}"
    assert rule_api(exchange_server, name).status_code == 404, "a refused rule was stored"
    assert name not in listed(exchange_server)
    assert not [e for e in watch.new_events("trust.rule.create") if e["outcome"] == "success"]
    # Tokens of any organisation are refused: there is no rule.
    token_error(exchange(exchange_server, oidc_issuer.github_token(aud, repository="evil/app"), "x"),
                "invalid_grant", "invalid_request")

    reason = "CI of every org is reviewed monthly (interop)"
    proc = trust_add(exchange_server, name, "--preset", "github", *base_args(oidc_issuer.issuer, aud),
                     "--accept-risk", reason)
    assert proc.returncode == 0, describe(proc)
    shown = exchange_server.cli("trust", "show", name)
    assert shown.returncode == 0, describe(shown)
    assert reason in shown.stdout and "tenant-not-pinned" in shown.stdout, shown.stdout
    rule = listed(exchange_server)[name]
    risk = rule.get("accepted_risk") or {}
    assert risk.get("reason") == reason and "tenant-not-pinned" in risk.get("findings", []), rule
    assert risk.get("accepted_by", "").startswith("spiffe://"), rule
    created = [e for e in watch.new_events("trust.rule.create") if e["outcome"] == "success"]
    assert len(created) == 1 and "tenant-not-pinned" in json.dumps(created[0]), created
    # The accepted risk is real: another organisation's repository maps too.
    body = exchange_ok(exchange(exchange_server, oidc_issuer.github_token(aud, repository="evil/app"), "x"))
    assert claims_of(body["access_token"])["sub"] == f"spiffe://{TD}/ci/github/evil/app"


def test_kubernetes_rule_without_namespace_pin_is_refused(exchange_server, oidc_issuer):
    proc = trust_add(exchange_server, unique("k8s-any-"), "--preset", "kubernetes",
                     *base_args(oidc_issuer.issuer, _aud("k8s")))
    cli_fail(proc, "tenant-not-pinned")


def test_unbounded_mapping_is_refused(exchange_server, oidc_issuer):
    """A generic OIDC rule pins a tenant claim but maps `sub` straight into the ID without constraining it."""
    name = unique("oidc-sub-")
    proc = trust_add(exchange_server, name, "--preset", "oidc", *base_args(oidc_issuer.issuer, _aud("unb")),
                     "--template", f"spiffe://{TD}/oidc/{{sub}}", "--condition", 'claims.repository_owner == "acme"')
    cli_fail(proc, "unbounded-mapping")
    assert rule_api(exchange_server, name).status_code == 404


def test_reused_audience_is_refused(exchange_server, oidc_issuer):
    aud = _aud("shared")
    first = trust_add(exchange_server, unique("gh-first-"), "--preset", "github",
                      *base_args(oidc_issuer.issuer, aud, "--condition", GITHUB_CONDITION))
    assert first.returncode == 0, describe(first)
    cli_fail(trust_add(exchange_server, unique("gh-second-"), "--preset", "github",
                       *base_args(oidc_issuer.issuer, aud, "--condition", GITHUB_CONDITION)), "audience-reused")


def test_ttl_above_policy_is_refused(exchange_server, oidc_issuer):
    args = base_args(oidc_issuer.issuer, _aud("ttl"), "--condition", GITHUB_CONDITION)
    args[args.index("--max-ttl") + 1] = "30d"
    cli_fail(trust_add(exchange_server, unique("gh-long-"), "--preset", "github", *args), "ttl-above-policy")


@pytest.mark.parametrize("bad,words", [
    (["--issuer", "http://insecure.example"], ["issuer", "https"]),
    (["--template", "spiffe://other.org/ci/{repository_owner}"], ["template"]),
    (["--template", f"spiffe://{TD}/ci/{{repository_owner"], ["template"]),
    (["--template", f"spiffe://{TD}/signet/{{repository_owner}}"], ["signet"]),
    (["--condition", "claims.repository_owner =="], ["condition"]),
    (["--condition", "claims.a == 'single quotes'"], ["condition"]),
    (["--allow-actor", "not-a-spiffe-id"], ["actor"]),
    (["--max-ttl", "0s"], ["ttl"]),
], ids=["http-issuer", "foreign-td-template", "unclosed-placeholder", "reserved-path", "condition-syntax",
        "condition-quotes", "bad-actor-pattern", "zero-ttl"])
def test_structural_errors_are_refused_even_with_accept_risk(exchange_server, oidc_issuer, bad, words):
    name = unique("bad-")
    args = base_args(oidc_issuer.issuer, _aud("bad"), "--condition", GITHUB_CONDITION)
    for i in range(0, len(bad), 2):
        if bad[i] in args:
            args[args.index(bad[i]) + 1] = bad[i + 1]
        else:
            args += bad[i:i + 2]
    proc = trust_add(exchange_server, name, "--preset", "github", *args, "--accept-risk", "I accept anything")
    out = cli_fail(proc)
    assert any(w.lower() in out.lower() for w in words), f"error should mention one of {words}:\n{out}"
    assert rule_api(exchange_server, name).status_code == 404


def test_bad_rule_name_is_refused(exchange_server, oidc_issuer):
    proc = trust_add(exchange_server, "Bad Name!", "--preset", "github",
                     *base_args(oidc_issuer.issuer, _aud("n"), "--condition", GITHUB_CONDITION))
    cli_fail(proc, "name")


# --------------------------------------------------------------------------
# list / show / update / delete
# --------------------------------------------------------------------------


def test_rule_lifecycle(exchange_server, oidc_issuer):
    name, aud = unique("gh-life-"), _aud("life")
    watch = Watch(exchange_server)
    exchange_server.cli_ok("trust", "add", name, "--preset", "github",
                           *base_args(oidc_issuer.issuer, aud, "--condition", GITHUB_CONDITION,
                                      "--allow-actor", f"spiffe://{TD}/agents/*"))
    rule = listed(exchange_server)[name]
    assert rule["issuer"] == oidc_issuer.issuer and rule["audiences"] == [aud], rule
    assert rule["condition"] == GITHUB_CONDITION and rule["max_ttl"] == 600 and rule["revision"] == 1, rule
    assert rule["allowed_actors"] == [f"spiffe://{TD}/agents/*"] and rule.get("accepted_risk") is None, rule
    assert rule["owner"] == "platform-team" and rule["purpose"] == "interop CLI test"
    shown = exchange_server.cli_ok("trust", "show", name).stdout
    for text in (name, oidc_issuer.issuer, aud, "ci/github/{repository_owner}/{repository#2}", "platform-team"):
        assert text in shown, f"`trust show` lacks {text!r}:\n{shown}"
    api = rule_api(exchange_server, rule["id"])
    assert api.status_code == 200 and api.json()["name"] == name, api.text
    exchange_ok(exchange(exchange_server, oidc_issuer.github_token(aud), "x"))

    # update: pin one repository; revision+1; the old scope is no longer accepted.
    narrow = GITHUB_CONDITION + ' && claims.repository == "acme/app"'
    exchange_server.cli_ok("trust", "update", name, "--preset", "github",
                           *base_args(oidc_issuer.issuer, aud, "--condition", narrow))
    rule2 = listed(exchange_server)[name]
    assert rule2["revision"] == 2 and rule2["condition"] == narrow and rule2["id"] == rule["id"], rule2
    token_error(exchange(exchange_server, oidc_issuer.github_token(aud, repository="acme/web"), "x"),
                "invalid_grant", "invalid_request")
    exchange_ok(exchange(exchange_server, oidc_issuer.github_token(aud), "x"))
    # An update is linted as well: dropping the condition is refused without --accept-risk.
    cli_fail(exchange_server.cli("trust", "update", name, "--condition", ""), "tenant-not-pinned")
    assert listed(exchange_server)[name]["revision"] == 2

    exchange_server.cli_ok("trust", "delete", name)
    assert rule_api(exchange_server, name).status_code == 404
    cli_fail(exchange_server.cli("trust", "show", name))
    w2 = Watch(exchange_server)
    token_error(exchange(exchange_server, oidc_issuer.github_token(aud), "x"), "invalid_grant", "invalid_request")
    w2.assert_refused()

    actions = {a: [e for e in watch.new_events(a) if e["outcome"] == "success"]
               for a in ("trust.rule.create", "trust.rule.update", "trust.rule.delete")}
    assert len(actions["trust.rule.create"]) == 1 and len(actions["trust.rule.update"]) == 1 \
        and len(actions["trust.rule.delete"]) == 1, actions
    assert name in json.dumps(actions["trust.rule.create"][0]) and oidc_issuer.issuer in json.dumps(
        actions["trust.rule.create"][0]), actions["trust.rule.create"]


def test_pinned_jwks_for_private_issuer(exchange_server, issuer_ca, tmp_path):
    """An issuer without discovery: keys pinned in the rule; Signet never fetches anything."""
    keys = OIDCIssuer(issuer_ca, rsa_keys=0, ec_keys=1)   # never started: nothing to fetch from
    private_iss = f"https://ci.{unique('private')}.example"
    (tmp_path / "jwks.json").write_text(json.dumps(keys.jwks()))
    name, aud = unique("private-"), _aud("pinned")
    exchange_server.cli_ok("trust", "add", name, "--preset", "oidc", "--issuer", private_iss, "--jwks-file",
                           str(tmp_path / "jwks.json"), "--audience", aud, "--owner", "o", "--purpose", "p",
                           "--template", f"spiffe://{TD}/ci/private/{{project}}",
                           "--condition", 'claims.project in ["billing", "ledger"]')
    assert listed(exchange_server)[name]["key_source"]["type"] == "jwks"
    claims = {"iss": private_iss, "aud": aud, "sub": "job-1", "project": "billing", "jti": unique("j"),
              **keys.times()}
    body = exchange_ok(exchange(exchange_server, keys.mint(claims, alg="ES256"), "x"))
    assert claims_of(body["access_token"])["sub"] == f"spiffe://{TD}/ci/private/billing"
    stranger = OIDCIssuer(issuer_ca, rsa_keys=0, ec_keys=1)
    token_error(exchange(exchange_server, stranger.mint(dict(claims, jti=unique("j")), alg="ES256"), "x"),
                "invalid_grant", "invalid_request")


def test_pinned_jwks_with_private_key_is_refused(exchange_server, issuer_ca, tmp_path):
    keys = OIDCIssuer(issuer_ca, rsa_keys=0, ec_keys=1)
    jwk = keys.jwks()["keys"][0]
    jwk["d"] = "AAAA"
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [jwk]}))
    cli_fail(exchange_server.cli("trust", "add", unique("leak-"), "--preset", "oidc", "--issuer",
                                 "https://ci.leak.example", "--jwks-file", str(tmp_path / "jwks.json"),
                                 "--audience", _aud("leak"), "--owner", "o", "--purpose", "p",
                                 "--template", f"spiffe://{TD}/ci/{{project}}",
                                 "--condition", 'claims.project == "x"'), "jwks")


# --------------------------------------------------------------------------
# trust test
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def explain_env(exchange_server, issuer_ca):
    """Its own issuer with two rules: acme (aud A) and globex (aud A2)."""
    issuer = OIDCIssuer(issuer_ca).start()
    aud_a, aud_b = _aud("acme"), _aud("globex")
    acme, globex = unique("acme-ci-"), unique("globex-ci-")
    exchange_server.cli_ok("trust", "add", acme, "--preset", "github",
                           *base_args(issuer.issuer, aud_a, "--condition", GITHUB_CONDITION))
    exchange_server.cli_ok("trust", "add", globex, "--preset", "github",
                           *base_args(issuer.issuer, aud_b, "--condition",
                                      'claims.repository_owner == "globex" && claims.repository.startsWith("globex/")'))
    try:
        yield issuer, acme, globex, aud_a, aud_b
    finally:
        issuer.stop()


def test_trust_test_explains_match_and_mismatch(exchange_server, explain_env, tmp_path):
    issuer, acme, globex, aud_a, _ = explain_env
    token = issuer.github_token(aud_a)
    watch = Watch(exchange_server)
    proc = exchange_server.cli("trust", "test", "--token", token)
    assert proc.returncode == 0, describe(proc)
    out = proc.stdout
    assert acme in out and globex in out, f"every rule of the issuer must be explained:\n{out}"
    assert f"spiffe://{TD}/ci/github/acme/app" in out, out
    assert "valid" in out.lower(), f"should report the signature check:\n{out}"
    # globex did not match, and the explanation after its name says why: wrong audience and false condition.
    after_globex = out[out.index(globex):].lower()
    assert "audience" in after_globex and "condition" in after_globex, out
    assert f"spiffe://{TD}/ci/github/acme/app" not in out[out.index(globex):], "globex must not be shown as matching"
    assert token not in out, "trust test must not echo the token"
    # Nothing issued, nothing consumed: the token still exchanges afterwards.
    assert watch.issued() == 0
    exchange_ok(exchange(exchange_server, token, "x"))
    # --token-file works the same way.
    (tmp_path / "t.jwt").write_text(issuer.github_token(aud_a) + "\n")
    assert exchange_server.cli("trust", "test", "--token-file", str(tmp_path / "t.jwt")).returncode == 0


def test_trust_test_no_match_exits_1_with_reasons(exchange_server, explain_env):
    issuer, acme, globex, aud_a, _ = explain_env
    token = issuer.github_token(aud_a, repository="evil/app", repository_owner="evil", repository_owner_id="9")
    proc = exchange_server.cli("trust", "test", "--token", token)
    assert proc.returncode == 1, describe(proc)
    out = proc.stdout + proc.stderr
    assert acme in out and "condition" in out.lower(), f"should say acme's condition is false:\n{out}"
    assert globex in out


def test_trust_test_via_api_lists_every_rule(exchange_server, explain_env):
    issuer, acme, globex, aud_a, aud_b = explain_env
    r = exchange_server.post("/v1/trust-rules/test", json={"token": issuer.github_token(aud_b, repository="globex/web")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["issuer"] == issuer.issuer and body["signature"] == "valid", body
    results = {x["rule"]: x for x in body["results"]}
    assert set(results) == {acme, globex}, body
    assert results[globex]["matched"] and results[globex]["spiffe_id"] == f"spiffe://{TD}/ci/github/globex/web"
    assert not results[acme]["matched"] and results[acme]["reasons"], body
    assert results[globex]["reasons"] == []


def test_trust_test_bad_signature_and_unknown_issuer(exchange_server, explain_env, issuer_ca):
    issuer, acme, _, aud_a, _ = explain_env
    from cryptography.hazmat.primitives.asymmetric import rsa
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = issuer.mint_raw({"alg": "RS256", "kid": issuer.key_for("RS256").kid}, issuer.github_claims(aud_a),
                             key=stranger)
    proc = exchange_server.cli("trust", "test", "--token", forged)
    assert proc.returncode == 1, describe(proc)
    assert "signature" in (proc.stdout + proc.stderr).lower(), describe(proc)

    nobody = OIDCIssuer(issuer_ca)
    nobody.port = 9  # an issuer URL no rule names; never contacted
    proc = exchange_server.cli("trust", "test", "--token", nobody.github_token(aud_a))
    assert proc.returncode == 1, describe(proc)
    assert "no rule" in (proc.stdout + proc.stderr).lower() or "no trust rule" in (proc.stdout + proc.stderr).lower(), \
        describe(proc)
