/*
 * twh_store_customers.c: the customer directory: one customer with its channels and links, a
 * worker's list one keyset page at a time (optionally filtered by a full-text search), and the
 * upsert behind `twhook import customers`.  Pages are ordered by display name, ignoring ASCII
 * case, then by customer_id, and continue strictly after a (display name, id) key, so a page
 * costs one index range scan however many customers the store holds.
 */
#include <stdlib.h>
#include <string.h>

#include "twh_buf.h"
#include "twh_store_internal.h"

#define SEARCH_MAX_TERMS	8

static const struct twh_sql sql_customer = {
    .text = "SELECT customer_id, display_name, worker, avatar, details_title, details_content "
    "FROM customers WHERE customer_id = ?1 AND (worker = ?2 OR worker IS NULL)"
};
static const struct twh_sql sql_customer_any = {
    .text = "SELECT customer_id, display_name, worker, avatar, details_title, details_content "
    "FROM customers WHERE customer_id = ?1"
};
static const struct twh_sql sql_by_address = {
    .text = "SELECT c.customer_id, c.display_name, c.worker, c.avatar, c.details_title, "
    "c.details_content FROM customer_channels AS ch "
    "JOIN customers AS c ON c.customer_id = ch.customer_id WHERE ch.value = ?1 "
    "ORDER BY c.customer_id LIMIT 1"
};
static const struct twh_sql sql_channels = {
    .text = "SELECT type, value FROM customer_channels WHERE customer_id = ?1 ORDER BY rowid"
};
static const struct twh_sql sql_links = {
    .text = "SELECT type, value, display_name FROM customer_links WHERE customer_id = ?1 "
    "ORDER BY position, rowid"
};
/*
 * On PostgreSQL a customer comes with its channels and links in one statement, one round trip
 * to the server instead of three: the customer's row (part 0), then its channels (1) and its
 * links (2), each in its own order, their columns from WHOLE_FIRST on.
 */
static const struct twh_sql sql_customer_whole = {
    .postgres = "SELECT 0 AS part, 0 AS position, 0::bigint AS rowid, customer_id, display_name, "
    "worker, avatar, details_title, details_content FROM customers "
    "WHERE customer_id = $1 AND (worker = $2 OR worker IS NULL) "
    "UNION ALL SELECT 1, 0, rowid, type, value, NULL, NULL, NULL, NULL "
    "FROM customer_channels WHERE customer_id = $1 "
    "UNION ALL SELECT 2, position, rowid, type, value, display_name, NULL, NULL, NULL "
    "FROM customer_links WHERE customer_id = $1 "
    "ORDER BY part, position, rowid"
};
#define WHOLE_FIRST	3
static const struct twh_sql sql_key = {
    .text = "SELECT display_name, customer_id FROM customers WHERE customer_id = ?1 AND worker = ?2"
};
/*
 * Keyset pages: (name, id) > (?2, ?3), with the collation on the right-hand side, is a range of
 * customers_by_worker, so a deep page costs what the first does.  (With COLLATE on the left,
 * SQLite scanned the worker's whole list from the top instead.)  PostgreSQL's nocase() is
 * SQLite's NOCASE, ASCII letters folded and bytes compared, so pages come in the same order.
 */
static const struct twh_sql sql_page = {
    .text = "SELECT customer_id, display_name, avatar FROM customers "
    "WHERE worker = ?1 AND (display_name, customer_id) > (?2 COLLATE NOCASE, ?3) "
    "ORDER BY display_name COLLATE NOCASE, customer_id LIMIT ?4",
    .postgres = "SELECT customer_id, display_name, avatar FROM customers "
    "WHERE worker = $1 AND (nocase(display_name), customer_id) > (nocase($2), $3) "
    "ORDER BY nocase(display_name), customer_id LIMIT $4"
};
/*
 * A search starts from the full-text index (CROSS JOIN fixes the join order), whose words all
 * carry the worker's code: only that worker's matches come out, however large the store.  Left
 * to itself the planner walked the worker's list and ran the full-text query per customer.
 * PostgreSQL's index is a tsvector of the same words under GIN, and ?5 a tsquery of them.
 */
