#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Protocol v2 requests for the shell tests, built with the independent
implementation in tests/unit/vcr2-reference.py (python3-cryptography), not
with the C code: crafts, sends and saves sealed requests, opens sealed
answers, alters one byte of a frame, replays saved requests, and takes the
client-to-server byte streams out of a tcpdump capture.

  request URL METHOD PATH [options]   one request; prints "STATUS sealed|plain"
                                      and writes the (opened) answer to --out
  replay URL FILE                     sends a saved request's bytes as they are
  streams PCAP PORT PREFIX            writes each TCP stream to PORT found in
                                      PCAP to PREFIX.N (client to server only)
"""
import argparse, importlib.util, json, os, socket, struct, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("ref", os.path.join(HERE, "unit", "vcr2-reference.py"))
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)

CONTENT_TYPE = "application/vnd.vyos-config-replication.v2"
LOCK = 64            # magic, lock IV, sealed content key, lock tag
PAYLOAD_IV = 12


def split_url(url):
    rest = url.split("://", 1)[1].rstrip("/")
    host, port = rest.rsplit(":", 1)
    return host.strip("[]"), int(port), rest


def snapshot_payload(path):
    """The v2 payload of a v1 snapshot document (what the shell tests write)."""
    doc = json.load(open(path))
    entries = [(p["path"], p["config"].encode()) for p in doc["paths"]]
    return ref.snapshot_payload(doc["origin"], doc["epoch"], doc["generation"], entries)


def document_payload(text):
    data = text.encode()
    return struct.pack(">I", len(data)) + data


def tamper(frame, where):
    """Changes one byte: lock (the sealed content key), payload, tag."""
    frame = bytearray(frame)
    offset = {"magic": 0, "lock": 16 + 5, "lock-tag": 48 + 3,
              "payload": LOCK + PAYLOAD_IV + 1, "tag": len(frame) - 3}[where]
    frame[offset] ^= 0x01
    return bytes(frame)


def build(args):
    host, port, hostport = split_url(args.url)
    dest = args.dest or ("[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port))
    ts = args.ts if args.ts is not None else int(time.time())
    nonce = args.nonce or os.urandom(16).hex()
    body = b""
    if args.payload_file:
        args.payload = open(args.payload_file).read()
    if args.snapshot_json or args.payload is not None:
        plain = snapshot_payload(args.snapshot_json) if args.snapshot_json \
            else document_payload(args.payload)
        ad = ref.binding("request", args.method, args.path, args.body_dest or dest, ts, nonce)
        body = ref.frame(args.secret, "request", ad, plain, os.urandom(32), os.urandom(12),
                         os.urandom(12))
        if args.tamper:
            body = tamper(body, args.tamper)
    if args.raw_body:
        body = open(args.raw_body, "rb").read()
    length = len(body) if args.length is None else args.length
    auth = ref.header(args.secret, args.method, args.path, dest, ts, nonce, length)
    head = "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nConnection: close\r\n" % (
        args.method, args.path, hostport, auth)
    if body or args.method == "POST":
        head += "Content-Type: %s\r\nContent-Length: %d\r\n" % (args.content_type, len(body))
    if args.expect:
        head += "Expect: 100-continue\r\n"
    if args.save_head:
        open(args.save_head, "wb").write((head + "\r\n").encode())
    return (head + "\r\n").encode() + body, dest, ts, nonce


def exchange(url, data):
    host, port, _ = split_url(url)
    with socket.create_connection((host, port), timeout=30) as s:
        s.sendall(data)
        chunks = []
        while True:
            c = s.recv(65536)
            if not c:
                break
            chunks.append(c)
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
    return status, headers, body


def open_answer(secret, method, path, dest, ts, nonce, status, body):
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    if body[:4] != b"VCR2":
        raise ValueError("not a frame")
    key = ref.key(secret, b"vcr2 response-seal")
    ad = ref.binding("response", method, path, dest, ts, nonce, status)
    content_key = AESGCM(key).decrypt(body[4:16], body[16:64], ad)
    plain = AESGCM(content_key).decrypt(body[64:76], body[76:], b"VCR2-PAYLOAD\n")
    n = struct.unpack(">I", plain[:4])[0]
    return plain[4:4 + n], plain[4 + n:]


def v1_form(doc, texts):
    """A snapshot payload as the v1 document (the shell tests edit it with
    jq and send it back with --snapshot-json)."""
    d = json.loads(doc)
    paths, off = [], 0
    for p in d["paths"]:
        text = texts[off:off + p["length"]]
        off += p["length"] + 1
        paths.append({"path": p["path"], "config": text.decode(), "digest": p["digest"]})
    return json.dumps({"protocol": 1, "origin": d["origin"], "epoch": d["epoch"],
                       "generation": d["generation"], "paths": paths}, separators=(",", ":"))


def cmd_request(args):
    data, dest, ts, nonce = build(args)
    if args.save:
        open(args.save, "wb").write(data)
    if args.no_send:
        return 0
    status, headers, body = exchange(args.url, data)
    sealed = headers.get("content-type") == CONTENT_TYPE
    out = body
    if sealed:
        doc, texts = open_answer(args.secret, args.method, args.path, dest, ts, nonce, status, body)
        out = doc if not args.texts else doc + b"\n" + texts
        if args.snapshot_out and status == 200:
            open(args.snapshot_out, "w").write(v1_form(doc, texts))
    if args.out:
        open(args.out, "wb").write(out)
    print("%d %s" % (status, "sealed" if sealed else "plain"))
    return 0


def cmd_replay(args):
    status, headers, body = exchange(args.url, open(args.file, "rb").read())
    sealed = headers.get("content-type") == CONTENT_TYPE
    if args.out:
        open(args.out, "wb").write(body)
    print("%d %s" % (status, "sealed" if sealed else "plain"))
    return 0


def pcap_packets(path):
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        yield linktype, data[off + 16:off + 16 + incl]
        off += 16 + incl


def cmd_streams(args):
    """TCP payloads to PORT, per connection, in sequence order."""
    streams = {}
    for linktype, pkt in pcap_packets(args.pcap):
        if linktype == 1:            # Ethernet
            ethertype, ip = struct.unpack(">H", pkt[12:14])[0], pkt[14:]
        elif linktype == 113:        # Linux cooked (tcpdump -i any)
            ethertype, ip = struct.unpack(">H", pkt[14:16])[0], pkt[16:]
        elif linktype == 276:        # Linux cooked v2
            ethertype, ip = struct.unpack(">H", pkt[0:2])[0], pkt[20:]
        else:
            continue
        if ethertype == 0x0800:
            ihl = (ip[0] & 0x0f) * 4
            proto, src, dst, tcp = ip[9], ip[12:16], ip[16:20], ip[ihl:]
        elif ethertype == 0x86dd:
            proto, src, dst, tcp = ip[6], ip[8:24], ip[24:40], ip[40:]
        else:
            continue
        if proto != 6:
            continue
        sport, dport, seq = struct.unpack(">HHI", tcp[:8])
        payload = tcp[(tcp[12] >> 4) * 4:]
        if dport != args.port or not payload:
            continue
        streams.setdefault((src, sport, dst), {})[seq] = payload
    for i, (_, segments) in enumerate(sorted(streams.items())):
        out = b""
        for seq in sorted(segments):
            out += segments[seq]
        open("%s.%d" % (args.prefix, i), "wb").write(out)
    print(len(streams))
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("request")
    r.add_argument("url")
    r.add_argument("method")
    r.add_argument("path")
    r.add_argument("--secret", required=True)
    r.add_argument("--dest", help="DESTINATION signed (default: the URL's host:port)")
    r.add_argument("--body-dest", help="DESTINATION the body's lock is bound to")
    r.add_argument("--ts", type=int)
    r.add_argument("--nonce")
    r.add_argument("--snapshot-json", help="a v1 snapshot document to send as a v2 payload")
    r.add_argument("--payload", help="a small JSON document to send as the payload")
    r.add_argument("--payload-file", help="the same, from a file")
    r.add_argument("--snapshot-out", help="a snapshot answer, written as a v1 document")
    r.add_argument("--tamper", choices=["magic", "lock", "lock-tag", "payload", "tag"])
    r.add_argument("--raw-body", help="send these bytes as the body (e.g. a captured frame)")
    r.add_argument("--length", type=int, help="the length signed (default: the body's)")
    r.add_argument("--content-type", default=CONTENT_TYPE)
    r.add_argument("--save", help="write the request's bytes here")
    r.add_argument("--save-head", help="write the request's head (without its body) here")
    r.add_argument("--expect", action="store_true", help="add Expect: 100-continue")
    r.add_argument("--no-send", action="store_true")
    r.add_argument("--out")
    r.add_argument("--texts", action="store_true", help="append the payload's texts to --out")
    r.set_defaults(func=cmd_request)
    s = sub.add_parser("replay")
    s.add_argument("url")
    s.add_argument("file")
    s.add_argument("--out")
    s.set_defaults(func=cmd_replay)
    t = sub.add_parser("streams")
    t.add_argument("pcap")
    t.add_argument("port", type=int)
    t.add_argument("prefix")
    t.set_defaults(func=cmd_streams)
    args = p.parse_args()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
