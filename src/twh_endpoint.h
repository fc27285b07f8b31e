/*
 * twh_endpoint.h: what an endpoint is: a name, the body type it takes and a handler.  The shared
 * pipeline does everything before the handler (method, content type, length, parsing, signature,
 * store) and after it (writing, logging), identically for every endpoint.
 */
#ifndef TWH_ENDPOINT_H
#define TWH_ENDPOINT_H

#include <stdbool.h>
#include <time.h>

#include "twh_ctx.h"
#include "twh_http.h"
#include "twh_store.h"

enum twh_body_kind {
	TWH_BODY_FORM,	/* application/x-www-form-urlencoded */
	TWH_BODY_JSON	/* application/json, signed with bodySHA256 */
};

typedef void twh_handler(struct twh_ctx *, const struct twh_request *, struct twh_response *);

/*
 * An endpoint that writes (WRITES) runs its handler inside one write transaction, claimed by
 * the delivery's I-Twilio-Idempotency-Token, or else by the key NATURAL_KEY makes of the
 * request: a repeated delivery is answered from the claim and changes nothing.
 */
typedef int twh_natural_key(const struct twh_request *, struct twh_buf *);

/*
 * An endpoint's own look at a request before its body is read (its method, headers, query and
 * content type are known): true, with the refusal in the response, to refuse it.
 */
typedef bool twh_screen(const struct twh_request *, struct twh_response *);

/* A Frontline callback answers one operation per Location. */
struct twh_location {
	const char	*name;
	twh_handler	*handle;
};

/*
 * An endpoint has either LOCATIONS (a Frontline callback: V1 callbacks are refused with advice,
 * 422 for an unknown Location) or one HANDLE.
 */
struct twh_endpoint {
	const char			*name;
	enum twh_body_kind		 body;
	twh_screen			*screen;	/* after the method, before the
							   content type; may be NULL */
	const struct twh_location	*locations;	/* ended by a NULL name */
	twh_handler			*handle;
	bool				 writes;
	bool				(*reads_only)(const struct twh_request *);
							/* a writing endpoint's request
							   that changes nothing; may be NULL */
	twh_natural_key			*natural_key;	/* may be NULL */
	twh_handler			*store_down;	/* answers instead of 503 when the
							   store cannot be had; may be NULL */
	bool				 perishable;	/* its writes are worthless
							   once a minute has passed, so its
							   commits do not wait for the disk
							   (twh_store_set_synchronous) */
	bool				 own_transactions;
							/* the handler begins and ends its
							   own (one-row writes need none) */
};

int		 twh_endpoint_main(const struct twh_endpoint *, int argc, char *argv[]);

#endif
