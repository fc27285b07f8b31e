# endpoints.sh: sourced after lib.sh by the tests that put the endpoints behind a real web
# server (apache.test, lighttpd.test, and the load tests with serve_under_load).  Requests go
# over HTTP with curl, signed as Twilio signs them: the URL it calls (scheme, host, port, path
# and query), and the form parameters or the body's SHA-256.  every_endpoint sends each of the
# nine endpoints a request it answers and checks the answer (status, Content-Type, body) and
# what the endpoints that write wrote; it expects the store setup_store made, with nothing
# written to it yet.

# The nine endpoints by NAME: the executable twhook-NAME, served at /twhook-NAME.
ENDPOINTS="crm outgoing templates routing conversations proxy-callback proxy-intercept
	proxy-out-of-session call-notify"
CONTRIB=$top_srcdir/contrib

# require_endpoints: bails out unless the build made every endpoint.
require_endpoints() {
	for _e in $ENDPOINTS; do
		[ -x "$CGI_DIR/twhook-$_e" ] || bail "no $CGI_DIR/twhook-$_e: build first (make)"
	done
}

# wrapped_cgi_dir: the directory a web server should run the endpoints from: $CGI_DIR, or
# under valgrind $T/wrap, where a script of each endpoint's name execs it under $WRAP (a
# server names a program by one path: $WRAP's long command line does not fit there).
wrapped_cgi_dir() {
	if [ -z "$WRAP" ]; then
		printf '%s\n' "$CGI_DIR"
		return
	fi
	mkdir -p "$T/wrap"
	for _e in $ENDPOINTS console; do
		printf '#!/bin/sh\nexec %s %s "$@"\n' "$WRAP" "$CGI_DIR/twhook-$_e" > "$T/wrap/twhook-$_e"
		chmod 755 "$T/wrap/twhook-$_e"
	done
	printf '%s\n' "$T/wrap"
}

# substitute FILE CGIDIR OUT: the contrib FILE with its placeholders replaced, as its header
# says: @CGIDIR@ by CGIDIR, @TWHOOK_CONFIG@ by $CONF, @RUNDIR@ by $RUNDIR; and the console's
# password file, /etc/SERVER/twhook-console.htpasswd, by $T/htpasswd, where the user
# "operator" has the password "console-password".  One assertion.
substitute() {
	[ -f "$T/htpasswd" ] ||
	    printf 'operator:%s\n' "$(openssl passwd -apr1 console-password)" > "$T/htpasswd"
	sed -e "s|@CGIDIR@|$2|g" -e "s|@TWHOOK_CONFIG@|$CONF|g" -e "s|@RUNDIR@|$RUNDIR|g" \
	    -e "s|/etc/[a-z0-9]*/twhook-console\\.htpasswd|$T/htpasswd|g" "$1" > "$3"
	ok "${1#"$top_srcdir"/}: every placeholder substituted" sh -c "! grep -n '@[A-Z_]*@' '$3'"
}

# serve_under_load PORT: every endpoint behind lighttpd on 127.0.0.1:PORT for a load test,
# contrib/lighttpd.conf as it is (its sockets in $RUNDIR, $T/run) and room for 256 connections;
# lighttpd_pid is its process.  One assertion (substitute's).
serve_under_load() {
	RUNDIR=$T/run
	mkdir -p "$RUNDIR" "$T/www"
	substitute "$CONTRIB/lighttpd.conf" "$CGI_DIR" "$T/twhook-lighttpd.conf"
	cat > "$T/lighttpd.conf" <<CONF
server.document-root = "$T/www"
server.bind = "127.0.0.1"
server.port = $1
server.errorlog = "$T/lighttpd.err"
server.max-connections = 256
server.modules += ( "mod_fastcgi" )
include "$T/twhook-lighttpd.conf"
CONF
	lighttpd -D -f "$T/lighttpd.conf" 2> "$T/lighttpd.stderr" &
	lighttpd_pid=$!
	cleanup_pids="$cleanup_pids $lighttpd_pid"
	wait_for_port "$1" ||
	    bail "lighttpd did not start: $(cat "$T/lighttpd.stderr" "$T/lighttpd.err")"
}

# http_post URL SIGNATURE BODY [CURL OPTIONS]: POSTs BODY with that X-Twilio-Signature, as
# Content-Type $CT (form-encoded by default) and with I-Twilio-Idempotency-Token $TOKEN when it
# is set; sets status and ctype, the answer's body in $T/body and its head in $T/head.
http_post() {
	_url=$1 _sig=$2 _data=$3
	shift 3
	[ -z "${TOKEN:-}" ] || set -- "$@" -H "I-Twilio-Idempotency-Token: $TOKEN"
	status=$(curl -s -o "$T/body" -D "$T/head" -w '%{http_code}' \
	    -H "Content-Type: ${CT:-application/x-www-form-urlencoded}" \
	    -H "X-Twilio-Signature: $_sig" --data-binary "$_data" "$@" "$_url")
	ctype=$(tr -d '\r' < "$T/head" | sed -n 's/^Content-Type: //Ip' | tail -n 1)
}

