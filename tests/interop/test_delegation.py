"""Delegation for AI agents (RFC 8693 `act` / `may_act`) at /oauth2/token.

A CI job's token (from the test OIDC issuer) is the subject; AI agents hold
JWT-SVIDs of example.org (minted with `signet jwt mint`, audience = Signet's
issuer) and present them as actor tokens. Delegation is granted only when the
subject token's `may_act` names the actor or the mapping rule's
`allowed_actors` matches it; chains nest `act` (outermost = current actor) and
are bounded by `[exchange] max_delegation_depth` (2 on the exchange server).
"""

from __future__ import annotations

import json

import pytest

from conftest_exchange import (ACCESS_TOKEN_TYPE, GITHUB_CONDITION, JWT_TYPE, K8S_CONDITION, MAX_DELEGATION_DEPTH,
                               Watch, claims_of,
                               create_rule, discovery, exchange, token_error, exchange_ok, verify_via_discovery)
from harness import unique

TD = "example.org"
SUBJECT = f"spiffe://{TD}/ci/github/acme/app"
PLANNER = f"spiffe://{TD}/agents/planner"
CODER = f"spiffe://{TD}/agents/coder"
REVIEWER = f"spiffe://{TD}/agents/reviewer"
INTRUDER = f"spiffe://{TD}/intruders/mallory"


@pytest.fixture(scope="module")
def agents(exchange_server):
    existing = {e["spiffe_id"] for e in exchange_server.entries()}
    for sid in (PLANNER, CODER, REVIEWER, INTRUDER):
        if sid not in existing:
            exchange_server.create_entry(sid)
    return exchange_server


@pytest.fixture(scope="module")
def signet_issuer(exchange_server):
    return discovery(exchange_server)["issuer"]


def actor_token(server, spiffe_id: str, audience: str) -> str:
    return server.mint_jwt(spiffe_id, audience)


@pytest.fixture(scope="module")
def agent_rule(exchange_server, oidc_issuer):
    """A GitHub rule whose mapped subjects may be acted for by any spiffe://example.org/agents/* actor."""
    aud = f"https://{unique('deleg')}.signet.test"
    rule = create_rule(exchange_server, unique("gh-agents-"), oidc_issuer.issuer, [aud], preset="github",
                       condition=GITHUB_CONDITION, allowed_actors=[f"spiffe://{TD}/agents/*"])
    assert rule["allowed_actors"] == [f"spiffe://{TD}/agents/*"], rule
    return rule, aud


@pytest.fixture(scope="module")
def plain_rule(exchange_server, oidc_issuer):
    """A GitHub rule without allowed_actors: only the subject token's may_act can authorise an actor."""
    aud = f"https://{unique('plain')}.signet.test"
    rule = create_rule(exchange_server, unique("gh-plain-"), oidc_issuer.issuer, [aud], preset="github",
                       condition=GITHUB_CONDITION)
    return rule, aud


def _delegate(server, subject_token: str, actor: str, audience: str, **extra):
    return exchange(server, subject_token, audience, actor_token=actor, actor_token_type=JWT_TYPE, **extra)


# --------------------------------------------------------------------------
# may_act in the subject token
# --------------------------------------------------------------------------


def test_may_act_naming_the_actor_grants_act(agents, oidc_issuer, plain_rule, signet_issuer):
    server = agents
    _, aud = plain_rule
    subject = oidc_issuer.github_token(aud, may_act={"sub": PLANNER})
    actor = actor_token(server, PLANNER, signet_issuer)
    watch = Watch(server)
    body = exchange_ok(_delegate(server, subject, actor, "https://deploy.acme.internal"))
    c = claims_of(body["access_token"])
    assert c["sub"] == SUBJECT, c
    assert c.get("act") == {"sub": PLANNER}, c
    ev = watch.assert_issued(secrets=[subject, actor, body["access_token"]])
    assert PLANNER in json.dumps(ev.get("details", {})), f"event does not name the actor: {ev}"


def test_may_act_glob_and_list(agents, oidc_issuer, plain_rule, signet_issuer):
    server = agents
    _, aud = plain_rule
    subject = oidc_issuer.github_token(aud, may_act=[{"sub": "spiffe://other.org/x"},
                                                    {"sub": f"spiffe://{TD}/agents/*"}])
    body = exchange_ok(_delegate(server, subject, actor_token(server, CODER, signet_issuer), "https://x.internal",
                              requested_token_type=ACCESS_TOKEN_TYPE))
    decoded = verify_via_discovery(server, body["access_token"], audience="https://x.internal", typ="at+jwt")
    assert decoded.claims.get("act") == {"sub": CODER}, decoded.claims


