"""SPIFFE federation between two real `signet server` processes (alpha.org and beta.org).

Both servers federate with each other using the `https_spiffe` profile: each fetches the
other's /bundle endpoint, served with its server SVID spiffe://TD/signet/server, and is
bootstrapped with the other's /bundle JSON. A node agent of alpha.org serves a py-spiffe
workload whose entry federates with beta.org; that workload receives beta.org's bundle
through the Workload API and uses it to verify an X.509-SVID and a JWT-SVID minted by
beta.org. After `federation delete`, beta.org's SVIDs no longer validate.

The tests in this module run in order and share the servers and the agent.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from harness import SignetServer, describe, unique
from test_agent import start_agent, wait_for

A = "alpha.org"
B = "beta.org"


def _federate(local: SignetServer, peer: SignetServer, peer_td: str, work: Path) -> dict:
    """`signet federation add` on `local` for `peer` (https_spiffe, bootstrapped with the peer's /bundle)."""
    r = peer.get("/bundle", cert=None)
    assert r.status_code == 200, r.text
    bootstrap = work / f"{peer_td}.bundle.json"
    bootstrap.write_text(r.text)
    return local.cli_json(
        "federation", "add", "--trust-domain", peer_td, "--bundle-endpoint", f"https://127.0.0.1:{peer.port}/bundle",
        "--profile", "https_spiffe", "--endpoint-spiffe-id", f"spiffe://{peer_td}/signet/server",
        "--bootstrap-bundle", str(bootstrap))


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    work = tmp_path_factory.mktemp("federation")
    a = SignetServer(work / "a-data", A).start()
    b = SignetServer(work / "b-data", B).start()
    try:
        yield a, b, work
    finally:
        for s in (a, b):
            if s.proc is not None and s.proc.poll() is None:
                s.stop_cleanly()


@pytest.fixture(scope="module")
def federated(pair):
    a, b, work = pair
    on_a = _federate(a, b, B, work)
    on_b = _federate(b, a, A, work)
    return a, b, work, on_a, on_b


@pytest.fixture(scope="module")
def agent_a(federated, tmp_path_factory):
    a, b, work, _, _ = federated
    socket_dir = Path(tempfile.mkdtemp(prefix="signet-fed-sock-"))
    agent = start_agent(a, tmp_path_factory.mktemp("fed-agent"), socket_dir)
    spiffe_id = f"spiffe://{A}/prod/{unique('fed')}"
    a.create_entry(spiffe_id, "--parent-id", agent.spiffe_id, "--selector", f"unix:uid:{os.getuid()}",
                   "--federates-with", B)
    wait_for(lambda: _bundle_for(agent.client().fetch_x509_context().x509_bundle_set, B) is not None, 20,
             "the agent to serve beta.org's bundle")
    yield agent, spiffe_id
    assert agent.stop() == 0, agent.logs()
    shutil.rmtree(socket_dir, ignore_errors=True)


def _bundle_for(bundle_set, td_name: str):
    from spiffe import TrustDomain
    return bundle_set.get_bundle_for_trust_domain(TrustDomain(td_name))


def test_both_servers_fetched_each_others_bundle(federated):
    a, b, _, on_a, on_b = federated
    for local, peer, peer_td, added in ((a, b, B, on_a), (b, a, A, on_b)):
        assert added["trust_domain"] == peer_td and added["profile"] == "https_spiffe"
        assert added["bundle"].get("last_error") is None, added
        listed = local.cli_json("federation", "list")["federations"]
        assert [f["trust_domain"] for f in listed] == [peer_td]
        state = listed[0]["bundle"]
        assert state["sequence"] == peer.get("/bundle", cert=None).json()["spiffe_sequence"]
        assert state["fetched_at"] and state.get("last_error") is None
        # The stored bundle holds exactly the peer's keys, and no key of the local domain.
        fetched = json.loads(state["bundle"])
        peer_keys = {k.get("kid") or k["x5c"][0] for k in peer.get("/bundle", cert=None).json()["keys"]}
        local_keys = {k.get("kid") or k["x5c"][0] for k in local.get("/bundle", cert=None).json()["keys"]}
        got = {k.get("kid") or k["x5c"][0] for k in fetched["keys"]}
        assert got == peer_keys and not (got & local_keys)
        table = local.cli_ok("federation", "list").stdout
        assert peer_td in table and "https_spiffe" in table
        assert local.events("federation.create") and local.events("federation.bundle.update")


def test_cli_refuses_bad_relationships_and_unknown_federates_with(federated):
    a, b, work, _, _ = federated
    bad = a.cli("federation", "add", "--trust-domain", "gamma.org", "--bundle-endpoint", "http://127.0.0.1:1/bundle",
                "--profile", "https_web")
    assert bad.returncode != 0 and "https://" in bad.stderr, describe(bad)
    missing = a.cli("federation", "add", "--trust-domain", "gamma.org", "--bundle-endpoint",
                    f"https://127.0.0.1:{b.port}/bundle", "--profile", "https_spiffe")
    assert missing.returncode != 0 and "--endpoint-spiffe-id" in missing.stderr, describe(missing)
    entry = a.cli("entry", "create", "--spiffe-id", f"spiffe://{A}/x/{unique()}", "--owner", "o", "--purpose", "p",
                  "--federates-with", "gamma.org")
    assert entry.returncode != 0 and "federation" in entry.stderr, describe(entry)
    assert [f["trust_domain"] for f in a.cli_json("federation", "list")["federations"]] == [B]
    # An endpoint presenting another SPIFFE ID than configured is refused; the previous state is untouched.
    wrong = a.cli_json("federation", "add", "--trust-domain", "gamma.org", "--bundle-endpoint",
                       f"https://127.0.0.1:{b.port}/bundle", "--profile", "https_spiffe",
                       "--endpoint-spiffe-id", "spiffe://gamma.org/signet/server",
                       "--bootstrap-bundle", str(work / f"{B}.bundle.json"))
    assert "spiffe://beta.org/signet/server" in (wrong["bundle"].get("last_error") or ""), wrong
    assert wrong["bundle"].get("bundle") is None
    refresh = a.cli("federation", "refresh", "gamma.org")
    assert refresh.returncode == 1, describe(refresh)
    a.cli_ok("federation", "delete", "gamma.org")


def test_workload_receives_the_federated_bundle_only_for_its_domain(federated, agent_a):
    a, b, _, _, _ = federated
    agent, spiffe_id = agent_a
    client = agent.client()
    context = client.fetch_x509_context()
    assert str(context.default_svid.spiffe_id) == spiffe_id
    fed = _bundle_for(context.x509_bundle_set, B)
    assert fed is not None, "X509SVIDResponse.federated_bundles lacks beta.org"
    b_roots = {c.fingerprint(serialization_hash()) for c in x509.load_pem_x509_certificates(
        b.get("/bundle.pem", cert=None).content)}
    assert {c.fingerprint(serialization_hash()) for c in fed.x509_authorities} == b_roots
    own = _bundle_for(context.x509_bundle_set, A)
    assert own is not None and not ({c.fingerprint(serialization_hash()) for c in own.x509_authorities} & b_roots)

    bundles = client.fetch_x509_bundles()
    assert _bundle_for(bundles, A) is not None and _bundle_for(bundles, B) is not None
    jwt_bundles = client.fetch_jwt_bundles()
    b_kids = {k["kid"] for k in b.get("/bundle", cert=None).json()["keys"] if k["use"] == "jwt-svid"}
    assert set(_bundle_for(jwt_bundles, B).jwt_authorities) == b_kids
    assert not (set(_bundle_for(jwt_bundles, A).jwt_authorities) & b_kids)
    entry = [e for e in a.entries() if e["spiffe_id"] == spiffe_id][0]
    assert entry["federates_with"] == [B]
    assert B in a.cli_ok("entry", "show", entry["id"]).stdout


def serialization_hash():
    from cryptography.hazmat.primitives import hashes
    return hashes.SHA256()


def test_workload_verifies_a_beta_x509_svid_with_the_federated_bundle(federated, agent_a, tmp_path):
    a, b, _, _, _ = federated
    agent, _ = agent_a
    b_id = f"spiffe://{B}/billing/{unique()}"
    b.create_entry(b_id)
    svid_dir = b.mint_x509(b_id, tmp_path / "b-svid")
    fed = _bundle_for(agent.client().fetch_x509_context().x509_bundle_set, B)
    anchors = tmp_path / "beta-from-workload-api.pem"
    anchors.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in fed.x509_authorities))
    chain = str(svid_dir / "svid.pem")
    ok = subprocess.run(["openssl", "verify", "-CAfile", str(anchors), "-untrusted", chain, chain],
                        capture_output=True, text=True, timeout=20)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    # py-spiffe parses it as beta.org's SVID.
    from spiffe import X509Svid
    parsed = X509Svid.load(chain, str(svid_dir / "svid.key"), serialization.Encoding.PEM)
    assert str(parsed.spiffe_id) == b_id
    # alpha.org's own roots do not vouch for it: bundles are not merged.
    own = _bundle_for(agent.client().fetch_x509_context().x509_bundle_set, A)
    own_file = tmp_path / "alpha.pem"
    own_file.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in own.x509_authorities))
    refused = subprocess.run(["openssl", "verify", "-CAfile", str(own_file), "-untrusted", chain, chain],
                             capture_output=True, text=True, timeout=20)
    assert refused.returncode != 0