static const struct twh_sql sql_search = {
    .text = "SELECT c.customer_id, c.display_name, c.avatar FROM customers_search AS s "
    "CROSS JOIN customers_search_ids AS i CROSS JOIN customers AS c "
    "WHERE customers_search MATCH ?5 AND i.search_id = s.rowid "
    "AND c.customer_id = i.customer_id AND c.worker = ?1 "
    "AND (c.display_name, c.customer_id) > (?2 COLLATE NOCASE, ?3) "
    "ORDER BY c.display_name COLLATE NOCASE, c.customer_id LIMIT ?4",
    .postgres = "SELECT c.customer_id, c.display_name, c.avatar FROM customers_search AS s "
    "JOIN customers AS c ON c.customer_id = s.customer_id "
    "WHERE s.words @@ $5::tsquery AND c.worker = $1 "
    "AND (nocase(c.display_name), c.customer_id) > (nocase($2), $3) "
    "ORDER BY nocase(c.display_name), c.customer_id LIMIT $4"
};
static const struct twh_sql sql_upsert = {
    .text = "INSERT INTO customers (customer_id, display_name, worker, avatar, details_title, "
    "details_content) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (customer_id) DO UPDATE SET "
    "display_name = excluded.display_name, worker = excluded.worker, avatar = excluded.avatar, "
    "details_title = excluded.details_title, details_content = excluded.details_content"
};
static const struct twh_sql sql_clear_channels = {
    .text = "DELETE FROM customer_channels WHERE customer_id = ?1"
};
static const struct twh_sql sql_clear_links = {
    .text = "DELETE FROM customer_links WHERE customer_id = ?1"
};
static const struct twh_sql sql_add_channel = {
    .text = "INSERT INTO customer_channels (customer_id, type, value) VALUES (?1, ?2, ?3) "
    "ON CONFLICT DO NOTHING"
};
static const struct twh_sql sql_add_link = {
    .text = "INSERT INTO customer_links (customer_id, type, value, display_name, position) "
    "VALUES (?1, ?2, ?3, ?4, ?5)"
};

static void
free_items(struct twh_customer_item *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(v[i].type);
		free(v[i].value);
		free(v[i].display_name);
	}
	free(v);
}

void
twh_customer_free(struct twh_customer *c)
{
	free(c->customer_id);
	free(c->display_name);
	free(c->worker);
	free(c->avatar);
	free(c->details_title);
	free(c->details_content);
	free_items(c->channels, c->n_channels);
	free_items(c->links, c->n_links);
	memset(c, 0, sizeof(*c));
}

void
twh_page_key_free(struct twh_page_key *k)
{
	free(k->display_name);
	free(k->customer_id);
	k->display_name = k->customer_id = NULL;
}

void
twh_page_free(struct twh_page *p)
{
	size_t	 i;

	for (i = 0; i < p->n; i++)
		twh_customer_free(&p->customers[i]);
	free(p->customers);
	memset(p, 0, sizeof(*p));
}

/* Where add_item puts a customer's channels or links as they are read. */
struct item_list {
	struct twh_customer_item	**v;
	size_t				 *n;
	bool				  named;	/* a third column: display_name */
};

/* Adds the channel or link in ST's columns from FIRST on to LIST. */
static int
read_item(struct twh_db_stmt *st, int first, struct item_list *list)
{
	struct twh_customer_item	*v;

	if ((v = reallocarray(*list->v, *list->n + 1, sizeof(*v))) == NULL)
		return -1;
	*list->v = v;
	v = &v[(*list->n)++];
	v->type = twh_db_column_text(st, first);
	v->value = twh_db_column_text(st, first + 1);
	v->display_name = list->named ? twh_db_column_text(st, first + 2) : NULL;
	return v->type != NULL && v->value != NULL && (v->display_name != NULL || !list->named) ?
	    0 : -1;
}

static int
add_item(struct twh_db_stmt *st, void *arg)
{
	return read_item(st, 0, arg);
}

/* Sets C from the customer in ST's columns from FIRST on. */
static int
read_customer(struct twh_db_stmt *st, int first, struct twh_customer *c)
{
	c->customer_id = twh_db_column_text(st, first);
	c->display_name = twh_db_column_text(st, first + 1);
	c->worker = twh_db_column_text(st, first + 2);
	c->avatar = twh_db_column_text(st, first + 3);
	c->details_title = twh_db_column_text(st, first + 4);
	c->details_content = twh_db_column_text(st, first + 5);
	return c->customer_id != NULL && c->display_name != NULL ? 0 : -1;
}

static int
set_customer_row(struct twh_db_stmt *st, void *arg)
{
	return read_customer(st, 0, arg);
}

/* Where add_customer_part puts the parts of sql_customer_whole's answer. */
struct whole_customer {
	struct twh_customer	*c;
	struct item_list	 channels;
	struct item_list	 links;
};

