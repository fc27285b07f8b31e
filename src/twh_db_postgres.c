/*
 * twh_db_postgres.c: the PostgreSQL driver (twh_db_internal.h), on libpq.  The target is a libpq
 * URI, with several hosts and target_session_attrs when the store is replicated.
 *
 * Every call has a deadline, the connection's patience: libpq would wait for ever on a server
 * that stopped answering, so a statement is sent, then waited for in poll(2), and cancelled
 * when the deadline passes; the connection is then dropped.  A lost connection, a lock or
 * replication wait past the deadline, a serialization failure or a write sent to a standby are
 * "try again" (the endpoints answer 503 with Retry-After), and the next call connects anew.  A
 * transaction whose connection was lost stays failed until it is rolled back, so nothing of it
 * can run on the next connection by itself.
 *
 * Connecting tries the URI as written (its target_session_attrs, read-write for a cluster).
 * When that fails, a connection for reading settles for any server that answers, a standby
 * during a failover, so that reading endpoints keep answering, and asks for a primary again
 * every STANDBY_RECHECK_MS; the next write transaction connects to a primary again or fails
 * as "try again".
 *
 * Statements are prepared once per connection.  A transaction's BEGIN is not waited for by
 * itself: it goes in one pipeline with the transaction's first statement.  A read-only
 * transaction's COMMIT is not waited for either (it cannot undo an answer already read): its
 * answer is read before the connection's next use.  Writers of one key take turns on an advisory
 * lock.  Unsynchronized commits are synchronous_commit = off.  A dispatcher LISTENs to
 * twhook_outbox, which the outbox's trigger NOTIFYs.  The search tokenizer is SQLite's, on an
 * in-memory connection, so that both engines cut a search into the same words.
 *
 * The answers to statements marked cached (reads of the customer tables) are kept
 * (twh_db_postgres_cache.h) while the connection is to a primary that LISTENs to
 * twhook_customers, which the customer tables' triggers NOTIFY on every edit: the notifications
 * are read before each such statement, and any of them forgets every answer, as do a new
 * connection and a lost one.  A statement found there costs no round trip; a transaction whose
 * statements all were sends neither BEGIN nor COMMIT.  An answer read in a snapshot older than
 * the last forgetting is not kept.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "config.h"
#include "twh_clock.h"
#include "twh_db_internal.h"
#include "twh_db_postgres_cache.h"

#define STMT_CACHE		32
#define MAX_PARAMS		32
#define CONNECT_TIMEOUT_S	"2"	/* per host, unless the URI says otherwise */
#define STANDBY_RECHECK_MS	10000.0	/* how often a reader on a standby asks for a primary */
#define BOOL_OID		16

struct pg_stmt {
	struct twh_db_stmt	 base;
	struct pg_db		*db;
	const struct twh_sql	*sql;
	char			*text;		/* the PostgreSQL text, $N parameters */
	int			 n_params;
	unsigned		 prepared_on;	/* the connection's generation; 0: never */
	const char		*values[MAX_PARAMS];
	char			 numbers[MAX_PARAMS][32];
	PGresult		*result;
	int			 row;		/* the current row; -1 before the first step */
};

struct pg_db {
	struct twh_db		 base;
	PGconn			*conn;
	char			*uri;
	unsigned		 generation;	/* counts connections, for prepared statements */
	bool			 on_standby;	/* connected to any server, after the primary failed */
	double			 standby_since;	/* when a primary was last asked for (monotonic ms) */
	bool			 in_transaction;
	bool			 writing;	/* the transaction is a write transaction */
	bool			 begin_pending;	/* its BEGIN goes with its first statement */
	bool			 commit_pending; /* a read-only COMMIT sent, its answer unread */
	bool			 broken;	/* the transaction's connection was lost */
	bool			 timed_out;	/* the last call was given up at its deadline */
	bool			 unsynced;	/* synchronous_commit = off */
	bool			 listening;	/* LISTEN twhook_outbox on every connection */
	int			 patience_ms;	/* 0: no deadline */
	long long		 changes;
	struct pg_stmt		 cache[STMT_CACHE];
	size_t			 n_cached;
	bool			 retry;		/* the last failure is worth another try */
	char			 message[512];	/* why the last call failed; "" when it did not */
	struct twh_db		*tokenizer;	/* in-memory SQLite, opened on first use */
	struct pg_cache		*answers;	/* NULL: none (memory ran out) */
	unsigned		 edits_heard_on; /* the generation that LISTENs to twhook_customers */
	unsigned		 edits_asked_on; /* the generation that was asked to */
	unsigned long		 transaction_epoch; /* the cache's epoch when it began */
};

#define DB(db)		((struct pg_db *)(db))
#define CDB(db)		((const struct pg_db *)(db))
#define STMT(st)	((struct pg_stmt *)(st))

enum target {
	AS_WRITTEN,	/* the URI's own target_session_attrs */
	ANY_SERVER	/* target_session_attrs=any: a standby will do */
};

