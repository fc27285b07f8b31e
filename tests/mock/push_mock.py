#!/usr/bin/env python3
"""Local mocks of the push services a Voice call notification goes through, for testing
`twhook dispatch` (as twhook-call-notify(8) describes them under "Delivery to a relay",
"Delivery by FCM" and "Delivery by APNs"): Firebase Cloud Messaging HTTP v1 with Google's
OAuth 2.0 token endpoint, Apple Push Notification service over HTTP/2, and a plain HTTP(S)
relay.  Each answers the way the real service does, checks the credentials it is given (JWTs
are verified with the public key), records every request it receives, and can be scripted to
fail, stall or drop connections.  Python 3 standard library plus Debian's python3-cryptography
(roles fcm and apns) and python3-h2 (role apns).

    push_mock.py --role fcm --port PORT --sa-public-key PEM --client-email EMAIL
                 --private-key-id KID [--token-uri URL] [--project ID] [--expires-in SECONDS]
                 [COMMON OPTIONS]
    push_mock.py --role apns --port PORT --apns-public-key PEM --key-id KID --team-id TEAM
                 [--topic TOPIC] [COMMON OPTIONS]
    push_mock.py --role relay --port PORT [--hmac-secret SECRET [--signature-header NAME]
                 [--require-signature]] [COMMON OPTIONS]
    COMMON OPTIONS: [--control-port PORT] [--tls-cert PEM --tls-key PEM] [--log FILE] [--verbose]

It listens on 127.0.0.1 only (--port 0 picks a free port).  Besides the service port it always
opens a plain HTTP/1.1 port for the control API (--control-port, default 0: a free one).  Once
ready it prints two lines to stdout, "control on CONTROL-PORT" and then "listening on PORT", and
serves until SIGTERM or SIGINT, then exits 0.  With --tls-cert and --tls-key the service port
speaks TLS (the PEM files of a certificate, e.g. self-signed for 127.0.0.1, and its key).  A key
option may name a public key or a private key PEM file: only the public part is used.

Role fcm: FCM HTTP v1 and the OAuth 2.0 token endpoint of a service account, on one port.
    POST /token                form: grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer
                               &assertion=JWT.  The JWT must be RS256, signed by the key of
                               --sa-public-key: header alg RS256, typ JWT, kid = --private-key-id;
                               claims iss = --client-email, scope (space-separated) includes
                               https://www.googleapis.com/auth/firebase.messaging, aud = the token
                               URI (--token-uri; default http[s]://127.0.0.1:PORT/token), iat and
                               exp numbers with 0 < exp - iat <= 3600, iat at most 5 minutes
                               ahead, exp not past.  200 {"access_token", "expires_in"
                               (--expires-in, default 3599), "token_type": "Bearer"}; 400
                               {"error": "invalid_grant" (or "invalid_scope", "invalid_request",
                               "unsupported_grant_type"), "error_description"} otherwise.  A form
                               body (Content-Type application/x-www-form-urlencoded) is required.
    POST /v1/projects/{project}/messages:send
                               needs "Authorization: Bearer T" with a T that /token issued and
                               that has not expired; otherwise 401 UNAUTHENTICATED (as Google).
                               403 PERMISSION_DENIED when --project is given and {project} differs.
                               The body must be {"message": {...}} as FCM wants it: a token (or
                               topic, condition), data values all strings, android.priority
                               "high"/"normal", android.ttl a duration like "30s", no unknown
                               field names, android.collapse_key a string, apns.headers a map
                               of strings with an apns-collapse-id of 64 bytes at most (FCM
                               hands it to APNs); otherwise 400 INVALID_ARGUMENT.  200 {"name":
                               "projects/{project}/messages/<id>"}.  Errors carry Google's body:
                               {"error": {"code", "message", "status", "details": [{"@type":
                               "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                               "errorCode"}]}}.
    anything else              404 NOT_FOUND (no FcmError details: not an UNREGISTERED token)
Role apns: APNs provider API over HTTP/2 (TLS with ALPN h2, or h2c with prior knowledge without
--tls-cert).  An HTTP/1.1 client gets "505 HTTP Version Not Supported" and is recorded.
    POST /3/device/{device token}
                               needs "authorization: bearer JWT", an ES256 JWT signed by the key
                               of --apns-public-key: header alg ES256, kid = --key-id; claims iss
                               = --team-id, iat a number within the last hour (5 minutes ahead at
                               most).  The signature is raw r||s (64 bytes), as JOSE wants, not
                               DER.  Otherwise 403 MissingProviderToken, InvalidProviderToken or
                               ExpiredProviderToken (iat older than an hour).  Then, as APNs:
                               400 BadDeviceToken (token not hex), MissingTopic, TopicDisallowed
                               (apns-topic is not --topic), DeviceTokenNotForTopic (push type
                               voip to a topic not ending in ".voip"), InvalidPushType,
                               BadPriority, BadExpirationDate, BadMessageId, BadCollapseId,
                               PayloadEmpty, BadPayload (not a JSON object; the mock's name);
                               413 PayloadTooLarge (over 5120 bytes for voip, 4096 otherwise).
                               200 with an empty body.  Every answer has an apns-id header (the
                               request's own, or a new UUID); errors have the body {"reason"}
                               ({"reason", "timestamp" (ms)} for 410).
    anything else              404 BadPath; another method 405 MethodNotAllowed
Role relay: the application's own relay (the "webhook" transport).
    POST any path              200 {"ok": true}; another method 405.  With --hmac-secret the mock
                               checks the header --signature-header (default X-Twhook-Signature):
                               HMAC-SHA256 of the raw body with that secret, in hex or base64,
                               optionally after "sha256=".  The verdict is recorded; with
                               --require-signature a bad or missing one is answered 401.

Control API (plain HTTP/1.1 on the control port, and also on the service port of the fcm and
relay roles, which speaks HTTP/1.1 too; no auth, JSON in and out; not recorded):
    GET  /_mock/requests      every request to the service so far, in arrival order: {"seq" (a
                              number never reused, even after a reset), "kind" ("token", "fcm",
                              "apns" or "relay"), "method", "path", "query": {name: [values]},
                              "headers": {lower-case name: value; for HTTP/2 also ":authority"
                              and ":scheme"}, "http_version" ("1.1" or "2"), "tls": bool,
                              "body": raw body as text (invalid UTF-8 replaced), "body_base64":
                              the exact bytes, "json": the body parsed (null if not JSON),
                              "status": the status answered (null while unanswered or if
                              dropped), "reason": the error answered (FCM errorCode, else its
                              google.rpc status; APNs reason; OAuth error; relay: the HTTP
                              reason phrase; null on success), "time": unix time of arrival}
                              and by kind:
                                token: "form", "jwt_ok", "jwt_error" (why it was rejected, or
                                       null), "jwt_header", "jwt_claims" (decoded even when the
                                       JWT is rejected), "access_token" (issued, or null)
                                fcm:   "project", "device_token" (message.token), "bearer"
                                       ("ok", "missing", "unknown" or "expired")
                                apns:  "device_token", "jwt_ok", "jwt_error", "jwt_header",
                                       "jwt_claims", "apns_id"
                                relay: "signature" (the header's value, or null), "signature_ok"
                                       (null without --hmac-secret), "hmac_sha256_hex" (what the
                                       mock expects, null without --hmac-secret)
    POST /_mock/reset         forget requests and scripted rules (issued access tokens stay
                              valid: a client's cached token goes on working)
    GET  /_mock/fail          the scripted rules not used up yet
    POST /_mock/fail          script the next matching requests:
                              {"kind": optional ("fcm" or "token" for the fcm role, default
                              "fcm": a rule fails message sends, not token fetches, unless it
                              says "token"), "method": optional, "path_regex": searched in the
                              path (no query; default: any), "device_token": optional (the FCM
                              message.token, the APNs path token), "status": optional, "reason":
                              optional (the FCM errorCode or APNs reason of the error body; by
                              default the usual one for the status: FCM 400 INVALID_ARGUMENT,
                              401 THIRD_PARTY_AUTH_ERROR, 403 SENDER_ID_MISMATCH, 404
                              UNREGISTERED, 429 QUOTA_EXCEEDED, 500 INTERNAL, 503 UNAVAILABLE;
                              APNs 400 BadDeviceToken, 403 ExpiredProviderToken, 404 BadPath,
                              410 Unregistered, 413 PayloadTooLarge, 429 TooManyRequests, 500
                              InternalServerError, 503 ServiceUnavailable; token endpoint:
                              the OAuth "error"), "body": optional JSON or text (replaces the
                              whole error body), "headers": optional {name: value} (e.g.
                              Retry-After), "times": N (default 1), "delay_ms": optional,
                              "drop": optional bool}
    GET  /_mock/tokens        (fcm) the access tokens issued: [{"access_token", "issued_at",
                              "expires_at", "expired"}]
    POST /_mock/tokens/expire (fcm) every issued token expires now: FCM answers 401 to it
A rule applies after the credential check (bearer token, JWT) to the next "times" matching
requests; rules are tried in the order they were added.  "delay_ms" sleeps before answering
(with neither "status" nor "drop", the request is then handled normally, late).  "status" answers
that instead of handling the request (a token fetch answered so issues no token).  "drop" closes
the connection without answering: for HTTP/2 that ends every stream of the connection.  Note that
libcurl silently resends a request once on a fresh connection when a *reused* HTTP/1.1 keep-alive
connection closes before any answer: script "times": 2 or more to make such a client see an error.

A request is recorded as it arrives, before any scripted delay, with "status": null until it is
answered.  With --log FILE each request is also appended to FILE as one JSON line (same fields),
flushed at once, when it is answered or dropped; requests still unanswered when the mock stops
are written then, with "status": null.

Usage from a shell test (tests/lib.sh kills $cleanup_pids on exit), e.g. APNs over TLS:

    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \\
        -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \\
        -keyout "$T/tls.key" -out "$T/tls.crt" 2> /dev/null
    python3 "$top_srcdir/tests/mock/push_mock.py" --role apns --port 0 --tls-cert "$T/tls.crt" \\
        --tls-key "$T/tls.key" --apns-public-key "$T/apns.p8" --key-id ABC123DEFG \\
        --team-id DEF123GHIJ --log "$T/apns.log" > "$T/apns.out" 2> "$T/apns.err" &
    cleanup_pids="$cleanup_pids $!"
    for _i in $(seq 100); do
        grep -q '^listening on ' "$T/apns.out" && break
        sleep 0.05
    done
    APNS=https://127.0.0.1:$(sed -n 's/^listening on //p' "$T/apns.out")
    APNS_CONTROL=http://127.0.0.1:$(sed -n 's/^control on //p' "$T/apns.out")
    curl -s -d '{"device_token": "'"$DEAD"'", "status": 410}' "$APNS_CONTROL/_mock/fail"
    ... point twhook at $APNS with "$T/tls.crt" as its CA file, run it ...
    curl -s "$APNS_CONTROL/_mock/requests" | jq -r '.[] | "\\(.device_token) \\(.status)"'

libcurl 7.88.1 (Debian bookworm) fails the second request on a reused h2c prior-knowledge
connection with "Error in the HTTP2 framing layer" (curl issue 10634, fixed in curl 8.0): a C
client should reach the apns role over TLS (ALPN h2), which has no such trouble.

When python3 is not the system's (e.g. pyenv's, without python3-h2), the mock runs itself again
with /usr/bin/python3 if a module it needs is missing, so the same pid goes on serving.
"""

