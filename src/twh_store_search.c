/*
 * twh_store_search.c: a worker's customers filtered by a search, one keyset page at a time.
 * A search matches a customer when each of its words (at most SEARCH_MAX_TERMS) begins one of
 * the customer's words: the pieces of its display name and channel values cut at white space
 * and the punctuation below, each piece's leading letters and digits folded as the index's
 * tokenizer folds them.  Two ways find the same customers:
 *   - the full-text index, whose words carry the worker's code (see customers_search in the
 *     schema files): it costs the customers that match, however far down the list they are,
 *     so it wins when few do (a surname);
 *   - the walk: the worker's customers in list order, each checked here, stopping when the
 *     page is full.  It costs the rows it reads, so it wins when many customers match (a
 *     search for "mar" among thousands).
 * A search first counts its matches in the index.  When more than a page's worth match, it
 * walks, reading at most WALK_PER_MATCH rows per match (a row read costs about half of what a
 * match found through the index does), a statement of WALK_BATCH rows per row of the page at a
 * time, for as long as the matches found so far promise a full page within that; then the
 * index finds the rest, after the last row walked.  (Names that match by their first word are
 * one stretch of the list: when it begins far down, the first statement finds nothing and the
 * index takes over.)  On PostgreSQL the index alone finds every page.
 *
 * A FastCGI process on SQLite keeps the lists of the workers it searches in memory, each
 * customer with its words cut and folded already (twh_store_search_lists.c), and walks the
 * worker's list there, to its end if need be: a row costs it a few comparisons, against some
 * 9,000 instructions for a row read from the file.
 */
#include <stdlib.h>
#include <string.h>

#include "twh_buf.h"
#include "twh_store_internal.h"

#define SEARCH_MAX_TERMS	8
#define MAX_COUNTED		1000	/* matches a search counts before it walks */
#define WALK_PER_MATCH		2	/* rows a walk may read per match counted */
#define WALK_BATCH		4	/* rows a statement of the walk reads per row of the page */

/* Where a piece of a customer's text ends: as the schema files' search triggers cut it. */
static const char	 search_breaks[] = " @.+:-_/,()'\"&#;!?=[]<>\t\n\r";

const bool *
twh_search_break_table(void)
{
	static bool	 table[256], ready;
	const char	*p;

	if (!ready) {
		for (p = search_breaks; *p != '\0'; p++)
			table[(unsigned char)*p] = true;
		ready = true;
	}
	return table;
}

/* The worker's customers that a search matches, counted up to ?2 (SQLite's only). */
static const struct twh_sql sql_count = {
    .text = "SELECT count(*) FROM (SELECT 1 FROM customers_search WHERE customers_search MATCH ?1 "
    "LIMIT ?2)"
};
static const struct twh_sql sql_worker_code = {
    .text = "SELECT code FROM search_workers WHERE worker = ?1",
    .cached = true
};
/*
 * The walk (SQLite's only): a page of the list (sql_page in twh_store_customers.c) with each
 * customer's channel values, the rest of what its words are made of.  A worker's list kept in
 * memory is read with it too (twh_store_search_lists.c).
 */
const struct twh_sql twh_store_sql_walk = {
    .text = "SELECT c.customer_id, c.display_name, c.avatar, (SELECT group_concat(ch.value, ' ') "
    "FROM customer_channels AS ch WHERE ch.customer_id = c.customer_id) FROM customers AS c "
    "WHERE c.worker = ?1 AND (c.display_name, c.customer_id) > (?2 COLLATE NOCASE, ?3) "
    "ORDER BY c.display_name COLLATE NOCASE, c.customer_id LIMIT ?4"
};
/*
 * The index: the full-text table comes first (CROSS JOIN fixes the join order), so only the
 * worker's matches are read, however large the store.  Left to itself the planner walked the
 * worker's list and ran the full-text query per customer.  PostgreSQL's index is a tsvector of
 * the same words under GIN, and ?5 a tsquery of them.
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
    "ORDER BY nocase(c.display_name), c.customer_id LIMIT $4",
    .cached = true
};

/* A search's words, as the tokenizer gives them, and its expression for the index. */
struct search {
	char		*terms[SEARCH_MAX_TERMS];
	size_t		 lengths[SEARCH_MAX_TERMS];
	size_t		 n;
	long long	 code;		/* the worker's code in search_workers */
	struct twh_buf	 expression;
};

