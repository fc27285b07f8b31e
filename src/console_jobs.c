/*
 * console_jobs.c: the outbox in the console.  /jobs lists the jobs not done (or those of one
 * state), newest first, a keyset page at a time (before=JOB), each with its attempts, last
 * HTTP status, next attempt, last error and payload (redacted as the delivery log redacts,
 * escaped, cut to its first bytes, with its length); a dead job has a Retry button when the
 * console may write.  POST /jobs/retry puts a dead job back in line and sends the browser back
 * to /jobs with a notice.  The jobs summary (the count in each state) is a section of the Store
 * and Overview pages.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "console.h"
#include "twh_clock.h"
#include "twh_deliverylog.h"
#include "twh_diag.h"

#define JOBS_PAGE	50
#define PAYLOAD_SHOWN	300	/* bytes of a payload shown */
#define AS_SHOWN	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* A parameter that must be a job number if given: 0 when absent, -1 when not a number. */
static long long
job_number(const struct console *c, const char *name)
{
	const char	*v = twh_request_param(c->req, name);
	long long	 n;
	char		*end;

	if (v == NULL || *v == '\0')
		return 0;
	errno = 0;
	n = strtoll(v, &end, 10);
	return *v >= '1' && *v <= '9' && *end == '\0' && errno == 0 ? n : -1;
}

/*
 * Replaces, in the JSON object O, the value of each member that the delivery log would not
 * show (twh_deliverylog_secret_name: tokens, secrets, message texts) by its length, as the log
 * does.  Objects are walked into, and so are strings that hold a JSON object (a push job's
 * notification body), which are written back redacted.
 */
static void
redact(struct json_object *o)
{
	struct json_object	*inner;
	char			 note[64];

	json_object_object_foreach(o, key, value) {
		if (json_object_is_type(value, json_type_object)) {
			redact(value);
			continue;
		}
		inner = json_object_is_type(value, json_type_string) ?
		    json_tokener_parse(json_object_get_string(value)) : NULL;
		if (inner != NULL && json_object_is_type(inner, json_type_object)) {
			redact(inner);
			/* The member's entry stays, its value replaced: the walk allows that. */
			json_object_object_add(o, key, json_object_new_string(
			    json_object_to_json_string_ext(inner, AS_SHOWN)));
		} else if (twh_deliverylog_secret_name(key)) {
			snprintf(note, sizeof(note), "[redacted, %zu bytes]",
			    strlen(json_object_get_string(value)));
			json_object_object_add(o, key, json_object_new_string(note));
		}
		json_object_put(inner);
	}
}

/* The payload, redacted, its first bytes cut at a character's start, then its length. */
static void
payload_cell(struct console *c, const char *payload)
{
	struct json_object	*o = json_tokener_parse(payload);
	const char		*shown_text;
	size_t			 len = strlen(payload), n, shown;

	if (o != NULL && json_object_is_type(o, json_type_object)) {
		redact(o);
		shown_text = json_object_to_json_string_ext(o, AS_SHOWN);
	} else
		/* Not an object, as no job twhook writes is: its length only. */
		shown_text = "";
	n = shown = strlen(shown_text);
	if (n > PAYLOAD_SHOWN) {
		shown = PAYLOAD_SHOWN;
		while (shown > 0 && (shown_text[shown] & 0xc0) == 0x80)
			shown--;
	}
	console_raw(c, "<td><pre>");
	console_escape(c->html, shown_text, shown);
	console_printf(c, "%s</pre><small>%zu bytes</small></td>", shown < n ? "&hellip;" : "",
	    len);
	json_object_put(o);
}

static void
retry_button(struct console *c, const struct twh_job *j)
{
	console_raw(c, "<form method=\"post\" action=\"");
	console_text(c, c->base);
	console_printf(c, "/jobs/retry\"><input type=\"hidden\" name=\"id\" value=\"%lld\">",
	    j->job_id);
	console_csrf_field(c);
	console_raw(c, "<button type=\"submit\">Retry</button></form>");
}

static void
job_row(struct console *c, const struct twh_job *j, bool writable)
{
	console_printf(c, "<tr><td class=\"n\">%lld</td><td>%s</td><td>", j->job_id,
	    twh_job_state_name(j->state));
	console_text(c, j->kind);
	console_printf(c, "</td><td class=\"n\">%d</td><td class=\"n\">", j->attempts);
	if (j->last_status != 0)
		console_printf(c, "%d", j->last_status);
	else
		console_raw(c, "-");
	console_raw(c, "</td><td>");
	if (j->state == TWH_JOB_QUEUED || j->state == TWH_JOB_RETRYING)
		console_time(c, j->next_attempt_at);
	else
		console_raw(c, "-");
	console_raw(c, "</td><td>");
	console_time(c, j->updated_at);
	console_raw(c, "</td><td>");
	console_text(c, j->idempotency_key);
	if (j->last_error != NULL) {
		console_raw(c, "<br><small>");
		console_text(c, j->last_error);
		console_raw(c, "</small>");
	}
	console_raw(c, "</td>");
	payload_cell(c, j->payload);
	if (writable) {
		console_raw(c, "<td>");
		if (j->state == TWH_JOB_DEAD)
			retry_button(c, j);
		console_raw(c, "</td>");
	}
	console_raw(c, "</tr>\n");
}