import argparse
import base64
import binascii
import hashlib
import hmac
import importlib
import json
import os
import re
import secrets
import socket
import ssl
import sys
import threading
import time
import traceback
import uuid
from urllib.parse import parse_qs, unquote, urlsplit

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mock_common  # noqa: E402
from mock_common import (DROP, MockHandler, MockServer, MockState, act_on_rule,  # noqa: E402
                         add_log_options, encode_payload, phrase, serve)

SYSTEM_PYTHON = "/usr/bin/python3"

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
CLOCK_SKEW = 300  # seconds a JWT's iat may lie in the future

# FCM's answers by status: (google.rpc status, FcmError errorCode, message).
FCM_ERRORS = {
    400: ("INVALID_ARGUMENT", "INVALID_ARGUMENT", "Request contains an invalid argument."),
    401: ("UNAUTHENTICATED", "THIRD_PARTY_AUTH_ERROR", "Auth error from APNS or Web Push Service"),
    403: ("PERMISSION_DENIED", "SENDER_ID_MISMATCH", "SenderId mismatch"),
    404: ("NOT_FOUND", "UNREGISTERED", "Requested entity was not found."),
    429: ("RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED",
          "Quota exceeded for quota metric 'Send requests' and limit 'Send requests per minute'."),
    500: ("INTERNAL", "INTERNAL", "Internal error encountered."),
    503: ("UNAVAILABLE", "UNAVAILABLE", "The service is currently unavailable."),
}
GOOGLE_401_MESSAGE = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project.")

# The OAuth "error" of a scripted token endpoint failure, by status.
OAUTH_ERRORS = {400: "invalid_grant", 401: "invalid_client", 429: "rate_limit_exceeded",
                500: "internal_failure", 503: "temporarily_unavailable"}