/*
 * How the index's expression is written: an FTS5 expression ("w17xmar"* AND "w17xlo"*) or a
 * tsquery ('w17xmar':* & 'w17xlo':*), each word quoted, its quote characters doubled.
 */
struct search_syntax {
	const char	*and;
	char		 quote;
	const char	*prefix_end;
};

static const struct search_syntax fts5_syntax = { " AND ", '"', "\"*" };
static const struct search_syntax tsquery_syntax = { " & ", '\'', "':*" };

static void
search_free(struct search *q)
{
	size_t	 i;

	for (i = 0; i < q->n; i++)
		free(q->terms[i]);
	twh_buf_free(&q->expression);
}

static int
add_term(void *arg, const char *token, int len)
{
	struct search	*q = arg;

	if (q->n == SEARCH_MAX_TERMS)
		return 0;
	if ((q->terms[q->n] = strndup(token, (size_t)len)) == NULL)
		return -1;
	q->lengths[q->n++] = (size_t)len;
	return 0;
}

static int
write_expression(struct search *q, const struct search_syntax *syntax)
{
	const char	*p;
	size_t		 i;

	for (i = 0; i < q->n; i++) {
		if (twh_buf_printf(&q->expression, "%s%cw%lldx", i > 0 ? syntax->and : "",
		    syntax->quote, q->code) == -1)
			return -1;
		for (p = q->terms[i]; *p != '\0'; p++)
			if ((*p == syntax->quote ? twh_buf_addc(&q->expression, *p) : 0) == -1 ||
			    (*p == '\\' && syntax->quote == '\'' ?
			    twh_buf_addc(&q->expression, '\\') : 0) == -1 ||
			    twh_buf_addc(&q->expression, *p) == -1)
				return -1;
		if (twh_buf_adds(&q->expression, syntax->prefix_end) == -1)
			return -1;
	}
	return 0;
}

/*
 * The search for QUERY within WORKER's customers.  The query is cut into words by the index's
 * own tokenizer, and each word becomes a quoted prefix term carrying the worker's code, so
 * nothing typed in the app is read as search syntax and a word the index could never hold
 * (punctuation) is dropped rather than matching nothing.  Q->n is 0 for a query with no word,
 * or a worker with no customers: a search for nothing.
 */
