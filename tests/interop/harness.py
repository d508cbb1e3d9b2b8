"""Process, HTTP and JOSE helpers for the Signet interoperability suite.

Everything here talks to a real `signet` binary: servers are started as child
processes on 127.0.0.1 with port 0, the CLI is run as a subprocess, and the
HTTP API is called with `requests` over (m)TLS. Nothing is mocked.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any, Iterable, Optional

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

DEFAULT_BIN = str(Path(__file__).resolve().parents[2] / ".build" / "debug" / "signet")
SIGNET_BIN = os.environ.get("SIGNET_BIN") or DEFAULT_BIN

#: Longest any single CLI call may take before the test fails instead of hanging.
CLI_TIMEOUT = 30
#: Longest a server may take to print its "listening" line.
START_TIMEOUT = 30
#: Longest a server may take to exit after SIGTERM.
STOP_TIMEOUT = 10
HTTP_TIMEOUT = 15

LISTEN_RE = re.compile(r"signet server listening on (https://\S+) \(data: (.+)\)")


def unique(prefix: str = "t") -> str:
    """A short random path segment, so tests sharing one server never collide."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"


# --------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------


def run(args: Iterable[str], *, timeout: float = CLI_TIMEOUT, input: Optional[str] = None,
        cwd: Optional[str] = None) -> subprocess.CompletedProcess:
    """Runs the signet binary with `args`; never raises on a non-zero exit."""
    cmd = [SIGNET_BIN, *[str(a) for a in args]]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, input=input, cwd=cwd,
                              stdin=None if input is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:  # pragma: no cover - only on a hang
        raise AssertionError(f"`{' '.join(cmd)}` did not finish within {timeout}s") from e


def describe(proc: subprocess.CompletedProcess) -> str:
    return (f"`{' '.join(proc.args)}` exited {proc.returncode}\n"
            f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}")


class SignetServer:
    """One `signet server` child process with its own data directory."""

    def __init__(self, data_dir: Path, trust_domain: Optional[str] = "example.org", *,
                 config: Optional[str] = None, public_url: Optional[str] = None,
                 extra_args: Iterable[str] = (), listen: str = "127.0.0.1:0"):
        self.data_dir = Path(data_dir)
        self.trust_domain = trust_domain
        self.config_text = config
        self.public_url = public_url
        self.extra_args = list(extra_args)
        self.listen = listen
        self.proc: Optional[subprocess.Popen] = None
        self.url: Optional[str] = None
        self._log_dir = self.data_dir.parent / (self.data_dir.name + ".logs")

    # -- lifecycle --------------------------------------------------------

    def command(self) -> list[str]:
        cmd = [SIGNET_BIN, "server", "--data-dir", str(self.data_dir), "--listen", self.listen]
        if self.trust_domain is not None:
            cmd += ["--trust-domain", self.trust_domain]
        if self.config_text is not None:
            self._log_dir.mkdir(parents=True, exist_ok=True)
            cfg = self._log_dir / "signet.toml"
            cfg.write_text(self.config_text)
            cmd += ["--config", str(cfg)]
        if self.public_url is not None:
            cmd += ["--public-url", self.public_url]
        return cmd + self.extra_args

    def start(self, timeout: float = START_TIMEOUT) -> "SignetServer":
        self._log_dir.mkdir(parents=True, exist_ok=True)
        self.stdout_path = self._log_dir / "stdout.log"
        self.stderr_path = self._log_dir / "stderr.log"
        # Files, not pipes: a pipe nobody reads could fill up and block the server.
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(self.command(), stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = LISTEN_RE.search(self.stdout_path.read_text(errors="replace"))
            if m:
                self.url = m.group(1)
                assert Path(m.group(2)).resolve() == self.data_dir.resolve(), m.group(0)
                return self
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"signet server exited with {self.proc.returncode} before listening\n{self.logs()}")
            time.sleep(0.03)
        self.proc.kill()
        self.proc.wait()
        raise AssertionError(f"signet server did not print its listening line within {timeout}s\n{self.logs()}")

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM, then wait; returns the exit code. Kills (and fails) on a hang."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"signet server did not exit within {timeout}s of SIGTERM\n{self.logs()}")
        return self.proc.returncode

    def stop_cleanly(self) -> None:
        rc = self.stop()
        assert rc == 0, f"signet server exited {rc} after SIGTERM, expected 0\n{self.logs()}"

    def logs(self) -> str:
        parts = []
        for name in ("stdout_path", "stderr_path"):
            p = getattr(self, name, None)
            if p is not None and p.exists():
                parts.append(f"--- {p.name} ---\n{p.read_text(errors='replace')[-4000:]}")
        return "\n".join(parts)

    # -- paths ------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self.url
        return int(self.url.rsplit(":", 1)[1])

    @property
    def ca_file(self) -> str:
        return str(self.data_dir / "admin" / "bundle.pem")

    @property
    def admin_cert(self) -> tuple[str, str]:
        return (str(self.data_dir / "admin" / "admin.pem"), str(self.data_dir / "admin" / "admin.key"))

    @property
    def default_issuer(self) -> str:
        return f"https://localhost:{self.port}"

    def jwt_key_files(self) -> list[Path]:
        return sorted((self.data_dir / "jwt").glob("*.key"))

    def active_jwt_kid(self) -> str:
        return (self.data_dir / "jwt" / "active").read_text().strip()

    def jwt_private_key(self, kid: Optional[str] = None):
        kid = kid or self.active_jwt_kid()
        matches = [p for p in self.jwt_key_files() if p.name.startswith(kid + ".")]
        assert len(matches) == 1, f"expected one key file for kid {kid}, found {matches}"
        return serialization.load_pem_private_key(matches[0].read_bytes(), password=None)

    # -- CLI --------------------------------------------------------------

    def cli(self, *args: str, timeout: float = CLI_TIMEOUT, input: Optional[str] = None) -> subprocess.CompletedProcess:
        """`signet <args> --data-dir D`; returns the CompletedProcess whatever its exit code."""
        return run([*args, "--data-dir", str(self.data_dir)], timeout=timeout, input=input)

    def cli_ok(self, *args: str, **kw) -> subprocess.CompletedProcess:
        proc = self.cli(*args, **kw)
        assert proc.returncode == 0, describe(proc)
        return proc

    def cli_json(self, *args: str, **kw) -> Any:
        proc = self.cli_ok(*args, "--output", "json", **kw)
        try:
            return json.loads(proc.stdout)
        except json.JSONDecodeError as e:
            raise AssertionError(f"not JSON: {describe(proc)}") from e

    def create_entry(self, spiffe_id: str, *extra: str, owner: str = "interop", purpose: str = "interop test") -> dict:
        return self.cli_json("entry", "create", "--spiffe-id", spiffe_id, "--owner", owner, "--purpose", purpose, *extra)

    def entries(self) -> list[dict]:
        return self.cli_json("entry", "list", "--limit", "10000")["entries"]

    def events(self, action: Optional[str] = None) -> list[dict]:
        args = ["audit", "events", "--limit", "10000"]
        if action:
            args += ["--action", action]
        return self.cli_json(*args)["events"]

    def credentials(self) -> list[dict]:
        return self.cli_json("audit", "credentials", "--limit", "10000")["credentials"]

    def mint_x509(self, spiffe_id: str, out_dir: Path, *extra: str) -> Path:
        self.cli_ok("x509", "mint", "--spiffe-id", spiffe_id, "--out", str(out_dir), *extra)
        return Path(out_dir)

    def mint_jwt(self, spiffe_id: str, *audiences: str) -> str:
        args = ["jwt", "mint", "--spiffe-id", spiffe_id]
        for a in audiences:
            args += ["--audience", a]
        token = self.cli_ok(*args).stdout.strip()
        assert token.count(".") == 2, f"not a compact JWS: {token!r}"
        return token

    def jwt_verify(self, token: str, audience: str, *extra: str) -> subprocess.CompletedProcess:
        return self.cli("jwt", "verify", token, "--audience", audience, *extra)

    # -- HTTP -------------------------------------------------------------

    def request(self, method: str, path: str, *, cert: Any = "admin", **kw) -> requests.Response:
        """An HTTPS request to this server. cert="admin" uses the bootstrap admin SVID, None sends none."""
        if cert == "admin":
            cert = self.admin_cert
        kw.setdefault("timeout", HTTP_TIMEOUT)
        kw.setdefault("verify", self.ca_file)
        return requests.request(method, self.url + path, cert=cert, **kw)

    def get(self, path: str, **kw) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw) -> requests.Response:
        return self.request("POST", path, **kw)

    def credential_count(self) -> int:
        r = self.get("/v1/credentials?limit=10000")
        assert r.status_code == 200, r.text
        return len(r.json()["credentials"])

    def entry_count(self) -> int:
        r = self.get("/v1/entries?limit=10000")
        assert r.status_code == 200, r.text
        return len(r.json()["entries"])


