/*
 * twh_endpoint_once.c: the writing routes (TWH_WRITES_ONCE, TWH_WRITES_ONCE_UNSYNCED,
 * TWH_WRITES_IDEMPOTENT), whose effects happen at most once per delivery: a repeated delivery
 * (the same idempotency token, or the route's natural key) gets the first answer again from
 * its claim, or from the handler itself for TWH_WRITES_IDEMPOTENT, and a handler's writes are
 * kept only with a 2xx answer, in the transaction that records the claim.
 *
 * A request has a transaction of its own, or shares one (group commit): on SQLite under
 * FastCGI, while more requests wait for the process, each one is held once it is read and
 * authenticated, and when none waits, after GROUP_MAX requests, once the first has waited
 * GROUP_MAX_MS, or before a request of another kind of route, the handlers of those held run
 * in one transaction, each in a savepoint of its own (rolled back alone when the answer is not
 * 2xx); the answers are sent once it has committed and, for a durable writer, reached the
 * disk.  So the write lock is held for the store's work only, not while the requests behind
 * are read and their signatures checked, an answer is still never sent before its writes are
 * durable, and one commit and one flush serve many requests.  A commit that fails turns every
 * answer that depended on it into the store's error; a process killed before its commit has
 * answered none of them.  On PostgreSQL, whose writers take locks per key and commit together
 * by themselves, each request has its own transaction.
 */
#include <stdio.h>
#include <string.h>

#include "twh_buf.h"
#include "twh_clock.h"
#include "twh_diag.h"
#include "twh_endpoint_internal.h"
#include "twh_serve.h"
#include "twh_store_answer.h"

#define GROUP_MAX	64	/* requests in one transaction at most */
#define GROUP_MAX_MS	100	/* how long the first held waits for more at most */

/* The requests held for the next shared transaction (twh_exchange_hold keeps them in order). */
static struct {
	size_t			 n;
	double			 began_ms;	/* when the first was held */
} group;

/* The delivery's idempotency key into KEY; -1 when it has none. */
static int
delivery_key(const struct twh_route *route, const struct twh_request *req, struct twh_buf *key)
{
	const char	*token = twh_request_token(req);

	if (token != NULL)
		return twh_buf_printf(key, "token:%s", token);
	if (route->natural_key != NULL && twh_buf_adds(key, "natural:") == 0 &&
	    route->natural_key(req, key) == 0)
		return 0;
	return -1;
}

/* A repeated delivery: the first answer again, nothing done twice. */
static void
answer_claim(struct twh_response *res, struct twh_claim *claim, const char *key)
{
	res->status = claim->status;
	snprintf(res->content_type_buf, sizeof(res->content_type_buf), "%s", claim->content_type);
	res->content_type = res->content_type_buf;
	twh_buf_adds(&res->body, claim->body);
	snprintf(res->log_reason, sizeof(res->log_reason), "a repeated delivery (%s)", key);
}

/* Records RES, a 2xx answer, as the claim of the delivery under KEY (NULL: it has none). */
static int
add_claim(struct twh_ctx *ctx, const struct twh_response *res, const char *key)
{
	struct twh_claim	 claim;

	if (key == NULL)
		return TWH_STORE_OK;
	claim.status = res->status;
	claim.content_type = (char *)(res->content_type != NULL ? res->content_type : "text/plain");
	claim.body = res->body.data;
	return twh_store_claim_add(ctx->store, key, ctx->endpoint->name, &claim);
}

/* Replaces RES with the store's error (a 503, or 500). */
static void
answer_error(struct twh_ctx *ctx, struct twh_response *res)
{
	twh_buf_reset(&res->headers);
	twh_store_answer_error(ctx, res);
}

/*
 * In the open transaction: the first answer again for a repeated delivery, else the handler's
 * with its claim.  TWH_STORE_OK when the transaction holds writes to keep (a 2xx answer and
 * its claim); TWH_STORE_NOT_FOUND when there is nothing to keep; TWH_STORE_ERROR with the
 * store's error in RES.  *REPEATED: the answer came from a claim.
 */
static int
run_once(struct twh_ctx *ctx, const struct twh_route *route, const struct twh_request *req,
    struct twh_response *res, bool *repeated)
{
	struct twh_claim	 claim;
	struct twh_buf		 key;
	bool			 keyed;
	int			 rc;

	*repeated = false;
	if (route->store == TWH_WRITES_IDEMPOTENT) {
		route->handle(ctx, req, res);
		return res->status >= 200 && res->status <= 299 ? TWH_STORE_OK :
		    TWH_STORE_NOT_FOUND;
	}
	twh_buf_init(&key);
	keyed = delivery_key(route, req, &key) == 0;
	rc = keyed ? twh_store_claim_find(ctx->store, key.data, &claim) : TWH_STORE_NOT_FOUND;
	if (rc == TWH_STORE_OK) {
		answer_claim(res, &claim, key.data);
		twh_claim_free(&claim);
		*repeated = true;
		rc = TWH_STORE_NOT_FOUND;
	} else if (rc == TWH_STORE_NOT_FOUND) {
		route->handle(ctx, req, res);
		if (res->status >= 200 && res->status <= 299)
			rc = add_claim(ctx, res, keyed ? key.data : NULL);
	}
	if (rc == TWH_STORE_ERROR)
		answer_error(ctx, res);
	twh_buf_free(&key);
	return rc;
}