def test_workload_and_server_validate_a_beta_jwt_svid(federated, agent_a):
    from spiffe.workloadapi.errors import ValidateJwtSvidError
    a, b, _, _, _ = federated
    agent, _ = agent_a
    b_id = f"spiffe://{B}/api/{unique()}"
    b.create_entry(b_id)
    token = b.mint_jwt(b_id, "alpha-service")
    validated = agent.client().validate_jwt_svid(token, "alpha-service")
    assert str(validated.spiffe_id) == b_id
    with pytest.raises(ValidateJwtSvidError):
        agent.client().validate_jwt_svid(token, "someone-else")
    r = a.post("/v1/jwt/validate", json={"token": token, "audience": "alpha-service"})
    assert r.status_code == 200, r.text
    assert r.json()["spiffe_id"] == b_id
    # And the other way round: beta.org validates alpha.org's tokens.
    a_id = f"spiffe://{A}/api/{unique()}"
    a.create_entry(a_id)
    r = b.post("/v1/jwt/validate", json={"token": a.mint_jwt(a_id, "beta-service"), "audience": "beta-service"})
    assert r.status_code == 200, r.text
    assert r.json()["spiffe_id"] == a_id


def test_token_endpoint_accepts_a_federated_jwt_svid_as_actor_only(federated):
    """A beta.org workload may act for an alpha.org subject that names it in may_act; it is never
    re-issued by alpha.org under its own (beta.org) identity."""
    import time

    import requests

    from harness import decode_part, sign_es256
    a, b, _, _, _ = federated
    b_id = f"spiffe://{B}/agents/{unique()}"
    b.create_entry(b_id)
    actor = b.mint_jwt(b_id, a.default_issuer)          # addressed to alpha.org's token endpoint
    now = int(time.time())
    a_id = f"spiffe://{A}/prod/{unique('subj')}"
    subject = sign_es256(
        {"alg": "ES256", "kid": a.active_jwt_kid(), "typ": "JWT"},
        {"sub": a_id, "aud": a.default_issuer, "exp": now + 120, "iat": now, "jti": unique("jti"),
         "may_act": {"sub": b_id}},
        a.jwt_private_key())
    url = a.url + "/oauth2/token"
    grant = "urn:ietf:params:oauth:grant-type:token-exchange"
    jwt_type = "urn:ietf:params:oauth:token-type:jwt"
    r = requests.post(url, verify=a.ca_file, timeout=15, data={
        "grant_type": grant, "subject_token": subject, "subject_token_type": jwt_type,
        "actor_token": actor, "actor_token_type": jwt_type, "audience": "alpha-api"})
    assert r.status_code == 200, r.text
    claims = decode_part(r.json()["access_token"], 1)
    assert claims["sub"] == a_id
    assert claims["act"] == {"sub": b_id}
    # beta.org's token as the subject: refused, nothing issued under beta.org's ID here.
    r = requests.post(url, verify=a.ca_file, timeout=15, data={
        "grant_type": grant, "subject_token": b.mint_jwt(b_id, a.default_issuer), "subject_token_type": jwt_type,
        "audience": "alpha-api"})
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "invalid_grant"
    assert B in r.json()["error_description"]


