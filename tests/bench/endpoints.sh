#!/bin/bash
# endpoints.sh: the benchmark of the Frontline and Conversations endpoints other than twhook-crm
# (twhook-outgoing, twhook-templates, twhook-conversations, twhook-routing); README.md in this
# folder says how to read what it prints.
#
#   tests/bench/endpoints.sh [-d SECONDS] [-r REQUESTS] BUILD_DIR
#
# It builds a store with `twhook init`, schema/sample.sql and 300 more pool workers, serves the
# four endpoints and a trivial FastCGI responder (trivial.c) from one lighttpd on 127.0.0.1,
# checks every scenario once with curl (HTTP 200 and the expected JSON; for routing also the
# jobs in the outbox), then drives each with wrk for SECONDS (default 10)
# and prints req/s and p99 latency, each against the trivial responder's measured in the same
# run (and, for an answer of 256 bytes or more, against it answering as many bytes).  Every
# request carries a correct X-Twilio-Signature, and every one is checked.  Where
# each request must be a new delivery, it is: conversations gets a new idempotency token per
# request (the body, hence the signature, stays the same); the routing scenarios that route a
# new conversation per request cycle through REQUESTS requests signed in advance by
# sign_requests.py, each with its own ConversationSid and token (default: as many as the
# trivial responder answered in SECONDS), and the run fails if wrk used one twice.  Exit
# status: 0 when every scenario ran and answered correctly, 1 otherwise, 2 on a usage error.
# It never judges the timings: it is a benchmark, not a test.
set -euo pipefail
LC_ALL=C
export LC_ALL

HERE=$(cd "$(dirname "$0")" && pwd)
# die, say, need_tools, bench_start, machine, q, request, scenario, check, start_lighttpd,
# bench, ratio and more: the functions the benchmarks share.
. "$HERE/lib.sh"
# -d SECONDS, -r REQUESTS, BUILD_DIR: duration, prepared, BUILD, TWHOOK and CGI.
duration_requests_options "$@"
POOL=300			# pool workers added to the sample's alice and bob
THREADS=2			# wrk -t, as bench in lib.sh runs it

need_built outgoing templates conversations routing
need_tools cc "$LIGHTTPD" wrk sqlite3 curl jq python3
bench_start

# ---------------------------------------------------------------------------------------------
# New deliveries.  A repeated delivery (same idempotency token, or same conversation) is only a
# lookup of the first answer, so the writing scenarios must make each request a new one.  The
# token is a header, outside the signature: fresh_tokens makes one per request in wrk's script.
# A new conversation changes the body, hence the signature: sign_requests.py signs them in
# advance (as `twhook sign` would: check_signer compares a few), and prepare's script hands
# each wrk thread its share.

# fresh_tokens NAME PREFIX: $T/NAME.lua, sending scenario NAME's request with a new
# I-Twilio-Idempotency-Token each time (PREFIX, 6 hex digits, the thread, and a count).
fresh_tokens() {
	local name=$1 prefix=$2 params sig body
	mapfile -t params <<< "${SC_PARAMS[$name]}"
	sig=$("$TWHOOK" -c "$CONF" sign "$ORIGIN${SC_PATH[$name]}" "${params[@]}")
	body=$(form_encode "${params[@]}")
	cat > "$T/$name.lua" <<-LUA
	-- written by tests/bench/endpoints.sh: one request, each time with its own
	-- I-Twilio-Idempotency-Token, spliced into the request formatted once.
	local next_id = 0
	function setup(thread)
	   thread:set("id", next_id)
	   next_id = next_id + 1
	end
	function init(args)
	   local req = wrk.format("POST", "${SC_PATH[$name]}", {
	      ["Host"] = wrk.headers["Host"],
	      ["Content-Type"] = "application/x-www-form-urlencoded",
	      ["X-Twilio-Signature"] = "$sig",
	      ["I-Twilio-Idempotency-Token"] = "@TOKEN@",
	   }, [==[$body]==])
	   head, tail = req:match("^(.-)@TOKEN@(.*)$")
	   n = 0
	end
	function request()
	   n = n + 1
	   return head .. string.format("$prefix%02x-0000-4000-8000-%012x", id, n) .. tail
	end
	LUA
	SC_LUA[$name]=$T/$name.lua
}

# ---------------------------------------------------------------------------------------------
# The scenarios.

