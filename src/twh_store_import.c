/*
 * twh_store_import.c: customers in bulk, for twhook(1).  An import is one transaction in which
 * each customer is added, updated or found unchanged, and with --sync the customers the file
 * did not name are removed, except those a job still waiting in the outbox names (it would set
 * a participant's customer_id to a customer that is gone).  An export reads every customer in
 * id order, a page of ids at a time, and the columns its CSV form needs.
 *
 * On SQLite an import writes the search index itself: a row in search_deferred (schema version
 * 6) silences the search triggers for its transaction alone, and each customer's words are
 * made here as the view customers_search_words makes them, once per customer rather than once
 * per row written.  On PostgreSQL the triggers keep the index, as they do for any edit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twh_buf.h"
#include "twh_store_internal.h"

#define EACH_PAGE	256

static const struct twh_sql sql_defer = {
    .text = "INSERT INTO search_deferred (since) VALUES (julianday('now'))"
};
static const struct twh_sql sql_undefer = {
    .text = "DELETE FROM search_deferred"
};
static const struct twh_sql sql_seen_table = {
    .text = "CREATE TEMP TABLE IF NOT EXISTS import_seen (customer_id TEXT PRIMARY KEY)",
    .postgres = "CREATE TEMP TABLE IF NOT EXISTS import_seen "
    "(customer_id text COLLATE \"C\" PRIMARY KEY) ON COMMIT DROP"
};
static const struct twh_sql sql_seen_add = {
    .text = "INSERT INTO import_seen (customer_id) VALUES (?1) ON CONFLICT DO NOTHING"
};
static const struct twh_sql sql_search_id_add = {
    .text = "INSERT INTO customers_search_ids (customer_id) VALUES (?1) "
    "ON CONFLICT (customer_id) DO NOTHING"
};
static const struct twh_sql sql_worker_add = {
    .text = "INSERT INTO search_workers (worker) VALUES (?1) ON CONFLICT (worker) DO NOTHING"
};
static const struct twh_sql sql_worker_code = {
    .text = "SELECT code FROM search_workers WHERE worker = ?1"
};
static const struct twh_sql sql_search_delete = {
    .text = "DELETE FROM customers_search WHERE rowid = "
    "(SELECT search_id FROM customers_search_ids WHERE customer_id = ?1)"
};
static const struct twh_sql sql_search_add = {
    .text = "INSERT INTO customers_search (rowid, words) "
    "SELECT search_id, ?2 FROM customers_search_ids WHERE customer_id = ?1"
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
static const struct twh_sql sql_gone_search = {
    .text = "DELETE FROM customers_search WHERE rowid IN (SELECT search_id FROM "
    "customers_search_ids WHERE customer_id IN (SELECT customer_id FROM import_gone))"
};
static const struct twh_sql sql_gone_ids = {
    .text = "DELETE FROM customers_search_ids "
    "WHERE customer_id IN (SELECT customer_id FROM import_gone)"
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
	bool	 defer;		/* write the search index here (SQLite) */
	char	*worker;	/* the last worker's search code, looked up once per run of them */
	long long code;
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

