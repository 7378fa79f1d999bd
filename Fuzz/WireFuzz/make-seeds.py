#!/usr/bin/env python3
"""Writes the seed corpus of the wire fuzz target into Fuzz/WireFuzz/corpus/.

The encoding here is written from docs/wire-protocol.md, independently of the
Swift code, so the seeds double as a check of the document. Each seed is small
and valid. Run again after a format change.
"""
import hashlib
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")

MORE = 0x02


def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def string(s):
    b = s.encode() if isinstance(s, str) else s
    return varint(len(b)) + b


def frame(msg_type, body, flags=0, dest=1, src=0, stream=0):
    return struct.pack(">HBBBBIIII", 0x525A, 1, msg_type, flags, 0, len(body), dest, src, stream) + body


# WireValue
def v_null():
    return b"\x00"


def v_bool(b):
    return b"\x02" if b else b"\x01"


def v_int(i):
    return b"\x03" + varint(((i << 1) ^ (i >> 63)) & 0xFFFFFFFFFFFFFFFF)


def v_double(d):
    return b"\x04" + struct.pack(">d", d)


def v_string(s):
    return b"\x05" + string(s)


def v_bytes(b):
    return b"\x06" + string(b)


def v_list(items):
    return b"\x07" + varint(len(items)) + b"".join(items)


def v_map(pairs):
    return b"\x08" + varint(len(pairs)) + b"".join(string(k) + v for k, v in pairs)


hello = (string("0.1.0") + string(bytes(range(32))) + struct.pack(">i", 4242) + string("Linux")
         + string("6.1.0") + string("x86_64") + string("web1") + string("/tmp/.rhizome-x"))
welcome = struct.pack(">IIIBQ", 7, 0, 30, 2, 256 << 20)
ping = struct.pack(">Q", 0x0102030405060708)
args = v_map([("cmd", v_string("uname -a")), ("chdir", v_null()), ("warn", v_bool(False)),
              ("n", v_int(-3)), ("ratio", v_double(0.5)), ("raw", v_bytes(b"\x00\xff")),
              ("list", v_list([v_int(1), v_list([]), v_map([])]))])
run_task = (string("command") + args + varint(2) + string("LANG") + string("C") + string("PATH")
            + string("/bin") + struct.pack(">d", 30.0) + struct.pack(">Q", 1 << 20))
task_output = b"\x01" + string("hello\n")
task_result = (b"\x01" + struct.pack(">i", 0) + b"\x00" + struct.pack(">qq", 1, 2) + b"\x01\x00"
               + string("ok") + struct.pack(">QQQQ", 0, 5, 6, 0) + v_map([("ping", v_string("pong"))]))



def string_list(items):
    return varint(len(items)) + b"".join(string(i) for i in items)


def f64(d):
    return struct.pack(">d", d)


# Mesh (types 20-24)
def spawn_child(password):
    body = (struct.pack(">I", 12) + string("db1") + string("10.0.0.12") + struct.pack(">H", 22) + string("deploy")
            + string_list(["10.0.0.12 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA"]) + string("~/.ssh/known_hosts")
            + b"\x01" + varint(2) + string(b"\x00\x00\x00\x0bssh-ed25519") + string(b"")
            + string_list(["id_ed25519", "agent key 2"]))
    body += (b"\x01" + string(password)) if password is not None else b"\x00"
    body += f64(10.0) + f64(30.0) + struct.pack(">IQ", 15, 256 << 20)
    # line number of the known_hosts line, no HostKeyAlias, CheckHostIP off
    return body + varint(1) + varint(7) + b"\x00" + b"\x00"


child_up = (struct.pack(">I", 12) + hello + f64(0.25) + f64(0.125) + f64(1.5)
            + string("10.0.0.12 ssh-ed25519 AAAA") + string("") + struct.pack(">Q", 1 << 22))
