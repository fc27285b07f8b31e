/*
 * twh_store.c: opening, migrating and closing the SQLite store, transactions, and the cache of
 * prepared statements.  Endpoints open the store read-write but never create it: a missing file
 * or an out-of-date schema is an error that tells the operator to run `twhook init`.  There is
 * no cache of data here, so an edit made in the sqlite3 shell shows in the very next request.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "twh_clock.h"
#include "twh_store_internal.h"

#define STMT_CACHE	32

struct twh_store {
	sqlite3		*db;
	fts5_tokenizer	 tokenizer_api;	/* unicode61, as customers_search uses it */
	Fts5Tokenizer	*tokenizer;	/* created on the first search */
	struct {
		const char	*sql;	/* compared by address: each query is one static string */
		sqlite3_stmt	*stmt;
	} cache[STMT_CACHE];
	size_t		 n_cached;
	char		 error[512];
	bool		 busy;
	int		 patience_ms;	/* how long a statement waits for another writer */
	double		 busy_since;	/* when the current wait began (ms, monotonic) */
	char		*path;
	int		 wake_fd;	/* STORE.wake, opened on first use; -1 until then */
};

static const char version_marker[] = "-- version ";

/* The highest "-- version N" section in the embedded schema. */
int
twh_store_schema_version(void)
{
	const char	*p = twh_schema_sql;
	int		 v, max = 0;

	while ((p = strstr(p, version_marker)) != NULL) {
		p += sizeof(version_marker) - 1;
		if ((v = atoi(p)) > max)
			max = v;
	}
	return max;
}

static int
user_version(sqlite3 *db, int *version)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	*version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/*
 * Waits for another writer in steps of a quarter of a millisecond, up to the busy timeout.
 * SQLite's own handler sleeps 25 to 100 ms between tries, so a process that just missed the
 * lock slept on while others committed: under load that made the slowest answers hundreds of
 * milliseconds.  Short steps cost a few lock attempts and answer in about the time it takes.
 */
#define BUSY_STEP_US	250

/* The clock, not the count of tries: each try and each sleep takes longer than it says. */
static int
busy_wait(void *arg, int tries)
{
	struct twh_store	*s = arg;
	static double		 shared_start;	/* the migrating connection's, which has no S */
	double			*start = s != NULL ? &s->busy_since : &shared_start;
	long			 ms = s != NULL ? s->patience_ms : TWH_STORE_BUSY_TIMEOUT_MS;

	if (tries == 0)
		*start = twh_monotonic_ms();
	else if (twh_elapsed_ms(*start) >= (double)ms)
		return 0;
	usleep(BUSY_STEP_US);
	return 1;
}

/*
 * How long the store's statements wait for another writer from now on (the default is
 * TWH_STORE_BUSY_TIMEOUT_MS): shorter where an answer must not wait for a record.
 */
void
twh_store_set_patience(struct twh_store *s, int ms)
{
	s->patience_ms = ms;
}

/* S is NULL for the connection that migrates the store. */
static int
configure_connection(sqlite3 *db, struct twh_store *s)
{
	if (s != NULL)
		s->patience_ms = TWH_STORE_BUSY_TIMEOUT_MS;
	sqlite3_busy_handler(db, busy_wait, s);
	return sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

int
twh_store_open(const char *path, struct twh_store **out, char *err, size_t errlen)
{
	struct twh_store	*s;
	int			 version, want = twh_store_schema_version();

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL || (s->path = strdup(path)) == NULL) {
		free(s);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	s->wake_fd = -1;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK || configure_connection(s->db, s) == -1 || user_version(s->db, &version) == -1) {
		snprintf(err, errlen, "%s: cannot open the store: %s (run `twhook init` to create it)",
		    path, s->db != NULL ? sqlite3_errmsg(s->db) : "out of memory");
		twh_store_close(s);
		return -1;
	}
	if (version != want) {
		snprintf(err, errlen, "%s: the store's schema is version %d, this twhook needs %d: %s",
		    path, version, want, version < want ? "run `twhook init` to migrate it" :
		    "the store was migrated by a newer twhook; install that version");
		twh_store_close(s);
		return -1;
	}
	*out = s;
	return 0;
}

/* Applies one "-- version N" section (TEXT up to the next marker) and records N. */
static int
apply_section(sqlite3 *db, int version, const char *text, size_t len, char *err, size_t errlen)
{
	char	*sql, pragma[64];
	int	 rc;

	if ((sql = strndup(text, len)) == NULL)
		return -1;
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", version);
	rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, pragma, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "migration to version %d failed: %s", version,
		    sqlite3_errmsg(db));
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	free(sql);
	return rc == SQLITE_OK ? 0 : -1;
}