/* The links that choose the state shown: every job not done, or one state. */
static void
state_links(struct console *c, const char *state)
{
	char	 query[32];
	int	 i;

	console_raw(c, "<p>Show: ");
	if (state == NULL)
		console_raw(c, "<strong>not done</strong>");
	else
		console_link(c, "/jobs", NULL, "not done");
	for (i = 0; i < TWH_JOB_STATES; i++) {
		console_raw(c, " | ");
		if (state != NULL && strcmp(state, twh_job_state_name(i)) == 0) {
			console_printf(c, "<strong>%s</strong>", twh_job_state_name(i));
			continue;
		}
		snprintf(query, sizeof(query), "state=%s", twh_job_state_name(i));
		console_link(c, "/jobs", query, twh_job_state_name(i));
	}
	console_raw(c, "</p>\n");
}

static void
jobs_table(struct console *c, const char *state, const struct twh_job *jobs, size_t n,
    bool more)
{
	bool	 writable = console_can_write(c);
	char	 query[64];
	size_t	 i;

	if (n == 0) {
		console_raw(c, "<p>No jobs.</p>\n");
		return;
	}
	console_printf(c, "<table><tr><th>Job</th><th>State</th><th>Kind</th><th>Attempts</th>"
	    "<th>Last status</th><th>Next attempt</th><th>Updated</th><th>Key and last error</th>"
	    "<th>Payload</th>%s</tr>\n", writable ? "<th></th>" : "");
	for (i = 0; i < n; i++)
		job_row(c, &jobs[i], writable);
	console_raw(c, "</table>\n");
	if (more) {
		snprintf(query, sizeof(query), "%s%s%sbefore=%lld", state != NULL ? "state=" : "",
		    state != NULL ? state : "", state != NULL ? "&" : "", jobs[n - 1].job_id);
		console_raw(c, "<p>");
		console_link(c, "/jobs", query, "Older jobs");
		console_raw(c, "</p>\n");
	}
}

/* GET /jobs [state=STATE] [before=JOB] [retried=JOB]. */
void
console_jobs_page(struct console *c)
{
	const char		*state = twh_request_param(c->req, "state");
	long long		 before = job_number(c, "before"), retried = job_number(c, "retried");
	enum twh_job_state	 parsed;
	struct twh_job		*jobs;
	size_t			 n;

	if (state != NULL && *state == '\0')
		state = NULL;
	if (state != NULL && twh_job_state_parse(state, &parsed) == -1) {
		console_error(c, 400, "state is queued, retrying, delivering, done or dead.");
		return;
	}
	if (before < 0 || retried < 0) {
		console_error(c, 400, "before and retried are job numbers.");
		return;
	}
	if (twh_store_jobs_page(c->ctx->store, state, before, JOBS_PAGE + 1, &jobs, &n) !=
	    TWH_STORE_OK) {
		console_store_failed(c);
		return;
	}
	console_page_begin(c, "Jobs");
	if (retried > 0)
		console_printf(c, "<p class=\"notice\">Job %lld is queued again.</p>\n", retried);
	state_links(c, state);
	jobs_table(c, state, jobs, n > JOBS_PAGE ? JOBS_PAGE : n, n > JOBS_PAGE);
	twh_jobs_free(jobs, n);
	console_page_end(c, 200);
}

/* POST /jobs/retry id=JOB csrf=TOKEN: a dead job queued again, due now. */
void
console_jobs_retry(struct console *c)
{
	long long	 id = job_number(c, "id");
	char		 query[48];

	if (id <= 0) {
		console_error(c, 400, "id is the number of a dead job.");
		return;
	}
	switch (twh_store_job_retry(c->ctx->store, id, twh_now())) {
	case TWH_STORE_OK:
		twh_info("job %lld queued again by %s", id, c->user != NULL ? c->user : "-");
		snprintf(query, sizeof(query), "retried=%lld", id);
		console_redirect(c, "/jobs", query);
		break;
	case TWH_STORE_NOT_FOUND:
		console_error(c, 409, "That job is not dead (any more): only a dead job can be "
		    "retried.");
		break;
	default:
		console_store_failed(c);
		break;
	}
}

/* The section of the jobs in each state, each count a link to their list. */
int
console_jobs_summary(struct console *c)
{
	long long	 by_state[TWH_JOB_STATES];
	char		 query[32];
	int		 i;

	if (twh_store_job_counts(c->ctx->store, by_state) != TWH_STORE_OK) {
		console_store_failed(c);
		return -1;
	}
	console_raw(c, "<h2>Jobs</h2>\n<table>\n");
	for (i = 0; i < TWH_JOB_STATES; i++) {
		snprintf(query, sizeof(query), "state=%s", twh_job_state_name(i));
		console_raw(c, "<tr><th scope=\"row\">");
		console_link(c, "/jobs", query, twh_job_state_name(i));
		console_printf(c, "</th><td class=\"n\">%lld</td></tr>\n", by_state[i]);
	}
	console_raw(c, "</table>\n");
	return 0;
}
