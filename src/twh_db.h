/*
 * twh_db.h: the store's database drivers, the only code that speaks to an engine.  The store's
 * modules (twh_store*.c) prepare statements, bind parameters by number (?1, ?2, ...), step
 * through rows and read columns through these calls, and never name an engine's own API; each
 * driver maps its engine's errors to two kinds, "try again" (a lock held too long, a lost
 * connection, no primary reachable) and the rest.  The target names the engine: a libpq URI
 * (postgresql://, postgres://) is PostgreSQL (twh_db_postgres.c), anything else the path of a
 * SQLite file (twh_db_sqlite.c).  A statement carries its SQLite text and, where the dialects
 * differ, its PostgreSQL text; twh_db.c sends each call to the connection's driver.
 */
#ifndef TWH_DB_H
#define TWH_DB_H

#include <stdbool.h>
#include <stddef.h>

struct twh_db;
struct twh_db_stmt;

/*
 * One SQL statement.  Statements are static and compared by address: the driver prepares each
 * once per connection and keeps it.  TEXT is SQLite's; POSTGRES is PostgreSQL's where it
 * differs, and when it is NULL PostgreSQL runs TEXT with ?N read as $N.
 *
 * CACHED marks a read of the customer tables alone (customers, customer_channels,
 * customer_links, and customers_search and search_workers, which their triggers keep), whose
 * edits NOTIFY twhook_customers.
 * Outside a write transaction, the PostgreSQL driver may answer it from answers it read on
 * the same connection to a primary (twh_db_postgres_cache.h): until an edit's notification
 * arrives, at most twh_db_set_read_cache's time old (TWH_DB_READ_CACHE_MS unless set).  So
 * its answer may be older than the transaction's snapshot by that much.  SQLite reads the
 * file itself every time.
 */
#define TWH_DB_READ_CACHE_MS	1000
struct twh_sql {
	const char	*text;
	const char	*postgres;
	bool		 cached;
};

/* Which SQL a connection speaks, for the few things the store writes differently. */
enum twh_db_dialect {
	TWH_DB_SQLITE,
	TWH_DB_POSTGRES
};

/* What stepping a statement gave. */
enum twh_db_step {
	TWH_DB_ROW,	/* a row: read its columns, then step again */
	TWH_DB_DONE,	/* no more rows (or none at all) */
	TWH_DB_FAILED	/* twh_db_error says why; twh_db_retryable whether to try again */
};

/* How a connection is opened. */
enum twh_db_open {
	TWH_DB_EXISTING,	/* the store must exist (endpoints, most of twhook(1)) */
	TWH_DB_CREATE		/* create it when missing (twhook init) */
};

/* True when TARGET names a PostgreSQL database (a libpq URI) rather than a SQLite file. */
bool			 twh_db_is_postgres(const char *target);
/* TARGET as messages show it: a password in a URI becomes "***". */
void			 twh_db_display(const char *target, char *out, size_t len);
size_t			 twh_db_tcp_ports(const char *target, unsigned short *ports, size_t max);

int			 twh_db_open(const char *target, enum twh_db_open, int patience_ms,
			    struct twh_db **, char *err, size_t errlen);
void			 twh_db_close(struct twh_db *);
const char		*twh_db_error(const struct twh_db *);
bool			 twh_db_retryable(const struct twh_db *);
void			 twh_db_set_patience(struct twh_db *, int ms);
void			 twh_db_set_read_cache(struct twh_db *, int ms);
enum twh_db_dialect	 twh_db_dialect(const struct twh_db *);

/* Statements. */
struct twh_db_stmt	*twh_db_prepare(struct twh_db *, const struct twh_sql *);
void			 twh_db_bind_text(struct twh_db_stmt *, int, const char *);
void			 twh_db_bind_int(struct twh_db_stmt *, int, long long);
void			 twh_db_bind_real(struct twh_db_stmt *, int, double);
enum twh_db_step	 twh_db_step(struct twh_db_stmt *);
void			 twh_db_reset(struct twh_db_stmt *);
bool			 twh_db_column_null(struct twh_db_stmt *, int);
char			*twh_db_column_text(struct twh_db_stmt *, int);
const char		*twh_db_column_view(struct twh_db_stmt *, int);
size_t			 twh_db_column_bytes(struct twh_db_stmt *, int);
long long		 twh_db_column_int(struct twh_db_stmt *, int);
double			 twh_db_column_real(struct twh_db_stmt *, int);
long long		 twh_db_changes(struct twh_db_stmt *);

/* How a transaction begins (twh_db_begin). */
enum twh_db_begin {
	TWH_DB_WRITE,		/* writes: SQLite's one writer at a time, taken at once */
	TWH_DB_READ_SNAPSHOT,	/* reads that see one snapshot until the commit */
	/*
	 * Reads that need no common snapshot: on PostgreSQL each statement is a transaction of
	 * its own, one round trip with no BEGIN or COMMIT to wait for; on SQLite, whose BEGIN
	 * costs nothing, as TWH_DB_READ_SNAPSHOT.
	 */
	TWH_DB_READ_EACH
};

/*
 * SQL text made at run time (the store's own schema, read back), run once and not kept, in
 * the transaction under way: 0, or -1 with twh_db_error set.
 */
int			 twh_db_exec(struct twh_db *, const char *sql);

/* Transactions and connection settings. */
int			 twh_db_begin(struct twh_db *, enum twh_db_begin);
int			 twh_db_commit(struct twh_db *);
void			 twh_db_rollback(struct twh_db *);
int			 twh_db_set_synchronous(struct twh_db *, bool full);
/*
 * Makes writers of KEY take turns until the transaction ends.  SQLite's write transaction is
 * one writer at a time already; PostgreSQL takes an advisory lock on KEY.
 */
int			 twh_db_lock(struct twh_db *, const char *key);

/*
 * Telling a dispatcher that work was committed: twh_db_watch gives a descriptor that becomes
 * readable when it may have been (-1: none, look by timer), twh_db_watch_drain empties it.
 * SQLite watches the store's directory (inotify; writers touch STORE.wake with twh_db_wake);
 * PostgreSQL LISTENs, and the outbox's own trigger NOTIFYs, so twh_db_wake does nothing.
 */
int			 twh_db_watch(struct twh_db *);
void			 twh_db_watch_drain(struct twh_db *);
void			 twh_db_wake(struct twh_db *);

/*
 * The schema: the engine's schema file (sections "-- version N"), the store's version, and a
 * migration step (many statements) applied in one transaction unless the store is at VERSION.
 */
const char		*twh_db_schema_sql(const struct twh_db *);
int			 twh_db_schema_version(struct twh_db *, int *);
int			 twh_db_migrate_step(struct twh_db *, int version, const char *sql);

/* The engines' schema files (schema/twhook.sql, schema/twhook-postgres.sql), compiled in. */
extern const char	 twh_schema_sql[];
extern const char	 twh_schema_postgres_sql[];

/* The search index's tokenizer: TOKEN is called for each token of TEXT. */
int			 twh_db_tokenize(struct twh_db *, const char *text,
			    int (*token)(void *, const char *, int), void *);

#endif
