"""What the local mocks of tests/mock (twilio_mock.py, push_mock.py) share: the request log
behind GET /_mock/requests and --log, the scripted-failure rules of /_mock/fail, the control API
routes every mock has (/_mock/requests, /_mock/reset, /_mock/fail), the HTTP/1.1 handler and
server plumbing, and start-up and shutdown ("listening on PORT", SIGTERM and SIGINT).  Python 3
standard library only.

Not a program: each mock imports it from its own directory (the mocks are run as scripts,
`python3 tests/mock/X.py`, and put that directory first on sys.path).
"""

import json
import re
import signal
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

DROP = object()  # a scripted rule's verdict (and a role's answer): close without answering

# The keys of a POST /_mock/fail body that every mock takes; a mock may take more.
FAIL_RULE_KEYS = frozenset({"method", "path_regex", "status", "body", "headers", "times",
                            "delay_ms", "drop"})


def is_json(text):
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def phrase(status):
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def encode_payload(payload):
    """An answer's body and content type: a dict or list goes as JSON, text as is (JSON if it
    parses as JSON), bytes as they are (content type None)."""
    if isinstance(payload, bytes):
        return payload, None
    if isinstance(payload, str):
        return (payload.encode("utf-8"),
                "application/json" if is_json(payload) else "text/plain; charset=utf-8")
    return json.dumps(payload).encode("utf-8"), "application/json"


class BadRequest(Exception):
    """A control request the mock cannot use; its message goes back to the test."""


def json_object(raw):
    try:
        value = json.loads(raw or b"{}")
    except ValueError as e:
        raise BadRequest(f"body is not JSON: {e}")
    if not isinstance(value, dict):
        raise BadRequest("body must be a JSON object")
    return value


# Scripted failures.

def fail_rule(spec, keys=FAIL_RULE_KEYS, kinds=None):
    """Checks a POST /_mock/fail body; the rule to store (its regex compiled).  keys: the keys
    the mock takes; kinds: the kinds of request a rule may name, the first the default (None:
    the mock's rules have no "kind")."""
    unknown = set(spec) - set(keys)
    if unknown:
        raise BadRequest(f"unknown keys: {', '.join(sorted(unknown))}")
    rule = {} if kinds is None else {"kind": spec.get("kind", kinds[0])}
    rule["path_regex"] = spec.get("path_regex", "")
    rule["times"] = spec.get("times", 1)
    if kinds is not None and rule["kind"] not in kinds:
        raise BadRequest(f"kind must be one of: {', '.join(kinds)}")
    try:
        rule["regex"] = re.compile(rule["path_regex"])
    except (re.error, TypeError) as e:
        raise BadRequest(f"bad path_regex: {e}")
    if not isinstance(rule["times"], int) or rule["times"] < 1:
        raise BadRequest("times must be a positive integer")
    for key in ("method", "device_token", "reason"):  # unknown keys were refused above
        if key in spec:
            if not isinstance(spec[key], str):
                raise BadRequest(f"{key} must be a string")
            rule[key] = spec[key].upper() if key == "method" else spec[key]
    if spec.get("status") is not None:
        if not isinstance(spec["status"], int) or not 200 <= spec["status"] <= 599:
            raise BadRequest("status must be an integer from 200 to 599")
        rule["status"] = spec["status"]
    if "body" in spec:
        rule["body"] = spec["body"]
    if "headers" in spec:
        headers = spec["headers"]
        if not isinstance(headers, dict) or not all(
                isinstance(v, str) for v in headers.values()):
            raise BadRequest("headers must be an object of strings")
        rule["headers"] = headers
    if spec.get("delay_ms"):
        if not isinstance(spec["delay_ms"], (int, float)) or spec["delay_ms"] < 0:
            raise BadRequest("delay_ms must be a non-negative number")
        rule["delay_ms"] = spec["delay_ms"]
    if spec.get("drop"):
        rule["drop"] = True
    if not any(k in rule for k in ("status", "delay_ms", "drop")):
        raise BadRequest("the rule needs status, delay_ms or drop")
    return rule


def public_rule(rule):
    """A rule as the control API shows it (without its compiled regex)."""
    return {k: v for k, v in rule.items() if k != "regex"}


def act_on_rule(rule):
    """Carries out a rule taken for a request (None: no rule matched): sleeps its delay, then
    returns DROP to close the connection without answering, the rule itself when it names a
    status to answer instead of handling the request, or None to handle it normally."""
    if not rule:
        return None
    if rule.get("delay_ms"):
        time.sleep(rule["delay_ms"] / 1000)
    if rule.get("drop"):
        return DROP
    if rule.get("status") is None:
        return None
    return rule


# Shared state.