# signed_post URL NAME=VALUE...: the form request of those parameters, signed for URL and
# sent there.
signed_post() {
	_surl=$1
	shift
	http_post "$_surl" "$(sign "$_surl" "$@")" "$(form "$@")"
}

# signed_json URL FILE: FILE's bytes as an application/json body, signed as Twilio signs a
# JSON body (the URL plus ?bodySHA256=HEX of the body) and sent to that URL.
signed_json() {
	_sum=$(sha256sum < "$2" | cut -d' ' -f1)
	CT=application/json http_post "$1?bodySHA256=$_sum" \
	    "$(sign --body "$2" "$1" 2> /dev/null)" "@$2"
}

# answer: the last answer as "STATUS CONTENT-TYPE BODY".
answer() {
	printf '%s %s %s' "$status" "$ctype" "$(cat "$T/body")"
}

# every_endpoint BASE WHERE: each endpoint, at BASE/twhook-NAME, answers a signed request
# correctly; WHERE ("through lighttpd") ends each description.  Eleven assertions.
every_endpoint() {
	_b=$1 _w=$2
	signed_post "$_b/twhook-crm" Location=GetCustomersList Worker=alice@example.com
	is "$status $ctype $(json '[.objects.customers[].customer_id]')" \
	    '200 application/json ["1","2","4"]' "twhook-crm $_w"
	signed_post "$_b/twhook-outgoing" Location=GetProxyAddress Worker=alice@example.com \
	    CustomerId=1 ChannelType=sms ChannelValue=+15555550101
	is "$(answer)" '200 application/json {"proxy_address":"+15555550001"}' \
	    "twhook-outgoing $_w"
	signed_post "$_b/twhook-templates" Location=GetTemplatesByCustomerId \
	    Worker=alice@example.com CustomerId=1
	is "$status $ctype $(json '.[0].templates[0].content')" \
	    '200 application/json "Hello Bobby Shaftoe, this is alice@example.com. How can I help you today?"' \
	    "twhook-templates $_w"
	signed_post "$_b/twhook-routing" ConversationSid=CH00000000000000000000000000000001 \
	    MessagingBinding.Address=+15555550101
	is "$(answer)" "200 application/json {}" "twhook-routing $_w"
	is "$(sql "SELECT $(json_field payload identity) FROM outbox WHERE kind = 'add_participant'")" \
	    alice@example.com "  and its job is queued: add alice to the conversation"
	signed_post "$_b/twhook-conversations" EventType=onConversationAdd \
	    MessagingBinding.Address=+15555550102
	is "$status $ctype $(json .friendly_name)" '200 application/json "Dave Fader"' \
	    "twhook-conversations $_w"
	TOKEN=idem-token-0001 signed_post "$_b/twhook-proxy-callback" \
	    interactionSid=KI00000000000000000000000000000001 interactionType=message \
	    inboundResourceStatus=delivered
	is "$status $ctype $(wc -c < "$T/body" | tr -d ' ')" "200 text/plain 0" \
	    "twhook-proxy-callback $_w"
	is "$(sql "SELECT interaction_sid || ' ' || idempotency_token FROM proxy_interactions")" \
	    "KI00000000000000000000000000000001 idem-token-0001" \
	    "  and the interaction is recorded, with its I-Twilio-Idempotency-Token"
	signed_post "$_b/twhook-proxy-intercept" interactionSid=KI00000000000000000000000000000001 \
	    interactionData='{"body":"Please send a WIRE transfer"}'
	is "$status $ctype $(json .message)" \
	    '403 application/json "blocked by intercept rule 1 (keyword)"' \
	    "twhook-proxy-intercept $_w"
	signed_post "$_b/twhook-proxy-out-of-session" To=+15555550000 From=+15555550101 \
	    MessageSid=SM00000000000000000000000000000001 Body=Hello
	is "$status $ctype $(tail -n 1 "$T/body")" \
	    "200 application/xml <Response><Message>This conversation has ended. Reply to reach us again.</Message></Response>" \
	    "twhook-proxy-out-of-session $_w"
	printf '%s' '{"twi_account_sid":"AC00000000000000000000000000000000","twi_call_sid":"CA0123456789abcdef0123456789abcdef","twi_from":"client:bob","twi_to":"client:alice","twi_message_id":"WB0001","twi_message_type":"twilio.voice.call"}' \
	    > "$T/notify.json"
	signed_json "$_b/twhook-call-notify" "$T/notify.json"
	is "$(answer) $(sql "SELECT idempotency_key FROM outbox WHERE kind = 'push'")" \
	    '200 application/json {"queued":1} push:WB0001:BN00000000000000000000000000000001' \
	    "twhook-call-notify $_w (JSON body, bodySHA256 in the query): one push queued"
}

