/*
 * twh_store_search_lists.c: the workers' customer lists that a FastCGI process on SQLite keeps
 * in memory, and that twh_store_search.c searches instead of the file.  A list holds a worker's
 * customers in list order (display name without regard to ASCII case, as SQLite's NOCASE
 * compares, then id), each with its id, display name, avatar and search words, cut and folded
 * already.  It is read whole at its worker's first search, and read again once the number in
 * customers_version (schema version 10) has changed: every edit of customers or
 * customer_channels adds one, from twhook or from the sqlite3 shell, and so does
 * `twhook import customers`.  A list is searched only when
 *   - its worker has at most LIST_ROWS customers (a longer list would make that first search
 *     wait too long: those workers' searches read the file, as a CGI run's do);
 *   - its order is the one list_order gives, and no id, display name or avatar holds a NUL
 *     byte (SQLite orders by the bytes after it, and a page's copies leave it out).
 * At most LISTS lists and LISTS_BYTES bytes are kept; the least recently searched goes first.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "twh_buf.h"
#include "twh_store_internal.h"

#define LISTS		32
#define LIST_ROWS	20000
#define LISTS_BYTES	(32u << 20)

static const struct twh_sql sql_version = {
    .text = "SELECT version FROM customers_version"
};

/* A worker's list, or the knowledge that it is not kept. */
struct slot {
	char		*worker;	/* NULL: the slot is free */
	struct twh_list	 list;
	bool		 searchable;	/* false: the worker's searches read the file */
	size_t		 bytes;
	unsigned long	 used;		/* the clock at its last search */
};

struct twh_search_lists {
	struct slot	 slots[LISTS];
	long long	 version;	/* customers_version's, when the lists were read */
	size_t		 bytes;
	unsigned long	 clock;
};

struct twh_search_lists *
twh_search_lists_new(void)
{
	struct twh_search_lists	*l;

	if ((l = calloc(1, sizeof(*l))) != NULL)
		l->version = -1;
	return l;
}

static void
slot_clear(struct twh_search_lists *l, struct slot *slot)
{
	free(slot->worker);
	free(slot->list.rows);
	free(slot->list.text);
	l->bytes -= slot->bytes;
	memset(slot, 0, sizeof(*slot));
}

void
twh_search_lists_free(struct twh_search_lists *l)
{
	size_t	 i;

	if (l == NULL)
		return;
	for (i = 0; i < LISTS; i++)
		slot_clear(l, &l->slots[i]);
	free(l);
}

static unsigned char
ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Compares display names as SQLite's NOCASE does: bytes, A-Z as a-z, the shorter first. */
static int
nocase_order(const char *a, const char *b)
{
	const unsigned char	*x = (const unsigned char *)a, *y = (const unsigned char *)b;

	for (; *x != '\0' && *y != '\0'; x++, y++)
		if (ascii_lower(*x) != ascii_lower(*y))
			return ascii_lower(*x) - ascii_lower(*y);
	return (*x != '\0') - (*y != '\0');
}

/* The list's order: display name (NOCASE), then id (bytes). */
static int
list_order(const char *name_a, const char *id_a, const char *name_b, const char *id_b)
{
	int	 r;

	return (r = nocase_order(name_a, name_b)) != 0 ? r : strcmp(id_a, id_b);
}

