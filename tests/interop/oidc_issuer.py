"""A real OpenID Connect issuer for the token-exchange tests.

`IssuerCA` is a throwaway certificate authority (made with `cryptography`) whose
PEM file a Signet server trusts through `[exchange] ca_bundle`. `OIDCIssuer` is
an HTTPS server on 127.0.0.1 (port 0, `http.server` + `ssl`, one background
thread) that serves `/.well-known/openid-configuration` and its JWKS exactly as
a production issuer does, and mints tokens shaped like the two issuers Signet
is most often federated with:

* GitHub Actions: RS256, header `kid` + `x5t`, the full claim set of a
  workflow run (`repository`, `repository_owner_id`, `job_workflow_ref`, ...);
* Kubernetes service-account tokens: ES256, `sub`
  `system:serviceaccount:NS:SA` and the nested `kubernetes.io` claim.

For negative tests it signs anything (`mint_raw`): any header, `alg: none`,
HS256 keyed with the public key's bytes (algorithm confusion), unknown kids.
Keys rotate (`rotate`), the issuer goes down and comes back on the same port
(`stop` / `start`, connection refused in between), and every JWKS fetch is
counted, so tests can see Signet's cache at work. Nothing here is a mock: Signet
reaches this issuer over the loopback network and verifies real signatures.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import http.server
import json
import ssl
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt"


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _json_b64u(obj: Any) -> str:
    return b64u(json.dumps(obj, separators=(",", ":")).encode())


def _int_b64u(n: int) -> str:
    return b64u(n.to_bytes((n.bit_length() + 7) // 8 or 1, "big"))


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


# --------------------------------------------------------------------------
# Certificate authority for the issuer's TLS certificates
# --------------------------------------------------------------------------


class IssuerCA:
    """A self-signed root that signs the issuers' TLS (and x5t) certificates; its PEM goes to `ca_bundle`."""

    def __init__(self, directory: Path, name: str = "Signet interop OIDC issuer CA"):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = _utcnow()
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(subject).issuer_name(subject)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        self.pem_path = self.directory / "issuer-ca.pem"
        self.pem_path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    def issue(self, public_key, *, common_name: str, server: bool) -> x509.Certificate:
        """A leaf for `public_key`: a TLS server certificate for 127.0.0.1/localhost, or a plain signing cert."""
        now = _utcnow()
        b = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(self.cert.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=12))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
        )
        if server:
            import ipaddress
            b = (b.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                              x509.DNSName("localhost")]), critical=False)
                 .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                 .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                              key_encipherment=False, data_encipherment=False, key_agreement=False,
                                              key_cert_sign=False, crl_sign=False, encipher_only=False,
                                              decipher_only=False), critical=True))
        return b.sign(self.key, hashes.SHA256())


# --------------------------------------------------------------------------
# Signing keys
# --------------------------------------------------------------------------


@dataclass
class SigningKey:
    kid: str
    alg: str  # RS256 or ES256
    private_key: Any
    cert: x509.Certificate

    @property
    def x5t(self) -> str:
        """SHA-1 thumbprint of the key's certificate, as GitHub puts it in token headers and its JWKS."""
        return b64u(hashlib.sha1(self.cert.public_bytes(serialization.Encoding.DER)).digest())

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo)

    def jwk(self) -> dict:
        pub = self.private_key.public_key()
        if self.alg == "RS256":
            nums = pub.public_numbers()
            return {"kty": "RSA", "alg": "RS256", "use": "sig", "kid": self.kid, "n": _int_b64u(nums.n),
                    "e": _int_b64u(nums.e), "x5t": self.x5t,
                    "x5c": [base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()]}
        nums = pub.public_numbers()
        return {"kty": "EC", "alg": "ES256", "use": "sig", "kid": self.kid, "crv": "P-256",
                "x": b64u(nums.x.to_bytes(32, "big")), "y": b64u(nums.y.to_bytes(32, "big"))}

    def sign(self, signing_input: bytes) -> bytes:
        return sign_bytes(self.alg, self.private_key, signing_input)


def sign_bytes(alg: str, key: Any, data: bytes) -> bytes:
    """A JWS signature over `data` (RS256/384/512, PS256, ES256/384, HS256 with bytes, none)."""
    if alg == "none":
        return b""
    if alg.startswith("HS"):
        digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
        return hmac.new(key, data, digest).digest()
    h = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}[alg[2:]]
    if alg.startswith("RS"):
        return key.sign(data, padding.PKCS1v15(), h)
    if alg.startswith("PS"):
        return key.sign(data, padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), h)
    if alg.startswith("ES"):
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(h)))
        size = (key.curve.key_size + 7) // 8
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    raise ValueError(f"unsupported alg {alg}")


def compact(header: dict, claims: Any, signer) -> str:
    """Compact JWS; `claims` may be a dict or raw bytes; `signer(signing_input) -> signature bytes`."""
    payload = b64u(claims) if isinstance(claims, bytes) else _json_b64u(claims)
    signing_input = f"{_json_b64u(header)}.{payload}"
    return f"{signing_input}.{b64u(signer(signing_input.encode()))}"


