/*
 * twh_store_import_load.c: the set-based load of an import into SQLite.  Each customer the
 * import adds or changes is first written to TEMP staging tables, import_rows (the customer,
 * its first ROW_CHANNELS channels, its words for the search index, where the file had it) and
 * import_items (its other channels and its links); twh_store_load_run then writes them into the
 * store with one statement per table, in customer_id order, and the words into
 * customers_search_ids, whose triggers index them.  An insert costs about as much whatever its
 * width, so the channels most customers have (a phone and an address) ride in the customer's
 * own row instead of costing two inserts more.  When
 * a statement of the load fails (a CHECK constraint), the load is undone and bisected over the
 * staged customers, so that the error names the first customer in the file that the store
 * refuses.  A customer's words are made here as the view customers_search_words makes them
 * (the schema's version 6 says why the import writes them itself).
 *
 * Nothing is written in the order of customer_id while staging, whose order is the file's: the
 * ids staged are remembered in memory (twh_idset.c), not in a unique index of import_rows,
 * which ids in random order would fill page by random page.  A new customer's search number is
 * the store's last number and its place in the staging, so its words go into the index in the
 * file's order with no lookup; the index of customers_search_ids is made again from sorted ids
 * after a large load (twh_store_import_rebuild.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twh_buf.h"
#include "twh_idset.h"
#include "twh_store_internal.h"

#define WORKER_SLOTS	256	/* workers whose search code is remembered */
#define MOST_STAGED	2000000	/* customers staged at most before a load (32 MiB of ids) */
#define ROW_CHANNELS	2	/* channels staged in import_rows: type0, value0, type1, value1 */

static const struct twh_sql sql_rows_table = {
    .text = "CREATE TEMP TABLE IF NOT EXISTS import_rows (seq INTEGER PRIMARY KEY, "
    "customer_id TEXT NOT NULL, existed INTEGER NOT NULL, display_name TEXT, "
    "worker TEXT, avatar TEXT, details_title TEXT, details_content TEXT, "
    "words TEXT NOT NULL, place TEXT NOT NULL, type0 TEXT, value0 TEXT, type1 TEXT, value1 TEXT)"
};
static const struct twh_sql sql_items_table = {
    .text = "CREATE TEMP TABLE IF NOT EXISTS import_items (seq INTEGER NOT NULL, "
    "kind INTEGER NOT NULL, n INTEGER NOT NULL, type TEXT, value TEXT, display_name TEXT, "
    "PRIMARY KEY (seq, kind, n)) WITHOUT ROWID"
};
static const struct twh_sql sql_rows_clear = { .text = "DELETE FROM import_rows" };
static const struct twh_sql sql_items_clear = { .text = "DELETE FROM import_items" };
static const struct twh_sql sql_row_add = {
    .text = "INSERT INTO import_rows (seq, customer_id, existed, display_name, worker, avatar, "
    "details_title, details_content, words, place, type0, value0, type1, value1) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
};
static const struct twh_sql sql_item_add = {
    .text = "INSERT INTO import_items (seq, kind, n, type, value, display_name) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
};
static const struct twh_sql sql_place = {
    .text = "SELECT place FROM import_rows WHERE seq = ?1"
};
static const struct twh_sql sql_worker_add = {
    .text = "INSERT INTO search_workers (worker) VALUES (?1) ON CONFLICT (worker) DO NOTHING"
};
static const struct twh_sql sql_worker_code = {
    .text = "SELECT code FROM search_workers WHERE worker = ?1"
};

/* The load, each statement over the staged customers whose seq is from ?1 to ?2. */
#define STAGED(r)	r "seq BETWEEN ?1 AND ?2"
static const struct twh_sql sql_old_channels = {
    .text = "DELETE FROM customer_channels WHERE customer_id IN "
    "(SELECT customer_id FROM import_rows WHERE existed AND " STAGED("") ")"
};
static const struct twh_sql sql_old_links = {
    .text = "DELETE FROM customer_links WHERE customer_id IN "
    "(SELECT customer_id FROM import_rows WHERE existed AND " STAGED("") ")"
};
static const struct twh_sql sql_customers = {
    .text = "INSERT INTO customers (customer_id, display_name, worker, avatar, details_title, "
    "details_content) SELECT customer_id, display_name, worker, avatar, details_title, "
    "details_content FROM import_rows WHERE " STAGED("") " ORDER BY customer_id "
    "ON CONFLICT (customer_id) DO UPDATE SET " TWH_CUSTOMER_UPDATE_SET
};
/*
 * Each customer's channels, then links, in the file's order (they are read in rowid order):
 * a channel's n is its place in the customer's list, those in import_items from ROW_CHANNELS.
 */