# APNs' reason of a scripted failure, by status.
APNS_REASONS = {400: "BadDeviceToken", 403: "ExpiredProviderToken", 404: "BadPath",
                405: "MethodNotAllowed", 410: "Unregistered", 413: "PayloadTooLarge",
                429: "TooManyRequests", 500: "InternalServerError", 503: "ServiceUnavailable"}
APNS_PUSH_TYPES = {"alert", "background", "location", "voip", "complication", "fileprovider",
                   "mdm", "liveactivity", "pushtotalk"}

# The field names FCM's JSON accepts (proto names and their lowerCamel forms), by level.
FCM_REQUEST_FIELDS = {"message", "validate_only", "validateOnly"}
FCM_MESSAGE_FIELDS = {"name", "data", "notification", "android", "webpush", "apns",
                      "fcm_options", "fcmOptions", "token", "topic", "condition"}
FCM_ANDROID_FIELDS = {"collapse_key", "collapseKey", "priority", "ttl", "restricted_package_name",
                      "restrictedPackageName", "data", "notification", "fcm_options",
                      "fcmOptions", "direct_boot_ok", "directBootOk"}
FCM_APNS_FIELDS = {"headers", "payload", "fcm_options", "fcmOptions", "live_activity_token",
                   "liveActivityToken"}

FAIL_RULE_KEYS = mock_common.FAIL_RULE_KEYS | {"kind", "device_token", "reason"}


def require(role, modules, package):
    """Imports what a role needs; runs the system's python3 instead if that has it."""
    try:
        for name in modules:
            importlib.import_module(name)
        return
    except ImportError as e:
        missing = e
    if os.path.exists(SYSTEM_PYTHON) and not os.environ.get("PUSH_MOCK_REEXEC") and \
            os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON):
        os.environ["PUSH_MOCK_REEXEC"] = "1"
        sys.stdout.flush()
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON, os.path.abspath(__file__)] + sys.argv[1:])
    sys.exit(f"push_mock.py: --role {role} needs {package} "
             f"(apt-get install -y {package}): {missing}")


class Answer:
    """An answer to a service request: status, body bytes, headers and the error reason."""

    def __init__(self, status, payload=b"", headers=None, reason=None):
        """A dict or list goes as JSON, text as is (JSON if it parses), bytes as they are."""
        self.status = status
        self.reason = reason
        self.body, ctype = encode_payload(payload)
        self.headers = {}  # lower-case name -> value
        if ctype:
            self.headers["content-type"] = ctype
        for name, value in (headers or {}).items():
            if name.lower() != "content-length":
                self.headers[name.lower()] = value


class Request:
    """A service request, whichever HTTP version carried it."""

    def __init__(self, method, target, headers, body, http_version, tls):
        url = urlsplit(target)
        self.method = method
        self.path = url.path
        self.query = parse_qs(url.query, keep_blank_values=True)
        self.headers = headers  # lower-case name -> value (repeats joined with ", ")
        self.body = body
        self.http_version = http_version
        self.tls = tls

    def text(self):
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None


# JWTs.

class JwtError(Exception):
    """Why a JWT is rejected; args: the answer's reason, then the detail for the log."""


def b64url_decode(part):
    if not re.fullmatch(r"[A-Za-z0-9_-]*", part):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def decode_jwt(token, verdict, reason):
    """Splits a compact JWT; fills verdict's jwt_header and jwt_claims as soon as they decode.
    Returns (signing input, signature)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise JwtError(reason, f"a JWT has 3 dot-separated parts, this one {len(parts)}")
    for i, key in ((0, "jwt_header"), (1, "jwt_claims")):
        try:
            value = json.loads(b64url_decode(parts[i]))
        except (ValueError, binascii.Error) as e:
            raise JwtError(reason, f"{key[4:]} is not base64url JSON: {e}")
        if not isinstance(value, dict):
            raise JwtError(reason, f"{key[4:]} is not a JSON object")
        verdict[key] = value
    try:
        signature = b64url_decode(parts[2])
    except (ValueError, binascii.Error) as e:
        raise JwtError(reason, f"signature is not base64url: {e}")
    return (parts[0] + "." + parts[1]).encode("ascii"), signature


def number(claims, name, reason):
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise JwtError(reason, f"claim {name} is not a number: {value!r}")
    return value


def load_public_key(path, kind):
    """The public key of a PEM file holding a public or a private key; kind "rsa" or "p256"."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    with open(path, "rb") as f:
        data = f.read()
    if b"PRIVATE KEY" in data:
        key = serialization.load_pem_private_key(data, password=None).public_key()
    else:
        key = serialization.load_pem_public_key(data)
    if kind == "rsa" and not isinstance(key, rsa.RSAPublicKey):
        raise ValueError(f"{path} holds no RSA key")
    if kind == "p256" and not (isinstance(key, ec.EllipticCurvePublicKey)
                               and isinstance(key.curve, ec.SECP256R1)):
        raise ValueError(f"{path} holds no EC P-256 key")
    return key


def verify_rs256(key, signing_input, signature):
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    try:
        key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
        return True
    except InvalidSignature:
        return False


def verify_es256(key, signing_input, signature):
    """JOSE's ES256 signature is r||s, 32 bytes each (RFC 7518 3.4), not DER."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    try:
        key.verify(encode_dss_signature(r, s), signing_input, ec.ECDSA(hashes.SHA256()))
        return True
    except InvalidSignature:
        return False


def new_verdict():
    return {"jwt_ok": False, "jwt_error": None, "jwt_header": None, "jwt_claims": None}


# Shared state.

class State(MockState):
    """Requests and scripted rules (see mock_common), and the OAuth access tokens issued,
    behind one lock."""

    def __init__(self, log_path):
        super().__init__(log_path)
        self.tokens = {}  # access token -> {"issued_at", "expires_at"}

    def finish(self, entry, status, reason=None):
        """Notes the status a request was answered with (None: dropped) and its error reason,
        and logs it."""
        super().finish(entry, status, reason=reason)

    # OAuth access tokens.

    def issue_token(self, expires_in):
        token = "ya29.mock-" + secrets.token_urlsafe(32)
        now = time.time()
        with self.lock:
            self.tokens[token] = {"issued_at": now, "expires_at": now + expires_in}
        return token

    def token_verdict(self, authorization):
        """"ok", "missing", "unknown" or "expired", for an Authorization header value."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return "missing"
        with self.lock:
            issued = self.tokens.get(token.strip())
        if issued is None:
            return "unknown"
        return "ok" if time.time() < issued["expires_at"] else "expired"

    def expire_tokens(self):
        now = time.time()
        with self.lock:
            for issued in self.tokens.values():
                issued["expires_at"] = min(issued["expires_at"], now)
            return len(self.tokens)

    def tokens_json(self):
        now = time.time()
        with self.lock:
            return json.dumps([{"access_token": t, **v, "expired": now >= v["expires_at"]}
                               for t, v in self.tokens.items()])


