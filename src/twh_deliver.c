/*
 * twh_deliver.c: one attempt at an outbox job, for `twhook dispatch` only.  It picks the job
 * kind's deliverer (the REST kinds below, "push" in twh_push.c) and then settles the job.
 *
 *   add_participant     {"conversation_sid","identity"}: POST .../Participants Identity=...
 *                       (409, "already a participant", counts as done: a retry never adds twice)
 *   update_participant  {"conversation_sid","participant_sid","attributes":{...}}: GET the
 *                       participant, merge the attributes (values already set win), and POST
 *                       Attributes=... only when something changed
 *
 * After an attempt a job is done, dead (a 4xx that no retry can mend, or no time left) or
 * retrying after an exponential backoff with jitter.  Connection errors, 429, 5xx and 404 (a
 * conversation still initializing) are worth retrying.  The jobs are queued by twh_outbox.c.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "twh_buf.h"
#include "twh_clock.h"
#include "twh_conf.h"
#include "twh_deliver.h"
#include "twh_diag.h"
#include "twh_http_client.h"
#include "twh_json.h"
#include "twh_params.h"
#include "twh_push.h"

#define DEFAULT_API_BASE	"https://conversations.twilio.com"

/* A path segment from a job's payload must be a SID (checked again: the store is editable). */
static bool
is_sid(const char *s)
{
	return s != NULL && twh_sid_valid(s);
}

/* Makes one REST call to Twilio with the configured credentials. */
static int
rest(struct twh_delivery *d, const char *method, const char *path, const char *form,
    const char *key, struct twh_http_answer *a)
{
	const struct twh_conf	*conf = d->conf;
	struct twh_http_call	 call;
	struct twh_buf		 url;
	int			 rc;

	memset(a, 0, sizeof(*a));
	if (conf->api_key_sid == NULL && (conf->account_sid == NULL || conf->n_auth_tokens == 0)) {
		snprintf(a->error, sizeof(a->error), "REST calls need account_sid and auth_token, "
		    "or api_key_sid and api_key_secret, in %s", conf->path);
		return -1;
	}
	twh_buf_init(&url);
	if (twh_buf_printf(&url, "%s%s", conf->api_base_url != NULL ? conf->api_base_url :
	    DEFAULT_API_BASE, path) == -1) {
		snprintf(a->error, sizeof(a->error), "out of memory");
		return -1;
	}
	memset(&call, 0, sizeof(call));
	call.method = method;
	call.url = url.data;
	call.user = conf->api_key_sid != NULL ? conf->api_key_sid : conf->account_sid;
	call.password = conf->api_key_sid != NULL ? conf->api_key_secret : conf->auth_tokens[0];
	call.form = form;
	call.idempotency_key = key;
	rc = twh_http_client_call(d->http, &call, a);
	twh_buf_free(&url);
	return rc;
}

/* What an answer means for the job; WHY gets the reason for anything but success. */
static enum twh_outcome
classify(const struct twh_http_answer *a, int rc, struct twh_buf *why)
{
	twh_buf_reset(why);
	if (rc == -1) {
		twh_buf_printf(why, "no answer: %s", a->error);
		return TWH_OUTCOME_RETRY;
	}
	if (a->status >= 200 && a->status < 300)
		return TWH_OUTCOME_DONE;
	twh_buf_printf(why, "HTTP %ld: %.400s", a->status, a->body.data != NULL ? a->body.data : "");
	if (a->status == 404 || a->status == 429 || a->status >= 500)
		return TWH_OUTCOME_RETRY;
	return TWH_OUTCOME_DEAD;
}

static enum twh_outcome
deliver_add_participant(struct twh_delivery *d, struct twh_job *job, struct json_object *p,
    struct twh_buf *why)
{
	const char		*ch = twh_json_string_member(p, "conversation_sid");
	const char		*identity = twh_json_string_member(p, "identity");
	struct twh_http_answer	 a;
	struct twh_buf		 path, form;
	enum twh_outcome		 o;
	int			 rc;

	if (!is_sid(ch) || identity == NULL) {
		twh_buf_adds(why, "the job's payload has no conversation_sid or identity");
		return TWH_OUTCOME_DEAD;
	}
	twh_buf_init(&path);
	twh_buf_init(&form);
	twh_buf_printf(&path, "/v1/Conversations/%s/Participants", ch);
	twh_http_form_add(&form, "Identity", identity);
	rc = rest(d, "POST", path.data, form.data, job->idempotency_key, &a);
	o = classify(&a, rc, why);
	job->last_status = (int)a.status;
	if (a.status == 409) {
		/* Twilio's 50433: the worker is a participant already (an earlier attempt added it). */
		twh_info("job %lld: %s is already in %s", job->job_id, identity, ch);
		o = TWH_OUTCOME_DONE;
	}
	twh_http_answer_free(&a);
	twh_buf_free(&path);
	twh_buf_free(&form);
	return o;
}

/*
 * Merges ADD into the attributes JSON text OLD (existing values win) in *MERGED; 1 when that
 * changed something, 0 when not, -1 when OLD holds something other than a JSON object, which
 * is never overwritten.
 */
