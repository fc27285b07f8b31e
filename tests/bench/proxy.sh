#!/bin/bash
# proxy.sh: the benchmark of the Twilio Proxy endpoints (twhook-proxy-intercept,
# twhook-proxy-out-of-session, twhook-proxy-callback); README.md in this folder says how to read
# what it prints.
#
#   tests/bench/proxy.sh [-d SECONDS] [-r REQUESTS] BUILD_DIR
#
# It builds a store with `twhook init` and 10,000 intercept rules (7,000 keyword rules of 1 to 3
# words, 1,000 each of session, participant and identifier rules), 1,000 known participants and
# 10,000 out-of-session rows (one per proxy number), serves the three endpoints and a trivial
# FastCGI responder (trivial.c) from one lighttpd on 127.0.0.1, checks every scenario once with
# curl (the HTTP status and the answer: JSON with jq, TwiML with xmllint, the callback's empty
# text/plain), then drives each with wrk for SECONDS (default 10) and prints req/s and p99
# latency, each against the trivial responder's measured in the same run.  Every request carries
# a correct X-Twilio-Signature.  An intercept decision and an interaction callback are recorded
# once per interaction, so the scenarios that must measure new deliveries cycle through REQUESTS
# requests signed in advance by sign_requests.py, each with its own interactionSid and
# idempotency token (default: as many as the trivial responder answered in SECONDS), and the run
# fails if wrk used one twice or if the store did not record one row per request; the replay
# scenario repeats one delivery.  Exit status: 0 when every scenario ran and answered correctly,
# 1 otherwise, 2 on a usage error.  It never judges the timings: it is a benchmark, not a test.
set -euo pipefail
LC_ALL=C
export LC_ALL

HERE=$(cd "$(dirname "$0")" && pwd)
# die, say, need_tools, bench_start, machine, q, request, scenario, check, start_lighttpd,
# bench, ratio, prepare, check_signer, prepared_wrapped and more: the functions the benchmarks
# share.
. "$HERE/lib.sh"
# -d SECONDS, -r REQUESTS, BUILD_DIR: duration, prepared, BUILD, TWHOOK and CGI.
duration_requests_options "$@"
THREADS=2			# wrk -t, as bench in lib.sh runs it

need_built proxy-intercept proxy-out-of-session proxy-callback
need_tools cc "$LIGHTTPD" wrk sqlite3 curl jq python3 xmllint
bench_start

# ---------------------------------------------------------------------------------------------
# The store.  Everything is made by SQL from a counter, so every run builds the same store.

RULES_KEYWORD=7000 RULES_SESSION=1000 RULES_PARTICIPANT=1000 RULES_IDENTIFIER=1000
PARTICIPANTS=1000		# proxy_participants rows: the real numbers behind KP... SIDs
NUMBERS=10000			# out_of_session rows, one per proxy number
BLOCK_RULE=4242			# the rowid of the keyword rule "free money"
OOS_TO=+15553007777		# the proxy number of the out-of-session scenarios
SESSION=KC00000000000000000000000000abcdef	# the interaction's session: no rule names it
PARTICIPANT=KP1000000000000000000000000000002a	# its inbound participant: no rule names it
IDENTIFIER=+16660000042				# ... nor the participant's real number