static void	fail(struct pg_db *, bool, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	settle_commit(struct pg_db *);

/* Keeps why the last call failed (FMT), and whether trying again may help. */
static void
fail(struct pg_db *db, bool retry, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 n;
	char	*c;

	va_start(ap, fmt);
	vsnprintf(db->message, sizeof(db->message), fmt, ap);
	va_end(ap);
	/* libpq's messages end in a newline, and may hold more (a server's DETAIL, a connection's
	 * hint), which would split a log line: the message is made one line. */
	n = strlen(db->message);
	while (n > 0 && (db->message[n - 1] == '\n' || db->message[n - 1] == ' '))
		db->message[--n] = '\0';
	for (c = db->message; *c != '\0'; c++)
		if (*c == '\n' || *c == '\r' || *c == '\t')
			*c = ' ';
	db->retry = retry;
}

static void
disconnect(struct pg_db *db)
{
	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = NULL;
	db->on_standby = false;
	db->commit_pending = false;
	pg_cache_forget(db->answers);	/* notifications are lost with the connection */
	/* A transaction whose BEGIN was never sent lost nothing. */
	if (db->in_transaction && !db->begin_pending)
		db->broken = true;
}

/* Runs COMMAND on a fresh connection, without a deadline (it is the connection's own setup). */
static int
setup(struct pg_db *db, const char *command)
{
	PGresult	*r = PQexec(db->conn, command);
	int		 rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;

	if (rc == -1)
		fail(db, true, "%s", PQerrorMessage(db->conn));
	PQclear(r);
	return rc;
}

/* A new connection to TARGET, or NULL with the reason kept. */
static PGconn *
open_connection(struct pg_db *db, enum target target)
{
	const char	*keys[] = { "connect_timeout", "application_name", "dbname",
			    target == ANY_SERVER ? "target_session_attrs" : NULL, NULL };
	const char	*values[] = { CONNECT_TIMEOUT_S, "twhook", db->uri, "any", NULL };
	PGconn		*conn;

	/* Later keywords win: the URI's own connect_timeout overrides the default before it. */
	conn = PQconnectdbParams(keys, values, 1);
	if (conn != NULL && PQstatus(conn) == CONNECTION_OK)
		return conn;
	fail(db, true, "%s", conn != NULL ? PQerrorMessage(conn) : "out of memory");
	PQfinish(conn);
	return NULL;
}

/* Makes CONN, to TARGET, the connection, set up as every connection is: 0 or -1. */
static int
use_connection(struct pg_db *db, PGconn *conn, enum target target)
{
	disconnect(db);
	db->conn = conn;
	db->generation++;
	db->on_standby = target == ANY_SERVER;
	db->standby_since = twh_monotonic_ms();
	if ((db->unsynced && setup(db, "SET synchronous_commit = off") == -1) ||
	    (db->listening && target != ANY_SERVER && setup(db, "LISTEN twhook_outbox") == -1)) {
		disconnect(db);
		return -1;
	}
	return 0;
}

static int
connect_to(struct pg_db *db, enum target target)
{
	PGconn	*conn = open_connection(db, target);

	return conn != NULL ? use_connection(db, conn, target) : -1;
}

/*
 * A connection for WRITE (a primary) or for reading (a standby will do when none is).  A
 * reader on a standby asks again for a primary every STANDBY_RECHECK_MS, between
 * transactions, and keeps the standby while none answers.
 */
static int
ensure_connected(struct pg_db *db, bool write)
{
	PGconn	*conn;

	settle_commit(db);
	if (db->broken) {
		fail(db, true, "%s", "the connection was lost during the transaction");
		return -1;
	}
	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK && !(write && db->on_standby)) {
		if (!db->on_standby || db->in_transaction ||
		    twh_elapsed_ms(db->standby_since) < STANDBY_RECHECK_MS)
			return 0;
		db->standby_since = twh_monotonic_ms();
		if ((conn = open_connection(db, AS_WRITTEN)) == NULL)
			return 0;
		return use_connection(db, conn, AS_WRITTEN) == 0 ? 0 : connect_to(db, ANY_SERVER);
	}
	if (connect_to(db, AS_WRITTEN) == 0)
		return 0;
	return write ? -1 : connect_to(db, ANY_SERVER);
}

static bool
retryable_state(const char *state)
{
	static const char *const states[] = {
		"40001",	/* serialization failure, or a standby's conflict with recovery */
		"40P01",	/* deadlock */
		"55P03",	/* lock not available */
		"57014",	/* cancelled: our deadline */
		"25006",	/* read-only transaction: a standby, or a demoted primary */
		"57P01", "57P02", "57P03",	/* the server is shutting down or starting */
		"53300",	/* too many connections */
		NULL
	};
	size_t	 i;

	if (state == NULL)
		return true;	/* no answer at all: the connection */
	if (strncmp(state, "08", 2) == 0)
		return true;	/* connection exceptions */
	for (i = 0; states[i] != NULL; i++)
		if (strcmp(state, states[i]) == 0)
			return true;
	return false;
}

/*
 * Waits until an answer can be read without blocking, up to the deadline: 0, or -1 when the
 * deadline passed and the connection was dropped.
 */
