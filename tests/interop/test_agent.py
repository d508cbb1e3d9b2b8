"""`signet agent` and the SPIFFE Workload API, driven by the real py-spiffe client.

One server and one agent (attested with a join token) are shared by the module; tests that
stop or evict things start their own pair. Workloads are this test process (its uid), child
processes, and a child running under uid 65534 (setpriv) that has no entry.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Optional

import pytest

from harness import SIGNET_BIN, SignetServer, unique

AGENT_START_TIMEOUT = 30
SERVING = "serving unix://"


class SignetAgent:
    """One `signet agent` child process."""

    def __init__(self, server: SignetServer, work: Path, join_token: Optional[str], socket_dir: Optional[Path] = None):
        self.server = server
        self.work = work
        self.data_dir = work / "agent-data"
        self.socket = (socket_dir or work / "sock") / "api.sock"
        self.join_token = join_token
        self.proc: Optional[subprocess.Popen] = None
        self.log = work / "agent.log"

    def start(self, server_url: Optional[str] = None) -> "SignetAgent":
        cmd = [SIGNET_BIN, "agent", "--server", server_url or self.server.url, "--trust-bundle", self.server.ca_file,
               "--socket", str(self.socket), "--data-dir", str(self.data_dir), "--log-level", "debug"]
        if self.join_token:
            cmd += ["--join-token", self.join_token]
        cmd += self.start_args
        self.work.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + AGENT_START_TIMEOUT
        start_offset = 0
        while time.monotonic() < deadline:
            text = self.log.read_text(errors="replace")
            if SERVING in text[start_offset:] and self.socket.exists():
                return self
            if self.proc.poll() is not None:
                raise AssertionError(f"agent exited with {self.proc.returncode}:\n{text[-4000:]}")
            time.sleep(0.05)
        self.proc.kill()
        raise AssertionError(f"agent did not start within {AGENT_START_TIMEOUT}s:\n{self.log.read_text()[-4000:]}")

    def stop(self) -> int:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"agent did not stop within 10s of SIGTERM:\n{self.logs()}")
        return self.proc.returncode if self.proc else 0

    def logs(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]

    @property
    def endpoint(self) -> str:
        return f"unix://{self.socket}"

    def client(self):
        from spiffe import WorkloadApiClient
        return WorkloadApiClient(socket_path=self.endpoint, default_timeout=10)

    @property
    def spiffe_id(self) -> str:
        agents = self.server.cli_json("agent", "list")["agents"]
        ours = [a["id"] for a in agents if a["id"].endswith("/" + self.token_id)]
        assert ours, f"agent not listed: {agents}"
        return ours[0]

    token_id = ""
    start_args: list = []


def create_token(server: SignetServer) -> tuple[str, str]:
    out = server.cli_json("token", "create", "--ttl", "10m")
    return out["id"], out["token"]


def start_agent(server: SignetServer, work: Path, socket_dir: Optional[Path] = None) -> SignetAgent:
    token_id, token = create_token(server)
    agent = SignetAgent(server, work, token, socket_dir)
    agent.token_id = token_id
    return agent.start()


def wait_for(predicate, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as e:  # noqa: BLE001 - the predicate's failure is reported below
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


@pytest.fixture(scope="module")
def agent_env(server, tmp_path_factory):
    import tempfile
    # Workloads of every uid must reach the socket, as under /tmp/signet-agent/public in a deployment.
    socket_dir = Path(tempfile.mkdtemp(prefix="signet-sock-"))
    os.chmod(socket_dir, 0o755)
    agent = start_agent(server, tmp_path_factory.mktemp("agent"), socket_dir)
    spiffe_id = f"spiffe://example.org/prod/{unique('py')}"
    server.create_entry(spiffe_id, "--parent-id", agent.spiffe_id, "--selector", f"unix:uid:{os.getuid()}")
    wait_for(lambda: agent.client().fetch_x509_svid().spiffe_id, 15, "the agent to serve the new entry")
    yield agent, spiffe_id
    assert agent.stop() == 0, agent.logs()
    shutil.rmtree(socket_dir, ignore_errors=True)


# ---------------------------------------------------------------------------
# py-spiffe: every Workload API call
# ---------------------------------------------------------------------------


def test_fetch_x509_context_and_bundles(agent_env, server):
    agent, spiffe_id = agent_env
    client = agent.client()
    context = client.fetch_x509_context()
    svid = context.default_svid
    assert str(svid.spiffe_id) == spiffe_id
    leaf = svid.leaf
    assert leaf.not_valid_after_utc.timestamp() - time.time() <= 3600 + 5
    bundles = client.fetch_x509_bundles()
    bundle = bundles.get_bundle_for_trust_domain(svid.spiffe_id.trust_domain)
    assert bundle is not None and len(bundle.x509_authorities) >= 1
    # The key is the one for the certificate (py-spiffe checks it, this double-checks).
    from cryptography.hazmat.primitives import serialization
    pub = svid.private_key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert pub == leaf.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    # The chain verifies against the server's published roots with openssl.
    chain_pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in svid.cert_chain)
    chain_file = agent.work / "fetched.pem"
    chain_file.write_bytes(chain_pem)
    r = subprocess.run(["openssl", "verify", "-CAfile", server.ca_file, "-untrusted", str(chain_file),
                        "-purpose", "sslclient", str(chain_file)], capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stdout + r.stderr


def test_jwt_svid_fetch_validate_and_bundles(agent_env, server):
    agent, spiffe_id = agent_env
    client = agent.client()
    svid = client.fetch_jwt_svid(audience={"billing"})
    assert str(svid.spiffe_id) == spiffe_id
    assert svid.audience == {"billing"}
    bundles = client.fetch_jwt_bundles()
    assert bundles.get_bundle_for_trust_domain(svid.spiffe_id.trust_domain) is not None
    validated = client.validate_jwt_svid(svid.token, "billing")
    assert str(validated.spiffe_id) == spiffe_id
    # The same token again comes from the agent's cache (no new issuance on the server).
    before = len([c for c in server.credentials() if c["kind"] == "jwt-svid"])
    again = client.fetch_jwt_svid(audience={"billing"})
    assert again.token == svid.token
    assert len([c for c in server.credentials() if c["kind"] == "jwt-svid"]) == before
    # And an independent verifier agrees, through the server's OIDC discovery.
    r = server.jwt_verify(svid.token, "billing")
    assert r.returncode == 0, r.stderr


def test_validate_refuses_wrong_audience_and_garbage(agent_env):
    from spiffe.workloadapi.errors import ValidateJwtSvidError
    agent, _ = agent_env
    client = agent.client()
    token = client.fetch_jwt_svid(audience={"svc-a"}).token
    for bad_token, audience in ((token, "svc-b"), ("not.a.jwt", "svc-a")):
        with pytest.raises(ValidateJwtSvidError):
            client.validate_jwt_svid(bad_token, audience)


# ---------------------------------------------------------------------------
# Raw gRPC: the protocol rules py-spiffe never breaks on its own
# ---------------------------------------------------------------------------


def _stub(agent):
    import grpc
    from spiffe._proto import workload_pb2_grpc
    channel = grpc.insecure_channel(agent.endpoint)
    return channel, workload_pb2_grpc.SpiffeWorkloadAPIStub(channel)


def test_missing_security_header_is_invalid_argument(agent_env):
    import grpc
    from spiffe._proto import workload_pb2
    agent, _ = agent_env
    channel, stub = _stub(agent)
    with channel:
        with pytest.raises(grpc.RpcError) as e:
            next(stub.FetchX509SVID(workload_pb2.X509SVIDRequest(), timeout=5))
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        with pytest.raises(grpc.RpcError) as e:
            stub.FetchJWTSVID(workload_pb2.JWTSVIDRequest(audience=["x"]), timeout=5)
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_empty_audience_and_foreign_spiffe_id(agent_env):
    import grpc
    from spiffe._proto import workload_pb2
    agent, spiffe_id = agent_env
    md = (("workload.spiffe.io", "true"),)
    channel, stub = _stub(agent)
    with channel:
        with pytest.raises(grpc.RpcError) as e:
            stub.FetchJWTSVID(workload_pb2.JWTSVIDRequest(audience=[]), metadata=md, timeout=5)
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        with pytest.raises(grpc.RpcError) as e:
            stub.FetchJWTSVID(workload_pb2.JWTSVIDRequest(audience=["x"], spiffe_id="spiffe://example.org/not/mine"),
                              metadata=md, timeout=5)
        assert e.value.code() == grpc.StatusCode.PERMISSION_DENIED
        ok = stub.FetchJWTSVID(workload_pb2.JWTSVIDRequest(audience=["x"], spiffe_id=spiffe_id), metadata=md, timeout=5)
        assert [s.spiffe_id for s in ok.svids] == [spiffe_id]
        with pytest.raises(grpc.RpcError) as e:
            stub.ValidateJWTSVID(workload_pb2.ValidateJWTSVIDRequest(audience="", svid="x"), metadata=md, timeout=5)
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT


# ---------------------------------------------------------------------------
# Attestation comes from the kernel, not from the workload
# ---------------------------------------------------------------------------

CHILD_FETCH = textwrap.dedent("""
    import sys
    from spiffe import WorkloadApiClient
    try:
        svid = WorkloadApiClient(socket_path=sys.argv[1], default_timeout=10).fetch_x509_svid()
        print("OK", svid.spiffe_id)
    except Exception as e:
        print("ERR", type(e).__name__, e)