SCENARIOS=(outgoing templates conversations routing-new routing-pool routing-replay)
# The goals of the issue, req/s against trivial's: reported, never asserted.
declare -A GOAL=([outgoing]=0.85 [templates]=0.85 [conversations]=0.85 [routing-new]=0.6
    [routing-pool]=0.6)
# The writers whose answers wait for their commit to reach the disk, and their goal against the
# disk's serialized commit rate (disk_commits), measured in the same run.
DISK_GOAL=([routing-new]=0.8 [routing-pool]=0.8)
ALICE=alice@example.com
BOBBY=+15555550101		# customer 1, Bobby Shaftoe, alice's
NOBODYS=+15555550105		# customer 5, Front Desk (shared), owned by nobody: the pool's

define_scenarios() {
	scenario trivial /trivial '. == {}' "" "the baseline, with the outgoing scenario's body" \
	    Location=GetProxyAddress "Worker=$ALICE" CustomerId=1 ChannelType=sms \
	    "ChannelValue=$BOBBY"

	scenario outgoing /twhook-outgoing '. == {proxy_address: "+15555550001"}' "" \
	    "GetProxyAddress, alice's own sms address" \
	    Location=GetProxyAddress "Worker=$ALICE" CustomerId=1 ChannelType=sms \
	    "ChannelValue=$BOBBY"

	scenario templates /twhook-templates '[.[].display_name] == ["Openers", "Closing"] and
	    [.[].templates[] | [.content, .whatsAppApproved]] == [
	        ["Hello Bobby Shaftoe, this is \($a). How can I help you today?", true],
	        ["Hi Bobby Shaftoe, do you have a minute to talk?", false],
	        ["Thank you Bobby Shaftoe, talk to you soon. \($a)", true]]' "--arg a $ALICE" \
	    "GetTemplatesByCustomerId, the 3 sample templates in 2 categories" \
	    Location=GetTemplatesByCustomerId "Worker=$ALICE" CustomerId=1 \
	    ConversationSid=CH00000000000000000000000000000001

	# A pre-event webhook; each request a new delivery (its own idempotency token), as Twilio
	# sends them.
	conversations_params=(EventType=onConversationAdd
	    AccountSid=AC0123456789abcdef0123456789abcdef
	    ChatServiceSid=IS0123456789abcdef0123456789abcdef
	    MessagingServiceSid=MG0123456789abcdef0123456789abcdef
	    "MessagingBinding.Address=$BOBBY" MessagingBinding.ProxyAddress=+15555550000
	    "MessageBody=Hello, I would like to change my order" Source=SMS RetryCount=0)
	scenario conversations /twhook-conversations '. == {friendly_name: "Bobby Shaftoe",
	    attributes: "{\"avatar\":\"https://example.com/avatars/bobby.png\"}"}' "" \
	    "onConversationAdd from a known customer, each request with its own token" \
	    "${conversations_params[@]}"
	SC_HEADERS[conversations]="I-Twilio-Idempotency-Token: c2c2c2c2-0000-4000-8000-0000@SEQ@"

	# The routing callback as Frontline sends it.  The checks with curl are new deliveries of
	# new conversations too (@SEQ@); wrk's come from prepare.
	scenario routing-new /twhook-routing '. == {}' "" \
	    "a new conversation from alice's customer, its own token: alice is queued" \
	    "ConversationSid=CHc0000000000000000000000@SEQ@" "MessagingBinding.Address=$BOBBY" \
	    "${ROUTING_PARAMS[@]}"
	SC_HEADERS[routing-new]="I-Twilio-Idempotency-Token: c0c0c0c0-0000-4000-8000-0000@SEQ@"
	scenario routing-pool /twhook-routing '. == {}' "" \
	    "a new conversation from a customer nobody owns: the next of $((POOL + 2)) workers" \
	    "ConversationSid=CHc1000000000000000000000@SEQ@" "MessagingBinding.Address=$NOBODYS" \
	    "${ROUTING_PARAMS[@]}"
	SC_HEADERS[routing-pool]="I-Twilio-Idempotency-Token: c1c1c1c1-0000-4000-8000-0000@SEQ@"
	# One delivery, repeated: the answer is the first one's, kept in its idempotency claim.
	scenario routing-replay /twhook-routing '. == {}' "" \
	    "one delivery repeated (same token): the first answer again, nothing queued" \
	    ConversationSid=CHd0000000000000000000000000000001 "MessagingBinding.Address=$BOBBY" \
	    "${ROUTING_PARAMS[@]}"
	token=d0d0d0d0-0000-4000-8000-000000000001
	SC_HEADERS[routing-replay]="I-Twilio-Idempotency-Token: $token"

	fresh_tokens conversations a2a2a2
}