def error_body(r: requests.Response) -> dict:
    """The {"error","message"} body of a refusal; fails the test if the shape is wrong."""
    try:
        body = r.json()
    except ValueError as e:
        raise AssertionError(f"HTTP {r.status_code} body is not JSON: {r.text[:500]!r}") from e
    assert isinstance(body, dict) and set(body) >= {"error", "message"}, f"not an error body: {body}"
    assert body["message"].strip(), f"empty error message: {body}"
    return body


# --------------------------------------------------------------------------
# JOSE helpers (compact JWS built by hand so every header byte is controlled)
# --------------------------------------------------------------------------


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def json_b64u(obj: Any) -> str:
    return b64u(json.dumps(obj, separators=(",", ":")).encode())


def decode_part(token: str, index: int) -> dict:
    return json.loads(b64u_decode(token.split(".")[index]))


def ecdsa_raw_signature(key: ec.EllipticCurvePrivateKey, data: bytes, hash_alg=None) -> bytes:
    """JWS ECDSA signature: fixed-width big-endian r || s (RFC 7518 §3.4)."""
    hash_alg = hash_alg or hashes.SHA256()
    der = key.sign(data, ec.ECDSA(hash_alg))
    r, s = decode_dss_signature(der)
    size = (key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def sign_es256(header: dict, claims: dict, key: ec.EllipticCurvePrivateKey) -> str:
    signing_input = f"{json_b64u(header)}.{json_b64u(claims)}"
    return f"{signing_input}.{b64u(ecdsa_raw_signature(key, signing_input.encode()))}"


def unsigned(header: dict, claims: dict, signature: bytes = b"") -> str:
    return f"{json_b64u(header)}.{json_b64u(claims)}.{b64u(signature)}"


def public_jwk(key: ec.EllipticCurvePrivateKey, kid: Optional[str] = None) -> dict:
    nums = key.public_key().public_numbers()
    size = (key.curve.key_size + 7) // 8
    jwk = {"kty": "EC", "crv": "P-256", "x": b64u(nums.x.to_bytes(size, "big")),
           "y": b64u(nums.y.to_bytes(size, "big"))}
    if kid:
        jwk["kid"] = kid
    return jwk