/* Begins an import: SYNC for twh_store_import_remove_unseen at its end. */
int
twh_store_import_begin(struct twh_store *s, bool sync)
{
	int	 rc;

	free(imp.worker);
	memset(&imp, 0, sizeof(imp));
	imp.sync = sync;
	imp.defer = !twh_store_is_postgres(s);
	if ((rc = twh_store_begin(s)) != TWH_STORE_OK)
		return rc;
	if (sync && (rc = run(s, &sql_seen_table, NULL, "making the list of ids", NULL)) !=
	    TWH_STORE_OK)
		return rc;
	if (imp.defer)
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

/* The search code of WORKER (0 for none), added to search_workers when new. */
static int
worker_code(struct twh_store *s, const char *worker, long long *code)
{
	struct twh_db_stmt	*st;
	enum twh_db_step	 step;
	int			 rc;

	*code = 0;
	if (worker == NULL)
		return TWH_STORE_OK;
	if (imp.worker != NULL && strcmp(imp.worker, worker) == 0) {
		*code = imp.code;
		return TWH_STORE_OK;
	}
	if ((rc = run(s, &sql_worker_add, worker, "adding a worker's search code", NULL)) !=
	    TWH_STORE_OK || (st = twh_store_stmt(s, &sql_worker_code)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_text(st, 1, worker);
	if ((step = twh_db_step(st)) == TWH_DB_ROW)
		*code = twh_db_column_int(st, 0);
	twh_db_reset(st);
	if (step != TWH_DB_ROW)
		return twh_store_fail(s, "reading a worker's search code");
	free(imp.worker);
	if ((imp.worker = strdup(worker)) == NULL)
		return twh_store_out_of_memory(s, "remembering a worker");
	imp.code = *code;
	return TWH_STORE_OK;
}

static int
by_type_value(const void *a, const void *b)
{
	const struct twh_customer_item	*x = *(const struct twh_customer_item *const *)a;
	const struct twh_customer_item	*y = *(const struct twh_customer_item *const *)b;
	int				 d = strcmp(x->type, y->type);

	return d != 0 ? d : strcmp(x->value, y->value);
}

/*
 * C's words for the search index, as the view customers_search_words makes them: " " and the
 * display name, " ", the channel values (in the order of the channels' primary key) joined by
 * " ", ASCII letters in lower case, each word break replaced by " wCODEx".
 */
static int
search_words(const struct twh_customer *c, long long code, struct twh_buf *text,
    struct twh_buf *out)
{
	const struct twh_customer_item	**v;
	char				 prefix[32];
	const char			*p;
	size_t				 i;
	int				 rc;

	twh_buf_reset(text);
	twh_buf_reset(out);
	if ((v = calloc(c->n_channels + 1, sizeof(*v))) == NULL)
		return -1;
	for (i = 0; i < c->n_channels; i++)
		v[i] = &c->channels[i];
	qsort(v, c->n_channels, sizeof(*v), by_type_value);
	rc = twh_buf_printf(text, " %s ", c->display_name);
	for (i = 0; i < c->n_channels && rc == 0; i++)
		rc = twh_buf_printf(text, "%s%s", i > 0 ? " " : "", v[i]->value);
	free(v);
	snprintf(prefix, sizeof(prefix), " w%lldx", code);
	rc = rc == 0 ? twh_buf_add(out, "", 0) : rc;
	for (p = text->data; rc == 0 && *p != '\0'; p++)
		if (strchr(twh_search_breaks, *p) != NULL)
			rc = twh_buf_adds(out, prefix);
		else
			rc = twh_buf_addc(out, *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p);
	return rc;
}

/* Writes C's row of the search index (EXISTED: it had one). */
static int
put_search(struct twh_store *s, const struct twh_customer *c, bool existed)
{
	static struct twh_buf	 text, words;
	struct twh_db_stmt	*st;
	long long		 code;
	int			 rc;

	if ((rc = run(s, &sql_search_id_add, c->customer_id, "numbering a customer for search",
	    NULL)) != TWH_STORE_OK || (rc = worker_code(s, c->worker, &code)) != TWH_STORE_OK)
		return rc;
	if (existed && (rc = run(s, &sql_search_delete, c->customer_id,
	    "clearing a customer's words", NULL)) != TWH_STORE_OK)
		return rc;
	if (search_words(c, code, &text, &words) == -1)
		return twh_store_out_of_memory(s, "a customer's words");
	if ((st = twh_store_stmt(s, &sql_search_add)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_text(st, 1, c->customer_id);
	twh_db_bind_text(st, 2, words.data);
	return twh_store_step_done(s, st, "indexing a customer's words");
}

/* Adds or replaces C, or finds it unchanged: *OUTCOME says which. */
int
twh_store_import_put(struct twh_store *s, const struct twh_customer *c,
    enum twh_import_outcome *outcome)
{
	struct twh_customer	 old;
	long long		 added;
	bool			 existed;
	int			 rc;

	if (imp.sync) {
		if ((rc = run(s, &sql_seen_add, c->customer_id, "listing an id", &added)) !=
		    TWH_STORE_OK)
			return rc;
		if (added == 0)
			return twh_store_fail(s, "this customer_id is in the file twice");
	}
	rc = twh_store_customer_read(s, c->customer_id, &old);
	if (rc == TWH_STORE_ERROR)
		return rc;
	existed = rc == TWH_STORE_OK;
	if (existed && same_customer(&old, c)) {
		twh_customer_free(&old);
		*outcome = TWH_IMPORT_UNCHANGED;
		return TWH_STORE_OK;
	}
	if (existed)
		twh_customer_free(&old);
	*outcome = existed ? TWH_IMPORT_UPDATED : TWH_IMPORT_ADDED;
	if ((rc = twh_store_customer_put(s, c)) != TWH_STORE_OK)
		return rc;
	return imp.defer ? put_search(s, c, existed) : TWH_STORE_OK;
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
	if (imp.defer && ((rc = run(s, &sql_gone_search, NULL, "removing words", NULL)) !=
	    TWH_STORE_OK ||
	    (rc = run(s, &sql_gone_ids, NULL, "removing search ids", NULL)) != TWH_STORE_OK))
		return rc;
	return run(s, &sql_gone_delete, NULL, "removing customers", removed);
}

/* Ends the import: its search index made current, then committed, or (!COMMIT) rolled back. */
int
twh_store_import_end(struct twh_store *s, bool commit)
{
	int	 rc = TWH_STORE_OK;

	free(imp.worker);
	imp.worker = NULL;
	if (!commit) {
		twh_store_rollback(s);
		return TWH_STORE_OK;
	}
	if (imp.defer)
		rc = run(s, &sql_undefer, NULL, "ending the deferral of the search index", NULL);
	if (rc == TWH_STORE_OK)
		rc = twh_store_commit(s);
	if (rc != TWH_STORE_OK)
		twh_store_rollback(s);
	return rc;
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