# proxy_store: $DB, `twhook init` and the rules, participants and out-of-session rows; checked.
#
# The 10,000 rules are interleaved by rowid (rowid r: kind by r % 10, 0-6 keyword, 7 session,
# 8 participant, 9 identifier), as rules added over time would be.  Keyword rules: 40% one
# word, 40% two words, 20% three; the words are made-up ones of three syllables ("bakémi",
# "zülopo": 8,000 of them, some with diacritics), and the two- and three-word rules pair them
# with common words of text messages, a few of which the scenarios' message has ("your", "car",
# "call", "the", "today" ...), so that a rule's first word is often in the message and only the
# whole phrase decides; one in a hundred is in capitals, 10 are symbols only ("$$$", "💰" ...).
# Rule $BLOCK_RULE is "free money", which only the blocked scenario's message has.  The session,
# participant and identifier rules are KC..., KP... SIDs and +1555... numbers; proxy_participants
# maps KP1... SIDs to +1666... numbers, so the identifier rules are checked through it.
proxy_store() {
	local got
	"$TWHOOK" -c "$CONF" init > /dev/null || die "twhook init failed for $DB"
	q "PRAGMA synchronous = OFF;
	BEGIN;
	CREATE TEMP TABLE syl (i INTEGER PRIMARY KEY, s TEXT);
	INSERT INTO syl VALUES (0, 'ba'), (1, 'ké'), (2, 'mi'), (3, 'lo'), (4, 'su'), (5, 'ra'),
	    (6, 'ne'), (7, 'ti'), (8, 'po'), (9, 'du'), (10, 'fa'), (11, 'ge'), (12, 'hi'),
	    (13, 'jo'), (14, 'ku'), (15, 'la'), (16, 'mo'), (17, 'ni'), (18, 'pe'), (19, 'zü');
	CREATE TEMP TABLE common (i INTEGER PRIMARY KEY, w TEXT);
	INSERT INTO common VALUES (0, 'your'), (1, 'car'), (2, 'call'), (3, 'free'), (4, 'now'),
	    (5, 'the'), (6, 'ready'), (7, 'today'), (8, 'please'), (9, 'money'), (10, 'win'),
	    (11, 'cash'), (12, 'offer'), (13, 'click'), (14, 'here'), (15, 'loan'), (16, 'bank'),
	    (17, 'account'), (18, 'prize'), (19, 'urgent'), (20, 'verify'), (21, 'code'),
	    (22, 'link'), (23, 'gift');
	CREATE TEMP TABLE symbols (i INTEGER PRIMARY KEY, p TEXT);
	INSERT INTO symbols VALUES (0, '\$\$\$'), (1, '💰'), (2, '€€€'), (3, '!!!!'), (4, '***'),
	    (5, '\$\$\$\$'), (6, '🎁'), (7, '%%%'), (8, '###'), (9, '@@@');
	-- word k: a made-up word, syllables k % 20, k / 20 % 20, k / 400 % 20.
	CREATE TEMP TABLE words (k INTEGER PRIMARY KEY, w TEXT);
	WITH RECURSIVE seq (k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM seq WHERE k < 7999)
	INSERT INTO words SELECT k, (SELECT s FROM syl WHERE i = k % 20) ||
	    (SELECT s FROM syl WHERE i = k / 20 % 20) || (SELECT s FROM syl WHERE i = k / 400 % 20)
	    FROM seq;
	WITH RECURSIVE seq (r) AS (SELECT 1 UNION ALL SELECT r + 1 FROM seq WHERE r < 10000),
	kw (r, n, p) AS (
	    SELECT r, n, CASE
	        WHEN r = $BLOCK_RULE THEN 'free money'
	        WHEN n > $RULES_KEYWORD - 10 THEN (SELECT p FROM symbols WHERE i = n % 10)
	        WHEN n % 10 < 4 THEN (SELECT w FROM words WHERE k = n)
	        WHEN n % 10 < 8 AND n % 2 = 0 THEN (SELECT w FROM common WHERE i = n % 24) || ' '
	            || (SELECT w FROM words WHERE k = n)
	        WHEN n % 10 < 8 THEN (SELECT w FROM words WHERE k = n) || ' '
	            || (SELECT w FROM common WHERE i = n % 24)
	        ELSE (SELECT w FROM common WHERE i = n % 24) || ' ' || (SELECT w FROM words WHERE k = n)
	            || ' ' || (SELECT w FROM common WHERE i = n / 10 % 24) END
	    FROM (SELECT r, (r / 10) * 7 + r % 10 AS n FROM seq WHERE r % 10 < 7))
	INSERT INTO intercept_rules (rowid, kind, pattern)
	    SELECT r, 'keyword', CASE WHEN n % 100 = 50 THEN upper(p) ELSE p END FROM kw
	    UNION ALL SELECT r, 'session', printf('KC%032x', r) FROM seq WHERE r % 10 = 7
	    UNION ALL SELECT r, 'participant', printf('KP%032x', r) FROM seq WHERE r % 10 = 8
	    UNION ALL SELECT r, 'identifier', printf('+1555%07d', r) FROM seq WHERE r % 10 = 9
	    ORDER BY 1;
	WITH RECURSIVE seq (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n + 1 < $PARTICIPANTS)
	INSERT INTO proxy_participants (participant_sid, identifier, session_sid, proxy_identifier,
	    friendly_name)
	    SELECT printf('KP1%031x', n), printf('+1666%07d', n), printf('KC1%031x', n / 2),
	        printf('+1555300%04d', n % $NUMBERS), 'Participant ' || n FROM seq;
	WITH RECURSIVE seq (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n + 1 < $NUMBERS)
	INSERT INTO out_of_session (proxy_identifier, message, say, dial)
	    SELECT printf('+1555300%04d', n),
	        printf('Sorry, your conversation with \"Sam''s Garage\" #%d has ended & can''t be'
	            || ' continued here. Call <+1 555 0100> to reach us.', n),
	        printf('Thanks for calling Sam''s Garage, line %d. Connecting you now.', n),
	        printf('+1555010%04d', n) FROM seq;
	INSERT INTO out_of_session (proxy_identifier, message) VALUES ('*', 'This number is not in use.');
	COMMIT;" || die "filling the store failed"
	got=$(q "SELECT group_concat(k, ' ') FROM (SELECT kind || '=' || count(*) AS k
	    FROM intercept_rules GROUP BY kind ORDER BY kind)")
	[ "$got" = "identifier=$RULES_IDENTIFIER keyword=$RULES_KEYWORD participant=$((
	    RULES_PARTICIPANT)) session=$RULES_SESSION" ] ||
	    die "the store does not hold the rules it should: $got"
	got=$(q "SELECT (SELECT count(DISTINCT pattern) FROM intercept_rules WHERE kind = 'keyword')
	    || ' ' || (SELECT count(*) FROM proxy_participants) || ' ' ||
	    (SELECT count(*) FROM out_of_session) || ' ' ||
	    (SELECT pattern FROM intercept_rules WHERE rowid = $BLOCK_RULE)")
	[ "$got" = "$RULES_KEYWORD $PARTICIPANTS $((NUMBERS + 1)) free money" ] ||
	    die "the store does not hold what was loaded (distinct keywords, participants," \
		"out-of-session rows, rule $BLOCK_RULE: $got)"
}

