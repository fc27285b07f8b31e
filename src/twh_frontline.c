/*
 * twh_frontline.c: what Frontline callbacks share.  V1 callbacks (JSON bodies, a "location"
 * query parameter, an X-Twilio-Token header) are refused with a 400 that says how to switch
 * the account to V2: twh_frontline_v1 is the screen of every Frontline endpoint, whose routes
 * dispatch V2 callbacks on their Location parameter.  Callbacks about a customer find it as
 * the requesting worker may see it, and the CRM callback answers it in Frontline's customer
 * format.
 */
#include <stdio.h>
#include <string.h>

#include "twh_frontline.h"
#include "twh_store_answer.h"

static const char v1_advice[] = "this is a Frontline V1 callback; twhook answers V2 callbacks "
    "only: in the Twilio console open Frontline > Manage > Callbacks and switch to V2";

static bool
query_has_location(const char *query)
{
	size_t	 n;

	for (; query != NULL && *query != '\0'; query += n + (query[n] == '&')) {
		n = strcspn(query, "&");
		if (n >= 8 && strncmp(query, "location", 8) == 0 && (n == 8 || query[8] == '='))
			return true;
	}
	return false;
}

/* True (with a 400 in RES) when REQ has the shape of a Frontline V1 callback. */
bool
twh_frontline_v1(const struct twh_request *req, struct twh_response *res)
{
	if (twh_request_header(req, "X-Twilio-Token") != NULL ||
	    query_has_location(twh_request_env(req, "QUERY_STRING")) ||
	    (req->media_type != NULL && strcmp(req->media_type, "application/json") == 0)) {
		twh_response_error(res, 400, v1_advice);
		return true;
	}
	return false;
}

/*
 * The customer named by CustomerId as the requesting Worker may see it (see
 * twh_store_customer_find), with its channels and links when WHOLE: 0 with *WORKER and
 * CUSTOMER set, or -1 with a 400, 404 or 503 in RES.
 */
int
twh_frontline_customer(struct twh_ctx *ctx, const struct twh_request *req,
    struct twh_response *res, bool whole, const char **worker, struct twh_customer *customer)
{
	const char	*customer_id;
	int		 rc;

	if ((*worker = twh_require_param(req, res, "Worker")) == NULL ||
	    (customer_id = twh_require_param(req, res, "CustomerId")) == NULL)
		return -1;
	rc = whole ? twh_store_customer_get(ctx->store, customer_id, *worker, customer) :
	    twh_store_customer_find(ctx->store, customer_id, *worker, customer);
	switch (rc) {
	case TWH_STORE_OK:
		return 0;
	case TWH_STORE_NOT_FOUND:
		twh_response_error(res, 404, "no customer with that CustomerId for this Worker");
		return -1;
	default:
		twh_store_answer_error(ctx, res);
		return -1;
	}
}

/* The members of a customer as a list shows it: id, name, avatar. */
static void
summary_members(struct twh_json_writer *w, const struct twh_customer *c)
{
	twh_json_string(w, "customer_id", c->customer_id);
	twh_json_string(w, "display_name", c->display_name);
	twh_json_string(w, "avatar", c->avatar);
}

/* A customer as a list shows it, as member KEY (NULL in an array). */
void
twh_frontline_customer_summary(struct twh_json_writer *w, const char *key,
    const struct twh_customer *c)
{
	twh_json_object_begin(w, key);
	summary_members(w, c);
	twh_json_object_end(w);
}

/* A customer's channels or links as array KEY: type, value and (a link's) display_name. */
static void
items(struct twh_json_writer *w, const char *key, const struct twh_customer_item *v, size_t n)
{
	size_t	 i;

	twh_json_array_begin(w, key);
	for (i = 0; i < n; i++) {
		twh_json_object_begin(w, NULL);
		twh_json_string(w, "type", v[i].type);
		twh_json_string(w, "value", v[i].value);
		twh_json_string(w, "display_name", v[i].display_name);
		twh_json_object_end(w);
	}
	twh_json_array_end(w);
}

/* The CUSTOMER object of Frontline's CRM callback, as member KEY (NULL in an array). */
void
twh_frontline_customer_json(struct twh_json_writer *w, const char *key,
    const struct twh_customer *c)
{
	twh_json_object_begin(w, key);
	summary_members(w, c);
	items(w, "channels", c->channels, c->n_channels);
	items(w, "links", c->links, c->n_links);
	if ((c->details_title != NULL && *c->details_title != '\0') ||
	    (c->details_content != NULL && *c->details_content != '\0')) {
		twh_json_object_begin(w, "details");
		twh_json_string(w, "title", c->details_title);
		twh_json_string(w, "content", c->details_content);
		twh_json_object_end(w);
	}
	twh_json_string(w, "worker", c->worker);
	twh_json_object_end(w);
}
