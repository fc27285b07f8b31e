#!/usr/bin/env python3
"""A local mock of Twilio's Conversations REST API, for testing `twhook dispatch`.

It answers the participant calls the dispatcher makes (twhook-routing(8) and
twhook-conversations(8), "The work queued") the way Twilio does, records every request it
receives, and can be scripted to fail, stall or drop connections, so that tests can check
retries, backoff and idempotency without the network.  Python 3 standard library only.

    twilio_mock.py --port PORT --account-sid ACxxx --auth-token TOKEN
                   [--api-key-sid SKxxx --api-key-secret SECRET] [--log FILE] [--verbose]

It listens on 127.0.0.1 only (--port 0 picks a free port), prints one line "listening on PORT"
to stdout once ready, and serves until SIGTERM or SIGINT, then exits 0.

Twilio API (every request needs HTTP Basic auth: account SID + auth token, or API key + secret;
otherwise 401, code 20003):
    POST /v1/Conversations/{CH}/Participants        Identity=... or MessagingBinding.Address=...
         201 new participant; 409 (code 50433) if that Identity is already in the conversation,
         409 (code 50416) if that address and proxy address already are
    GET  /v1/Conversations/{CH}/Participants/{MB}   200 participant, or 404 (code 20404)
    POST /v1/Conversations/{CH}/Participants/{MB}   Attributes=<JSON> updates, 200 participant
    anything else                                   404 (code 20404)
Participant attributes are a string holding JSON, as at Twilio.  The codes of 400 answers
(invalid Attributes, neither Identity nor address) are approximate.

Control API (no auth, JSON in and out; not recorded):
    GET  /_mock/requests      every API request so far, in arrival order: {"seq" (a number
                              never reused, even after a reset), "method", "path", "query":
                              {name: [values]}, "headers": {lower-case name: value}, "form":
                              {name: [values]}, "body": raw text, "status": the status
                              answered (null while unanswered or if dropped), "time": unix
                              time of arrival}
    POST /_mock/reset         forget requests, participants and scripted rules
    GET  /_mock/participants  every participant
    POST /_mock/participants  seed one: {"conversation_sid", "sid", "identity" (may be null),
                              "attributes": JSON string (an object is encoded for you),
                              "messaging_binding": optional object}
    GET  /_mock/fail          the scripted rules not used up yet
    POST /_mock/fail          script the next matching API requests:
                              {"method": optional, "path_regex": searched in the path (no query;
                              default: any), "status": optional, "body": optional JSON or text
                              (default: a Twilio error for that status), "headers": optional
                              {name: value} (e.g. Retry-After), "times": N (default 1),
                              "delay_ms": optional, "drop": optional bool}
A rule applies after the auth check, to the next "times" matching requests; rules are tried in
the order they were added.  "delay_ms" sleeps before answering (with neither "status" nor "drop",
the request is then handled normally: work done, answer late).  "status" answers that instead of
handling the request, so a failed POST creates nothing.  "drop" closes the connection without
answering.  Note that libcurl silently resends a request once on a fresh connection when a
*reused* keep-alive connection closes before any answer, so a client that keeps connections alive
sees a single drop only as an extra request: script "times": 2 or more to make it see an error.

A request is recorded as it arrives, before any scripted delay, with "status": null until it is
answered, so a request abandoned by its client during a delay is still there.  With --log FILE
each request is also appended to FILE as one JSON line (same fields), flushed at once, when it is
answered or dropped (lines are in completion order; "seq" gives arrival order); requests still
unanswered when the mock stops are written then, with "status": null.

Usage from a shell test (tests/lib.sh kills $cleanup_pids on exit):

    python3 "$top_srcdir/tests/mock/twilio_mock.py" --port 0 --account-sid "$SID" \\
        --auth-token "$TOKEN" --log "$T/twilio.log" > "$T/twilio.out" 2> "$T/twilio.err" &
    cleanup_pids="$cleanup_pids $!"
    for _i in $(seq 100); do
        grep -q '^listening on ' "$T/twilio.out" && break
        sleep 0.05
    done
    MOCK=http://127.0.0.1:$(sed -n 's/^listening on //p' "$T/twilio.out")
    curl -s -d '{"path_regex": "/Participants$", "status": 503}' "$MOCK/_mock/fail"
    ... point twhook at $MOCK instead of https://conversations.twilio.com, run it ...
    curl -s "$MOCK/_mock/requests" | jq -r '.[] | "\\(.method) \\(.path) \\(.status)"'
    jq -s 'map(select(.form.Identity == ["alice"])) | length' "$T/twilio.log"
"""

import argparse
import base64
import binascii
import json
import os
import secrets
import sys
import time
import traceback
from datetime import datetime, timezone
from urllib.parse import parse_qs, unquote

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mock_common import (DROP, BadRequest, MockHandler, MockServer, MockState,  # noqa: E402
                         act_on_rule, add_log_options, control, encode_payload, is_json,
                         json_object, phrase, serve)

