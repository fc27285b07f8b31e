/*
 * twh_store.c: opening, migrating and closing the store, its transactions, and how its modules
 * run statements and report failures; the engine itself is the driver's (twh_db.h).  Endpoints
 * open the store read-write but never create it: a missing file or an out-of-date schema is an
 * error that tells the operator to run `twhook init`.  There is no cache of data here, so an
 * edit made in the sqlite3 shell shows in the very next request.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twh_store_internal.h"

struct twh_store {
	struct twh_db			*db;
	char				 error[512];
	bool				 busy;
	struct twh_search_lists		*lists;		/* NULL: none kept */
};

static const char version_marker[] = "-- version ";

/* The highest "-- version N" section in SCHEMA. */
static int
highest_version(const char *schema)
{
	const char	*p = schema;
	int		 v, max = 0;

	while ((p = strstr(p, version_marker)) != NULL) {
		p += sizeof(version_marker) - 1;
		if ((v = atoi(p)) > max)
			max = v;
	}
	return max;
}

/* The schema version this twhook needs (each engine's schema file has the same sections). */
int
twh_store_schema_version(void)
{
	return highest_version(twh_schema_sql);
}

/*
 * How long the store's statements wait for another writer from now on (the default is
 * TWH_STORE_BUSY_TIMEOUT_MS): shorter where an answer must not wait for a record.
 */
void
twh_store_set_patience(struct twh_store *s, int ms)
{
	twh_db_set_patience(s->db, ms);
}

/*
 * How long a customer read's answer may be kept on PostgreSQL (TWH_DB_READ_CACHE_MS unless
 * set; 0: not at all): an edit forgets it at once, an edit whose notification is lost within
 * that time.
 */
void
twh_store_set_read_cache(struct twh_store *s, int ms)
{
	twh_db_set_read_cache(s->db, ms);
}

/* The engine's reason for the last failure, or "unknown". */
static const char *
db_reason(struct twh_db *db)
{
	const char	*why = db != NULL ? twh_db_error(db) : NULL;

	return why != NULL ? why : "unknown";
}

/*
 * What the operator can do about a store that TARGET names but that would not open (OPENED: it
 * opened, and reading its schema version failed): create it, when nothing is there yet; start
 * or reach the server, when a PostgreSQL server did not answer.  Other causes (permissions, a
 * file that is not a store) are in the reason itself.
 */
static const char *
open_advice(const char *target, bool opened)
{
	struct stat	 st;

	if (twh_db_is_postgres(target))
		return opened ? "" : " (is the server running, and does the URI name it?)";
	if (!opened && stat(target, &st) == -1 && errno == ENOENT)
		return " (run `twhook init` to create it)";
	return "";
}

