/*
 * twh_db_sqlite.c: the SQLite driver (twh_db_internal.h).  A connection waits for another
 * writer in short steps up to its patience, enforces foreign keys, and keeps each statement
 * prepared once; a store it creates is in WAL mode, so readers never wait for a writer.  The
 * schema's version is PRAGMA user_version.  The search index's tokenizer is FTS5's unicode61,
 * taken from the connection, so that the words of a search are the words the index holds.
 * Writers take turns (twh_turns.c) before they take SQLite's write lock, and wake a dispatcher
 * by touching STORE.wake, which it watches with inotify.
 *
 * A write transaction in WAL mode commits without waiting for the disk (synchronous = NORMAL),
 * gives the turn to the next writer, and only then flushes the WAL and reports the commit: the
 * flush, most of a small write's time, no longer holds up the writers behind, and the flushes
 * of writers that committed one after the other go to the disk together.  What was committed
 * is on the disk before the caller hears of it, as with synchronous = FULL; a reader may see it
 * a moment sooner.  Every other commit (a statement outside a transaction, a store not in WAL
 * mode) waits for the disk inside the commit, as SQLite does with synchronous = FULL.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "twh_clock.h"
#include "twh_db_internal.h"
#include "twh_turns.h"

#define STMT_CACHE	64	/* the most statements a connection keeps (an import: about 40) */

/*
 * Waits for another writer in steps of a quarter of a millisecond, up to the connection's
 * patience.  SQLite's own handler sleeps 25 to 100 ms between tries, so a process that just
 * missed the lock slept on while others committed: under load that made the slowest answers
 * hundreds of milliseconds.  Short steps cost a few lock attempts and answer in about the time
 * it takes.
 */
#define BUSY_STEP_US	250

/*
 * A checkpoint (the WAL's pages copied into the store) once this many pages were added to the
 * WAL since this connection's last one: SQLite's own count.  SQLite's own rule checkpoints after
 * every commit once the WAL has that many pages, and under a steady load the WAL is never
 * started over (a writer begins while pages of the one before are still to be copied), so
 * every commit paid a checkpoint and its flush of the WAL, and the WAL kept growing.
 */
#define CHECKPOINT_PAGES	1000

/*
 * The WAL started over once it holds this many pages.  Under a steady load SQLite never starts
 * it over by itself: a writer begins before the pages of the one before are copied, or while a
 * reader still reads them.  Then every commit appended to a file that grew by tens of megabytes
 * a second, and each append cost the file system a new block, zeroed, and the flush of a
 * durable commit the file's new size.  A checkpoint in RESTART mode copies what is left, waits
 * up to RESTART_PATIENCE_MS for the readers of the WAL to finish (holding off the writers
 * meanwhile), and the next writer then writes the WAL again from its start, over blocks the
 * file already has.  When readers keep it from that, it is tried again RESTART_PAGES later.
 */
#define RESTART_PAGES		(4 * CHECKPOINT_PAGES)
#define RESTART_PATIENCE_MS	20

struct sqlite_stmt {
	struct twh_db_stmt	 base;
	const struct twh_sql	*sql;	/* compared by address */
	sqlite3_stmt		*stmt;
};

struct sqlite_db {
	struct twh_db		 base;
	sqlite3			*handle;
	char			*path;
	int			 wake_fd;	/* STORE.wake, opened on first use; -1 until then */
	int			 watch_fd;	/* inotify on the store's directory; -1 until asked */
	struct sqlite_stmt	 cache[STMT_CACHE];
	size_t			 n_cached;
	struct twh_turns	*turns;		/* opened by the first write; NULL: none */
	bool			 turns_tried;
	bool			 turn_timed_out; /* the fault: no turn within the patience */
	int			 wal;		/* the store is in WAL mode: 1, 0, -1 until asked */
	int			 checkpointed;	/* the WAL's pages at this connection's checkpoint */
	int			 restart_tried;	/* the WAL's pages when a restart was last tried */
	bool			 committing;	/* in sqlite_commit's COMMIT */
	bool			 checkpoint_due; /* made once the turn is given back */
	bool			 unsynced;	/* set_synchronous(false): commits skip the disk */
	bool			 flush_pending;	/* this write transaction is flushed after it */
	bool			 full_pending;	/* synchronous = FULL again before the next statement */
	const char		*fault;		/* an error the engine does not report */
	char			 message[512];	/* a copy of an engine message, for FAULT */
	int			 patience_ms;	/* how long a statement waits for another writer */
	double			 busy_since;	/* when the current wait began (twh_monotonic_ms) */
	double			 write_queued;	/* when a write BEGIN queued for its turn, or 0 */
	fts5_tokenizer		 tokenizer_api;	/* unicode61, as customers_search uses it */
	Fts5Tokenizer		*tokenizer;	/* created on the first use */
};