# The roles.

class Role:
    """What the three roles share: recording, scripted failures, the control API."""
    name = None
    kinds = ()  # the kinds of request a rule may name; the first is the default

    def __init__(self, args, state):
        self.args = args
        self.state = state

    def kind(self, req):
        return self.name

    def serve(self, req):
        """Records a service request and answers it: an Answer, or DROP."""
        entry = self.state.record({
            "kind": self.kind(req),
            "method": req.method,
            "path": req.path,
            "query": req.query,
            "headers": req.headers,
            "http_version": req.http_version,
            "tls": req.tls,
            "body": req.text(),
            "body_base64": base64.b64encode(req.body).decode("ascii"),
            "json": req.json(),
            "status": None,
            "reason": None,
            "time": time.time(),
        })
        try:
            answer = self.handle(req, entry)
        except Exception:
            traceback.print_exc()
            answer = Answer(500, {"error": "the mock failed: see its stderr"}, reason="mock")
        if answer is DROP:
            self.state.finish(entry, None)
        else:
            self.state.finish(entry, answer.status, answer.reason)  # before sending
        return answer

    def handle(self, req, entry):
        raise NotImplementedError

    def scripted(self, req, entry, device_token=None, headers=None):
        """Applies the first matching rule: an Answer, DROP, or None to go on normally."""
        rule = act_on_rule(self.state.take_rule(req.method, req.path, kind=entry["kind"],
                                                device_token=device_token))
        if rule is None or rule is DROP:
            return rule
        status = rule["status"]
        reason = rule.get("reason") or self.default_reason(entry["kind"], status)
        body = rule["body"] if "body" in rule else self.error_body(entry["kind"], status, reason)
        return Answer(status, body, {**(headers or {}), **rule.get("headers", {})},
                      reason=reason if status >= 300 else None)

    def default_reason(self, kind, status):
        return phrase(status) if status >= 300 else None

    def error_body(self, kind, status, reason):
        return {"error": reason} if status >= 300 else {"ok": True}

    def control(self, method, path, raw):
        """Role-specific control routes: (status, payload), or None."""
        return None


class FcmRole(Role):
    """FCM HTTP v1 and the OAuth 2.0 token endpoint of a service account."""
    name = "fcm"
    kinds = ("fcm", "token")

    def __init__(self, args, state):
        super().__init__(args, state)
        self.key = load_public_key(args.sa_public_key, "rsa")

    def kind(self, req):
        return "token" if req.path == "/token" else "fcm"

    def handle(self, req, entry):
        if entry["kind"] == "token":
            return self.token(req, entry)
        return self.send_message(req, entry)

    def default_reason(self, kind, status):
        if status < 300:
            return None
        if kind == "token":
            return OAUTH_ERRORS.get(status, "server_error")
        return FCM_ERRORS.get(status, (None, "UNSPECIFIED_ERROR"))[1]

    def error_body(self, kind, status, reason):
        if status < 300:
            return {"ok": True}
        if kind == "token":
            return {"error": reason, "error_description": phrase(status)}
        return fcm_error(status, reason)

    # POST /token

    def token(self, req, entry):
        form = {}
        if req.headers.get("content-type", "").split(";")[0].strip().lower() == \
                "application/x-www-form-urlencoded":
            form = parse_qs(req.text(), keep_blank_values=True)
        self.state.note(entry, form=form, jwt_ok=False, jwt_error=None, jwt_header=None,
                        jwt_claims=None, access_token=None)
        if req.method != "POST":
            return oauth_error(405, "invalid_request", "The token endpoint takes POST only.")
        if not form:
            return oauth_error(400, "invalid_request",
                               "Expected a body of type application/x-www-form-urlencoded.")
        grant_type = (form.get("grant_type") or [""])[0]
        if grant_type != JWT_BEARER:
            return oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        assertion = (form.get("assertion") or [""])[0]
        if not assertion:
            return oauth_error(400, "invalid_request", "Missing required parameter: assertion")
        verdict = new_verdict()
        try:
            self.check_assertion(assertion, verdict)
            verdict["jwt_ok"] = True
        except JwtError as e:
            verdict["jwt_error"] = e.args[1]
            self.state.note(entry, **verdict)
            return oauth_error(400, *OAUTH_JWT_ERRORS[e.args[0]])
        self.state.note(entry, **verdict)
        answer = self.scripted(req, entry)
        if answer is not None:
            return answer
        token = self.state.issue_token(self.args.expires_in)
        self.state.note(entry, access_token=token)
        return Answer(200, {"access_token": token, "expires_in": self.args.expires_in,
                            "token_type": "Bearer"},
                      {"Content-Type": "application/json; charset=utf-8"})

    def check_assertion(self, assertion, verdict):
        """Checks a service account's JWT as Google does (a bit stricter); raises JwtError."""
        signing_input, signature = decode_jwt(assertion, verdict, "signature")
        header, claims = verdict["jwt_header"], verdict["jwt_claims"]
        if header.get("alg") != "RS256":
            raise JwtError("signature", f"header alg is {header.get('alg')!r}, not RS256")
        if header.get("typ") != "JWT":
            raise JwtError("signature", f"header typ is {header.get('typ')!r}, not JWT")
        if header.get("kid") != self.args.private_key_id:
            raise JwtError("signature", f"header kid is {header.get('kid')!r}, not the "
                                        f"private_key_id {self.args.private_key_id!r}")
        if not verify_rs256(self.key, signing_input, signature):
            raise JwtError("signature", "the RS256 signature does not verify with the "
                                        "service account's public key")
        if claims.get("iss") != self.args.client_email:
            raise JwtError("account", f"claim iss is {claims.get('iss')!r}, not the "
                                      f"client_email {self.args.client_email!r}")
        if claims.get("aud") != self.args.token_uri:
            raise JwtError("audience", f"claim aud is {claims.get('aud')!r}, not the "
                                       f"token_uri {self.args.token_uri!r}")
        iat, exp = number(claims, "iat", "time"), number(claims, "exp", "time")
        now = time.time()
        if not 0 < exp - iat <= 3600:
            raise JwtError("time", f"exp - iat is {exp - iat}, not in (0, 3600]")
        if iat > now + CLOCK_SKEW:
            raise JwtError("time", f"iat is {iat - now:.0f} s in the future")
        if exp <= now:
            raise JwtError("time", f"exp passed {now - exp:.0f} s ago")
        scope = claims.get("scope")
        if not isinstance(scope, str) or FCM_SCOPE not in scope.split(" "):
            raise JwtError("scope", f"claim scope {scope!r} does not include {FCM_SCOPE}")

    # POST /v1/projects/{project}/messages:send

    def send_message(self, req, entry):
        match = re.fullmatch(r"/v1/projects/([^/]+)/messages:send", req.path)
        project = unquote(match.group(1)) if match else None
        body = req.json()
        message = body.get("message") if isinstance(body, dict) else None
        device_token = message.get("token") if isinstance(message, dict) else None
        bearer = self.state.token_verdict(req.headers.get("authorization"))
        self.state.note(entry, project=project, device_token=device_token, bearer=bearer)
        if not match:
            return Answer(404, fcm_error(404, None, f"The requested URL {req.path} was not "
                                                     "found on this server."), reason="NOT_FOUND")
        if req.method != "POST":
            return Answer(405, fcm_error(405, None, "Method not allowed."),
                          reason="METHOD_NOT_ALLOWED")
        if bearer != "ok":
            return Answer(401, fcm_error(401, None, GOOGLE_401_MESSAGE),
                          {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", '
                                               'error="invalid_token"'},
                          reason="UNAUTHENTICATED")
        if self.args.project is not None and project != self.args.project:
            return Answer(403, fcm_error(403, None, "Permission 'cloudmessaging.messages.create'"
                                                    f" denied on resource '//cloudresourcemanager"
                                                    f".googleapis.com/projects/{project}'"),
                          reason="PERMISSION_DENIED")
        answer = self.scripted(req, entry, device_token)
        if answer is not None:
            return answer
        problem = fcm_problem(body)
        if problem:
            return Answer(400, fcm_error(400, "INVALID_ARGUMENT", problem),
                          reason="INVALID_ARGUMENT")
        if body.get("validate_only", body.get("validateOnly")) is True:
            return Answer(200, {"name": f"projects/{project}/messages/fake_message_id"})
        message_id = f"0:{int(time.time() * 1e6)}%{secrets.token_hex(8)}"
        return Answer(200, {"name": f"projects/{project}/messages/{message_id}"})

    # Control routes.

    def control(self, method, path, raw):
        if (method, path) == ("GET", "/_mock/tokens"):
            return 200, self.state.tokens_json()
        if (method, path) == ("POST", "/_mock/tokens/expire"):
            return 200, {"expired": self.state.expire_tokens()}
        return None