# ---------------------------------------------------------------------------------------------
# Checks of answers that are not JSON (SC_VERIFY, see check in lib.sh): the answer is in
# $T/body, its headers in $T/headers.

# content_type TYPE: the answer's Content-Type is TYPE (parameters allowed).
content_type() {
	tr -d '\r' < "$T/headers" | grep -iE "^content-type: *$1 *(;.*)?\$" > /dev/null
}

# verify_empty NAME: the callback's answer, an empty text/plain.
verify_empty() {
	[ ! -s "$T/body" ] && content_type text/plain
}

# verify_twiml KIND NAME: application/xml, the XML declaration first, well-formed by xmllint,
# and for KIND message <Response><Message>the number's message</Message></Response>, for
# call <Response><Say>its say</Say><Dial>its dial</Dial></Response>, values from the store.
verify_twiml() {
	local kind=$1 want got
	content_type application/xml &&
	    [ "$(head -c 38 "$T/body")" = '<?xml version="1.0" encoding="UTF-8"?>' ] &&
	    xmllint --noout "$T/body" || return 1
	case $kind in
	message)
		want="Message=$(q "SELECT message FROM out_of_session WHERE proxy_identifier = '$OOS_TO'
		    ORDER BY rowid LIMIT 1")"
		got="$(xmllint --xpath 'name(/*/*)' "$T/body")=$(xmllint --xpath \
		    'string(/Response/Message)' "$T/body")" ;;
	call)
		want="Say Dial|$(q "SELECT say || '|' || dial FROM out_of_session
		    WHERE proxy_identifier = '$OOS_TO' ORDER BY rowid LIMIT 1")"
		got="$(xmllint --xpath 'name(/*/*[1])' "$T/body") $(xmllint --xpath \
		    'name(/*/*[2])' "$T/body")|$(xmllint --xpath 'string(/Response/Say)' \
		    "$T/body")|$(xmllint --xpath 'string(/Response/Dial)' "$T/body")" ;;
	esac
	[ "$(xmllint --xpath 'name(/*)' "$T/body")" = Response ] &&
	    [ "$(xmllint --xpath 'count(/Response/*)' "$T/body")" = "$([ "$kind" = message ] &&
		echo 1 || echo 2)" ] && [ "$got" = "$want" ]
}

