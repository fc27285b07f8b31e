/*
 * twh_store_import.c: customers in bulk, for twhook(1).  An import is one transaction in which
 * each customer is added, updated or found unchanged, and with --sync the customers the file
 * did not name are removed, except those a job still waiting in the outbox names (it would set
 * a participant's customer_id to a customer that is gone).  An export reads every customer in
 * id order, a page of ids at a time, and the columns its CSV form needs.
 *
 * On SQLite the customers added or changed are staged and written together by
 * twh_store_import_load (twh_store_import_load.c), which writes the search index too: a row
 * in search_deferred (schema version 6) silences the search triggers for the import's
 * transaction alone, and those that count edits of the customers (version 10), whose count the
 * import adds to itself.  On PostgreSQL each customer is written as it comes, and the triggers
 * keep the index, as they do for any edit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twh_store_internal.h"

#define EACH_PAGE	256

static const struct twh_sql sql_defer = {
    .text = "INSERT INTO search_deferred (since) VALUES (julianday('now'))"
};
static const struct twh_sql sql_undefer = {
    .text = "DELETE FROM search_deferred"
};
/* What the silenced triggers would have done too: FastCGI processes read their lists again. */
static const struct twh_sql sql_edited = {
    .text = "UPDATE customers_version SET version = version + 1"
};
static const struct twh_sql sql_seen_table = {
    .text = "CREATE TEMP TABLE IF NOT EXISTS import_seen (customer_id TEXT PRIMARY KEY)",
    .postgres = "CREATE TEMP TABLE IF NOT EXISTS import_seen "
    "(customer_id text COLLATE \"C\" PRIMARY KEY) ON COMMIT DROP"
};
static const struct twh_sql sql_seen_add = {
    .text = "INSERT INTO import_seen (customer_id) VALUES (?1) ON CONFLICT DO NOTHING"
};
/* The staging tables in files, never in memory, whatever SQLite was built to prefer. */
static const struct twh_sql sql_temp_files = {
    .text = "PRAGMA temp_store = FILE"
};
/*
 * The store's file read through a memory map, up to 1 GiB of it: comparing each customer of a
 * --sync with the store reads it at random, and a page read through the map costs no system
 * call and no copy.  The pages mapped are the kernel's page cache, counted in the import's
 * resident memory while it runs, not memory of its own.  A SQLite built without memory maps
 * ignores it.
 */
static const struct twh_sql sql_mmap = {
    .text = "PRAGMA mmap_size = 1073741824"
};
/*
 * The staged import checks no foreign key: each channel and link it writes is its own
 * customer's, written from the same staged row just before it, and the customers it removes
 * take their channels and links with them explicitly (sql_gone_channels).  The check would
 * cost a lookup in customers for each of them.  SQLite changes the setting only outside a
 * transaction, so it is off from before the import's BEGIN to after its end.
 */
static const struct twh_sql sql_keys_off = {
    .text = "PRAGMA foreign_keys = OFF"
};
static const struct twh_sql sql_keys_on = {
    .text = "PRAGMA foreign_keys = ON"
};
static const struct twh_sql sql_any_customer = {
    .text = "SELECT count(*) FROM (SELECT 1 FROM customers LIMIT 1)"
};
/* The customers that jobs still to be delivered name: their participants' customer_id. */
#define PENDING_SQLITE "SELECT json_extract(payload, '$.attributes.customer_id') FROM outbox " \
    "WHERE kind = 'update_participant' AND state IN ('queued', 'retrying', 'delivering') " \
    "AND json_extract(payload, '$.attributes.customer_id') IS NOT NULL"
#define PENDING_POSTGRES "SELECT payload::jsonb -> 'attributes' ->> 'customer_id' FROM outbox " \
    "WHERE kind = 'update_participant' AND state IN ('queued', 'retrying', 'delivering') " \
    "AND payload::jsonb -> 'attributes' ->> 'customer_id' IS NOT NULL"
