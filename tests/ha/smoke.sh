#!/bin/bash
# smoke.sh: proves tests/ha/cluster.sh, standalone (not part of make check): while one client
# inserts numbered rows through the multi-host URI, each in its own psql, and notes which ones
# were acknowledged, it
#   1. kills the leader's whole node (kill -9) and waits for a new leader;
#   2. freezes (SIGSTOP) the only standby left for a while: strict synchronous mode must hold
#      every write until it thaws (SIGCONT);
#   3. brings the killed node back (pg_rewind when needed) until it streams again;
#   4. freezes the synchronous standby of the three: Patroni must move synchronous replication
#      to the other standby and writes go on before the frozen one thaws;
# then audits: every acknowledged id is in the leader's table exactly once, and the three
# nodes hold the same rows.  It prints the failover time, the longest gap between two
# acknowledged writes and how many statements failed, and ends with "N passed, N failed".
#   tests/ha/smoke.sh            (as root or not; KEEP_T=1 keeps the scratch directory)
set -u
LC_ALL=C
export LC_ALL
. "$(dirname "$0")/cluster.sh"

# Seconds each freeze lasts.  While only two nodes are up, the frozen one takes its etcd
# member along and etcd loses its quorum: past retry_timeout (9 s) the leader would demote
# itself, as it should, but this test means to watch strict synchronous mode hold the writes.
FREEZE=${FREEZE:-6}
MAX_WRITES=20000             # the writer's bound, whatever happens
T=$(mktemp -d "${TMPDIR:-/tmp}/twhook-ha.XXXXXX")
writer=
passed=0
failed=0