# ---------------------------------------------------------------------------------------------
# The scenarios.

SCENARIOS=(intercept-allow intercept-block intercept-replay oos-message oos-call callback)
# The goals of the issue, reported, never asserted: req/s against trivial's for the reads and
# the perishable records, and against the disk's commit rate for the durable writer.
declare -A GOAL=([intercept-allow]=0.6 [intercept-block]=0.6
    [oos-message]=0.85 [oos-call]=0.85)
DISK_GOAL=([callback]=0.8)
ACCOUNT=AC0123456789abcdef0123456789abcdef
SERVICE=KS0123456789abcdef0123456789abcdef
# The message: 35 words to FTS5's unicode61 (numbers and "pm" count), none of them, nor any
# phrase of them, a keyword rule.  The blocked one adds "free money".
MESSAGE="Hi, this is Sam from the garage. Your car is ready for pickup today after 3 pm; the"
MESSAGE+=" total is \$245.80. Please bring your ticket and call us if you have any questions."
MESSAGE+=" Thanks!"
SPAM="Hi, this is Sam from the garage. Your car is ready for pickup today after 3 pm; the"
SPAM+=" total is \$245.80. Reply now to win FREE Money: bring your ticket and call us if you"
SPAM+=" have any questions. Thanks!"

# interaction_params SID DATA-BODY [LEGS]: the parameters of an intercept (LEGS: inbound) or
# interaction callback (LEGS: both) for interaction SID, a message whose body is DATA-BODY, in
# $SESSION from $PARTICIPANT, as Twilio Proxy sends them.
interaction_params() {
	local sid=$1 data legs=${3:-inbound}
	data=$(jq -cn --arg b "$2" '{body: $b}')
	PARAMS=("interactionSid=$sid" "interactionSessionSid=$SESSION"
	    "interactionServiceSid=$SERVICE" "interactionAccountSid=$ACCOUNT"
	    interactionType=message "interactionData=$data"
	    interactionDateCreated=2026-11-22T10:00:00Z interactionDateUpdated=2026-11-22T10:00:01Z
	    "inboundParticipantSid=$PARTICIPANT" inboundResourceSid=SM0123456789abcdef0123456789abcdef
	    inboundResourceStatus=received inboundResourceType=Message
	    "inboundResourceUrl=https://api.twilio.com/2010-04-01/Accounts/$ACCOUNT/Messages/SM0123456789abcdef0123456789abcdef.json")
	[ "$legs" = both ] || return 0
	PARAMS+=(outboundParticipantSid=KP2000000000000000000000000000002a
	    outboundResourceSid=SMfedcba9876543210fedcba9876543210
	    outboundResourceStatus=sent outboundResourceType=Message
	    "outboundResourceUrl=https://api.twilio.com/2010-04-01/Accounts/$ACCOUNT/Messages/SMfedcba9876543210fedcba9876543210.json")
}

