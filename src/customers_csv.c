/*
 * customers_csv.c: customers as CSV (RFC 4180, twh_csv.c), a row each, read one at a time and
 * written.  The header names the columns, in any order: customer_id and display_name (both
 * required), worker, avatar, details_title, details_content, a column per channel type (sms,
 * whatsapp, chat, email, messenger, gbm: repeated for a second value of a type) and a column
 * "link:TYPE:DISPLAY NAME" per kind of link (the cell holds its value).  An empty cell is no
 * value.  A customer's channels and links come in the order of their columns.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "customers_file.h"
#include "twh_csv.h"

enum column_kind {
	COL_ID, COL_NAME, COL_WORKER, COL_AVATAR, COL_TITLE, COL_CONTENT, COL_CHANNEL, COL_LINK
};

/* The columns with a fixed name, in the order an export writes them. */
static const char *const fixed_names[] = {
	"customer_id", "display_name", "worker", "avatar", "details_title", "details_content"
};
#define N_FIXED		(sizeof(fixed_names) / sizeof(fixed_names[0]))
static const char *const channel_types[] = {
	"sms", "whatsapp", "chat", "email", "messenger", "gbm", NULL
};

struct column {
	enum column_kind	 kind;
	char			*type;		/* a channel's or a link's */
	char			*display_name;	/* a link's */
};

struct csv_reader {
	struct customers_reader	 r;
	struct twh_csv		 csv;
	struct column		*cols;
	size_t			 n_cols;
	long			 first_line;
};

static void
free_columns(struct csv_reader *c)
{
	size_t	 i;

	for (i = 0; i < c->n_cols; i++) {
		free(c->cols[i].type);
		free(c->cols[i].display_name);
	}
	free(c->cols);
	c->cols = NULL;
	c->n_cols = 0;
}

/* Column NAME of the header, or -1 with E set. */
static int
header_column(const char *name, struct column *col, bool *have, struct customers_error *e)
{
	const char	*colon;
	size_t		 i;

	memset(col, 0, sizeof(*col));
	for (i = 0; i < N_FIXED; i++)
		if (strcmp(name, fixed_names[i]) == 0) {
			if (have[i]) {
				snprintf(e->msg, sizeof(e->msg), "the column %s is named twice",
				    name);
				return -1;
			}
			have[i] = true;
			col->kind = (enum column_kind)i;
			return 0;
		}
	for (i = 0; channel_types[i] != NULL; i++)
		if (strcmp(name, channel_types[i]) == 0) {
			col->kind = COL_CHANNEL;
			return (col->type = strdup(name)) != NULL ? 0 : -1;
		}
	if (strncmp(name, "link:", 5) == 0 && (colon = strchr(name + 5, ':')) != NULL &&
	    colon > name + 5 && colon[1] != '\0') {
		col->kind = COL_LINK;
		col->type = strndup(name + 5, (size_t)(colon - name - 5));
		col->display_name = strdup(colon + 1);
		return col->type != NULL && col->display_name != NULL ? 0 : -1;
	}
	snprintf(e->msg, sizeof(e->msg), "unknown column '%.60s' (customer_id, display_name, "
	    "worker, avatar, details_title, details_content, sms, whatsapp, chat, email, "
	    "messenger, gbm, or link:TYPE:DISPLAY NAME)", name);
	return -1;
}

static int
read_header(struct csv_reader *c, struct customers_error *e)
{
	bool	 have[N_FIXED] = { false };
	size_t	 i;
	int	 rc = twh_csv_read(&c->csv);

	snprintf(e->where, sizeof(e->where), "line %ld", (rc == -1 ? c->csv.err_line :
	    c->csv.line) + c->first_line - 1);
	if (rc != 1) {
		snprintf(e->msg, sizeof(e->msg), "%s", rc == 0 ? "no header: expected a line "
		    "naming the columns (customer_id,display_name,...)" : c->csv.err);
		return -1;
	}
	if ((c->cols = calloc(c->csv.n, sizeof(*c->cols))) == NULL)
		return -1;
	for (i = 0; i < c->csv.n; i++, c->n_cols++)
		if (header_column(twh_csv_field(&c->csv, i), &c->cols[i], have, e) == -1)
			return -1;
	if (!have[COL_ID] || !have[COL_NAME]) {
		snprintf(e->msg, sizeof(e->msg), "the header must name customer_id and "
		    "display_name");
		return -1;
	}
	return 0;
}

static int
add_item(struct twh_customer_item **v, size_t *n, const struct column *col, const char *value)
{
	struct twh_customer_item	*it;

	if ((it = reallocarray(*v, *n + 1, sizeof(*it))) == NULL)
		return -1;
	*v = it;
	it = &it[(*n)++];
	it->type = strdup(col->type);
	it->value = strdup(value);
	it->display_name = col->display_name != NULL ? strdup(col->display_name) : NULL;
	return it->type != NULL && it->value != NULL &&
	    (it->display_name != NULL || col->display_name == NULL) ? 0 : -1;
}

