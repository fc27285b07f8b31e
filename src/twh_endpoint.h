/*
 * twh_endpoint.h: what an endpoint is: a name, the body type it takes, an optional early screen
 * and its routes: the handlers, each with what it does to the store, chosen by the value of one
 * parameter (dispatch) or, without one, the single handler.  The shared pipeline does
 * everything before the handler (method, content type, length, parsing, signature, store,
 * transaction) and after it (writing, logging), identically for every endpoint.
 */
#ifndef TWH_ENDPOINT_H
#define TWH_ENDPOINT_H

#include <stdbool.h>

#include "twh_ctx.h"
#include "twh_http.h"
#include "twh_store.h"

enum twh_body_kind {
	TWH_BODY_FORM,	/* application/x-www-form-urlencoded */
	TWH_BODY_JSON	/* application/json, signed with bodySHA256 */
};

typedef void twh_handler(struct twh_ctx *, const struct twh_request *, struct twh_response *);

/*
 * An endpoint's own look at a request before its body is read (its method, headers, query and
 * content type are known): true, with the refusal in the response, to refuse it.
 */
typedef bool twh_screen(const struct twh_request *, struct twh_response *);

/* The key of a delivery without an idempotency token (see TWH_WRITES_ONCE): 0, or -1: none. */
typedef int twh_natural_key(const struct twh_request *, struct twh_buf *);

/* What a handler does to the store: the pipeline wraps it in the transaction this says. */
enum twh_store_use {
	/*
	 * Reads only, in one read transaction: all its queries see the same snapshot, and a
	 * writer holding the lock does not stop it.  Nothing it does is kept.
	 */
	TWH_READS_SNAPSHOT,
	/*
	 * Reads only, and needs no common snapshot: each query may see the store as it is by
	 * then.  On PostgreSQL each is a transaction of its own, without a BEGIN and a COMMIT
	 * to wait for; on SQLite this is TWH_READS_SNAPSHOT.
	 */
	TWH_READS_EACH,
	/*
	 * Writes in one write transaction, at most once per delivery: the delivery is claimed by
	 * its I-Twilio-Idempotency-Token, or else by the route's natural key, in the same
	 * commit, and only a 2xx answer commits.  A repeated delivery gets the first answer
	 * again from the claim and changes nothing.
	 */
	TWH_WRITES_ONCE,
	/*
	 * As TWH_WRITES_ONCE, but the commits do not wait for the disk: for writes worthless
	 * once a minute has passed, which a power cut would outlast anyway.  It is set on the
	 * process's connection (twh_store_set_synchronous), so every commit of the endpoint
	 * is unsynced: its other routes should only read.
	 */
	TWH_WRITES_ONCE_UNSYNCED,
	/*
	 * Writes in one write transaction, which may be shared as TWH_WRITES_ONCE's, but keeps
	 * no claim: the handler's own writes know a repeated delivery (a unique key, ON
	 * CONFLICT DO NOTHING), change nothing for it and answer it as the first.  Only a
	 * 2xx answer commits.
	 */
	TWH_WRITES_IDEMPOTENT,
	/*
	 * No transaction from the pipeline: the handler begins and ends its own, or makes do
	 * with one-statement writes; it answers repeated deliveries itself.
	 */
	TWH_OWN_TRANSACTIONS
};

/*
 * One handler of an endpoint, for one value of its dispatch parameter; a NULL value takes
 * every value the routes before it do not (the last route), or every request of an endpoint
 * without dispatch (its only route).
 */
struct twh_route {
	const char		*value;
	twh_handler		*handle;
	enum twh_store_use	 store;
	twh_natural_key		*natural_key;	/* TWH_WRITES_ONCE*: may be NULL */
	twh_handler		*store_down;	/* answers instead of 503 when the store
						   cannot be had; may be NULL */
};

#define TWH_ROUTES_MAX	4

/*
 * A request whose dispatch parameter is missing is refused with a 400, one whose value no
 * route takes with a 422 ("unknown Location '...'"), both once the store is had, as the
 * handler would be.
 */
struct twh_endpoint {
	const char		*name;
	enum twh_body_kind	 body;
	twh_screen		*screen;	/* after the method, before the content
						   type; may be NULL */
	const char		*dispatch;	/* the form parameter that chooses the
						   route; NULL: one route */
	bool			 defers_work;	/* leaves work until no request waits
						   (twh_serve_later) */
	struct twh_route	 routes[TWH_ROUTES_MAX];	/* unused: a NULL handle */
};

int		 twh_endpoint_main(const struct twh_endpoint *, int argc, char *argv[]);
/*
 * For a handler whose work can be shared with the requests waiting behind it (twh_endpoint.c):
 * its answer held, the work done once none waits, then the answers sent.
 */
bool		 twh_endpoint_answer_later(struct twh_ctx *, const struct twh_request *,
		    void (*then)(void *), void *arg);
bool		 twh_endpoint_answer_now(void);

#endif
