#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Independent implementation of protocol v2 sealing (docs/protocol-v2.md)
with python3-cryptography, to produce and check the test vector."""
import hashlib, hmac, json, re, struct, sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives import hashes

SALT = b"vyos-config-replication v2"

def key(secret, info):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=SALT, info=info).derive(secret.encode())

def binding(direction, method, path, dest, ts, nonce, status=None):
    s = ("VCR2-REQUEST\n" if direction == "request" else "VCR2-RESPONSE\n")
    s += f"{method}\n{path}\n{dest}\n{ts}\n{nonce}\n"
    if direction == "response":
        s += f"{status}\n"
    return s.encode()

def header(secret, method, path, dest, ts, nonce, length):
    msg = binding("request", method, path, dest, ts, nonce) + f"{length}\n".encode()
    sig = hmac.new(key(secret, b"vcr2 request-auth"), msg, hashlib.sha256).hexdigest()
    return f"VCR2 ts={ts}, nonce={nonce}, sig={sig}"

def frame(secret, direction, ad, plain, content_key, payload_iv, lock_iv):
    k = key(secret, b"vcr2 request-seal" if direction == "request" else b"vcr2 response-seal")
    lock = AESGCM(k).encrypt(lock_iv, content_key, ad)
    payload = AESGCM(content_key).encrypt(payload_iv, plain, b"VCR2-PAYLOAD\n")
    return b"VCR2" + lock_iv + lock + payload_iv + payload

def snapshot_payload(origin, epoch, generation, entries):
    doc = {"protocol": 2, "origin": origin, "epoch": epoch, "generation": generation,
           "paths": [{"path": p, "digest": hashlib.sha256(t).hexdigest(), "length": len(t)}
                     for p, t in entries]}
    d = json.dumps(doc, separators=(",", ":")).encode()
    return struct.pack(">I", len(d)) + d + b"".join(t + b"\0" for _, t in entries)

def vector():
    """The test vector of docs/protocol-v2.md: header and frame."""
    secret = "demo-secret-0123456789abcdef"
    wan = b"firewall {\n    name WAN {\n        default-action drop\n    }\n}\n"
    plain = snapshot_payload("primary", "00112233445566778899aabbccddeeff", 7,
                             [("firewall name WAN", wan), ("interfaces openvpn", b"")])
    ad = binding("request", "POST", "/v1/snapshot", "198.51.100.2:7790", 1700000000,
                 "000102030405060708090a0b0c0d0e0f")
    f = frame(secret, "request", ad, plain, bytes(range(0x20, 0x40)),
              bytes(range(0x40, 0x4c)), bytes(range(0x50, 0x5c)))
    h = header(secret, "POST", "/v1/snapshot", "198.51.100.2:7790", 1700000000,
               "000102030405060708090a0b0c0d0e0f", len(f))
    return h, f.hex()

def c_constant(source, name):
    """The string a #define NAME "…" "…" in the C test spells."""
    m = re.search(r"#define " + name + r" \\\n((?:\s*\"[^\"]*\"(?: \\\n)?)+)", source)
    return "".join(re.findall(r"\"([^\"]*)\"", m.group(1)))

if __name__ == "__main__":
    # With the C test's path: checks that its vector is what this
    # independent implementation computes. Alone: prints the vector.
    h, f = vector()
    if len(sys.argv) < 2:
        print(h)
        print(f)
        sys.exit(0)
    source = open(sys.argv[1]).read()
    ok = True
    for name, want in (("VECTOR_HEADER", h), ("VECTOR_FRAME", f)):
        got = c_constant(source, name)
        print(("ok" if got == want else "MISMATCH") + " " + name)
        ok &= got == want
    sys.exit(0 if ok else 1)