static int
migrate(sqlite3 *db, int from, char *err, size_t errlen)
{
	const char	*p = twh_schema_sql, *next, *body;
	int		 v;

	for (p = strstr(p, version_marker); p != NULL; p = next) {
		v = atoi(p + sizeof(version_marker) - 1);
		body = strchr(p, '\n');
		body = body != NULL ? body + 1 : p + strlen(p);
		next = strstr(body, version_marker);
		if (v > from && apply_section(db, v, body,
		    next != NULL ? (size_t)(next - body) : strlen(body), err, errlen) == -1)
			return -1;
	}
	return 0;
}

/* Creates the store at PATH or brings its schema up to date; FROM and TO are the versions. */
int
twh_store_migrate(const char *path, int *from, int *to, char *err, size_t errlen)
{
	sqlite3	*db = NULL;
	char	*msg = NULL;
	int	 rc = -1;

	*to = twh_store_schema_version();
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK || configure_connection(db, NULL) == -1) {
		snprintf(err, errlen, "%s: %s", path, db != NULL ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	if (sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, &msg) != SQLITE_OK ||
	    user_version(db, from) == -1) {
		snprintf(err, errlen, "%s: %s", path, msg != NULL ? msg : sqlite3_errmsg(db));
		goto out;
	}
	if (*from > *to) {
		snprintf(err, errlen, "%s: the store's schema is version %d, newer than this "
		    "twhook's %d: install the newer twhook", path, *from, *to);
		goto out;
	}
	if (migrate(db, *from, err, errlen) == 0)
		rc = 0;
out:
	sqlite3_free(msg);
	sqlite3_close(db);
	return rc;
}

void
twh_store_close(struct twh_store *s)
{
	size_t	 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n_cached; i++)
		sqlite3_finalize(s->cache[i].stmt);
	if (s->tokenizer != NULL)
		s->tokenizer_api.xDelete(s->tokenizer);
	if (s->wake_fd != -1)
		close(s->wake_fd);
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

/*
 * Tells a waiting `twhook dispatch` that committed work is there: it watches STORE.wake, whose
 * time stamp this sets.  (The WAL file's own writes come before the commit is visible.)  A
 * failure only delays the dispatcher to its next look, so it is not an error.
 */
void
twh_store_notify(struct twh_store *s)
{
	char	 path[4096];

	if (s->wake_fd == -1 &&
	    snprintf(path, sizeof(path), "%s.wake", s->path) < (int)sizeof(path))
		s->wake_fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
	if (s->wake_fd != -1)
		futimens(s->wake_fd, NULL);
}

const char *
twh_store_error(const struct twh_store *s)
{
	return s->error;
}

/* True when the last failure was another writer holding the store past the busy timeout. */
bool
twh_store_busy(const struct twh_store *s)
{
	return s->busy;
}

/* Records why the last call failed and returns TWH_STORE_ERROR. */
int
twh_store_fail(struct twh_store *s, const char *what)
{
	int	 code = sqlite3_errcode(s->db);

	s->busy = code == SQLITE_BUSY || code == SQLITE_LOCKED;
	if (code == SQLITE_OK)
		snprintf(s->error, sizeof(s->error), "%s", what);
	else
		snprintf(s->error, sizeof(s->error), "%s: %s", what, sqlite3_errmsg(s->db));
	return TWH_STORE_ERROR;
}

/* The prepared statement for SQL, reset and unbound, prepared on first use. */
sqlite3_stmt *
twh_store_stmt(struct twh_store *s, const char *sql)
{
	sqlite3_stmt	*st;
	size_t		 i;

	for (i = 0; i < s->n_cached; i++)
		if (s->cache[i].sql == sql) {
			st = s->cache[i].stmt;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		twh_store_fail(s, "preparing a query");
		return NULL;
	}
	if (s->n_cached < STMT_CACHE) {
		s->cache[s->n_cached].sql = sql;
		s->cache[s->n_cached].stmt = st;
		s->n_cached++;
	}
	/* Past the cache's size a statement would leak: make that a programming error. */
	else {
		sqlite3_finalize(st);
		snprintf(s->error, sizeof(s->error), "statement cache full");
		return NULL;
	}
	return st;
}

/*
 * Steps ST to its end, calling ROW for each row (-1 from ROW means out of memory); ST is reset
 * afterwards whatever happens, so no read transaction is left open to hide later edits.
 */
int
twh_store_each_row(struct twh_store *s, sqlite3_stmt *st, const char *what,
    int (*row)(sqlite3_stmt *, void *), void *arg)
{
	int	 rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (row(st, arg) == -1) {
			sqlite3_reset(st);
			return twh_store_fail(s, "out of memory");
		}
	if (rc != SQLITE_DONE) {
		twh_store_fail(s, what);
		sqlite3_reset(st);
		return TWH_STORE_ERROR;
	}
	sqlite3_reset(st);
	return TWH_STORE_OK;
}

/*
 * Steps a statement that returns at most one row and copies its first column into *TEXT
 * (NULL for SQL NULL), then resets it: TWH_STORE_OK, TWH_STORE_NOT_FOUND without a row, or
 * TWH_STORE_ERROR.
 */
