#!/usr/bin/env python3
"""fcgi_client.py: a web server's side of tests/memory.test: one FastCGI connection, N requests.

    fcgi_client.py --connect HOST:PORT --endpoint NAME --requests N --pid PID
                   --base URL --auth-token TOKEN --account-sid AC...
                   [--checkpoints 1000,10000,50000,100000]

It speaks FastCGI itself (no libfcgi, no web server): one TCP connection to HOST:PORT, kept
open for every request with FCGI_KEEP_CONN, each request FCGI_BEGIN_REQUEST (responder),
FCGI_PARAMS (the CGI variables a web server sets: REQUEST_METHOD, CONTENT_TYPE,
CONTENT_LENGTH, REQUEST_URI, SCRIPT_NAME, QUERY_STRING, HTTPS, HTTP_HOST, SERVER_NAME,
SERVER_PORT and the request's headers as HTTP_*) and FCGI_STDIN, then the answer read from
FCGI_STDOUT up to FCGI_END_REQUEST.

The requests are the deliveries of tests/load_client.py whose path is /twhook-NAME, taken in
turn, request n built as load_client.py builds delivery n: the writers' SIDs and the
I-Twilio-Idempotency-Token are new for every n, so every request is a new side effect, and each
is signed for BASE plus its path (twhook(7), SIGNATURE VALIDATION; BASE also gives HTTPS,
HTTP_HOST, SERVER_NAME and SERVER_PORT, from which the endpoint rebuilds the URL).  Each
answer's status and body must be the kind's.  Three requests in every hundred exercise other
paths:
  n % 100 == 49   a body that does not parse (a bad %-escape, or JSON cut short and signed
                  as it is): 400
  n % 100 == 74   request n - 1 again, byte for byte (a retried delivery): its answer again,
                  and no new side effect
  n % 100 == 99   the signature of another URL: 403

After the answer to request number C (counting from 1) of each checkpoint C, it waits 0.1 s
(the endpoint writes its logs after answering) and reads VmRSS and RssAnon of process PID
(the endpoint; spawn-fcgi -n execs it) from /proc/PID/status.  It prints, one line each:
  rss C VMRSS KB anon RSSANON KB   at each checkpoint (kB, as /proc says)
  kind KIND N                      the fresh requests of each load_client.py kind answered
                                   as documented: what the store should hold
  requests N unexpected N bad N repeated N seconds S
and the first ten unexpected answers on standard error.  It exits 0 once the N requests are
answered (the verdict is memory.test's), 1 when the connection fails.
Python 3 standard library only.
"""

import argparse
import os
import socket
import struct
import sys
import time
from urllib.parse import urlsplit

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from load_client import KINDS, Delivery  # noqa: E402

FCGI_VERSION = 1
FCGI_BEGIN_REQUEST, FCGI_END_REQUEST, FCGI_PARAMS, FCGI_STDIN, FCGI_STDOUT, FCGI_STDERR = \
    1, 3, 4, 5, 6, 7
FCGI_RESPONDER = 1
FCGI_KEEP_CONN = 1
REQUEST_ID = 1
HEADER = struct.Struct(">BBHHBx")


def record(kind, content=b""):
    """One record, or as many as CONTENT needs (65535 bytes each), padded to 8 bytes."""
    out = []
    while True:
        chunk, content = content[:65535], content[65535:]
        pad = -len(chunk) % 8
        out.append(HEADER.pack(FCGI_VERSION, kind, REQUEST_ID, len(chunk), pad) + chunk +
                   b"\0" * pad)
        if not content:
            return b"".join(out)


def name_value(name, value):
    def length(n):
        return struct.pack(">B", n) if n < 128 else struct.pack(">I", n | 0x80000000)
    return length(len(name)) + length(len(value)) + name + value


def fcgi_request(params, body):
    """The records of one request: its parameters and body, each stream ended by an empty record."""
    pairs = b"".join(name_value(k.encode(), v.encode()) for k, v in params.items())
    return (record(FCGI_BEGIN_REQUEST, struct.pack(">HB5x", FCGI_RESPONDER, FCGI_KEEP_CONN)) +
            (record(FCGI_PARAMS, pairs) if pairs else b"") + record(FCGI_PARAMS) +
            (record(FCGI_STDIN, body) if body else b"") + record(FCGI_STDIN))


class Connection:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=60)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rfile = self.sock.makefile("rb")

    def read(self, n):
        data = self.rfile.read(n)
        if len(data) != n:
            raise ConnectionError("the server closed the connection mid-answer")
        return data

    def exchange(self, params, body):
        """Sends one request; its answer as (CGI output, stderr bytes, app status)."""
        self.sock.sendall(fcgi_request(params, body))
        out, err = [], []
        while True:
            version, kind, rid, length, pad = HEADER.unpack(self.read(HEADER.size))
            content = self.read(length)
            self.read(pad)
            if version != FCGI_VERSION or rid != REQUEST_ID:
                raise ConnectionError(f"a record of version {version} for request {rid}")
            if kind == FCGI_STDOUT:
                out.append(content)
            elif kind == FCGI_STDERR:
                err.append(content)
            elif kind == FCGI_END_REQUEST:
                app_status, protocol_status = struct.unpack(">IB3x", content)
                if protocol_status != 0:
                    raise ConnectionError(f"FCGI_END_REQUEST protocol status {protocol_status}")
                return b"".join(out), b"".join(err), app_status
            else:
                raise ConnectionError(f"an unexpected record of type {kind}")


