/*
 * twh_db_sqlite.c: the SQLite driver (twh_db.h).  A connection waits for another writer in
 * short steps up to its patience, enforces foreign keys, and keeps each statement prepared
 * once; a store it creates is in WAL mode, so readers never wait for a writer.  The schema's
 * version is PRAGMA user_version.  The search index's tokenizer is FTS5's unicode61, taken
 * from the connection, so that the words of a search are the words the index holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "twh_clock.h"
#include "twh_db.h"

#define STMT_CACHE	32

/*
 * Waits for another writer in steps of a quarter of a millisecond, up to the connection's
 * patience.  SQLite's own handler sleeps 25 to 100 ms between tries, so a process that just
 * missed the lock slept on while others committed: under load that made the slowest answers
 * hundreds of milliseconds.  Short steps cost a few lock attempts and answer in about the time
 * it takes.
 */
#define BUSY_STEP_US	250

struct twh_db_stmt {
	const struct twh_sql	*sql;	/* compared by address */
	sqlite3_stmt		*stmt;
};

struct twh_db {
	sqlite3			*handle;
	struct twh_db_stmt	 cache[STMT_CACHE];
	size_t			 n_cached;
	const char		*fault;		/* an error the engine does not report */
	char			 message[512];	/* a copy of an engine message, for FAULT */
	int			 patience_ms;	/* how long a statement waits for another writer */
	double			 busy_since;	/* when the current wait began (twh_monotonic_ms) */
	fts5_tokenizer		 tokenizer_api;	/* unicode61, as customers_search uses it */
	Fts5Tokenizer		*tokenizer;	/* created on the first use */
};

/* The clock, not the count of tries: each try and each sleep takes longer than it says. */
static int
busy_wait(void *arg, int tries)
{
	struct twh_db	*db = arg;

	if (tries == 0)
		db->busy_since = twh_monotonic_ms();
	else if (twh_elapsed_ms(db->busy_since) >= (double)db->patience_ms)
		return 0;
	usleep(BUSY_STEP_US);
	return 1;
}

/* How long statements wait for another writer from now on. */
void
twh_db_set_patience(struct twh_db *db, int ms)
{
	db->patience_ms = ms;
}