API_URL = "https://conversations.twilio.com"

# Twilio's error codes for the statuses a test is likely to script.
ERROR_CODES = {401: 20003, 404: 20404, 429: 20429, 500: 20500, 503: 20503}


def twilio_error(status, code=None, message=None):
    """The JSON body Twilio answers an error with."""
    if code is None:
        code = ERROR_CODES.get(status, status)
    if message is None:
        message = phrase(status)
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def now_iso():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_sid(prefix):
    return prefix + secrets.token_hex(16)


def first(form, name):
    """The first value of a form field, or None if absent or empty."""
    values = form.get(name)
    return values[0] if values and values[0] != "" else None


class State(MockState):
    """Requests, scripted rules (see mock_common) and participants, behind one lock."""

    def __init__(self, account_sid, log_path):
        super().__init__(log_path)
        self.account_sid = account_sid
        self.chat_service_sid = new_sid("IS")
        self.participants = {}  # (conversation_sid, sid) -> participant, in insertion order

    def forget(self):
        super().forget()
        self.participants.clear()

    # Participants.

    def participant(self, conversation_sid, sid, identity, attributes, binding, created=None):
        created = created or now_iso()
        return {
            "account_sid": self.account_sid,
            "chat_service_sid": self.chat_service_sid,
            "conversation_sid": conversation_sid,
            "sid": sid,
            "identity": identity,
            "attributes": attributes,
            "messaging_binding": binding,
            "role_sid": None,
            "date_created": created,
            "date_updated": created,
            "url": f"{API_URL}/v1/Conversations/{conversation_sid}/Participants/{sid}",
            "last_read_message_index": None,
            "last_read_timestamp": None,
        }

    def create_participant(self, conversation_sid, identity, attributes, binding):
        """Adds a participant unless it is already there, as Twilio does: (status, body)."""
        with self.lock:
            for p in self.participants.values():
                if p["conversation_sid"] != conversation_sid:
                    continue
                if identity is not None and p["identity"] == identity:
                    return 409, twilio_error(409, 50433, "Participant already exists")
                mine, theirs = binding or {}, p["messaging_binding"] or {}
                if mine.get("address") and (mine.get("address"), mine.get("proxy_address")) == (
                        theirs.get("address"), theirs.get("proxy_address")):
                    return 409, twilio_error(
                        409, 50416, "Participant and proxy address pair is already in use")
            p = self.participant(conversation_sid, new_sid("MB"), identity, attributes, binding)
            self.participants[conversation_sid, p["sid"]] = p
            return 201, dict(p)

    def get_participant(self, conversation_sid, sid):
        with self.lock:
            p = self.participants.get((conversation_sid, sid))
            return dict(p) if p else None

    def update_participant(self, conversation_sid, sid, attributes):
        with self.lock:
            p = self.participants.get((conversation_sid, sid))
            if p and attributes is not None:
                p["attributes"] = attributes
                p["date_updated"] = now_iso()
            return dict(p) if p else None

    def seed_participant(self, p):
        with self.lock:
            self.participants[p["conversation_sid"], p["sid"]] = p

    def participants_json(self):
        with self.lock:
            return json.dumps(list(self.participants.values()))


