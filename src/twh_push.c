/*
 * twh_push.c: one attempt at a push job (a call notification for one binding), handed to the
 * binding's transport, and what the transports share: the time limit of a call, the removal of
 * a binding whose device is gone, and reading key files.
 *
 * A call rings for seconds only, so a push job's attempt waits PUSH_TIMEOUT_MS at most (less when
 * the job's time, push_give_up, runs out sooner), and a job whose time ran out while no
 * dispatcher ran ends dead rather than ringing a phone for a call long over.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twh_clock.h"
#include "twh_diag.h"
#include "twh_json.h"
#include "twh_push_transport.h"

#define PUSH_TIMEOUT_MS	5000
#define KEY_FILE_MAX	65536

struct twh_push *
twh_push_open(const struct twh_conf *conf, char *err, size_t errlen)
{
	struct twh_push	*push = calloc(1, sizeof(*push));

	if (push == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((conf->fcm_service_account != NULL &&
	    (push->fcm = twh_fcm_open(conf, err, errlen)) == NULL) ||
	    (conf->apns_key != NULL && (push->apns = twh_apns_open(conf, err, errlen)) == NULL)) {
		twh_push_close(push);
		return NULL;
	}
	return push;
}

void
twh_push_close(struct twh_push *push)
{
	if (push == NULL)
		return;
	twh_fcm_free(push->fcm);
	twh_apns_free(push->apns);
	free(push);
}

/* Zeroes and frees a buffer that held a secret. */
void
twh_push_wipe(struct twh_buf *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->cap);
	twh_buf_free(b);
}

/* Reads the key file PATH whole into TEXT; -1 with ERR saying why. */
int
twh_push_read_key_file(const char *path, struct twh_buf *text, char *err, size_t errlen)
{
	FILE	*fp = fopen(path, "rb");
	char	 chunk[4096];
	size_t	 n;
	int	 rc = 0;

	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (text->len + n > KEY_FILE_MAX || twh_buf_add(text, chunk, n) == -1)
			rc = -1;
	explicit_bzero(chunk, sizeof(chunk));
	if (rc == 0 && (ferror(fp) || text->data == NULL))
		rc = -1;
	fclose(fp);
	if (rc == -1) {
		snprintf(err, errlen, "%s: cannot read it (empty, or over %d bytes?)", path,
		    KEY_FILE_MAX);
		twh_push_wipe(text);
	}
	return rc;
}

/* The device is gone: its binding goes, so that no later call tries it again. */
enum twh_outcome
twh_push_gone(struct twh_delivery *d, const struct push *p, const char *transport,
    struct twh_buf *why)
{
	int	 rc = twh_store_binding_remove(d->store, p->binding_id);

	twh_buf_printf(why, " (the device is gone: binding %s %s)", p->binding_id,
	    rc == TWH_STORE_OK ? "removed" : rc == TWH_STORE_NOT_FOUND ? "already removed" :
	    "NOT removed");
	twh_warn("%s binding %s: the device is gone; %s", transport, p->binding_id,
	    rc == TWH_STORE_ERROR ? "removing the binding failed" : "binding removed");
	return TWH_OUTCOME_DEAD;
}

/*
 * Makes CALL within the push job's time limit.  -1 when no answer came (WHY says so); else 0,
 * with the status kept on the job.
 */
int
twh_push_call(struct twh_delivery *d, const struct push *p, struct twh_http_call *call,
    struct twh_http_answer *a, struct twh_buf *why)
{
	double	 left_ms = (p->job->give_up_at - twh_now()) * 1000;

	call->timeout_ms = left_ms < 100 ? 100 : left_ms < PUSH_TIMEOUT_MS ? (long)left_ms :
	    PUSH_TIMEOUT_MS;
	if (twh_http_client_call(d->http, call, a) == -1) {
		twh_buf_printf(why, "no answer from %s: %s", call->url, a->error);
		return -1;
	}
	p->job->last_status = (int)a->status;
	return 0;
}

/* One attempt at the push job JOB, whose PAYLOAD names the binding and holds the body. */
enum twh_outcome
twh_push_deliver(struct twh_delivery *d, struct twh_job *job, struct json_object *payload,
    struct twh_buf *why)
{
	struct json_object	*body;
	const char		*transport = twh_json_string_member(payload, "transport");
	struct push		 p;

	p.job = job;
	p.binding_id = twh_json_string_member(payload, "binding_id");
	p.address = twh_json_string_member(payload, "address");
	if (p.binding_id == NULL || transport == NULL || p.address == NULL ||
	    !json_object_object_get_ex(payload, "body", &body) ||
	    !json_object_is_type(body, json_type_string)) {
		twh_buf_printf(why, "the push job's payload lacks binding_id, transport, address "
		    "or body");
		return TWH_OUTCOME_DEAD;
	}
	/* A dispatcher that was down must not ring a phone for a call long over. */
	if (twh_now() > job->give_up_at) {
		twh_buf_printf(why, "not delivered in time: the call has stopped ringing "
		    "(push_give_up)");
		return TWH_OUTCOME_DEAD;
	}
	p.body = json_object_get_string(body);
	p.body_len = (size_t)json_object_get_string_len(body);
	if (strcmp(transport, "webhook") == 0)
		return twh_push_webhook(d, &p, why);
	if (strcmp(transport, "fcm") == 0)
		return twh_push_fcm(d, &p, why);
	if (strcmp(transport, "apns") == 0)
		return twh_push_apns(d, &p, why);
	twh_buf_printf(why, "binding %s has the unknown transport '%s'", p.binding_id, transport);
	return TWH_OUTCOME_DEAD;
}