static int
await_answer(struct pg_db *db, double started)
{
	struct pollfd	 pfd = { PQsocket(db->conn), POLLIN, 0 };
	double		 left;

	/*
	 * Past the deadline the connection is closed, not cancelled: PQcancel connects to the
	 * server anew, and to a machine that died that would wait out TCP's own timeout.  The
	 * server rolls the transaction back when it sees the connection gone.
	 */
	while (PQisBusy(db->conn)) {
		left = db->patience_ms > 0 ? db->patience_ms - twh_elapsed_ms(started) : 1e9;
		if (left <= 0 || (poll(&pfd, 1, left > 1e6 ? -1 : (int)left + 1) == -1 &&
		    errno != EINTR)) {
			fail(db, true, "the database did not answer within %d ms",
			    db->patience_ms);
			db->timed_out = true;
			disconnect(db);
			return -1;
		}
		if (!PQconsumeInput(db->conn))
			break;	/* PQgetResult tells why */
	}
	return 0;
}

/*
 * Waits for the answer to one command sent, up to the deadline: its result (its error when
 * it has several), or NULL when there is none.
 */
static PGresult *
wait_result(struct pg_db *db, double started)
{
	PGresult	*last = NULL, *r;

	db->timed_out = false;
	for (;;) {
		if (await_answer(db, started) == -1) {
			PQclear(last);
			return NULL;
		}
		if ((r = PQgetResult(db->conn)) == NULL)
			break;
		if (last == NULL || PQresultStatus(r) == PGRES_FATAL_ERROR) {
			PQclear(last);
			last = r;
		} else
			PQclear(r);
	}
	if (last == NULL)
		fail(db, true, "%s", PQerrorMessage(db->conn));
	return last;
}

/* Checks R, keeping why it failed; the connection is dropped when it is the cause. */
static int
check(struct pg_db *db, PGresult *r)
{
	const char	*state, *primary, *detail;
	ExecStatusType	 status = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;

	if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
		db->message[0] = '\0';
		db->retry = false;
		return 0;
	}
	if (r == NULL) {
		if (db->conn != NULL && PQstatus(db->conn) != CONNECTION_OK)
			disconnect(db);
		return -1;
	}
	state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
	if (primary != NULL)
		fail(db, retryable_state(state), "%s%s%s", primary, detail != NULL ? ": " : "",
		    detail != NULL ? detail : "");
	else
		fail(db, retryable_state(state), "%s", PQresultErrorMessage(r));
	if (PQstatus(db->conn) != CONNECTION_OK || (state != NULL && (strcmp(state, "25006") == 0 ||
	    strncmp(state, "57P0", 4) == 0)))
		disconnect(db);
	return -1;
}

/*
 * Whether a call that failed may be made once more on a new connection: the old one turned
 * out dead (or its server was shutting down, or no longer the primary) before the call's
 * deadline, and no transaction was under way.  A FastCGI process's connection is found dead
 * by the first call after a failover: without this, that request would get a 503.
 */
static bool
worth_reconnecting(const struct pg_db *db)
{
	return db->conn == NULL && !db->timed_out && !db->broken &&
	    (!db->in_transaction || db->begin_pending);
}

/*
 * Reads the answer to a read-only COMMIT sent by pg_commit, before the connection is used
 * again.  Whatever it is, the transaction is over; a connection that gives no answer in time,
 * or a wrong one, is dropped, and the next call connects anew.
 */
static void
settle_commit(struct pg_db *db)
{
	PGresult	*r;

	if (!db->commit_pending)
		return;
	db->commit_pending = false;
	r = wait_result(db, twh_monotonic_ms());
	if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK)
		disconnect(db);
	PQclear(r);
}

/* Runs a command of no parameters with the deadline; for BEGIN, COMMIT and the like. */
static int
send_command(struct pg_db *db, const char *command, bool write)
{
	double		 started;
	PGresult	*r;
	int		 rc;

	if (ensure_connected(db, write) == -1)
		return -1;
	/* The deadline is the statement's: connecting has connect_timeout of its own. */
	started = twh_monotonic_ms();
	if (!PQsendQuery(db->conn, command)) {
		fail(db, true, "%s", PQerrorMessage(db->conn));
		disconnect(db);
		return -1;
	}
	r = wait_result(db, started);
	rc = check(db, r);
	PQclear(r);
	return rc;
}

static const char *
begin_command(bool write)
{
	return write ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
}

/*
 * Sends the transaction's BEGIN by itself, for a command that cannot go in a pipeline with
 * it; a BEGIN that met a dead connection is tried once more on a new one.
 */
static int
send_begin(struct pg_db *db)
{
	const char	*begin = begin_command(db->writing);
	int		 rc = send_command(db, begin, db->writing);

	if (rc == -1 && worth_reconnecting(db))
		rc = send_command(db, begin, db->writing);
	if (rc == 0)
		db->begin_pending = false;
	return rc;
}

/* COMMAND, in the transaction when one was begun. */
static int
run_command(struct pg_db *db, const char *command, bool write)
{
	if (db->begin_pending && send_begin(db) == -1)
		return -1;
	return send_command(db, command, write);
}

