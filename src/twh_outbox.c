/*
 * twh_outbox.c: queueing outbound work, for the endpoints.  Each job is a row of the store's
 * outbox (twh_store_outbox.c), added in the endpoint's transaction under an idempotency key, so
 * a repeated webhook queues nothing twice.  The job kinds and their payloads:
 *
 *   add_participant     {"conversation_sid","identity"}: add a routed worker to a conversation
 *   update_participant  {"conversation_sid","participant_sid","attributes":{...}}: set a
 *                       customer's attributes on their participant
 *   push                {"binding_id","transport","address","body"}: a call notification to
 *                       one of the callee's devices
 *
 * `twhook dispatch` delivers them (twh_deliver.c, twh_push.c); nothing here makes a call.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "twh_buf.h"
#include "twh_clock.h"
#include "twh_json.h"
#include "twh_outbox.h"

/*
 * A job's idempotency key, formatted from FMT, whatever the length of its parts: NULL when out
 * of memory.  (A key cut to a fixed size could make two jobs one.)
 */
static char *
job_key(const char *fmt, ...)
{
	struct twh_buf	 key;
	va_list		 ap;
	int		 rc;

	twh_buf_init(&key);
	va_start(ap, fmt);
	rc = twh_buf_vprintf(&key, fmt, ap);
	va_end(ap);
	if (rc == -1) {
		twh_buf_free(&key);
		return NULL;
	}
	return twh_buf_take(&key);
}

/*
 * Queues a job of KIND under KEY (job_key's, freed here) that is dead when not delivered
 * within GIVE_UP seconds.
 */
static int
queue(struct twh_store *s, long give_up, const char *kind, char *key,
    struct json_object *payload)
{
	struct twh_job	 job;
	double		 now = twh_now();
	int		 rc;

	memset(&job, 0, sizeof(job));
	job.kind = (char *)kind;
	job.idempotency_key = key;
	job.payload = (char *)twh_json_text(payload);
	job.state = TWH_JOB_QUEUED;
	job.next_attempt_at = now;
	job.give_up_at = now + (double)give_up;
	rc = twh_store_job_add(s, &job);
	json_object_put(payload);
	free(key);
	return rc;
}

/* TWH_STORE_OK when CONVERSATION_SID already has its worker queued (or added). */
int
twh_outbox_routed(struct twh_store *s, const char *conversation_sid)
{
	char	*key = job_key("add_participant:%s", conversation_sid);
	int	 rc;

	rc = twh_store_job_exists(s, key);
	free(key);
	return rc;
}

/*
 * Queues adding IDENTITY (a worker) to CONVERSATION_SID.  The key is the conversation's: one
 * routed worker per conversation, however often (and under whatever token) it is routed.
 */
int
twh_outbox_add_participant(struct twh_store *s, const struct twh_conf *conf,
    const char *conversation_sid, const char *identity)
{
	struct json_object	*p = json_object_new_object();

	json_object_object_add(p, "conversation_sid", json_object_new_string(conversation_sid));
	json_object_object_add(p, "identity", json_object_new_string(identity));
	return queue(s, conf->dispatch_give_up, "add_participant",
	    job_key("add_participant:%s", conversation_sid), p);
}

/* Queues setting customer_id, display_name and avatar on a customer's participant. */
int
twh_outbox_update_participant(struct twh_store *s, const struct twh_conf *conf,
    const char *conversation_sid, const char *participant_sid, const struct twh_customer *c)
{
	struct json_object	*p = json_object_new_object(), *attrs = json_object_new_object();

	twh_json_add_string(attrs, "customer_id", c->customer_id);
	twh_json_add_string(attrs, "display_name", c->display_name);
	twh_json_add_string(attrs, "avatar", c->avatar);
	json_object_object_add(p, "conversation_sid", json_object_new_string(conversation_sid));
	json_object_object_add(p, "participant_sid", json_object_new_string(participant_sid));
	json_object_object_add(p, "attributes", attrs);
	return queue(s, conf->dispatch_give_up, "update_participant",
	    job_key("update_participant:%s:%s", conversation_sid, participant_sid), p);
}

/*
 * Queues a call notification to one of the callee's bindings: BODY is the webhook's, byte for
 * byte.  The key is the notification's (MESSAGE) and the binding's: a repeated webhook adds
 * nothing.  It gives up after push_give_up seconds: by then the call has stopped ringing.
 */
int
twh_outbox_push(struct twh_store *s, const struct twh_conf *conf, const char *message,
    const struct twh_binding *b, const char *body, size_t body_len)
{
	struct json_object	*p = json_object_new_object();

	json_object_object_add(p, "binding_id", json_object_new_string(b->binding_id));
	json_object_object_add(p, "transport", json_object_new_string(b->transport));
	json_object_object_add(p, "address", json_object_new_string(b->address));
	json_object_object_add(p, "body", json_object_new_string_len(body, (int)body_len));
	return queue(s, conf->push_give_up, "push", job_key("push:%s:%s", message, b->binding_id),
	    p);
}

/* Records a conversation nobody can be added to as a dead job, for `twhook jobs` to show. */
int
twh_outbox_unroutable(struct twh_store *s, const char *conversation_sid, const char *why)
{
	struct json_object	*p = json_object_new_object();
	struct twh_job		 job;
	char			*key = job_key("add_participant:%s:unroutable", conversation_sid);
	int			 rc;

	json_object_object_add(p, "conversation_sid", json_object_new_string(conversation_sid));
	memset(&job, 0, sizeof(job));
	job.kind = (char *)"add_participant";
	job.idempotency_key = key;
	job.payload = (char *)twh_json_text(p);
	job.state = TWH_JOB_DEAD;
	job.next_attempt_at = job.give_up_at = twh_now();
	job.last_error = (char *)why;
	rc = twh_store_job_add(s, &job);
	json_object_put(p);
	free(key);
	return rc;
}