static const struct twh_sql sql_gone_table = {
    .text = "CREATE TEMP TABLE IF NOT EXISTS import_gone (customer_id TEXT PRIMARY KEY)",
    .postgres = "CREATE TEMP TABLE IF NOT EXISTS import_gone "
    "(customer_id text COLLATE \"C\" PRIMARY KEY) ON COMMIT DROP"
};
static const struct twh_sql sql_gone_fill = {
    .text = "INSERT INTO import_gone (customer_id) SELECT customer_id FROM customers "
    "WHERE customer_id NOT IN (SELECT customer_id FROM import_seen) "
    "AND customer_id NOT IN (" PENDING_SQLITE ")",
    .postgres = "INSERT INTO import_gone (customer_id) SELECT customer_id FROM customers "
    "WHERE customer_id NOT IN (SELECT customer_id FROM import_seen) "
    "AND customer_id NOT IN (" PENDING_POSTGRES ")"
};
static const struct twh_sql sql_kept = {
    .text = "SELECT customer_id FROM customers "
    "WHERE customer_id NOT IN (SELECT customer_id FROM import_seen) "
    "AND customer_id NOT IN (SELECT customer_id FROM import_gone) ORDER BY customer_id"
};
static const struct twh_sql sql_gone_ids = {
    .text = "DELETE FROM customers_search_ids "
    "WHERE customer_id IN (SELECT customer_id FROM import_gone)"
};
static const struct twh_sql sql_gone_channels = {
    .text = "DELETE FROM customer_channels "
    "WHERE customer_id IN (SELECT customer_id FROM import_gone)"
};
static const struct twh_sql sql_gone_links = {
    .text = "DELETE FROM customer_links WHERE customer_id IN (SELECT customer_id FROM import_gone)"
};
static const struct twh_sql sql_gone_delete = {
    .text = "DELETE FROM customers WHERE customer_id IN (SELECT customer_id FROM import_gone)"
};
static const struct twh_sql sql_ids_page = {
    .text = "SELECT customer_id FROM customers WHERE customer_id > ?1 ORDER BY customer_id "
    "LIMIT 256"
};
/* Channel columns in the schema's order of types; link columns by type and display name. */
static const struct twh_sql sql_channel_columns = {
    .text = "SELECT type, NULL, max(n) FROM (SELECT type, count(*) AS n FROM customer_channels "
    "GROUP BY customer_id, type) AS t GROUP BY type ORDER BY CASE type WHEN 'sms' THEN 1 "
    "WHEN 'whatsapp' THEN 2 WHEN 'chat' THEN 3 WHEN 'email' THEN 4 WHEN 'messenger' THEN 5 "
    "ELSE 6 END"
};
static const struct twh_sql sql_link_columns = {
    .text = "SELECT type, display_name, max(n) FROM (SELECT type, display_name, count(*) AS n "
    "FROM customer_links GROUP BY customer_id, type, display_name) AS t "
    "GROUP BY type, display_name ORDER BY type, display_name",
    .postgres = "SELECT type, display_name, max(n) FROM (SELECT type, display_name, "
    "count(*) AS n FROM customer_links GROUP BY customer_id, type, display_name) AS t "
    "GROUP BY type, display_name ORDER BY type COLLATE \"C\", display_name COLLATE \"C\""
};

/* The import under way: twhook runs one at a time. */
static struct {
	bool	 sync;		/* remember each id, for twh_store_import_remove_unseen */
	bool	 staged;	/* stage customers for twh_store_import_load (SQLite) */
	bool	 empty;		/* the store has no customer: each one is new */
} imp;

/* Runs SQL with ?1 = A (when not NULL); *CHANGES, when asked, gets the rows it changed. */
static int
run(struct twh_store *s, const struct twh_sql *sql, const char *a, const char *what,
    long long *changes)
{
	struct twh_db_stmt	*st;
	int			 rc;

	if ((st = twh_store_stmt(s, sql)) == NULL)
		return TWH_STORE_ERROR;
	if (a != NULL)
		twh_db_bind_text(st, 1, a);
	rc = twh_store_step_done(s, st, what);
	if (rc == TWH_STORE_OK && changes != NULL)
		*changes = twh_db_changes(st);
	return rc;
}

/*
 * Whether the store has no customer at all, so that (until twh_store_import_load writes the
 * staged ones) no customer of the file need be looked for.
 */
