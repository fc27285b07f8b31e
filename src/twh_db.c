/*
 * twh_db.c: picks a connection's driver from the target it opens (a libpq URI is PostgreSQL,
 * anything else a SQLite file) and sends every later call to that driver.  What is the same
 * for every engine lives here too: the copy of a text column.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "twh_db_internal.h"

bool
twh_db_is_postgres(const char *target)
{
	return strncmp(target, "postgresql://", 13) == 0 || strncmp(target, "postgres://", 11) == 0;
}

/* Appends N bytes of S to OUT (of LEN bytes, *AT used), cutting what does not fit. */
static void
append(char *out, size_t len, size_t *at, const char *s, size_t n)
{
	if (*at + 1 >= len)
		return;
	if (n > len - 1 - *at)
		n = len - 1 - *at;
	memcpy(out + *at, s, n);
	*at += n;
	out[*at] = '\0';
}

void
twh_db_display(const char *target, char *out, size_t len)
{
	const char	*p, *authority_end, *colon, *at_sign, *pw;
	size_t		 used = 0;

	if (len == 0)
		return;
	out[0] = '\0';
	if (!twh_db_is_postgres(target)) {
		append(out, len, &used, target, strlen(target));
		return;
	}
	/*
	 * postgresql://user:password@host/...: the password is between the first ':' and the last
	 * '@' before the path, so that an '@' left unescaped in it is hidden too.
	 */
	p = strstr(target, "://") + 3;
	authority_end = p + strcspn(p, "/?");
	for (at_sign = authority_end; at_sign > p && at_sign[-1] != '@'; at_sign--)
		continue;
	at_sign = at_sign > p ? at_sign - 1 : NULL;
	colon = at_sign != NULL ? memchr(p, ':', (size_t)(at_sign - p)) : NULL;
	if (colon != NULL) {
		append(out, len, &used, target, (size_t)(colon + 1 - target));
		append(out, len, &used, "***", 3);
		p = at_sign;
	} else
		p = target;
	/* ...?password=secret&...: the parameter's value. */
	while ((pw = strstr(p, "password=")) != NULL) {
		append(out, len, &used, p, (size_t)(pw + 9 - p));
		p = pw + 9;
		if (pw[-1] == '?' || pw[-1] == '&') {
			append(out, len, &used, "***", 3);
			p += strcspn(p, "&");
		}
	}
	append(out, len, &used, p, strlen(p));
}

/*
 * The TCP ports a connection to TARGET may use, up to MAX into PORTS: none for a SQLite file
 * (or without PostgreSQL support).
 */
size_t
twh_db_tcp_ports(const char *target, unsigned short *ports, size_t max)
{
#ifdef HAVE_POSTGRESQL
	if (twh_db_is_postgres(target))
		return twh_db_postgres_ports(target, ports, max);
#else
	(void)ports;
	(void)max;
#endif
	(void)target;
	return 0;
}

int
twh_db_open(const char *target, enum twh_db_open how, int patience_ms, struct twh_db **out,
    char *err, size_t errlen)
{
	if (!twh_db_is_postgres(target))
		return twh_db_sqlite_driver.open(target, how, patience_ms, out, err, errlen);
#ifdef HAVE_POSTGRESQL
	return twh_db_postgres_driver.open(target, how, patience_ms, out, err, errlen);
#else
	*out = NULL;
	snprintf(err, errlen, "this twhook was built without PostgreSQL (configure found no "
	    "libpq: apt-get install libpq-dev, then configure and build again)");
	return -1;
#endif
}

void
twh_db_close(struct twh_db *db)
{
	if (db != NULL)
		db->driver->close(db);
}

const char *
twh_db_error(const struct twh_db *db)
{
	return db->driver->error(db);
}

bool
twh_db_retryable(const struct twh_db *db)
{
	return db->driver->retryable(db);
}

void
twh_db_set_patience(struct twh_db *db, int ms)
{
	db->driver->set_patience(db, ms);
}

/* How long cached statements' answers may be kept (twh_db.h), in ms; 0: not at all. */
void
twh_db_set_read_cache(struct twh_db *db, int ms)
{
	if (db->driver->set_read_cache != NULL)
		db->driver->set_read_cache(db, ms);
}

