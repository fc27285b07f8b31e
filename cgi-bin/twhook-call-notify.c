/*
 * twhook-call-notify: the Voice call notification webhook.  Twilio posts, instead of sending a
 * push notification itself, the incoming call for a Voice SDK client:
 *
 *   application/json, signed with bodySHA256:
 *   {"twi_account_sid":"AC...","twi_call_sid":"CA...","twi_to":"client:bob",
 *    "twi_message_id":"...", ...}
 *     -> 200 {"queued":N} once the body, byte for byte, is queued for each of the N bindings of
 *        the identity after "client:" in that account (`twhook dispatch` delivers them);
 *        404 when there is none (or the account is not the configured account_sid);
 *        400 when twi_to names no client or a required key is missing.
 *   A repeated delivery (same idempotency token, or same twi_message_id) queues nothing new
 *   and gets the same answer.
 */
#include <stdio.h>
#include <string.h>

#include "twh_diag.h"
#include "twh_endpoint.h"
#include "twh_json.h"
#include "twh_outbox.h"
#include "twh_store_answer.h"

/*
 * The string member KEY of the request's JSON object (the pipeline accepts only an object),
 * or NULL: absent, empty, not a string.
 */
static const char *
twi(const struct twh_request *req, const char *key)
{
	struct json_object	*v;
	const char		*s;

	if (!json_object_object_get_ex(req->json, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	return *s != '\0' ? s : NULL;
}

/* The one notification a delivery carries: its message id, else its call's. */
static const char *
message_of(const struct twh_request *req)
{
	const char	*id = twi(req, "twi_message_id");

	return id != NULL ? id : twi(req, "twi_call_sid");
}

static int
notification_key(const struct twh_request *req, struct twh_buf *key)
{
	const char	*message = message_of(req);

	return message != NULL ? twh_buf_printf(key, "call-notify:%s", message) : -1;
}

/* A required member: NULL with a 400 in RES when it is missing. */
static const char *
require(const struct twh_request *req, struct twh_response *res, const char *key)
{
	const char	*v = twi(req, key);
	char		 msg[96];

	if (v == NULL) {
		snprintf(msg, sizeof(msg), "%s is missing (a non-empty string is required)", key);
		twh_response_error(res, 400, msg);
	}
	return v;
}

static void
notify(struct twh_ctx *ctx, const struct twh_request *req, struct twh_response *res)
{
	const char		*to, *account, *identity;
	struct twh_binding	*bindings;
	struct json_object	*answer;
	size_t			 n, i;
	int			 rc = TWH_STORE_OK;

	if ((to = require(req, res, "twi_to")) == NULL ||
	    (account = require(req, res, "twi_account_sid")) == NULL ||
	    require(req, res, "twi_call_sid") == NULL)
		return;
	/* The id names the jobs and goes into a header line to the relay: letters and digits. */
	if (!twh_sid_valid(message_of(req))) {
		twh_response_error(res, 400, "twi_message_id (or twi_call_sid) is not an id: "
		    "letters and digits, at most 64");
		return;
	}
	if (strncmp(to, "client:", 7) != 0 || to[7] == '\0') {
		twh_response_error(res, 400, "twi_to names no client (client:IDENTITY)");
		return;
	}
	identity = to + 7;
	if (ctx->conf.account_sid != NULL && strcmp(account, ctx->conf.account_sid) != 0) {
		twh_response_error(res, 404, "no client binding in that account");
		twh_info("a notification for account %s, not the configured one", account);
		return;
	}
	if (twh_store_bindings_of(ctx->store, identity, account, &bindings, &n) != TWH_STORE_OK) {
		twh_store_answer_error(ctx, res);
		return;
	}
	for (i = 0; i < n && rc == TWH_STORE_OK; i++)
		rc = twh_outbox_push(ctx->store, &ctx->conf, message_of(req), &bindings[i],
		    req->body.data, req->body.len);
	twh_bindings_free(bindings, n);
	if (rc != TWH_STORE_OK)
		twh_store_answer_error(ctx, res);
	else if (n == 0)
		twh_response_error(res, 404, "no client binding for that identity and account");
	else {
		answer = json_object_new_object();
		json_object_object_add(answer, "queued", json_object_new_int64((int64_t)n));
		twh_response_json(res, 200, answer);
	}
}

int
main(int argc, char *argv[])
{
	static const struct twh_endpoint endpoint = {
		.name = "twhook-call-notify",
		.body = TWH_BODY_JSON,
		.routes = {
			/* Its jobs are worthless once the call has stopped ringing
			   (push_give_up): a power cut would outlast them anyway. */
			{ NULL, notify, TWH_WRITES_ONCE_UNSYNCED,
			    .natural_key = notification_key },
		},
	};

	return twh_endpoint_main(&endpoint, argc, argv);
}
