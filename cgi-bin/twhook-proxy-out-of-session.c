/*
 * twhook-proxy-out-of-session: Twilio Proxy's Out of Session Callback URL, asked when a call
 * or message reaches a proxy number outside any open session.
 *
 *   To (required: the proxy number), CallSid (a call) or MessageSid (a message)
 *     -> the out_of_session row of To, else the row of '*':
 *        with a participant: JSON that creates a session on the fly, {"uniqueName":...,
 *          "mode":...,"ttl":...,"participantIdentifier":...};
 *        otherwise TwiML: <Message> for a message; <Say> then <Dial> for a call;
 *        an empty <Response/> when there is nothing to say.
 */
#include <stdio.h>

#include "twh_endpoint.h"
#include "twh_json.h"
#include "twh_store_answer.h"
#include "twh_twiml.h"

#define DEFAULT_SESSION_MODE	"voice-and-message"
#define DEFAULT_SESSION_TTL	3600

/* A session named after the call or message, so that a retried delivery cannot make two. */
static void
answer_session(const struct twh_request *req, const struct twh_out_of_session *o,
    struct twh_response *res)
{
	const char		*sid = twh_request_value(req, "CallSid");
	struct json_object	*answer = json_object_new_object();
	char			 name[128];

	if (sid == NULL)
		sid = twh_request_value(req, "MessageSid");
	if (sid != NULL) {
		snprintf(name, sizeof(name), "twhook-%s", sid);
		twh_json_add_string(answer, "uniqueName", name);
	}
	twh_json_add_string(answer, "mode", o->session_mode != NULL ? o->session_mode :
	    DEFAULT_SESSION_MODE);
	json_object_object_add(answer, "ttl", json_object_new_int64(o->session_ttl >= 0 ?
	    o->session_ttl : DEFAULT_SESSION_TTL));
	twh_json_add_string(answer, "participantIdentifier", o->participant);
	twh_response_json(res, 200, answer);
}

static void
answer_twiml(const struct twh_request *req, const struct twh_out_of_session *o,
    struct twh_response *res)
{
	const struct twh_twiml_verb	 call[] = { { "Say", o->say }, { "Dial", o->dial } };
	const struct twh_twiml_verb	 message[] = { { "Message", o->message } };

	if (twh_request_value(req, "CallSid") != NULL)
		twh_response_twiml(res, 200, call, 2);
	else
		twh_response_twiml(res, 200, message, 1);
}

static void
out_of_session(struct twh_ctx *ctx, const struct twh_request *req, struct twh_response *res)
{
	struct twh_out_of_session	 o;
	const char			*to;

	if ((to = twh_require_param(req, res, "To")) == NULL)
		return;
	switch (twh_store_out_of_session(ctx->store, to, &o)) {
	case TWH_STORE_OK:
		if (o.participant != NULL)
			answer_session(req, &o, res);
		else
			answer_twiml(req, &o, res);
		twh_out_of_session_free(&o);
		break;
	case TWH_STORE_NOT_FOUND:
		twh_response_twiml(res, 200, NULL, 0);
		break;
	default:
		twh_store_answer_error(ctx, res);
	}
}

int
main(int argc, char *argv[])
{
	static const struct twh_endpoint endpoint = {
		.name = "twhook-proxy-out-of-session",
		.body = TWH_BODY_FORM,
		.routes = {
			{ NULL, out_of_session, TWH_READS_EACH },
		},
	};

	return twh_endpoint_main(&endpoint, argc, argv);
}
