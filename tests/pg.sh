# pg.sh: a private PostgreSQL server for one test, sourced by lib.sh when TWHOOK_STORE=postgres.
# The server runs from a copy of a cluster that initdb made once per build (tests/pg-template,
# made under a lock by whichever test comes first), on a free loopback port, with its socket
# and data in the test's scratch directory.  PostgreSQL refuses to run as root, so when the
# tests run as root (as CI does) the server runs as the unprivileged user nobody.  It trusts
# loopback connections: the database is the test's own and lives only as long as the test.
# Durability is not under test here, so fsync is off.

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

# pg_template: the initdb-made cluster every test copies, made once per build.
pg_template() {
	_tpl=$top_builddir/tests/pg-template
	(
		flock 9
		if [ ! -d "$_tpl" ]; then
			rm -rf "$_tpl.tmp"
			pg_owned "$_tpl.tmp" &&
			    as_pg "$PG_BIN/initdb" -D "$_tpl.tmp" -A trust -U twhook -E UTF8 \
			    --locale=C.UTF-8 -N > "$_tpl.log" 2>&1 && mv "$_tpl.tmp" "$_tpl"
		fi
	) 9> "$_tpl.lock"
	[ -d "$_tpl" ] || bail "initdb failed: $(tail -n 20 "$_tpl.log")"
}

# pg_start DIR: the test's server, its files in DIR; sets PG_PORT, PG_DIR and PG_URI (the
# database twhook, empty).
pg_start() {
	PG_DIR=$1
	pg_template
	[ -z "$PG_USER" ] || chmod 711 "$T"
	pg_owned "$PG_DIR"
	cp -a "$top_builddir/tests/pg-template" "$PG_DIR/data" || bail "copying the cluster failed"
	PG_PORT=$(free_port)
	pg_restart
	PG_URI=postgresql://twhook@127.0.0.1:$PG_PORT/twhook
	pg_recreate_db || bail "creating the test database failed"
}

# pg_restart: the server started again (after pg_stop) on its port, with its data.
pg_restart() {
	as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 60 -o "-p $PG_PORT \
	    -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off \
	    -c max_connections=200" start > /dev/null ||
	    bail "PostgreSQL did not start: $(tail -n 20 "$PG_DIR/log")"
}

# pg_stop: the server stops, whatever state it is in.
pg_stop() {
	[ -n "${PG_DIR:-}" ] && [ -f "$PG_DIR/data/postmaster.pid" ] || return 0
	as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop > /dev/null 2>&1 ||
	    kill -9 "$(head -n 1 "$PG_DIR/data/postmaster.pid")" 2> /dev/null
}

# pg_recreate_db [NAME]: the database NAME (twhook), empty, whoever is still connected to the
# old one.
pg_recreate_db() {
	psql -X -q -v ON_ERROR_STOP=1 "postgresql://twhook@127.0.0.1:$PG_PORT/postgres" \
	    -c "DROP DATABASE IF EXISTS \"${1:-twhook}\" WITH (FORCE)" \
	    -c "CREATE DATABASE \"${1:-twhook}\" ENCODING 'UTF8' TEMPLATE template0" > /dev/null
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