""")


def test_other_uid_gets_permission_denied(agent_env, server):
    if shutil.which("setpriv") is None or os.getuid() != 0:
        pytest.skip("needs root and setpriv to run a workload under another uid")
    import tempfile
    agent, _ = agent_env
    # uid 65534 cannot read root's build tree: give it its own copy of the client.
    shared = Path(tempfile.mkdtemp(prefix="signet-uid-"))
    try:
        os.chmod(shared, 0o755)
        binary = shared / "signet"
        shutil.copy2(SIGNET_BIN, binary)
        os.chmod(binary, 0o755)
        before = len(server.events("workload.denied"))
        r = subprocess.run(["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                            str(binary), "api", "fetch", "x509", "--socket", str(agent.socket)],
                           capture_output=True, text=True, timeout=30, cwd=shared, env={"PATH": "/usr/bin:/bin"})
        assert r.returncode != 0, r.stdout + r.stderr
        assert "permissionDenied" in r.stderr or "permission" in r.stderr.lower(), r.stderr
        # The same command as this process's own uid is served.
        ok = subprocess.run([str(binary), "api", "fetch", "x509", "--socket", str(agent.socket), "--output", "json"],
                            capture_output=True, text=True, timeout=30)
        assert ok.returncode == 0, ok.stderr
        assert json.loads(ok.stdout)["svids"], ok.stdout
    finally:
        shutil.rmtree(shared, ignore_errors=True)
    # The refusal reaches the server's event log (the agent reports it).
    # Other workloads of the shared session server may be refused meanwhile: wait for this one's event.
    events = wait_for(
        lambda: [e for e in server.events("workload.denied")[before:] if "65534" in json.dumps(e)] or None,
        10, "a workload.denied event for uid 65534")
    assert events


def test_child_process_of_same_uid_is_served(agent_env, tmp_path):
    agent, spiffe_id = agent_env
    script = tmp_path / "child.py"
    script.write_text(CHILD_FETCH)
    r = subprocess.run([sys.executable, str(script), agent.endpoint], capture_output=True, text=True, timeout=30)
    assert r.stdout.strip() == f"OK {spiffe_id}", r.stdout + r.stderr


MTLS_SERVER = textwrap.dedent("""
    import sys
    from spiffe import X509Source, SpiffeId
    from spiffetls import listen, ListenOptions
    from spiffetls.mode import ServerTlsMode
    from spiffetls.tlsconfig.authorize import authorize_id
    source = X509Source(socket_path=sys.argv[1])
    conn = listen("127.0.0.1:" + sys.argv[2], source,
                  ListenOptions(tls_mode=ServerTlsMode.MTLS, authorize_fn=authorize_id(SpiffeId(sys.argv[3]))))
    print("READY", flush=True)
    client, _ = conn.accept()
    client.do_handshake()
    data = client.recv(1024)
    client.sendall(b"echo:" + data)
    client.shutdown()
    client.close()
    source.close()
