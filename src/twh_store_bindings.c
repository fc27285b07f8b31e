/*
 * twh_store_bindings.c: the client_bindings table, the devices (and relays) that a Voice
 * client identity is notified on: found by identity and account for twhook-call-notify,
 * listed, added and removed for `twhook binding`, and removed by `twhook dispatch` when the
 * push service says a device is gone.
 */
#include <stdlib.h>
#include <string.h>

#include "twh_store_internal.h"

#define BINDING_COLUMNS "binding_id, account_sid, identity, transport, address"

static const struct twh_sql sql_bindings_of = {
    .text = "SELECT " BINDING_COLUMNS " FROM client_bindings "
    "WHERE identity = ?1 AND account_sid = ?2 ORDER BY binding_id"
};
static const struct twh_sql sql_bindings_list = {
    .text = "SELECT " BINDING_COLUMNS " FROM client_bindings "
    "WHERE CAST(?1 AS TEXT) IS NULL OR identity = ?1 "
    "ORDER BY identity, account_sid, binding_id"
};
static const struct twh_sql sql_binding_add = {
    .text = "INSERT INTO client_bindings (" BINDING_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5)"
};
static const struct twh_sql sql_binding_remove = {
    .text = "DELETE FROM client_bindings WHERE binding_id = ?1"
};

void
twh_bindings_free(struct twh_binding *b, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(b[i].binding_id);
		free(b[i].account_sid);
		free(b[i].identity);
		free(b[i].transport);
		free(b[i].address);
	}
	free(b);
}

struct binding_rows {
	struct twh_binding	*v;
	size_t			 n;
};

static int
binding_row(struct twh_db_stmt *st, void *arg)
{
	struct binding_rows	*r = arg;
	struct twh_binding	*v, *b;
	char			**fields[5];
	int			 i;

	if ((v = reallocarray(r->v, r->n + 1, sizeof(*v))) == NULL)
		return -1;
	r->v = v;
	b = &v[r->n++];
	memset(b, 0, sizeof(*b));
	fields[0] = &b->binding_id;
	fields[1] = &b->account_sid;
	fields[2] = &b->identity;
	fields[3] = &b->transport;
	fields[4] = &b->address;
	for (i = 0; i < 5; i++)
		if ((*fields[i] = twh_db_column_text(st, i)) == NULL)
			return -1;
	return 0;
}

static int
bindings(struct twh_store *s, struct twh_db_stmt *st, struct twh_binding **out, size_t *n)
{
	struct binding_rows	 r = { NULL, 0 };

	if (twh_store_each_row(s, st, "reading the client bindings", binding_row, &r) !=
	    TWH_STORE_OK) {
		twh_bindings_free(r.v, r.n);
		return TWH_STORE_ERROR;
	}
	*out = r.v;
	*n = r.n;
	return TWH_STORE_OK;
}

/* The bindings of IDENTITY in ACCOUNT_SID, by binding id; none is not an error. */
int
twh_store_bindings_of(struct twh_store *s, const char *identity, const char *account_sid,
    struct twh_binding **out, size_t *n)
{
	struct twh_db_stmt	*st;

	*out = NULL;
	*n = 0;
	if ((st = twh_store_stmt(s, &sql_bindings_of)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_text(st, 1, identity);
	twh_db_bind_text(st, 2, account_sid);
	return bindings(s, st, out, n);
}

/* Every binding, or IDENTITY's (in any account) when it is not NULL. */
int
twh_store_bindings_list(struct twh_store *s, const char *identity, struct twh_binding **out,
    size_t *n)
{
	struct twh_db_stmt	*st;

	*out = NULL;
	*n = 0;
	if ((st = twh_store_stmt(s, &sql_bindings_list)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_text(st, 1, identity);
	return bindings(s, st, out, n);
}

/* Adds B; a binding id already taken, or a value the schema refuses, is an error. */
int
twh_store_binding_add(struct twh_store *s, const struct twh_binding *b)
{
	const char	*values[] = { b->binding_id, b->account_sid, b->identity, b->transport,
			    b->address };
	struct twh_db_stmt	*st;
	int		 i;

	if ((st = twh_store_stmt(s, &sql_binding_add)) == NULL)
		return TWH_STORE_ERROR;
	for (i = 0; i < 5; i++)
		twh_db_bind_text(st, i + 1, values[i]);
	return twh_store_step_done(s, st, "adding the binding");
}

/* Removes the binding BINDING_ID; TWH_STORE_NOT_FOUND when there is none. */
int
twh_store_binding_remove(struct twh_store *s, const char *binding_id)
{
	struct twh_db_stmt	*st;

	if ((st = twh_store_stmt(s, &sql_binding_remove)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_text(st, 1, binding_id);
	if (twh_store_step_done(s, st, "removing the binding") != TWH_STORE_OK)
		return TWH_STORE_ERROR;
	return twh_db_changes(st) > 0 ? TWH_STORE_OK : TWH_STORE_NOT_FOUND;
}