int
twh_store_open(const char *target, struct twh_store **out, char *err, size_t errlen)
{
	struct twh_store	*s;
	char			 why[256], path[512];
	int			 version, want = twh_store_schema_version();

	*out = NULL;
	twh_db_display(target, path, sizeof(path));
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if (twh_db_open(target, TWH_DB_EXISTING, TWH_STORE_BUSY_TIMEOUT_MS, &s->db, why,
	    sizeof(why)) == -1 ||
	    twh_db_schema_version(s->db, &version) == -1) {
		snprintf(err, errlen, "%s: cannot open the store: %s%s", path,
		    s->db != NULL ? db_reason(s->db) : why, open_advice(target, s->db != NULL));
		twh_store_close(s);
		return -1;
	}
	if (version == 0) {
		snprintf(err, errlen, "%s: the store has no schema yet: run `twhook init` to create it",
		    path);
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

/* Applies each "-- version N" section of the schema above FROM, each in its own transaction. */
static int
migrate(struct twh_db *db, int from, char *err, size_t errlen)
{
	const char	*p = twh_db_schema_sql(db), *next, *body;
	char		*sql;
	int		 v, rc;

	for (p = strstr(p, version_marker); p != NULL; p = next) {
		v = atoi(p + sizeof(version_marker) - 1);
		body = strchr(p, '\n');
		body = body != NULL ? body + 1 : p + strlen(p);
		next = strstr(body, version_marker);
		if (v <= from)
			continue;
		if ((sql = strndup(body, next != NULL ? (size_t)(next - body) : strlen(body))) ==
		    NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		rc = twh_db_migrate_step(db, v, sql);
		free(sql);
		if (rc == -1) {
			snprintf(err, errlen, "migration to version %d failed: %s", v,
			    db_reason(db));
			return -1;
		}
	}
	return 0;
}

/* Creates the store TARGET or brings its schema up to date; FROM and TO are the versions. */
int
twh_store_migrate(const char *target, int *from, int *to, char *err, size_t errlen)
{
	struct twh_db	*db = NULL;
	char		 why[256], path[512];
	int		 rc = -1;

	*to = twh_store_schema_version();
	twh_db_display(target, path, sizeof(path));
	if (twh_db_open(target, TWH_DB_CREATE, TWH_STORE_BUSY_TIMEOUT_MS, &db, why,
	    sizeof(why)) == -1) {
		snprintf(err, errlen, "%s: %s", path, why);
		return -1;
	}
	if (twh_db_schema_version(db, from) == -1)
		snprintf(err, errlen, "%s: %s", path, db_reason(db));
	else if (*from > *to)
		snprintf(err, errlen, "%s: the store's schema is version %d, newer than this "
		    "twhook's %d: install the newer twhook", path, *from, *to);
	else if (migrate(db, *from, err, errlen) == 0)
		rc = 0;
	twh_db_close(db);
	return rc;
}

void
twh_store_close(struct twh_store *s)
{
	if (s == NULL)
		return;
	twh_search_lists_free(s->lists);
	twh_db_close(s->db);
	free(s);
}

/*
 * Makes a store that serves many requests (a FastCGI process's) keep in memory the lists of the
 * workers it searches (twh_store_search_lists.c).  Only on SQLite: PostgreSQL's driver keeps the
 * index's answers instead.  Out of memory, nothing is kept, and searches read the file.
 */
void
twh_store_keep_search_lists(struct twh_store *s)
{
	if (!twh_store_is_postgres(s) && s->lists == NULL)
		s->lists = twh_search_lists_new();
}

/* The lists S keeps, or NULL. */
struct twh_search_lists *
twh_store_search_lists(struct twh_store *s)
{
	return s->lists;
}

/*
 * Tells a waiting `twhook dispatch` that committed work is there (twh_db_wake).  A failure only
 * delays the dispatcher to its next look, so it is not an error.
 */
void
twh_store_notify(struct twh_store *s)
{
	twh_db_wake(s->db);
}

/*
 * A descriptor that becomes readable when work may have been committed, for poll(2); -1 when
 * there is none (look by timer).  twh_store_watch_drain empties it after a wake.
 */
int
twh_store_watch(struct twh_store *s)
{
	return twh_db_watch(s->db);
}

void
twh_store_watch_drain(struct twh_store *s)
{
	twh_db_watch_drain(s->db);
}

/* True when the store is PostgreSQL rather than a SQLite file. */
bool
twh_store_is_postgres(const struct twh_store *s)
{
	return twh_db_dialect(s->db) == TWH_DB_POSTGRES;
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

/* Records why the last call failed (WHAT, and the engine's reason) and returns TWH_STORE_ERROR. */
int
twh_store_fail(struct twh_store *s, const char *what)
{
	const char	*why = twh_db_error(s->db);

	s->busy = twh_db_retryable(s->db);
	if (why == NULL)
		snprintf(s->error, sizeof(s->error), "%s", what);
	else
		snprintf(s->error, sizeof(s->error), "%s: %s", what, why);
	return TWH_STORE_ERROR;
}

/* Runs SQL made at run time (twh_db_exec); WHAT names it when it fails. */
int
twh_store_exec(struct twh_store *s, const char *sql, const char *what)
{
	return twh_db_exec(s->db, sql) == 0 ? TWH_STORE_OK : twh_store_fail(s, what);
}

/* Prefixes the failure recorded last with WHERE (a place in a file); TWH_STORE_ERROR. */
int
twh_store_fail_in(struct twh_store *s, const char *where)
{
	char	 last[sizeof(s->error)];

	memcpy(last, s->error, sizeof(last));
	if (snprintf(s->error, sizeof(s->error), "%s: %s", where, last) >= (int)sizeof(s->error))
		s->error[sizeof(s->error) - 1] = '\0';		/* cut short: still says where */
	return TWH_STORE_ERROR;
}

/* Records that WHAT ran out of memory before it reached the engine; TWH_STORE_ERROR. */
int
twh_store_out_of_memory(struct twh_store *s, const char *what)
{
	s->busy = false;
	snprintf(s->error, sizeof(s->error), "%s: out of memory", what);
	return TWH_STORE_ERROR;
}

/* The prepared statement for SQL, reset and unbound; NULL with the store's error set. */
struct twh_db_stmt *
twh_store_stmt(struct twh_store *s, const struct twh_sql *sql)
{
	struct twh_db_stmt	*st = twh_db_prepare(s->db, sql);

	if (st == NULL)
		twh_store_fail(s, "preparing a query");
	return st;
}

/*
 * Steps ST to its end, calling ROW for each row (-1 from ROW means out of memory); ST is reset
 * afterwards whatever happens, so no read transaction is left open to hide later edits.
 */
int
twh_store_each_row(struct twh_store *s, struct twh_db_stmt *st, const char *what,
    int (*row)(struct twh_db_stmt *, void *), void *arg)
{
	enum twh_db_step	 step;

	while ((step = twh_db_step(st)) == TWH_DB_ROW)
		if (row(st, arg) == -1) {
			twh_db_reset(st);
			return twh_store_fail(s, "out of memory");
		}
	if (step != TWH_DB_DONE) {
		twh_store_fail(s, what);
		twh_db_reset(st);
		return TWH_STORE_ERROR;
	}
	twh_db_reset(st);
	return TWH_STORE_OK;
}

/*
 * Steps a statement that returns at most one row and copies its first column into *TEXT
 * (NULL for SQL NULL), then resets it: TWH_STORE_OK, TWH_STORE_NOT_FOUND without a row, or
 * TWH_STORE_ERROR.
 */
int
twh_store_text_row(struct twh_store *s, struct twh_db_stmt *st, const char *what, char **text)
{
	enum twh_db_step	 step;
	int			 rc;

	*text = NULL;
	if ((step = twh_db_step(st)) == TWH_DB_ROW)
		rc = (*text = twh_db_column_text(st, 0)) != NULL || twh_db_column_null(st, 0) ?
		    TWH_STORE_OK : twh_store_fail(s, "out of memory");
	else
		rc = step == TWH_DB_DONE ? TWH_STORE_NOT_FOUND : twh_store_fail(s, what);
	twh_db_reset(st);
	return rc;
}

/*
 * Steps a statement that returns one row and reads its first column as an integer into
 * *VALUE, then resets it: TWH_STORE_OK, or TWH_STORE_ERROR (no row is an error here).
 */
int
twh_store_int_row(struct twh_store *s, struct twh_db_stmt *st, const char *what,
    long long *value)
{
	int	 rc = twh_db_step(st) == TWH_DB_ROW ? TWH_STORE_OK : twh_store_fail(s, what);

	if (rc == TWH_STORE_OK)
		*value = twh_db_column_int(st, 0);
	twh_db_reset(st);
	return rc;
}

/* Steps a statement that returns no row, then resets it; TWH_STORE_OK or TWH_STORE_ERROR. */
int
twh_store_step_done(struct twh_store *s, struct twh_db_stmt *st, const char *what)
{
	int	 rc = twh_db_step(st) == TWH_DB_DONE ? TWH_STORE_OK : twh_store_fail(s, what);

	twh_db_reset(st);
	return rc;
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
	if (twh_db_tokenize(s->db, text, token, arg) == -1) {
		snprintf(s->error, sizeof(s->error), "%s", db_reason(s->db));
		s->busy = false;
		return TWH_STORE_ERROR;
	}
	return TWH_STORE_OK;
}

/* A write transaction: taken at once, waiting up to the busy timeout for another writer. */
int
twh_store_begin(struct twh_store *s)
{
	return twh_db_begin(s->db, TWH_DB_WRITE) == 0 ? TWH_STORE_OK :
	    twh_store_fail(s, "starting a transaction");
}

/* Makes writers of KEY take turns until the transaction ends (twh_db_lock). */
int
twh_store_lock(struct twh_store *s, const char *key)
{
	return twh_db_lock(s->db, key) == 0 ? TWH_STORE_OK : twh_store_fail(s, "taking a lock");
}

/*
 * Reads until twh_store_commit: with SNAPSHOT, every query sees the same snapshot; without,
 * each may see the store as it is by then (see TWH_DB_READ_EACH).
 */
int
twh_store_begin_read(struct twh_store *s, bool snapshot)
{
	return twh_db_begin(s->db, snapshot ? TWH_DB_READ_SNAPSHOT : TWH_DB_READ_EACH) == 0 ?
	    TWH_STORE_OK :
	    twh_store_fail(s, "starting a read transaction");
}

/*
 * Whether the commits that follow wait for the disk (the default) or not: for records, and
 * for writes that are worthless by the time the machine could be up again (twh_db.h).
 */
int
twh_store_set_synchronous(struct twh_store *s, bool full)
{
	return twh_db_set_synchronous(s->db, full) == 0 ? TWH_STORE_OK :
	    twh_store_fail(s, "setting how commits wait for the disk");
}

int
twh_store_commit(struct twh_store *s)
{
	return twh_db_commit(s->db) == 0 ? TWH_STORE_OK : twh_store_fail(s, "committing");
}

void
twh_store_rollback(struct twh_store *s)
{
	twh_db_rollback(s->db);
}

/*
 * Keeps SQLite's temporary data in memory: its sorts, and the journal of a savepoint, which
 * spills to a file past 64 KiB otherwise.  For the endpoints, whose sandbox lets them create
 * no file; a large import keeps its sorts on disk.  PostgreSQL has nothing to set.
 */
int
twh_store_temp_in_memory(struct twh_store *s)
{
	if (twh_store_is_postgres(s))
		return TWH_STORE_OK;
	return twh_store_exec(s, "PRAGMA temp_store = MEMORY", "keeping temporary data in memory");
}

/*
 * A savepoint inside the open write transaction, and its end: kept (RELEASE) or undone
 * (ROLLBACK TO, then RELEASE), so that one part of a transaction can be undone alone.
 */
int
twh_store_savepoint(struct twh_store *s)
{
	return twh_store_exec(s, "SAVEPOINT part", "starting a savepoint");
}

int
twh_store_savepoint_end(struct twh_store *s, bool keep)
{
	if (!keep && twh_store_exec(s, "ROLLBACK TO part", "undoing a savepoint") !=
	    TWH_STORE_OK)
		return TWH_STORE_ERROR;
	return twh_store_exec(s, "RELEASE part", "ending a savepoint");
}