define_scenarios() {
	# The baseline, with the intercept-allow scenario's body.
	interaction_params KI00000000000000000000000000000000 "$MESSAGE"
	scenario trivial /trivial '. == {}' "" "the baseline, with the intercept scenarios' body" \
	    "${PARAMS[@]}"

	# New deliveries: the checks with curl are new interactions too (@SEQ@), wrk's come from
	# prepare (PREP_PARAMS).
	interaction_params KId000000000000000000000@SEQ@ "$MESSAGE"
	scenario intercept-allow /twhook-proxy-intercept '. == {}' "" \
	    "a new message matching none of the 10,000 rules: 200 {}" "${PARAMS[@]}"
	SC_HEADERS[intercept-allow]="I-Twilio-Idempotency-Token: d0d0d0d0-0000-4000-8000-0000@SEQ@"
	interaction_params "KIa{n:031x}" "$MESSAGE"
	PREP_PARAMS[intercept-allow]=$(printf '%s\n' "${PARAMS[@]}")

	interaction_params KIe000000000000000000000@SEQ@ "$SPAM"
	scenario intercept-block /twhook-proxy-intercept \
	    ". == {status: 403, message: \"blocked by intercept rule $BLOCK_RULE (keyword)\"}" "" \
	    "a new message with the keyword rule 'free money' (rule $BLOCK_RULE): 403" "${PARAMS[@]}"
	SC_STATUS[intercept-block]=403
	SC_HEADERS[intercept-block]="I-Twilio-Idempotency-Token: e0e0e0e0-0000-4000-8000-0000@SEQ@"
	interaction_params "KIb{n:031x}" "$SPAM"
	PREP_PARAMS[intercept-block]=$(printf '%s\n' "${PARAMS[@]}")

	# One delivery, repeated: the decision is taken again, the record is already there.
	interaction_params KI99999999999999999999999999999999 "$MESSAGE"
	scenario intercept-replay /twhook-proxy-intercept '. == {}' "" \
	    "one delivery of intercept-allow's message, repeated (same SID and token)" "${PARAMS[@]}"
	SC_HEADERS[intercept-replay]="I-Twilio-Idempotency-Token: 99999999-0000-4000-8000-000000000001"

	scenario oos-message /twhook-proxy-out-of-session '' "" \
	    "a message to one of the 10,000 numbers: <Message> TwiML" \
	    AccountSid=$ACCOUNT MessageSid=SM00000000000000000000000000000abc \
	    SmsSid=SM00000000000000000000000000000abc SmsMessageSid=SM00000000000000000000000000000abc \
	    MessagingServiceSid=MG0123456789abcdef0123456789abcdef From=+16660000042 "To=$OOS_TO" \
	    "Body=Hello, is my car ready?" NumMedia=0 NumSegments=1 SmsStatus=received ApiVersion=2010-04-01 \
	    FromCountry=US ToCountry=US FromState=CA ToState=CA FromCity= ToCity= FromZip= ToZip= \
	    "sessionSid=KC1000000000000000000000000000015" sessionStatus=closed \
	    sessionClosedReason=ttl sessionMode=voice-and-message \
	    "inboundParticipantSid=$PARTICIPANT" inboundParticipantIdentifier=+16660000042 \
	    "inboundParticipantProxyIdentifier=$OOS_TO"
	SC_VERIFY[oos-message]="verify_twiml message"

	scenario oos-call /twhook-proxy-out-of-session '' "" \
	    "a call to one of the 10,000 numbers: <Say> and <Dial> TwiML" \
	    AccountSid=$ACCOUNT CallSid=CA00000000000000000000000000000abc From=+16660000042 \
	    "To=$OOS_TO" Caller=+16660000042 "Called=$OOS_TO" CallStatus=ringing Direction=inbound \
	    ApiVersion=2010-04-01 FromCountry=US ToCountry=US FromState=CA ToState=CA \
	    "sessionSid=KC1000000000000000000000000000015" sessionStatus=closed \
	    sessionClosedReason=ttl sessionMode=voice-and-message \
	    "inboundParticipantSid=$PARTICIPANT" inboundParticipantIdentifier=+16660000042 \
	    "inboundParticipantProxyIdentifier=$OOS_TO"
	SC_VERIFY[oos-call]="verify_twiml call"

	interaction_params KIf000000000000000000000@SEQ@ "$MESSAGE" both
	scenario callback /twhook-proxy-callback '' "" \
	    "a new interaction's status, both legs: 200, empty text/plain" "${PARAMS[@]}"
	SC_VERIFY[callback]=verify_empty
	SC_HEADERS[callback]="I-Twilio-Idempotency-Token: f0f0f0f0-0000-4000-8000-0000@SEQ@"
	interaction_params "KIc{n:031x}" "$MESSAGE" both
	PREP_PARAMS[callback]=$(printf '%s\n' "${PARAMS[@]}")
}