# ---------------------------------------------------------------------------------------------

bench_environment
write_conf
say "the store: schema/sample.sql and $POOL pool workers"
sample_store "$POOL"
# twhook-routing waits for the disk: it gets the processes contrib/lighttpd.conf gives it
# (WRITER_PROCS in the environment to try another count).
ENTRY_PROCS[/twhook-routing]=${WRITER_PROCS:-2}
start_lighttpd "/twhook-outgoing=$CGI/twhook-outgoing" "/twhook-templates=$CGI/twhook-templates" \
    "/twhook-conversations=$CGI/twhook-conversations" "/twhook-routing=$CGI/twhook-routing"
define_scenarios

identity="json_extract(payload, '\$.identity')"
bench main trivial
disk_commits main disk
prepared_auto
say "signing $prepared requests each for routing-new and routing-pool"
prepare routing-new a0a0a0a0 "$prepared" "ConversationSid=CHa{n:032x}" \
    "MessagingBinding.Address=$BOBBY" "${ROUTING_PARAMS[@]}"
prepare routing-pool a1a1a1a1 "$prepared" "ConversationSid=CHb{n:032x}" \
    "MessagingBinding.Address=$NOBODYS" "${ROUTING_PARAMS[@]}"
check_signer routing-new "ConversationSid=CHa{n:032x}" "MessagingBinding.Address=$BOBBY" \
    "${ROUTING_PARAMS[@]}"
check_signer routing-pool "ConversationSid=CHb{n:032x}" "MessagingBinding.Address=$NOBODYS" \
    "${ROUTING_PARAMS[@]}"
for s in "${SCENARIOS[@]}"; do
	case $s in
	conversations)
		bench_new main "$s" twhook-conversations ;;
	routing-new)
		bench_new main "$s" twhook-routing CHa "$identity = '$ALICE'" ;;
	routing-pool)
		bench_new main "$s" twhook-routing CHb "$identity LIKE 'pool%@example.com' OR
		    $identity IN ('$ALICE', 'bob@example.com')" ;;
	routing-replay)
		check "$s"	# the first delivery: queues its job and keeps its claim
		before=$(q "SELECT count(*) FROM outbox")/$(claims twhook-routing)
		bench main "$s"
		[ "$(q "SELECT count(*) FROM outbox")/$(claims twhook-routing)" = "$before" ] ||
		    die "$s: replays queued jobs or kept claims"
		NOTE_NEW[$s]="${REQS[main $s]} requests kept no claim and queued no job" ;;
	*)
		bench main "$s"
		bench_same_size main "$s" ;;
	esac
done
bench end trivial
disk_commits end disk
# The checks with curl were new deliveries too: each queued its job, for the right worker.
[ "$(jobs 'CHc0%' "AND $identity = '$ALICE'")" = 2 ] &&
    [ "$(jobs 'CHc1%')" = 2 ] && [ "$(jobs 'CHd%')" = 1 ] ||
    die "the routing checks did not queue the jobs they should have"

# ---------------------------------------------------------------------------------------------
# The report.

echo
report_title "twhook endpoints benchmark"
echo "wrk -t$THREADS -c32 -d${duration}s, lighttpd + mod_fastcgi (max-procs 2 per endpoint," \
    "${ENTRY_PROCS[/twhook-routing]} for routing),"
echo "store: schema/sample.sql + $POOL pool workers, X-Twilio-Signature checked on every request"
echo "(routing-new and routing-pool: $prepared requests signed in advance for each)"
echo "$MACHINE"
load_average
for s in "${SCENARIOS[@]}"; do
	echo "    $s: ${SC_NOTE[$s]}${NOTE_NEW[$s]:+; ${NOTE_NEW[$s]}}"
done
echo
goal_report 15 "${SCENARIOS[@]}"
# The answers of 256 bytes or more, against the trivial responder answering as many bytes.
for s in "${SCENARIOS[@]}"; do
	[ -n "${RPS[main $s=]:-}" ] || continue
	read -r bytes xsame p99same <<< "$(same_size_columns main "$s")"
	echo "$s: $bytes bytes; against the trivial responder answering as many, req/s" \
	    "$xsame, p99 $p99same"
done
exit 0
