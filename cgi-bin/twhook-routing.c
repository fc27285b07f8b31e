/*
 * twhook-routing: the Frontline custom routing callback.
 *
 *   ConversationSid (required), MessagingBinding.Address (the customer), and more, ignored
 *     -> 200 {} at once; the worker is added to the conversation afterwards by `twhook dispatch`
 *
 * The worker is the owner of the customer writing from MessagingBinding.Address; customers
 * nobody owns and unknown addresses go to the workers table in turn.  With no worker at all the
 * answer is still 200 (a 4xx would not help Twilio), with a log line and a dead job saying why.
 * A repeated delivery (same idempotency token, or the same ConversationSid) queues nothing new.
 */
#include <stdlib.h>

#include "twh_diag.h"
#include "twh_endpoint.h"
#include "twh_outbox.h"
#include "twh_store_answer.h"

/* Without an idempotency token, one conversation is routed once. */
static int
conversation_key(const struct twh_request *req, struct twh_buf *key)
{
	const char	*sid = twh_request_param(req, "ConversationSid");

	return sid != NULL && *sid != '\0' ? twh_buf_printf(key, "routing:%s", sid) : -1;
}

/* The customer's owner, else the next pool worker; NOT_FOUND when there is nobody. */
static int
choose_worker(struct twh_store *store, const char *address, char **worker)
{
	struct twh_customer	 customer;
	int			 rc;

	*worker = NULL;
	if (address != NULL && *address != '\0') {
		rc = twh_store_customer_by_address(store, address, &customer);
		if (rc == TWH_STORE_ERROR)
			return rc;
		if (rc == TWH_STORE_OK && customer.worker != NULL) {
			*worker = customer.worker;
			customer.worker = NULL;
		}
		if (rc == TWH_STORE_OK)
			twh_customer_free(&customer);
		if (*worker != NULL)
			return TWH_STORE_OK;
	}
	return twh_store_next_pool_worker(store, worker);
}

static void
routing(struct twh_ctx *ctx, const struct twh_request *req, struct twh_response *res)
{
	const char	*conversation, *address;
	char		*worker;
	int		 rc;

	if ((conversation = twh_require_sid(req, res, "ConversationSid")) == NULL)
		return;
	address = twh_request_param(req, "MessagingBinding.Address");
	/* Routed already (a new delivery of the same conversation): the rotation stays put. */
	if ((rc = twh_outbox_routed(ctx->store, conversation)) != TWH_STORE_NOT_FOUND) {
		if (rc == TWH_STORE_OK)
			twh_response_json(res, 200, json_object_new_object());
		else
			twh_store_answer_error(ctx, res);
		return;
	}
	rc = choose_worker(ctx->store, address, &worker);
	if (rc == TWH_STORE_OK)
		rc = twh_outbox_add_participant(ctx->store, &ctx->conf, conversation, worker);
	else if (rc == TWH_STORE_NOT_FOUND) {
		twh_err("%s: nobody to route it to: the customer has no owner and the workers "
		    "table is empty", conversation);
		rc = twh_outbox_unroutable(ctx->store, conversation, "no worker to route to: "
		    "give the customer an owner or add workers (the workers table)");
	}
	free(worker);
	if (rc != TWH_STORE_OK) {
		twh_store_answer_error(ctx, res);
		return;
	}
	twh_response_json(res, 200, json_object_new_object());
}

int
main(int argc, char *argv[])
{
	static const struct twh_endpoint endpoint = {
		.name = "twhook-routing",
		.body = TWH_BODY_FORM,
		.routes = {
			{ NULL, routing, TWH_WRITES_ONCE, .natural_key = conversation_key },
		},
	};

	return twh_endpoint_main(&endpoint, argc, argv);
}