# The OAuth error and description for each way a JWT is rejected (JwtError's first argument).
OAUTH_JWT_ERRORS = {
    "signature": ("invalid_grant", "Invalid JWT Signature."),
    "account": ("invalid_grant", "Invalid grant: account not found"),
    "audience": ("invalid_grant", "Invalid JWT: Failed audience check."),
    "time": ("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and "
                              "in a reasonable timeframe. Check your iat and exp values in the "
                              "JWT claim."),
    "scope": ("invalid_scope", "Invalid OAuth scope or ID token audience provided."),
}


def oauth_error(status, error, description):
    return Answer(status, {"error": error, "error_description": description}, reason=error)


def fcm_error(status, error_code, message=None):
    """Google's error body; with an FcmError detail when error_code is given."""
    rpc_status, _, default_message = FCM_ERRORS.get(status, (None, None, None))
    error = {
        "code": status,
        "message": message or default_message or phrase(status),
        "status": rpc_status or phrase(status).upper().replace(" ", "_"),
    }
    if error_code:
        error["details"] = [{"@type": FCM_ERROR_TYPE, "errorCode": error_code}]
    return {"error": error}


def fcm_problem(body):
    """Why FCM would answer 400 INVALID_ARGUMENT to a send request body; None if it would not."""
    if not isinstance(body, dict):
        return "Invalid JSON payload received. Expected an object."
    unknown = sorted(set(body) - FCM_REQUEST_FIELDS)
    if unknown:
        return f'Invalid JSON payload received. Unknown name "{unknown[0]}": Cannot find field.'
    message = body.get("message")
    if not isinstance(message, dict):
        return "Invalid JSON payload received. message must be an object."
    unknown = sorted(set(message) - FCM_MESSAGE_FIELDS)
    if unknown:
        return (f'Invalid JSON payload received. Unknown name "{unknown[0]}" at \'message\': '
                "Cannot find field.")
    if sum(1 for k in ("token", "topic", "condition") if message.get(k)) != 1:
        return "Recipient of the message is not set."
    if "token" in message and not isinstance(message["token"], str):
        return "Invalid value at 'message.token' (TYPE_STRING)"
    problem = fcm_data_problem(message.get("data"), "message.data") or \
        fcm_apns_problem(message.get("apns"))
    if problem:
        return problem
    android = message.get("android")
    if android is None:
        return None
    if not isinstance(android, dict):
        return "Invalid value at 'message.android': expected an object."
    unknown = sorted(set(android) - FCM_ANDROID_FIELDS)
    if unknown:
        return (f'Invalid JSON payload received. Unknown name "{unknown[0]}" at '
                "'message.android': Cannot find field.")
    priority = android.get("priority")
    if priority is not None and priority not in ("normal", "high", "NORMAL", "HIGH"):
        return (f"Invalid value at 'message.android.priority' "
                f"(type.googleapis.com/google.firebase.fcm.v1.AndroidMessagePriority), "
                f"{json.dumps(priority)}")
    for name in ("collapse_key", "collapseKey"):
        if name in android and not isinstance(android[name], str):
            return (f"Invalid value at 'message.android.{name}' (TYPE_STRING), "
                    f"{json.dumps(android[name])}")
    ttl = android.get("ttl")
    if ttl is not None and not (isinstance(ttl, str)
                                and re.fullmatch(r"[0-9]{1,12}(\.[0-9]{1,9})?s", ttl)):
        return (f"Invalid value at 'message.android.ttl' (type.googleapis.com/"
                f"google.protobuf.Duration), Field 'ttl', Illegal duration format; duration "
                f"must end with 's': {json.dumps(ttl)}")
    return fcm_data_problem(android.get("data"), "message.android.data")


def fcm_apns_problem(apns):
    """FCM's apns is an object whose headers are a map of strings, which go to APNs as they are:
    an apns-collapse-id over 64 bytes is APNs's BadCollapseId, which FCM reports as 400."""
    if apns is None:
        return None
    if not isinstance(apns, dict):
        return "Invalid value at 'message.apns': expected an object."
    unknown = sorted(set(apns) - FCM_APNS_FIELDS)
    if unknown:
        return (f'Invalid JSON payload received. Unknown name "{unknown[0]}" at '
                "'message.apns': Cannot find field.")
    headers = apns.get("headers", {})
    if not isinstance(headers, dict):
        return "Invalid value at 'message.apns.headers': expected a map of strings."
    for name, value in headers.items():
        if not isinstance(value, str):
            return (f"Invalid value at 'message.apns.headers[{json.dumps(name)}]' "
                    f"(TYPE_STRING), {json.dumps(value)}")
    if len(headers.get("apns-collapse-id", "").encode()) > 64:
        return "Invalid APNs headers: apns-collapse-id is longer than 64 bytes (BadCollapseId)"
    return None