def test_may_act_naming_another_actor_is_refused(agents, oidc_issuer, plain_rule, signet_issuer):
    server = agents
    _, aud = plain_rule
    subject = oidc_issuer.github_token(aud, may_act={"sub": PLANNER})
    actor = actor_token(server, CODER, signet_issuer)
    watch = Watch(server)
    token_error(_delegate(server, subject, actor, "https://deploy.acme.internal"), "invalid_request",
                "invalid_grant", secrets=[subject, actor])
    watch.assert_refused("actor", "may_act", "delegat", secrets=[subject, actor])


def test_no_may_act_and_no_allowed_actors_is_refused(agents, oidc_issuer, plain_rule, signet_issuer):
    server = agents
    _, aud = plain_rule
    actor = actor_token(server, PLANNER, signet_issuer)
    watch = Watch(server)
    token_error(_delegate(server, oidc_issuer.github_token(aud), actor, "x"), "invalid_request", "invalid_grant")
    watch.assert_refused("actor", "may_act", "delegat")


def test_external_actor_token_mapped_by_a_rule(agents, oidc_issuer, plain_rule):
    """The actor is a Kubernetes pod proving itself with its service-account token (mapped by a rule)."""
    server = agents
    _, aud = plain_rule
    k8s_aud = f"https://{unique('k8s-actor')}.signet.test"
    create_rule(server, unique("k8s-actor-"), oidc_issuer.issuer, [k8s_aud], preset="kubernetes",
                condition=K8S_CONDITION)
    pod = f"spiffe://{TD}/k8s/ns/payments/sa/api"
    subject = oidc_issuer.github_token(aud, may_act={"sub": pod})
    body = exchange_ok(exchange(server, subject, "https://deploy.acme.internal",
                                actor_token=oidc_issuer.kubernetes_token(k8s_aud), actor_token_type=JWT_TYPE))
    assert claims_of(body["access_token"]).get("act") == {"sub": pod}, claims_of(body["access_token"])
    # The same pod token shape from another namespace maps to another ID, which may_act does not name.
    subject = oidc_issuer.github_token(aud, may_act={"sub": pod})
    token_error(exchange(server, subject, "https://deploy.acme.internal", actor_token_type=JWT_TYPE,
                         actor_token=oidc_issuer.kubernetes_token(k8s_aud, namespace="payments",
                                                                  service_account="intruder")),
                "invalid_request", "invalid_grant")


# --------------------------------------------------------------------------
# allowed_actors in the rule
# --------------------------------------------------------------------------


def test_rule_allowed_actor_grants_act(agents, oidc_issuer, agent_rule, signet_issuer):
    server = agents
    rule, aud = agent_rule
    body = exchange_ok(_delegate(server, oidc_issuer.github_token(aud), actor_token(server, REVIEWER, signet_issuer),
                              "https://deploy.acme.internal"))
    c = claims_of(body["access_token"])
    assert c["sub"] == SUBJECT and c.get("act") == {"sub": REVIEWER} and c.get("signet_rule") == rule["name"], c


def test_actor_not_allowed_by_rule_is_refused(agents, oidc_issuer, agent_rule, signet_issuer):
    server = agents
    _, aud = agent_rule
    subject = oidc_issuer.github_token(aud)
    actor = actor_token(server, INTRUDER, signet_issuer)
    watch = Watch(server)
    token_error(_delegate(server, subject, actor, "https://deploy.acme.internal"), "invalid_request",
                "invalid_grant", secrets=[subject, actor])
    ev = watch.assert_refused("actor", "allowed", "delegat", secrets=[subject, actor])
    assert INTRUDER in json.dumps(ev), f"the denied event should name the refused actor: {ev}"
    # The subject token was not consumed by the refused delegation.
    exchange_ok(exchange(server, subject, "https://deploy.acme.internal"))


def test_actor_token_for_another_audience_is_refused(agents, oidc_issuer, agent_rule):
    """An agent's JWT-SVID for some API is not an actor token for Signet (its aud must name Signet)."""
    server = agents
    _, aud = agent_rule
    actor = actor_token(server, PLANNER, "https://some-api")
    watch = Watch(server)
    token_error(_delegate(server, oidc_issuer.github_token(aud), actor, "x"), "invalid_request", "invalid_grant")
    watch.assert_refused("aud", "actor")