static int
search_parse(struct twh_store *s, const char *worker, const char *query, struct search *q)
{
	struct twh_db_stmt	*st;
	enum twh_db_step	 step;
	int			 rc;

	memset(q, 0, sizeof(*q));
	twh_buf_init(&q->expression);
	if ((st = twh_store_stmt(s, &sql_worker_code)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_text(st, 1, worker);
	if ((step = twh_db_step(st)) == TWH_DB_ROW)
		q->code = twh_db_column_int(st, 0);
	twh_db_reset(st);
	if (step != TWH_DB_ROW)
		return step == TWH_DB_DONE ? TWH_STORE_OK :
		    twh_store_fail(s, "reading a worker's code");
	if ((rc = twh_store_tokenize(s, query, add_term, q)) != TWH_STORE_OK)
		return rc;
	if (q->n > 0 && write_expression(q, twh_store_is_postgres(s) ? &tsquery_syntax :
	    &fts5_syntax) == -1)
		return twh_store_out_of_memory(s, "writing a search");
	return TWH_STORE_OK;
}

/* What a customer's words have matched of a search so far. */
struct match {
	const struct search	*q;
	bool			 found[SEARCH_MAX_TERMS];
	size_t			 n_found;
};

/* Matches WORD (LEN bytes) against the terms not found yet: true once all are found. */
static bool
match_word(void *arg, const char *word, size_t len)
{
	struct match	*m = arg;
	size_t		 i;

	for (i = 0; i < m->q->n; i++)
		if (!m->found[i] && m->q->lengths[i] <= len &&
		    memcmp(word, m->q->terms[i], m->q->lengths[i]) == 0) {
			m->found[i] = true;
			m->n_found++;
		}
	return m->n_found == m->q->n;
}

/* Where the words of a text go, and whether they are wanted still. */
struct word_sink {
	twh_search_word_fn	*fn;
	void			*arg;
	bool			 first;		/* the tokenizer's next token is the first */
	bool			 enough;
};

/* The tokenizer's first token of "x" and a piece: "x" and the piece's word. */
static int
first_token(void *arg, const char *token, int len)
{
	struct word_sink	*w = arg;

	if (w->first) {
		w->first = false;
		w->enough = w->fn(w->arg, token + 1, (size_t)len - 1);
	}
	return 0;
}

static bool
ascii_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * Gives W the word of the piece P (LEN bytes).  When its leading letters and digits are ASCII
 * and end at an ASCII byte (or the piece's end), the word is them in lower case, as the
 * tokenizer would make it; otherwise the tokenizer says.
 */
static int
piece_word(struct twh_store *s, struct word_sink *w, const char *p, size_t len)
{
	char	 word[256], *piece;
	size_t	 n;
	int	 rc;

	for (n = 0; n < len && n < sizeof(word) && ascii_alnum((unsigned char)p[n]); n++)
		word[n] = (char)(p[n] >= 'A' && p[n] <= 'Z' ? p[n] - 'A' + 'a' : p[n]);
	if (n == len || (n < sizeof(word) && (unsigned char)p[n] < 0x80)) {
		w->enough = w->fn(w->arg, word, n);
		return TWH_STORE_OK;
	}
	if ((piece = malloc(len + 2)) == NULL)
		return twh_store_out_of_memory(s, "searching customers");
	piece[0] = 'x';
	memcpy(piece + 1, p, len);
	piece[len + 1] = '\0';
	w->first = true;
	rc = twh_store_tokenize(s, piece, first_token, w);
	free(piece);
	return rc;
}

/*
 * The words of TEXT (NULL: none), one per piece, for FN.  (A table of the breaks, not strspn
 * and strcspn: a walk cuts hundreds of pieces a request.)
 */
int
twh_search_words(struct twh_store *s, const char *text, twh_search_word_fn *fn, void *arg)
{
	const bool		*breaks = twh_search_break_table();
	struct word_sink	 w = { fn, arg, false, false };
	const char		*p;
	size_t			 len;
	int			 rc;

	for (p = text; p != NULL && *p != '\0' && !w.enough; p += len) {
		while (*p != '\0' && breaks[(unsigned char)*p])
			p++;
		for (len = 0; p[len] != '\0' && !breaks[(unsigned char)p[len]]; len++)
			;
		if (len > 0 && (rc = piece_word(s, &w, p, len)) != TWH_STORE_OK)
			return rc;
	}
	return TWH_STORE_OK;
}

/* Whether the customer whose display name and channel values are NAME and CHANNELS matches. */
static int
customer_matches(struct twh_store *s, const struct search *q, const char *name,
    const char *channels, bool *yes)
{
	struct match	 m;
	int		 rc;

	memset(&m, 0, sizeof(m));
	m.q = q;
	if ((rc = twh_search_words(s, name, match_word, &m)) == TWH_STORE_OK &&
	    m.n_found < q->n)
		rc = twh_search_words(s, channels, match_word, &m);
	*yes = m.n_found == q->n;
	return rc;
}

/* Whether a customer whose words, folded already, are WORDS (twh_list_row's) matches. */
static bool
words_match(const struct search *q, const char *words)
{
	struct match	 m;
	const char	*p;
	size_t		 len;

	memset(&m, 0, sizeof(m));
	m.q = q;
	for (p = words; *p != '\0'; p += len + 1)
		if (match_word(&m, p, (len = strlen(p))))
			return true;
	return false;
}

/*
 * Where a search goes on from: the key of the last row read (REQ's key at first), how many
 * more rows the walk may read, and whether the worker's list has no more.
 */
struct walk {
	const char	*display_name;
	const char	*customer_id;
	char		*owned[2];	/* the key, when it is a row's and not the request's */
	size_t		 budget;
	size_t		 read;
	bool		 exhausted;
};

/* Makes the row in ST's columns (id, display name) the key W goes on from. */
static int
walk_key(struct walk *w, struct twh_db_stmt *st)
{
	free(w->owned[0]);
	free(w->owned[1]);
	w->owned[0] = twh_db_column_text(st, 1);
	w->owned[1] = twh_db_column_text(st, 0);
	w->display_name = w->owned[0];
	w->customer_id = w->owned[1];
	return w->owned[0] != NULL && w->owned[1] != NULL ? 0 : -1;
}

/*
 * Reads up to ROWS of the worker's customers after W's key, adding those that match Q to PAGE
 * until it holds WANT.
 */
static int
walk_rows(struct twh_store *s, const struct twh_page_request *req, const struct search *q,
    struct walk *w, size_t rows, size_t want, struct twh_page *page)
{
	struct twh_db_stmt	*st;
	enum twh_db_step	 step = TWH_DB_DONE;
	size_t			 read = 0;
	bool			 yes;
	int			 rc = TWH_STORE_OK;

	if ((st = twh_store_stmt(s, &twh_store_sql_walk)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_text(st, 1, req->worker);
	twh_db_bind_text(st, 2, w->display_name);
	twh_db_bind_text(st, 3, w->customer_id);
	twh_db_bind_int(st, 4, (long long)rows);
	while (page->n < want && (step = twh_db_step(st)) == TWH_DB_ROW) {
		read++;
		if ((rc = customer_matches(s, q, twh_db_column_view(st, 1),
		    twh_db_column_view(st, 3), &yes)) != TWH_STORE_OK)
			break;
		if ((yes && twh_store_page_row(st, page) == -1) ||
		    (read == rows && walk_key(w, st) == -1)) {
			rc = twh_store_out_of_memory(s, "listing customers");
			break;
		}
	}
	if (rc == TWH_STORE_OK && step == TWH_DB_FAILED)
		rc = twh_store_fail(s, "listing customers");
	w->exhausted = page->n < want && read < rows;
	w->budget -= read;
	w->read += read;
	twh_db_reset(st);
	return rc;
}

/* Adds to PAGE, up to WANT, the customers the index finds for Q after W's key. */
static int
from_index(struct twh_store *s, const struct twh_page_request *req, const struct search *q,
    const struct walk *w, size_t want, struct twh_page *page)
{
	struct twh_db_stmt	*st;

	if ((st = twh_store_stmt(s, &sql_search)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_text(st, 1, req->worker);
	twh_db_bind_text(st, 2, w->display_name);
	twh_db_bind_text(st, 3, w->customer_id);
	twh_db_bind_int(st, 4, (long long)(want - page->n));
	twh_db_bind_text(st, 5, q->expression.data);
	return twh_store_each_row(s, st, "listing customers", twh_store_page_row, page);
}

/*
 * Whether walking on is likely to fill PAGE within W's budget, at the rate of matches per row
 * read so far: the first statement always is; after a statement that found nothing, the
 * matches lie further down and the index finds them for less.
 */
static bool
walk_promising(const struct walk *w, const struct twh_page *page, size_t want)
{
	if (w->exhausted || w->budget == 0 || page->n >= want)
		return false;
	return w->read == 0 ||
	    (page->n > 0 && (want - page->n) * w->read / page->n <= w->budget);
}

/* How many of the worker's customers the index finds for Q, counting up to MAX_COUNTED. */
static int
count_matches(struct twh_store *s, const struct search *q, size_t *n)
{
	struct twh_db_stmt	*st;
	enum twh_db_step	 step;

	if ((st = twh_store_stmt(s, &sql_count)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_text(st, 1, q->expression.data);
	twh_db_bind_int(st, 2, MAX_COUNTED);
	if ((step = twh_db_step(st)) == TWH_DB_ROW)
		*n = (size_t)twh_db_column_int(st, 0);
	twh_db_reset(st);
	return step == TWH_DB_ROW ? TWH_STORE_OK : twh_store_fail(s, "counting a search's matches");
}

/*
 * On SQLite: counts Q's matches, walks when there are more than a page's worth and the walk
 * promises to fill the page, and has the index find the rest.
 */
static int
walk_then_index(struct twh_store *s, const struct twh_page_request *req,
    const struct search *q, struct walk *w, size_t want, struct twh_page *page)
{
	size_t	 matches = 0;
	int	 rc;

	if ((rc = count_matches(s, q, &matches)) != TWH_STORE_OK || matches == 0)
		return rc;
	/* A page's worth of matches or fewer: the index finds them at once. */
	if (matches > want)
		for (w->budget = WALK_PER_MATCH * matches; rc == TWH_STORE_OK &&
		    walk_promising(w, page, want); )
			rc = walk_rows(s, req, q, w, w->budget < WALK_BATCH * want ?
			    w->budget : WALK_BATCH * want, want, page);
	if (rc == TWH_STORE_OK && page->n < want && !w->exhausted)
		rc = from_index(s, req, q, w, want, page);
	return rc;
}

/* Adds to PAGE, up to WANT, the customers of the worker's LIST after W's key that match Q. */
static int
from_list(struct twh_store *s, const struct twh_list *list, const struct search *q,
    const struct walk *w, size_t want, struct twh_page *page)
{
	const struct twh_list_row	*r;
	size_t				 i;

	for (i = twh_search_list_after(list, w->display_name, w->customer_id);
	    i < list->n && page->n < want; i++) {
		r = &list->rows[i];
		if (words_match(q, r->words) && twh_store_page_add(page, r->customer_id,
		    r->display_name, r->avatar) == -1)
			return twh_store_out_of_memory(s, "listing customers");
	}
	return TWH_STORE_OK;
}

/* On SQLite: from the worker's list when the process keeps it, else walking and the index. */
static int
from_sqlite(struct twh_store *s, const struct twh_page_request *req, const struct search *q,
    struct walk *w, size_t want, struct twh_page *page)
{
	const struct twh_list	*list;
	int			 rc;

	if ((rc = twh_search_list_find(s, req->worker, &list)) != TWH_STORE_OK)
		return rc;
	return list != NULL ? from_list(s, list, q, w, want, page) :
	    walk_then_index(s, req, q, w, want, page);
}

/*
 * The page of REQ (whose query is not NULL), with one row more than asked when there is one.
 * On PostgreSQL, where each statement of a walk is a round trip to the server, the index finds
 * every page: in a trial the walk halved its rate.
 */
int
twh_store_search_page(struct twh_store *s, const struct twh_page_request *req,
    struct twh_page *page)
{
	struct search	 q;
	struct walk	 w = { "", "", { NULL, NULL }, 0, 0, false };
	size_t		 want = req->limit + 1;
	int		 rc;

	if (req->after != NULL) {
		w.display_name = req->after->display_name;
		w.customer_id = req->after->customer_id;
	}
	if ((rc = search_parse(s, req->worker, req->query, &q)) == TWH_STORE_OK && q.n > 0)
		rc = twh_store_is_postgres(s) ? from_index(s, req, &q, &w, want, page) :
		    from_sqlite(s, req, &q, &w, want, page);
	free(w.owned[0]);
	free(w.owned[1]);
	search_free(&q);
	return rc;
}