static void	pg_close(struct twh_db *);

static int
pg_open(const char *uri, enum twh_db_open how, int patience_ms, struct twh_db **out, char *err,
    size_t errlen)
{
	struct pg_db	*db;

	*out = NULL;
	if ((db = calloc(1, sizeof(*db))) == NULL || (db->uri = strdup(uri)) == NULL) {
		free(db);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	db->base.driver = &twh_db_postgres_driver;
	db->patience_ms = patience_ms;
	db->answers = pg_cache_new(TWH_DB_READ_CACHE_MS);
	if (ensure_connected(db, how == TWH_DB_CREATE) == -1) {
		snprintf(err, errlen, "%s", db->message);
		pg_close(&db->base);
		return -1;
	}
	*out = &db->base;
	return 0;
}

static void
pg_close(struct twh_db *base)
{
	struct pg_db	*db = DB(base);
	size_t		 i;

	for (i = 0; i < db->n_cached; i++) {
		PQclear(db->cache[i].result);
		free(db->cache[i].text);
	}
	db->in_transaction = false;
	disconnect(db);
	twh_db_close(db->tokenizer);
	pg_cache_free(db->answers);
	free(db->uri);
	free(db);
}

static void
pg_set_read_cache(struct twh_db *db, int ms)
{
	pg_cache_set_age(DB(db)->answers, ms);
}

static const char *
pg_error(const struct twh_db *db)
{
	return CDB(db)->message[0] != '\0' ? CDB(db)->message : NULL;
}

static bool
pg_retryable(const struct twh_db *db)
{
	return CDB(db)->message[0] != '\0' && CDB(db)->retry;
}

static void
pg_set_patience(struct twh_db *db, int ms)
{
	DB(db)->patience_ms = ms;
}

/* SQLite's ?N as PostgreSQL's $N, outside quotes; *N_PARAMS is the highest N. */
static char *
dollar_parameters(const char *text, int *n_params)
{
	char		*out = malloc(strlen(text) + 1), *o = out;
	const char	*p;
	char		 quote = 0;
	int		 n;

	*n_params = 0;
	if (out == NULL)
		return NULL;
	for (p = text; *p != '\0'; p++) {
		if (quote != 0 && *p == quote)
			quote = 0;
		else if (quote == 0 && (*p == '\'' || *p == '"'))
			quote = *p;
		else if (quote == 0 && (*p == '?' || *p == '$') && p[1] >= '0' && p[1] <= '9') {
			if ((n = atoi(p + 1)) > *n_params)
				*n_params = n;
			*o++ = '$';
			continue;
		}
		*o++ = *p;
	}
	*o = '\0';
	return out;
}

static struct twh_db_stmt *
pg_prepare(struct twh_db *base, const struct twh_sql *sql)
{
	struct pg_db	*db = DB(base);
	struct pg_stmt	*st;
	size_t		 i;

	for (i = 0; i < db->n_cached; i++)
		if (db->cache[i].sql == sql)
			break;
	st = &db->cache[i];
	if (i == db->n_cached) {
		if (db->n_cached == STMT_CACHE) {
			fail(db, false, "%s", "statement cache full");
			return NULL;
		}
		memset(st, 0, sizeof(*st));
		if ((st->text = dollar_parameters(sql->postgres != NULL ? sql->postgres :
		    sql->text, &st->n_params)) == NULL) {
			fail(db, false, "%s", "out of memory");
			return NULL;
		}
		if (st->n_params > MAX_PARAMS) {
			free(st->text);
			fail(db, false, "%s", "a statement has too many parameters");
			return NULL;
		}
		st->base.driver = &twh_db_postgres_driver;
		st->db = db;
		st->sql = sql;
		db->n_cached++;
	}
	PQclear(st->result);
	st->result = NULL;
	st->row = -1;
	memset(st->values, 0, sizeof(st->values));
	return &st->base;
}

static void
pg_bind_text(struct twh_db_stmt *base, int i, const char *value)
{
	if (i >= 1 && i <= MAX_PARAMS)
		STMT(base)->values[i - 1] = value;
}

static void
pg_bind_int(struct twh_db_stmt *base, int i, long long value)
{
	struct pg_stmt	*st = STMT(base);

	if (i >= 1 && i <= MAX_PARAMS) {
		snprintf(st->numbers[i - 1], sizeof(st->numbers[0]), "%lld", value);
		st->values[i - 1] = st->numbers[i - 1];
	}
}

static void
pg_bind_real(struct twh_db_stmt *base, int i, double value)
{
	struct pg_stmt	*st = STMT(base);

	if (i >= 1 && i <= MAX_PARAMS) {
		snprintf(st->numbers[i - 1], sizeof(st->numbers[0]), "%.17g", value);
		st->values[i - 1] = st->numbers[i - 1];
	}
}

/* ST's name on the connection. */
static void
statement_name(const struct pg_stmt *st, char name[16])
{
	snprintf(name, 16, "twh%zu", (size_t)(st - st->db->cache));
}

/*
 * Prepares ST by itself, waiting for the answer.  A statement outside a transaction is
 * prepared so before it is sent: parsing may wait for a table's lock, and a statement sent
 * with its PREPARE would then run, and commit, after the deadline had closed the connection.
 */
static int
prepare_alone(struct pg_stmt *st, double started)
{
	struct pg_db	*db = st->db;
	char		 name[16];
	PGresult	*r;
	int		 rc;

	statement_name(st, name);
	if (!PQsendPrepare(db->conn, name, st->text, 0, NULL)) {
		fail(db, true, "%s", PQerrorMessage(db->conn));
		disconnect(db);
		return -1;
	}
	r = wait_result(db, started);
	if ((rc = check(db, r)) == 0)
		st->prepared_on = db->generation;
	PQclear(r);
	return rc;
}

/*
 * Sends ST in one pipeline with what must come before it: the transaction's BEGIN when it is
 * pending, ST's PREPARE when the connection has not seen it.  Returns how many commands
 * were sent (their answers come in that order, then the pipeline's end), or -1.
 */
static int
send_pipeline(struct pg_stmt *st)
{
	struct pg_db	*db = st->db;
	PGconn		*conn = db->conn;
	char		 name[16];
	int		 n = 1;

	statement_name(st, name);
	if (!PQenterPipelineMode(conn))
		return -1;
	if (db->begin_pending) {
		if (!PQsendQueryParams(conn, begin_command(db->writing), 0, NULL, NULL, NULL, NULL,
		    0))
			return -1;
		n++;
	}
	if (st->prepared_on != db->generation) {
		if (!PQsendPrepare(conn, name, st->text, 0, NULL))
			return -1;
		n++;
	}
	if (!PQsendQueryPrepared(conn, name, st->n_params, st->values, NULL, NULL, 0) ||
	    !PQpipelineSync(conn))
		return -1;
	return n;
}

/* Keeps the first failure of a pipeline's answers in *FIRST, else its last answer. */
static void
keep_answer(PGresult **first, PGresult *r)
{
	ExecStatusType	 status = *first != NULL ? PQresultStatus(*first) : PGRES_COMMAND_OK;

	if (*first == NULL || status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
		PQclear(*first);
		*first = r;
	} else
		PQclear(r);
}

/*
 * The answers to a pipeline of N commands sent by send_pipeline, up to the deadline: the
 * BEGIN's and the PREPARE's are noted, the first failure or the statement's result returned
 * (NULL when the connection was lost).  The connection leaves pipeline mode.
 */
static PGresult *
read_pipeline(struct pg_stmt *st, int n, double started)
{
	struct pg_db	*db = st->db;
	PGresult	*answer = NULL, *r;
	int		 begin = db->begin_pending ? 0 : -1, i;
	int		 prepare = st->prepared_on != db->generation ? n - 2 : -1;

	for (i = 0; i < n; i++) {
		if ((r = wait_result(db, started)) == NULL) {
			PQclear(answer);
			return NULL;
		}
		if (PQresultStatus(r) == PGRES_COMMAND_OK && i == begin)
			db->begin_pending = false;
		if (PQresultStatus(r) == PGRES_COMMAND_OK && i == prepare)
			st->prepared_on = db->generation;
		keep_answer(&answer, r);
	}
	if (await_answer(db, started) == -1) {
		PQclear(answer);
		return NULL;
	}
	r = PQgetResult(db->conn);
	if (PQresultStatus(r) != PGRES_PIPELINE_SYNC || !PQexitPipelineMode(db->conn)) {
		/* Out of step with the server: the connection cannot be trusted any more. */
		fail(db, true, "%s", PQerrorMessage(db->conn));
		disconnect(db);
		PQclear(answer);
		answer = NULL;
	}
	PQclear(r);
	return answer;
}

static int
execute_once(struct pg_stmt *st)
{
	struct pg_db	*db = st->db;
	double		 started;
	const char	*tuples;
	int		 n;

	if (ensure_connected(db, db->begin_pending && db->writing) == -1)
		return -1;
	started = twh_monotonic_ms();
	if (!db->in_transaction && st->prepared_on != db->generation &&
	    prepare_alone(st, started) == -1)
		return -1;
	if ((n = send_pipeline(st)) == -1) {
		fail(db, true, "%s", PQerrorMessage(db->conn));
		disconnect(db);
		return -1;
	}
	st->result = read_pipeline(st, n, started);
	if (check(db, st->result) == -1) {
		PQclear(st->result);
		st->result = NULL;
		return -1;
	}
	tuples = PQcmdTuples(st->result);
	db->changes = *tuples != '\0' ? atoll(tuples) : 0;
	return 0;
}

/*
 * ST; a statement that met a dead connection is tried once more on a new one when nothing ran
 * on the old one: a query outside a transaction, or any statement that carried its
 * transaction's BEGIN.
 */
static int
execute(struct pg_stmt *st)
{
	int	 rc = execute_once(st);

	if (rc == -1 && (st->db->begin_pending || strncmp(st->text, "SELECT", 6) == 0) &&
	    worth_reconnecting(st->db))
		rc = execute_once(st);
	return rc;
}

/*
 * Reads the notifications that arrived: any of twhook_customers forgets the cache's answers.
 * A connection found closed is dropped.  The socket is read only when poll(2) says there is
 * something to read (one system call when there is not), but for the first read on a TLS
 * connection, whose library may hold what was read from the socket already.  A server that
 * ends a connection sends why, then closes it: libpq sees the close only when it reads again,
 * so it reads while the socket has more (a few times at most).
 */
static void
hear_notifications(struct pg_db *db)
{
	struct pollfd	 pfd;
	PGnotify	*n;
	int		 reads;

	if (db->conn == NULL)
		return;
	pfd.fd = PQsocket(db->conn);
	pfd.events = POLLIN;
	for (reads = 0; reads < 4; reads++) {
		if ((reads > 0 || !PQsslInUse(db->conn)) && poll(&pfd, 1, 0) != 1)
			break;
		if (!PQconsumeInput(db->conn) || PQstatus(db->conn) != CONNECTION_OK) {
			disconnect(db);
			return;
		}
	}
	while ((n = PQnotifies(db->conn)) != NULL) {
		if (strcmp(n->relname, "twhook_customers") == 0)
			pg_cache_forget(db->answers);
		PQfreemem(n);
	}
}

/*
 * Whether a cached statement may be answered from the cache now: outside a write transaction,
 * on a connection to a primary that LISTENs to twhook_customers (asked once per connection,
 * before its transaction begins), with the notifications that arrived heard.
 */
static bool
cache_usable(struct pg_db *db)
{
	const char	*standby;

	if (!pg_cache_keeps(db->answers) || (db->in_transaction && db->writing))
		return false;
	settle_commit(db);
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK || db->on_standby)
		return false;
	if (db->edits_heard_on != db->generation) {
		if (db->edits_asked_on == db->generation ||
		    (db->in_transaction && !db->begin_pending))
			return false;
		db->edits_asked_on = db->generation;
		standby = PQparameterStatus(db->conn, "in_hot_standby");
		if ((standby != NULL && strcmp(standby, "off") != 0) ||
		    send_command(db, "LISTEN twhook_customers", false) == -1)
			return false;
		db->edits_heard_on = db->generation;
		pg_cache_forget(db->answers);
	}
	hear_notifications(db);
	return db->conn != NULL;
}

