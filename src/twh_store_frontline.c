/*
 * twh_store_frontline.c: the smaller lookups of the Frontline callbacks: the proxy address a
 * worker's outgoing conversation is sent from (its own for the channel, else the channel's
 * default) and the message templates, grouped by category.  Both are read afresh on every
 * call, so an edit made in the sqlite3 shell shows in the very next request.
 */
#include <stdlib.h>
#include <string.h>

#include "twh_store_internal.h"

/* The worker's own row sorts first (worker IS NULL is 0 for it), the default second. */
static const struct twh_sql sql_proxy_address = {
    .text = "SELECT trim(address) FROM proxy_addresses "
    "WHERE channel_type = ?1 AND (worker = ?2 OR worker IS NULL) "
    "ORDER BY worker IS NULL LIMIT 1"
};
/* Categories in the order of their first template, then by name; templates by position. */
static const struct twh_sql sql_templates = {
    .text = "SELECT t.category, t.content, t.whatsapp_approved FROM templates AS t "
    "JOIN (SELECT category, min(position) AS first FROM templates GROUP BY category) AS c "
    "ON c.category = t.category "
    "ORDER BY c.first, t.category, t.position, t.rowid"
};

/*
 * The address WORKER's conversations on CHANNEL_TYPE are sent from: the worker's own, else the
 * channel's default (the row whose worker is NULL).  TWH_STORE_NOT_FOUND when neither exists.
 * *ADDRESS is allocated; the caller frees it.
 */
int
twh_store_proxy_address(struct twh_store *s, const char *channel_type, const char *worker,
    char **address)
{
	struct twh_db_stmt	*st;

	*address = NULL;
	if ((st = twh_store_stmt(s, &sql_proxy_address)) == NULL)
		return TWH_STORE_ERROR;
	twh_db_bind_text(st, 1, channel_type);
	twh_db_bind_text(st, 2, worker);
	/* The schema's CHECK keeps the "whatsapp:" prefix on every WhatsApp address. */
	return twh_store_text_row(s, st, "reading the proxy address", address);
}

void
twh_templates_free(struct twh_templates *t)
{
	struct twh_template_category	*c;
	size_t				 i, j;

	for (i = 0; i < t->n; i++) {
		c = &t->categories[i];
		for (j = 0; j < c->n; j++)
			free(c->templates[j].content);
		free(c->templates);
		free(c->display_name);
	}
	free(t->categories);
	memset(t, 0, sizeof(*t));
}

/* The category NAME: the last one of T when the row continues it, else a new one. */
static struct twh_template_category *
category(struct twh_templates *t, const char *name)
{
	struct twh_template_category	*c;

	if (t->n > 0 && strcmp(t->categories[t->n - 1].display_name, name) == 0)
		return &t->categories[t->n - 1];
	if ((c = reallocarray(t->categories, t->n + 1, sizeof(*c))) == NULL)
		return NULL;
	t->categories = c;
	c = &c[t->n];
	memset(c, 0, sizeof(*c));
	if ((c->display_name = strdup(name)) == NULL)
		return NULL;
	t->n++;
	return c;
}

static int
add_template(struct twh_db_stmt *st, void *arg)
{
	struct twh_templates		*t = arg;
	struct twh_template_category	*c;
	struct twh_template		*v;
	const char			*name = twh_db_column_view(st, 0);

	if (name == NULL || (c = category(t, name)) == NULL ||
	    (v = reallocarray(c->templates, c->n + 1, sizeof(*v))) == NULL)
		return -1;
	c->templates = v;
	v = &v[c->n];
	v->whatsapp_approved = twh_db_column_int(st, 2) != 0;
	if ((v->content = twh_db_column_text(st, 1)) == NULL)
		return -1;
	c->n++;
	return 0;
}

/* Every template, grouped by category; T is empty (not an error) when there is none. */
int
twh_store_templates(struct twh_store *s, struct twh_templates *t)
{
	struct twh_db_stmt	*st;
	int			 rc;

	memset(t, 0, sizeof(*t));
	if ((st = twh_store_stmt(s, &sql_templates)) == NULL)
		return TWH_STORE_ERROR;
	if ((rc = twh_store_each_row(s, st, "reading the templates", add_template, t)) !=
	    TWH_STORE_OK)
		twh_templates_free(t);
	return rc;
}