static int
store_empty(struct twh_store *s, bool *empty)
{
	struct twh_db_stmt	*st;
	long long		 n = 0;
	int			 rc;

	if ((st = twh_store_stmt(s, &sql_any_customer)) == NULL)
		return TWH_STORE_ERROR;
	rc = twh_store_int_row(s, st, "counting customers", &n);
	*empty = n == 0;
	return rc;
}

/* The store read through a memory map (sql_mmap), as far as SQLite was built to allow. */
static int
map_store(struct twh_store *s)
{
	struct twh_db_stmt	*st;
	enum twh_db_step	 step;

	if ((st = twh_store_stmt(s, &sql_mmap)) == NULL)
		return TWH_STORE_ERROR;
	step = twh_db_step(st);
	twh_db_reset(st);
	return step == TWH_DB_ROW || step == TWH_DB_DONE ? TWH_STORE_OK :
	    twh_store_fail(s, "mapping the store");
}

/* Begins an import: SYNC for twh_store_import_remove_unseen at its end. */
int
twh_store_import_begin(struct twh_store *s, bool sync)
{
	int	 rc;

	imp.sync = sync;
	imp.staged = !twh_store_is_postgres(s);
	imp.empty = false;
	if (imp.staged && ((rc = run(s, &sql_temp_files, NULL, "keeping the staging in files",
	    NULL)) != TWH_STORE_OK || (rc = map_store(s)) != TWH_STORE_OK ||
	    (rc = run(s, &sql_keys_off, NULL, "leaving foreign keys to the import", NULL)) !=
	    TWH_STORE_OK))
		return rc;
	if ((rc = twh_store_begin(s)) != TWH_STORE_OK)
		return rc;
	if (sync && (rc = run(s, &sql_seen_table, NULL, "making the list of ids", NULL)) !=
	    TWH_STORE_OK)
		return rc;
	if (imp.staged && ((rc = twh_store_load_begin(s)) != TWH_STORE_OK ||
	    (rc = store_empty(s, &imp.empty)) != TWH_STORE_OK))
		return rc;
	if (imp.staged)
		return run(s, &sql_defer, NULL, "deferring the search index", NULL);
	return TWH_STORE_OK;
}

