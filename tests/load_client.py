#!/usr/bin/env python3
"""load_client.py: Twilio's side of tests/faults.test: many webhook deliveries, sent at once.

    load_client.py --base URL [--base URL...] --auth-token TOKEN --account-sid AC...
                   --deliveries N --out DIR [--connections 64] [--attempts 8]
                   [--twilio-mock URL] [--rate N] [--deadline S] [--attempt-timeout S]

It makes N deliveries, taking the kinds below in turn (every endpoint, the ones that write each
with a new SID, so that every delivery is a new side effect), each signed for BASE plus its path
as Twilio signs it (twhook(7), SIGNATURE VALIDATION: a form's parameters, or bodySHA256 for
JSON) and carrying an I-Twilio-Idempotency-Token of its own.  CONNECTIONS threads (default 64)
each keep one HTTP/1.1 connection to each server and take the next delivery from a shared
queue.  With --rate, delivery number d is not sent before d / RATE seconds after the start.

With --base given more than once (tests/ha.test: one web server per machine), delivery d goes
first to base number d modulo their number, and each retry to the next base, as Twilio tries
a webhook's fallback URL; every attempt is signed for the URL it calls.

A delivery is retried, as Twilio retries when it is told to (connection overrides), with the
same body, signature and token, up to ATTEMPTS times in all, when the attempt could not
connect or was cut off, when the web server answered with a 5xx page of its own (its worker
died), or when the endpoint answered 503 (store busy: after its Retry-After).  Any other
answer ends the delivery.  With --deadline, a delivery also ends once S seconds passed since
its first attempt was sent (Twilio gives a webhook 15 s in all), and no attempt waits longer
than what is left; --attempt-timeout (default 60) bounds every attempt, a server that
accepted the connection but stopped answering included.  With --twilio-mock, the Conversations participants that the
onParticipantAdded deliveries name are created in the mock first (tests/mock/twilio_mock.py).

Written to DIR:
  attempts.jsonl    one line an attempt: {"d": delivery number, "kind", "path", "attempt",
                    "base" (the URL it went to), "sent", "answered" (Unix times),
                    "status" (0: no answer), "origin"
                    ("endpoint": the endpoint's own answer, with its Content-Type; "server":
                    the web server's; "connection": none), "retry_after", "expected": whether
                    status and body are what the kind documents}
  deliveries.jsonl  one line a delivery: {"d", "kind", "path", "token", "key" (what its side
                    effect is named by: a ConversationSid, a ParticipantSid, an
                    interactionSid, a twi_message_id; null for a read), "status" (the last
                    attempt's), "expected" (the last attempt's), "attempts"}
It prints one summary line, "deliveries N attempts N seconds S", and exits 0 (the verdict
is faults.test's).  Python 3 standard library only.
"""

import argparse
import hashlib
import http.client
import json
import os
import queue
import sys
import threading
import time
from urllib.parse import quote, urlsplit

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench"))
from sign_requests import signature  # noqa: E402

CUSTOMER = "+15555550101"  # sample.sql: Bobby Shaftoe, customer 1, alice's
CALLEE = "bob"             # faults.test gives bob two relay bindings


def sid(prefix, kind_number, n):
    return f"{prefix}{kind_number:02x}{n:030x}"


class Kind:
    """One kind of delivery: where it goes, what it sends and what it must get back."""

    def __init__(self, name, path, params, status, check, key=None, body=None):
        self.name = name
        self.path = path
        self.params = params      # n -> [(name, value)] for a form
        self.body = body          # n, account -> JSON text, for a JSON body
        self.status = status
        self.check = check        # answer bytes -> bool
        self.key = key            # n -> the side effect's name, or None


def contains(text):
    return lambda body: text.encode() in body


def equals(text):
    return lambda body: body == text.encode()


def call_notification(n, account):
    return json.dumps({
        "twi_account_sid": account, "twi_bridge_token": "eyJhbGciOiJIUzI1NiJ9.e30.x",
        "twi_call_sid": sid("CA", 0, n), "twi_from": "client:alice",
        "twi_to": f"client:{CALLEE}", "twi_message_id": f"WB{n:032x}",
        "twi_message_type": "twilio.voice.call"}, separators=(",", ":"))