/*
 * ST's answer, from the cache when it is there; else from the server, then kept when ST is
 * cached and its snapshot is no older than the last forgetting (a transaction's snapshot may
 * predate an edit heard of since it began).
 */
static int
answer(struct pg_stmt *st)
{
	struct pg_db	*db = st->db;
	bool		 cached = st->sql->cached && cache_usable(db);
	unsigned long	 epoch = db->in_transaction ? db->transaction_epoch :
			    pg_cache_epoch(db->answers);

	if (cached && (st->result = pg_cache_find(db->answers, st->sql, st->n_params,
	    st->values)) != NULL) {
		db->changes = 0;
		return 0;
	}
	if (execute(st) == -1)
		return -1;
	if (cached && epoch == pg_cache_epoch(db->answers))
		pg_cache_keep(db->answers, st->sql, st->n_params, st->values, st->result);
	return 0;
}

static enum twh_db_step
pg_step(struct twh_db_stmt *base)
{
	struct pg_stmt	*st = STMT(base);

	if (st->row == -1 && answer(st) == -1)
		return TWH_DB_FAILED;
	st->row++;
	return PQresultStatus(st->result) == PGRES_TUPLES_OK && st->row < PQntuples(st->result) ?
	    TWH_DB_ROW : TWH_DB_DONE;
}

