/*
 * twh_push.c: the push job kind, for `twhook dispatch` only: one attempt at a call notification
 * for one binding, handed to the binding's transport (twh_push_transport.h), and the transports'
 * state, opened when the dispatcher starts and closed when it stops.  twh_deliver.c calls it for
 * each job of kind "push".
 *
 * A job whose time (push_give_up) ran out while no dispatcher ran ends dead rather than ringing
 * a phone for a call long over; each attempt's own time limit is twh_push_common.c's, and so is
 * the collapse identifier that every attempt at the job carries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twh_clock.h"
#include "twh_json.h"
#include "twh_push.h"
#include "twh_push_common.h"
#include "twh_push_transport.h"

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

/*
 * The URLs the transports call that the configuration may not name (FCM's token URL comes from
 * its key file), up to MAX into URLS.  A relay's address is its binding's, so not among them.
 */
size_t
twh_push_urls(const struct twh_push *push, const char **urls, size_t max)
{
	return push->fcm != NULL ? twh_fcm_urls(push->fcm, urls, max) : 0;
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
	if (twh_push_collapse_id(job->idempotency_key, p.collapse_id) == -1) {
		twh_buf_printf(why, "computing the job's collapse identifier (SHA-256) failed");
		return TWH_OUTCOME_RETRY;
	}
	if (strcmp(transport, "webhook") == 0)
		return twh_push_webhook(d, &p, why);
	if (strcmp(transport, "fcm") == 0)
		return twh_push_fcm(d, &p, why);
	if (strcmp(transport, "apns") == 0)
		return twh_push_apns(d, &p, why);
	twh_buf_printf(why, "binding %s has the unknown transport '%s'", p.binding_id, transport);
	return TWH_OUTCOME_DEAD;
}
