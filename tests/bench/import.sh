#!/bin/bash
# import.sh: `twhook import customers` on a large file: CUSTOMERS customers (1,000,000 by
# default) with two channels each, as JSON into a fresh SQLite store, the same file again with
# --sync (every customer unchanged), and as CSV into another fresh store.  For each: the
# seconds, the peak resident memory, and a check that the store holds every customer and that
# the search index finds the last one by name and by channel.  With -R the customer ids are
# in random order (hex, as many CRMs' ids are) instead of c1, c2, ...  README.md in this
# folder says how to read what it prints.
#
#   tests/bench/import.sh [-n CUSTOMERS] [-R] BUILD_DIR
#
# Exit status: 0 when every import ran and its store checked out, 1 otherwise, 2 on a usage
# error.  It never judges the timings.
set -euo pipefail
LC_ALL=C
export LC_ALL

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
n=1000000
random_ids=0
usage="usage: $0 [-n CUSTOMERS] [-R] BUILD_DIR"
while getopts n:R opt; do
	case $opt in
	n) n=$OPTARG ;;
	R) random_ids=1 ;;
	*) echo "$usage" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] && [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "$usage" >&2; exit 2; }
BUILD=$(cd "$1" && pwd)
TWHOOK=$BUILD/src/twhook
[ -x "$TWHOOK" ] || die "$TWHOOK is not built"
need_tools sqlite3 awk /usr/bin/time
bench_start
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# customers FORMAT: N customers, 50 workers, an sms and an email channel each; customer i's
# id is ci, or with -R eight random hex digits and i in hex (unique, in random order).
customers() {
	awk -v n="$n" -v csv="$1" -v random_ids="$random_ids" 'BEGIN {
		srand(19)
		if (csv) print "customer_id,display_name,worker,sms,email"; else print "["
		for (i = 1; i <= n; i++) {
			id = random_ids ? sprintf("%08x-%x", int(rand() * 4294967295), i) : "c" i
			if (csv)
				printf "%s,Customer %d Name%d,worker%d@example.com,+1555%07d,c%d@example.com\n", id, i, i % 977, i % 50, i, i
			else
				printf "{\"customer_id\":\"%s\",\"display_name\":\"Customer %d Name%d\",\"worker\":\"worker%d@example.com\",\"channels\":[{\"type\":\"sms\",\"value\":\"+1555%07d\"},{\"type\":\"email\",\"value\":\"c%d@example.com\"}]}%s\n", id, i, i % 977, i % 50, i, i, i < n ? "," : ""
		}
		if (!csv) print "]"
	}'
}

# store NAME: a fresh store $T/NAME.db and its configuration $T/NAME.conf.
store() {
	printf 'database = %s\nauth_token = bench\n' "$T/$1.db" > "$T/$1.conf"
	chmod 600 "$T/$1.conf"
	"$TWHOOK" -c "$T/$1.conf" init > /dev/null
}

# measure LABEL STORE FILE [OPTIONS]: imports FILE into STORE, prints a line of the report.
measure() {
	local label=$1 name=$2 file=$3 secs rss count found
	shift 3
	/usr/bin/time -f '%e %M' -o "$T/time" "$TWHOOK" -c "$T/$name.conf" import customers "$@" \
	    "$file" > "$T/out" 2> "$T/err" || die "$label: $(cat "$T/err")"
	read -r secs rss < "$T/time"
	count=$(sqlite3 "$T/$name.db" 'SELECT count(*) FROM customers')
	[ "$count" = "$n" ] || die "$label: $count customers in the store, not $n"
	# The last customer, by a word of its name and by its phone number, through the index.
	found=$(sqlite3 "$T/$name.db" "SELECT count(*) FROM customers_search
	    WHERE customers_search MATCH '\"w$(sqlite3 "$T/$name.db" "SELECT code FROM
	    search_workers WHERE worker = 'worker$((n % 50))@example.com'")xname$((n % 977))\" AND
	    \"w$(sqlite3 "$T/$name.db" "SELECT code FROM search_workers WHERE
	    worker = 'worker$((n % 50))@example.com'")x1555$(printf %07d "$n")\"'")
	[ "$found" -ge 1 ] || die "$label: the search index does not find the last customer"
	printf '%-32s %8s s %8s MiB   %s\n' "$label" "$secs" "$((rss / 1024))" "$(cat "$T/out")"
}

say "writing $n customers as JSON and as CSV"
customers 0 > "$T/customers.json"
customers 1 > "$T/customers.csv"
# The files (270 MB for a million) written out now, not by the kernel's writeback in the first
# import, where they would compete with the import's own commit for the disk.
sync
report_title "import.sh: twhook import customers, $n customers with two channels each$(
    [ "$random_ids" = 0 ] || echo ", ids in random order")"
echo "machine: $(nproc) CPUs, $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo), sqlite3 $(sqlite3 -version | cut -d' ' -f1)"
echo "files: JSON $(($(stat -c %s "$T/customers.json") / 1048576)) MiB, CSV $(($(stat -c %s "$T/customers.csv") / 1048576)) MiB"
store json
measure "JSON into a fresh store" json "$T/customers.json"
measure "the same JSON again, --sync" json "$T/customers.json" --sync
store csv
measure "CSV into a fresh store" csv "$T/customers.csv"
load_average