static void
pg_reset(struct twh_db_stmt *base)
{
	struct pg_stmt	*st = STMT(base);

	PQclear(st->result);
	st->result = NULL;
	st->row = -1;
}

static bool
pg_column_null(struct twh_db_stmt *base, int col)
{
	struct pg_stmt	*st = STMT(base);

	return st->result == NULL || PQgetisnull(st->result, st->row, col);
}

static const char *
pg_column_view(struct twh_db_stmt *base, int col, size_t *len)
{
	struct pg_stmt	*st = STMT(base);

	*len = 0;
	if (pg_column_null(base, col))
		return NULL;
	*len = (size_t)PQgetlength(st->result, st->row, col);
	return PQgetvalue(st->result, st->row, col);
}

static long long
pg_column_int(struct twh_db_stmt *base, int col)
{
	struct pg_stmt	*st = STMT(base);
	size_t		 len;
	const char	*v = pg_column_view(base, col, &len);

	if (v == NULL)
		return 0;
	if (PQftype(st->result, col) == BOOL_OID)
		return *v == 't';
	return strtoll(v, NULL, 10);
}

static double
pg_column_real(struct twh_db_stmt *base, int col)
{
	size_t		 len;
	const char	*v = pg_column_view(base, col, &len);

	return v != NULL ? strtod(v, NULL) : 0.0;
}

