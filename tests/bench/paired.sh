# paired.sh: what the paired benchmarks share (deliverylog.sh, sandbox.sh, builds.sh): what one
# configuration line, or another build, costs.  twhook-crm (a customer list, the fastest reading
# endpoint, where a per-request cost weighs most) and twhook-proxy-out-of-session (TwiML, writing
# its delivery log line) are served by one lighttpd twice: at /twhook-NAME with the default
# configuration and at /VARIANT/twhook-NAME with the line, or from the other build's
# executables, and wrk drives them in turn, alternating which goes first, so that the machine's
# drift over the run falls on both alike.  Sourced after lib.sh, with ROUNDS set.

# paired_serve VARIANT LINE [CGI_DIR]: the configuration, the sample store, lighttpd and the
# scenarios: crm, oos (PATH), crm-VARIANT, oos-VARIANT (/VARIANT/PATH: with LINE added to the
# configuration unless it is empty, and from CGI_DIR's executables when given) and trivial (the
# baseline).
paired_serve() {
	local variant=$1 variant_cgi=${3:-$CGI} where name
	if [ -n "$2" ]; then
		CONF_VARIANT[$variant]=$2
		ENTRY_CONF[/$variant/twhook-crm]=$variant
		ENTRY_CONF[/$variant/twhook-proxy-out-of-session]=$variant
	fi
	write_conf
	sample_store 1
	start_lighttpd "/twhook-crm=$CGI/twhook-crm" "/$variant/twhook-crm=$variant_cgi/twhook-crm" \
	    "/twhook-proxy-out-of-session=$CGI/twhook-proxy-out-of-session" \
	    "/$variant/twhook-proxy-out-of-session=$variant_cgi/twhook-proxy-out-of-session"
	crm_params=(Location=GetCustomersList Worker=alice@example.com PageSize=30)
	oos_params=(To=+15555550000 From=+15555550101 MessageSid=SM00000000000000000000000000000001
	    "Body=Where is my order?")
	for where in "" "/$variant"; do
		name=crm${where:+-$variant}
		scenario "$name" "$where/twhook-crm" '.objects.customers | length == 3' "" \
		    "alice's customers" "${crm_params[@]}"
		name=oos${where:+-$variant}
		scenario "$name" "$where/twhook-proxy-out-of-session" '' "" \
		    "a message to a closed session" "${oos_params[@]}"
		SC_VERIFY[$name]=paired_verify_twiml
	done
	scenario trivial /trivial '. == {}' "" "the baseline, with the crm scenario's body" \
	    "${crm_params[@]}"
}

# The sample's answer for every closed session.
paired_verify_twiml() {
	grep -q '<Message>This conversation has ended. Reply to reach us again.</Message>' "$T/body"
}

# paired_run VARIANT: trivial, ROUNDS rounds of both pairs (odd rounds VARIANT first, even
# rounds the default first), trivial again.
paired_run() {
	local round s
	bench main trivial
	for round in $(seq "$ROUNDS"); do
		for s in crm oos; do
			if [ $((round % 2)) -eq 1 ]; then
				bench "$round" "$s-$1"
				bench "$round" "$s"
			else
				bench "$round" "$s"
				bench "$round" "$s-$1"
			fi
		done
	done
	bench end trivial
}

# paired_table VARIANT VARIANT-HEADING DEFAULT-HEADING RATIO-HEADING: req/s of each pair in
# each round, and the default's rate against VARIANT's, with PAIRED_DECIMALS (2 unless set).
PAIRED_DECIMALS=2
paired_table() {
	local round s
	printf '%-6s %-5s %12s %12s %10s\n' round scen "$2" "$3" "$4"
	for round in $(seq "$ROUNDS"); do
		for s in crm oos; do
			printf '%-6s %-5s %12.0f %12.0f %10s\n' "$round" "$s" "${RPS[$round $s-$1]}" \
			    "${RPS[$round $s]}" \
			    "$(ratio "${RPS[$round $s]}" "${RPS[$round $s-$1]}" "$PAIRED_DECIMALS")"
		done
	done
}

# paired_ratio VARIANT SCENARIO: SCENARIO's rate against SCENARIO-VARIANT's, over all rounds.
paired_ratio() {
	local round sum=0 sum_variant=0
	for round in $(seq "$ROUNDS"); do
		sum=$(awk -v a="$sum" -v b="${RPS[$round $2]}" 'BEGIN { print a + b }')
		sum_variant=$(awk -v a="$sum_variant" -v b="${RPS[$round $2-$1]}" 'BEGIN { print a + b }')
	done
	ratio "$sum" "$sum_variant" "$PAIRED_DECIMALS"
}

# paired_median VARIANT SCENARIO: the median of SCENARIO's rate against SCENARIO-VARIANT's, a
# ratio a round (the mean of the two middle ones for an even count), with PAIRED_DECIMALS.
paired_median() {
	local round
	for round in $(seq "$ROUNDS"); do
		echo "${RPS[$round $2]} ${RPS[$round $2-$1]}"
	done | awk '{ print $1 / $2 }' | sort -g | awk -v d="$PAIRED_DECIMALS" '{ r[NR] = $1 }
	    END { printf "%.*f", d, NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2 }'
}

# paired_trivial: the baseline's rate at the start and at the end, for the report.
paired_trivial() {
	echo "trivial $(printf '%.0f' "${RPS[main trivial]}") req/s, then" \
	    "$(printf '%.0f' "${RPS[end trivial]}")"
}