static bool
same_text(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool
same_items(const struct twh_customer_item *a, size_t na, const struct twh_customer_item *b,
    size_t nb)
{
	size_t	 i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (!same_text(a[i].type, b[i].type) || !same_text(a[i].value, b[i].value) ||
		    !same_text(a[i].display_name, b[i].display_name))
			return false;
	return true;
}

static bool
same_customer(const struct twh_customer *a, const struct twh_customer *b)
{
	return same_text(a->display_name, b->display_name) && same_text(a->worker, b->worker) &&
	    same_text(a->avatar, b->avatar) && same_text(a->details_title, b->details_title) &&
	    same_text(a->details_content, b->details_content) &&
	    same_items(a->channels, a->n_channels, b->channels, b->n_channels) &&
	    same_items(a->links, a->n_links, b->links, b->n_links);
}

/* C against the store: *OUTCOME, and *EXISTED when the store has a customer of its id. */
static int
compare(struct twh_store *s, const struct twh_customer *c, enum twh_import_outcome *outcome,
    bool *existed)
{
	struct twh_customer	 old;
	int			 rc;

	if (imp.empty) {
		*existed = false;
		*outcome = TWH_IMPORT_ADDED;
		return TWH_STORE_OK;
	}
	if ((rc = twh_store_customer_read(s, c->customer_id, &old)) == TWH_STORE_ERROR)
		return rc;
	*existed = rc == TWH_STORE_OK;
	*outcome = !*existed ? TWH_IMPORT_ADDED : same_customer(&old, c) ?
	    TWH_IMPORT_UNCHANGED : TWH_IMPORT_UPDATED;
	if (*existed)
		twh_customer_free(&old);
	return TWH_STORE_OK;
}

/*
 * Adds or replaces C, or finds it unchanged: *OUTCOME says which.  PLACE says where the file
 * has C, for the error when the store refuses it; on SQLite that error may come only from
 * twh_store_import_load, with the place of the customer it names.
 */
int
twh_store_import_put(struct twh_store *s, const struct twh_customer *c, const char *place,
    enum twh_import_outcome *outcome)
{
	long long	 added;
	bool		 existed, again;
	int		 rc;

	if (imp.sync) {
		if (run(s, &sql_seen_add, c->customer_id, "listing an id", &added) != TWH_STORE_OK)
			return twh_store_fail_in(s, place);
		if (added == 0) {
			twh_store_fail(s, "this customer_id is in the file twice");
			return twh_store_fail_in(s, place);
		}
	}
	do {
		if (compare(s, c, outcome, &existed) != TWH_STORE_OK)
			return twh_store_fail_in(s, place);
		if (*outcome == TWH_IMPORT_UNCHANGED)
			return TWH_STORE_OK;
		if (!imp.staged)
			rc = twh_store_customer_put(s, c);
		else
			rc = twh_store_load_add(s, c, existed, place, &again);
		if (rc != TWH_STORE_OK)
			return twh_store_fail_in(s, place);
		/* Named earlier in the file and maybe still staged, or the staging full: load. */
		if (imp.staged && again && (rc = twh_store_import_load(s)) != TWH_STORE_OK)
			return rc;
	} while (imp.staged && again);
	return TWH_STORE_OK;
}

/* Writes the customers staged since the last call (SQLite; nothing to do on PostgreSQL). */
int
twh_store_import_load(struct twh_store *s)
{
	imp.empty = false;
	return imp.staged ? twh_store_load_run(s) : TWH_STORE_OK;
}

/*
 * Removes the customers that the import did not name, but for those a job still waiting in the
 * outbox names: *KEPT counts those, each passed to KEPT_ONE.
 */
int
twh_store_import_remove_unseen(struct twh_store *s, long long *removed, long long *kept,
    int (*kept_one)(const char *, void *), void *arg)
{
	struct twh_db_stmt	*st;
	enum twh_db_step	 step;
	char			*id;
	int			 rc;

	*removed = *kept = 0;
	if ((rc = run(s, &sql_gone_table, NULL, "making the list of removals", NULL)) !=
	    TWH_STORE_OK ||
	    (rc = run(s, &sql_gone_fill, NULL, "listing the customers to remove", NULL)) !=
	    TWH_STORE_OK)
		return rc;
	if ((st = twh_store_stmt(s, &sql_kept)) == NULL)
		return TWH_STORE_ERROR;
	while ((step = twh_db_step(st)) == TWH_DB_ROW) {
		(*kept)++;
		if ((id = twh_db_column_text(st, 0)) != NULL)
			kept_one(id, arg);
		free(id);
	}
	twh_db_reset(st);
	if (step != TWH_DB_DONE)
		return twh_store_fail(s, "listing the customers kept");
	/* The words of the search ids removed leave the index by the ids' triggers. */
	if (imp.staged && ((rc = run(s, &sql_gone_ids, NULL, "removing search ids", NULL)) !=
	    TWH_STORE_OK ||
	    (rc = run(s, &sql_gone_channels, NULL, "removing channels", NULL)) !=
	    TWH_STORE_OK ||
	    (rc = run(s, &sql_gone_links, NULL, "removing links", NULL)) != TWH_STORE_OK))
		return rc;
	return run(s, &sql_gone_delete, NULL, "removing customers", removed);
}

/* Ends the import: its search index made current, then committed, or (!COMMIT) rolled back. */
int
twh_store_import_end(struct twh_store *s, bool commit)
{
	int	 rc = TWH_STORE_OK, keys;

	if (imp.staged)
		twh_store_load_end();
	if (commit && imp.staged &&
	    (rc = run(s, &sql_undefer, NULL, "ending the deferral of the search index", NULL)) ==
	    TWH_STORE_OK)
		rc = run(s, &sql_edited, NULL, "counting the edit of the customers", NULL);
	if (commit && rc == TWH_STORE_OK)
		rc = twh_store_commit(s);
	if (!commit || rc != TWH_STORE_OK)
		twh_store_rollback(s);
	/*
	 * Foreign keys enforced again.  Outside a transaction that does no I/O and cannot fail
	 * in practice; were it to, after another failure, its message would replace that one.
	 */
	if (imp.staged && (keys = run(s, &sql_keys_on, NULL, "enforcing foreign keys again",
	    NULL)) != TWH_STORE_OK && rc == TWH_STORE_OK)
		rc = keys;
	return commit ? rc : TWH_STORE_OK;
}

struct id_page {
	char	*ids[EACH_PAGE];
	size_t	 n;
};

static int
add_id(struct twh_db_stmt *st, void *arg)
{
	struct id_page	*page = arg;

	return (page->ids[page->n++] = twh_db_column_text(st, 0)) != NULL ? 0 : -1;
}

/* Calls FN with every customer, channels and links included, in customer_id order. */
int
twh_store_customer_each(struct twh_store *s, int (*fn)(const struct twh_customer *, void *),
    void *arg)
{
	struct twh_customer	 c;
	struct twh_db_stmt	*st;
	struct id_page		 page;
	char			*after = strdup("");
	size_t			 i;
	int			 rc = after != NULL ? TWH_STORE_OK : TWH_STORE_ERROR;

	do {
		page.n = 0;
		if (rc == TWH_STORE_OK && (st = twh_store_stmt(s, &sql_ids_page)) == NULL)
			rc = TWH_STORE_ERROR;
		if (rc == TWH_STORE_OK) {
			twh_db_bind_text(st, 1, after);
			rc = twh_store_each_row(s, st, "listing customers", add_id, &page);
		}
		for (i = 0; i < page.n; i++) {
			if (rc == TWH_STORE_OK &&
			    (rc = twh_store_customer_read(s, page.ids[i], &c)) == TWH_STORE_OK) {
				rc = fn(&c, arg) == 0 ? TWH_STORE_OK : TWH_STORE_ERROR;
				twh_customer_free(&c);
			} else if (rc == TWH_STORE_NOT_FOUND)
				rc = TWH_STORE_OK;	/* removed meanwhile */
			if (i + 1 < page.n)
				free(page.ids[i]);
		}
		if (page.n > 0) {
			free(after);
			after = page.ids[page.n - 1];
		}
	} while (rc == TWH_STORE_OK && page.n == EACH_PAGE);
	free(after);
	return rc;
}

void
twh_customer_columns_free(struct twh_customer_column *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(v[i].type);
		free(v[i].display_name);
	}
	free(v);
}