def fcm_data_problem(data, where):
    """FCM's data is a map of strings, 4 KB at most in all."""
    if data is None:
        return None
    if not isinstance(data, dict):
        return f"Invalid value at '{where}': expected a map of strings."
    for i, value in enumerate(data.values()):
        if not isinstance(value, str):
            return (f"Invalid value at '{where}[{i}].value' (TYPE_STRING), "
                    f"{json.dumps(value)}")
    if sum(len(k.encode()) + len(v.encode()) for k, v in data.items()) > 4096:
        return "Android message is too big"
    return None


class ApnsRole(Role):
    """APNs' provider API (HTTP/2 is the server's business, not the role's)."""
    name = "apns"
    kinds = ("apns",)

    def __init__(self, args, state):
        super().__init__(args, state)
        self.key = load_public_key(args.apns_public_key, "p256")

    def default_reason(self, kind, status):
        return APNS_REASONS.get(status, phrase(status)) if status >= 300 else None

    def error_body(self, kind, status, reason):
        if status < 300:
            return b""
        if status == 410:
            return {"reason": reason, "timestamp": int(time.time() * 1000)}
        return {"reason": reason}

    def handle(self, req, entry):
        match = re.fullmatch(r"/3/device/([^/]*)", req.path)
        device_token = unquote(match.group(1)) if match else None
        apns_id = req.headers.get("apns-id", "")
        if not is_uuid(apns_id):
            apns_id = str(uuid.uuid4())
        headers = {"apns-id": apns_id}
        verdict = new_verdict()
        reason = self.check_jwt(req.headers.get("authorization"), verdict)
        self.state.note(entry, device_token=device_token, apns_id=apns_id, **verdict)
        if req.method != "POST":
            return apns_error(405, "MethodNotAllowed", headers)
        if not match:
            return apns_error(404, "BadPath", headers)
        if reason:
            return apns_error(403, reason, headers)
        answer = self.scripted(req, entry, device_token, headers)
        if answer is not None:
            return answer
        problem = self.request_problem(req, device_token)
        if problem:
            return apns_error(*problem, headers)
        return Answer(200, b"", headers)

    def check_jwt(self, authorization, verdict):
        """Checks the provider token; fills verdict; the 403 reason, or None if it is good."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            verdict["jwt_error"] = "no authorization: bearer header"
            return "MissingProviderToken"
        try:
            signing_input, signature = decode_jwt(token.strip(), verdict, "InvalidProviderToken")
            header, claims = verdict["jwt_header"], verdict["jwt_claims"]
            if header.get("alg") != "ES256":
                raise JwtError("InvalidProviderToken",
                               f"header alg is {header.get('alg')!r}, not ES256")
            if header.get("kid") != self.args.key_id:
                raise JwtError("InvalidProviderToken", f"header kid is {header.get('kid')!r}, "
                                                       f"not the key id {self.args.key_id!r}")
            if len(signature) != 64:
                raise JwtError("InvalidProviderToken",
                               f"the signature is {len(signature)} bytes, not 64 (r||s): "
                               + ("DER instead of r||s?" if signature[:1] == b"\x30" else ""))
            if not verify_es256(self.key, signing_input, signature):
                raise JwtError("InvalidProviderToken", "the ES256 signature does not verify "
                                                       "with the APNs public key")
            if claims.get("iss") != self.args.team_id:
                raise JwtError("InvalidProviderToken", f"claim iss is {claims.get('iss')!r}, "
                                                       f"not the team id {self.args.team_id!r}")
            iat = number(claims, "iat", "InvalidProviderToken")
            now = time.time()
            if iat > now + CLOCK_SKEW:
                raise JwtError("InvalidProviderToken", f"iat is {iat - now:.0f} s in the future")
            if iat < now - 3600:
                raise JwtError("ExpiredProviderToken",
                               f"iat is {now - iat:.0f} s old, more than an hour")
        except JwtError as e:
            verdict["jwt_error"] = e.args[1]
            return e.args[0]
        verdict["jwt_ok"] = True
        return None

    def request_problem(self, req, device_token):
        """What APNs would answer an otherwise good request: (status, reason), or None."""
        h = req.headers
        if not re.fullmatch(r"([0-9a-fA-F]{2})+", device_token):
            return 400, "BadDeviceToken"
        topic = h.get("apns-topic")
        if not topic:
            return 400, "MissingTopic"
        if self.args.topic is not None and topic != self.args.topic:
            return 400, "TopicDisallowed"
        push_type = h.get("apns-push-type")
        if push_type is not None and push_type not in APNS_PUSH_TYPES:
            return 400, "InvalidPushType"
        if push_type == "voip" and not topic.endswith(".voip"):
            return 400, "DeviceTokenNotForTopic"
        if h.get("apns-priority") not in (None, "1", "5", "10"):
            return 400, "BadPriority"
        if h.get("apns-expiration") is not None \
                and not re.fullmatch(r"[0-9]{1,10}", h["apns-expiration"]):
            return 400, "BadExpirationDate"
        if "apns-id" in h and not is_uuid(h["apns-id"]):
            return 400, "BadMessageId"
        if len(h.get("apns-collapse-id", "").encode()) > 64:
            return 400, "BadCollapseId"
        if not req.body:
            return 400, "PayloadEmpty"
        if len(req.body) > (5120 if push_type == "voip" else 4096):
            return 413, "PayloadTooLarge"
        if not isinstance(req.json(), dict):
            return 400, "BadPayload"
        return None


def is_uuid(text):
    return bool(re.fullmatch(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", text))


def apns_error(status, reason, headers):
    body = {"reason": reason}
    if status == 410:
        body["timestamp"] = int(time.time() * 1000)
    return Answer(status, body, headers, reason=reason)


class RelayRole(Role):
    """The application's own relay: takes any POST, checks the HMAC if told to."""
    name = "relay"
    kinds = ("relay",)

    def handle(self, req, entry):
        signature = req.headers.get(self.args.signature_header.lower())
        expected = ok = None
        if self.args.hmac_secret is not None:
            digest = hmac.new(self.args.hmac_secret.encode(), req.body, hashlib.sha256).digest()
            expected = digest.hex()
            ok = signature_matches(signature, digest)
        self.state.note(entry, signature=signature, signature_ok=ok, hmac_sha256_hex=expected)
        if req.method != "POST":
            return Answer(405, {"error": "Method Not Allowed"}, {"Allow": "POST"},
                          reason="Method Not Allowed")
        if self.args.require_signature and not ok:
            return Answer(401, {"error": "bad or missing signature"}, reason="Unauthorized")
        answer = self.scripted(req, entry)
        if answer is not None:
            return answer
        return Answer(200, {"ok": True})