enum twh_db_dialect
twh_db_dialect(const struct twh_db *db)
{
	return db->driver->dialect;
}

struct twh_db_stmt *
twh_db_prepare(struct twh_db *db, const struct twh_sql *sql)
{
	return db->driver->prepare(db, sql);
}

/* Binds VALUE to parameter I; a NULL VALUE is SQL NULL.  VALUE must outlive the statement's use. */
void
twh_db_bind_text(struct twh_db_stmt *st, int i, const char *value)
{
	st->driver->bind_text(st, i, value);
}

void
twh_db_bind_int(struct twh_db_stmt *st, int i, long long value)
{
	st->driver->bind_int(st, i, value);
}

void
twh_db_bind_real(struct twh_db_stmt *st, int i, double value)
{
	st->driver->bind_real(st, i, value);
}

enum twh_db_step
twh_db_step(struct twh_db_stmt *st)
{
	return st->driver->step(st);
}

/* Ends the statement's run, so that no read transaction stays open to hide later edits. */
void
twh_db_reset(struct twh_db_stmt *st)
{
	st->driver->reset(st);
}

bool
twh_db_column_null(struct twh_db_stmt *st, int col)
{
	return st->driver->column_null(st, col);
}

/*
 * A copy of a text column, or NULL for SQL NULL (and on allocation failure).  A NUL that an
 * operator's shell put inside the text is left out rather than cutting the rest off.
 */
char *
twh_db_column_text(struct twh_db_stmt *st, int col)
{
	size_t		 len, i, n = 0;
	const char	*t = st->driver->column_view(st, col, &len);
	char		*copy;

	if (t == NULL || (copy = malloc(len + 1)) == NULL)
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
	size_t	 len;

	return st->driver->column_view(st, col, &len);
}

/* The bytes of a column's text, NUL bytes within it included; 0 for NULL. */
size_t
twh_db_column_bytes(struct twh_db_stmt *st, int col)
{
	size_t	 len = 0;

	return st->driver->column_view(st, col, &len) != NULL ? len : 0;
}

long long
twh_db_column_int(struct twh_db_stmt *st, int col)
{
	return st->driver->column_int(st, col);
}

double
twh_db_column_real(struct twh_db_stmt *st, int col)
{
	return st->driver->column_real(st, col);
}

/* The rows the statement's last run inserted, changed or deleted. */
long long
twh_db_changes(struct twh_db_stmt *st)
{
	return st->driver->changes(st);
}

int
twh_db_begin(struct twh_db *db, enum twh_db_begin how)
{
	return db->driver->begin(db, how);
}

int
twh_db_commit(struct twh_db *db)
{
	return db->driver->commit(db);
}

void
twh_db_rollback(struct twh_db *db)
{
	db->driver->rollback(db);
}

int
twh_db_set_synchronous(struct twh_db *db, bool full)
{
	return db->driver->set_synchronous(db, full);
}

int
twh_db_lock(struct twh_db *db, const char *key)
{
	return db->driver->lock(db, key);
}

int
twh_db_watch(struct twh_db *db)
{
	return db->driver->watch(db);
}

void
twh_db_watch_drain(struct twh_db *db)
{
	db->driver->watch_drain(db);
}

void
twh_db_wake(struct twh_db *db)
{
	db->driver->wake(db);
}

const char *
twh_db_schema_sql(const struct twh_db *db)
{
	return db->driver->schema_sql;
}

int
twh_db_schema_version(struct twh_db *db, int *version)
{
	return db->driver->schema_version(db, version);
}

int
twh_db_exec(struct twh_db *db, const char *sql)
{
	return db->driver->exec(db, sql);
}

int
twh_db_migrate_step(struct twh_db *db, int version, const char *sql)
{
	return db->driver->migrate_step(db, version, sql);
}

int
twh_db_tokenize(struct twh_db *db, const char *text, int (*token)(void *, const char *, int),
    void *arg)
{
	return db->driver->tokenize(db, text, token, arg);
}
