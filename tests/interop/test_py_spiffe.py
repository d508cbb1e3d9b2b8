"""py-spiffe (the SPIFFE project's Python library) and py-spiffe-tls against Signet.

py-spiffe has no parser for the federated SPIFFE bundle document itself: its
JwtBundle.parse takes a JWKS of JWT authorities and X509Bundle.parse takes
PEM / DER certificates, which is what the Workload API hands out. The test
splits /bundle the way the SPIFFE X509-SVID (§6.2) and JWT-SVID (§6.2) specs
prescribe (by "use") and feeds each part to py-spiffe.
"""

from __future__ import annotations

import base64
import json
import select
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from OpenSSL import SSL

from harness import unique

from spiffe import JwtBundle, JwtSvid, SpiffeId, TrustDomain, X509Bundle, X509Svid


@pytest.fixture(scope="module")
def spiffe_bundle(server):
    r = server.get("/bundle", cert=None)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    return r.json()


def _fingerprints(certs):
    return {c.fingerprint(hashes.SHA256()) for c in certs}


def test_bundle_document_shape(spiffe_bundle):
    """SPIFFE Trust Domain and Bundle §4: JWKS plus spiffe_sequence / refresh hint, keys typed by use."""
    assert isinstance(spiffe_bundle["keys"], list) and spiffe_bundle["keys"]
    assert isinstance(spiffe_bundle.get("spiffe_sequence"), int) and spiffe_bundle["spiffe_sequence"] >= 1
    assert isinstance(spiffe_bundle.get("spiffe_refresh_hint"), int) and spiffe_bundle["spiffe_refresh_hint"] > 0
    uses = {k.get("use") for k in spiffe_bundle["keys"]}
    assert uses == {"x509-svid", "jwt-svid"}, uses
    for k in spiffe_bundle["keys"]:
        assert "d" not in k, "private key material in the bundle!"
        if k["use"] == "x509-svid":
            assert "kid" not in k, "X509-SVID §6.1: kid MUST NOT be set on x509-svid entries"
            assert len(k["x5c"]) == 1, "X509-SVID §6.1: exactly one CA certificate per entry"
        else:
            assert k.get("kid"), "JWT-SVID §6.1: kid MUST be set on jwt-svid entries"


def test_x509_bundle_parses_and_matches(server, spiffe_bundle):
    td = TrustDomain("example.org")
    from_pem = X509Bundle.parse(td, server.get("/bundle.pem", cert=None).content)
    der = b"".join(base64.b64decode(k["x5c"][0]) for k in spiffe_bundle["keys"] if k["use"] == "x509-svid")
    from_der = X509Bundle.parse_raw(td, der)
    with open(server.ca_file, "rb") as f:
        local = X509Bundle.parse(td, f.read())
    assert from_pem.trust_domain == td
    fps = _fingerprints(from_pem.x509_authorities)
    assert fps and fps == _fingerprints(from_der.x509_authorities) == _fingerprints(local.x509_authorities)
    # The JWK coordinates of each x509-svid entry are those of its certificate's key.
    for k in (k for k in spiffe_bundle["keys"] if k["use"] == "x509-svid"):
        cert_der = base64.b64decode(k["x5c"][0])
        nums = x509.load_der_x509_certificate(cert_der).public_key().public_numbers()
        if k["kty"] == "EC":
            size = len(base64.urlsafe_b64decode(k["x"] + "=="))
            assert base64.urlsafe_b64decode(k["x"] + "==") == nums.x.to_bytes(size, "big")
            assert base64.urlsafe_b64decode(k["y"] + "==") == nums.y.to_bytes(size, "big")


def test_jwt_bundle_parses_and_matches(server, spiffe_bundle):
    td = TrustDomain("example.org")
    jwt_keys = [k for k in spiffe_bundle["keys"] if k["use"] == "jwt-svid"]
    from_bundle = JwtBundle.parse(td, json.dumps({"keys": jwt_keys}).encode())
    from_jwks = JwtBundle.parse(td, server.get("/keys", cert=None).content)
    assert set(from_bundle.jwt_authorities) == {k["kid"] for k in jwt_keys} == set(from_jwks.jwt_authorities)
    for kid, key in from_bundle.jwt_authorities.items():
        spki = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        other = from_jwks.get_jwt_authority(kid).public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        assert spki == other
    # ...and it is the public half of the signing key on disk.
    kid = server.active_jwt_kid()
    disk = server.jwt_private_key(kid).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert from_bundle.get_jwt_authority(kid).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == disk


