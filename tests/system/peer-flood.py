#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A flood against one daemon's peer port, for the fault suite
# (faults-peer.sh, case flood): first IDLE connections that are opened and
# held without finishing a request (most send nothing, some half of their
# headers, some the signed-looking headers of a POST and then nothing of
# its body), then, while they are held, REQUESTS requests from WORKERS
# threads, each on a connection of its own, of these kinds (protocol v2):
#   good       signed GET /v1/digests: 200, a frame sealed for it
#   replay     a good one, then its very header again: 401 "already used"
#   wrong      a fresh nonce, a wrong signature: 401
#   stale      signed 400 s ago: 401
#   malformed  not the VCR2 syntax: 401
#   oversized  a Content-Length over the 64 MiB limit, signed, with
#              `Expect: 100-continue` as our client sends: 413 at once,
#              sealed
# Signing and sealing follow docs/protocol-v2.md with the independent
# implementation tests/unit/vcr2-reference.py. Prints one JSON line of
# figures; exits 1 if any answer was not the one expected (or did not come
# within TIMEOUT seconds), 2 on a usage error.
# Usage: peer-flood.py HOST PORT SECRET IDLE REQUESTS WORKERS

import importlib.util
import json
import os
import resource
import socket
import sys
import threading
import time

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "ref", os.path.join(HERE, "..", "unit", "vcr2-reference.py"))
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)

TIMEOUT = 60
PORTS = threading.local()   # the local port of each thread's last request
KINDS = ["good", "replay", "wrong", "stale", "malformed", "oversized"]
CONTENT_TYPE = "application/vnd.vyos-config-replication.v2"


def auth(secret, dest, method, path, ts, nonce, length=0):
    return ref.header(secret, method, path, dest, ts, nonce, length)


def opens(secret, dest, method, path, ts, nonce, status, body):
    """True when BODY is a frame sealed for this request and STATUS."""
    try:
        key = ref.key(secret, b"vcr2 response-seal")
        ad = ref.binding("response", method, path, dest, ts, nonce, status)
        content_key = AESGCM(key).decrypt(body[4:16], body[16:64], ad)
        AESGCM(content_key).decrypt(body[64:76], body[76:], b"VCR2-PAYLOAD\n")
        return body[:4] == b"VCR2"
    except Exception:
        return False


def exchange(host, port, head):
    """Sends HEAD (a whole request without a body), returns (status,
    headers, body) of the answer, read until the server closes."""
    with socket.create_connection((host, port), timeout=TIMEOUT) as s:
        PORTS.port = s.getsockname()[1]
        s.sendall(head.encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head_text, _, body = data.partition(b"\r\n\r\n")
    lines = head_text.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0].startswith("HTTP/") else 0
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


def request_head(host, authorization, extra=""):
    lines = ["GET /v1/digests HTTP/1.1", "Host: %s" % host, "Connection: close"]
    if authorization is not None:
        lines.append("Authorization: %s" % authorization)
    return "\r\n".join(lines) + "\r\n" + extra + "\r\n"