static int
configure(struct twh_db *db, enum twh_db_open how)
{
	sqlite3_busy_handler(db->handle, busy_wait, db);
	if (sqlite3_exec(db->handle, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	/* WAL is a property of the file: set once, when the store is created or migrated. */
	return how == TWH_DB_CREATE && sqlite3_exec(db->handle, "PRAGMA journal_mode = WAL", NULL,
	    NULL, NULL) != SQLITE_OK ? -1 : 0;
}

/*
 * Opens the SQLite file PATH, whose statements wait up to PATIENCE_MS for another writer; on
 * failure ERR says why in SQLite's words.
 */
int
twh_db_open(const char *path, enum twh_db_open how, int patience_ms, struct twh_db **out,
    char *err, size_t errlen)
{
	struct twh_db	*db;
	int		 flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

	*out = NULL;
	if ((db = calloc(1, sizeof(*db))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	db->patience_ms = patience_ms;
	if (how == TWH_DB_CREATE)
		flags |= SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &db->handle, flags, NULL) != SQLITE_OK ||
	    configure(db, how) == -1) {
		snprintf(err, errlen, "%s", db->handle != NULL ? sqlite3_errmsg(db->handle) :
		    "out of memory");
		twh_db_close(db);
		return -1;
	}
	*out = db;
	return 0;
}

void
twh_db_close(struct twh_db *db)
{
	size_t	 i;

	if (db == NULL)
		return;
	for (i = 0; i < db->n_cached; i++)
		sqlite3_finalize(db->cache[i].stmt);
	if (db->tokenizer != NULL)
		db->tokenizer_api.xDelete(db->tokenizer);
	sqlite3_close(db->handle);
	free(db);
}

/* Why the last call failed, or NULL when the engine reports no error. */
const char *
twh_db_error(const struct twh_db *db)
{
	if (db->fault != NULL)
		return db->fault;
	return sqlite3_errcode(db->handle) == SQLITE_OK ? NULL : sqlite3_errmsg(db->handle);
}

/* True when the last failure was another writer holding the store past the patience. */
bool
twh_db_retryable(const struct twh_db *db)
{
	int	 code = sqlite3_errcode(db->handle);

	return db->fault == NULL && (code == SQLITE_BUSY || code == SQLITE_LOCKED);
}

/* The prepared statement for SQL, reset and unbound, prepared on first use. */
struct twh_db_stmt *
twh_db_prepare(struct twh_db *db, const struct twh_sql *sql)
{
	sqlite3_stmt	*stmt;
	size_t		 i;

	db->fault = NULL;
	for (i = 0; i < db->n_cached; i++)
		if (db->cache[i].sql == sql) {
			sqlite3_reset(db->cache[i].stmt);
			sqlite3_clear_bindings(db->cache[i].stmt);
			return &db->cache[i];
		}
	/* Past the cache's size a statement would leak: make that a programming error. */
	if (db->n_cached == STMT_CACHE) {
		db->fault = "statement cache full";
		return NULL;
	}
	if (sqlite3_prepare_v3(db->handle, sql->text, -1, SQLITE_PREPARE_PERSISTENT, &stmt,
	    NULL) != SQLITE_OK)
		return NULL;
	db->cache[db->n_cached].sql = sql;
	db->cache[db->n_cached].stmt = stmt;
	return &db->cache[db->n_cached++];
}

/* Binds VALUE to parameter I; a NULL VALUE is SQL NULL.  VALUE must outlive the statement's use. */
void
twh_db_bind_text(struct twh_db_stmt *st, int i, const char *value)
{
	sqlite3_bind_text(st->stmt, i, value, -1, SQLITE_STATIC);
}

void
twh_db_bind_int(struct twh_db_stmt *st, int i, long long value)
{
	sqlite3_bind_int64(st->stmt, i, (sqlite3_int64)value);
}

void
twh_db_bind_real(struct twh_db_stmt *st, int i, double value)
{
	sqlite3_bind_double(st->stmt, i, value);
}

enum twh_db_step
twh_db_step(struct twh_db_stmt *st)
{
	switch (sqlite3_step(st->stmt)) {
	case SQLITE_ROW:
		return TWH_DB_ROW;
	case SQLITE_DONE:
		return TWH_DB_DONE;
	default:
		return TWH_DB_FAILED;
	}
}

/* Ends the statement's run, so that no read transaction stays open to hide later edits. */
void
twh_db_reset(struct twh_db_stmt *st)
{
	sqlite3_reset(st->stmt);
}

bool
twh_db_column_null(struct twh_db_stmt *st, int col)
{
	return sqlite3_column_type(st->stmt, col) == SQLITE_NULL;
}

/*
 * A copy of a text column, or NULL for SQL NULL (and on allocation failure).  A NUL that a
 * sqlite3 shell user put inside the text is left out rather than cutting the rest off.
 */
char *
twh_db_column_text(struct twh_db_stmt *st, int col)
{
	const char	*t = (const char *)sqlite3_column_text(st->stmt, col);
	size_t		 len, i, n = 0;
	char		*copy;

	if (t == NULL)
		return NULL;
	len = (size_t)sqlite3_column_bytes(st->stmt, col);
	if ((copy = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++)
		if (t[i] != '\0')
			copy[n++] = t[i];
	copy[n] = '\0';
	return copy;
}

/* The text of a column where the driver keeps it, until the next step or reset; NULL for NULL. */
const char *
twh_db_column_view(struct twh_db_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st->stmt, col);
}

long long
twh_db_column_int(struct twh_db_stmt *st, int col)
{
	return (long long)sqlite3_column_int64(st->stmt, col);
}

double
twh_db_column_real(struct twh_db_stmt *st, int col)
{
	return sqlite3_column_double(st->stmt, col);
}

/* The rows the statement's last run inserted, changed or deleted. */
long long
twh_db_changes(struct twh_db_stmt *st)
{
	return (long long)sqlite3_changes(sqlite3_db_handle(st->stmt));
}

/* Runs one of the connection's own fixed statements. */
static int
run_fixed(struct twh_db *db, const struct twh_sql *sql)
{
	struct twh_db_stmt	*st = twh_db_prepare(db, sql);
	int			 rc;

	if (st == NULL)
		return -1;
	rc = twh_db_step(st) == TWH_DB_DONE ? 0 : -1;
	twh_db_reset(st);
	return rc;
}

/*
 * A write transaction is taken at once (BEGIN IMMEDIATE), waiting up to the patience for
 * another writer: one writer at a time is what makes a claim or the routing rotation safe.
 * A read transaction gives every query until the commit the same snapshot.
 */
int
twh_db_begin(struct twh_db *db, bool write)
{
	static const struct twh_sql	begin_write = { "BEGIN IMMEDIATE" };
	static const struct twh_sql	begin_read = { "BEGIN" };

	return run_fixed(db, write ? &begin_write : &begin_read);
}

int
twh_db_commit(struct twh_db *db)
{
	static const struct twh_sql	commit = { "COMMIT" };

	return run_fixed(db, &commit);
}

void
twh_db_rollback(struct twh_db *db)
{
	if (!sqlite3_get_autocommit(db->handle))
		sqlite3_exec(db->handle, "ROLLBACK", NULL, NULL, NULL);
}

/*
 * Whether the commits that follow wait for the disk (FULL, the default) or not (NORMAL): in
 * WAL mode an unsynced commit survives a crash of any process, and only a power cut or an
 * operating system crash may lose the last ones.
 */
int
twh_db_set_synchronous(struct twh_db *db, bool full)
{
	static const struct twh_sql	sync_full = { "PRAGMA synchronous = FULL" };
	static const struct twh_sql	sync_normal = { "PRAGMA synchronous = NORMAL" };

	return run_fixed(db, full ? &sync_full : &sync_normal);
}

int
twh_db_schema_version(struct twh_db *db, int *version)
{
	static const struct twh_sql	user_version = { "PRAGMA user_version" };
	struct twh_db_stmt		*st = twh_db_prepare(db, &user_version);
	int				 rc = -1;

	*version = 0;
	if (st != NULL && twh_db_step(st) == TWH_DB_ROW) {
		*version = (int)twh_db_column_int(st, 0);
		rc = 0;
	}
	if (st != NULL)
		twh_db_reset(st);
	return rc;
}

/* Applies SQL, a migration's statements, and records VERSION, all in one write transaction. */
int
twh_db_migrate_step(struct twh_db *db, int version, const char *sql)
{
	char	 pragma[64];
	int	 rc;

	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", version);
	rc = sqlite3_exec(db->handle, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db->handle, sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db->handle, pragma, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db->handle, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		/* Kept first: the rollback replaces the engine's message. */
		snprintf(db->message, sizeof(db->message), "%s", sqlite3_errmsg(db->handle));
		sqlite3_exec(db->handle, "ROLLBACK", NULL, NULL, NULL);
		db->fault = db->message;
		return -1;
	}
	return 0;
}

struct tokenize_ctx {
	int	(*token)(void *, const char *, int);
	void	*arg;
};

static int
tokenize_cb(void *arg, int flags, const char *token, int len, int start, int end)
{
	struct tokenize_ctx	*ctx = arg;

	(void)start;
	(void)end;
	if (flags & FTS5_TOKEN_COLOCATED)
		return SQLITE_OK;
	return ctx->token(ctx->arg, token, len) == 0 ? SQLITE_OK : SQLITE_NOMEM;
}

/* The FTS5 extension API of the connection (https://sqlite.org/fts5.html#extending_fts5). */
static fts5_api *
fts5_api_of(sqlite3 *handle)
{
	fts5_api	*api = NULL;
	sqlite3_stmt	*st;

	if (sqlite3_prepare_v2(handle, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	return api;
}

/*
 * Splits TEXT into the tokens the search index is made of (unicode61: case folded, diacritics
 * removed, punctuation dropped), calling TOKEN for each: 0, or -1 with twh_db_error set.
 */
int
twh_db_tokenize(struct twh_db *db, const char *text, int (*token)(void *, const char *, int),
    void *arg)
{
	struct tokenize_ctx	 ctx = { token, arg };
	fts5_api		*api;
	void			*user;

	db->fault = NULL;
	if (db->tokenizer == NULL) {
		if ((api = fts5_api_of(db->handle)) == NULL ||
		    api->xFindTokenizer(api, "unicode61", &user, &db->tokenizer_api) != SQLITE_OK ||
		    db->tokenizer_api.xCreate(user, NULL, 0, &db->tokenizer) != SQLITE_OK) {
			db->tokenizer = NULL;
			db->fault = "the FTS5 tokenizer is unavailable";
			return -1;
		}
	}
	if (db->tokenizer_api.xTokenize(db->tokenizer, &ctx, FTS5_TOKENIZE_QUERY, text,
	    (int)strlen(text), tokenize_cb) != SQLITE_OK) {
		db->fault = "tokenizing a search failed";
		return -1;
	}
	return 0;
}