/* The first row of LIST after the key (DISPLAY_NAME, CUSTOMER_ID): LIST->n when none is. */
size_t
twh_search_list_after(const struct twh_list *list, const char *display_name,
    const char *customer_id)
{
	size_t	 lo = 0, hi = list->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (list_order(list->rows[mid].display_name, list->rows[mid].customer_id,
		    display_name, customer_id) > 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Where a row's strings are in a list's text while it is read (which moves the text). */
struct row_at {
	size_t	 customer_id;
	size_t	 display_name;
	size_t	 avatar;
	size_t	 words;
	bool	 has_avatar;
};

/* A list as it is read. */
struct reading {
	struct twh_buf	 text;
	struct row_at	*at;
	size_t		 n;
	bool		 searchable;
	bool		 out_of_memory;
};

/* Adds the first LEN bytes of TEXT and a NUL to R's text; its offset in *AT. */
static void
add_text(struct reading *r, const char *text, size_t len, size_t *at)
{
	*at = r->text.len;
	if (twh_buf_add(&r->text, text, len) == -1 || twh_buf_addc(&r->text, '\0') == -1)
		r->out_of_memory = true;
}

/* A word of the row being read (an empty one matches nothing). */
static bool
add_word(void *arg, const char *word, size_t len)
{
	struct reading	*r = arg;
	size_t		 at;

	if (len > 0)
		add_text(r, word, len, &at);
	return r->out_of_memory;
}

/* Whether column COL of ST is text without a NUL byte (which copies leave out). */
static bool
plain_text(struct twh_db_stmt *st, int col)
{
	const char	*t = twh_db_column_view(st, col);

	return t != NULL && strlen(t) == twh_db_column_bytes(st, col);
}

/*
 * Adds ST's row (id, display name, avatar, channel values) to R, or finds that the list cannot
 * be searched in memory: a NUL byte in an id, display name or avatar, which SQLite orders by
 * and the copies of a page leave out.
 */
static int
read_row(struct twh_store *s, struct twh_db_stmt *st, struct reading *r)
{
	struct row_at	*at;
	const char	*id = twh_db_column_view(st, 0), *name = twh_db_column_view(st, 1);
	const char	*avatar = twh_db_column_view(st, 2);
	int		 rc;

	if (!plain_text(st, 0) || !plain_text(st, 1) || (avatar != NULL && !plain_text(st, 2))) {
		r->searchable = false;
		return TWH_STORE_OK;
	}
	if ((at = reallocarray(r->at, r->n + 1, sizeof(*r->at))) == NULL)
		return twh_store_out_of_memory(s, "keeping a worker's customers");
	r->at = at;
	at = &at[r->n++];
	add_text(r, id, strlen(id), &at->customer_id);
	add_text(r, name, strlen(name), &at->display_name);
	if ((at->has_avatar = avatar != NULL))
		add_text(r, avatar, strlen(avatar), &at->avatar);
	at->words = r->text.len;
	if ((rc = twh_search_words(s, name, add_word, r)) != TWH_STORE_OK ||
	    (rc = twh_search_words(s, twh_db_column_view(st, 3), add_word, r)) != TWH_STORE_OK)
		return rc;
	if (twh_buf_addc(&r->text, '\0') == -1 || r->out_of_memory)
		return twh_store_out_of_memory(s, "keeping a worker's customers");
	return TWH_STORE_OK;
}

/* Makes R's rows SLOT's list, pointing into its text, which the list takes: 0, or -1. */
static int
make_list(struct reading *r, struct slot *slot)
{
	struct twh_list	*list = &slot->list;
	size_t		 i, cap = r->text.cap;

	if ((list->rows = calloc(r->n > 0 ? r->n : 1, sizeof(*list->rows))) == NULL ||
	    (list->text = twh_buf_take(&r->text)) == NULL)
		return -1;
	list->n = r->n;
	for (i = 0; i < r->n; i++) {
		list->rows[i].customer_id = list->text + r->at[i].customer_id;
		list->rows[i].display_name = list->text + r->at[i].display_name;
		list->rows[i].avatar = r->at[i].has_avatar ? list->text + r->at[i].avatar : NULL;
		list->rows[i].words = list->text + r->at[i].words;
	}
	slot->bytes = cap + r->n * sizeof(*list->rows);
	return 0;
}

/* Whether LIST's rows are in list_order, each after the one before. */
static bool
in_order(const struct twh_list *list)
{
	size_t	 i;

	for (i = 1; i < list->n; i++)
		if (list_order(list->rows[i - 1].display_name, list->rows[i - 1].customer_id,
		    list->rows[i].display_name, list->rows[i].customer_id) >= 0)
			return false;
	return true;
}

/* Reads WORKER's list into SLOT: searchable, or not when too long or not in list_order. */
static int
read_list(struct twh_store *s, const char *worker, struct slot *slot)
{
	struct twh_db_stmt	*st;
	struct reading		 r;
	enum twh_db_step	 step = TWH_DB_DONE;
	int			 rc = TWH_STORE_OK;

	memset(&r, 0, sizeof(r));
	twh_buf_init(&r.text);
	r.searchable = true;
	if ((st = twh_store_stmt(s, &twh_store_sql_walk)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_text(st, 1, worker);
	twh_db_bind_text(st, 2, "");
	twh_db_bind_text(st, 3, "");
	twh_db_bind_int(st, 4, LIST_ROWS + 1);
	while (rc == TWH_STORE_OK && r.searchable && (step = twh_db_step(st)) == TWH_DB_ROW) {
		if (r.n == LIST_ROWS)
			r.searchable = false;	/* too long */
		else
			rc = read_row(s, st, &r);
	}
	if (rc == TWH_STORE_OK && step == TWH_DB_FAILED)
		rc = twh_store_fail(s, "reading a worker's customers");
	twh_db_reset(st);
	if (rc == TWH_STORE_OK && r.searchable && make_list(&r, slot) == -1)
		rc = twh_store_out_of_memory(s, "keeping a worker's customers");
	slot->searchable = rc == TWH_STORE_OK && r.searchable && in_order(&slot->list);
	if (!slot->searchable) {
		free(slot->list.rows);
		free(slot->list.text);
		memset(&slot->list, 0, sizeof(slot->list));
		slot->bytes = 0;
	}
	twh_buf_free(&r.text);
	free(r.at);
	return rc;
}

/* The least recently searched list other than KEEP, or NULL when there is none. */
static struct slot *
least_recent(struct twh_search_lists *l, const struct slot *keep)
{
	struct slot	*oldest = NULL;
	size_t		 i;

	for (i = 0; i < LISTS; i++)
		if (&l->slots[i] != keep && l->slots[i].worker != NULL &&
		    (oldest == NULL || l->slots[i].used < oldest->used))
			oldest = &l->slots[i];
	return oldest;
}

/* The slot for a list to be read: a free one, else the least recently searched, emptied. */
static struct slot *
free_slot(struct twh_search_lists *l)
{
	struct slot	*slot;
	size_t		 i;

	for (i = 0; i < LISTS; i++)
		if (l->slots[i].worker == NULL)
			return &l->slots[i];
	slot = least_recent(l, NULL);
	slot_clear(l, slot);
	return slot;
}

/* Forgets the least recently searched lists other than KEEP until all fit in LISTS_BYTES. */
static void
make_room(struct twh_search_lists *l, const struct slot *keep)
{
	struct slot	*oldest;

	while (l->bytes > LISTS_BYTES && (oldest = least_recent(l, keep)) != NULL)
		slot_clear(l, oldest);
}

/*
 * Forgets every list when customers_version is not what it was when they were read.  *KNOWN is
 * false when the table holds no number (an operator's edit): nothing can be kept then.
 */
static int
check_version(struct twh_store *s, struct twh_search_lists *l, bool *known)
{
	struct twh_db_stmt	*st;
	enum twh_db_step	 step;
	long long		 version = -1;
	size_t			 i;

	if ((st = twh_store_stmt(s, &sql_version)) == NULL)
		return TWH_STORE_ERROR;
	if ((step = twh_db_step(st)) == TWH_DB_ROW)
		version = twh_db_column_int(st, 0);
	twh_db_reset(st);
	if (step == TWH_DB_FAILED)
		return twh_store_fail(s, "reading the customers' version");
	if ((*known = step == TWH_DB_ROW) == false || version != l->version) {
		for (i = 0; i < LISTS; i++)
			slot_clear(l, &l->slots[i]);
		l->version = version;
	}
	return TWH_STORE_OK;
}

/*
 * WORKER's list as the store holds it now, in *LIST; NULL when the store keeps no lists (it
 * serves one request, or PostgreSQL) or this worker's cannot be searched in memory.
 */
int
twh_search_list_find(struct twh_store *s, const char *worker, const struct twh_list **list)
{
	struct twh_search_lists	*l = twh_store_search_lists(s);
	struct slot		*slot = NULL;
	size_t			 i;
	bool			 known = false;
	int			 rc;

	*list = NULL;
	if (l == NULL)
		return TWH_STORE_OK;
	if ((rc = check_version(s, l, &known)) != TWH_STORE_OK || !known)
		return rc;
	for (i = 0; i < LISTS && slot == NULL; i++)
		if (l->slots[i].worker != NULL && strcmp(l->slots[i].worker, worker) == 0)
			slot = &l->slots[i];
	if (slot == NULL) {
		slot = free_slot(l);
		if ((slot->worker = strdup(worker)) == NULL)
			return twh_store_out_of_memory(s, "keeping a worker's customers");
		if ((rc = read_list(s, worker, slot)) != TWH_STORE_OK) {
			slot_clear(l, slot);
			return rc;
		}
		l->bytes += slot->bytes;
		make_room(l, slot);
	}
	slot->used = ++l->clock;
	if (slot->searchable)
		*list = &slot->list;
	return TWH_STORE_OK;
}