/* The transaction could not begin: the store's error, or the route's answer without it. */
static void
answer_store_down(struct twh_ctx *ctx, const struct twh_route *route, struct twh_exchange *x)
{
	twh_store_answer_error(ctx, &x->res);
	twh_endpoint_store_down(ctx, route, &x->req, &x->res);
}

/* One request in a transaction of its own. */
static void
handle_alone(struct twh_ctx *ctx, const struct twh_route *route, struct twh_exchange *x)
{
	bool	 repeated;

	if (twh_store_begin(ctx->store) != TWH_STORE_OK) {
		answer_store_down(ctx, route, x);
		return;
	}
	if (run_once(ctx, route, &x->req, &x->res, &repeated) != TWH_STORE_OK)
		twh_store_rollback(ctx->store);
	else if (twh_store_commit(ctx->store) != TWH_STORE_OK) {
		twh_store_rollback(ctx->store);
		answer_error(ctx, &x->res);
	} else
		twh_store_notify(ctx->store);
}

/*
 * Runs the handler of each request held, in arrival order, in one transaction, each in a
 * savepoint of its own; commits, and answers them all (nothing when none is held): once none
 * waits, and before a route of another kind.  A savepoint that cannot be had or undone breaks
 * the group: the requests after it are not run, and the transaction is rolled back.  When the
 * transaction cannot begin, each request gets the store's error.
 */
void
twh_once_run_group(struct twh_ctx *ctx)
{
	struct twh_exchange	*x;
	size_t			 n = group.n;
	bool			 open, broken = false, failed, repeated;
	int			 rc;

	if (n == 0)
		return;
	memset(&group, 0, sizeof(group));
	open = twh_store_begin(ctx->store) == TWH_STORE_OK;
	for (x = twh_exchange_held_first(); x != NULL; x = x->next) {
		if (!open)
			answer_store_down(ctx, x->route, x);
		else if (broken || twh_store_savepoint(ctx->store) != TWH_STORE_OK) {
			broken = true;
			x->needs_commit = true;		/* the store's error, below */
		} else {
			rc = run_once(ctx, x->route, &x->req, &x->res, &repeated);
			/* Failing that, the writes of a refused request could stay: none are kept. */
			if (twh_store_savepoint_end(ctx->store, rc == TWH_STORE_OK) != TWH_STORE_OK)
				broken = true;
			x->needs_commit = rc == TWH_STORE_OK || repeated;  /* a claim may be new */
		}
	}
	failed = open && (broken || twh_store_commit(ctx->store) != TWH_STORE_OK);
	if (failed)
		twh_store_rollback(ctx->store);
	else if (open)
		twh_store_notify(ctx->store);
	if (open && n > 1)
		twh_debug("%zu requests in one commit%s", n, failed ? ", which failed" : "");
	twh_exchange_answer_held(ctx, failed);
}

/* The group's run, as work left for later: once no request waits. */
static void
run_later(void *arg)
{
	twh_once_run_group(arg);
}

/* Whether a route that uses the store as USE is one of these, whose requests may share a commit. */
bool
twh_once_writes(enum twh_store_use use)
{
	return use == TWH_WRITES_ONCE || use == TWH_WRITES_ONCE_UNSYNCED ||
	    use == TWH_WRITES_IDEMPOTENT;
}

/* Whether ENDPOINT has such a route. */
bool
twh_once_groups(const struct twh_endpoint *endpoint)
{
	size_t	 i;

	for (i = 0; i < TWH_ROUTES_MAX && endpoint->routes[i].handle != NULL; i++)
		if (twh_once_writes(endpoint->routes[i].store))
			return true;
	return false;
}

/*
 * Runs a writing route's handler, at most once per delivery: alone, or held for the group
 * while requests wait (none on PostgreSQL).
 */
void
twh_once_handle(struct twh_ctx *ctx, const struct twh_route *route, struct twh_exchange *x)
{
	if (group.n == 0 && (twh_store_is_postgres(ctx->store) || !twh_serve_request_waiting())) {
		handle_alone(ctx, route, x);
		return;
	}
	x->route = route;
	if (!twh_exchange_hold(x)) {
		twh_once_run_group(ctx);	/* the requests before it first */
		handle_alone(ctx, route, x);
		return;
	}
	if (group.n++ == 0) {
		group.began_ms = twh_monotonic_ms();
		twh_serve_later(run_later, ctx);
	}
	if (group.n >= GROUP_MAX || twh_elapsed_ms(group.began_ms) >= GROUP_MAX_MS)
		twh_once_run_group(ctx);
}
