/*
 * twh_store_import_rebuild.c: the indexes of the tables an import loads (customers,
 * customer_channels, customer_links, customers_search_ids), and the search triggers that do
 * nothing while the import defers the index, dropped before a load of at least as many
 * customers as the store holds and made again from their own SQL after it, in the same
 * transaction: building an index from sorted rows costs less than a million inserts in random
 * places, and a trigger that is not there costs nothing per row.  The indexes of a PRIMARY KEY
 * or UNIQUE column (SQLite's own) stay; a unique index made with CREATE UNIQUE INDEX, such as
 * customers_search_ids_by_customer, is dropped, and made again checks it still holds.
 */
#include <stdlib.h>
#include <string.h>

#include "twh_buf.h"
#include "twh_store_internal.h"

#define MAX_OBJECTS	32	/* more than that in the schema: no rebuild */

static const struct twh_sql sql_count = {
    .text = "SELECT count(*) FROM customers"
};
static const struct twh_sql sql_objects = {
    .text = "SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL AND "
    "((type = 'index' AND tbl_name IN ('customers', 'customer_channels', 'customer_links', "
    "'customers_search_ids')) "
    "OR (type = 'trigger' AND tbl_name IN ('customers', 'customer_channels') "
    "AND sql LIKE '%search_deferred%'))"
};

/* What is dropped, and the SQL that makes it again. */
struct twh_rebuild {
	char	*drop[MAX_OBJECTS];
	char	*make[MAX_OBJECTS];
	size_t	 n;
	bool	 full;		/* more than MAX_OBJECTS */
};

void
twh_store_rebuild_free(struct twh_rebuild *r)
{
	size_t	 i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++) {
		free(r->drop[i]);
		free(r->make[i]);
	}
	free(r);
}

/* DROP INDEX or TRIGGER "NAME", the name quoted as SQL quotes it; NULL when out of memory. */
static char *
drop_sql(const char *type, const char *name)
{
	struct twh_buf	 b;
	const char	*p;
	int		 rc;

	twh_buf_init(&b);
	rc = twh_buf_printf(&b, "DROP %s \"", strcmp(type, "index") == 0 ? "INDEX" : "TRIGGER");
	for (p = name; *p != '\0' && rc == 0; p++)
		rc = *p == '"' ? twh_buf_adds(&b, "\"\"") : twh_buf_addc(&b, *p);
	if (rc == 0 && (rc = twh_buf_addc(&b, '"')) == 0)
		return twh_buf_take(&b);
	twh_buf_free(&b);
	return NULL;
}

static int
add_object(struct twh_db_stmt *st, void *arg)
{
	struct twh_rebuild	*r = arg;
	const char		*type = twh_db_column_view(st, 0), *name = twh_db_column_view(st, 1);

	if (type == NULL || name == NULL)
		return -1;
	if (r->n == MAX_OBJECTS) {
		r->full = true;
		return 0;
	}
	r->drop[r->n] = drop_sql(type, name);
	r->make[r->n] = twh_db_column_text(st, 2);
	r->n++;
	return r->drop[r->n - 1] != NULL && r->make[r->n - 1] != NULL ? 0 : -1;
}

/* True when STAGED customers are at least as many as the store holds. */
static int
worth_it(struct twh_store *s, long long staged, bool *worth)
{
	struct twh_db_stmt	*st;
	long long		 n = 0;
	int			 rc;

	*worth = false;
	if ((st = twh_store_stmt(s, &sql_count)) == NULL)
		return TWH_STORE_ERROR;
	if ((rc = twh_store_int_row(s, st, "counting customers", &n)) == TWH_STORE_OK)
		*worth = staged >= n;
	return rc;
}

/*
 * Drops the indexes and triggers when a load of STAGED customers makes it worth it: *R (NULL
 * when it is not) says what to make again with twh_store_rebuild_make.
 */
int
twh_store_rebuild_drop(struct twh_store *s, long long staged, struct twh_rebuild **r)
{
	struct twh_db_stmt	*st;
	bool			 worth;
	size_t			 i;
	int			 rc;

	*r = NULL;
	if ((rc = worth_it(s, staged, &worth)) != TWH_STORE_OK || !worth)
		return rc;
	if ((*r = calloc(1, sizeof(**r))) == NULL)
		return twh_store_out_of_memory(s, "listing indexes");
	if ((st = twh_store_stmt(s, &sql_objects)) == NULL)
		return TWH_STORE_ERROR;
	if ((rc = twh_store_each_row(s, st, "listing indexes", add_object, *r)) != TWH_STORE_OK)
		return rc;
	if ((*r)->full) {
		twh_store_rebuild_free(*r);
		*r = NULL;
		return TWH_STORE_OK;
	}
	for (i = 0; i < (*r)->n; i++)
		if ((rc = twh_store_exec(s, (*r)->drop[i], "dropping an index")) != TWH_STORE_OK)
			return rc;
	return TWH_STORE_OK;
}

/* Makes again what twh_store_rebuild_drop dropped. */
int
twh_store_rebuild_make(struct twh_store *s, struct twh_rebuild *r)
{
	size_t	 i;
	int	 rc;

	for (i = 0; r != NULL && i < r->n; i++)
		if ((rc = twh_store_exec(s, r->make[i], "making an index again")) != TWH_STORE_OK)
			return rc;
	return TWH_STORE_OK;
}