static int
merge_attributes(const char *old, struct json_object *add, struct json_object **merged)
{
	const char	*why;
	int		 changed = 0;

	if (old == NULL || old[strspn(old, " \t\r\n")] == '\0')
		*merged = json_object_new_object();
	else if ((*merged = twh_json_parse(old, strlen(old), &why)) == NULL)
		return -1;
	json_object_object_foreach(add, key, value) {
		if (json_object_object_get_ex(*merged, key, NULL))
			continue;
		json_object_object_add(*merged, key, json_object_get(value));
		changed = 1;
	}
	return changed;
}

static enum twh_outcome
deliver_update_participant(struct twh_delivery *d, struct twh_job *job, struct json_object *p,
    struct twh_buf *why)
{
	const char		*ch = twh_json_string_member(p, "conversation_sid");
	const char		*mb = twh_json_string_member(p, "participant_sid");
	struct json_object	*add, *participant = NULL, *merged = NULL;
	struct twh_http_answer	 a;
	struct twh_buf		 path, form;
	const char		*old = NULL, *perr;
	enum twh_outcome		 o;
	int			 rc;

	if (!is_sid(ch) || !is_sid(mb) || !json_object_object_get_ex(p, "attributes", &add) ||
	    !json_object_is_type(add, json_type_object)) {
		twh_buf_adds(why, "the job's payload has no conversation_sid, participant_sid "
		    "or attributes");
		return TWH_OUTCOME_DEAD;
	}
	twh_buf_init(&path);
	twh_buf_init(&form);
	twh_buf_printf(&path, "/v1/Conversations/%s/Participants/%s", ch, mb);
	rc = rest(d, "GET", path.data, NULL, NULL, &a);
	o = classify(&a, rc, why);
	job->last_status = (int)a.status;
	if (o == TWH_OUTCOME_DONE &&
	    (participant = twh_json_parse(a.body.data != NULL ? a.body.data : "", a.body.len,
	    &perr)) == NULL) {
		/* Never overwrite attributes we could not read. */
		twh_buf_printf(why, "the participant read back is not JSON: %s", perr);
		o = TWH_OUTCOME_RETRY;
	} else if (o == TWH_OUTCOME_DONE) {
		old = twh_json_string_member(participant, "attributes");
		if ((rc = merge_attributes(old, add, &merged)) == -1) {
			twh_buf_adds(why, "the participant's attributes are not a JSON object: "
			    "left as they are");
			o = TWH_OUTCOME_DEAD;
		} else if (rc == 0)
			twh_info("job %lld: %s already has its customer attributes", job->job_id, mb);
		else {
			twh_http_form_add(&form, "Attributes", twh_json_text(merged));
			twh_http_answer_free(&a);
			rc = rest(d, "POST", path.data, form.data, job->idempotency_key, &a);
			o = classify(&a, rc, why);
			job->last_status = (int)a.status;
		}
	}
	json_object_put(participant);
	json_object_put(merged);
	twh_http_answer_free(&a);
	twh_buf_free(&path);
	twh_buf_free(&form);
	return o;
}

/* The delay before attempt ATTEMPTS + 1: exponential, capped, with jitter of up to half. */
static double
backoff(const struct twh_conf *conf, int attempts)
{
	double	 ms = (double)conf->dispatch_backoff_ms;
	int	 i;

	for (i = 1; i < attempts && ms < (double)conf->dispatch_backoff_max_ms; i++)
		ms *= 2;
	if (ms > (double)conf->dispatch_backoff_max_ms)
		ms = (double)conf->dispatch_backoff_max_ms;
	ms *= 0.5 + (double)random() / (double)RAND_MAX / 2;
	return ms / 1000;
}

/* Makes one attempt at JOB and sets its new state, next attempt, status and error. */
void
twh_deliver_job(struct twh_delivery *d, struct twh_job *job)
{
	struct json_object	*payload;
	struct twh_buf		 why;
	const char		*perr;
	enum twh_outcome		 o;

	twh_buf_init(&why);
	job->attempts++;
	job->last_status = 0;
	payload = twh_json_parse(job->payload, strlen(job->payload), &perr);
	if (payload == NULL) {
		twh_buf_printf(&why, "the job's payload is not a JSON object: %s", perr);
		o = TWH_OUTCOME_DEAD;
	} else if (strcmp(job->kind, "add_participant") == 0)
		o = deliver_add_participant(d, job, payload, &why);
	else if (strcmp(job->kind, "update_participant") == 0)
		o = deliver_update_participant(d, job, payload, &why);
	else if (strcmp(job->kind, "push") == 0)
		o = twh_push_deliver(d, job, payload, &why);
	else {
		twh_buf_printf(&why, "unknown job kind '%s'", job->kind);
		o = TWH_OUTCOME_DEAD;
	}
	json_object_put(payload);
	job->updated_at = twh_now();
	job->next_attempt_at = job->updated_at;
	if (o == TWH_OUTCOME_RETRY) {
		job->next_attempt_at = job->updated_at + backoff(d->conf, job->attempts);
		if (job->next_attempt_at > job->give_up_at) {
			twh_buf_adds(&why, " (no time left for another attempt)");
			o = TWH_OUTCOME_DEAD;
		}
	}
	job->state = o == TWH_OUTCOME_DONE ? TWH_JOB_DONE : o == TWH_OUTCOME_DEAD ? TWH_JOB_DEAD :
	    TWH_JOB_RETRYING;
	free(job->last_error);
	job->last_error = o == TWH_OUTCOME_DONE ? NULL : twh_buf_take(&why);
	twh_buf_free(&why);
}