# web_server_says [ANSWER]: the answer's first bytes and the end of the web servers' error
# logs, as diagnostics of a request that failed.
web_server_says() {
	[ -z "${1:-}" ] || diag "the answer began: $(head -c 600 "$1")"
	diag "$(tail -n 20 "$T"/lighttpd.err "$T"/*/error.log 2> /dev/null)"
}

# console_behind BASE WHERE: twhook-console at BASE/twhook-console behind the web server's
# Basic authentication: 401 without the password, the pages with it (PATH_INFO, the query and
# SCRIPT_NAME passed as the console needs them, REMOTE_USER set).
console_behind() {
	_b=$1/twhook-console _w=$2
	status=$(curl -s -o /dev/null -w '%{http_code}' "$_b/store")
	is "$status" 401 "the console without a password $_w: 401 from the web server"
	status=$(curl -s -o "$T/body" -D "$T/head" -w '%{http_code}' -u operator:wrong "$_b/store")
	is "$status" 401 "  with a wrong one: 401"
	status=$(curl -s -o "$T/body" -D "$T/head" -w '%{http_code}' -u operator:console-password \
	    "$_b/store")
	is "$status" 200 "  with it: the Store page"
	like "$(cat "$T/body")" '<span class="user">operator</span>' "  REMOTE_USER reaches it"
	like "$(cat "$T/body")" 'href="/twhook-console/jobs"' "  its links under SCRIPT_NAME"
	like "$(tr -d '\r' < "$T/head")" 'X-Content-Type-Options: nosniff' "  its headers pass"
	status=$(curl -s -o "$T/body" -w '%{http_code}' -u operator:console-password \
	    "$_b/deliveries?endpoint=crm&status=2xx")
	is "$status $(grep -c '<td class="endpoint">crm</td><td class="n">200<' "$T/body")" \
	    "200 $(grep -c '"endpoint":"crm","status":200' "$DELIVERY_LOG"/*.jsonl |
	    awk -F: '{ n += $NF } END { print (n > 50 ? 50 : n) }')" \
	    "  the Deliveries page filtered by its query: crm's 200s, as many as the log holds"
	[ "$status" = 200 ] || web_server_says "$T/body"
	status=$(curl -s -o /dev/null -w '%{http_code}' -u operator:console-password "$_b/nowhere")
	is "$status" 404 "  a path it does not have: its 404"
}

# answers_whole BASE WHERE: 120 customer lists from twhook-crm and 120 Deliveries pages of
# the console (50 rows each, once the lists are logged), four at a time over one curl: every
# answer 200 and whole.  An endpoint closes a Unix-socket connection as soon as it has
# answered, so the web server learns of the close while it may still have answer to read.
answers_whole() {
	_b=$1 _w=$2
	_list="Location=GetCustomersList Worker=alice@example.com"
	_sig=$(sign "$_b/twhook-crm" $_list)
	_each='silent\nwrite-out = "%{http_code}\\n"\n'
	mkdir -p "$T/whole"
	rm -f "$T/whole/"*
	for _i in $(seq 1 120); do
		printf 'url = "%s"\noutput = "%s"\nheader = "X-Twilio-Signature: %s"\n' \
		    "$_b/twhook-crm" "$T/whole/crm.$_i" "$_sig"
		printf 'data = "%s"\n%bnext\n' "$(form $_list)" "$_each"
		printf 'url = "%s"\noutput = "%s"\nuser = "operator:console-password"\n%bnext\n' \
		    "$_b/twhook-console/deliveries" "$T/whole/console.$_i" "$_each"
	done | sed '$d' > "$T/whole.curl"
	curl -Z --parallel-max 4 -K "$T/whole.curl" > "$T/whole.status"
	_got=$(sort "$T/whole.status" | uniq -c | awk '{ print $2 " x" $1 }')
	is "$_got" "200 x240" "240 answers $_w, four at a time: all 200"
	[ "$_got" = "200 x240" ] || web_server_says
	is "$(cat "$T/whole/crm."* | jq -c '[.objects.customers[].customer_id]' | sort | uniq -c |
	    awk '{ print $1 " " $2 }')" '120 ["1","2","4"]' "  every customer list whole"
	is "$(grep -l '</main></body></html>' "$T/whole/console."* | wc -l)" 120 \
	    "  every Deliveries page whole"
	is "$(grep -c '<td class="endpoint">' "$T/whole/console.120")" 50 \
	    "  the last one with its 50 rows"
}
