/*
 * twhook-conversations: the Twilio Conversations webhooks Frontline needs, on one URL.
 *
 *   EventType=onConversationAdd (pre-event)  MessagingBinding.Address
 *     -> {"friendly_name":"<display name>","attributes":"{\"avatar\":\"...\"}"} for a known
 *        customer, {"friendly_name":"<address>"} for an unknown one, {} without an address
 *   EventType=onParticipantAdded (post-event)  ConversationSid, ParticipantSid,
 *     MessagingBinding.Address, Identity
 *     -> 200 {}; for a known customer's participant (no Identity), `twhook dispatch` then sets
 *        its attributes customer_id, display_name and avatar (values already set win)
 *   any other EventType -> 200 {}
 */
#include "twh_diag.h"
#include "twh_endpoint.h"
#include "twh_json.h"
#include "twh_outbox.h"
#include "twh_store_answer.h"

/* Without an idempotency token, each event of each participant (or conversation) counts once. */
static int
event_key(const struct twh_request *req, struct twh_buf *key)
{
	const char	*event = twh_request_param(req, "EventType");
	const char	*sid = twh_request_param(req, "ParticipantSid");

	if (sid == NULL || *sid == '\0')
		sid = twh_request_param(req, "ConversationSid");
	if (event == NULL || sid == NULL || *sid == '\0')
		return -1;
	return twh_buf_printf(key, "conversations:%s:%s", event, sid);
}

static void
conversation_add(struct twh_ctx *ctx, const struct twh_request *req, struct twh_response *res)
{
	const char		*address = twh_request_param(req, "MessagingBinding.Address");
	struct twh_customer	 customer;
	struct json_object	*answer = json_object_new_object(), *attributes;

	/* No address: a worker started the conversation; nothing to name it after. */
	if (address == NULL || *address == '\0') {
		twh_response_json(res, 200, answer);
		return;
	}
	switch (twh_store_customer_by_address(ctx->store, address, &customer)) {
	case TWH_STORE_OK:
		twh_json_add_string(answer, "friendly_name", customer.display_name);
		if (customer.avatar != NULL) {
			attributes = json_object_new_object();
			twh_json_add_string(attributes, "avatar", customer.avatar);
			/* Twilio wants attributes as a string that holds JSON. */
			twh_json_add_string(answer, "attributes", twh_json_text(attributes));
			json_object_put(attributes);
		}
		twh_customer_free(&customer);
		break;
	case TWH_STORE_NOT_FOUND:
		twh_json_add_string(answer, "friendly_name", address);
		break;
	default:
		json_object_put(answer);
		twh_store_answer_error(ctx, res);
		return;
	}
	twh_response_json(res, 200, answer);
}

static void
participant_added(struct twh_ctx *ctx, const struct twh_request *req, struct twh_response *res)
{
	const char		*conversation, *participant, *identity, *address;
	struct twh_customer	 customer;
	int			 rc;

	if ((conversation = twh_require_sid(req, res, "ConversationSid")) == NULL ||
	    (participant = twh_require_sid(req, res, "ParticipantSid")) == NULL)
		return;
	identity = twh_request_param(req, "Identity");
	address = twh_request_param(req, "MessagingBinding.Address");
	/* Workers join as chat identities; only the customer's participant gets attributes. */
	if ((identity != NULL && *identity != '\0') || address == NULL || *address == '\0') {
		twh_response_json(res, 200, json_object_new_object());
		return;
	}
	rc = twh_store_customer_by_address(ctx->store, address, &customer);
	if (rc == TWH_STORE_OK) {
		rc = twh_outbox_update_participant(ctx->store, &ctx->conf, conversation,
		    participant, &customer);
		twh_customer_free(&customer);
	} else if (rc == TWH_STORE_NOT_FOUND) {
		twh_debug("%s: no customer writes from that address", participant);
		rc = TWH_STORE_OK;
	}
	if (rc != TWH_STORE_OK) {
		twh_store_answer_error(ctx, res);
		return;
	}
	twh_response_json(res, 200, json_object_new_object());
}

/*
 * Without the store: a 4xx or 5xx answer to the pre-event onConversationAdd would reject the
 * customer's conversation, so it gets the address as its name, as an unknown customer would.
 * Post-events cannot be rejected; they keep their 503.
 */
static void
conversation_add_without_store(struct twh_ctx *ctx, const struct twh_request *req,
    struct twh_response *res)
{
	const char		*address = twh_request_param(req, "MessagingBinding.Address");
	struct json_object	*answer = json_object_new_object();

	(void)ctx;
	twh_json_add_string(answer, "friendly_name", address);
	twh_response_json(res, 200, answer);
}

/* Any other event: nothing to say or do. */
static void
other_event(struct twh_ctx *ctx, const struct twh_request *req, struct twh_response *res)
{
	(void)ctx;
	(void)req;
	twh_response_json(res, 200, json_object_new_object());
}

int
main(int argc, char *argv[])
{
	static const struct twh_endpoint endpoint = {
		.name = "twhook-conversations",
		.body = TWH_BODY_FORM,
		.dispatch = "EventType",
		.routes = {
			{ "onConversationAdd", conversation_add, TWH_READS_EACH,
			    .store_down = conversation_add_without_store },
			{ "onParticipantAdded", participant_added, TWH_WRITES_ONCE,
			    .natural_key = event_key },
			{ NULL, other_event, TWH_READS_EACH },	/* any other EventType */
		},
	};

	return twh_endpoint_main(&endpoint, argc, argv);
}