# rows TABLE SID-LIKE [CONDITION]: the rows of TABLE for interactions like SID-LIKE.
rows() {
	q "SELECT count(*) FROM $1 WHERE interaction_sid LIKE '$2' ${3:+AND ($3)}"
}

# bench_new NAME TABLE SID-PREFIX TOKEN-PREFIX CONDITION: signs $prepared requests for scenario
# NAME (its PREP_PARAMS), each a new interaction KI<SID-PREFIX>..., benches it, then checks
# that wrk sent no prepared request twice and that TABLE gained one row (meeting CONDITION) per
# request wrk completed, and no more than the 32 under way when it stopped.
bench_new() {
	local name=$1 table=$2 prefix=$3 token=$4 cond=$5 params n r0 r1 bad
	mapfile -t params <<< "${PREP_PARAMS[$name]}"
	say "signing $prepared requests for $name"
	prepare "$name" "$token" "$prepared" "${params[@]}"
	check_signer "$name" "${params[@]}"
	r0=$(rows "$table" "KI$prefix%")
	bench main "$name"
	rm -f "$T/$name.req"
	r1=$(rows "$table" "KI$prefix%")
	n=${REQS[main $name]}
	[ "$(prepared_wrapped)" = 0 ] ||
	    die "$name: wrk sent more than the $prepared prepared requests: run with -r" \
		"$((n * 3 / 2))"
	[ $((r1 - r0)) -ge "$n" ] && [ $((r1 - r0)) -le $((n + 32)) ] ||
	    die "$name: $table gained $((r1 - r0)) rows for $n requests"
	bad=$(rows "$table" "KI$prefix%" "NOT ($cond)")
	[ "$bad" = 0 ] || die "$name: $bad rows of $table are not what they should be: $(q \
	    "SELECT * FROM $table WHERE interaction_sid LIKE 'KI$prefix%' AND NOT ($cond) LIMIT 3")"
	NOTE_NEW[$name]="$n requests recorded $((r1 - r0)) rows in $table"
}

# ---------------------------------------------------------------------------------------------

bench_environment
write_conf
say "the store: 10,000 intercept rules, $PARTICIPANTS participants, $NUMBERS out-of-session numbers"
started=$(now)
proxy_store
LOAD_TIME=$(elapsed "$started")
# twhook-proxy-callback waits for the disk: it gets the processes contrib/lighttpd.conf gives it
# (WRITER_PROCS in the environment to try another count).
ENTRY_PROCS[/twhook-proxy-callback]=${WRITER_PROCS:-2}
# The intercept gets 2, as there (INTERCEPT_PROCS to try another count).
ENTRY_PROCS[/twhook-proxy-intercept]=${INTERCEPT_PROCS:-2}
start_lighttpd "/twhook-proxy-intercept=$CGI/twhook-proxy-intercept" \
    "/twhook-proxy-out-of-session=$CGI/twhook-proxy-out-of-session" \
    "/twhook-proxy-callback=$CGI/twhook-proxy-callback"