static int
add_customer_part(struct twh_db_stmt *st, void *arg)
{
	struct whole_customer	*w = arg;

	switch (twh_db_column_int(st, 0)) {
	case 0:
		return read_customer(st, WHOLE_FIRST, w->c);
	case 1:
		return read_item(st, WHOLE_FIRST, &w->channels);
	default:
		return read_item(st, WHOLE_FIRST, &w->links);
	}
}

/* Runs SQL with ?1 = A and, when B is not NULL, ?2 = B, calling ROW for each row. */
static int
query_rows(struct twh_store *s, const struct twh_sql *sql, const char *a, const char *b,
    const char *what, int (*row)(struct twh_db_stmt *, void *), void *arg)
{
	struct twh_db_stmt	*st;

	if ((st = twh_store_stmt(s, sql)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_text(st, 1, a);
	if (b != NULL)
		twh_db_bind_text(st, 2, b);
	return twh_store_each_row(s, st, what, row, arg);
}

/* The one customer row SQL finds with ?1 = A (and ?2 = B); TWH_STORE_NOT_FOUND for none. */
static int
one_customer(struct twh_store *s, const struct twh_sql *sql, const char *a, const char *b,
    const char *what, struct twh_customer *c)
{
	int	 rc;

	memset(c, 0, sizeof(*c));
	rc = query_rows(s, sql, a, b, what, set_customer_row, c);
	if (rc == TWH_STORE_OK && c->customer_id == NULL)
		return TWH_STORE_NOT_FOUND;
	if (rc != TWH_STORE_OK)
		twh_customer_free(c);
	return rc;
}

/*
 * The customer CUSTOMER_ID as WORKER may see it, without channels and links: customers owned by
 * WORKER and customers that nobody owns.  TWH_STORE_NOT_FOUND for anybody else's customer, as
 * for an unknown one.
 */
int
twh_store_customer_find(struct twh_store *s, const char *customer_id, const char *worker,
    struct twh_customer *c)
{
	return one_customer(s, &sql_customer, customer_id, worker, "reading a customer", c);
}

/* The customer writing from ADDRESS (an exact channel value; the lowest id when several do). */
int
twh_store_customer_by_address(struct twh_store *s, const char *address, struct twh_customer *c)
{
	return one_customer(s, &sql_by_address, address, NULL, "finding a customer by address", c);
}

/* The customer with its channels and links in one statement (PostgreSQL). */
static int
customer_whole(struct twh_store *s, const char *customer_id, const char *worker,
    struct twh_customer *c)
{
	struct whole_customer	 w = { c, { &c->channels, &c->n_channels, false },
				    { &c->links, &c->n_links, true } };
	int			 rc;

	memset(c, 0, sizeof(*c));
	rc = query_rows(s, &sql_customer_whole, customer_id, worker, "reading a customer",
	    add_customer_part, &w);
	if (rc == TWH_STORE_OK && c->customer_id == NULL)
		rc = TWH_STORE_NOT_FOUND;
	if (rc != TWH_STORE_OK)
		twh_customer_free(c);
	return rc;
}

/* Adds its channels and links to C, found with RC; frees C when that or this fails. */
static int
add_items(struct twh_store *s, int rc, struct twh_customer *c)
{
	struct item_list	 channels = { &c->channels, &c->n_channels, false };
	struct item_list	 links = { &c->links, &c->n_links, true };

	if (rc == TWH_STORE_OK)
		rc = query_rows(s, &sql_channels, c->customer_id, NULL, "reading channels",
		    add_item, &channels);
	if (rc == TWH_STORE_OK)
		rc = query_rows(s, &sql_links, c->customer_id, NULL, "reading links", add_item,
		    &links);
	if (rc != TWH_STORE_OK)
		twh_customer_free(c);
	return rc;
}

/* The same customer with its channels and links. */
int
twh_store_customer_get(struct twh_store *s, const char *customer_id, const char *worker,
    struct twh_customer *c)
{
	if (twh_store_is_postgres(s))
		return customer_whole(s, customer_id, worker, c);
	return add_items(s, twh_store_customer_find(s, customer_id, worker, c), c);
}

/* The customer CUSTOMER_ID with its channels and links, whoever owns it (for twhook(1)). */
int
twh_store_customer_read(struct twh_store *s, const char *customer_id, struct twh_customer *c)
{
	return add_items(s, one_customer(s, &sql_customer_any, customer_id, NULL,
	    "reading a customer", c), c);
}

static int
set_key(struct twh_db_stmt *st, void *arg)
{
	struct twh_page_key	*k = arg;

	k->display_name = twh_db_column_text(st, 0);
	k->customer_id = twh_db_column_text(st, 1);
	return k->display_name != NULL && k->customer_id != NULL ? 0 : -1;
}

/* The list position of WORKER's customer CUSTOMER_ID: what a Frontline Anchor names. */
int
twh_store_customer_key(struct twh_store *s, const char *customer_id, const char *worker,
    struct twh_page_key *k)
{
	int	 rc;

	memset(k, 0, sizeof(*k));
	rc = query_rows(s, &sql_key, customer_id, worker, "reading a customer", set_key, k);
	if (rc == TWH_STORE_OK && k->customer_id == NULL)
		return TWH_STORE_NOT_FOUND;
	if (rc != TWH_STORE_OK)
		twh_page_key_free(k);
	return rc;
}

static const struct twh_sql sql_worker_code = {
    .text = "SELECT code FROM search_workers WHERE worker = ?1"
};

/*
 * How a search's words are written: an FTS5 expression ("w17xmar"* AND "w17xlo"*) or a
 * tsquery ('w17xmar':* & 'w17xlo':*), each word quoted, its quote characters doubled.
 */
struct search_syntax {
	const char	*and;
	char		 quote;
	const char	*prefix_end;
};

static const struct search_syntax fts5_syntax = { " AND ", '"', "\"*" };
static const struct search_syntax tsquery_syntax = { " & ", '\'', "':*" };

struct search_terms {
	struct twh_buf			*out;
	const struct search_syntax	*syntax;
	long long			 code;
	size_t				 n;
};

static int
add_search_term(void *arg, const char *token, int len)
{
	struct search_terms	*t = arg;
	char			 q = t->syntax->quote;
	int			 i;

	if (t->n == SEARCH_MAX_TERMS)
		return 0;
	if (twh_buf_printf(t->out, "%s%cw%lldx", t->n > 0 ? t->syntax->and : "", q,
	    (long long)t->code) == -1)
		return -1;
	for (i = 0; i < len; i++)
		if ((token[i] == q ? twh_buf_addc(t->out, q) : 0) == -1 ||
		    (token[i] == '\\' && q == '\'' ? twh_buf_addc(t->out, '\\') : 0) == -1 ||
		    twh_buf_addc(t->out, token[i]) == -1)
			return -1;
	t->n++;
	return twh_buf_adds(t->out, t->syntax->prefix_end);
}

/*
 * The search for QUERY within WORKER's customers: an FTS5 expression, or on PostgreSQL a
 * tsquery.  The query is cut into words by SQLite's tokenizer, the index's own, and each word
 * becomes a quoted prefix term carrying the worker's code (see customers_search in the schema
 * files), so nothing typed in the app is read as search syntax and a word the index could
 * never hold (punctuation) is dropped rather than matching nothing.
 * *TERMS is 0 for a query with no word, or a worker with no customers: a search for nothing.
 */
static int
search_expression(struct twh_store *s, const char *worker, const char *query,
    struct twh_buf *out, size_t *terms)
{
	struct search_terms	 t = { out, twh_store_is_postgres(s) ? &tsquery_syntax :
				    &fts5_syntax, 0, 0 };
	struct twh_db_stmt	*st;
	enum twh_db_step	 step;
	int			 rc;

	*terms = 0;
	if ((st = twh_store_stmt(s, &sql_worker_code)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_text(st, 1, worker);
	if ((step = twh_db_step(st)) == TWH_DB_ROW)
		t.code = twh_db_column_int(st, 0);
	twh_db_reset(st);
	if (step != TWH_DB_ROW)
		return step == TWH_DB_DONE ? TWH_STORE_OK :
		    twh_store_fail(s, "reading a worker's code");
	if ((rc = twh_store_tokenize(s, query, add_search_term, &t)) != TWH_STORE_OK)
		return rc;
	*terms = t.n;
	return TWH_STORE_OK;
}

static int
add_summary(struct twh_db_stmt *st, void *arg)
{
	struct twh_page		*page = arg;
	struct twh_customer	*c;

	if ((c = reallocarray(page->customers, page->n + 1, sizeof(*c))) == NULL)
		return -1;
	page->customers = c;
	c = &c[page->n++];
	memset(c, 0, sizeof(*c));
	c->customer_id = twh_db_column_text(st, 0);
	c->display_name = twh_db_column_text(st, 1);
	c->avatar = twh_db_column_text(st, 2);
	return c->customer_id != NULL && c->display_name != NULL ? 0 : -1;
}

int
twh_store_customer_page(struct twh_store *s, const struct twh_page_request *req,
    struct twh_page *page)
{
	struct twh_buf		 match;
	struct twh_db_stmt	*st;
	size_t			 terms = 0;
	int			 rc;

	memset(page, 0, sizeof(*page));
	twh_buf_init(&match);
	if (req->query != NULL) {
		if ((rc = search_expression(s, req->worker, req->query, &match, &terms)) !=
		    TWH_STORE_OK || terms == 0) {
			twh_buf_free(&match);
			return rc;
		}
	}
	if ((st = twh_store_stmt(s, req->query != NULL ? &sql_search : &sql_page)) == NULL) {
		twh_buf_free(&match);
		return TWH_STORE_ERROR;
	}
	twh_db_bind_text(st, 1, req->worker);
	twh_db_bind_text(st, 2, req->after != NULL ? req->after->display_name : "");
	twh_db_bind_text(st, 3, req->after != NULL ? req->after->customer_id : "");
	/* One row more than asked tells whether another page follows. */
	twh_db_bind_int(st, 4, req->limit + 1);
	if (req->query != NULL)
		twh_db_bind_text(st, 5, match.data);
	rc = twh_store_each_row(s, st, "listing customers", add_summary, page);
	twh_buf_free(&match);
	if (rc != TWH_STORE_OK) {
		twh_page_free(page);
		return rc;
	}
	if (page->n > req->limit) {
		twh_customer_free(&page->customers[--page->n]);
		page->more = true;
	}
	return TWH_STORE_OK;
}

static int
run_by_id(struct twh_store *s, const struct twh_sql *sql, const char *id, const char *what)
{
	struct twh_db_stmt	*st;

	if ((st = twh_store_stmt(s, sql)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_text(st, 1, id);
	return twh_store_step_done(s, st, what);
}

static void
bind_opt(struct twh_db_stmt *st, int col, const char *v)
{
	if (v != NULL)
		twh_db_bind_text(st, col, v);
	else
		twh_db_bind_text(st, col, NULL);
}

/* Inserts or replaces customer C with its channels and links; the caller holds a transaction. */
int
twh_store_customer_put(struct twh_store *s, const struct twh_customer *c)
{
	struct twh_db_stmt	*st;
	size_t			 i;
	int			 rc;

	if ((st = twh_store_stmt(s, &sql_upsert)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_text(st, 1, c->customer_id);
	twh_db_bind_text(st, 2, c->display_name);
	bind_opt(st, 3, c->worker);
	bind_opt(st, 4, c->avatar);
	bind_opt(st, 5, c->details_title);
	bind_opt(st, 6, c->details_content);
	if ((rc = twh_store_step_done(s, st, "writing the customer")) != TWH_STORE_OK ||
	    (rc = run_by_id(s, &sql_clear_channels, c->customer_id, "clearing channels")) !=
	    TWH_STORE_OK ||
	    (rc = run_by_id(s, &sql_clear_links, c->customer_id, "clearing links")) != TWH_STORE_OK)
		return rc;
	for (i = 0; i < c->n_channels; i++) {
		if ((st = twh_store_stmt(s, &sql_add_channel)) == NULL)
			return TWH_STORE_ERROR;
		twh_db_bind_text(st, 1, c->customer_id);
		twh_db_bind_text(st, 2, c->channels[i].type);
		twh_db_bind_text(st, 3, c->channels[i].value);
		if ((rc = twh_store_step_done(s, st, "writing a channel")) != TWH_STORE_OK)
			return rc;
	}
	for (i = 0; i < c->n_links; i++) {
		if ((st = twh_store_stmt(s, &sql_add_link)) == NULL)
			return TWH_STORE_ERROR;
		twh_db_bind_text(st, 1, c->customer_id);
		twh_db_bind_text(st, 2, c->links[i].type);
		twh_db_bind_text(st, 3, c->links[i].value);
		twh_db_bind_text(st, 4, c->links[i].display_name);
		twh_db_bind_int(st, 5, i);
		if ((rc = twh_store_step_done(s, st, "writing a link")) != TWH_STORE_OK)
			return rc;
	}
	return TWH_STORE_OK;
}