static const struct twh_sql sql_channels = {
    .text = "INSERT INTO customer_channels (customer_id, type, value) "
    "SELECT customer_id, type, value FROM ("
    "SELECT customer_id, 0 AS n, type0 AS type, value0 AS value FROM import_rows "
    "WHERE type0 IS NOT NULL AND " STAGED("") " UNION ALL "
    "SELECT customer_id, 1, type1, value1 FROM import_rows "
    "WHERE type1 IS NOT NULL AND " STAGED("") " UNION ALL "
    "SELECT r.customer_id, i.n, i.type, i.value FROM import_rows AS r "
    "JOIN import_items AS i ON i.seq = r.seq AND i.kind = 0 WHERE " STAGED("r.")
    ") ORDER BY customer_id, n ON CONFLICT DO NOTHING"
};
static const struct twh_sql sql_links = {
    .text = "INSERT INTO customer_links (customer_id, type, value, display_name, position) "
    "SELECT r.customer_id, i.type, i.value, i.display_name, i.n FROM import_rows AS r "
    "JOIN import_items AS i ON i.seq = r.seq AND i.kind = 1 WHERE " STAGED("r.")
    " ORDER BY r.customer_id, i.n"
};
/*
 * The words go into customers_search_ids, whose triggers index them (the schema's version 9):
 * a customer the store had gets its new words, a new one its search number and its words.
 */
static const struct twh_sql sql_words = {
    .text = "UPDATE customers_search_ids SET words = r.words FROM import_rows AS r "
    "WHERE r.customer_id = customers_search_ids.customer_id AND r.existed AND " STAGED("r.")
};
/*
 * A new customer's search number: ?3, the store's last before the statement, and its seq.  A
 * subquery for the last would read the table written, and SQLite would copy every row staged
 * into a temporary table before the first insert.
 */
static const struct twh_sql sql_last_search_id = {
    .text = "SELECT ifnull(max(search_id), 0) FROM customers_search_ids"
};
static const struct twh_sql sql_new_search_ids = {
    .text = "INSERT INTO customers_search_ids (search_id, customer_id, words) "
    "SELECT ?3 + seq, customer_id, words FROM import_rows WHERE NOT existed AND " STAGED("")
    " ORDER BY seq"
};
static const struct twh_sql sql_savepoint = { .text = "SAVEPOINT import_load" };
static const struct twh_sql sql_undo = { .text = "ROLLBACK TO import_load" };
static const struct twh_sql sql_release = { .text = "RELEASE import_load" };

/*
 * What a step of the load writes: the first FALLIBLE steps are those a row may fail.  Steps
 * for the customers the store had are skipped when it had none of those staged.
 */
static const struct {
	const struct twh_sql	*sql;
	const char		*what;
	bool			 existed;
	bool			 numbers;	/* ?3 is the store's last search number */
} steps[] = {
	{ &sql_old_channels, "clearing channels", true, false },
	{ &sql_old_links, "clearing links", true, false },
	{ &sql_customers, "writing the customer", false, false },
	{ &sql_channels, "writing a channel", false, false },
	{ &sql_links, "writing a link", false, false },
	{ &sql_words, "indexing customers' words", true, false },
	{ &sql_new_search_ids, "indexing new customers' words", false, true },
};
#define FALLIBLE	5

/* The staging of the import under way: twhook runs one at a time. */
static struct {
	long long	 n;		/* customers staged: seq 1 to n */
	long long	 existed;	/* of those, the ones the store had */
	bool		 loaded;	/* the staging tables may hold rows loaded already */
	struct {
		char		*worker;
		long long	 code;
	}		 workers[WORKER_SLOTS];
	struct twh_idset ids;		/* the customer_id of each staged */
	struct twh_buf	 text, words;
	const bool	*breaks;	/* twh_search_break_table */
} load;

/* Runs SQL with ?1 = A when not NULL. */
static int
run(struct twh_store *s, const struct twh_sql *sql, const char *a, const char *what)
{
	struct twh_db_stmt	*st;

	if ((st = twh_store_stmt(s, sql)) == NULL)
		return TWH_STORE_ERROR;
	if (a != NULL)
		twh_db_bind_text(st, 1, a);
	return twh_store_step_done(s, st, what);
}