class Handler(MockHandler):
    software = "twilio-mock/1"

    def reply(self, status, payload, headers=None):
        """Answers; a dict or list goes as JSON, text as is (JSON if it parses as JSON)."""
        body, ctype = encode_payload(payload)
        headers = dict(headers or {})
        for name in list(headers):
            if name.lower() in ("content-type", "content-length"):
                value = headers.pop(name)
                ctype = value if name.lower() == "content-type" else ctype
        self.write(status, body, headers, ctype)

    # The Twilio API.

    def service(self, url, raw):
        text = raw.decode("utf-8", errors="replace")
        form = {}
        if self.headers.get_content_type() == "application/x-www-form-urlencoded":
            form = parse_qs(text, keep_blank_values=True)
        state = self.server.state
        entry = state.record({
            "method": self.command,
            "path": url.path,
            "query": parse_qs(url.query, keep_blank_values=True),
            "headers": self.header_dict(),
            "form": form,
            "body": text,
            "status": None,
            "time": time.time(),
        })
        headers = {"Twilio-Request-Id": new_sid("RQ")}
        if not self.authorized():
            headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
            self.answer(entry, 401, twilio_error(401, 20003, "Authenticate"), headers)
            return
        rule = act_on_rule(state.take_rule(self.command, url.path))
        if rule is DROP:
            state.finish(entry, None)
            self.close_connection = True
            return
        if rule is not None:
            body = rule.get("body", twilio_error(rule["status"]))
            self.answer(entry, rule["status"], body, {**headers, **rule.get("headers", {})})
            return
        try:
            status, body = self.route(self.command, url.path, form)
        except Exception:
            traceback.print_exc()
            status, body = 500, twilio_error(500)
        self.answer(entry, status, body, headers)

    def answer(self, entry, status, body, headers):
        self.server.state.finish(entry, status)  # before sending: the client may look at once
        self.reply(status, body, headers)

    def authorized(self):
        scheme, _, value = self.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, colon, password = decoded.partition(":")
        return bool(colon) and (user, password) in self.server.credentials

    def route(self, method, path, form):
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if len(parts) in (4, 5) and parts[:2] == ["v1", "Conversations"] \
                and parts[3] == "Participants":
            conversation_sid = parts[2]
            if len(parts) == 4 and method == "POST":
                return self.create_participant(conversation_sid, form)
            if len(parts) == 5 and method == "GET":
                p = self.server.state.get_participant(conversation_sid, parts[4])
                return (200, p) if p else not_found(path)
            if len(parts) == 5 and method == "POST":
                attributes = first(form, "Attributes")
                if attributes is not None and not is_json(attributes):
                    return 400, twilio_error(400, 400, "Invalid Attributes: not valid JSON")
                p = self.server.state.update_participant(conversation_sid, parts[4], attributes)
                return (200, p) if p else not_found(path)
        return not_found(path)

    def create_participant(self, conversation_sid, form):
        identity = first(form, "Identity")
        address = first(form, "MessagingBinding.Address")
        proxy = first(form, "MessagingBinding.ProxyAddress")
        projected = first(form, "MessagingBinding.ProjectedAddress")
        attributes = first(form, "Attributes") or "{}"
        if identity is None and address is None:
            return 400, twilio_error(
                400, 400, "Either Identity or MessagingBinding.Address must be specified")
        if not is_json(attributes):
            return 400, twilio_error(400, 400, "Invalid Attributes: not valid JSON")
        binding = None
        if address is not None:
            kind = "whatsapp" if address.startswith("whatsapp:") else "sms"
            binding = {"type": kind, "address": address, "proxy_address": proxy}
        elif projected is not None:
            binding = {"type": "sms", "projected_address": projected}
        return self.server.state.create_participant(conversation_sid, identity, attributes,
                                                    binding)

    # The control API: mock_common's routes, and /_mock/participants.

    def control(self, path, raw):
        return control(self.server.state, self.command, path, raw, extra=self.participant_routes)

    def participant_routes(self, method, path, raw):
        state = self.server.state
        if (method, path) == ("GET", "/_mock/participants"):
            return 200, state.participants_json()
        if (method, path) == ("POST", "/_mock/participants"):
            p = self.seeded_participant(json_object(raw))
            state.seed_participant(p)
            return 201, p
        return None

    def seeded_participant(self, spec):
        conversation_sid, sid = spec.get("conversation_sid"), spec.get("sid")
        if not isinstance(conversation_sid, str) or not isinstance(sid, str):
            raise BadRequest("conversation_sid and sid must be strings")
        identity = spec.get("identity")
        if identity is not None and not isinstance(identity, str):
            raise BadRequest("identity must be a string or null")
        attributes = spec.get("attributes", "{}")
        if not isinstance(attributes, str):
            attributes = json.dumps(attributes)
        binding = spec.get("messaging_binding")
        if binding is not None and not isinstance(binding, dict):
            raise BadRequest("messaging_binding must be an object or null")
        return self.server.state.participant(conversation_sid, sid, identity, attributes,
                                             binding, spec.get("date_created"))


def not_found(path):
    return 404, twilio_error(404, 20404, f"The requested resource {path} was not found")


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Mock of Twilio's Conversations REST API.")
    parser.add_argument("--port", type=int, required=True, help="0 picks a free port")
    parser.add_argument("--account-sid", required=True)
    parser.add_argument("--auth-token", required=True)
    parser.add_argument("--api-key-sid")
    parser.add_argument("--api-key-secret")
    add_log_options(parser)
    args = parser.parse_args(argv)
    if (args.api_key_sid is None) != (args.api_key_secret is None):
        parser.error("--api-key-sid and --api-key-secret go together")
    return args


def main(argv=None):
    args = parse_args(argv)
    try:
        server = MockServer(args.port, Handler, args.verbose)
    except OSError as e:
        print(f"twilio_mock.py: cannot listen on 127.0.0.1:{args.port}: {e}", file=sys.stderr)
        return 1
    server.credentials = {(args.account_sid, args.auth_token)}
    if args.api_key_sid is not None:
        server.credentials.add((args.api_key_sid, args.api_key_secret))
    server.state = State(args.account_sid, args.log)
    return serve(server, server.state, [f"listening on {server.server_address[1]}"])


if __name__ == "__main__":
    sys.exit(main())
