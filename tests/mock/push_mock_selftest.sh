#!/bin/bash
# push_mock_selftest.sh: checks tests/mock/push_mock.py on its own, with curl and openssl and
# nothing of twhook.  It makes throw-away keys (an RSA 2048 service account key, an EC P-256 APNs
# key, one more of each to sign with the wrong key, a self-signed TLS certificate for 127.0.0.1),
# makes JWTs itself (openssl dgst -sha256 -sign; ES256 signatures turned from DER into r||s),
# starts each role on free ports and checks answers, the request log and scripted failures.
# Prints one "PASS: ..." or "FAIL: ..." line per check and "N passed, N failed" last; exits 0
# when everything passed, 1 when something failed, 77 when a prerequisite is missing
# (openssl, curl with HTTP2, jq, and a python3 with python3-cryptography and python3-h2).
#
#     tests/mock/push_mock_selftest.sh          (PYTHON=... picks the interpreter; KEEP_T=1
#                                                keeps the scratch directory)
set -u
LC_ALL=C
export LC_ALL
here=$(cd "$(dirname "$0")" && pwd)
MOCK_PY=$here/push_mock.py
PYTHON=${PYTHON:-python3}
passed=0
failed=0
pids=

skip() { echo "SKIP: $*"; exit 77; }
command -v openssl > /dev/null || skip "openssl is not installed (apt-get install openssl)"
command -v jq > /dev/null || skip "jq is not installed (apt-get install jq)"
curl -V 2> /dev/null | grep -q '^Features:.* HTTP2' || skip "curl without HTTP2 (apt-get install curl)"
# The mock runs itself again with /usr/bin/python3 when $PYTHON lacks a module: either will do.
"$PYTHON" -c 'import cryptography, h2' 2> /dev/null ||
    /usr/bin/python3 -c 'import cryptography, h2' 2> /dev/null ||
    skip "python3-cryptography and python3-h2 are needed (apt-get install python3-cryptography python3-h2)"

T=$(mktemp -d "${TMPDIR:-/tmp}/push-mock-selftest.XXXXXX")
cleanup() {
	for pid in $pids; do kill "$pid" 2> /dev/null; done
	for pid in $pids; do wait "$pid" 2> /dev/null; done
	if [ -n "${KEEP_T:-}" ]; then echo "# kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

# is GOT WANT DESCRIPTION
is() {
	if [ "$1" = "$2" ]; then
		pass "$3"
	else
		fail "$3"
		printf '#   got:  %s\n#   want: %s\n' "$1" "$2"
	fi
}

# like GOT PATTERN DESCRIPTION: GOT matches the grep -E PATTERN.
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		pass "$3"
	else
		fail "$3"
		printf '#   got:  %s\n#   want: /%s/\n' "$1" "$2"
	fi
}

# start NAME MOCK-OPTIONS...: starts push_mock.py; sets PORT and CONTROL (its two ports).
start() {
	_name=$1
	shift
	"$PYTHON" "$MOCK_PY" "$@" > "$T/$_name.out" 2> "$T/$_name.err" &
	pids="$pids $!"
	_i=0
	until grep -q '^listening on ' "$T/$_name.out" 2> /dev/null; do
		_i=$((_i + 1))
		if [ $_i -ge 100 ]; then
			fail "the $_name mock starts: $(cat "$T/$_name.err")"
			echo "$passed passed, $failed failed"
			exit 1
		fi
		sleep 0.1
	done
	PORT=$(sed -n 's/^listening on //p' "$T/$_name.out")
	CONTROL=$(sed -n 's/^control on //p' "$T/$_name.out")
}

# call CURL-ARGS...: runs curl; prints the status code ("000" when there was no answer), or
# what curl's write-out format $W says, with the body in $T/body and the response headers in
# $T/head.
call() {
	: > "$T/body"
	: > "$T/head"
	_w='%{http_code}'
	[ -z "${W:-}" ] || _w=$W
	curl -s -o "$T/body" -D "$T/head" -w "$_w" "$@"
}

# header NAME: a header of the last answer.
header() { sed -n "s/^$1: *//Ip" "$T/head" | tr -d '\r'; }

# seen CONTROL-URL JQ-FILTER: the filter applied to the requests the mock recorded.
seen() { curl -s "$1/_mock/requests" | jq -c "$2"; }

# script CONTROL-URL JSON: adds a /_mock/fail rule; fails the check if the mock refuses it.
script() {
	_status=$(curl -s -o "$T/rule" -w '%{http_code}' -d "$2" "$1/_mock/fail")
	[ "$_status" = 201 ] || fail "the mock takes the rule $2: $_status $(cat "$T/rule")"
}

# JWTs, made the way a client would.
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