struct columns {
	struct twh_customer_column	*v;
	size_t				 n;
};

static int
add_column(struct twh_db_stmt *st, void *arg)
{
	struct columns			*cols = arg;
	struct twh_customer_column	*v;

	if ((v = reallocarray(cols->v, cols->n + 1, sizeof(*v))) == NULL)
		return -1;
	cols->v = v;
	v = &v[cols->n++];
	v->type = twh_db_column_text(st, 0);
	v->display_name = twh_db_column_text(st, 1);
	v->count = twh_db_column_int(st, 2);
	return v->type != NULL ? 0 : -1;
}

/* The channel and link columns of the CSV form of the store's customers, channels first. */
int
twh_store_customer_columns(struct twh_store *s, struct twh_customer_column **v, size_t *n)
{
	struct columns		 cols = { NULL, 0 };
	struct twh_db_stmt	*st;
	int			 rc = TWH_STORE_ERROR;

	if ((st = twh_store_stmt(s, &sql_channel_columns)) != NULL)
		rc = twh_store_each_row(s, st, "listing channel types", add_column, &cols);
	if (rc == TWH_STORE_OK) {
		rc = TWH_STORE_ERROR;
		if ((st = twh_store_stmt(s, &sql_link_columns)) != NULL)
			rc = twh_store_each_row(s, st, "listing link kinds", add_column, &cols);
	}
	if (rc != TWH_STORE_OK) {
		twh_customer_columns_free(cols.v, cols.n);
		return rc;
	}
	*v = cols.v;
	*n = cols.n;
	return TWH_STORE_OK;
}