# --------------------------------------------------------------------------
# The HTTPS server
# --------------------------------------------------------------------------


class _TLSServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, handler, context: ssl.SSLContext, issuer: "OIDCIssuer"):
        self.context = context
        self.issuer = issuer
        super().__init__(addr, handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        # The handshake runs in the handler thread (finish_request), so a stalled client never blocks accept().
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def finish_request(self, request, client_address):
        try:
            request.settimeout(10)
            request.do_handshake()
        except (ssl.SSLError, OSError):
            return
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):  # a client hanging up is not a test failure
        pass


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection: stop() really stops serving
    server: _TLSServer

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        issuer = self.server.issuer
        path = self.path.split("?", 1)[0]
        with issuer.lock:
            issuer.requests.append(path)
        if path == "/.well-known/openid-configuration":
            with issuer.lock:
                issuer.discovery_fetches += 1
            self._json(issuer.discovery_document())
        elif path == issuer.jwks_path:
            with issuer.lock:
                issuer.jwks_fetches += 1
            self._json(issuer.jwks())
        else:
            self._json({"error": "not found"}, status=404)

    def _json(self, obj: Any, status: int = 200):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=60")
        self.end_headers()
        self.wfile.write(body)


class OIDCIssuer:
    """An OIDC issuer on https://127.0.0.1:PORT; see the module docstring."""

    jwks_path = "/.well-known/jwks"

    def __init__(self, ca: IssuerCA, *, rsa_keys: int = 1, ec_keys: int = 1):
        self.ca = ca
        self.lock = threading.Lock()
        self.keys: list[SigningKey] = []      # published in the JWKS
        self.retired: list[SigningKey] = []   # still able to sign (for "old key" tests), not published
        self.jwks_fetches = 0
        self.discovery_fetches = 0
        self.requests: list[str] = []
        self.port: Optional[int] = None
        self._httpd: Optional[_TLSServer] = None
        self._thread: Optional[threading.Thread] = None
        tls_key = ec.generate_private_key(ec.SECP256R1())
        tls_cert = ca.issue(tls_key.public_key(), common_name="127.0.0.1", server=True)
        d = ca.directory / f"issuer-{uuid.uuid4().hex[:8]}"
        d.mkdir()
        (d / "tls.pem").write_bytes(tls_cert.public_bytes(serialization.Encoding.PEM))
        (d / "tls.key").write_bytes(tls_key.private_bytes(serialization.Encoding.PEM,
                                                          serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.minimum_version = ssl.TLSVersion.TLSv1_2
        self._context.load_cert_chain(str(d / "tls.pem"), str(d / "tls.key"))
        for _ in range(rsa_keys):
            self.add_key("RS256")
        for _ in range(ec_keys):
            self.add_key("ES256")

    # -- lifecycle --------------------------------------------------------

    def start(self) -> "OIDCIssuer":
        """Serves on port 0 the first time, and on the same port after `stop()`."""
        assert self._httpd is None, "issuer already running"
        deadline = time.monotonic() + 10
        while True:
            try:
                self._httpd = _TLSServer(("127.0.0.1", self.port or 0), _Handler, self._context, self)
                break
            except OSError:
                if self.port is None or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"oidc-issuer-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stops serving and closes the listening socket: connections are refused until `start()`."""
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        assert self._thread is not None
        self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    @property
    def running(self) -> bool:
        return self._httpd is not None

    @property
    def issuer(self) -> str:
        assert self.port, "issuer not started"
        return f"https://127.0.0.1:{self.port}"

    # -- documents --------------------------------------------------------

    def discovery_document(self) -> dict:
        return {
            "issuer": self.issuer,
            "jwks_uri": self.issuer + self.jwks_path,
            "subject_types_supported": ["public", "pairwise"],
            "response_types_supported": ["id_token"],
            "claims_supported": ["sub", "aud", "exp", "iat", "iss", "jti", "nbf", "ref", "repository",
                                 "repository_id", "repository_owner", "repository_owner_id", "run_id",
                                 "workflow", "actor", "event_name", "job_workflow_ref", "sha"],
            "id_token_signing_alg_values_supported": sorted({k.alg for k in self.keys}),
            "scopes_supported": ["openid"],
        }

    def jwks(self) -> dict:
        with self.lock:
            return {"keys": [k.jwk() for k in self.keys]}

    # -- keys -------------------------------------------------------------

    def add_key(self, alg: str = "RS256", kid: Optional[str] = None) -> SigningKey:
        if alg == "RS256":
            priv = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        elif alg == "ES256":
            priv = ec.generate_private_key(ec.SECP256R1())
        else:
            raise ValueError(alg)
        cert = self.ca.issue(priv.public_key(), common_name=f"{alg} signing key", server=False)
        key = SigningKey(kid or uuid.uuid4().hex[:16].upper(), alg, priv, cert)
        with self.lock:
            self.keys.append(key)
        return key

    def retire_key(self, kid: str) -> None:
        with self.lock:
            key = self.key(kid)
            self.keys.remove(key)
            self.retired.append(key)

    def rotate(self, alg: str) -> tuple[SigningKey, SigningKey]:
        """Adds a new `alg` key and retires the current one; returns (old, new)."""
        old = self.key_for(alg)
        new = self.add_key(alg)
        self.retire_key(old.kid)
        return old, new

    def key(self, kid: str) -> SigningKey:
        for k in self.keys + self.retired:
            if k.kid == kid:
                return k
        raise KeyError(kid)

    def key_for(self, alg: str) -> SigningKey:
        """The newest published key for `alg`."""
        with self.lock:
            for k in reversed(self.keys):
                if k.alg == alg:
                    return k
        raise KeyError(alg)

    # -- tokens -----------------------------------------------------------

    def mint(self, claims: dict, *, alg: str = "RS256", key: Optional[SigningKey] = None,
             header: Optional[dict] = None) -> str:
        """A token signed by one of this issuer's keys, with a production-shaped header."""
        key = key or self.key_for(alg)
        h = {"alg": key.alg, "kid": key.kid}
        if key.alg == "RS256":  # GitHub's header shape; Kubernetes sends only alg + kid
            h.update({"typ": "JWT", "x5t": key.x5t})
        if header:
            h.update(header)
        return compact(h, claims, key.sign)

    def mint_raw(self, header: dict, claims: Any, *, key: Any = None, alg: Optional[str] = None) -> str:
        """Anything at all: `alg` (default header["alg"]) signs with `key` (a private key, or bytes for HS*)."""
        alg = alg or header.get("alg", "none")
        return compact(header, claims, lambda data: sign_bytes(alg, key, data))

    def times(self, *, ttl: int = 300, iat: Optional[int] = None, nbf: Optional[int] = None) -> dict:
        now = int(time.time())
        iat = now if iat is None else iat
        return {"iat": iat, "nbf": iat if nbf is None else nbf, "exp": iat + ttl}

    def github_claims(self, audience: str, **overrides: Any) -> dict:
        """The claims of a GitHub Actions OIDC token for a push to acme/app main."""
        repository = overrides.pop("repository", "acme/app")
        owner = overrides.pop("repository_owner", repository.split("/", 1)[0])
        ref = overrides.pop("ref", "refs/heads/main")
        run_id = str(int(time.time() * 1000) % 10**10)
        claims = {
            "jti": str(uuid.uuid4()),
            "sub": f"repo:{repository}:ref:{ref}",
            "aud": audience,
            "ref": ref,
            "sha": hashlib.sha1(run_id.encode()).hexdigest(),
            "repository": repository,
            "repository_owner": owner,
            "repository_owner_id": "1001",
            "repository_id": "424242",
            "repository_visibility": "private",
            "run_id": run_id,
            "run_number": "17",
            "run_attempt": "1",
            "runner_environment": "github-hosted",
            "actor": "octocat",
            "actor_id": "583231",
            "workflow": "deploy",
            "workflow_ref": f"{repository}/.github/workflows/deploy.yml@{ref}",
            "job_workflow_ref": f"{repository}/.github/workflows/deploy.yml@{ref}",
            "head_ref": "",
            "base_ref": "",
            "event_name": "push",
            "ref_type": "branch",
            "iss": self.issuer,
            **self.times(),
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not _DROP}

    def github_token(self, audience: str, **overrides: Any) -> str:
        """An RS256 GitHub-Actions-shaped token; `overrides` replace claims (use `DROP` to remove one)."""
        return self.mint(self.github_claims(audience, **overrides), alg="RS256")

    def kubernetes_claims(self, audience: str, namespace: str = "payments", service_account: str = "api",
                          **overrides: Any) -> dict:
        """The claims of a projected Kubernetes service-account token (bound to a pod)."""
        t = self.times(ttl=600)
        claims = {
            "aud": [audience],
            "exp": t["exp"], "iat": t["iat"], "nbf": t["nbf"],
            "iss": self.issuer,
            "jti": str(uuid.uuid4()),
            "kubernetes.io": {
                "namespace": namespace,
                "node": {"name": "node-1", "uid": str(uuid.uuid4())},
                "pod": {"name": f"{service_account}-7d9f8b6c5-x2x4q", "uid": str(uuid.uuid4())},
                "serviceaccount": {"name": service_account, "uid": str(uuid.uuid4())},
            },
            "sub": f"system:serviceaccount:{namespace}:{service_account}",
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not _DROP}

    def kubernetes_token(self, audience: str, namespace: str = "payments", service_account: str = "api",
                         **overrides: Any) -> str:
        """An ES256 Kubernetes service-account token."""
        return self.mint(self.kubernetes_claims(audience, namespace, service_account, **overrides), alg="ES256")


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


#: Pass as a claim override to remove that claim from a minted token.
DROP: Any = _Drop()
_DROP = DROP
