/*
 * twh_db.h: the store's database driver, the only code that speaks to an engine.  The store's
 * modules (twh_store*.c) prepare statements, bind parameters by number (?1, ?2, ...), step
 * through rows and read columns through these calls, and never name the engine's own API; the
 * driver maps the engine's errors to two kinds, "try again" (another writer held a lock too
 * long) and the rest.  SQLite is the engine (twh_db_sqlite.c); statements carry their text per
 * dialect so that a second engine can sit under the same store logic.
 */
#ifndef TWH_DB_H
#define TWH_DB_H

#include <stdbool.h>
#include <stddef.h>

struct twh_db;
struct twh_db_stmt;

/*
 * One SQL statement.  Statements are static and compared by address: the driver prepares each
 * once per connection and keeps it.
 */
struct twh_sql {
	const char	*text;
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

int			 twh_db_open(const char *target, enum twh_db_open, int patience_ms,
			    struct twh_db **, char *err, size_t errlen);
void			 twh_db_close(struct twh_db *);
const char		*twh_db_error(const struct twh_db *);
bool			 twh_db_retryable(const struct twh_db *);
void			 twh_db_set_patience(struct twh_db *, int ms);

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
long long		 twh_db_column_int(struct twh_db_stmt *, int);
double			 twh_db_column_real(struct twh_db_stmt *, int);
long long		 twh_db_changes(struct twh_db_stmt *);

/* Transactions and connection settings. */
int			 twh_db_begin(struct twh_db *, bool write);
int			 twh_db_commit(struct twh_db *);
void			 twh_db_rollback(struct twh_db *);
int			 twh_db_set_synchronous(struct twh_db *, bool full);

/* The schema: its version, and a migration step (many statements) in one transaction. */
int			 twh_db_schema_version(struct twh_db *, int *);
int			 twh_db_migrate_step(struct twh_db *, int version, const char *sql);

/* The search index's tokenizer: TOKEN is called for each token of TEXT. */
int			 twh_db_tokenize(struct twh_db *, const char *text,
			    int (*token)(void *, const char *, int), void *);

#endif