def signature_matches(value, digest):
    """Whether a signature header holds digest: hex or base64 (or base64url), maybe after
    "sha256="."""
    if value is None:
        return False
    value = value.strip()
    if value[:7].lower() == "sha256=":
        value = value[7:]
    if re.fullmatch(r"[0-9a-fA-F]{64}", value):
        return hmac.compare_digest(value.lower(), digest.hex())
    forms = (base64.b64encode(digest).decode(), base64.urlsafe_b64encode(digest).decode())
    return any(hmac.compare_digest(value.rstrip("="), form.rstrip("=")) for form in forms)


ROLES = {"fcm": FcmRole, "apns": ApnsRole, "relay": RelayRole}


# The control API, the same over any port.

def control(role, method, path, raw):
    """Answers a control request: (status, payload)."""
    return mock_common.control(role.state, method, path, raw, FAIL_RULE_KEYS, role.kinds,
                               role.control)


# HTTP/1.1: the fcm and relay services, and every role's control port.

class Handler(MockHandler):
    software = "push-mock/1"

    def serves_control(self):
        return self.server.serves_control

    def control(self, path, raw):
        return control(self.server.role, self.command, path, raw)

    def reply(self, status, payload, headers=None):
        self.send(Answer(status, payload, headers))

    def service(self, url, raw):
        if not self.server.serves_api:
            self.send(Answer(404, {"error": "this is the control port: /_mock/... only"}))
            return
        req = Request(self.command, self.path, self.header_dict(), raw, "1.1",
                      self.server.tls is not None)
        answer = self.server.role.serve(req)
        if answer is DROP:
            self.close_connection = True
        else:
            self.send(answer)

    def send(self, answer):
        self.write(answer.status, answer.body, answer.headers)


class Http1Server(MockServer):
    """An HTTP/1.1 server, over TLS when given a context (handshake in the request's thread)."""

    def __init__(self, port, role, tls, serves_api, serves_control, verbose):
        super().__init__(port, Handler, verbose)
        self.role, self.tls = role, tls
        self.serves_api, self.serves_control = serves_api, serves_control

    def finish_request(self, request, client_address):
        if self.tls is None:
            super().finish_request(request, client_address)
            return
        try:
            request.settimeout(10)
            request = self.tls.wrap_socket(request, server_side=True)
            request.settimeout(None)
        except (OSError, ssl.SSLError) as e:
            if self.verbose:
                print(f"TLS handshake failed: {e}", file=sys.stderr)
            return
        try:
            super().finish_request(request, client_address)
        finally:
            request.close()


# HTTP/2: the apns service.

H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


class H2Server:
    """Accepts connections and gives each its own thread (and each request one more)."""

    def __init__(self, port, role, tls, verbose):
        self.role, self.tls, self.verbose = role, tls, verbose
        self.socket = socket.create_server(("127.0.0.1", port))
        self.server_address = self.socket.getsockname()

    def serve_forever(self):
        while True:
            sock, _ = self.socket.accept()
            threading.Thread(target=self.connection, args=(sock,), daemon=True).start()

    def server_close(self):
        self.socket.close()

    def connection(self, sock):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.tls is not None:
                sock.settimeout(10)
                sock = self.tls.wrap_socket(sock, server_side=True)
                sock.settimeout(None)
            H2Connection(self, sock).run()
        except (OSError, ssl.SSLError) as e:
            if self.verbose:
                print(f"HTTP/2 connection ended: {e}", file=sys.stderr)
        finally:
            sock.close()


class H2Connection:
    """One HTTP/2 connection.  h2's state machine is not thread-safe: every use of it, and every
    write to the socket, happens under self.lock (a Condition, so that a response waiting for
    flow-control window can sleep until the reading thread sees a WINDOW_UPDATE)."""

    def __init__(self, server, sock):
        import h2.config
        import h2.connection
        self.server, self.sock = server, sock
        self.lock = threading.Condition()
        self.h2 = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        self.streams = {}  # stream id -> {"headers", "body"}, while the request comes in
        self.closed = False

    def run(self):
        import h2.events
        import h2.exceptions
        first = self.read_preface()
        if first is None:
            return
        data = first
        with self.lock:
            self.h2.initiate_connection()
            self.flush()
        while data:
            with self.lock:
                try:
                    events = self.h2.receive_data(data)
                except h2.exceptions.ProtocolError as e:
                    if self.server.verbose:
                        print(f"HTTP/2 protocol error: {e}", file=sys.stderr)
                    self.flush()  # the GOAWAY h2 queued
                    return
                for event in events:
                    self.on_event(event, h2.events)
                self.flush()
                if self.closed:
                    return
            data = self.sock.recv(65536)
        with self.lock:
            self.closed = True
            self.lock.notify_all()

    def on_event(self, event, events):
        """Handles one h2 event (under the lock)."""
        if isinstance(event, events.RequestReceived):
            self.streams[event.stream_id] = {"headers": event.headers, "body": bytearray()}
        elif isinstance(event, events.DataReceived):
            stream = self.streams.get(event.stream_id)
            if stream is not None:
                stream["body"] += event.data
            self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, events.StreamEnded):
            stream = self.streams.pop(event.stream_id, None)
            if stream is not None:
                threading.Thread(target=self.respond, args=(event.stream_id, stream),
                                 daemon=True).start()
        elif isinstance(event, events.StreamReset):
            self.streams.pop(event.stream_id, None)
        elif isinstance(event, events.ConnectionTerminated):
            self.closed = True
        self.lock.notify_all()  # e.g. WindowUpdated: a response may go on

    def read_preface(self):
        """The first bytes if they are HTTP/2's preface; else answers 505 and returns None."""
        data = b""
        while len(data) < len(H2_PREFACE) and H2_PREFACE.startswith(data):
            more = self.sock.recv(65536)
            if not more:
                return None
            data += more
        if data.startswith(H2_PREFACE):
            return data
        self.refuse_http1(data)
        return None

    def refuse_http1(self, data):
        """Records an HTTP/1.x request and answers it 505: this mock speaks HTTP/2 only."""
        while b"\r\n\r\n" not in data and len(data) < 65536:
            more = self.sock.recv(65536)
            if not more:
                break
            data += more
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        method, target = (head[0].split(" ") + ["", ""])[:2]
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        req = Request(method, target, headers, b"", "1.1", self.server.tls is not None)
        entry = self.server.role.state.record({
            "kind": self.server.role.name, "method": method, "path": req.path,
            "query": req.query, "headers": headers, "http_version": "1.1", "tls": req.tls,
            "body": "", "body_base64": "", "json": None, "status": None, "reason": None,
            "time": time.time()})
        body = json.dumps({"reason": "HTTP/2 required: this APNs mock speaks HTTP/2 only "
                                     "(ALPN h2 over TLS, prior knowledge over plain TCP)"})
        self.server.role.state.finish(entry, 505, "HTTP/2 required")
        self.sock.sendall((f"HTTP/1.1 505 HTTP Version Not Supported\r\nContent-Type: "
                           f"application/json\r\nContent-Length: {len(body)}\r\nConnection: "
                           f"close\r\n\r\n{body}").encode())

    def respond(self, stream_id, stream):
        """Runs in its own thread: a scripted delay holds back this stream only."""
        import h2.exceptions
        pseudo, headers = {}, {}
        for name, value in stream["headers"]:
            if name in (":method", ":path"):
                pseudo[name] = value
            else:
                headers[name] = f"{headers[name]}, {value}" if name in headers else value
        req = Request(pseudo.get(":method", ""), pseudo.get(":path", ""), headers,
                      bytes(stream["body"]), "2", self.server.tls is not None)
        answer = self.server.role.serve(req)
        with self.lock:
            if self.closed:
                return
            if answer is DROP:
                self.closed = True
                self.lock.notify_all()
                try:
                    self.sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            try:
                self.send_answer(stream_id, answer)
            except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError, OSError):
                pass  # the client reset the stream or left

    def send_answer(self, stream_id, answer):
        """Sends headers, then the body as the flow-control window allows (under the lock)."""
        fields = [(":status", str(answer.status)), ("server", "push-mock/1")]
        fields += list(answer.headers.items())
        fields.append(("content-length", str(len(answer.body))))
        body = answer.body
        self.h2.send_headers(stream_id, fields, end_stream=not body)
        self.flush()
        while body:
            window = min(self.h2.local_flow_control_window(stream_id),
                         self.h2.max_outbound_frame_size)
            if window <= 0:
                if self.closed:
                    return
                self.lock.wait(1)
                continue
            chunk, body = body[:window], body[window:]
            self.h2.send_data(stream_id, chunk, end_stream=not body)
            self.flush()

    def flush(self):
        out = self.h2.data_to_send()
        if out:
            try:
                self.sock.sendall(out)
            except OSError:
                self.closed = True