static void
forget_workers(void)
{
	size_t	 i;

	for (i = 0; i < WORKER_SLOTS; i++) {
		free(load.workers[i].worker);
		load.workers[i].worker = NULL;
	}
}

/*
 * Empties the staging tables of the customers loaded: the first customer staged after a load
 * does, so that the last load leaves them to the end of the connection.
 */
static int
clear(struct twh_store *s)
{
	int	 rc;

	if (!load.loaded)
		return TWH_STORE_OK;
	if ((rc = run(s, &sql_rows_clear, NULL, "clearing the staging tables")) != TWH_STORE_OK)
		return rc;
	load.loaded = false;
	return run(s, &sql_items_clear, NULL, "clearing the staging tables");
}

/* The staged customers are loaded (or were from another import): none is staged. */
static void
loaded(void)
{
	load.n = load.existed = 0;
	load.loaded = true;
	twh_idset_clear(&load.ids);
}

/* Empty staging tables for an import. */
int
twh_store_load_begin(struct twh_store *s)
{
	int		 rc;

	forget_workers();
	twh_idset_init(&load.ids, MOST_STAGED);
	load.breaks = twh_search_break_table();
	if ((rc = run(s, &sql_rows_table, NULL, "making the staging tables")) != TWH_STORE_OK ||
	    (rc = run(s, &sql_items_table, NULL, "making the staging tables")) != TWH_STORE_OK)
		return rc;
	loaded();
	return clear(s);
}

/* Forgets what the import remembered. */
void
twh_store_load_end(void)
{
	forget_workers();
	twh_idset_free(&load.ids);
	twh_buf_free(&load.text);
	twh_buf_free(&load.words);
}

static size_t
worker_slot(const char *worker)
{
	return twh_idset_fingerprint(worker) % WORKER_SLOTS;
}

