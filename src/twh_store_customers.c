/*
 * twh_store_customers.c: the customer directory: one customer with its channels and links, a
 * worker's list one keyset page at a time (filtered by a search in twh_store_search.c), and the
 * upsert behind `twhook import customers`.  Pages are ordered by display name, ignoring ASCII
 * case, then by customer_id, and continue strictly after a (display name, id) key, so a page
 * costs one index range scan however many customers the store holds.
 */
#include <stdlib.h>
#include <string.h>

#include "twh_store_internal.h"

static const struct twh_sql sql_customer = {
    .text = "SELECT customer_id, display_name, worker, avatar, details_title, details_content "
    "FROM customers WHERE customer_id = ?1 AND (worker = ?2 OR worker IS NULL)",
    .cached = true
};
static const struct twh_sql sql_customer_any = {
    .text = "SELECT customer_id, display_name, worker, avatar, details_title, details_content "
    "FROM customers WHERE customer_id = ?1",
    .cached = true
};
static const struct twh_sql sql_by_address = {
    .text = "SELECT c.customer_id, c.display_name, c.worker, c.avatar, c.details_title, "
    "c.details_content FROM customer_channels AS ch "
    "JOIN customers AS c ON c.customer_id = ch.customer_id WHERE ch.value = ?1 "
    "ORDER BY c.customer_id LIMIT 1",
    .cached = true
};
static const struct twh_sql sql_channels = {
    .text = "SELECT type, value FROM customer_channels WHERE customer_id = ?1 ORDER BY rowid",
    .cached = true
};
static const struct twh_sql sql_links = {
    .text = "SELECT type, value, display_name FROM customer_links WHERE customer_id = ?1 "
    "ORDER BY position, rowid",
    .cached = true
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
    "ORDER BY part, position, rowid",
    .cached = true
};
#define WHOLE_FIRST	3
static const struct twh_sql sql_key = {
    .text = "SELECT display_name, customer_id FROM customers WHERE customer_id = ?1 AND worker = ?2",
    .cached = true
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
    "ORDER BY nocase(display_name), customer_id LIMIT $4",
    .cached = true
};
static const struct twh_sql sql_upsert = {
    .text = "INSERT INTO customers (customer_id, display_name, worker, avatar, details_title, "
    "details_content) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (customer_id) DO UPDATE SET "
    TWH_CUSTOMER_UPDATE_SET
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

/* A new customer at the end of PAGE, all NULL; NULL when out of memory. */
static struct twh_customer *
page_next(struct twh_page *page)
{
	struct twh_customer	*c;

	if ((c = reallocarray(page->customers, page->n + 1, sizeof(*c))) == NULL)
		return NULL;
	page->customers = c;
	c = &c[page->n++];
	memset(c, 0, sizeof(*c));
	return c;
}

/* Adds the customer in ST's columns (id, display name, avatar) to the page ARG: 0, or -1. */
int
twh_store_page_row(struct twh_db_stmt *st, void *arg)
{
	struct twh_customer	*c;

	if ((c = page_next(arg)) == NULL)
		return -1;
	c->customer_id = twh_db_column_text(st, 0);
	c->display_name = twh_db_column_text(st, 1);
	c->avatar = twh_db_column_text(st, 2);
	return c->customer_id != NULL && c->display_name != NULL ? 0 : -1;
}

/* Adds to PAGE a customer of copies of CUSTOMER_ID, DISPLAY_NAME and AVATAR (NULL: none). */
int
twh_store_page_add(struct twh_page *page, const char *customer_id, const char *display_name,
    const char *avatar)
{
	struct twh_customer	*c;

	if ((c = page_next(page)) == NULL)
		return -1;
	c->customer_id = strdup(customer_id);
	c->display_name = strdup(display_name);
	c->avatar = avatar != NULL ? strdup(avatar) : NULL;
	return c->customer_id != NULL && c->display_name != NULL &&
	    (avatar == NULL || c->avatar != NULL) ? 0 : -1;
}

/*
 * A page of REQ's worker's customers in list order after REQ's key, filtered by its search
 * (twh_store_search.c) when it has one.
 */
int
twh_store_customer_page(struct twh_store *s, const struct twh_page_request *req,
    struct twh_page *page)
{
	struct twh_db_stmt	*st;
	int			 rc;

	memset(page, 0, sizeof(*page));
	/* One row more than asked tells whether another page follows. */
	if (req->query != NULL)
		rc = twh_store_search_page(s, req, page);
	else if ((st = twh_store_stmt(s, &sql_page)) == NULL)
		rc = TWH_STORE_ERROR;
	else {
		twh_db_bind_text(st, 1, req->worker);
		twh_db_bind_text(st, 2, req->after != NULL ? req->after->display_name : "");
		twh_db_bind_text(st, 3, req->after != NULL ? req->after->customer_id : "");
		twh_db_bind_int(st, 4, (long long)req->limit + 1);
		rc = twh_store_each_row(s, st, "listing customers", twh_store_page_row, page);
	}
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