def test_bundle_rotation_is_picked_up(federated, agent_a):
    """beta.org restarts with another JWT algorithm: a new key joins its bundle (sequence+1); alpha.org's
    refresh picks it up, the agent delivers it, and tokens signed by the new key validate."""
    a, b, _, _, _ = federated
    agent, _ = agent_a
    before = a.cli_json("federation", "show", B)["bundle"]["sequence"]
    port = b.port
    b.stop_cleanly()
    b.listen = f"127.0.0.1:{port}"
    b.config_text = '[jwt]\nalgorithm = "ES384"\n'
    b.start()
    after_restart = b.get("/bundle", cert=None).json()
    assert after_restart["spiffe_sequence"] > before
    refreshed = a.cli_json("federation", "refresh", B)
    assert refreshed["bundle"]["sequence"] == after_restart["spiffe_sequence"], refreshed
    assert len(a.events("federation.bundle.update")) >= 2
    new_kids = {k["kid"] for k in after_restart["keys"] if k["use"] == "jwt-svid"}
    wait_for(lambda: set(_bundle_for(agent.client().fetch_jwt_bundles(), B).jwt_authorities) == new_kids, 15,
             "the agent to deliver beta.org's rotated JWT bundle")
    b_id = f"spiffe://{B}/rotated/{unique()}"
    b.create_entry(b_id)
    token = b.mint_jwt(b_id, "alpha-service")
    assert str(agent.client().validate_jwt_svid(token, "alpha-service").spiffe_id) == b_id


