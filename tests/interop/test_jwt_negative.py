"""Every known JWT attack shape, each refused by BOTH `signet jwt verify` and POST /v1/jwt/validate.

Forgeries that need a valid signature are signed with the server's real JWT
key, read from <data-dir>/jwt/<kid>.ES256.key of the test's own server, so the
only thing wrong with such a token is the one header field or claim the case
changes. A control case proves the forging code itself produces tokens Signet
accepts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Callable

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from harness import (b64u, b64u_decode, decode_part, describe, ecdsa_raw_signature, error_body, json_b64u,
                     public_jwk, sign_es256, unique, unsigned)

AUD = "negative-tests"


@dataclass
class Ctx:
    server: object
    spiffe_id: str
    token: str          # a genuine token minted by the server for AUD
    header: dict
    claims: dict
    kid: str
    key: ec.EllipticCurvePrivateKey
    attacker: ec.EllipticCurvePrivateKey
    other_token: str    # a genuine token from the other trust domain, for AUD

    def fresh_claims(self, **changes) -> dict:
        now = int(time.time())
        claims = dict(self.claims, iat=now, exp=now + 240)
        for k, v in changes.items():
            if v is DROP:
                claims.pop(k, None)
            else:
                claims[k] = v
        return claims

    def header_with(self, **changes) -> dict:
        header = dict(self.header)
        for k, v in changes.items():
            if v is DROP:
                header.pop(k, None)
            else:
                header[k] = v
        return header

    def signed(self, header=None, claims=None) -> str:
        return sign_es256(header or self.header, claims or self.fresh_claims(), self.key)


DROP = object()


@pytest.fixture(scope="module")
def ctx(server, other_server):
    spiffe_id = f"spiffe://example.org/prod/{unique('neg')}"
    server.create_entry(spiffe_id)
    token = server.mint_jwt(spiffe_id, AUD)
    header, claims = decode_part(token, 0), decode_part(token, 1)
    other_id = f"spiffe://other.org/prod/{unique('neg')}"
    other_server.create_entry(other_id)
    return Ctx(server=server, spiffe_id=spiffe_id, token=token, header=header, claims=claims,
               kid=header["kid"], key=server.jwt_private_key(header["kid"]),
               attacker=ec.generate_private_key(ec.SECP256R1()), other_token=other_server.mint_jwt(other_id, AUD))


def flip_bit(data: bytes, index: int, bit: int = 0) -> bytes:
    b = bytearray(data)
    b[index] ^= 1 << bit
    return bytes(b)


def with_signature(token: str, signature: bytes) -> str:
    h, p, _ = token.split(".")
    return f"{h}.{p}.{b64u(signature)}"


def public_pem(ctx: Ctx) -> bytes:
    return ctx.key.public_key().public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)


# name -> (builder(ctx) -> (token, audience), substrings one of which the reason must contain)
CASES: dict[str, tuple[Callable[[Ctx], tuple[str, str]], tuple[str, ...]]] = {}


def case(name: str, *expect: str):
    def register(fn):
        CASES[name] = (fn, tuple(e.lower() for e in expect))
        return fn
    return register


@case("alg-none", "none", "unsigned")
def _(c):
    return unsigned(c.header_with(alg="none"), c.fresh_claims()), AUD


@case("alg-None-capitalised", "none", "unsigned")
def _(c):
    return unsigned(c.header_with(alg="None"), c.fresh_claims()), AUD


@case("alg-none-with-original-signature", "none", "unsigned")
def _(c):
    h = json_b64u(c.header_with(alg="none"))
    return f"{h}.{c.token.split('.')[1]}.{c.token.split('.')[2]}", AUD


@case("hs256-keyed-with-public-key-pem", "hs256", "hmac")
def _(c):
    header = c.header_with(alg="HS256")
    signing_input = f"{json_b64u(header)}.{json_b64u(c.fresh_claims())}"
    mac = hmac.new(public_pem(c), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64u(mac)}", AUD


@case("hs256-keyed-with-public-jwk-json", "hs256", "hmac")
def _(c):
    header = c.header_with(alg="HS256")
    signing_input = f"{json_b64u(header)}.{json_b64u(c.fresh_claims())}"
    secret = json.dumps(public_jwk(c.key, c.kid)).encode()
    return f"{signing_input}.{b64u(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}", AUD


@case("unknown-kid", "kid")
def _(c):
    return c.signed(header=c.header_with(kid="no-such-key-" + unique())), AUD


@case("missing-kid", "kid")
def _(c):
    return c.signed(header=c.header_with(kid=DROP)), AUD


@case("empty-kid", "kid")
def _(c):
    return c.signed(header=c.header_with(kid="")), AUD


@case("missing-alg", "alg")
def _(c):
    return c.signed(header=c.header_with(alg=DROP)), AUD


@case("stripped-signature", "unsigned", "signature")
def _(c):
    h, p, _ = c.token.split(".")
    return f"{h}.{p}.", AUD


@case("bit-flipped-signature", "signature")
def _(c):
    sig = b64u_decode(c.token.split(".")[2])
    return with_signature(c.token, flip_bit(sig, 40)), AUD


@case("bit-flipped-payload", "signature")
def _(c):
    h, p, s = c.token.split(".")
    payload = b64u_decode(p)
    # Flip one bit inside the last character of the SPIFFE ID ('...neg<hex>' -> another identity).
    i = payload.index(c.spiffe_id.encode()) + len(c.spiffe_id) - 1
    return f"{h}.{b64u(flip_bit(payload, i))}.{s}", AUD


@case("bit-flipped-kid-in-header", "kid")
def _(c):
    h, p, s = c.token.split(".")
    raw = b64u_decode(h)
    j = raw.index(c.kid.encode()) + len(c.kid) - 1
    return f"{b64u(flip_bit(raw, j))}.{p}.{s}", AUD


@case("all-zero-ecdsa-signature", "zero", "cve-2022-21449")
def _(c):
    return with_signature(c.signed(), bytes(64)), AUD


@case("zero-r-ecdsa-signature", "zero", "cve-2022-21449")
def _(c):
    sig = b64u_decode(c.signed().split(".")[2])
    return with_signature(c.token, bytes(32) + sig[32:]), AUD


@case("der-encoded-ecdsa-signature", "bytes", "signature")
def _(c):
    signing_input = ".".join(c.token.split(".")[:2]).encode()
    return with_signature(c.token, c.key.sign(signing_input, ec.ECDSA(hashes.SHA256()))), AUD


@case("truncated-signature", "bytes", "signature")
def _(c):
    return with_signature(c.token, b64u_decode(c.token.split(".")[2])[:63]), AUD


@case("embedded-jwk-attacker-key", "jwk")
def _(c):
    header = c.header_with(jwk=public_jwk(c.attacker, c.kid))
    return sign_es256(header, c.fresh_claims(), c.attacker), AUD


@case("embedded-jwk-real-key", "jwk")
def _(c):
    return c.signed(header=c.header_with(jwk=public_jwk(c.key, c.kid))), AUD


@case("jku-header", "jku")
def _(c):
    return sign_es256(c.header_with(jku="https://attacker.example/jwks.json"), c.fresh_claims(), c.attacker), AUD


@case("x5u-header", "x5u")
def _(c):
    return sign_es256(c.header_with(x5u="https://attacker.example/cert.pem"), c.fresh_claims(), c.attacker), AUD


@case("x5c-header", "x5c")
def _(c):
    return c.signed(header=c.header_with(x5c=["MIIB"])), AUD


@case("unknown-crit-header", "crit")
def _(c):
    return c.signed(header=c.header_with(crit=["urn:example:must-understand"],
                                         **{"urn:example:must-understand": True})), AUD


@case("typ-not-jwt", "typ")
def _(c):
    return c.signed(header=c.header_with(typ="at+jwt")), AUD


@case("alg-es384-on-p256-key", "es384")
def _(c):
    header = c.header_with(alg="ES384")
    signing_input = f"{json_b64u(header)}.{json_b64u(c.fresh_claims())}"
    return f"{signing_input}.{b64u(ecdsa_raw_signature(c.key, signing_input.encode(), hashes.SHA384()))}", AUD


@case("alg-rs256-on-ec-key", "rs256")
def _(c):
    return c.signed(header=c.header_with(alg="RS256")), AUD


@case("alg-eddsa", "eddsa")
def _(c):
    return c.signed(header=c.header_with(alg="EdDSA")), AUD


@case("expired", "expired")
def _(c):
    now = int(time.time())
    return c.signed(claims=c.fresh_claims(iat=now - 3600, exp=now - 600)), AUD


@case("not-yet-valid", "not valid before")
def _(c):
    now = int(time.time())
    return c.signed(claims=c.fresh_claims(nbf=now + 3600, exp=now + 7200)), AUD


@case("issued-in-the-future", "future")
def _(c):
    now = int(time.time())
    return c.signed(claims=c.fresh_claims(iat=now + 3600, exp=now + 7200)), AUD


@case("missing-exp", "exp")
def _(c):
    return c.signed(claims=c.fresh_claims(exp=DROP)), AUD


@case("exp-not-a-number", "exp")
def _(c):
    return c.signed(claims=c.fresh_claims(exp=str(int(time.time()) + 240))), AUD


@case("missing-aud", "aud")
def _(c):
    return c.signed(claims=c.fresh_claims(aud=DROP)), AUD


@case("aud-not-a-string", "aud")
def _(c):
    return c.signed(claims=c.fresh_claims(aud=42)), AUD


@case("wrong-audience", "audience")
def _(c):
    return c.token, "someone-else"


@case("audience-prefix-only", "audience")
def _(c):
    return c.token, AUD[:-1]


@case("missing-sub", "sub")
def _(c):
    return c.signed(claims=c.fresh_claims(sub=DROP)), AUD


@case("sub-not-a-spiffe-id", "sub", "spiffe")
def _(c):
    return c.signed(claims=c.fresh_claims(sub="admin@example.org")), AUD


@case("sub-in-other-trust-domain", "trust domain")
def _(c):
    return c.signed(claims=c.fresh_claims(sub="spiffe://other.org/prod/web")), AUD


@case("token-from-other-trust-domain", "kid")
def _(c):
    return c.other_token, AUD


@case("two-parts", "part")
def _(c):
    return ".".join(c.token.split(".")[:2]), AUD


@case("padded-base64", "base64")
def _(c):
    h, p, s = c.token.split(".")
    return f"{h}==.{p}.{s}", AUD


@case("payload-not-json", "json", "signature")
def _(c):
    h = c.token.split(".")[0]
    return f"{h}.{b64u(b'not json')}.{c.token.split('.')[2]}", AUD


@case("oversized-token", "bytes", "large")
def _(c):
    return c.signed(claims=c.fresh_claims(pad="x" * 20000)), AUD


def assert_refused(ctx: Ctx, token: str, audience: str, expect: tuple[str, ...], name: str) -> None:
    server = ctx.server
    proc = server.jwt_verify(token, audience)
    reason = proc.stderr.lower() + proc.stdout.lower()
    assert proc.returncode == 1, f"[{name}] `signet jwt verify` did not refuse (exit {proc.returncode}):\n{describe(proc)}"
    assert any(e in reason for e in expect), \
        f"[{name}] `signet jwt verify` reason does not mention any of {expect}:\n{describe(proc)}"

    r = server.post("/v1/jwt/validate", json={"token": token, "audience": audience})
    assert r.status_code == 400, f"[{name}] POST /v1/jwt/validate answered {r.status_code}: {r.text[:500]}"
    body = error_body(r)
    assert body["error"] == "invalid_token", body
    assert any(e in body["message"].lower() for e in expect), \
        f"[{name}] /v1/jwt/validate message does not mention any of {expect}: {body}"


@pytest.mark.parametrize("name", list(CASES))
def test_forged_or_broken_token_is_refused(ctx, name):
    build, expect = CASES[name]
    token, audience = build(ctx)
    assert_refused(ctx, token, audience, expect, name)


def assert_accepted(ctx: Ctx, token: str, audience: str, label: str) -> dict:
    proc = ctx.server.jwt_verify(token, audience)
    assert proc.returncode == 0, f"[{label}] `signet jwt verify` refused a valid token:\n{describe(proc)}"
    assert ctx.spiffe_id in proc.stdout, describe(proc)
    r = ctx.server.post("/v1/jwt/validate", json={"token": token, "audience": audience})
    assert r.status_code == 200, f"[{label}] /v1/jwt/validate refused a valid token: {r.status_code} {r.text}"
    body = r.json()
    assert body["spiffe_id"] == ctx.spiffe_id, body
    return body


def test_genuine_token_is_accepted(ctx):
    body = assert_accepted(ctx, ctx.token, AUD, "minted")
    assert body["claims"]["sub"] == ctx.spiffe_id
    assert AUD in body["claims"]["aud"]


def test_forging_harness_control_is_accepted(ctx):
    """Re-signing the genuine header and (refreshed) claims with the on-disk key yields a token Signet accepts,
    so every refusal above is caused by the one thing its case changes."""
    assert_accepted(ctx, ctx.signed(), AUD, "re-signed control")
    # Within the documented 30 s leeway an already-expired token is still accepted.
    now = int(time.time())
    assert_accepted(ctx, ctx.signed(claims=ctx.fresh_claims(iat=now - 300, exp=now - 5)), AUD, "leeway")


def test_offline_verify_with_bundle_file(ctx, other_server, tmp_path):
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(ctx.server.get("/bundle", cert=None).content)
    proc = ctx.server.jwt_verify(ctx.token, AUD, "--bundle", str(bundle))
    assert proc.returncode == 0, describe(proc)
    proc = ctx.server.jwt_verify(with_signature(ctx.token, bytes(64)), AUD, "--bundle", str(bundle))
    assert proc.returncode == 1, describe(proc)
    # The other trust domain's bundle does not vouch for this token.
    foreign = tmp_path / "other.json"
    foreign.write_bytes(other_server.get("/bundle", cert=None).content)
    proc = ctx.server.jwt_verify(ctx.token, AUD, "--bundle", str(foreign), "--trust-domain", "other.org")
    assert proc.returncode == 1, describe(proc)


def test_foreign_issuer_is_handled_consistently(ctx):
    """SPIFFE JWT-SVIDs do not require `iss`; whatever Signet decides, its CLI and API must agree."""
    token = ctx.signed(claims=ctx.fresh_claims(iss="https://attacker.example"))
    proc = ctx.server.jwt_verify(token, AUD)
    r = ctx.server.post("/v1/jwt/validate", json={"token": token, "audience": AUD})
    assert (proc.returncode == 0) == (r.status_code == 200), (describe(proc), r.status_code, r.text)
    assert proc.returncode in (0, 1) and r.status_code in (200, 400)


def test_validate_endpoint_requires_admin(ctx):
    r = ctx.server.post("/v1/jwt/validate", cert=None, json={"token": ctx.token, "audience": AUD})
    assert r.status_code == 401, r.text


def test_verify_reads_token_from_stdin(ctx):
    proc = ctx.server.cli("jwt", "verify", "-", "--audience", AUD, input=ctx.token + "\n")
    assert proc.returncode == 0, describe(proc)
    proc = ctx.server.cli("jwt", "verify", "-", "--audience", AUD, input=with_signature(ctx.token, bytes(64)))
    assert proc.returncode == 1, describe(proc)