/* The search code of WORKER (0 for none), added to search_workers when new. */
static int
worker_code(struct twh_store *s, const char *worker, long long *code)
{
	struct twh_db_stmt	*st;
	enum twh_db_step	 step;
	size_t			 slot;
	char			*copy;
	int			 rc;

	*code = 0;
	if (worker == NULL)
		return TWH_STORE_OK;
	slot = worker_slot(worker);
	if (load.workers[slot].worker != NULL && strcmp(load.workers[slot].worker, worker) == 0) {
		*code = load.workers[slot].code;
		return TWH_STORE_OK;
	}
	if ((rc = run(s, &sql_worker_add, worker, "adding a worker's search code")) !=
	    TWH_STORE_OK || (st = twh_store_stmt(s, &sql_worker_code)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_text(st, 1, worker);
	if ((step = twh_db_step(st)) == TWH_DB_ROW)
		*code = twh_db_column_int(st, 0);
	twh_db_reset(st);
	if (step != TWH_DB_ROW)
		return twh_store_fail(s, "reading a worker's search code");
	if ((copy = strdup(worker)) == NULL)
		return twh_store_out_of_memory(s, "remembering a worker");
	free(load.workers[slot].worker);
	load.workers[slot].worker = copy;
	load.workers[slot].code = *code;
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
	size_t				 i, run, start;
	int				 rc;

	twh_buf_reset(text);
	twh_buf_reset(out);
	if ((v = calloc(c->n_channels + 1, sizeof(*v))) == NULL)
		return -1;
	for (i = 0; i < c->n_channels; i++)
		v[i] = &c->channels[i];
	qsort(v, c->n_channels, sizeof(*v), by_type_value);
	rc = twh_buf_add(text, " ", 1);
	/* A null display name, refused by the store's NOT NULL later, adds nothing. */
	if (rc == 0 && c->display_name != NULL)
		rc = twh_buf_adds(text, c->display_name);
	for (i = 0; i < c->n_channels && rc == 0; i++)
		if ((rc = twh_buf_add(text, " ", 1)) == 0)
			rc = twh_buf_adds(text, v[i]->value);
	free(v);
	if (rc == 0 && c->n_channels == 0)
		rc = twh_buf_add(text, " ", 1);
	snprintf(prefix, sizeof(prefix), " w%lldx", code);
	rc = rc == 0 ? twh_buf_add(out, "", 0) : rc;
	/* A run of characters that are not word breaks at a time, then the break's prefix. */
	for (p = text->data; rc == 0 && *p != '\0'; p += run) {
		for (run = 0; p[run] != '\0' && !load.breaks[(unsigned char)p[run]]; run++)
			;
		start = out->len;
		if (run > 0 && (rc = twh_buf_add(out, p, run)) == 0)
			for (i = start; i < out->len; i++)
				if (out->data[i] >= 'A' && out->data[i] <= 'Z')
					out->data[i] = (char)(out->data[i] - 'A' + 'a');
		if (rc == 0 && p[run] != '\0') {
			rc = twh_buf_adds(out, prefix);
			run++;
		}
	}
	return rc;
}

static void
bind_item(struct twh_db_stmt *st, long long seq, int kind, size_t n,
    const struct twh_customer_item *item)
{
	twh_db_bind_int(st, 1, seq);
	twh_db_bind_int(st, 2, kind);
	twh_db_bind_int(st, 3, (long long)n);
	twh_db_bind_text(st, 4, item->type);
	twh_db_bind_text(st, 5, item->value);
	twh_db_bind_text(st, 6, item->display_name);
}

/* C's channels (KIND 0) or links (1) from the FIRST of the N in V, staged for customer SEQ. */
static int
stage_items(struct twh_store *s, long long seq, int kind, const struct twh_customer_item *v,
    size_t first, size_t n)
{
	struct twh_db_stmt	*st;
	size_t			 i;
	int			 rc;

	for (i = first; i < n; i++) {
		if ((st = twh_store_stmt(s, &sql_item_add)) == NULL)
			return TWH_STORE_ERROR;
		bind_item(st, seq, kind, i, &v[i]);
		if ((rc = twh_store_step_done(s, st, "staging a customer")) != TWH_STORE_OK)
			return rc;
	}
	return TWH_STORE_OK;
}

/*
 * Stages C (EXISTED: the store has it), found at PLACE in the file; *AGAIN when the file named
 * it earlier and it may still be staged, or MOST_STAGED are: twh_store_load_run first, then
 * stage it again.
 */
int
twh_store_load_add(struct twh_store *s, const struct twh_customer *c, bool existed,
    const char *place, bool *again)
{
	struct twh_db_stmt	*st;
	long long		 code;
	size_t			 i;
	int			 rc;

	*again = false;
	if ((rc = clear(s)) != TWH_STORE_OK)
		return rc;
	switch (twh_idset_add(&load.ids, c->customer_id)) {
	case TWH_IDSET_NEW:
		break;
	case TWH_IDSET_FULL:
		if (load.n == 0)
			return twh_store_out_of_memory(s, "remembering the customers staged");
		/* FALLTHROUGH */
	case TWH_IDSET_SEEN:
		*again = true;
		return TWH_STORE_OK;
	}
	if ((rc = worker_code(s, c->worker, &code)) != TWH_STORE_OK)
		return rc;
	if (search_words(c, code, &load.text, &load.words) == -1)
		return twh_store_out_of_memory(s, "a customer's words");
	if ((st = twh_store_stmt(s, &sql_row_add)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_int(st, 1, load.n + 1);
	twh_db_bind_text(st, 2, c->customer_id);
	twh_db_bind_int(st, 3, existed);
	twh_db_bind_text(st, 4, c->display_name);
	twh_db_bind_text(st, 5, c->worker);
	twh_db_bind_text(st, 6, c->avatar);
	twh_db_bind_text(st, 7, c->details_title);
	twh_db_bind_text(st, 8, c->details_content);
	twh_db_bind_text(st, 9, load.words.data);
	twh_db_bind_text(st, 10, place);
	for (i = 0; i < ROW_CHANNELS && i < c->n_channels; i++) {
		twh_db_bind_text(st, 11 + 2 * (int)i, c->channels[i].type);
		twh_db_bind_text(st, 12 + 2 * (int)i, c->channels[i].value);
	}
	if ((rc = twh_store_step_done(s, st, "staging a customer")) != TWH_STORE_OK)
		return rc;
	load.n++;
	load.existed += existed;
	if (c->n_channels > ROW_CHANNELS && (rc = stage_items(s, load.n, 0, c->channels,
	    ROW_CHANNELS, c->n_channels)) != TWH_STORE_OK)
		return rc;
	return stage_items(s, load.n, 1, c->links, 0, c->n_links);
}

/* Runs steps FIRST to LAST (excluded) over the staged customers LO to HI: -1 on failure. */
static int
run_steps(struct twh_store *s, size_t first, size_t last, long long lo, long long hi,
    size_t *failed)
{
	struct twh_db_stmt	*st;
	long long		 last_search_id = 0;
	size_t			 i;

	for (i = first; i < last; i++) {
		*failed = i;
		if (steps[i].existed && load.existed == 0)
			continue;
		if (steps[i].numbers && ((st = twh_store_stmt(s, &sql_last_search_id)) == NULL ||
		    twh_store_int_row(s, st, "reading the last search number", &last_search_id) !=
		    TWH_STORE_OK))
			return -1;
		if ((st = twh_store_stmt(s, steps[i].sql)) == NULL)
			return -1;
		twh_db_bind_int(st, 1, lo);
		twh_db_bind_int(st, 2, hi);
		if (steps[i].numbers)
			twh_db_bind_int(st, 3, last_search_id);
		if (twh_store_step_done(s, st, steps[i].what) != TWH_STORE_OK)
			return -1;
	}
	return 0;
}

/* True when the fallible steps over LO to HI fail; the store is as before either way. */
static int
fails(struct twh_store *s, long long lo, long long hi, bool *failed)
{
	size_t	 step;

	if (run(s, &sql_savepoint, NULL, "marking the load") != TWH_STORE_OK)
		return TWH_STORE_ERROR;
	*failed = run_steps(s, 0, FALLIBLE, lo, hi, &step) == -1;
	if (run(s, &sql_undo, NULL, "undoing the load") != TWH_STORE_OK ||
	    run(s, &sql_release, NULL, "undoing the load") != TWH_STORE_OK)
		return TWH_STORE_ERROR;
	return TWH_STORE_OK;
}

/* The store's error about the staged customer that failed, said with its place in the file. */
static int
fail_at(struct twh_store *s, long long seq)
{
	struct twh_db_stmt	*st;
	char			 what[512];
	char			*place = NULL;
	size_t			 step;

	if ((st = twh_store_stmt(s, &sql_place)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_int(st, 1, seq);
	if (twh_store_text_row(s, st, "finding a customer's place", &place) == TWH_STORE_ERROR)
		return TWH_STORE_ERROR;
	if (run_steps(s, 0, FALLIBLE, seq, seq, &step) == 0) {
		free(place);
		return twh_store_fail(s, "loading the customers");
	}
	snprintf(what, sizeof(what), "%s: %s", place != NULL ? place : "?", steps[step].what);
	free(place);
	return twh_store_fail(s, what);
}

/* Bisects the staged customers for the first one the store refuses, and fails with it. */
static int
find_failure(struct twh_store *s)
{
	long long	 lo = 1, hi = load.n, mid;
	bool		 failed;

	if (run(s, &sql_undo, NULL, "undoing the load") != TWH_STORE_OK)
		return TWH_STORE_ERROR;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (fails(s, lo, mid, &failed) != TWH_STORE_OK)
			return TWH_STORE_ERROR;
		if (failed)
			hi = mid;
		else
			lo = mid + 1;
	}
	return fail_at(s, lo);
}

/*
 * Runs every step over every staged customer, after the savepoint; with REBUILD, with the
 * indexes dropped and made again when that is worth it (twh_store_import_rebuild.c).
 */
static int
load_all(struct twh_store *s, bool rebuild)
{
	struct twh_rebuild	*r = NULL;
	size_t			 failed;
	int			 rc;

	if (rebuild && (rc = twh_store_rebuild_drop(s, load.n, &r)) != TWH_STORE_OK) {
		twh_store_rebuild_free(r);
		return rc;
	}
	if (run_steps(s, 0, sizeof(steps) / sizeof(steps[0]), 1, load.n, &failed) == -1)
		rc = failed < FALLIBLE && !twh_store_busy(s) ? find_failure(s) : TWH_STORE_ERROR;
	else if ((rc = twh_store_rebuild_make(s, r)) != TWH_STORE_OK && !twh_store_busy(s)) {
		/* A unique index the rows break: load them into it, to name the first. */
		if ((rc = run(s, &sql_undo, NULL, "undoing the load")) == TWH_STORE_OK)
			rc = load_all(s, false);
	}
	twh_store_rebuild_free(r);
	return rc;
}

/*
 * Writes the staged customers into the store, with their words.  The next customer staged, if
 * any, empties the staging tables (clear).
 */
int
twh_store_load_run(struct twh_store *s)
{
	int	 rc;

	if (load.n == 0)
		return TWH_STORE_OK;
	if ((rc = run(s, &sql_savepoint, NULL, "marking the load")) != TWH_STORE_OK ||
	    (rc = load_all(s, true)) != TWH_STORE_OK ||
	    (rc = run(s, &sql_release, NULL, "ending the load")) != TWH_STORE_OK)
		return rc;
	loaded();
	return TWH_STORE_OK;
}