def test_py_spiffe_validates_jwt_svid(server, spiffe_bundle):
    spiffe_id = f"spiffe://example.org/prod/{unique('pyspiffe')}"
    server.create_entry(spiffe_id)
    token = server.mint_jwt(spiffe_id, "pyspiffe-aud")
    td = TrustDomain("example.org")
    bundle = JwtBundle.parse(td, json.dumps(
        {"keys": [k for k in spiffe_bundle["keys"] if k["use"] == "jwt-svid"]}).encode())
    svid = JwtSvid.parse_and_validate(token, bundle, {"pyspiffe-aud"})
    assert str(svid.spiffe_id) == spiffe_id
    assert svid.expiry > time.time()
    assert "pyspiffe-aud" in svid.audience


def test_py_spiffe_parses_x509_svid(server, workload):
    spiffe_id, svid_dir = workload
    svid = X509Svid.load(str(svid_dir / "svid.pem"), str(svid_dir / "svid.key"), serialization.Encoding.PEM)
    assert str(svid.spiffe_id) == spiffe_id
    assert len(svid.cert_chain) >= 2


class _StaticX509Source:
    """The three members of spiffe.X509Source that spiffetls uses, backed by files instead of a Workload API."""

    def __init__(self, svid: X509Svid, bundle: X509Bundle):
        self.svid = svid
        self.bundles = frozenset({bundle})

    def subscribe_for_updates(self, callback) -> None:
        pass


def _spiffetls_dial(server, svid_dir, chain: str, key: str, server_id: str):
    from spiffetls import dial
    from spiffetls.tlsconfig.authorize import authorize_id

    svid = X509Svid.load(str(svid_dir / chain), str(svid_dir / key), serialization.Encoding.PEM)
    with open(server.ca_file, "rb") as f:
        bundle = X509Bundle.parse(TrustDomain("example.org"), f.read())
    return dial(f"127.0.0.1:{server.port}", _StaticX509Source(svid, bundle),
                authorize_fn=authorize_id(SpiffeId(server_id)))


def _spiffetls_get(server, svid_dir, path: str, chain: str = "svid.pem", key: str = "svid.key") -> tuple[int, bytes]:
    conn = _spiffetls_dial(server, svid_dir, chain, key, "spiffe://example.org/signet/server")
    try:
        conn.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        data = b""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if not conn.pending():
                ready, _, _ = select.select([conn], [], [], max(0.0, deadline - time.monotonic()))
                if not ready:
                    break
            try:
                chunk = conn.recv(65536)
            except SSL.WantReadError:
                continue
            except (SSL.ZeroReturnError, SSL.SysCallError):
                break
            if not chunk:
                break
            data += chunk
    finally:
        conn.close()
    assert data.startswith(b"HTTP/1.1 "), f"no HTTP response over spiffetls: {data[:200]!r}"
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[1]


def test_spiffetls_refuses_unexpected_server_id(server, workload):
    """authorize_id is enforced on Signet's server SVID: expecting another ID fails the handshake."""
    from spiffetls.errors import TLSConnectionError

    _, svid_dir = workload
    with pytest.raises(TLSConnectionError):
        conn = _spiffetls_dial(server, svid_dir, "svid.pem", "svid.key", "spiffe://example.org/not-the-server")
        conn.close()


def test_spiffetls_admin_mtls(server):
    """py-spiffe-tls dials the admin API with the admin SVID and authorizes the server by SPIFFE ID."""
    status, body = _spiffetls_get(server, server.data_dir / "admin", "/v1/whoami",
                                  chain="admin.pem", key="admin.key")
    assert status == 200, body
    assert b"spiffe://example.org/signet/admin/bootstrap" in body


def test_spiffetls_workload_svid_is_forbidden(server, workload):
    _, svid_dir = workload
    status, body = _spiffetls_get(server, svid_dir, "/v1/entries")
    assert status == 403, body
    assert json.loads(body)["error"] == "forbidden"