declare -A PREP_PARAMS NOTE_NEW
define_scenarios

bench main trivial
disk_commits main disk
prepared_auto
allowed="verdict = 'allowed' AND rule_rowid IS NULL AND session_sid = '$SESSION' AND
    participant_sid = '$PARTICIPANT' AND ifnull(identifier, '$IDENTIFIER') = '$IDENTIFIER' AND
    note IS NULL"
for s in "${SCENARIOS[@]}"; do
	case $s in
	intercept-allow)
		bench_new "$s" proxy_intercepts a a0a0a0a0 "$allowed" ;;
	intercept-block)
		bench_new "$s" proxy_intercepts b b0b0b0b0 "verdict = 'blocked' AND
		    rule_rowid = $BLOCK_RULE AND rule_kind = 'keyword' AND
		    rule_pattern = 'free money'" ;;
	intercept-replay)
		check "$s"	# the first delivery: records its decision
		before=$(q "SELECT count(*) FROM proxy_intercepts")
		[ "$(rows proxy_intercepts KI9999% "$allowed")" = 1 ] ||
		    die "$s: the first delivery was not recorded as allowed"
		bench main "$s"
		[ "$(q "SELECT count(*) FROM proxy_intercepts")" = "$before" ] ||
		    die "$s: replays recorded decisions"
		NOTE_NEW[$s]="${REQS[main $s]} requests recorded nothing new" ;;
	callback)
		bench_new "$s" proxy_interactions c c0c0c0c0 "session_sid = '$SESSION' AND
		    type = 'message' AND inbound_resource_status = 'received' AND
		    outbound_resource_status = 'sent' AND json_extract(data, '\$.body') = '$MESSAGE'"
		;;
	*)
		bench main "$s" ;;
	esac
done
bench end trivial
disk_commits end disk
# The checks with curl were new deliveries too: each recorded its row, right.
[ "$(rows proxy_intercepts 'KId%' "$allowed")" = 2 ] &&
    [ "$(rows proxy_intercepts 'KIe%' "verdict = 'blocked' AND rule_rowid = $BLOCK_RULE")" = 2 ] &&
    [ "$(rows proxy_interactions 'KIf%')" = 2 ] ||
    die "the checks with curl did not record what they should have"

# ---------------------------------------------------------------------------------------------
# The report.

echo
report_title "twhook Proxy endpoints benchmark"
echo "wrk -t$THREADS -c32 -d${duration}s, lighttpd + mod_fastcgi (max-procs 2 per endpoint," \
    "${ENTRY_PROCS[/twhook-proxy-intercept]} for the intercept," \
    "${ENTRY_PROCS[/twhook-proxy-callback]} for the callback),"
echo "store: $RULES_KEYWORD keyword, $RULES_SESSION session, $RULES_PARTICIPANT participant and" \
    "$RULES_IDENTIFIER identifier rules, $PARTICIPANTS participants,"
echo "$NUMBERS out-of-session numbers (loaded in $LOAD_TIME s); X-Twilio-Signature checked on" \
    "every request"
echo "(intercept-allow, intercept-block and callback: $prepared requests signed in advance for each)"
echo "$MACHINE"
load_average
for s in "${SCENARIOS[@]}"; do
	echo "    $s: ${SC_NOTE[$s]}${NOTE_NEW[$s]:+; ${NOTE_NEW[$s]}}"
done
echo
goal_report 17 "${SCENARIOS[@]}"
exit 0
