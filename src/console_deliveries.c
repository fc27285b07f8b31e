/*
 * console_deliveries.c: the console's Deliveries pages.  GET /deliveries is the delivery log
 * (twh_deliverylog.h) newest first, filtered by endpoint, status (a code or a class: 4xx), SID
 * and time, a page at a time; each page reads at most a bounded part of the log
 * (twh_deliverylog_browse.h), so that a page costs the same on a year of logs, and says so
 * when that part held fewer matches than a page.  GET /delivery?id=ID is one delivery in
 * full, as it was logged: redacted then, by delivery_log_params, as `twhook log` shows it.
 */
#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "console.h"
#include "twh_buf.h"
#include "twh_deliverylog_browse.h"
#include "twh_diag.h"
#include "twh_form.h"
#include "twh_json.h"

#define PAGE_ROWS	50

/* The filter as the form gave it, each value "" when not given, and as the log reads it. */
struct deliveries_query {
	const char			*endpoint, *status, *sid, *since, *until;
	char				 since_time[TWH_DELIVERYLOG_TIME_LEN + 1];
	char				 until_time[TWH_DELIVERYLOG_TIME_LEN + 1];
	struct twh_delivery_filter	 filter;
};

static const char *
param(struct console *c, const char *name)
{
	const char	*v = twh_request_param(c->req, name);

	return v != NULL ? v : "";
}

/* The query's filter: 0, or -1 with the page answered 400 saying what is wrong. */
static int
read_query(struct console *c, struct deliveries_query *q)
{
	memset(q, 0, sizeof(*q));
	q->endpoint = param(c, "endpoint");
	q->status = param(c, "status");
	q->sid = param(c, "sid");
	q->since = param(c, "since");
	q->until = param(c, "until");
	if (*q->endpoint != '\0' &&
	    (q->filter.endpoint = twh_deliverylog_endpoint(q->endpoint)) == NULL) {
		console_error(c, 400, "endpoint is not one of the endpoints' names.");
		return -1;
	}
	if (*q->status != '\0' && twh_delivery_filter_status(&q->filter, q->status) == -1) {
		console_error(c, 400, "status is a code (404) or a class (4xx).");
		return -1;
	}
	if ((*q->since != '\0' && twh_deliverylog_when(q->since, q->since_time) == -1) ||
	    (*q->until != '\0' && twh_deliverylog_when(q->until, q->until_time) == -1)) {
		console_error(c, 400, "since and until are times: YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] "
		    "(UTC), or a time ago such as 30m, 6h or 2d.");
		return -1;
	}
	q->filter.sid = *q->sid != '\0' ? q->sid : NULL;
	q->filter.since = q->since_time;
	q->filter.until = q->until_time;
	return 0;
}

/* The query of the filter Q as the form gave it, and BEFORE when not NULL, URL-encoded. */
static void
filter_query(const struct deliveries_query *q, const char *before, struct twh_buf *out)
{
	struct twh_params	 p;
	const char		*names[] = { "endpoint", "status", "sid", "since", "until" };
	const char		*values[] = { q->endpoint, q->status, q->sid, q->since, q->until };
	size_t			 i;

	twh_params_init(&p);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (*values[i] != '\0')
			twh_params_add(&p, names[i], strlen(names[i]), values[i],
			    strlen(values[i]));
	if (before != NULL)
		twh_params_add(&p, "before", 6, before, strlen(before));
	twh_form_encode(&p, out);
	twh_params_free(&p);
}

/* <label>LABEL <input name=NAME value=VALUE></label> */
static void
text_input(struct console *c, const char *label, const char *name, const char *value,
    const char *placeholder)
{
	console_printf(c, "<label>%s <input name=\"%s\" size=\"14\" placeholder=\"%s\" value=\"",
	    label, name, placeholder);
	console_text(c, value);
	console_raw(c, "\"></label>\n");
}

static void
filter_form(struct console *c, const struct deliveries_query *q)
{
	const char	*const *e;

	console_raw(c, "<form method=\"get\" class=\"filter\" action=\"");
	console_text(c, c->base);
	console_raw(c, "/deliveries\">\n<label>Endpoint <select name=\"endpoint\">"
	    "<option value=\"\">any</option>");
	for (e = twh_deliverylog_endpoints; *e != NULL; e++)
		console_printf(c, "<option%s>%s</option>", q->filter.endpoint == *e ?
		    " selected" : "", *e);
	console_raw(c, "</select></label>\n");
	text_input(c, "Status", "status", q->status, "404 or 4xx");
	text_input(c, "SID", "sid", q->sid, "CH..., or a token");
	text_input(c, "Since", "since", q->since, "2026-12-05T10:00, 6h");
	text_input(c, "Until", "until", q->until, "2026-12-05, 30m");
	console_raw(c, "<button type=\"submit\">Filter</button></form>\n");
}

/* One delivery's row in the table; ARG is the console. */
static void
delivery_row(void *arg, const char *id, struct json_object *d)
{
	struct console		*c = arg;
	struct json_object	*sids;
	struct twh_buf		 query;
	const char		*note = twh_json_member_text(d, "note");
	size_t			 i, n;

	console_raw(c, "<tr><td>");
	twh_buf_init(&query);
	twh_buf_adds(&query, "id=");
	twh_form_encode_value(&query, id);
	console_link(c, "/delivery", query.data, twh_json_member_text(d, "time"));
	twh_buf_free(&query);
	console_raw(c, "</td><td class=\"endpoint\">");
	console_text(c, twh_json_member_text(d, "endpoint"));
	console_raw(c, "</td><td class=\"n\">");
	console_text(c, twh_json_member_text(d, "status"));
	console_raw(c, "</td><td class=\"n\">");
	console_text(c, twh_json_member_text(d, "ms"));
	console_raw(c, "</td><td>");
	console_text(c, twh_json_member_text(d, "signature"));
	console_raw(c, "</td><td>");
	n = json_object_object_get_ex(d, "sids", &sids) ? json_object_array_length(sids) : 0;
	for (i = 0; i < n; i++) {
		console_raw(c, i > 0 ? "<br>" : "");
		console_text(c, json_object_get_string(json_object_array_get_idx(sids, i)));
	}
	console_raw(c, "</td><td>");
	console_text(c, note);
	console_raw(c, "</td></tr>\n");
}

