# pg.sh: a private PostgreSQL server for one test, sourced by lib.sh when TWHOOK_STORE=postgres.
# The server runs from a copy of a cluster that initdb made once per build (tests/pg-template,
# made under a lock by whichever test comes first), on a free loopback port, with its socket
# and data in the test's scratch directory.  PostgreSQL refuses to run as root, so when the
# tests run as root (as CI does) the server runs as the unprivileged user nobody.  It trusts
# loopback connections: the database is the test's own and lives only as long as the test.
# Durability is not under test here, so fsync is off.  tests/bench/postgres.sh sources it too,
# for a server of its own (pg_dir, pg_initdb, pg_server_start, pg_stop, pg_sql); what it needs
# of its host: T, skip_all, bail and free_port (and top_builddir for pg_template and pg_start).

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] ||
    skip_all "PostgreSQL is not installed (apt-get install postgresql)"
command -v psql > /dev/null || skip_all "psql is not installed (apt-get install postgresql-client)"
PG_USER=
[ "$(id -u)" != 0 ] || PG_USER=nobody

# as_pg COMMAND...: COMMAND as the server's user.
as_pg() {
	if [ -n "$PG_USER" ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi
}

# pg_owned DIR: DIR, made and owned by the server's user.
pg_owned() {
	mkdir -p "$1" && { [ -z "$PG_USER" ] || chown "$PG_USER" "$1"; }
}

# pg_initdb DIR LOG: a new cluster in DIR (made, owned by the server's user), initdb's output in
# LOG: UTF8, the C.UTF-8 locale, one superuser twhook whom loopback connections need no password.
pg_initdb() {
	pg_owned "$1" && as_pg "$PG_BIN/initdb" -D "$1" -A trust -U twhook -E UTF8 \
	    --locale=C.UTF-8 -N > "$2" 2>&1
}

# pg_template: the initdb-made cluster every test copies, made once per build.
pg_template() {
	_tpl=$top_builddir/tests/pg-template
	(
		flock 9
		if [ ! -d "$_tpl" ]; then
			rm -rf "$_tpl.tmp"
			pg_initdb "$_tpl.tmp" "$_tpl.log" && mv "$_tpl.tmp" "$_tpl"
		fi
	) 9> "$_tpl.lock"
	[ -d "$_tpl" ] || bail "initdb failed: $(tail -n 20 "$_tpl.log")"
}

# pg_start DIR: the test's server, its files in DIR; sets PG_PORT, PG_DIR and PG_URI (the
# database twhook, empty).
pg_start() {
	pg_template
	pg_dir "$1"
	cp -a "$top_builddir/tests/pg-template" "$PG_DIR/data" || bail "copying the cluster failed"
	pg_server_start -c fsync=off -c full_page_writes=off -c max_connections=200
}

# pg_dir DIR: PG_DIR, the directory of the server's files, made and owned by the server's user,
# in the scratch directory $T (which that user may now pass through).
pg_dir() {
	PG_DIR=$1
	[ -z "$PG_USER" ] || chmod 711 "$T"
	pg_owned "$PG_DIR"
}

# pg_server_start [SETTING...]: the server of the cluster in $PG_DIR/data, on a free loopback
# port, its socket in $PG_DIR and its log in $PG_DIR/log, with the postgres options SETTING
# ("-c name=value") besides; sets PG_PORT and PG_URI (the database twhook, made empty).
pg_server_start() {
	PG_SETTINGS="$*"
	_try=0
	until PG_PORT=$(free_port) && pg_run; do
		_try=$((_try + 1))
		# Another program may have taken the port since free_port saw it free.
		grep -q 'Address already in use' "$PG_DIR/log" && [ $_try -lt 5 ] ||
		    bail "PostgreSQL did not start: $(tail -n 20 "$PG_DIR/log")"
		: > "$PG_DIR/log"
	done
	PG_URI=postgresql://twhook@127.0.0.1:$PG_PORT/twhook
	pg_recreate_db || bail "creating the test database failed"
}

# pg_restart: the server started again (after pg_stop), on its port, with its data and settings.
pg_restart() {
	pg_run || bail "PostgreSQL did not start again: $(tail -n 20 "$PG_DIR/log")"
}

# pg_run: the server of $PG_DIR started on PG_PORT with PG_SETTINGS; fails as pg_ctl does.
pg_run() {
	as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 60 -o "-p $PG_PORT \
	    -k $PG_DIR -c listen_addresses=127.0.0.1 $PG_SETTINGS" start > /dev/null
}

# pg_stop: the server stops, whatever state it is in.
pg_stop() {
	[ -n "${PG_DIR:-}" ] && [ -f "$PG_DIR/data/postmaster.pid" ] || return 0
	as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop > /dev/null 2>&1 ||
	    kill -9 "$(head -n 1 "$PG_DIR/data/postmaster.pid")" 2> /dev/null
}

# pg_recreate_db [NAME [ENCODING]]: the database NAME (twhook), empty, in ENCODING (UTF8),
# whoever is still connected to the old one.
pg_recreate_db() {
	psql -X -q -v ON_ERROR_STOP=1 "postgresql://twhook@127.0.0.1:$PG_PORT/postgres" \
	    -c "DROP DATABASE IF EXISTS \"${1:-twhook}\" WITH (FORCE)" \
	    -c "CREATE DATABASE \"${1:-twhook}\" ENCODING '${2:-UTF8}' TEMPLATE template0" \
	    > /dev/null
}

# pg_sql URI [STATEMENTS...]: psql, printing rows as sqlite3 does (columns joined by '|').
pg_sql() {
	_uri=$1
	shift
	_args=()
	for _s; do _args+=(-c "$_s"); done
	[ $# -gt 0 ] || _args=(-f -)
	psql -X -q -A -t -F '|' -v ON_ERROR_STOP=1 "$_uri" "${_args[@]}"
}

# pg_dump_data URI: every row, as INSERT statements: not the \restrict lines, whose key
# pg_dump draws at random each time, nor the sequences' positions, which are no rows (a
# rolled-back insert or a restart after a crash moves them on).
pg_dump_data() {
	pg_dump --data-only --inserts --no-owner "$1" |
	    grep -Ev '^(\\(un)?restrict |SELECT pg_catalog\.setval\()'
}

# pg_hold_locks LOCKED RELEASE [STATEMENT]: a session that locks every table the endpoints write
# against writers (readers go on), or runs the locking STATEMENT instead, touches LOCKED, and
# commits when a line is written to RELEASE.
pg_hold_locks() {
	psql -X -q -v ON_ERROR_STOP=1 "$PG_URI" > /dev/null <<-SQL
	BEGIN;
	${3:-LOCK TABLE customers, customer_channels, workers, client_bindings, routing_state,
	    idempotency_claims, outbox, proxy_participants, proxy_interactions, proxy_intercepts
	    IN EXCLUSIVE MODE;}
	\! touch '$1'
	\! cat '$2' > /dev/null
	COMMIT;
	SQL
}