#define DB(db)		((struct sqlite_db *)(db))
#define CDB(db)		((const struct sqlite_db *)(db))
#define STMT(st)	(((struct sqlite_stmt *)(st))->stmt)

/*
 * The clock, not the count of tries: each try and each sleep takes longer than it says.  A
 * write transaction's BEGIN counts from when it queued for its turn (write_queued), so that the
 * turn and the lock together wait no longer than the patience.
 */
static int
busy_wait(void *arg, int tries)
{
	struct sqlite_db	*db = arg;

	if (tries == 0)
		db->busy_since = db->write_queued > 0 ? db->write_queued : twh_monotonic_ms();
	else if (twh_elapsed_ms(db->busy_since) >= (double)db->patience_ms)
		return 0;
	usleep(BUSY_STEP_US);
	return 1;
}

/* How long statements wait for another writer from now on. */
static void
sqlite_set_patience(struct twh_db *db, int ms)
{
	DB(db)->patience_ms = ms;
}

/*
 * A checkpoint of what can be copied without waiting (PASSIVE: writers go on meanwhile), and
 * once the WAL holds RESTART_PAGES more than at the last try, the wait for it to be started
 * over.  One that cannot be made now is made by a later commit; it never fails a commit.
 */
static void
checkpoint(struct sqlite_db *db)
{
	int	 log = 0, copied, patience;

	db->checkpoint_due = false;
	(void)sqlite3_wal_checkpoint_v2(db->handle, "main", SQLITE_CHECKPOINT_PASSIVE, &log,
	    &copied);
	if (log < db->restart_tried)
		db->restart_tried = 0;	/* the WAL was started over */
	if (log - db->restart_tried < RESTART_PAGES)
		return;
	db->restart_tried = log;
	patience = db->patience_ms;
	db->patience_ms = RESTART_PATIENCE_MS;
	(void)sqlite3_wal_checkpoint_v2(db->handle, "main", SQLITE_CHECKPOINT_RESTART, NULL, NULL);
	db->patience_ms = patience;
}

/*
 * After each commit in WAL mode, with the WAL's PAGES: a checkpoint once CHECKPOINT_PAGES were
 * added since this connection's last.  A write transaction's is made after its turn is given
 * back and its commit flushed (sqlite_commit), so that copying a thousand pages and flushing
 * the store holds up no other writer; another commit's, at once.
 */
static int
wal_written(void *arg, sqlite3 *handle, const char *name, int pages)
{
	struct sqlite_db	*db = arg;

	(void)handle;
	(void)name;
	if (pages < db->checkpointed)
		db->checkpointed = 0;	/* the WAL was started over */
	if (pages - db->checkpointed < CHECKPOINT_PAGES)
		return SQLITE_OK;
	db->checkpointed = pages;
	if (db->committing)
		db->checkpoint_due = true;
	else
		checkpoint(db);
	return SQLITE_OK;
}

static void	sqlite_close(struct twh_db *);