# hex_to_bin: hex digits on stdin, the bytes on stdout.
# shellcheck disable=SC2059 # the format is made of \xHH escapes on purpose
hex_to_bin() { printf "$(sed 's/../\\x&/g')"; }

# der_to_raw: an ECDSA signature, DER on stdin, as r||s (32 bytes each) on stdout.
der_to_raw() {
	cat > "$T/sig.der"
	openssl asn1parse -inform DER -in "$T/sig.der" | sed -n 's/.*INTEGER *://p' |
	    while read -r _int; do
		_int=$(printf '%64s' "$_int" | tr ' ' 0)
		printf '%s' "${_int: -64}"
	done | hex_to_bin
}

# jwt ALG KEY HEADER-JSON CLAIMS-JSON [der]: a compact JWT.  ALG RS256 or ES256; "der" leaves an
# ES256 signature DER-encoded (the classic mistake).
jwt() {
	_input="$(printf '%s' "$3" | b64url).$(printf '%s' "$4" | b64url)"
	if [ "$1" = ES256 ] && [ "${5:-}" != der ]; then
		_sig=$(printf '%s' "$_input" | openssl dgst -sha256 -sign "$2" -binary | der_to_raw |
		    b64url)
	else
		_sig=$(printf '%s' "$_input" | openssl dgst -sha256 -sign "$2" -binary | b64url)
	fi
	printf '%s.%s' "$_input" "$_sig"
}

echo "# keys and certificate in $T"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/sa.key" 2> /dev/null
openssl pkey -in "$T/sa.key" -pubout -out "$T/sa.pub"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/other-rsa.key" 2> /dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/apns.p8" 2> /dev/null
openssl pkey -in "$T/apns.p8" -pubout -out "$T/apns.pub"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/other-ec.key" 2> /dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$T/tls.key" -out "$T/tls.crt" \
    2> /dev/null
for f in sa.pub other-rsa.key apns.pub other-ec.key tls.crt; do
	[ -s "$T/$f" ] || { fail "openssl made $f"; echo "$passed passed, $failed failed"; exit 1; }
done
# The signature converter, checked against openssl itself: r||s back to DER must verify.
printf 'x' | openssl dgst -sha256 -sign "$T/apns.p8" -binary | der_to_raw > "$T/raw.sig"
is "$(wc -c < "$T/raw.sig" | tr -d ' ')" 64 "an ES256 signature is 64 bytes once converted"

###########################################################################################
echo "# role fcm: Google OAuth token endpoint and FCM HTTP v1"
EMAIL=push-test@twhook-test.iam.gserviceaccount.com
KID=0123456789abcdef0123456789abcdef01234567
SCOPE=https://www.googleapis.com/auth/firebase.messaging
GRANT=urn:ietf:params:oauth:grant-type:jwt-bearer
start fcm --role fcm --port 0 --sa-public-key "$T/sa.pub" --client-email "$EMAIL" \
    --private-key-id "$KID" --project twhook-test --log "$T/fcm.log"
FCM=http://127.0.0.1:$PORT
FCM_C=http://127.0.0.1:$CONTROL
TOKEN_URI=$FCM/token