static long long
pg_changes(struct twh_db_stmt *base)
{
	return STMT(base)->db->changes;
}

/*
 * A write transaction on a primary (READ COMMITTED: the keys that must not be written twice
 * take turns with pg_lock); a read transaction sees one snapshot, on a standby if need be.
 * The connection is settled now; the BEGIN goes with the first statement.  Reads that need no
 * common snapshot begin nothing: each statement is a transaction of its own.
 */
static int
pg_begin(struct twh_db *base, enum twh_db_begin how)
{
	struct pg_db	*db = DB(base);

	if (ensure_connected(db, how == TWH_DB_WRITE) == -1)
		return -1;
	if (how == TWH_DB_READ_EACH)
		return 0;
	db->transaction_epoch = pg_cache_epoch(db->answers);
	db->in_transaction = true;
	db->writing = how == TWH_DB_WRITE;
	db->begin_pending = true;
	return 0;
}

static void
end_transaction(struct pg_db *db)
{
	db->in_transaction = false;
	db->begin_pending = false;
}

/*
 * A read-only transaction's COMMIT is sent and its answer left for later (settle_commit): the
 * answer changes nothing of what was read.  A write's is waited for.
 */
static int
pg_commit(struct twh_db *base)
{
	struct pg_db	*db = DB(base);

	if (!db->in_transaction)
		return 0;	/* reads of TWH_DB_READ_EACH: each committed by itself */
	if (db->begin_pending) {
		end_transaction(db);	/* nothing was sent */
		return 0;
	}
	if (!db->writing && db->conn != NULL && !db->broken) {
		end_transaction(db);
		if (PQsendQuery(db->conn, "COMMIT"))
			db->commit_pending = true;
		else
			disconnect(db);	/* the server ends the transaction with it */
		return 0;
	}
	if (run_command(db, "COMMIT", false) == -1)
		return -1;
	end_transaction(db);
	return 0;
}