# cleanup: stops the writer and the cluster, removes the scratch directory unless KEEP_T=1.
cleanup() {
	touch "$T/stop"
	[ -z "$writer" ] || kill "$writer" 2>/dev/null
	ha_stop
	if [ -n "${KEEP_T:-}" ]; then echo "# kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# check DESCRIPTION COMMAND...: counts and prints one check.
check() {
	local desc=$1
	shift
	if "$@"; then passed=$((passed + 1)); echo "ok - $desc"
	else failed=$((failed + 1)); echo "not ok - $desc"; fi
}

# say MESSAGE: a progress line with the seconds since the writer started.
say() { echo "# [$(ha_secs $(($(ha_now_ms) - t_start)))] $*"; }

# write_loop: inserts id 1, 2, ... until $T/stop exists, one psql per statement, and logs
# "ID ok|fail MS" per statement to $T/writes.  A statement may wait for a frozen standby, but
# no longer than 60 s.
write_loop() {
	local i=0 out rc
	while [ ! -e "$T/stop" ] && [ $i -lt $MAX_WRITES ]; do
		i=$((i + 1))
		out=$(timeout 60 psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$HA_URI" \
		    -c "INSERT INTO smoke (id) VALUES ($i) RETURNING id" 2>> "$T/writer.err")
		rc=$?
		if [ $rc = 0 ] && [ "$out" = "$i" ]; then
			echo "$i ok $(ha_now_ms)"
		else
			echo "$i fail $(ha_now_ms) $rc"
			sleep 0.1
		fi
	done > "$T/writes"
}

# acked_since MS: how many writes were acknowledged after time MS.
acked_since() { awk -v t="$1" '$2 == "ok" && $3 > t' "$T/writes" | wc -l; }

# wait_writes_resume MS: waits (90 s at most) for a write acknowledged after time MS, and
# prints the seconds from MS to it.
wait_writes_resume() {
	local i first
	for i in $(seq 900); do
		first=$(awk -v t="$1" '$2 == "ok" && $3 > t { print $3; exit }' "$T/writes")
		[ -z "$first" ] || { ha_secs $((first - $1)); echo; return 0; }
		sleep 0.1
	done
	return 1
}

# freeze N: SIGSTOPs node N for $FREEZE seconds and thaws it; sets t_stop and t_cont.
freeze() {
	ha_stop_node "$1"
	t_stop=$(ha_now_ms)
	sleep "$FREEZE"
	t_cont=$(ha_now_ms)
	ha_cont_node "$1"
}

ha_start "$T/ha" || exit 1
psql -X -q -v ON_ERROR_STOP=1 -d "$HA_URI" -c 'CREATE TABLE smoke (id integer NOT NULL)' ||
    exit 1
t_start=$(ha_now_ms)
write_loop &
writer=$!
sleep 5

# 1. The leader's machine dies.
killed=$(ha_kill_leader) || exit 1
t_kill=$(ha_now_ms)
say "killed node$killed, the leader"
failover=$(ha_wait_leader) || exit 1
leader=$(ha_leader)
say "node$leader leads after $failover s"
resumed=$(wait_writes_resume "$t_kill")
check "writes resume after the failover ($resumed s after the kill)" [ -n "$resumed" ]
sleep 3

# 2. The only standby left freezes: no write may be acknowledged meanwhile.
standby=$(ha_wait_sync) || exit 1
check "a synchronous standby is left after the failover (node$standby)" [ -n "$standby" ]
say "freezing node$standby, the only standby, for $FREEZE s"
freeze "$standby"
held=$(awk -v a=$((t_stop + 1000)) -v b="$t_cont" '$2 == "ok" && $3 > a && $3 < b' "$T/writes" |
    wc -l)
check "no write acknowledged while the only standby was frozen ($held)" [ "$held" = 0 ]
thawed=$(wait_writes_resume "$t_cont")
check "writes resume once it thaws ($thawed s after)" [ -n "$thawed" ]

# 3. The killed node comes back.
say "restarting node$killed"
check "node$killed rejoins as a streaming standby" ha_restart_node "$killed"
check "the cluster is healthy again" ha_wait_healthy
rewound=$(grep -c 'pg_rewind exit code=0' "$HA_DIR/node$killed/patroni.log")
say "node$killed rewound with pg_rewind: $rewound time(s)"

# 4. The synchronous standby of three freezes: writes must go on through the other one.
standby=$(ha_wait_sync) || exit 1
say "freezing node$standby, the synchronous standby, until writes go on without it"
ha_stop_node "$standby"
t_stop=$(ha_now_ms)
stall=$(wait_writes_resume "$((t_stop + 1000))")
t_cont=$(ha_now_ms)
ha_cont_node "$standby"
check "writes go on while the synchronous standby is frozen (after $stall s)" [ -n "$stall" ]
check "the cluster is healthy again after the thaw" ha_wait_healthy
sleep 3
touch "$T/stop"
wait "$writer"
writer=

# The audit.
ha_psql -Atc 'SELECT id, count(*) FROM smoke GROUP BY id ORDER BY id' > "$T/rows" || exit 1
awk '$2 == "ok" { print $1 }' "$T/writes" | sort -n > "$T/acked"
acked=$(wc -l < "$T/acked")
attempts=$(wc -l < "$T/writes")
fails=$(awk '$2 == "fail"' "$T/writes" | wc -l)
missing=$(awk -F'|' 'NR == FNR { n[$1] = $2; next } n[$1] != 1' "$T/rows" "$T/acked" | wc -l)
dups=$(awk -F'|' '$2 != 1' "$T/rows" | wc -l)
extra=$(awk -F'|' 'NR == FNR { a[$1]; next } !($1 in a)' "$T/acked" "$T/rows" | wc -l)
check "$acked acknowledged ids each in the table exactly once ($missing not)" [ "$missing" = 0 ]
check "no id twice in the table ($dups)" [ "$dups" = 0 ]
sleep 2
want=$(ha_psql -Atc 'SELECT count(*), sum(id) FROM smoke')
for n in 1 2 3; do
	port=HA_PG_PORT_$n
	got=$(psql -X -Atc 'SELECT count(*), sum(id) FROM smoke' \
	    -d "host=127.0.0.1 port=${!port} user=postgres dbname=$HA_DB_NAME")
	check "node$n holds the leader's rows ($got)" [ "$got" = "$want" ]
done
gap=$(awk '$2 == "ok" { if (last && $3 - last > max) max = $3 - last; last = $3 }
    END { print max + 0 }' "$T/writes")
echo "# failover: new leader $failover s after the kill," \
    "first write acknowledged $resumed s after it"
echo "# longest gap between acknowledged writes: $(ha_secs "$gap") s"
echo "# statements: $attempts, acknowledged $acked, failed $fails;" \
    "$extra unacknowledged but in the table"
echo "# synchronous standby frozen: writes went on after $stall s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