WORKER = [("Worker", "alice@example.com")]
KINDS = [
    Kind("crm-list", "/twhook-crm",
         lambda n: [("Location", "GetCustomersList"), ("PageSize", "30")] + WORKER,
         200, contains('"customer_id":"1"')),
    Kind("crm-details", "/twhook-crm",
         lambda n: [("Location", "GetCustomerDetailsByCustomerId"), ("CustomerId", "1")] + WORKER,
         200, contains('"display_name":"Bobby Shaftoe"')),
    Kind("crm-unknown", "/twhook-crm",
         lambda n: [("Location", "GetCustomerDetailsByCustomerId"),
                    ("CustomerId", f"nobody-{n}")] + WORKER,
         404, contains('"status":404')),
    Kind("outgoing", "/twhook-outgoing",
         lambda n: [("Location", "GetProxyAddress"), ("CustomerId", "1"), ("ChannelType", "sms"),
                    ("ChannelValue", CUSTOMER)] + WORKER,
         200, equals('{"proxy_address":"+15555550001"}')),
    Kind("templates", "/twhook-templates",
         lambda n: [("Location", "GetTemplatesByCustomerId"), ("CustomerId", "1")] + WORKER,
         200, contains("Hello Bobby Shaftoe, this is alice@example.com.")),
    Kind("routing", "/twhook-routing",
         lambda n: [("ConversationSid", sid("CH", 1, n)), ("MessagingBinding.Address", CUSTOMER)],
         200, equals("{}"), key=lambda n: sid("CH", 1, n)),
    Kind("conversation-add", "/twhook-conversations",
         lambda n: [("EventType", "onConversationAdd"),
                    ("MessagingBinding.Address", "+15555550102")],
         200, contains('"friendly_name":"Dave Fader"')),
    Kind("participant-added", "/twhook-conversations",
         lambda n: [("EventType", "onParticipantAdded"), ("ConversationSid", sid("CH", 2, n)),
                    ("ParticipantSid", sid("MB", 2, n)), ("MessagingBinding.Address", CUSTOMER)],
         200, equals("{}"), key=lambda n: sid("MB", 2, n)),
    Kind("proxy-callback", "/twhook-proxy-callback",
         lambda n: [("interactionSid", sid("KI", 3, n)), ("interactionType", "message"),
                    ("interactionData", '{"body":"hello"}'),
                    ("inboundResourceStatus", "delivered")],
         200, equals(""), key=lambda n: sid("KI", 3, n)),
    Kind("intercept-allow", "/twhook-proxy-intercept",
         lambda n: [("interactionSid", sid("KI", 4, n)), ("interactionType", "message"),
                    ("interactionData", '{"body":"see you at noon"}')],
         200, equals("{}"), key=lambda n: sid("KI", 4, n)),
    Kind("intercept-block", "/twhook-proxy-intercept",
         lambda n: [("interactionSid", sid("KI", 5, n)), ("interactionType", "message"),
                    ("interactionData", '{"body":"please send a wire transfer"}')],
         403, contains("blocked by intercept rule 1 (keyword)"), key=lambda n: sid("KI", 5, n)),
    Kind("out-of-session", "/twhook-proxy-out-of-session",
         lambda n: [("To", "+15555550000"), ("From", CUSTOMER),
                    ("MessageSid", sid("SM", 6, n)), ("Body", "Hi")],
         200, contains("<Message>This conversation has ended. Reply to reach us again.</Message>")),
    Kind("call-notify", "/twhook-call-notify", None, 200, equals('{"queued":2}'),
         key=lambda n: f"WB{n:032x}", body=call_notification),
]


class Delivery:
    """One webhook, with its signature for each base URL it may be sent to."""

    def __init__(self, d, kind, bases, auth_token, account, json_body=None):
        """JSON_BODY, when given, is sent (and signed) instead of the kind's JSON body."""
        self.d = d
        self.kind = kind
        self.token = f"10ad10ad-0000-4000-8000-{d:012x}"
        self.key = kind.key(d) if kind.key else None
        if kind.body is not None:
            self.body = json_body if json_body is not None else kind.body(d, account).encode()
            digest = hashlib.sha256(self.body).hexdigest()
            self.target = f"{kind.path}?bodySHA256={digest}"
            self.ctype = "application/json"
            pairs = []
        else:
            form = kind.params(d)
            self.body = "&".join(quote(a, safe="") + "=" + quote(b, safe="")
                                 for a, b in form).encode()
            self.target = kind.path
            self.ctype = "application/x-www-form-urlencoded"
            pairs = [(a.encode(), b.encode()) for a, b in form]
        self.signature = {base: signature(auth_token, base + self.target, pairs)
                          for base in bases}


def seed_participants(mock, deliveries):
    """Creates in the Twilio mock the participant each onParticipantAdded delivery names."""
    url = urlsplit(mock)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    for dl in deliveries:
        if dl.kind.name != "participant-added":
            continue
        conn.request("POST", "/_mock/participants", body=json.dumps({
            "conversation_sid": sid("CH", 2, dl.d), "sid": dl.key, "identity": None,
            "attributes": "{}", "messaging_binding": {"address": CUSTOMER}}),
            headers={"Content-Type": "application/json"})
        answer = conn.getresponse()
        answer.read()
        if answer.status >= 300:
            sys.exit(f"load_client.py: the mock refused a participant: HTTP {answer.status}")
    conn.close()