class MockState:
    """The requests and the scripted rules, shared between the serving threads behind one lock
    (a mock adds its own state in a subclass, behind the same lock)."""

    def __init__(self, log_path):
        self.lock = threading.Lock()
        self.log = open(log_path, "a", encoding="utf-8") if log_path else None
        self.next_seq = 0
        self.requests = []
        self.unfinished = {}  # seq -> entry, for requests not answered yet
        self.rules = []

    # Requests.

    def record(self, entry):
        with self.lock:
            entry["seq"] = self.next_seq
            self.next_seq += 1
            self.requests.append(entry)
            self.unfinished[entry["seq"]] = entry
        return entry

    def note(self, entry, **fields):
        """Adds fields to a recorded request (under the lock: /_mock/requests may be reading)."""
        with self.lock:
            entry.update(fields)

    def finish(self, entry, status, **fields):
        """Notes the status a request was answered with (None: dropped), and any more fields,
        and logs it."""
        with self.lock:
            entry["status"] = status
            entry.update(fields)
            if self.unfinished.pop(entry["seq"], None) is not None:
                self._log(entry)

    def _log(self, entry):
        if self.log:
            self.log.write(json.dumps(entry) + "\n")
            self.log.flush()

    def requests_json(self):
        with self.lock:
            return json.dumps(self.requests)

    # Scripted failures.

    def add_rule(self, rule):
        with self.lock:
            self.rules.append(rule)

    def take_rule(self, method, path, **fields):
        """The first rule matching the request, used up once; None if no rule matches.  A rule
        matches unless its method, or one of the fields it names (e.g. kind=...), differs, or
        its regex is not found in the path."""
        with self.lock:
            for rule in self.rules:
                if rule.get("method", method) == method \
                        and all(rule.get(k, v) == v for k, v in fields.items()) \
                        and rule["regex"].search(path):
                    rule["times"] -= 1
                    if rule["times"] == 0:
                        self.rules.remove(rule)
                    return dict(rule)
        return None

    def rules_json(self):
        with self.lock:
            return json.dumps([public_rule(r) for r in self.rules])

    # Whole state.

    def reset(self):
        with self.lock:
            self.forget()

    def forget(self):
        """What POST /_mock/reset forgets (called under the lock)."""
        self.requests.clear()
        self.rules.clear()

    def close(self):
        """Logs the requests still unanswered, then closes the log."""
        with self.lock:
            for entry in self.unfinished.values():
                self._log(entry)
            self.unfinished.clear()
            if self.log:
                self.log.close()
                self.log = None


# The control API.

def control(state, method, path, raw, keys=FAIL_RULE_KEYS, kinds=None, extra=None):
    """Answers a control request: (status, payload).  keys and kinds go to fail_rule; extra(
    method, path, raw), the mock's own routes, gives (status, payload) or None; it may raise
    BadRequest."""
    route = (method, path.rstrip("/"))
    try:
        if route == ("GET", "/_mock/requests"):
            return 200, state.requests_json()
        if route == ("POST", "/_mock/reset"):
            state.reset()
            return 200, {"ok": True}
        if route == ("GET", "/_mock/fail"):
            return 200, state.rules_json()
        if route == ("POST", "/_mock/fail"):
            rule = fail_rule(json_object(raw), keys, kinds)
            state.add_rule(rule)
            return 201, public_rule(rule)
        answer = extra(*route, raw) if extra else None
        return answer or (404, {"error": f"no control route {method} {path}"})
    except BadRequest as e:
        return 400, {"error": str(e)}


# HTTP/1.1.

class MockHandler(BaseHTTPRequestHandler):
    """Reads each request whole, then hands /_mock/... to the control API (see control()) and
    the rest to service(url, raw).  A subclass names its software and defines reply(status,
    payload, headers=None), control(path, raw) and service(url, raw)."""
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm and
    # the client's delayed ACK hold each answer back by some 40 ms on a kept-alive connection.
    disable_nagle_algorithm = True
    software = "mock/1"

    def version_string(self):
        return self.software

    def do_GET(self):
        url = urlsplit(self.path)
        try:
            raw = self.read_body()
        except ValueError:
            self.close_connection = True
            self.reply(400, {"error": "unreadable request body"})
            return
        if (url.path == "/_mock" or url.path.startswith("/_mock/")) and self.serves_control():
            self.reply(*self.control(url.path, raw))
        else:
            self.service(url, raw)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def serves_control(self):
        return True

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline(65537).split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise ValueError("negative Content-Length")
        return self.rfile.read(length)

    def write(self, status, body, headers, content_type=None):
        """Sends an answer: Content-Type (if given), Content-Length, the headers, the body."""
        try:
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            if status in (204, 304):
                body = b""  # no body, hence no Content-Length either
            else:
                self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            self.close_connection = True  # the client left, e.g. during a delay

    def header_dict(self):
        """The request's headers: lower-case name -> value (repeats joined with ", ")."""
        headers = {}
        for name, value in self.headers.items():
            name = name.lower()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        return headers

    def log_message(self, format, *args):
        if self.server.verbose:
            super().log_message(format, *args)


class MockServer(ThreadingHTTPServer):
    """A threading HTTP/1.1 server on 127.0.0.1 (port 0: a free one)."""
    daemon_threads = True

    def __init__(self, port, handler, verbose):
        super().__init__(("127.0.0.1", port), handler)
        self.verbose = verbose


# Command line, start-up and shutdown.

def add_log_options(parser):
    parser.add_argument("--log", help="append each request to this file as a JSON line")
    parser.add_argument("--verbose", action="store_true", help="log requests to stderr")


def stop(signum, frame):
    raise KeyboardInterrupt


def serve(server, state, lines, background=()):
    """Serves until SIGTERM or SIGINT, then closes the server and the state; returns 0 (the
    exit status).  background: more servers to run in threads; lines: what to print, e.g.
    "listening on PORT", once they all listen."""
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for other in background:
        threading.Thread(target=other.serve_forever, daemon=True).start()
    for line in lines:
        print(line, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        state.close()
    return 0