# Start-up.

def tls_context(args, alpn):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2  # HTTP/2 wants TLS 1.2 at least
    context.load_cert_chain(args.tls_cert, args.tls_key)
    context.set_alpn_protocols(alpn)
    return context


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Mocks of FCM (with Google OAuth), APNs and "
                                                 "a relay, for push notification tests.")
    parser.add_argument("--role", required=True, choices=sorted(ROLES))
    parser.add_argument("--port", type=int, required=True, help="0 picks a free port")
    parser.add_argument("--control-port", type=int, default=0,
                        help="plain HTTP/1.1 port of the control API (default: a free one)")
    parser.add_argument("--tls-cert", help="PEM certificate: the service port speaks TLS")
    parser.add_argument("--tls-key", help="PEM key of --tls-cert")
    add_log_options(parser)
    fcm = parser.add_argument_group("role fcm")
    fcm.add_argument("--sa-public-key", help="PEM of the service account's key")
    fcm.add_argument("--client-email", help="the service account's client_email")
    fcm.add_argument("--private-key-id", help="the service account's private_key_id")
    fcm.add_argument("--token-uri", help="the JWT's aud (default: this mock's /token URL)")
    fcm.add_argument("--project", help="the only project id FCM accepts (default: any)")
    fcm.add_argument("--expires-in", type=int, default=3599,
                     help="lifetime in seconds of the access tokens issued (default 3599)")
    apns = parser.add_argument_group("role apns")
    apns.add_argument("--apns-public-key", help="PEM of the APNs signing key (.p8 or public)")
    apns.add_argument("--key-id", help="the APNs key id (the JWT's kid)")
    apns.add_argument("--team-id", help="the Apple team id (the JWT's iss)")
    apns.add_argument("--topic", help="the only apns-topic accepted (default: any)")
    relay = parser.add_argument_group("role relay")
    relay.add_argument("--hmac-secret", help="check the signature header with this secret")
    relay.add_argument("--signature-header", default="X-Twhook-Signature",
                       help="the header holding the HMAC-SHA256 (default X-Twhook-Signature)")
    relay.add_argument("--require-signature", action="store_true",
                       help="answer 401 to a bad or missing signature")
    args = parser.parse_args(argv)
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("--tls-cert and --tls-key go together")
    needed = {"fcm": ("sa_public_key", "client_email", "private_key_id"),
              "apns": ("apns_public_key", "key_id", "team_id"), "relay": ()}[args.role]
    missing = [f"--{name.replace('_', '-')}" for name in needed if getattr(args, name) is None]
    if missing:
        parser.error(f"--role {args.role} needs {', '.join(missing)}")
    if args.require_signature and args.hmac_secret is None:
        parser.error("--require-signature needs --hmac-secret")
    if args.expires_in < 1:
        parser.error("--expires-in must be positive")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.role in ("fcm", "apns"):
        require(args.role, ["cryptography"], "python3-cryptography")
    if args.role == "apns":
        require(args.role, ["h2"], "python3-h2")
    state = State(args.log)
    try:
        role = ROLES[args.role](args, state)
    except (OSError, ValueError) as e:
        print(f"push_mock.py: bad key: {e}", file=sys.stderr)
        return 1
    tls = None
    try:
        if args.tls_cert:
            tls = tls_context(args, ["h2"] if args.role == "apns" else ["http/1.1"])
        if args.role == "apns":
            server = H2Server(args.port, role, tls, args.verbose)
        else:
            server = Http1Server(args.port, role, tls, True, True, args.verbose)
        control_server = Http1Server(args.control_port, role, None, False, True, args.verbose)
    except (OSError, ssl.SSLError) as e:
        print(f"push_mock.py: cannot listen on 127.0.0.1: {e}", file=sys.stderr)
        return 1
    port = server.server_address[1]
    if args.role == "fcm" and args.token_uri is None:
        args.token_uri = f"{'https' if tls else 'http'}://127.0.0.1:{port}/token"
    return serve(server, state, [f"control on {control_server.server_address[1]}",
                                 f"listening on {port}"], background=[control_server])


if __name__ == "__main__":
    sys.exit(main())