class Sender(threading.Thread):
    """One connection to each base: takes deliveries from WORK until it is empty, each to its
    end."""

    def __init__(self, bases, work, args, out, lock, start):
        super().__init__(daemon=True)
        self.bases, self.work, self.args = bases, work, args
        self.out, self.lock, self.start_time = out, lock, start
        self.conns = {}

    def attempt(self, dl, base, timeout):
        """One try: (status, origin, retry_after, body)."""
        conn = self.conns.get(base)
        if conn is None:
            url = urlsplit(base)
            conn = self.conns[base] = http.client.HTTPConnection(url.hostname, url.port,
                                                                 timeout=timeout)
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        try:
            conn.request("POST", dl.target, body=dl.body, headers={
                "Content-Type": dl.ctype, "X-Twilio-Signature": dl.signature[base],
                "I-Twilio-Idempotency-Token": dl.token, "User-Agent": "TwilioProxy/1.1"})
            answer = conn.getresponse()
            body = answer.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            del self.conns[base]
            return 0, "connection", None, b""
        ctype = answer.getheader("Content-Type", "")
        mine = answer.getheader("Content-Type") is not None and not ctype.startswith("text/html")
        if answer.getheader("Connection", "").lower() == "close":
            conn.close()
            del self.conns[base]
        return answer.status, "endpoint" if mine else "server", \
            answer.getheader("Retry-After"), body

    def run(self):
        args = self.args
        while True:
            try:
                dl = self.work.get_nowait()
            except queue.Empty:
                return
            if args.rate:
                time.sleep(max(0.0, self.start_time + dl.d / args.rate - time.time()))
            first = None
            for n in range(1, args.attempts + 1):
                base = self.bases[(dl.d + n - 1) % len(self.bases)]
                sent = time.time()
                first = first or sent
                timeout = args.attempt_timeout
                if args.deadline:
                    timeout = max(0.1, min(timeout, first + args.deadline - sent))
                status, origin, retry_after, body = self.attempt(dl, base, timeout)
                answered = time.time()
                expected = status == dl.kind.status and origin == "endpoint" and \
                    dl.kind.check(body)
                line = {"d": dl.d, "kind": dl.kind.name, "path": dl.kind.path, "attempt": n,
                        "base": base, "sent": round(sent, 6), "answered": round(answered, 6),
                        "status": status, "origin": origin, "retry_after": retry_after,
                        "expected": expected}
                with self.lock:
                    self.out["attempts"].write(json.dumps(line) + "\n")
                again = origin != "endpoint" or status == 503
                pause = float(retry_after) if retry_after and retry_after.isdigit() else 0.1
                if not again or n == args.attempts or \
                        (args.deadline and time.time() + pause >= first + args.deadline):
                    break
                time.sleep(pause)
            with self.lock:
                self.out["deliveries"].write(json.dumps({
                    "d": dl.d, "kind": dl.kind.name, "path": dl.kind.path, "token": dl.token,
                    "key": dl.key, "status": status, "expected": expected,
                    "attempts": n}) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", required=True, action="append",
                        help="scheme://host:port Twilio calls; again for a fallback")
    parser.add_argument("--auth-token", required=True)
    parser.add_argument("--account-sid", required=True)
    parser.add_argument("--deliveries", type=int, required=True)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--attempts", type=int, default=8)
    parser.add_argument("--twilio-mock", help="base URL of tests/mock/twilio_mock.py")
    parser.add_argument("--rate", type=float, help="deliveries started per second at most")
    parser.add_argument("--deadline", type=float,
                        help="seconds a delivery may take in all, its retries included")
    parser.add_argument("--attempt-timeout", type=float, default=60,
                        help="seconds an attempt may wait for its answer")
    parser.add_argument("--out", required=True, help="directory for the two .jsonl files")
    args = parser.parse_args()
    deliveries = [Delivery(d, KINDS[d % len(KINDS)], args.base, args.auth_token,
                           args.account_sid) for d in range(args.deliveries)]
    if args.twilio_mock:
        seed_participants(args.twilio_mock, deliveries)
    work = queue.Queue()
    for dl in deliveries:
        work.put(dl)
    lock = threading.Lock()
    start = time.time()
    with open(os.path.join(args.out, "attempts.jsonl"), "w", encoding="utf-8") as a, \
            open(os.path.join(args.out, "deliveries.jsonl"), "w", encoding="utf-8") as d:
        out = {"attempts": a, "deliveries": d}
        senders = [Sender(args.base, work, args, out, lock, start)
                   for _ in range(args.connections)]
        for s in senders:
            s.start()
        for s in senders:
            s.join()
    with open(os.path.join(args.out, "attempts.jsonl"), encoding="utf-8") as a:
        attempts = sum(1 for _ in a)
    print(f"deliveries {len(deliveries)} attempts {attempts} seconds {time.time() - start:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