# sa_jwt [HEADER-JQ [CLAIMS-JQ [KEY]]]: a service account assertion, the jq filters changing
# the good header and claims.
sa_jwt() {
	_now=$(date +%s)
	_h=$(jq -cn --arg kid "$KID" '{alg: "RS256", typ: "JWT", kid: $kid}'" | ${1:-.}")
	_c=$(jq -cn --arg iss "$EMAIL" --arg scope "$SCOPE" --arg aud "$TOKEN_URI" --argjson now "$_now" \
	    '{iss: $iss, scope: $scope, aud: $aud, iat: $now, exp: ($now + 3600)}'" | ${2:-.}")
	jwt RS256 "${3:-$T/sa.key}" "$_h" "$_c"
}
# fetch_token JWT [URL [CURL-ARGS...]]: POSTs the assertion to the token endpoint.
fetch_token() {
	_jwt=$1
	_url=${2:-$TOKEN_URI}
	shift $(($# < 2 ? $# : 2))
	call "$@" --data-urlencode "grant_type=$GRANT" --data-urlencode "assertion=$_jwt" "$_url"
}
# send_fcm BEARER [DEVICE-TOKEN [BODY-JQ [PROJECT [CURL-ARGS...]]]]: an FCM v1 send, the jq
# filter changing the good body.
send_fcm() {
	_body=$(jq -cn --arg t "${2:-device-token-1}" \
	    '{message: {token: $t, data: {twi_call_sid: "CA123", twi_to: "client:bob"},
	      android: {priority: "high", ttl: "30s"}}}'" | ${3:-.}")
	_url="$FCM/v1/projects/${4:-twhook-test}/messages:send"
	_bearer=$1
	shift $(($# < 4 ? $# : 4))
	call "$@" -H "Authorization: Bearer $_bearer" -H 'Content-Type: application/json' \
	    -d "$_body" "$_url"
}

is "$(fetch_token "$(sa_jwt)")" 200 "a good assertion gets a token"
ACCESS=$(jq -r .access_token "$T/body")
is "$(jq -c '[.token_type, .expires_in, (.access_token | startswith("ya29."))]' "$T/body")" \
    '["Bearer",3599,true]' "the token answer is Google's: Bearer, 3599 s"
is "$(seen "$FCM_C" '.[-1] | [.kind, .jwt_ok, .jwt_error, .jwt_header.alg, .jwt_claims.iss, .form.grant_type[0]]')" \
    "[\"token\",true,null,\"RS256\",\"$EMAIL\",\"$GRANT\"]" "the token request is recorded, claims decoded"
is "$(seen "$FCM_C" '.[-1].access_token')" "\"$ACCESS\"" "the issued token is recorded"

is "$(send_fcm "$ACCESS")" 200 "FCM accepts a send with the issued token"
like "$(jq -r .name "$T/body")" '^projects/twhook-test/messages/0:[0-9]+%[0-9a-f]+$' \
    "FCM answers the message name"
is "$(seen "$FCM_C" '.[-1] | [.kind, .bearer, .project, .device_token, .json.message.android.ttl, .headers.authorization]')" \
    "[\"fcm\",\"ok\",\"twhook-test\",\"device-token-1\",\"30s\",\"Bearer $ACCESS\"]" \
    "the send is recorded: bearer ok, project, device token, body"

# Assertions the token endpoint must refuse.
fetch_token "$(sa_jwt . . "$T/other-rsa.key")" > "$T/code"
is "$(cat "$T/code") $(jq -r .error "$T/body")" "400 invalid_grant" "a JWT signed by another key is refused"
like "$(seen "$FCM_C" '.[-1] | [.jwt_ok, .jwt_error, .access_token]')" '^\[false,".*does not verify.*",null\]$' \
    "the refusal is recorded with its reason"
for bad in 'kid|.kid = "another-key-id"|.' 'alg|.alg = "HS256"|.' 'typ|.typ = "JOSE"|.' \
    'iss|.|.iss = "someone@else.iam.gserviceaccount.com"' 'aud|.|.aud = "https://oauth2.googleapis.com/token"' \
    'exp - iat over an hour|.|.exp = .iat + 7200' 'expired exp|.|.iat -= 7200 | .exp -= 7200' \
    'iat in the future|.|.iat += 3600 | .exp += 3600' 'no iat|.|del(.iat)'; do
	IFS='|' read -r what hfilter cfilter <<< "$bad"
	fetch_token "$(sa_jwt "$hfilter" "$cfilter")" > "$T/code"
	is "$(cat "$T/code") $(jq -r .error "$T/body") $(seen "$FCM_C" '.[-1].jwt_ok')" \
	    "400 invalid_grant false" "a JWT with a wrong $what is refused"
done
fetch_token "$(sa_jwt . '.scope = "https://www.googleapis.com/auth/cloud-platform.read-only"')" > "$T/code"
is "$(cat "$T/code") $(jq -r .error "$T/body")" "400 invalid_scope" "a JWT without the firebase.messaging scope is refused"
fetch_token "$(sa_jwt . ".scope = \"https://www.googleapis.com/auth/cloud-platform $SCOPE\"")" > "$T/code"
is "$(cat "$T/code")" 200 "a scope list that includes firebase.messaging is taken"
is "$(call --data-urlencode grant_type=client_credentials --data-urlencode "assertion=$(sa_jwt)" "$TOKEN_URI")" \
    400 "another grant_type is refused"
is "$(jq -r .error "$T/body")" unsupported_grant_type "  ... as unsupported_grant_type"
is "$(call -H 'Content-Type: application/json' -d "{\"grant_type\":\"$GRANT\"}" "$TOKEN_URI")" 400 \
    "a JSON body to the token endpoint is refused"

# Bearer tokens FCM must refuse.
is "$(send_fcm ya29.not-issued-here)" 401 "FCM refuses a bearer token it did not issue"
is "$(jq -r .error.status "$T/body") $(header www-authenticate | cut -c1-6)" "UNAUTHENTICATED Bearer" \
    "  ... with Google's UNAUTHENTICATED body and WWW-Authenticate"
is "$(seen "$FCM_C" '.[-1].bearer')" '"unknown"' "  ... recorded as bearer unknown"
is "$(call -d '{"message":{"token":"x"}}' "$FCM/v1/projects/twhook-test/messages:send")" 401 \
    "FCM refuses a send without Authorization"
is "$(seen "$FCM_C" '.[-1].bearer')" '"missing"' "  ... recorded as bearer missing"
is "$(send_fcm "$ACCESS" device-token-1 . other-project)" 403 "FCM refuses another project (PERMISSION_DENIED)"
is "$(call -H "Authorization: Bearer $ACCESS" -d '{}' "$FCM/v1/projects/twhook-test/messages:sendAll")" 404 \
    "an unknown path is 404"
is "$(jq -c '.error.details' "$T/body")" null "  ... without an FcmError (it is no UNREGISTERED)"

# Bodies FCM must refuse.
is "$(send_fcm "$ACCESS" device-token-1 '.message.data.twi_n = 1')" 400 "a non-string data value is refused"
like "$(jq -r '[.error.status, .error.details[0].errorCode, .error.message] | join(" ")' "$T/body")" \
    "^INVALID_ARGUMENT INVALID_ARGUMENT Invalid value at 'message.data\[2\].value'" "  ... as INVALID_ARGUMENT naming the field"
is "$(send_fcm "$ACCESS" device-token-1 '.message.android.ttl = 30')" 400 "a ttl that is no duration string is refused"
is "$(send_fcm "$ACCESS" device-token-1 '.message.android.priority = "urgent"')" 400 "an unknown priority is refused"
is "$(send_fcm "$ACCESS" device-token-1 '.message.tokn = "x"')" 400 "an unknown field name is refused"
is "$(send_fcm "$ACCESS" device-token-1 '.message.android.collapse_key = "k1" |
    .message.apns.headers["apns-collapse-id"] = "k1"')" 200 "a collapse key, for Android and for APNs, is taken"
is "$(send_fcm "$ACCESS" device-token-1 '.message.android.collapse_key = 1')" 400 \
    "a collapse_key that is no string is refused"
is "$(send_fcm "$ACCESS" device-token-1 '.message.apns.headers["apns-priority"] = 10')" 400 \
    "an apns header that is no string is refused"
is "$(send_fcm "$ACCESS" device-token-1 ".message.apns.headers[\"apns-collapse-id\"] = \"$(printf 'c%.0s' $(seq 65))\"")" \
    400 "an apns-collapse-id over 64 bytes is refused"
is "$(send_fcm "$ACCESS" device-token-1 '.message.apns.header = {}')" 400 "an unknown apns field is refused"
is "$(send_fcm "$ACCESS" device-token-1 'del(.message.token)')" 400 "a message without a recipient is refused"
is "$(send_fcm "$ACCESS" device-token-1 '.validate_only = true')" 200 "validate_only is answered"

# Scripted failures.
script "$FCM_C" '{"device_token": "dead-token", "status": 404}'
is "$(send_fcm "$ACCESS" live-token)" 200 "a rule for one device token leaves the others alone"
is "$(send_fcm "$ACCESS" dead-token)" 404 "a scripted 404 for a device token"
is "$(jq -c . "$T/body")" \
    '{"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"UNREGISTERED"}]}}' \
    "  ... has FCM's UNREGISTERED body"
is "$(seen "$FCM_C" '.[-1] | [.status, .reason, .device_token]')" '[404,"UNREGISTERED","dead-token"]' \
    "  ... and is recorded with its reason"
is "$(send_fcm "$ACCESS" dead-token)" 200 "a rule is used up after its times"
script "$FCM_C" '{"status": 503, "headers": {"Retry-After": "7"}}'
script "$FCM_C" '{"status": 429}'
script "$FCM_C" '{"status": 500}'
is "$(send_fcm "$ACCESS") $(jq -r '.error.details[0].errorCode' "$T/body") $(header retry-after)" \
    "503 UNAVAILABLE 7" "a scripted 503 with Retry-After"
is "$(send_fcm "$ACCESS") $(jq -r '.error.details[0].errorCode' "$T/body")" "429 QUOTA_EXCEEDED" "a scripted 429"
is "$(send_fcm "$ACCESS") $(jq -r '.error.details[0].errorCode' "$T/body")" "500 INTERNAL" "a scripted 500"
script "$FCM_C" '{"status": 400, "reason": "INVALID_ARGUMENT", "times": 2}'
is "$(curl -s "$FCM_C/_mock/fail" | jq -c '[.[] | [.kind, .status, .times]]')" '[["fcm",400,2]]' \
    "GET /_mock/fail lists the rules left"
curl -s -X POST "$FCM_C/_mock/reset" > /dev/null
script "$FCM_C" '{"drop": true}'
send_fcm "$ACCESS" > /dev/null
is "$?" 52 "a scripted drop closes the connection without an answer (curl: empty reply)"
is "$(seen "$FCM_C" '.[-1].status')" null "  ... recorded with status null"
script "$FCM_C" '{"delay_ms": 600}'
start_ns=$(date +%s%N)
is "$(send_fcm "$ACCESS")" 200 "a scripted delay alone answers normally"
elapsed_ms=$((($(date +%s%N) - start_ns) / 1000000))
like "$elapsed_ms" '^([6-9][0-9]{2}|[0-9]{4,})$' "  ... after the delay (${elapsed_ms} ms)"

# Rules for the token endpoint, and how they keep off it by default.
script "$FCM_C" '{"status": 500}'
is "$(fetch_token "$(sa_jwt)")" 200 "a rule without kind leaves the token endpoint alone"
is "$(send_fcm "$ACCESS")" 500 "  ... and fails the next send"
script "$FCM_C" '{"kind": "token", "status": 503}'
is "$(fetch_token "$(sa_jwt)") $(jq -r .error "$T/body")" "503 temporarily_unavailable" \
    "a rule of kind token fails a token fetch"
is "$(seen "$FCM_C" '.[-1] | [.jwt_ok, .access_token]')" '[true,null]' "  ... after checking the JWT, issuing nothing"
is "$(curl -s -o /dev/null -w '%{http_code}' -d '{"kind": "apns", "status": 500}' "$FCM_C/_mock/fail")" 400 \
    "a rule of a kind the role does not serve is refused"
is "$(curl -s -o /dev/null -w '%{http_code}' -d '{"status": 500, "colour": "red"}' "$FCM_C/_mock/fail")" 400 \
    "a rule with an unknown key is refused"

# Counting token fetches, expiring tokens, reset.
is "$(seen "$FCM_C" '[.[] | select(.kind == "token" and .status == 200)] | length')" 1 \
    "token fetches can be counted (one since the reset)"
issued=$(curl -s "$FCM_C/_mock/tokens" | jq length)
is "$(curl -s -X POST "$FCM_C/_mock/tokens/expire" | jq .expired)" "$issued" "POST /_mock/tokens/expire ends every token issued ($issued)"
is "$(send_fcm "$ACCESS") $(seen "$FCM_C" '.[-1].bearer')" '401 "expired"' "FCM refuses an expired token"
is "$(curl -s "$FCM_C/_mock/tokens" | jq -c '[.[] | .expired] | unique')" '[true]' "GET /_mock/tokens shows them expired"
fetch_token "$(sa_jwt)" > /dev/null
ACCESS=$(jq -r .access_token "$T/body")
curl -s -X POST "$FCM_C/_mock/reset" > /dev/null
is "$(seen "$FCM_C" 'length')" 0 "POST /_mock/reset forgets the requests"
is "$(send_fcm "$ACCESS")" 200 "  ... but issued tokens stay valid"
is "$(seen "$FCM" 'length')" 1 "the control API answers on the service port too"
like "$(wc -l < "$T/fcm.log" | tr -d ' ')" '^[0-9]{2,}$' "--log writes one JSON line per request"
is "$(jq -s '[.[] | select(.kind == "token")] | length > 10' "$T/fcm.log")" true "  ... token requests included"

# Over TLS, with short-lived tokens.
start fcm-tls --role fcm --port 0 --tls-cert "$T/tls.crt" --tls-key "$T/tls.key" \
    --sa-public-key "$T/sa.key" --client-email "$EMAIL" --private-key-id "$KID" --expires-in 1
TOKEN_URI=https://127.0.0.1:$PORT/token
FCM=https://127.0.0.1:$PORT
is "$(fetch_token "$(sa_jwt)" "$TOKEN_URI" --cacert "$T/tls.crt") $(jq .expires_in "$T/body")" "200 1" \
    "over TLS, the token URI is https://127.0.0.1:PORT/token; --expires-in sets expires_in"
ACCESS=$(jq -r .access_token "$T/body")
is "$(send_fcm "$ACCESS" x '.' any-project --cacert "$T/tls.crt")" 200 "FCM over TLS, any project without --project"
sleep 1.2
is "$(send_fcm "$ACCESS" x '.' any-project --cacert "$T/tls.crt")" 401 "a token is refused once its expires_in has passed"
is "$(seen "http://127.0.0.1:$CONTROL" '[.[] | .tls] | unique')" '[true]' "requests over TLS are recorded as such"

###########################################################################################
echo "# role apns: APNs over HTTP/2"
KEY_ID=ABC123DEFG
TEAM_ID=DEF123GHIJ
TOPIC=com.example.twhook.voip
LIVE=$(printf '%064d' 1 | tr 0 a)
DEAD=$(printf '%064d' 2 | tr 0 d)
start apns --role apns --port 0 --tls-cert "$T/tls.crt" --tls-key "$T/tls.key" \
    --apns-public-key "$T/apns.p8" --key-id "$KEY_ID" --team-id "$TEAM_ID" --topic "$TOPIC" \
    --log "$T/apns.log"
APNS=https://127.0.0.1:$PORT
APNS_C=http://127.0.0.1:$CONTROL
NOTIFICATION='{"twi_account_sid":"AC123","twi_call_sid":"CA123","twi_from":"client:alice","twi_to":"client:bob","twi_message_type":"twilio.voice.call"}'

# apns_jwt [HEADER-JQ [CLAIMS-JQ [KEY [der]]]]: a provider token.
apns_jwt() {
	_h=$(jq -cn --arg kid "$KEY_ID" '{alg: "ES256", kid: $kid}'" | ${1:-.}")
	_c=$(jq -cn --arg iss "$TEAM_ID" --argjson now "$(date +%s)" '{iss: $iss, iat: $now}'" | ${2:-.}")
	jwt ES256 "${3:-$T/apns.p8}" "$_h" "$_c" "${4:-}"
}
# push JWT DEVICE-TOKEN [CURL-ARGS...]: a VoIP push as twhook will send it (TOPIC, PRIORITY and
# BODY may be set for the call); prints the status and the HTTP version.
push() {
	_jwt=$1
	_device=$2
	shift 2
	W='%{http_code} %{http_version}' call --http2 --cacert "$T/tls.crt" \
	    -H "authorization: bearer $_jwt" \
	    -H 'apns-push-type: voip' -H "apns-topic: $TOPIC" -H "apns-priority: ${PRIORITY:-10}" \
	    -H 'apns-expiration: 0' -H 'Content-Type: application/json' \
	    --data-binary "${BODY:-$NOTIFICATION}" "$@" "$APNS/3/device/$_device"
}
PROVIDER=$(apns_jwt)

is "$(push "$PROVIDER" "$LIVE")" "200 2" "a good push is answered 200 over HTTP/2 (TLS, ALPN h2)"
like "$(header apns-id)" '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' "  ... with an apns-id"
is "$(wc -c < "$T/body" | tr -d ' ')" 0 "  ... and an empty body"
is "$(seen "$APNS_C" '.[-1] | [.kind, .http_version, .tls, .jwt_ok, .jwt_claims.iss, .jwt_header.kid, .device_token]')" \
    "[\"apns\",\"2\",true,true,\"$TEAM_ID\",\"$KEY_ID\",\"$LIVE\"]" "the push is recorded: HTTP/2, TLS, JWT verified"
is "$(seen "$APNS_C" '.[-1].headers | [.["apns-push-type"], .["apns-topic"], .["apns-priority"], .["apns-expiration"]]')" \
    "[\"voip\",\"$TOPIC\",\"10\",\"0\"]" "  ... with its apns- headers"
is "$(seen "$APNS_C" '.[-1].body')" "$(jq -n --arg b "$NOTIFICATION" '$b')" "  ... and the exact body"
is "$(push "$PROVIDER" "$LIVE" -H 'apns-id: 123e4567-e89b-12d3-a456-426614174000' > /dev/null; header apns-id)" \
    123e4567-e89b-12d3-a456-426614174000 "the request's apns-id is echoed"

# Provider tokens APNs must refuse.
apns_refusal() {
	push "$1" "$LIVE" > "$T/code"
	echo "$(cut -d' ' -f1 "$T/code") $(jq -r .reason "$T/body") $(seen "$APNS_C" '.[-1].jwt_ok')"
}
is "$(apns_refusal "$(apns_jwt . . "$T/other-ec.key")")" "403 InvalidProviderToken false" \
    "a JWT signed by another key is refused"
is "$(apns_refusal "$(apns_jwt . . "$T/apns.p8" der)")" "403 InvalidProviderToken false" \
    "a JWT with a DER signature (not r||s) is refused"
like "$(seen "$APNS_C" '.[-1].jwt_error')" 'DER instead of r\|\|s' "  ... and the log says why"
is "$(apns_refusal "$(apns_jwt . '.iat -= 7200')")" "403 ExpiredProviderToken false" "a JWT over an hour old is refused"
is "$(apns_refusal "$(apns_jwt '.kid = "ZZZ999ZZZZ"')")" "403 InvalidProviderToken false" "a JWT with a wrong kid is refused"
is "$(apns_refusal "$(apns_jwt '.alg = "ES384"')")" "403 InvalidProviderToken false" "a JWT with a wrong alg is refused"
is "$(apns_refusal "$(apns_jwt . '.iss = "XXXXXXXXXX"')")" "403 InvalidProviderToken false" "a JWT with a wrong iss is refused"
is "$(apns_refusal "$(apns_jwt . '.iat += 3600')")" "403 InvalidProviderToken false" "a JWT from the future is refused"
is "$(call --http2 --cacert "$T/tls.crt" -H "apns-topic: $TOPIC" -d "$NOTIFICATION" "$APNS/3/device/$LIVE") $(jq -r .reason "$T/body")" \
    "403 MissingProviderToken" "a push without authorization is refused"

# Requests APNs must refuse.
is "$(push "$PROVIDER" not-hex > /dev/null; jq -r .reason "$T/body")" BadDeviceToken "a device token that is not hex: BadDeviceToken"
is "$(TOPIC=com.example.other.voip push "$PROVIDER" "$LIVE" > /dev/null; jq -r .reason "$T/body")" \
    TopicDisallowed "another topic than --topic: TopicDisallowed"
is "$(PRIORITY=7 push "$PROVIDER" "$LIVE" > /dev/null; jq -r .reason "$T/body")" BadPriority "a bad priority: BadPriority"
is "$(BODY='not json' push "$PROVIDER" "$LIVE" > /dev/null; jq -r .reason "$T/body")" BadPayload "a body that is no JSON object: BadPayload"
is "$(call --http2 --cacert "$T/tls.crt" -H "authorization: bearer $PROVIDER" "$APNS/3/device/$LIVE") $(jq -r .reason "$T/body")" \
    "405 MethodNotAllowed" "GET: MethodNotAllowed"
is "$(call --http2 --cacert "$T/tls.crt" -H "authorization: bearer $PROVIDER" -d '{}' "$APNS/3/devices/$LIVE") $(jq -r .reason "$T/body")" \
    "404 BadPath" "a bad path: BadPath"
is "$(call --http1.1 --cacert "$T/tls.crt" -H "authorization: bearer $PROVIDER" -d '{}' "$APNS/3/device/$LIVE")" 505 \
    "an HTTP/1.1 client gets 505"
is "$(seen "$APNS_C" '.[-1] | [.http_version, .status]')" '["1.1",505]' "  ... and is recorded as such"

# Scripted failures.
script "$APNS_C" "{\"device_token\": \"$DEAD\", \"status\": 410}"
is "$(push "$PROVIDER" "$LIVE")" "200 2" "a rule for one device token leaves the others alone"
is "$(push "$PROVIDER" "$DEAD")" "410 2" "a scripted 410 for a device token"
is "$(jq -c '[.reason, (.timestamp | type), (.timestamp > 1700000000000)]' "$T/body")" '["Unregistered","number",true]' \
    "  ... has APNs' Unregistered body with a timestamp in ms"
is "$(seen "$APNS_C" '.[-1] | [.status, .reason]')" '[410,"Unregistered"]' "  ... and is recorded with its reason"
for s in "400 BadDeviceToken" "403 ExpiredProviderToken" "429 TooManyRequests" "500 InternalServerError" \
    "503 ServiceUnavailable"; do
	script "$APNS_C" "{\"status\": ${s% *}}"
	is "$(push "$PROVIDER" "$LIVE" > "$T/code"; echo "$(cut -d' ' -f1 "$T/code") $(jq -r .reason "$T/body")")" \
	    "$s" "a scripted ${s% *} answers ${s#* }"
done
script "$APNS_C" '{"status": 403, "reason": "InvalidProviderToken"}'
is "$(push "$PROVIDER" "$LIVE" > /dev/null; jq -r .reason "$T/body")" InvalidProviderToken "a rule's reason replaces the usual one"
script "$APNS_C" '{"drop": true}'
push "$PROVIDER" "$LIVE" > "$T/code"
like "$?:$(cat "$T/code")" '^[1-9][0-9]*:000 0$' "a scripted drop ends the connection without an answer"
# Two requests on one HTTP/2 connection, both held 1 s: multiplexed, not one after the other.
script "$APNS_C" '{"delay_ms": 1000, "times": 2}'
start_ns=$(date +%s%N)
codes=$(curl -s --http2 --cacert "$T/tls.crt" -Z -w '%{http_code} %{num_connects}\n' \
    -H "authorization: bearer $PROVIDER" -H "apns-topic: $TOPIC" -d "$NOTIFICATION" \
    -o /dev/null "$APNS/3/device/$LIVE" -o /dev/null "$APNS/3/device/$DEAD" 2> /dev/null |
    sort | tr '\n' ' ')
elapsed_ms=$((($(date +%s%N) - start_ns) / 1000000))
like "$codes" '^200 [01] 200 [01] $' "two parallel pushes both succeed"
like "$elapsed_ms" '^(1[0-7][0-9]{2})$' "  ... concurrently on one connection (${elapsed_ms} ms for two 1 s delays)"
curl -s -X POST "$APNS_C/_mock/reset" > /dev/null
is "$(seen "$APNS_C" 'length') $(curl -s "$APNS_C/_mock/fail")" "0 []" "POST /_mock/reset forgets requests and rules"

# h2c with prior knowledge, for a client without TLS.
start apns-h2c --role apns --port 0 --apns-public-key "$T/apns.pub" --key-id "$KEY_ID" --team-id "$TEAM_ID"
is "$(W='%{http_code} %{http_version}' call --http2-prior-knowledge -H "authorization: bearer $PROVIDER" \
    -H 'apns-push-type: voip' -H "apns-topic: $TOPIC" -d "$NOTIFICATION" "http://127.0.0.1:$PORT/3/device/$LIVE")" \
    "200 2" "without --tls-cert: h2c with prior knowledge"
is "$(seen "http://127.0.0.1:$CONTROL" '.[-1] | [.tls, .jwt_ok]')" '[false,true]' "  ... recorded as not TLS"
is "$(call -H "authorization: bearer $PROVIDER" -d '{}' "http://127.0.0.1:$PORT/3/device/$LIVE")" 505 \
    "  ... and plain HTTP/1.1 gets 505"

###########################################################################################
echo "# role relay: the application's own HTTPS relay"
SECRET=relay-secret
start relay --role relay --port 0 --hmac-secret "$SECRET" --log "$T/relay.log"
RELAY=http://127.0.0.1:$PORT
RELAY_C=http://127.0.0.1:$CONTROL
printf '%s\n\377 raw bytes\n' "$NOTIFICATION" > "$T/relay.body"
HEX=$(openssl dgst -sha256 -hmac "$SECRET" -binary < "$T/relay.body" | od -An -v -tx1 | tr -d ' \n')
B64=$(openssl dgst -sha256 -hmac "$SECRET" -binary < "$T/relay.body" | openssl base64 -A)
relay_post() {
	call -H 'Content-Type: application/json' -H 'X-Extra: kept' --data-binary @"$T/relay.body" "$@"
}
is "$(relay_post -H "X-Twhook-Signature: $HEX" "$RELAY/calls")" 200 "the relay takes a POST"
is "$(seen "$RELAY_C" '.[-1] | [.kind, .path, .signature_ok, .hmac_sha256_hex == .signature, .headers["x-extra"], .headers["content-type"]]')" \
    '["relay","/calls",true,true,"kept","application/json"]' "  ... records the headers and the signature verdict (hex)"
is "$(seen "$RELAY_C" '.[-1].body_base64')" "\"$(openssl base64 -A < "$T/relay.body")\"" "  ... and the exact raw body"
relay_post -H "X-Twhook-Signature: sha256=$B64" "$RELAY/calls" > /dev/null
is "$(seen "$RELAY_C" '.[-1].signature_ok')" true "a base64 signature after sha256= verifies"
relay_post -H "X-Twhook-Signature: $(printf '%s' "$HEX" | tr 0-9a-f 1-9a-f0)" "$RELAY/calls" > "$T/code"
is "$(cat "$T/code") $(seen "$RELAY_C" '.[-1].signature_ok')" "200 false" "a wrong signature is noted (and answered 200 without --require-signature)"
script "$RELAY_C" '{"status": 503, "headers": {"Retry-After": "2"}}'
is "$(relay_post "$RELAY/calls") $(header retry-after)" "503 2" "a scripted 503 with Retry-After"
script "$RELAY_C" '{"status": 500, "body": "down"}'
is "$(relay_post "$RELAY/calls") $(cat "$T/body")" "500 down" "a scripted 500 with a text body"
script "$RELAY_C" '{"drop": true}'
relay_post "$RELAY/calls" > /dev/null
is "$?" 52 "a scripted drop"
is "$(call "$RELAY/calls")" 405 "GET is refused"
start relay-tls --role relay --port 0 --tls-cert "$T/tls.crt" --tls-key "$T/tls.key" \
    --hmac-secret "$SECRET" --signature-header X-Signature --require-signature
is "$(relay_post --cacert "$T/tls.crt" -H "X-Signature: $HEX" "https://127.0.0.1:$PORT/")" 200 \
    "over TLS, --signature-header names the header"
is "$(relay_post --cacert "$T/tls.crt" "https://127.0.0.1:$PORT/")" 401 "--require-signature refuses a missing one"

# Stopping.
codes=
zeros=
for pid in $pids; do
	kill "$pid"
	wait "$pid"
	codes="$codes$?"
	zeros="${zeros}0"
done
is "$codes" "$zeros" "every mock exits 0 on SIGTERM"
pids=
is "$(jq -s 'map(.seq) | length' "$T/fcm.log")" "$(wc -l < "$T/fcm.log" | tr -d ' ')" "its log is whole JSON lines"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