def test_actor_token_of_untrusted_domain_is_refused(agents, other_server, oidc_issuer, agent_rule):
    server = agents
    _, aud = agent_rule
    foreign = f"spiffe://other.org/agents/{unique('x')}"
    other_server.create_entry(foreign)
    actor = other_server.mint_jwt(foreign, discovery(server)["issuer"])
    watch = Watch(server)
    token_error(_delegate(server, oidc_issuer.github_token(aud), actor, "x"), "invalid_request", "invalid_grant")
    watch.assert_refused()


def test_forged_actor_token_is_refused(agents, oidc_issuer, agent_rule, signet_issuer):
    """An unsigned (alg none) actor token claiming an allowed agent identity."""
    from harness import json_b64u
    server = agents
    _, aud = agent_rule
    real = claims_of(actor_token(server, PLANNER, signet_issuer))
    forged = json_b64u({"alg": "none", "typ": "JWT"}) + "." + json_b64u(real) + "."
    watch = Watch(server)
    token_error(_delegate(server, oidc_issuer.github_token(aud), forged, "x"), "invalid_request", "invalid_grant")
    watch.assert_refused()


def test_actor_token_without_type_is_invalid_request(agents, oidc_issuer, agent_rule, signet_issuer):
    server = agents
    _, aud = agent_rule
    r = exchange(server, oidc_issuer.github_token(aud), "x", actor_token=actor_token(server, PLANNER, signet_issuer))
    body = token_error(r, "invalid_request")
    assert "actor_token_type" in body["error_description"], body


# --------------------------------------------------------------------------
# Chains
# --------------------------------------------------------------------------


def test_delegation_chain_nests_act_and_is_bounded(agents, oidc_issuer, agent_rule, signet_issuer):
    server = agents
    rule, aud = agent_rule
    assert MAX_DELEGATION_DEPTH == 2
    # planner acts for the CI job; the result is addressed to Signet so it can be exchanged again.
    t1 = exchange_ok(_delegate(server, oidc_issuer.github_token(aud), actor_token(server, PLANNER, signet_issuer),
                            signet_issuer))["access_token"]
    c1 = claims_of(t1)
    assert c1["sub"] == SUBJECT and c1["act"] == {"sub": PLANNER} and c1.get("signet_rule") == rule["name"], c1
    # coder acts on the planner's token: act nests, outermost = current actor (allowed via signet_rule).
    coder = actor_token(server, CODER, signet_issuer)
    watch = Watch(server)
    t2 = exchange_ok(_delegate(server, t1, coder, signet_issuer))["access_token"]
    c2 = claims_of(t2)
    assert c2["sub"] == SUBJECT, c2
    assert c2["act"] == {"sub": CODER, "act": {"sub": PLANNER}}, c2
    ev = watch.assert_issued(secrets=[t1, t2])
    assert CODER in json.dumps(ev) and PLANNER in json.dumps(ev), f"event lacks the actor chain: {ev}"

    # signet jwt verify prints the chain, outermost first.
    proc = server.jwt_verify(t2, signet_issuer)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{CODER} -> {PLANNER}" in proc.stdout, proc.stdout
    out = json.loads(server.jwt_verify(t2, signet_issuer, "--output", "json").stdout)
    assert out.get("delegation") == [CODER, PLANNER], out

    # A third delegation would exceed max_delegation_depth (2): invalid_request, nothing issued.
    reviewer = actor_token(server, REVIEWER, signet_issuer)
    watch = Watch(server)
    token_error(_delegate(server, t2, reviewer, "https://x.internal"), "invalid_request", secrets=[t2])
    watch.assert_refused("depth", "chain", "delegation")

    # t1 was consumed by the second step: presenting it again is a replay.
    token_error(_delegate(server, t1, actor_token(server, REVIEWER, signet_issuer), "https://x.internal"),
                "invalid_grant")


def test_signet_svid_subject_with_foreign_audience_is_refused(agents, signet_issuer):
    """A JWT-SVID of this trust domain is a subject token only when addressed to Signet."""
    server = agents
    subject = server.mint_jwt(PLANNER, "https://some-api.example")
    actor = actor_token(server, CODER, signet_issuer)
    watch = Watch(server)
    token_error(_delegate(server, subject, actor, "x"), "invalid_request", "invalid_grant")
    watch.assert_refused("aud")


def test_signet_svid_subject_without_rule_or_may_act_cannot_delegate(agents, signet_issuer):
    server = agents
    subject = server.mint_jwt(PLANNER, signet_issuer)
    actor = actor_token(server, CODER, signet_issuer)
    watch = Watch(server)
    token_error(_delegate(server, subject, actor, "x"), "invalid_request", "invalid_grant")
    watch.assert_refused("actor", "may_act", "delegat", "allowed")