static int
configure(struct sqlite_db *db, enum twh_db_open how)
{
	sqlite3_busy_handler(db->handle, busy_wait, db);
	sqlite3_wal_hook(db->handle, wal_written, db);
	if (sqlite3_exec(db->handle, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	/* WAL is a property of the file: set once, when the store is created or migrated. */
	return how == TWH_DB_CREATE && sqlite3_exec(db->handle, "PRAGMA journal_mode = WAL", NULL,
	    NULL, NULL) != SQLITE_OK ? -1 : 0;
}

/*
 * Settings of the library itself, made before its first use (later they are refused, and the
 * defaults stay): no statistics of the memory it holds, which nothing here reads and which take
 * a global mutex on each of its allocations (4% of a large import's CPU).
 */
static void
configure_library(void)
{
	static bool	done;

	if (done)
		return;
	done = true;
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/*
 * Opens the SQLite file PATH, whose statements wait up to PATIENCE_MS for another writer; on
 * failure ERR says why in SQLite's words.
 */
static int
sqlite_open(const char *path, enum twh_db_open how, int patience_ms, struct twh_db **out,
    char *err, size_t errlen)
{
	struct sqlite_db	*db;
	int			 flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

	*out = NULL;
	if ((db = calloc(1, sizeof(*db))) == NULL || (db->path = strdup(path)) == NULL) {
		free(db);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	db->base.driver = &twh_db_sqlite_driver;
	db->wake_fd = db->watch_fd = -1;
	db->wal = -1;
	db->patience_ms = patience_ms;
	if (how == TWH_DB_CREATE)
		flags |= SQLITE_OPEN_CREATE;
	configure_library();
	if (sqlite3_open_v2(path, &db->handle, flags, NULL) != SQLITE_OK ||
	    configure(db, how) == -1) {
		snprintf(err, errlen, "%s", db->handle != NULL ? sqlite3_errmsg(db->handle) :
		    "out of memory");
		sqlite_close(&db->base);
		return -1;
	}
	*out = &db->base;
	return 0;
}

static void
sqlite_close(struct twh_db *base)
{
	struct sqlite_db	*db = DB(base);
	size_t			 i;

	for (i = 0; i < db->n_cached; i++)
		sqlite3_finalize(db->cache[i].stmt);
	if (db->tokenizer != NULL)
		db->tokenizer_api.xDelete(db->tokenizer);
	if (db->wake_fd != -1)
		close(db->wake_fd);
	if (db->watch_fd != -1)
		close(db->watch_fd);
	twh_turns_close(db->turns);
	sqlite3_close(db->handle);
	free(db->path);
	free(db);
}

/* Why the last call failed, or NULL when the engine reports no error. */
static const char *
sqlite_error(const struct twh_db *base)
{
	const struct sqlite_db	*db = CDB(base);

	if (db->fault != NULL)
		return db->fault;
	return sqlite3_errcode(db->handle) == SQLITE_OK ? NULL : sqlite3_errmsg(db->handle);
}

/* True when the last failure was another writer holding the store past the patience. */
static bool
sqlite_retryable(const struct twh_db *base)
{
	const struct sqlite_db	*db = CDB(base);
	int			 code = sqlite3_errcode(db->handle);

	return db->turn_timed_out ||
	    (db->fault == NULL && (code == SQLITE_BUSY || code == SQLITE_LOCKED));
}

/*
 * After a deferred write transaction that failed (flush_commit), the connection waits for the
 * disk again before its next statement: not in the failure's path, whose error must stay the
 * one reported.
 */
static void
restore_full(struct sqlite_db *db)
{
	if (!db->full_pending || !sqlite3_get_autocommit(db->handle))
		return;
	db->full_pending = sqlite3_exec(db->handle, "PRAGMA synchronous = FULL", NULL, NULL,
	    NULL) != SQLITE_OK;
}

/* The prepared statement for SQL, reset and unbound, prepared on first use. */
static struct twh_db_stmt *
sqlite_prepare(struct twh_db *base, const struct twh_sql *sql)
{
	struct sqlite_db	*db = DB(base);
	sqlite3_stmt		*stmt;
	size_t			 i;

	restore_full(db);
	db->fault = NULL;
	db->turn_timed_out = false;
	for (i = 0; i < db->n_cached; i++)
		if (db->cache[i].sql == sql) {
			sqlite3_reset(db->cache[i].stmt);
			sqlite3_clear_bindings(db->cache[i].stmt);
			return &db->cache[i].base;
		}
	/* Past the cache's size a statement would leak: make that a programming error. */
	if (db->n_cached == STMT_CACHE) {
		db->fault = "statement cache full";
		return NULL;
	}
	if (sqlite3_prepare_v3(db->handle, sql->text, -1, SQLITE_PREPARE_PERSISTENT, &stmt,
	    NULL) != SQLITE_OK)
		return NULL;
	db->cache[db->n_cached].base.driver = &twh_db_sqlite_driver;
	db->cache[db->n_cached].sql = sql;
	db->cache[db->n_cached].stmt = stmt;
	return &db->cache[db->n_cached++].base;
}

static void
sqlite_bind_text(struct twh_db_stmt *st, int i, const char *value)
{
	sqlite3_bind_text(STMT(st), i, value, -1, SQLITE_STATIC);
}

static void
sqlite_bind_int(struct twh_db_stmt *st, int i, long long value)
{
	sqlite3_bind_int64(STMT(st), i, (sqlite3_int64)value);
}

static void
sqlite_bind_real(struct twh_db_stmt *st, int i, double value)
{
	sqlite3_bind_double(STMT(st), i, value);
}

static enum twh_db_step
sqlite_step(struct twh_db_stmt *st)
{
	switch (sqlite3_step(STMT(st))) {
	case SQLITE_ROW:
		return TWH_DB_ROW;
	case SQLITE_DONE:
		return TWH_DB_DONE;
	default:
		return TWH_DB_FAILED;
	}
}

static void
sqlite_reset(struct twh_db_stmt *st)
{
	sqlite3_reset(STMT(st));
}

static bool
sqlite_column_null(struct twh_db_stmt *st, int col)
{
	return sqlite3_column_type(STMT(st), col) == SQLITE_NULL;
}

static const char *
sqlite_column_view(struct twh_db_stmt *st, int col, size_t *len)
{
	const char	*t = (const char *)sqlite3_column_text(STMT(st), col);

	*len = t != NULL ? (size_t)sqlite3_column_bytes(STMT(st), col) : 0;
	return t;
}

static long long
sqlite_column_int(struct twh_db_stmt *st, int col)
{
	return (long long)sqlite3_column_int64(STMT(st), col);
}

static double
sqlite_column_real(struct twh_db_stmt *st, int col)
{
	return sqlite3_column_double(STMT(st), col);
}

static long long
sqlite_changes(struct twh_db_stmt *st)
{
	return (long long)sqlite3_changes(sqlite3_db_handle(STMT(st)));
}

/* Runs one of the connection's own fixed statements. */
static int
run_fixed(struct twh_db *db, const struct twh_sql *sql)
{
	struct twh_db_stmt	*st = sqlite_prepare(db, sql);
	int			 rc;

	if (st == NULL)
		return -1;
	rc = sqlite_step(st) == TWH_DB_DONE ? 0 : -1;
	sqlite_reset(st);
	return rc;
}

/*
 * This connection's turn among the store's writers (twh_turns.c), within the patience: 0 when
 * it has it or goes on without (no turns here), -1 when another writer kept it too long.
 */
static int
take_turn(struct sqlite_db *db)
{
	if (!db->turns_tried) {
		db->turns_tried = true;
		db->turns = twh_turns_open(db->path);
	}
	if (twh_turns_take(db->turns, db->patience_ms) != -1)
		return 0;
	db->fault = "another writer kept the store past the patience";
	db->turn_timed_out = true;
	return -1;
}

/* The turn given to the next writer once the transaction is over, whichever way it ended. */
static void
end_turn(struct sqlite_db *db)
{
	if (sqlite3_get_autocommit(db->handle))
		twh_turns_give(db->turns);
}

static const struct twh_sql	sync_full = { .text = "PRAGMA synchronous = FULL" };
static const struct twh_sql	sync_normal = { .text = "PRAGMA synchronous = NORMAL" };

/* Whether the store is in WAL mode, asked once; a store whose mode cannot be read is not. */
static bool
in_wal_mode(struct sqlite_db *db)
{
	static const struct twh_sql	 mode = { .text = "PRAGMA journal_mode" };
	struct twh_db_stmt		*st;
	const char			*text;
	size_t				 len;

	if (db->wal != -1)
		return db->wal == 1;
	if ((st = sqlite_prepare(&db->base, &mode)) == NULL)
		return false;
	if (sqlite_step(st) == TWH_DB_ROW) {
		text = sqlite_column_view(st, 0, &len);
		db->wal = text != NULL && strcmp(text, "wal") == 0;
	}
	sqlite_reset(st);
	return db->wal == 1;
}

/*
 * A write transaction about to begin commits without waiting for the disk and is flushed
 * after its turn (flush_commit), unless the connection writes unsynced anyway.
 */
static int
defer_flush(struct sqlite_db *db)
{
	if (db->unsynced || !in_wal_mode(db))
		return 0;
	db->full_pending = false;
	if (run_fixed(&db->base, &sync_normal) == -1)
		return -1;
	db->flush_pending = true;
	return 0;
}

/*
 * Once a deferred write transaction is over: what it COMMITTED is flushed to the disk (the WAL's
 * file, as a synchronous commit would flush it), and the connection waits for the disk again;
 * after a failure, from its next statement on (restore_full).  0, or -1 when either failed:
 * then the commit may not be durable, and is reported failed.
 */
static int
flush_commit(struct sqlite_db *db, bool committed)
{
	sqlite3_file	*wal = NULL;
	int		 synced, rc;

	if (!db->flush_pending || !sqlite3_get_autocommit(db->handle))
		return 0;
	db->flush_pending = false;
	if (!committed) {
		db->full_pending = true;
		return 0;
	}
	synced = sqlite3_file_control(db->handle, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal);
	if (synced == SQLITE_OK)
		synced = wal != NULL && wal->pMethods != NULL ?
		    wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL) : SQLITE_ERROR;
	rc = run_fixed(&db->base, &sync_full);
	if (synced != SQLITE_OK) {
		db->fault = "the commit could not be flushed to the disk";
		rc = -1;
	}
	return rc;
}

/*
 * A write transaction is taken at once (BEGIN IMMEDIATE), after this process's turn among
 * the writers, waiting up to the patience for both: one writer at a time is what makes a claim
 * or the routing rotation safe.  A read transaction gives every query until the commit the
 * same snapshot, whether asked or not: it is the cheapest way to read here.
 */
static int
sqlite_begin(struct twh_db *db, enum twh_db_begin how)
{
	static const struct twh_sql	begin_write = { .text = "BEGIN IMMEDIATE" };
	static const struct twh_sql	begin_read = { .text = "BEGIN" };
	int				rc;

	if (how != TWH_DB_WRITE)
		return run_fixed(db, &begin_read);
	if (defer_flush(DB(db)) == -1)
		return -1;
	DB(db)->write_queued = twh_monotonic_ms();
	if ((rc = take_turn(DB(db))) == 0 && (rc = run_fixed(db, &begin_write)) == -1)
		end_turn(DB(db));
	DB(db)->write_queued = 0;
	if (rc == -1)
		flush_commit(DB(db), false);
	return rc;
}

static int
sqlite_commit(struct twh_db *db)
{
	static const struct twh_sql	commit = { .text = "COMMIT" };
	int				rc;

	DB(db)->committing = true;
	rc = run_fixed(db, &commit);
	DB(db)->committing = false;
	end_turn(DB(db));
	if (flush_commit(DB(db), rc == 0) == -1)
		rc = -1;
	if (DB(db)->checkpoint_due)
		checkpoint(DB(db));
	return rc;
}

static void
sqlite_rollback(struct twh_db *db)
{
	if (!sqlite3_get_autocommit(DB(db)->handle))
		sqlite3_exec(DB(db)->handle, "ROLLBACK", NULL, NULL, NULL);
	end_turn(DB(db));
	flush_commit(DB(db), false);
}

/*
 * Whether the commits that follow wait for the disk (FULL, the default) or not (NORMAL): in
 * WAL mode an unsynced commit survives a crash of any process, and only a power cut or an
 * operating system crash may lose the last ones.
 */
static int
sqlite_set_synchronous(struct twh_db *db, bool full)
{
	DB(db)->unsynced = !full;
	DB(db)->full_pending = false;
	return run_fixed(db, full ? &sync_full : &sync_normal);
}

/* Writers of any key take turns already: a write transaction is the store's only writer. */
static int
sqlite_lock(struct twh_db *db, const char *key)
{
	(void)db;
	(void)key;
	return 0;
}

/*
 * Tells a waiting dispatcher that committed work is there: it watches STORE.wake, whose time
 * stamp this sets.  (The WAL file's own writes come before the commit is visible.)  A failure
 * only delays the dispatcher to its next look, so it is not an error.
 */
static void
sqlite_wake(struct twh_db *base)
{
	struct sqlite_db	*db = DB(base);
	char			 path[4096];

	if (db->wake_fd == -1 &&
	    snprintf(path, sizeof(path), "%s.wake", db->path) < (int)sizeof(path))
		db->wake_fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
	if (db->wake_fd != -1)
		futimens(db->wake_fd, NULL);
}

/*
 * An inotify descriptor watching the store's directory: STORE.wake, and also the WAL file, whose
 * writes (from the sqlite3 shell, say) may come before their commit is visible.  -1 when the
 * directory cannot be watched, with errno set.
 */
static int
sqlite_watch(struct twh_db *base)
{
	struct sqlite_db	*db = DB(base);
	char			*copy;
	int			 fd;

	if (db->watch_fd != -1)
		return db->watch_fd;
	if ((copy = strdup(db->path)) == NULL)
		return -1;
	if ((fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) != -1 &&
	    inotify_add_watch(fd, dirname(copy), IN_ATTRIB | IN_MODIFY | IN_CREATE | IN_MOVED_TO) ==
	    -1) {
		close(fd);
		fd = -1;
	}
	free(copy);
	return db->watch_fd = fd;
}

static void
sqlite_watch_drain(struct twh_db *base)
{
	struct sqlite_db	*db = DB(base);
	char			 events[4096];

	if (db->watch_fd != -1)
		while (read(db->watch_fd, events, sizeof(events)) > 0)
			continue;
}

static int
sqlite_schema_version(struct twh_db *db, int *version)
{
	static const struct twh_sql	user_version = { .text = "PRAGMA user_version" };
	struct twh_db_stmt		*st = sqlite_prepare(db, &user_version);
	int				 rc = -1;

	*version = 0;
	if (st != NULL && sqlite_step(st) == TWH_DB_ROW) {
		*version = (int)sqlite_column_int(st, 0);
		rc = 0;
	}
	if (st != NULL)
		sqlite_reset(st);
	return rc;
}

/*
 * Applies SQL, a migration's statements, and records VERSION, all in one write transaction;
 * nothing when another twhook init got the store there first.
 */
static int
sqlite_migrate_step(struct twh_db *base, int version, const char *sql)
{
	struct sqlite_db	*db = DB(base);
	char			 pragma[64];
	int			 rc, now = 0;

	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", version);
	restore_full(db);
	rc = sqlite3_exec(db->handle, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK && sqlite_schema_version(base, &now) == 0 && now >= version)
		return sqlite3_exec(db->handle, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
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

static int
sqlite_exec(struct twh_db *base, const char *sql)
{
	struct sqlite_db	*db = DB(base);

	restore_full(db);
	db->fault = NULL;
	return sqlite3_exec(db->handle, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
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
static int
sqlite_tokenize(struct twh_db *base, const char *text, int (*token)(void *, const char *, int),
    void *arg)
{
	struct sqlite_db	*db = DB(base);
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

const struct twh_db_driver twh_db_sqlite_driver = {
	.dialect = TWH_DB_SQLITE,
	.schema_sql = twh_schema_sql,
	.open = sqlite_open,
	.close = sqlite_close,
	.error = sqlite_error,
	.retryable = sqlite_retryable,
	.set_patience = sqlite_set_patience,
	.prepare = sqlite_prepare,
	.bind_text = sqlite_bind_text,
	.bind_int = sqlite_bind_int,
	.bind_real = sqlite_bind_real,
	.step = sqlite_step,
	.reset = sqlite_reset,
	.column_null = sqlite_column_null,
	.column_view = sqlite_column_view,
	.column_int = sqlite_column_int,
	.column_real = sqlite_column_real,
	.changes = sqlite_changes,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.set_synchronous = sqlite_set_synchronous,
	.lock = sqlite_lock,
	.watch = sqlite_watch,
	.watch_drain = sqlite_watch_drain,
	.wake = sqlite_wake,
	.schema_version = sqlite_schema_version,
	.migrate_step = sqlite_migrate_step,
	.exec = sqlite_exec,
	.tokenize = sqlite_tokenize,
};