static void
pg_rollback(struct twh_db *base)
{
	struct pg_db	*db = DB(base);
	char		 keep[sizeof(db->message)];
	bool		 retry = db->retry;

	/* The rollback must not replace why the transaction failed. */
	memcpy(keep, db->message, sizeof(keep));
	settle_commit(db);
	if (db->conn != NULL && !db->begin_pending &&
	    PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		run_command(db, "ROLLBACK", false);
	end_transaction(db);
	db->broken = false;
	memcpy(db->message, keep, sizeof(keep));
	db->retry = retry;
}

/*
 * Whether commits wait for the disk and the synchronous standby (on, the default) or not (off:
 * a server crash may lose the last ones, as a power cut may lose SQLite's NORMAL commits).
 */
static int
pg_set_synchronous(struct twh_db *base, bool full)
{
	struct pg_db	*db = DB(base);

	db->unsynced = !full;
	return run_command(db, full ? "SET synchronous_commit = on" :
	    "SET synchronous_commit = off", false);
}

static int
pg_lock(struct twh_db *base, const char *key)
{
	static const struct twh_sql	lock = {
	    .postgres = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"
	};
	struct twh_db_stmt		*st;
	int				 rc;

	if ((st = pg_prepare(base, &lock)) == NULL)
		return -1;
	pg_bind_text(st, 1, key);
	rc = pg_step(st) == TWH_DB_ROW ? 0 : -1;
	pg_reset(st);
	return rc;
}

/* The connection's socket, which NOTIFY twhook_outbox makes readable; -1 without a connection. */
static int
pg_watch(struct twh_db *base)
{
	struct pg_db	*db = DB(base);

	settle_commit(db);
	if (!db->listening) {
		db->listening = true;
		if (db->conn != NULL && setup(db, "LISTEN twhook_outbox") == -1)
			disconnect(db);
	}
	/* A standby cannot LISTEN, and the dispatcher writes: it waits for a primary. */
	if (ensure_connected(db, true) == -1)
		return -1;
	return PQsocket(db->conn);
}

static void
pg_watch_drain(struct twh_db *base)
{
	hear_notifications(DB(base));
}

/* The outbox's trigger NOTIFYs on commit: nothing to do. */
static void
pg_wake(struct twh_db *db)
{
	(void)db;
}

static int
pg_schema_version(struct twh_db *base, int *version)
{
	static const struct twh_sql	exists = {
	    .postgres = "SELECT to_regclass('twhook_schema') IS NOT NULL"
	};
	static const struct twh_sql	current = { .postgres = "SELECT max(version) FROM twhook_schema" };
	struct twh_db_stmt		*st;
	int				 rc = -1;

	*version = 0;
	if ((st = pg_prepare(base, &exists)) == NULL)
		return -1;
	if (pg_step(st) == TWH_DB_ROW)
		rc = pg_column_int(st, 0) ? 1 : 0;
	pg_reset(st);
	if (rc != 1)
		return rc;
	if ((st = pg_prepare(base, &current)) == NULL)
		return -1;
	rc = -1;
	if (pg_step(st) == TWH_DB_ROW) {
		*version = (int)pg_column_int(st, 0);
		rc = 0;
	}
	pg_reset(st);
	return rc;
}

/* The store's text is UTF-8, and the search folds it: other encodings are refused. */
static int
check_encoding(struct pg_db *db)
{
	const char	*encoding = PQparameterStatus(db->conn, "server_encoding");

	if (encoding != NULL && strcmp(encoding, "UTF8") == 0)
		return 0;
	fail(db, false, "the database's encoding is %s; twhook needs UTF8 (createdb -E UTF8 "
	    "-T template0)", encoding != NULL ? encoding : "unknown");
	return -1;
}

/*
 * Applies SQL and records VERSION in one transaction, which holds an advisory lock so that two
 * twhook init runs take turns; nothing when the other got the store there first.  A migration
 * may take long: it has no deadline.
 */
static int
pg_migrate_step(struct twh_db *base, int version, const char *sql)
{
	struct pg_db	*db = DB(base);
	char		 record[64];
	int		 now, rc, patience = db->patience_ms;

	if (ensure_connected(db, true) == -1 || check_encoding(db) == -1)
		return -1;
	snprintf(record, sizeof(record), "UPDATE twhook_schema SET version = %d", version);
	db->patience_ms = 0;
	rc = pg_begin(base, TWH_DB_WRITE);
	if (rc == 0)
		rc = run_command(db, "SELECT pg_advisory_xact_lock(hashtextextended("
		    "'twhook init', 0))", true);
	if (rc == 0)
		rc = pg_schema_version(base, &now);
	if (rc == 0 && now < version) {
		rc = run_command(db, sql, true);
		if (rc == 0)
			rc = run_command(db, record, true);
	}
	if (rc == 0)
		rc = pg_commit(base);
	if (rc == -1)
		pg_rollback(base);
	db->patience_ms = patience;
	return rc;
}

static int
pg_exec(struct twh_db *base, const char *sql)
{
	struct pg_db	*db = DB(base);

	if (ensure_connected(db, true) == -1)
		return -1;
	return run_command(db, sql, true);
}

static int
pg_tokenize(struct twh_db *base, const char *text, int (*token)(void *, const char *, int),
    void *arg)
{
	struct pg_db	*db = DB(base);
	char		 why[256];

	if (db->tokenizer == NULL && twh_db_sqlite_driver.open(":memory:", TWH_DB_CREATE, 0,
	    &db->tokenizer, why, sizeof(why)) == -1) {
		fail(db, false, "the search tokenizer (SQLite) is unavailable: %s", why);
		return -1;
	}
	if (twh_db_tokenize(db->tokenizer, text, token, arg) == -1) {
		fail(db, false, "%s", twh_db_error(db->tokenizer));
		return -1;
	}
	return 0;
}

const struct twh_db_driver twh_db_postgres_driver = {
	.dialect = TWH_DB_POSTGRES,
	.schema_sql = twh_schema_postgres_sql,
	.open = pg_open,
	.close = pg_close,
	.error = pg_error,
	.retryable = pg_retryable,
	.set_patience = pg_set_patience,
	.set_read_cache = pg_set_read_cache,
	.prepare = pg_prepare,
	.bind_text = pg_bind_text,
	.bind_int = pg_bind_int,
	.bind_real = pg_bind_real,
	.step = pg_step,
	.reset = pg_reset,
	.column_null = pg_column_null,
	.column_view = pg_column_view,
	.column_int = pg_column_int,
	.column_real = pg_column_real,
	.changes = pg_changes,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.set_synchronous = pg_set_synchronous,
	.lock = pg_lock,
	.watch = pg_watch,
	.watch_drain = pg_watch_drain,
	.wake = pg_wake,
	.schema_version = pg_schema_version,
	.migrate_step = pg_migrate_step,
	.exec = pg_exec,
	.tokenize = pg_tokenize,
};

/*
 * The TCP ports the connection URI can connect to: each of its "port" list (libpq's rules: one
 * for every host, an empty one or none at all meaning PGPORT or 5432), up to MAX into PORTS.
 * Hosts that are unix socket directories need no port, but one is listed anyway, harmlessly.
 */
size_t
twh_db_postgres_ports(const char *uri, unsigned short *ports, size_t max)
{
	PQconninfoOption	*options = PQconninfoParse(uri, NULL), *o;
	const char		*list = NULL, *fallback = getenv("PGPORT"), *p;
	size_t			 n = 0;
	long			 port;
	char			*end;

	for (o = options; o != NULL && o->keyword != NULL; o++)
		if (strcmp(o->keyword, "port") == 0)
			list = o->val;
	if (fallback == NULL || *fallback == '\0')
		fallback = "5432";
	for (p = list != NULL ? list : ""; n < max; p += strcspn(p, ",") + 1) {
		port = strtol(p[0] == ',' || p[0] == '\0' ? fallback : p, &end, 10);
		if (port > 0 && port < 65536)
			ports[n++] = (unsigned short)port;
		if (p[strcspn(p, ",")] == '\0')
			break;
	}
	PQconninfoFree(options);
	return n;
}
