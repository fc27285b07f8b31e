/*
 * twh_push.c: delivering a call notification (an outbox job of kind "push") to one binding.
 * The body is the webhook's, byte for byte: the Voice SDK on the device verifies it.
 *
 *   webhook  POST to the binding's address (the application's relay), signed:
 *              X-Twhook-Timestamp: <Unix seconds>
 *              X-Twhook-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>" under
 *                                  push_webhook_secret>
 *              Idempotency-Key: <the job's key, the same on every retry>
 *   fcm, apns  not built yet: such a job ends dead, saying so.
 *
 * A binding whose device is gone (the relay answers 410) is removed, and the job ends.  No
 * answer, 429 and 5xx are tried again until the job's time (push_give_up) runs out.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "twh_base64.h"
#include "twh_json.h"
#include "twh_log.h"
#include "twh_outbox.h"

struct push {
	const char	*binding_id;
	const char	*transport;
	const char	*address;
	const char	*body;
	size_t		 body_len;
};

static const char *
member(struct json_object *o, const char *key)
{
	struct json_object	*v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

/* The device is gone: its binding goes, so that no later call tries it again. */
static enum twh_outcome
gone(struct twh_delivery *d, const struct push *p, struct twh_buf *why)
{
	int	 rc = twh_store_binding_remove(d->store, p->binding_id);

	twh_buf_printf(why, " (the device is gone: binding %s %s)", p->binding_id,
	    rc == TWH_STORE_OK ? "removed" : rc == TWH_STORE_NOT_FOUND ? "already removed" :
	    "NOT removed");
	twh_warn("%s binding %s: the device is gone; %s", p->transport, p->binding_id,
	    rc == TWH_STORE_ERROR ? "removing the binding failed" : "binding removed");
	return TWH_OUTCOME_DEAD;
}

/* The signature header of BODY at TIMESTAMP into LINE; -1 on failure. */
static int
webhook_signature(const char *secret, const char *timestamp, const struct push *p,
    char *line, size_t size)
{
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 len = 0;
	char		 hex[2 * EVP_MAX_MD_SIZE + 1];
	struct twh_buf	 signed_text;
	int		 rc = -1;

	twh_buf_init(&signed_text);
	if (twh_buf_printf(&signed_text, "%s.", timestamp) == 0 &&
	    twh_buf_add(&signed_text, p->body, p->body_len) == 0 &&
	    HMAC(EVP_sha256(), secret, (int)strlen(secret),
	    (const unsigned char *)signed_text.data, signed_text.len, mac, &len) != NULL) {
		twh_hex_encode(mac, len, hex);
		rc = snprintf(line, size, "X-Twhook-Signature: v1=%s", hex) < (int)size ? 0 : -1;
	}
	twh_buf_free(&signed_text);
	return rc;
}

static enum twh_outcome
deliver_webhook(struct twh_delivery *d, struct twh_job *job, const struct push *p,
    struct twh_buf *why)
{
	char			 timestamp[32], ts_line[64], sig_line[160], key_line[1100];
	const char		*headers[] = { ts_line, sig_line, key_line, NULL };
	struct twh_http_call	 call;
	struct twh_http_answer	 a;
	enum twh_outcome	 o;
	int			 rc;

	if (d->conf->push_webhook_secret == NULL) {
		twh_buf_printf(why, "push_webhook_secret is not set in %s: a relay cannot be "
		    "sent unsigned notifications", d->conf->path);
		return TWH_OUTCOME_DEAD;
	}
	snprintf(timestamp, sizeof(timestamp), "%lld", (long long)time(NULL));
	snprintf(ts_line, sizeof(ts_line), "X-Twhook-Timestamp: %s", timestamp);
	snprintf(key_line, sizeof(key_line), "Idempotency-Key: %s", job->idempotency_key);
	if (webhook_signature(d->conf->push_webhook_secret, timestamp, p, sig_line,
	    sizeof(sig_line)) == -1) {
		twh_buf_printf(why, "signing the notification failed");
		return TWH_OUTCOME_RETRY;
	}
	memset(&call, 0, sizeof(call));
	call.method = "POST";
	call.url = p->address;
	call.body = p->body;
	call.body_len = p->body_len;
	call.content_type = "application/json";
	call.headers = headers;
	rc = twh_http_client_call(d->http, &call, &a);
	if (rc == -1) {
		twh_buf_printf(why, "no answer from %s: %s", p->address, a.error);
		o = TWH_OUTCOME_RETRY;
	} else if ((job->last_status = (int)a.status) >= 200 && a.status < 300)
		o = TWH_OUTCOME_DONE;
	else {
		twh_buf_printf(why, "HTTP %ld: %.200s", a.status,
		    a.body.data != NULL ? a.body.data : "");
		o = a.status == 410 ? gone(d, p, why) :
		    a.status == 429 || a.status >= 500 ? TWH_OUTCOME_RETRY : TWH_OUTCOME_DEAD;
	}
	twh_http_answer_free(&a);
	return o;
}

/* One attempt at the push job JOB, whose PAYLOAD names the binding and holds the body. */
enum twh_outcome
twh_push_deliver(struct twh_delivery *d, struct twh_job *job, struct json_object *payload,
    struct twh_buf *why)
{
	struct json_object	*body;
	struct push		 p;

	p.binding_id = member(payload, "binding_id");
	p.transport = member(payload, "transport");
	p.address = member(payload, "address");
	if (p.binding_id == NULL || p.transport == NULL || p.address == NULL ||
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
	if (strcmp(p.transport, "webhook") == 0)
		return deliver_webhook(d, job, &p, why);
	twh_buf_printf(why, "the %s transport is not built yet: binding %s was not notified",
	    p.transport, p.binding_id);
	return TWH_OUTCOME_DEAD;
}
