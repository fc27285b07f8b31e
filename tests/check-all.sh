#!/bin/bash
# check-all.sh: the whole test suite, from a fresh Debian machine to a verdict.  It installs what
# the build and the tests need (contrib/install-deps.sh), then:
#   1. builds with -Werror and runs `make check-rest` on SQLite stores: every test (unit, CGI,
#      FastCGI, lighttpd, Apache and man tests) but those pass 3 runs in this build;
#   2. builds with --enable-sanitizers (ASan, UBSan) and runs `make check` again (but for
#      the engines' search comparison, which pass 1 ran);
#   3. runs the other shell tests, those that walk every endpoint, the dispatcher and the
#      console (`make check-valgrind`), with every program under valgrind;
#   4. runs every shell test on PostgreSQL (TWHOOK_STORE=postgres: a server of each test's
#      own), in the sanitizer build (not under valgrind, which pass 3 covers on SQLite: the
#      driver's own code runs under ASan here);
#   5. runs the load, fault and memory tests (make check-slow) in both builds, and the
#      three-node failover test (ha.test) and the Debian package's round trip (debian.test:
#      built, installed, removed and purged; as root only) in the plain one;
#   6. fuzzes each parser with libFuzzer (clang) for $FUZZ_SECONDS (default 20) seconds;
#   7. runs `make distcheck`, whose own `make check` is a sample of the suite (the unit, tool,
#      CRM, install and man tests): the whole suite ran twice above, and distcheck is there
#      to prove the tarball builds, installs and tests from itself.
# Each assertion of each `make check` counts, and each build step counts as one.  The last line
# is "N passed, N failed"; the exit status is 0 only when nothing failed.
# Builds go to $CHECK_DIR (default: _check in the source tree).
set -u
cd "$(dirname "$0")/.." || exit 1
top=$(pwd)
work=${CHECK_DIR:-$top/_check}
jobs=$(nproc 2>/dev/null || echo 2)
passed=0
failed=0

# say WHAT: a heading, with the minutes since the start (CI must end within the hour).
say() { printf '\n=== %s (at %d min)\n' "$*" $((SECONDS / 60)); }

# step NAME COMMAND...: one counted step; its output goes to $work/NAME.log, shown on failure.
step() {
	_name=$1
	shift
	if "$@" > "$work/$_name.log" 2>&1; then
		passed=$((passed + 1))
		echo "PASS: $_name"
	else
		failed=$((failed + 1))
		echo "FAIL: $_name (last lines of $work/$_name.log follow)"
		tail -n 40 "$work/$_name.log"
	fi
}

# count BUILD: adds the assertions of BUILD's last `make check` to the totals.
count() {
	_log=$1/tests/test-suite.log
	if [ ! -f "$_log" ]; then
		failed=$((failed + 1))
		echo "FAIL: $1 has no tests/test-suite.log"
		return
	fi
	_p=$(awk '/^# PASS:/ { n += $3 } END { print n + 0 }' "$_log")
	_f=$(awk '/^# (FAIL|ERROR|XPASS):/ { n += $3 } END { print n + 0 }' "$_log")
	_s=$(awk '/^# SKIP:/ { n += $3 } END { print n + 0 }' "$_log")
	passed=$((passed + $_p))
	failed=$((failed + $_f))
	echo "$1: $_p passed, $_f failed, $_s skipped"
	if [ "$_f" -ne 0 ]; then
		grep -E '^(FAIL|ERROR|XPASS):' "$_log" | head -n 40
		grep -E -A6 '^not ok' "$_log" | head -n 80
		grep -A12 'Bail out!' "$_log" | head -n 60
	fi
	if [ "$_s" -ne 0 ]; then
		grep -E '^SKIP:' "$_log"
	fi
}

# build NAME CONFIGURE-ARGS...: configures and builds in $work/NAME.
build() {
	_dir=$work/$1
	shift
	rm -rf "$_dir"
	mkdir -p "$_dir"
	(cd "$_dir" && "$top/configure" "$@" && make -j"$jobs")
}

say "installing dependencies"
contrib/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
mkdir -p "$work"

say "autoreconf"
step autoreconf autoreconf -fi

say "plain build (-Werror) and make check-rest"
step build-plain build plain CFLAGS="-g -O2 -Werror"
# (Not the tests of pass 3, which runs them in this build under valgrind: the same assertions on
# the same programs, though unconfined, since valgrind makes the system calls itself.  They took
# five minutes here.  The sanitizer and PostgreSQL passes run them confined and at full speed,
# and this pass's lighttpd, Apache, CRM, sandbox and WAL tests run this build's programs
# confined.)
(cd "$work/plain/tests" && make -j"$jobs" check-rest > "$work/check-plain.log" 2>&1)
count "$work/plain"

say "sanitizer build (address, undefined) and make check"
step build-sanitizers build sanitizers --enable-sanitizers CFLAGS="-g -O1"
# (Not search-engines.test, minutes under the sanitizers: its searches run the code crm.test
# runs here and under valgrind, and the plain pass compares the engines.)
(cd "$work/sanitizers" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
    UBSAN_OPTIONS=print_stacktrace=1 make -j"$jobs" check COMPARE_TESTS= \
    > "$work/check-sanitizers.log" 2>&1)
count "$work/sanitizers"

say "shell tests under valgrind (make check-valgrind)"
# (Not lighttpd.test nor apache.test: their endpoints' code runs under valgrind in the others,
# and the web servers' own start-up would only be timed; pass 1 runs them.  Nor crm.test, whose
# endpoint hostile.test runs here too and which the other passes run whole: its four minutes
# here went to console.test and metrics.test.  hostile.test walks four of the endpoints here,
# which took 10 of its 19 minutes with all nine.)
(cd "$work/plain/tests" && make -j"$jobs" check-valgrind > "$work/check-valgrind.log" 2>&1)
count "$work/plain"

say "every shell test on PostgreSQL (sanitizer build)"
# (Ten free races of two copies per writing endpoint in idempotency.test, not twenty: the
# row and advisory locks are proven by the first few, and the twenty took three minutes here.)
(cd "$work/sanitizers/tests" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
    UBSAN_OPTIONS=print_stacktrace=1 IDEMPOTENCY_RACES=10 make -j"$jobs" check-postgres \
    > "$work/check-postgres.log" 2>&1)
count "$work/sanitizers"

say "load and faults (make check-slow), plain and sanitizer builds"
(cd "$work/plain/tests" && make check-slow > "$work/check-slow-plain.log" 2>&1)
count "$work/plain"
# (memory.test with 20,000 requests an endpoint, not 100,000: LeakSanitizer checks each process
# as it ends whatever the number, and VmRSS flatness, which needs the 100,000, is the plain
# build's to prove: its full run alone took 6.6 min here (900,000 requests), and ASan makes
# each request several times dearer.)
(cd "$work/sanitizers/tests" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
    UBSAN_OPTIONS=print_stacktrace=1 MEMORY_REQUESTS=20000 make check-slow \
    SLOW_TESTS="faults.test memory.test" > "$work/check-slow-sanitizers.log" 2>&1)
count "$work/sanitizers"

say "fuzzing the parsers (libFuzzer, ${FUZZ_SECONDS:-20} s each)"
step build-fuzz build fuzz --enable-fuzzing CC=clang CFLAGS="-g -O1"
step fuzz make -C "$work/fuzz/tests" fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-20}"

say "make distcheck"
step distcheck make -C "$work/plain" distcheck \
    TESTS="unit/test_signature unit/test_conf tool.test crm.test install.test man.test"

say "done"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