/* The cell V of column COL into C. */
static int
cell(struct twh_customer *c, const struct column *col, const char *v)
{
	char	**field[] = { &c->customer_id, &c->display_name, &c->worker, &c->avatar,
		    &c->details_title, &c->details_content };

	if (*v == '\0')
		return 0;
	if (col->kind == COL_CHANNEL)
		return add_item(&c->channels, &c->n_channels, col, v);
	if (col->kind == COL_LINK)
		return add_item(&c->links, &c->n_links, col, v);
	return (*field[col->kind] = strdup(v)) != NULL ? 0 : -1;
}

static int
csv_next(struct customers_reader *r, struct twh_customer *cust, struct customers_error *e)
{
	struct csv_reader	*c = (struct csv_reader *)r;
	size_t			 i;
	long			 line;
	int			 rc;

	memset(cust, 0, sizeof(*cust));
	e->where[0] = e->msg[0] = '\0';
	if (c->cols == NULL && read_header(c, e) == -1) {
		if (e->msg[0] == '\0')
			snprintf(e->msg, sizeof(e->msg), "out of memory");
		return -1;
	}
	rc = twh_csv_read(&c->csv);
	line = c->csv.line + c->first_line - 1;
	snprintf(e->where, sizeof(e->where), "line %ld", line);
	if (rc == -1) {
		snprintf(e->where, sizeof(e->where), "line %ld", c->csv.err_line +
		    c->first_line - 1);
		snprintf(e->msg, sizeof(e->msg), "%s", c->csv.err);
		return -1;
	}
	if (rc == 0)
		return 0;
	if (c->csv.n != c->n_cols) {
		snprintf(e->msg, sizeof(e->msg), "%zu field%s where the header has %zu",
		    c->csv.n, c->csv.n == 1 ? "" : "s", c->n_cols);
		return -1;
	}
	for (i = 0; i < c->n_cols; i++)
		if (cell(cust, &c->cols[i], twh_csv_field(&c->csv, i)) == -1) {
			snprintf(e->msg, sizeof(e->msg), "out of memory");
			return -1;
		}
	if (cust->customer_id != NULL)
		snprintf(e->where, sizeof(e->where), "line %ld (customer_id %.100s)", line,
		    cust->customer_id);
	if (cust->customer_id == NULL || cust->display_name == NULL) {
		snprintf(e->msg, sizeof(e->msg), "%s: missing or empty",
		    cust->customer_id == NULL ? "customer_id" : "display_name");
		return -1;
	}
	return 1;
}

static void
csv_close(struct customers_reader *r)
{
	struct csv_reader	*c = (struct csv_reader *)r;

	free_columns(c);
	twh_csv_free(&c->csv);
	free(c);
}

/* A reader of the CSV in FP, whose first line is LINE. */
struct customers_reader *
customers_csv_open(FILE *fp, long line)
{
	struct csv_reader	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	twh_csv_init(&c->csv, fp);
	c->r.next = csv_next;
	c->r.close = csv_close;
	c->first_line = line;
	return &c->r;
}

/* The header of an export with the channel and link columns COLS. */
int
customers_csv_header(struct twh_buf *out, const struct twh_customer_column *cols, size_t n)
{
	struct twh_buf	 name;
	size_t		 i;
	long long	 k;
	int		 rc = 0;

	twh_buf_init(&name);
	for (i = 0; i < N_FIXED && rc == 0; i++)
		rc = twh_csv_put(out, fixed_names[i], n == 0 && i + 1 == N_FIXED);
	for (i = 0; i < n && rc == 0; i++)
		for (k = 0; k < cols[i].count && rc == 0; k++) {
			twh_buf_reset(&name);
			rc = cols[i].display_name == NULL ? twh_buf_adds(&name, cols[i].type) :
			    twh_buf_printf(&name, "link:%s:%s", cols[i].type, cols[i].display_name);
			if (rc == 0)
				rc = twh_csv_put(out, name.data, i + 1 == n && k + 1 == cols[i].count);
		}
	twh_buf_free(&name);
	return rc;
}

/* The K-th (from 0) of C's channels or links that column COL holds, or "". */
static const char *
nth_item(const struct twh_customer *c, const struct twh_customer_column *col, long long k)
{
	const struct twh_customer_item	*v = col->display_name ? c->links : c->channels;
	size_t				 n = col->display_name ? c->n_links : c->n_channels, i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].type, col->type) == 0 && (col->display_name == NULL ||
		    strcmp(v[i].display_name, col->display_name) == 0) && k-- == 0)
			return v[i].value;
	return "";
}

/* Customer C as a row under customers_csv_header's header. */
int
customers_csv_row(struct twh_buf *out, const struct twh_customer_column *cols, size_t n,
    const struct twh_customer *c)
{
	const char	*fixed[N_FIXED] = { c->customer_id, c->display_name, c->worker, c->avatar,
			    c->details_title, c->details_content };
	size_t		 i;
	long long	 k;
	int		 rc = 0;

	for (i = 0; i < N_FIXED && rc == 0; i++)
		rc = twh_csv_put(out, fixed[i] != NULL ? fixed[i] : "", n == 0 && i + 1 == N_FIXED);
	for (i = 0; i < n && rc == 0; i++)
		for (k = 0; k < cols[i].count && rc == 0; k++)
			rc = twh_csv_put(out, nth_item(c, &cols[i], k),
			    i + 1 == n && k + 1 == cols[i].count);
	return rc;
}
