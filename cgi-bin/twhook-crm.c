/*
 * twhook-crm: the Frontline CRM callback.
 *
 *   Location=GetCustomerDetailsByCustomerId  Worker, CustomerId
 *     -> {"objects":{"customer":CUSTOMER}}; 404 for a customer the worker may not see.
 *   Location=GetCustomersList  Worker, [PageSize], [NextPageToken | Anchor], [Query]
 *     -> {"objects":{"customers":[...],"searchable":true[,"next_page_token":"..."]}}
 *
 * A worker sees the customers it owns and those that nobody owns; its list holds the customers
 * it owns, in display-name order, one keyset page at a time, optionally filtered by Query.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "twh_endpoint.h"
#include "twh_frontline.h"
#include "twh_json_writer.h"
#include "twh_page_token.h"
#include "twh_store_answer.h"

#define PAGE_SIZE_DEFAULT	30
#define PAGE_SIZE_MAX		100
#define QUERY_MAX		256

/* Starts the answer {"objects":{...}}, written straight into RES's body. */
static void
objects_begin(struct twh_response *res, struct twh_json_writer *w)
{
	twh_response_json_begin(res, w);
	twh_json_object_begin(w, NULL);
	twh_json_object_begin(w, "objects");
}

static void
objects_end(struct twh_response *res, struct twh_json_writer *w)
{
	twh_json_object_end(w);
	twh_json_object_end(w);
	twh_response_json_end(res, 200, w);
}

static void
customer_details(struct twh_ctx *ctx, const struct twh_request *req, struct twh_response *res)
{
	struct twh_customer	 customer;
	struct twh_json_writer	 w;
	const char		*worker;

	if (twh_frontline_customer(ctx, req, res, true, &worker, &customer) == -1)
		return;
	objects_begin(res, &w);
	twh_frontline_customer_json(&w, "customer", &customer);
	objects_end(res, &w);
	twh_customer_free(&customer);
}

/* PageSize: absent means the default, more than the maximum means the maximum. */
static int
page_size(const struct twh_request *req, struct twh_response *res, size_t *size)
{
	const char	*v = twh_request_param(req, "PageSize");
	unsigned long	 n;
	char		*end;

	*size = PAGE_SIZE_DEFAULT;
	if (v == NULL || *v == '\0')
		return 0;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (*v < '0' || *v > '9' || *end != '\0' || n == 0) {
		twh_response_error(res, 400, "PageSize must be a whole number from 1");
		return -1;
	}
	*size = errno == ERANGE || n > PAGE_SIZE_MAX ? PAGE_SIZE_MAX : n;
	return 0;
}

/* Where the page starts: after NextPageToken, else after the Anchor customer, else at the top. */
static int
page_start(struct twh_ctx *ctx, const struct twh_request *req, struct twh_response *res,
    const char *worker, struct twh_page_key *key, bool *have)
{
	const char	*token = twh_request_param(req, "NextPageToken");
	const char	*anchor = twh_request_param(req, "Anchor");

	*have = false;
	if (token != NULL && *token != '\0') {
		if (twh_page_token_decode(token, key) == -1) {
			twh_response_error(res, 400, "NextPageToken is not one this service issued");
			return -1;
		}
		*have = true;
		return 0;
	}
	if (anchor == NULL || *anchor == '\0')
		return 0;
	switch (twh_store_customer_key(ctx->store, anchor, worker, key)) {
	case TWH_STORE_OK:
		*have = true;
		return 0;
	case TWH_STORE_NOT_FOUND:
		twh_response_error(res, 400, "Anchor names no customer of this Worker");
		return -1;
	default:
		twh_store_answer_error(ctx, res);
		return -1;
	}
}

/* Answers PAGE: its customers, and the token of the next page when there is one. */
static void
answer_page(struct twh_response *res, const struct twh_page *page)
{
	struct twh_json_writer	 w;
	struct twh_page_key	 last;
	struct twh_buf		 token;
	size_t			 i;

	objects_begin(res, &w);
	twh_json_array_begin(&w, "customers");
	for (i = 0; i < page->n; i++)
		twh_frontline_customer_summary(&w, NULL, &page->customers[i]);
	twh_json_array_end(&w);
	twh_json_bool(&w, "searchable", true);
	if (page->more && page->n > 0) {
		last.display_name = page->customers[page->n - 1].display_name;
		last.customer_id = page->customers[page->n - 1].customer_id;
		twh_buf_init(&token);
		if (twh_page_token_encode(&last, &token) == 0)
			twh_json_string(&w, "next_page_token", token.data);
		else
			w.failed = true;
		twh_buf_free(&token);
	}
	objects_end(res, &w);
}

static void
customers_list(struct twh_ctx *ctx, const struct twh_request *req, struct twh_response *res)
{
	struct twh_page_request	 preq;
	struct twh_page_key	 after;
	struct twh_page		 page;
	const char		*worker, *query;
	bool			 have_after;
	int			 rc;

	if ((worker = twh_require_param(req, res, "Worker")) == NULL ||
	    page_size(req, res, &preq.limit) == -1)
		return;
	query = twh_request_param(req, "Query");
	if (query != NULL && strlen(query) > QUERY_MAX) {
		twh_response_error(res, 400, "Query is longer than 256 bytes");
		return;
	}
	if (page_start(ctx, req, res, worker, &after, &have_after) == -1)
		return;
	preq.worker = worker;
	preq.after = have_after ? &after : NULL;
	/* A Query of nothing but white space is no search at all. */
	preq.query = query != NULL && query[strspn(query, " \t\r\n")] != '\0' ? query : NULL;
	rc = twh_store_customer_page(ctx->store, &preq, &page);
	if (have_after)
		twh_page_key_free(&after);
	if (rc != TWH_STORE_OK) {
		twh_store_answer_error(ctx, res);
		return;
	}
	answer_page(res, &page);
	twh_page_free(&page);
}

int
main(int argc, char *argv[])
{
	static const struct twh_endpoint endpoint = {
		.name = "twhook-crm",
		.body = TWH_BODY_FORM,
		.screen = twh_frontline_v1,
		.dispatch = "Location",
		/*
		 * No common snapshot is needed: on PostgreSQL a customer's details are one
		 * query, and a list's Anchor (or a search's worker code) is looked up apart
		 * from the page, which would start from the same place a moment later.
		 */
		.routes = {
			{ "GetCustomerDetailsByCustomerId", customer_details, TWH_READS_EACH },
			{ "GetCustomersList", customers_list, TWH_READS_EACH },
		},
	};

	return twh_endpoint_main(&endpoint, argc, argv);
}
