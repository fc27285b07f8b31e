/*
 * twh_store_routing.c: who gets an inbound conversation that no owner takes (the owner is found
 * with twh_store_customer_by_address): the workers table in turn, the pool worker after the one
 * chosen last, in identity order, wrapping around.  The rotation is a row in routing_state,
 * written in the caller's transaction under a lock of its own (twh_store_lock: SQLite's write
 * transaction, PostgreSQL's advisory lock), so two conversations arriving together still go to
 * two workers.
 */
#include <stdlib.h>

#include "twh_store_internal.h"

static const struct twh_sql sql_last_worker = {
    .text = "SELECT value FROM routing_state WHERE name = 'last_pool_worker'"
};
/* Two lookups in the primary key, however many workers there are. */
static const struct twh_sql sql_next_worker = {
    .text = "SELECT coalesce("
    "(SELECT min(identity) FROM workers WHERE identity > coalesce(?1, '')), "
    "(SELECT min(identity) FROM workers))"
};
static const struct twh_sql sql_set_last_worker = {
    .text = "INSERT INTO routing_state (name, value) VALUES ('last_pool_worker', ?1) "
    "ON CONFLICT (name) DO UPDATE SET value = excluded.value"
};

/* A single text column of ST's first row into *OUT; NOT_FOUND for no row, or NULL. */
static int
first_text(struct twh_store *s, struct twh_db_stmt *st, char **out, const char *what)
{
	int	 rc = twh_store_text_row(s, st, what, out);

	return rc == TWH_STORE_OK && *out == NULL ? TWH_STORE_NOT_FOUND : rc;
}

/* The next pool worker in turn, recorded as the last one chosen; NOT_FOUND for an empty pool. */
int
twh_store_next_pool_worker(struct twh_store *s, char **identity)
{
	struct twh_db_stmt	*st;
	char			*last = NULL;
	int			 rc;

	*identity = NULL;
	/* Two routings at once must not both read the same last worker. */
	if (twh_store_lock(s, "routing rotation") != TWH_STORE_OK)
		return TWH_STORE_ERROR;
	if ((st = twh_store_stmt(s, &sql_last_worker)) == NULL)
		return TWH_STORE_ERROR;
	rc = first_text(s, st, &last, "reading the routing rotation");
	if (rc == TWH_STORE_ERROR)
		return rc;
	if ((st = twh_store_stmt(s, &sql_next_worker)) == NULL) {
		free(last);
		return TWH_STORE_ERROR;
	}
	if (last != NULL)
		twh_db_bind_text(st, 1, last);
	rc = first_text(s, st, identity, "choosing a pool worker");
	free(last);
	if (rc != TWH_STORE_OK)
		return rc;
	if ((st = twh_store_stmt(s, &sql_set_last_worker)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_text(st, 1, *identity);
	rc = twh_store_step_done(s, st, "recording the routing rotation");
	if (rc != TWH_STORE_OK) {
		free(*identity);
		*identity = NULL;
	}
	return rc;
}
