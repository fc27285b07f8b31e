/*
 * twh_store_routing.c: who gets an inbound conversation.  A customer is found by the address it
 * writes from (an exact channel value); customers nobody owns, and unknown addresses, go to the
 * workers table in turn: the pool worker after the one chosen last, in identity order, wrapping
 * around.  The rotation is a row in routing_state, written in the caller's transaction, so two
 * conversations arriving together still go to two workers.
 */
#include <stdlib.h>
#include <string.h>

#include "twh_store_internal.h"

static const char sql_by_address[] =
    "SELECT c.customer_id, c.display_name, c.worker, c.avatar FROM customer_channels AS ch "
    "JOIN customers AS c ON c.customer_id = ch.customer_id WHERE ch.value = ?1 "
    "ORDER BY c.customer_id LIMIT 1";
static const char sql_last_worker[] =
    "SELECT value FROM routing_state WHERE name = 'last_pool_worker'";
/* Two lookups in the primary key, however many workers there are. */
static const char sql_next_worker[] =
    "SELECT ifnull((SELECT min(identity) FROM workers WHERE identity > ifnull(?1, '')), "
    "(SELECT min(identity) FROM workers))";
static const char sql_set_last_worker[] =
    "INSERT INTO routing_state (name, value) VALUES ('last_pool_worker', ?1) "
    "ON CONFLICT (name) DO UPDATE SET value = excluded.value";

/* The customer writing from ADDRESS (the lowest customer_id when several share it). */
int
twh_store_customer_by_address(struct twh_store *s, const char *address, struct twh_customer *c)
{
	sqlite3_stmt	*st;
	int		 rc;

	memset(c, 0, sizeof(*c));
	if ((st = twh_store_stmt(s, sql_by_address)) == NULL)
		return TWH_STORE_ERROR;
	sqlite3_bind_text(st, 1, address, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		c->customer_id = twh_store_column_text(st, 0);
		c->display_name = twh_store_column_text(st, 1);
		c->worker = twh_store_column_text(st, 2);
		c->avatar = twh_store_column_text(st, 3);
		rc = c->customer_id != NULL && c->display_name != NULL ? TWH_STORE_OK :
		    twh_store_fail(s, "out of memory");
	} else
		rc = rc == SQLITE_DONE ? TWH_STORE_NOT_FOUND :
		    twh_store_fail(s, "finding a customer by address");
	sqlite3_reset(st);
	if (rc != TWH_STORE_OK)
		twh_customer_free(c);
	return rc;
}

/* A single text column of ST's first row into *OUT; NOT_FOUND for no row, or NULL. */
static int
first_text(struct twh_store *s, sqlite3_stmt *st, char **out, const char *what)
{
	int	 rc = sqlite3_step(st);

	*out = NULL;
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_NULL)
		rc = TWH_STORE_NOT_FOUND;
	else if (rc == SQLITE_ROW) {
		*out = twh_store_column_text(st, 0);
		rc = *out != NULL ? TWH_STORE_OK : twh_store_fail(s, "out of memory");
	} else if (rc != TWH_STORE_NOT_FOUND)
		rc = rc == SQLITE_DONE ? TWH_STORE_NOT_FOUND : twh_store_fail(s, what);
	sqlite3_reset(st);
	return rc;
}

/* The next pool worker in turn, recorded as the last one chosen; NOT_FOUND for an empty pool. */
int
twh_store_next_pool_worker(struct twh_store *s, char **identity)
{
	sqlite3_stmt	*st;
	char		*last = NULL;
	int		 rc;

	*identity = NULL;
	if ((st = twh_store_stmt(s, sql_last_worker)) == NULL)
		return TWH_STORE_ERROR;
	rc = first_text(s, st, &last, "reading the routing rotation");
	if (rc == TWH_STORE_ERROR)
		return rc;
	if ((st = twh_store_stmt(s, sql_next_worker)) == NULL) {
		free(last);
		return TWH_STORE_ERROR;
	}
	if (last != NULL)
		sqlite3_bind_text(st, 1, last, -1, SQLITE_STATIC);
	rc = first_text(s, st, identity, "choosing a pool worker");
	free(last);
	if (rc != TWH_STORE_OK)
		return rc;
	if ((st = twh_store_stmt(s, sql_set_last_worker)) == NULL)
		return TWH_STORE_ERROR;
	sqlite3_bind_text(st, 1, *identity, -1, SQLITE_STATIC);
	rc = twh_store_step_done(s, st, "recording the routing rotation");
	if (rc != TWH_STORE_OK) {
		free(*identity);
		*identity = NULL;
	}
	return rc;
}