def test_agent_restarted_without_its_server_still_serves_the_federated_bundle(federated, agent_a):
    """Federated bundles are persisted with the agent's sync state: restarted while its server is
    unreachable, the agent serves beta.org's bundle at once, as it does its own SVIDs."""
    import socket
    agent, _ = agent_a
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"https://127.0.0.1:{s.getsockname()[1]}"   # closed once the with-block ends
    assert agent.stop() == 0, agent.logs()
    agent.start(server_url=dead)
    try:
        context = agent.client().fetch_x509_context()
        assert _bundle_for(context.x509_bundle_set, B) is not None, "beta.org's bundle was not restored from disk"
    finally:
        assert agent.stop() == 0, agent.logs()
        agent.start()   # back to alpha.org's server for the tests that follow
    wait_for(lambda: _bundle_for(agent.client().fetch_x509_context().x509_bundle_set, B) is not None, 20,
             "the agent to serve beta.org's bundle again")


def test_after_delete_beta_svids_no_longer_validate(federated, agent_a):
    from spiffe.workloadapi.errors import ValidateJwtSvidError
    a, b, _, _, _ = federated
    agent, _ = agent_a
    b_id = f"spiffe://{B}/late/{unique()}"
    b.create_entry(b_id)
    token = b.mint_jwt(b_id, "alpha-service")
    assert str(agent.client().validate_jwt_svid(token, "alpha-service").spiffe_id) == b_id
    a.cli_ok("federation", "delete", B)
    assert a.cli_json("federation", "list")["federations"] == []
    assert a.events("federation.delete")
    wait_for(lambda: _bundle_for(agent.client().fetch_x509_bundles(), B) is None, 15,
             "the agent to drop beta.org's bundle")
    assert _bundle_for(agent.client().fetch_jwt_bundles(), B) is None
    assert _bundle_for(agent.client().fetch_x509_context().x509_bundle_set, B) is None
    with pytest.raises(ValidateJwtSvidError):
        agent.client().validate_jwt_svid(token, "alpha-service")
    r = a.post("/v1/jwt/validate", json={"token": token, "audience": "alpha-service"})
    assert r.status_code == 400, r.text