def parse_cgi(output):
    """(status, content type, body) of a CGI answer: "Status: NNN" and headers, a blank line."""
    head, sep, body = output.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = output.partition(b"\n\n")
    status, ctype = 0, ""
    for line in head.decode("latin-1").splitlines():
        name, _, value = line.partition(":")
        if name.lower() == "status":
            status = int(value.split()[0])
        elif name.lower() == "content-type":
            ctype = value.strip()
    return status, ctype, body


def cgi_params(dl, signature, url, body):
    query = dl.target.partition("?")[2]
    https = url.scheme == "https"
    params = {
        "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_SOFTWARE": "fcgi_client.py",
        "SERVER_PROTOCOL": "HTTP/1.1", "REQUEST_METHOD": "POST", "REQUEST_URI": dl.target,
        "SCRIPT_NAME": dl.kind.path, "QUERY_STRING": query, "CONTENT_TYPE": dl.ctype,
        "CONTENT_LENGTH": str(len(body)), "HTTP_HOST": url.netloc, "SERVER_NAME": url.hostname,
        "SERVER_PORT": str(url.port or (443 if https else 80)), "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "40000", "HTTP_X_TWILIO_SIGNATURE": signature,
        "HTTP_I_TWILIO_IDEMPOTENCY_TOKEN": dl.token, "HTTP_USER_AGENT": "TwilioProxy/1.1",
    }
    if https:
        params["HTTPS"] = "on"
    return params


def memory(pid):
    """VmRSS and RssAnon of PID, in kB."""
    fields = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            name, _, value = line.partition(":")
            fields[name] = value.split()[0] if value.split() else ""
    return int(fields["VmRSS"]), int(fields.get("RssAnon", 0))


class Request:
    """Request n to the endpoint: what is sent and the answer it must get."""

    def __init__(self, n, kinds, url, args, previous):
        self.repeat = n % 100 == 74 and previous is not None
        if self.repeat:
            self.params, self.body = previous.params, previous.body
            self.status, self.check, self.kind = previous.status, previous.check, None
            return
        kind = kinds[n % len(kinds)]
        dl = Delivery(n, kind, [args.base], args.auth_token, args.account_sid)
        signature = dl.signature[args.base]
        self.kind, self.status, self.check, self.body = kind.name, kind.status, kind.check, dl.body
        if n % 100 == 49:
            # A JSON body's digest and signature are checked before it is parsed: the cut-short
            # body is signed as it is sent.  A form's signature needs its parameters parsed.
            self.kind, self.status = None, 400
            if kind.body is not None:
                dl = Delivery(n, kind, [args.base], args.auth_token, args.account_sid,
                              json_body=b'{"twi_to":')
                signature = dl.signature[args.base]
            else:
                dl.body += b"&broken=%zz"
            self.body = dl.body
            self.check = lambda body: b'"status":400' in body
        elif n % 100 == 99:
            self.kind, self.status = None, 403
            elsewhere = args.base + "/elsewhere"
            signature = Delivery(n, kind, [elsewhere], args.auth_token,
                                 args.account_sid).signature[elsewhere]
            self.check = lambda body: b"X-Twilio-Signature is not valid" in body
        self.params = cgi_params(dl, signature, url, self.body)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connect", required=True, help="HOST:PORT of the FastCGI server")
    parser.add_argument("--endpoint", required=True, help="NAME of twhook-NAME")
    parser.add_argument("--requests", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True, help="the endpoint's process")
    parser.add_argument("--base", required=True, help="scheme://host[:port] Twilio calls")
    parser.add_argument("--auth-token", required=True)
    parser.add_argument("--account-sid", required=True)
    parser.add_argument("--checkpoints", default="1000,10000,50000,100000")
    args = parser.parse_args()
    kinds = [k for k in KINDS if k.path == f"/twhook-{args.endpoint}"]
    if not kinds:
        parser.error(f"load_client.py has no request for /twhook-{args.endpoint}")
    checkpoints = {int(c) for c in args.checkpoints.split(",") if c}
    host, _, port = args.connect.rpartition(":")
    url = urlsplit(args.base)
    conn = Connection(host, int(port))
    accepted = {k.name: 0 for k in kinds}
    unexpected = bad = repeated = 0
    previous = None
    start = time.time()
    for n in range(args.requests):
        req = Request(n, kinds, url, args, previous)
        try:
            output, _, _ = conn.exchange(req.params, req.body)
        except (OSError, ConnectionError, struct.error) as e:
            print(f"fcgi_client.py: request {n} to twhook-{args.endpoint}: {e}", file=sys.stderr)
            return 1
        status, ctype, body = parse_cgi(output)
        expected = status == req.status and ctype != "" and req.check(body)
        if not expected:
            unexpected += 1
            if unexpected <= 10:
                print(f"unexpected answer to request {n} ({req.kind or 'a bad or repeated one'},"
                      f" wanted {req.status}): {output[:300]!r}", file=sys.stderr)
        elif req.kind is not None:
            accepted[req.kind] += 1
        if req.repeat:
            repeated += 1
        elif req.kind is None:
            bad += 1
        previous = None if req.repeat or req.kind is None else req
        if n + 1 in checkpoints:
            time.sleep(0.1)
            rss, anon = memory(args.pid)
            print(f"rss {n + 1} {rss} KB anon {anon} KB", flush=True)
    for name, count in accepted.items():
        print(f"kind {name} {count}")
    print(f"requests {args.requests} unexpected {unexpected} bad {bad} repeated {repeated} "
          f"seconds {time.time() - start:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