""")

MTLS_CLIENT = textwrap.dedent("""
    import sys
    from spiffe import X509Source, SpiffeId
    from spiffetls import dial
    from spiffetls.tlsconfig.authorize import authorize_id
    source = X509Source(socket_path=sys.argv[1])
    conn = dial("127.0.0.1:" + sys.argv[2], source, authorize_fn=authorize_id(SpiffeId(sys.argv[3])))
    conn.sendall(b"hello")
    print(conn.recv(1024).decode())
    conn.close()
    source.close()
""")


def test_two_workloads_establish_mtls_with_spiffetls(agent_env, tmp_path):
    import socket
    agent, spiffe_id = agent_env
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = str(s.getsockname()[1])
    (tmp_path / "srv.py").write_text(MTLS_SERVER)
    (tmp_path / "cli.py").write_text(MTLS_CLIENT)
    srv = subprocess.Popen([sys.executable, str(tmp_path / "srv.py"), agent.endpoint, port, spiffe_id],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert srv.stdout.readline().strip() == "READY", srv.stderr.read()
        r = subprocess.run([sys.executable, str(tmp_path / "cli.py"), agent.endpoint, port, spiffe_id],
                           capture_output=True, text=True, timeout=30)
        assert r.stdout.strip() == "echo:hello", r.stdout + r.stderr
        assert srv.wait(timeout=15) == 0, srv.stderr.read()
    finally:
        if srv.poll() is None:
            srv.kill()


# ---------------------------------------------------------------------------
# Rotation, restarts, eviction (their own server + agent)
# ---------------------------------------------------------------------------


def test_rotation_is_pushed_on_an_open_stream(agent_env, server):
    agent, _ = agent_env
    from spiffe import WorkloadApiClient
    short_id = f"spiffe://example.org/prod/{unique('rot')}"
    # A selector only this test's entry has would not match this process; instead the entry
    # matches this uid too and is found by ID in the stream's context.
    server.create_entry(short_id, "--parent-id", agent.spiffe_id, "--selector", f"unix:uid:{os.getuid()}",
                        "--x509-ttl", "10s")
    seen: dict[int, float] = {}
    done = threading.Event()
    client = WorkloadApiClient(socket_path=agent.endpoint)

    def on_update(context):
        for svid in context.x509_svids:
            if str(svid.spiffe_id) == short_id:
                seen.setdefault(svid.leaf.serial_number, time.monotonic())
        if len(seen) >= 3:
            done.set()

    handle = client.stream_x509_contexts(on_success=on_update, on_error=lambda e: None)
    try:
        assert done.wait(timeout=30), f"saw {len(seen)} distinct SVIDs for the 10 s entry in 30 s"
    finally:
        handle.cancel()
        client.close()
    times = sorted(seen.values())
    # Renewed at about half the lifetime (5 s), never after expiry.
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert all(2.0 <= g <= 9.5 for g in gaps), gaps


def test_agent_restarted_with_server_down_still_serves_then_resyncs(server, tmp_path):
    # Its own server on a fixed port so it can come back at the same address.
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = tmp_path / "srv" / "data"
    srv = SignetServer(data, "example.org", listen=f"127.0.0.1:{port}").start()
    agent = start_agent(srv, tmp_path / "agent")
    spiffe_id = f"spiffe://example.org/prod/{unique('res')}"
    srv.create_entry(spiffe_id, "--parent-id", agent.spiffe_id, "--selector", f"unix:uid:{os.getuid()}")
    first = wait_for(lambda: agent.client().fetch_x509_svid(), 15, "the first SVID")
    assert str(first.spiffe_id) == spiffe_id
    srv.stop_cleanly()
    assert agent.stop() == 0, agent.logs()
    # Agent restarts while the server is down: it serves the persisted SVID at once.
    agent.join_token = None
    agent.start()
    again = agent.client().fetch_x509_svid()
    assert again.leaf.serial_number == first.leaf.serial_number
    time.sleep(1.5)
    assert agent.logs().count("server unreachable") == 1, agent.logs()
    # The server returns (same address): the agent resynchronises and picks up a new entry.
    srv2 = SignetServer(data, "example.org", listen=f"127.0.0.1:{port}").start()
    try:
        second_id = f"spiffe://example.org/prod/{unique('res2')}"
        srv2.create_entry(second_id, "--parent-id", agent.spiffe_id, "--selector", f"unix:uid:{os.getuid()}")
        ids = wait_for(lambda: {str(s.spiffe_id) for s in agent.client().fetch_x509_svids()} >= {spiffe_id, second_id}
                       and True, 40, "the agent to resync after the server returned")
        assert ids
    finally:
        assert agent.stop() == 0, agent.logs()
        srv2.stop_cleanly()


def test_evicted_agent_is_refused(server, tmp_path):
    agent = start_agent(server, tmp_path / "evict")
    try:
        agent_id = agent.spiffe_id
        server.cli_ok("agent", "evict", agent_id)
        listed = {a["id"]: a for a in server.cli_json("agent", "list")["agents"]}
        assert listed[agent_id]["evicted"] is True
        # Its next sync (or the one it is waiting in) is refused, and it says so once.
        wait_for(lambda: "refuses this agent" in agent.logs(), 40, "the agent to log the refusal")
        assert any(e["actor"] == agent_id or agent_id in json.dumps(e) for e in server.events("agent.denied"))
    finally:
        agent.stop()


def test_used_token_is_refused(server, tmp_path):
    token_id, token = create_token(server)
    first = SignetAgent(server, tmp_path / "one", token)
    first.token_id = token_id
    first.start()
    first.stop()
    second = SignetAgent(server, tmp_path / "two", token)
    with pytest.raises(AssertionError) as e:
        second.start()
    assert "already used" in str(e.value), str(e.value)
    denied = server.events("agent.attest")
    assert any(ev["outcome"] == "denied" for ev in denied), denied


def test_x509pop_attestation_with_a_real_agent(tmp_path):
    """A node holding a certificate from a CA the server trusts attests with x509pop (no token)."""
    import datetime
    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, "node CA")])
    ca = (cx509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(cx509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(cx509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(cx509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    node_key = ec.generate_private_key(ec.SECP256R1())
    node = (cx509.CertificateBuilder()
            .subject_name(cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, "web-7")]))
            .issuer_name(ca_name).public_key(node_key.public_key()).serial_number(cx509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(cx509.SubjectAlternativeName([cx509.DNSName("web-7.example.org")]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pki = tmp_path / "pki"
    pki.mkdir()
    (pki / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (pki / "node.pem").write_bytes(node.public_bytes(serialization.Encoding.PEM))
    (pki / "node.key").write_bytes(node_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
    srv = SignetServer(tmp_path / "srv" / "data", "example.org",
                       config=f'[agent]\nx509pop_ca_bundle = "{pki / "ca.pem"}"\n').start()
    agent = SignetAgent(srv, tmp_path / "agent", None)
    agent.start_args = ["--x509pop-cert", str(pki / "node.pem"), "--x509pop-key", str(pki / "node.key")]
    try:
        agent.start()
        listed = srv.cli_json("agent", "list")["agents"]
        assert len(listed) == 1, listed
        record = listed[0]
        assert record["attestation_type"] == "x509pop"
        assert record["id"].startswith("spiffe://example.org/signet/agent/x509pop/")
        assert "x509pop:subject:cn:web-7" in record["selectors"]
        assert "x509pop:san:dns:web-7.example.org" in record["selectors"]
        # A node alias on its selectors hands its entries to this agent (and any node like it).
        alias = "spiffe://example.org/nodes/web"
        srv.create_entry(alias, "--parent-id", "spiffe://example.org/signet/server",
                         "--selector", "x509pop:subject:cn:web-7")
        workload = f"spiffe://example.org/prod/{unique('pop')}"
        srv.create_entry(workload, "--parent-id", alias, "--selector", f"unix:uid:{os.getuid()}")
        svid = wait_for(lambda: agent.client().fetch_x509_svid(), 20, "the workload SVID through the node alias")
        assert str(svid.spiffe_id) == workload
    finally:
        assert agent.stop() == 0, agent.logs()
        srv.stop_cleanly()