class Flood:
    def __init__(self, host, port, secret):
        self.host, self.port, self.secret = host, port, secret
        self.dest = "%s:%d" % (host, port)
        self.lock = threading.Lock()
        self.counts = {kind: 0 for kind in KINDS}
        self.failures = []
        self.errors = 0
        self.good_latency_max = 0.0

    def good(self, kind):
        nonce = os.urandom(16).hex()
        ts = int(time.time())
        header = auth(self.secret, self.dest, "GET", "/v1/digests", ts, nonce)
        start = time.monotonic()
        status, headers, body = exchange(self.host, self.port, request_head(self.host, header))
        latency = time.monotonic() - start
        if status != 200:
            return "good request answered %d: %r" % (status, body[:200])
        if not opens(self.secret, self.dest, "GET", "/v1/digests", ts, nonce, status, body):
            return "good request: the answer is not sealed for it"
        with self.lock:
            self.good_latency_max = max(self.good_latency_max, latency)
        if kind == "replay":
            status, _, body = exchange(self.host, self.port, request_head(self.host, header))
            if status != 401 or b"already used" not in body:
                return "replay answered %d: %r" % (status, body[:200])
        return None

    def refused(self, kind):
        now = int(time.time())
        nonce = os.urandom(16).hex()
        sealed = False
        if kind == "wrong":
            head = request_head(self.host, "VCR2 ts=%d, nonce=%s, sig=%s" % (now, nonce, os.urandom(32).hex()))
            want = 401
        elif kind == "stale":
            head = request_head(self.host, auth(self.secret, self.dest, "GET", "/v1/digests",
                                                now - 400, nonce))
            want = 401
        elif kind == "malformed":
            head = request_head(self.host, "VCR2 ts=%d,nonce=%s" % (now, nonce))
            want = 401
        else:
            length = 64 * 1024 * 1024 + 1
            head = request_head(self.host, auth(self.secret, self.dest, "GET", "/v1/digests", now,
                                                nonce, length),
                                "Content-Length: %d\r\nExpect: 100-continue\r\n" % length)
            want, sealed = 413, True
        status, headers, body = exchange(self.host, self.port, head)
        if status != want:
            return "answered %d, want %d: %r" % (status, want, body[:200])
        if sealed and not opens(self.secret, self.dest, "GET", "/v1/digests", now, nonce, status, body):
            return "the 413 to a signed request is not sealed for it"
        if not sealed and headers.get("content-type") == CONTENT_TYPE:
            return "a refusal before authentication was sealed"
        return None

    def one(self, i):
        kind = KINDS[i % len(KINDS)]
        try:
            error = self.good(kind) if kind in ("good", "replay") else self.refused(kind)
        except OSError as e:
            error = "%s: %s" % (type(e).__name__, e)
        if error is not None:
            error += " (from port %s)" % getattr(PORTS, "port", "?")
        with self.lock:
            self.counts[kind] += 1
            if error is not None:
                self.errors += 1
                if len(self.failures) < 20:
                    self.failures.append("%s #%d: %s" % (kind, i, error))


def open_idle(host, port, n):
    """N connections that never finish a request, held by the caller."""
    held = []
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex((host, port))
        held.append(s)
    # once connected, a tenth send half their headers and a tenth the
    # headers of a POST announcing a body that never comes
    deadline = time.monotonic() + 10
    pending = {i for i in range(n) if i % 10 in (1, 2)}
    while pending and time.monotonic() < deadline:
        for i in list(pending):
            s = held[i]
            try:
                if i % 10 == 1:
                    s.send(b"GET /v1/digests HTTP/1.1\r\nHost: x\r\n")
                else:
                    a = auth("not the secret", "%s:%d" % (host, port), "POST", "/v1/snapshot",
                             int(time.time()), os.urandom(16).hex(), 100000)
                    s.send(("POST /v1/snapshot HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"
                            "Content-Type: %s\r\nContent-Length: 100000\r\n\r\n{"
                            % (a, CONTENT_TYPE)).encode())
                pending.discard(i)
            except (BlockingIOError, OSError):
                pass
        time.sleep(0.05)
    return held


def main():
    if len(sys.argv) != 7:
        print("usage: peer-flood.py HOST PORT SECRET IDLE REQUESTS WORKERS", file=sys.stderr)
        return 2
    host, port, secret = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    idle, requests, workers = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, idle + 4 * workers + 64)), hard))

    started = time.monotonic()
    held = open_idle(host, port, idle)
    flood = Flood(host, port, secret)
    next_index = [0]
    index_lock = threading.Lock()

    def worker():
        while True:
            with index_lock:
                i = next_index[0]
                if i >= requests:
                    return
                next_index[0] += 1
            flood.one(i)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    for s in held:
        s.close()
    print(json.dumps({
        "idle_connections": idle,
        "requests": requests,
        "counts": flood.counts,
        "errors": flood.errors,
        "first_errors": flood.failures,
        "good_latency_max_s": round(flood.good_latency_max, 3),
        "seconds": round(elapsed, 1),
    }))
    return 1 if flood.errors else 0


if __name__ == "__main__":
    sys.exit(main())