int
twh_store_text_row(struct twh_store *s, sqlite3_stmt *st, const char *what, char **text)
{
	int	 rc;

	*text = NULL;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		rc = (*text = twh_store_column_text(st, 0)) != NULL ||
		    sqlite3_column_type(st, 0) == SQLITE_NULL ? TWH_STORE_OK :
		    twh_store_fail(s, "out of memory");
	else
		rc = rc == SQLITE_DONE ? TWH_STORE_NOT_FOUND : twh_store_fail(s, what);
	sqlite3_reset(st);
	return rc;
}

/* Steps a statement that returns no row, then resets it; TWH_STORE_OK or TWH_STORE_ERROR. */
int
twh_store_step_done(struct twh_store *s, sqlite3_stmt *st, const char *what)
{
	int	 rc = sqlite3_step(st) == SQLITE_DONE ? TWH_STORE_OK : twh_store_fail(s, what);

	sqlite3_reset(st);
	return rc;
}

/*
 * A copy of a text column, or NULL for SQL NULL (and on allocation failure).  A NUL that a
 * sqlite3 shell user put inside the text is left out rather than cutting the rest off.
 */
char *
twh_store_column_text(sqlite3_stmt *st, int col)
{
	const char	*t = (const char *)sqlite3_column_text(st, col);
	size_t		 len, i, n = 0;
	char		*copy;

	if (t == NULL)
		return NULL;
	len = (size_t)sqlite3_column_bytes(st, col);
	if ((copy = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++)
		if (t[i] != '\0')
			copy[n++] = t[i];
	copy[n] = '\0';
	return copy;
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
fts5_api_of(sqlite3 *db)
{
	fts5_api	*api = NULL;
	sqlite3_stmt	*st;

	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	return api;
}

/*
 * Splits TEXT into the tokens the search index is made of (unicode61: case folded, diacritics
 * removed, punctuation dropped), calling TOKEN for each.  Searches built from these tokens
 * match exactly what the index holds, whatever the user typed.
 */
int
twh_store_tokenize(struct twh_store *s, const char *text,
    int (*token)(void *, const char *, int), void *arg)
{
	struct tokenize_ctx	 ctx = { token, arg };
	fts5_api		*api;
	void			*user;

	if (s->tokenizer == NULL) {
		if ((api = fts5_api_of(s->db)) == NULL ||
		    api->xFindTokenizer(api, "unicode61", &user, &s->tokenizer_api) != SQLITE_OK ||
		    s->tokenizer_api.xCreate(user, NULL, 0, &s->tokenizer) != SQLITE_OK) {
			s->tokenizer = NULL;
			snprintf(s->error, sizeof(s->error), "the FTS5 tokenizer is unavailable");
			return TWH_STORE_ERROR;
		}
	}
	if (s->tokenizer_api.xTokenize(s->tokenizer, &ctx, FTS5_TOKENIZE_QUERY, text,
	    (int)strlen(text), tokenize_cb) != SQLITE_OK) {
		snprintf(s->error, sizeof(s->error), "tokenizing a search failed");
		return TWH_STORE_ERROR;
	}
	return TWH_STORE_OK;
}

static const char sql_begin_write[] = "BEGIN IMMEDIATE";
static const char sql_begin_read[] = "BEGIN";
static const char sql_commit[] = "COMMIT";

/* Runs one of the transaction statements above, prepared once. */
static int
exec_cached(struct twh_store *s, const char *sql, const char *what)
{
	sqlite3_stmt	*st = twh_store_stmt(s, sql);

	return st == NULL ? TWH_STORE_ERROR : twh_store_step_done(s, st, what);
}

/* A write transaction: taken at once, waiting up to the busy timeout for another writer. */
int
twh_store_begin(struct twh_store *s)
{
	return exec_cached(s, sql_begin_write, "starting a transaction");
}

/* A read transaction: every query until twh_store_commit sees the same snapshot. */
int
twh_store_begin_read(struct twh_store *s)
{
	return exec_cached(s, sql_begin_read, "starting a read transaction");
}

/*
 * Whether the commits that follow wait for the disk (FULL, the default) or not (NORMAL): in
 * WAL mode an unsynced commit survives a crash of any process, and only a power cut or an
 * operating system crash may lose the last ones.  For records, and for writes that are
 * worthless by the time the machine could be up again.
 */
int
twh_store_set_synchronous(struct twh_store *s, bool full)
{
	static const char	sync_full[] = "PRAGMA synchronous = FULL";
	static const char	sync_normal[] = "PRAGMA synchronous = NORMAL";

	return exec_cached(s, full ? sync_full : sync_normal,
	    "setting how commits wait for the disk");
}

int
twh_store_commit(struct twh_store *s)
{
	return exec_cached(s, sql_commit, "committing");
}

void
twh_store_rollback(struct twh_store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}