child_down = varint(3) + struct.pack(">III", 12, 13, 14) + string("link") + string("link to db1 lost") + string("link lost")
sign_request = string(b"\x00\x00\x00\x0bssh-ed25519") + string(bytes(range(64)))
sign_response = string(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x40" + bytes(64)) + string("")
sign_refused = string(b"") + string("no key with that fingerprint")

# Payloads (types 30-33)
content = b"a" * 20
digest = hashlib.sha256(content).digest()
# An LZ4 block that expands to 20 "a": literal "a", match at distance 1 of 14, then 5 literals.
lz4_block = bytes([0x1A, 0x61, 0x01, 0x00, 0x50]) + b"aaaaa"
payload_request = digest + struct.pack(">Q", 4 << 20)


def payload_chunk(total, offset, encoding, data, original):
    return digest + struct.pack(">QQBI", total, offset, encoding, original) + string(data)


chunk_whole_lz4 = payload_chunk(20, 0, 1, lz4_block, 20)
chunk_first = payload_chunk(20, 0, 0, content[:8], 8)
chunk_rest = payload_chunk(20, 8, 0, content[8:], 12)
chunk_empty = hashlib.sha256(b"").digest() + struct.pack(">QQBI", 0, 0, 0, 0) + string(b"")
payload_error = digest + string("no node on the way holds the payload")
payload_credit = struct.pack(">Q", 4 << 20)

# Statistics (types 40-41)
stats_request = b""
stats_report = varint(2) + b"".join(struct.pack(">I9Q", child, *[child * 1000 + i for i in range(9)]) for child in (12, 13))

seeds = {
    # Streams of frames.
    "stream-handshake": frame(1, hello, dest=0, src=0) + frame(2, welcome),
    "stream-ping-pong": frame(3, ping) + frame(4, ping, dest=0, src=1),
    "stream-task": (frame(10, run_task, stream=9) + frame(11, task_output, dest=0, src=1, stream=9)
                    + frame(12, task_result, dest=0, src=1, stream=9)),
    "stream-chunked-interleaved": (frame(11, task_output[:3], flags=MORE, src=1, stream=1)
                                   + frame(3, ping, src=2)
                                   + frame(11, task_output[:2], flags=MORE, src=1, stream=2)
                                   + frame(11, task_output[3:], src=1, stream=1)
                                   + frame(11, task_output[2:], src=1, stream=2)),
    "stream-control": (frame(5, string("bye")) + frame(6, string("bad frame")) + frame(7, b"\x02" + string("up"))
                       + frame(13, string("timeout"), stream=9) + frame(99, b"")),
    "stream-spawn": (frame(20, spawn_child(None), dest=3) + frame(23, sign_request, dest=0, src=3, stream=1)
                     + frame(24, sign_response, dest=3, stream=1) + frame(21, child_up, dest=0, src=3)
                     + frame(22, child_down, dest=0, src=3)),
    "stream-payload": (frame(30, payload_request, dest=0, src=1, stream=5) + frame(31, chunk_first, stream=5)
                       + frame(33, payload_credit, dest=0, src=1, stream=5) + frame(31, chunk_rest, stream=5)
                       + frame(30, payload_request, dest=0, src=1, stream=6) + frame(32, payload_error, stream=6)),
    "stream-stats": frame(40, stats_request, dest=3) + frame(41, stats_report, dest=0, src=3),
    # Bare message bodies, for the direct decode path.
    "body-hello": hello,
    "body-welcome": welcome,
    "body-run-task": run_task,
    "body-task-result": task_result,
    "body-spawn-child": spawn_child("pässword"),
    "body-spawn-child-keys-only": spawn_child(None),
    "body-child-up": child_up,
    "body-child-down": child_down,
    "body-sign-request": sign_request,
    "body-sign-response": sign_response,
    "body-sign-refused": sign_refused,
    "body-payload-request": payload_request,
    "body-payload-chunk-lz4": chunk_whole_lz4,
    "body-payload-chunk-raw": chunk_rest,
    "body-payload-chunk-empty": chunk_empty,
    "body-payload-error": payload_error,
    "body-stats-report": stats_report,
    "body-value": v_list([v_map([("é", v_string("ü\n\"\\\x01"))]), v_int(-(1 << 63)), v_int((1 << 63) - 1),
                          v_double(float("nan")), v_double(-0.0)]),
    # JSON text, for the parser.
    "json-result": ('{"changed": false, "rc": 0, "stdout_lines": ["a\\tb", "\\u00e9\\ud83d\\ude00"],'
                    ' "delta": -1.5e-3, "big": 12345678901234567890, "none": null, "ok": true, "empty": {}}').encode(),
}

os.makedirs(CORPUS, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(CORPUS, name), "wb") as f:
        f.write(data)
print(f"wrote {len(seeds)} seeds to {CORPUS}")