/* GET /deliveries [endpoint] [status] [sid] [since] [until] [before=ID]. */
void
console_deliveries_page(struct console *c)
{
	struct deliveries_query		 q;
	struct twh_delivery_page	 page;
	struct twh_buf			 query;
	const char			*before = param(c, "before");
	size_t				 mark;
	int				 rc;

	if (read_query(c, &q) == -1)
		return;
	console_page_begin(c, "Deliveries");
	filter_form(c, &q);
	/* The table's head, taken back if no row follows. */
	mark = c->html->len;
	console_raw(c, "<table class=\"deliveries\"><tr><th>Time (UTC)</th><th>Endpoint</th>"
	    "<th>Status</th><th>ms</th><th>Signature</th><th>SIDs</th><th>Note</th></tr>\n");
	rc = twh_deliverylog_browse(c->ctx->conf.delivery_log, &q.filter,
	    *before != '\0' ? before : NULL, PAGE_ROWS, delivery_row, c, &page);
	if (rc == -1 && errno == EINVAL) {
		console_error(c, 400, "before is not a delivery's id.");
		return;
	}
	if (rc == -1 && errno != ENOENT) {
		twh_err("%s: %s (reading the delivery log)", c->ctx->conf.delivery_log,
		    strerror(errno));
		console_error(c, 500, "The delivery log cannot be read; the console's log says "
		    "why.");
		return;
	}
	if (rc == 0 && page.rows > 0)
		console_raw(c, "</table>\n");
	else {
		twh_buf_truncate(c->html, mark);
		if (rc == -1 && *before == '\0')
			console_raw(c, "<p>No deliveries logged yet.</p>\n");
		else if (rc == -1 || !page.budget_spent)
			console_raw(c, "<p>No deliveries match.</p>\n");
	}
	if (rc == 0 && page.next[0] != '\0') {
		twh_buf_init(&query);
		filter_query(&q, page.next, &query);
		console_raw(c, page.budget_spent ? "<p>The part of the log read for this page held "
		    "no more matches. " : "<p>");
		console_link(c, "/deliveries", query.data, page.budget_spent ? "Search older" :
		    "Older deliveries");
		console_raw(c, "</p>\n");
		twh_buf_free(&query);
	}
	console_page_end(c, 200);
}

/* A row of the delivery's table: LABEL and the member NAME of D, when it has one. */
static void
detail_row(struct console *c, const char *label, struct json_object *d, const char *name)
{
	const char	*v = twh_json_member_text(d, name);

	if (v == NULL)
		return;
	console_printf(c, "<tr><th scope=\"row\">%s</th><td>", label);
	console_text(c, v);
	console_raw(c, "</td></tr>\n");
}

/* The parameters as logged: [NAME, VALUE] pairs, and "..." for those past the log's limit. */
static void
params_table(struct console *c, struct json_object *d)
{
	struct json_object	*params, *pair;
	size_t			 i, n;

	if (!json_object_object_get_ex(d, "params", &params) ||
	    (n = json_object_array_length(params)) == 0) {
		console_raw(c, "<p>No parameters logged (delivery_log_params).</p>\n");
		return;
	}
	console_raw(c, "<h2>Parameters</h2>\n<table><tr><th>Name</th><th>Value</th></tr>\n");
	for (i = 0; i < n; i++) {
		pair = json_object_array_get_idx(params, i);
		console_raw(c, "<tr><td>");
		if (json_object_is_type(pair, json_type_array)) {
			console_text(c, json_object_get_string(json_object_array_get_idx(pair, 0)));
			console_raw(c, "</td><td><pre>");
			console_text(c, json_object_get_string(json_object_array_get_idx(pair, 1)));
			console_raw(c, "</pre>");
		} else {
			console_text(c, json_object_get_string(pair));
			console_raw(c, "</td><td>");
		}
		console_raw(c, "</td></tr>\n");
	}
	console_raw(c, "</table>\n");
}

/* GET /delivery?id=ID: one delivery as it was logged. */
void
console_delivery_page(struct console *c)
{
	struct json_object	*d = NULL;

	if (twh_deliverylog_fetch(c->ctx->conf.delivery_log, param(c, "id"), &d) == -1) {
		console_error(c, errno == EINVAL ? 400 : 404, errno == EINVAL ?
		    "id is not a delivery's id." : "No such delivery in the log (it may have been "
		    "pruned: delivery_log_days).");
		return;
	}
	console_page_begin(c, "Delivery");
	console_raw(c, "<table>\n");
	detail_row(c, "Time (UTC)", d, "time");
	detail_row(c, "Endpoint", d, "endpoint");
	detail_row(c, "Status", d, "status");
	detail_row(c, "Latency (ms)", d, "ms");
	detail_row(c, "Method", d, "method");
	detail_row(c, "Signature", d, "signature");
	detail_row(c, "Idempotency token", d, "token");
	detail_row(c, "Note", d, "note");
	console_raw(c, "</table>\n");
	params_table(c, d);
	json_object_put(d);
	console_page_end(c, 200);
}
