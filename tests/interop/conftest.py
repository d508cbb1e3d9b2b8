"""Fixtures for the Signet interoperability suite.

`server` is the one long-lived Signet (trust domain example.org) most tests
share; `other_server` is a second, independent trust domain (other.org) used to
prove that trust does not leak between domains. Tests that need a special
configuration start their own short-lived server with `spawn_server`.
Every server is stopped with SIGTERM and must exit 0 within 10 s.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from harness import SIGNET_BIN, SignetServer  # noqa: E402


def pytest_configure(config):
    if not (os.path.isfile(SIGNET_BIN) and os.access(SIGNET_BIN, os.X_OK)):
        raise pytest.UsageError(
            f"signet binary not found at {SIGNET_BIN}: build it with `swift build --product signet` "
            "or point SIGNET_BIN at it")


def _session_server(tmp_path_factory, name: str, trust_domain: str):
    server = SignetServer(tmp_path_factory.mktemp(name) / "data", trust_domain).start()
    try:
        yield server
    finally:
        server.stop_cleanly()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The shared Signet server for trust domain example.org."""
    yield from _session_server(tmp_path_factory, "signet-main", "example.org")


@pytest.fixture(scope="session")
def other_server(tmp_path_factory):
    """An independent Signet server for trust domain other.org."""
    yield from _session_server(tmp_path_factory, "signet-other", "other.org")


@pytest.fixture
def spawn_server(tmp_path):
    """Factory for short-lived servers with special settings; all are stopped (and must exit 0) afterwards."""
    started: list[SignetServer] = []

    def spawn(name: str = "data", trust_domain: str | None = "example.org", **kw) -> SignetServer:
        s = SignetServer(tmp_path / name, trust_domain, **kw).start()
        started.append(s)
        return s

    yield spawn
    for s in started:
        if s.proc is not None and s.proc.poll() is None:
            s.stop_cleanly()


@pytest.fixture(scope="session")
def workload(server, tmp_path_factory):
    """A registered workload with a minted X.509-SVID (via the CLI): (spiffe_id, svid_dir)."""
    spiffe_id = "spiffe://example.org/prod/interop-workload"
    server.create_entry(spiffe_id, "--dns-name", "workload.example.org", "--selector", "unix:uid:1000")
    out = tmp_path_factory.mktemp("workload-svid")
    server.mint_x509(spiffe_id, out)
    return spiffe_id, out


# --------------------------------------------------------------------------
# Token exchange (issue #4): test OIDC issuers and a Signet server that trusts their CA
# --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def issuer_ca(tmp_path_factory):
    """The throwaway CA of every test OIDC issuer; its PEM is the exchange server's `[exchange] ca_bundle`."""
    from oidc_issuer import IssuerCA
    return IssuerCA(tmp_path_factory.mktemp("oidc-ca"))


@pytest.fixture(scope="session")
def exchange_server(tmp_path_factory, issuer_ca):
    """A Signet server (example.org) that trusts the test issuers, with short JWKS cache intervals."""
    from conftest_exchange import start_exchange_server
    server = start_exchange_server(tmp_path_factory.mktemp("signet-exchange") / "data", issuer_ca.pem_path)
    try:
        yield server
    finally:
        server.stop_cleanly()


@pytest.fixture(scope="module")
def oidc_issuer(issuer_ca):
    """A running test OIDC issuer (one per test module, so rules of other modules never mix in)."""
    from oidc_issuer import OIDCIssuer
    issuer = OIDCIssuer(issuer_ca).start()
    try:
        yield issuer
    finally:
        issuer.stop()
