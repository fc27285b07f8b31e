/*
 * twh_endpoint.c: the request pipeline every endpoint shares.  In order: 405 for a method other
 * than POST, the endpoint's screen (Frontline's: 400 for a V1 callback), 415 for the wrong
 * content type, 411 without a Content-Length, 413 over max_body; then the signature, checked
 * before the body is parsed as far as it can be (authenticate_and_parse): 400 for a URL that
 * cannot be rebuilt, 403 for a missing signature, and for JSON 403 for a wrong one before 400
 * for a body that does not parse, for forms the other way round (a form's signature covers its
 * parsed parameters); the route for the dispatch parameter's value;
 * 503 when the store cannot be opened (unless the route's store_down answers); then, in the
 * transaction the route's store use says, 400 for a missing dispatch parameter, 422 for an
 * unknown value, or the route's handler (the writing routes' transactions, which requests
 * waiting behind one another may share, are twh_endpoint_once.c's).  Each refusal is a short
 * JSON error and an info line in the log; nothing is written before the handler runs.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "twh_clock.h"
#include "twh_deliverylog.h"
#include "twh_diag.h"
#include "twh_endpoint.h"
#include "twh_endpoint_internal.h"
#include "twh_form.h"
#include "twh_json.h"
#include "twh_metrics.h"
#include "twh_prefork.h"
#include "twh_sandbox.h"
#include "twh_serve.h"
#include "twh_sig.h"
#include "twh_store_answer.h"

static int
parse_body(struct twh_ctx *ctx, struct twh_request *req, struct twh_response *res)
{
	const char	*why = NULL;

	if (ctx->endpoint->body == TWH_BODY_JSON)
		req->json = twh_json_parse(req->body.data, req->body.len, &why);
	else
		twh_form_parse(req->body.data, req->body.len, &req->params, &why);
	if (why != NULL) {
		twh_response_error(res, 400, why);
		return 400;
	}
	return 0;
}

/*
 * The checks of the signature that need no parsed body: the URL it signs, rebuilt into
 * REQ->url, and the header's presence.  1 when validate_signature = no (nothing more to check),
 * 0 when the signature is to be verified, or an HTTP status with RES set.
 */
static int
screen_signature(struct twh_ctx *ctx, struct twh_request *req, struct twh_response *res)
{
	struct twh_buf	 url;
	const char	*header;

	twh_buf_init(&url);
	if (twh_url_public(ctx->conf.public_url, ctx->conf.trust_forwarded, req->io->getenv,
	    req->io->ctx, &url) == -1) {
		twh_buf_free(&url);
		twh_response_error(res, 400, "the request URL cannot be rebuilt: no Host header "
		    "(set public_url in twhook.conf)");
		return 400;
	}
	req->url = twh_buf_take(&url);
	if (!ctx->conf.validate_signature) {
		/* Logged at the error level so that no log_level can silence it. */
		twh_err("X-Twilio-Signature NOT checked: validate_signature = no in %s",
		    ctx->conf.path);
		req->signature = "unchecked";
		return 1;
	}
	header = twh_request_header(req, "X-Twilio-Signature");
	if (header == NULL || *header == '\0') {
		req->signature = "missing";
		twh_response_error(res, 403, "the X-Twilio-Signature header is missing");
		return 403;
	}
	return 0;
}

/*
 * Verifies the header over REQ->url and the body: a JSON body by its hash alone (before it is
 * parsed), a form by its parsed parameters.  0, or 403 with RES set.
 */
static int
verify_signature(struct twh_ctx *ctx, struct twh_request *req, struct twh_response *res)
{
	struct twh_signed_request	 sreq;

	sreq.url = req->url;
	sreq.params = ctx->endpoint->body == TWH_BODY_FORM ? &req->params : NULL;
	sreq.body = req->body.data;
	sreq.body_len = req->body.len;
	if (!twh_sig_valid(&sreq, (const char *const *)ctx->conf.auth_tokens,
	    ctx->conf.n_auth_tokens, twh_request_header(req, "X-Twilio-Signature"))) {
		req->signature = "invalid";
		twh_response_error(res, 403, "the X-Twilio-Signature is not valid for this URL "
		    "and body");
		return 403;
	}
	req->signature = "valid";
	return 0;
}

/*
 * Authenticates and parses the body, the cheap checks first: no untrusted byte is parsed
 * before everything that can be checked without parsing it has passed.  A JSON body is signed
 * through its hash (bodySHA256), so it is verified whole before the JSON parser sees it; a
 * form's signature covers its parsed parameters, so only the URL and the header's presence
 * come before the parse.  0, or an HTTP status with RES set.
 */
static int
authenticate_and_parse(struct twh_ctx *ctx, struct twh_request *req, struct twh_response *res)
{
	int	 rc;

	if ((rc = screen_signature(ctx, req, res)) > 1)
		return rc;
	if (rc == 0 && ctx->endpoint->body == TWH_BODY_JSON &&
	    verify_signature(ctx, req, res) != 0)
		return 403;
	if (parse_body(ctx, req, res) != 0)
		return 400;
	if (rc == 0 && ctx->endpoint->body == TWH_BODY_FORM)
		return verify_signature(ctx, req, res);
	return 0;
}

/*
 * The store could not be opened or locked: RES holds a 503 with Retry-After, which stays
 * unless the route's STORE_DOWN answers otherwise (a pre-event webhook that would reject
 * the customer's conversation with a 503); then Retry-After goes.
 */
void
twh_endpoint_store_down(struct twh_ctx *ctx, const struct twh_route *route,
    const struct twh_request *req, struct twh_response *res)
{
	if (route->store_down == NULL)
		return;
	route->store_down(ctx, req, res);
	if (res->status != 503) {
		twh_warn("answering without the store (failing open)");
		twh_buf_reset(&res->headers);
	}
}

/* Whether a route of ENDPOINT writes unsynced, which is set on the whole connection. */
static bool
unsynced(const struct twh_endpoint *endpoint)
{
	size_t	 i;

	for (i = 0; i < TWH_ROUTES_MAX && endpoint->routes[i].handle != NULL; i++)
		if (endpoint->routes[i].store == TWH_WRITES_ONCE_UNSYNCED)
			return true;
	return false;
}

/* Opens the store for CTX's endpoint: 0, or -1 with why in ERR. */
static int
connect_store(struct twh_ctx *ctx, char *err, size_t errlen)
{
	if (twh_store_open(ctx->conf.database, &ctx->store, err, errlen) == -1)
		return -1;
	twh_store_set_read_cache(ctx->store, (int)ctx->conf.read_cache_ms);
	/* A FastCGI process serves many searches: it keeps the workers' lists it reads. */
	if (!twh_serve_is_cgi())
		twh_store_keep_search_lists(ctx->store);
	if (twh_store_temp_in_memory(ctx->store) != TWH_STORE_OK ||
	    (unsynced(ctx->endpoint) && twh_store_set_synchronous(ctx->store, false) !=
	    TWH_STORE_OK)) {
		snprintf(err, errlen, "%s: %s", ctx->conf.database, twh_store_error(ctx->store));
		twh_store_close(ctx->store);
		ctx->store = NULL;
		return -1;
	}
	return 0;
}

static int
open_store(struct twh_ctx *ctx, const struct twh_route *route, const struct twh_request *req,
    struct twh_response *res)
{
	char	 err[512];
	bool	 just_failed;

	if (ctx->store != NULL)
		return 0;
	/* A CGI run whose start just failed to open it would only wait out a lock again. */
	just_failed = ctx->store_failed_ms != 0 && twh_elapsed_ms(ctx->store_failed_ms) < 1000.0;
	ctx->store_failed_ms = 0;
	if (just_failed || connect_store(ctx, err, sizeof(err)) == -1) {
		if (!just_failed)
			twh_err("%s", err);
		twh_store_answer_unopened(res);
		twh_endpoint_store_down(ctx, route, req, res);
		return 503;
	}
	return 0;
}

/* The refusal of a request no route takes: its dispatch parameter is missing or unknown. */
static void
refuse_unrouted(struct twh_ctx *ctx, const struct twh_request *req, struct twh_response *res)
{
	const char	*value = twh_require_param(req, res, ctx->endpoint->dispatch);
	char		 msg[160];

	if (value == NULL)
		return;
	snprintf(msg, sizeof(msg), "unknown %s '%.80s'", ctx->endpoint->dispatch, value);
	twh_response_error(res, 422, msg);
}

/* Refused where a handler would run: after the store is had, in a read transaction. */
static const struct twh_route unrouted = { .handle = refuse_unrouted,
    .store = TWH_READS_SNAPSHOT };

/* The route that takes REQ: by the value of the endpoint's dispatch parameter. */
static const struct twh_route *
find_route(const struct twh_endpoint *endpoint, const struct twh_request *req)
{
	const struct twh_route	*route;
	const char		*value = NULL;

	if (endpoint->dispatch != NULL &&
	    (value = twh_request_value(req, endpoint->dispatch)) == NULL)
		return &unrouted;
	for (route = endpoint->routes; route < endpoint->routes + TWH_ROUTES_MAX &&
	    route->handle != NULL; route++)
		if (route->value == NULL || (value != NULL && strcmp(value, route->value) == 0))
			return route;
	return &unrouted;
}

/* Runs a reading handler in one read transaction, with one snapshot if it needs one. */
static void
handle_reading(struct twh_ctx *ctx, const struct twh_route *route, const struct twh_request *req,
    struct twh_response *res)
{
	if (twh_store_begin_read(ctx->store, route->store == TWH_READS_SNAPSHOT) !=
	    TWH_STORE_OK) {
		twh_store_answer_error(ctx, res);
		return;
	}
	route->handle(ctx, req, res);
	/* Nothing was written, so ending the transaction either way loses nothing. */
	if (twh_store_commit(ctx->store) != TWH_STORE_OK)
		twh_store_rollback(ctx->store);
}

static void
run_pipeline(struct twh_ctx *ctx, struct twh_exchange *x)
{
	const char		*want = ctx->endpoint->body == TWH_BODY_JSON ?
				    "application/json" : "application/x-www-form-urlencoded";
	struct twh_request	*req = &x->req;
	struct twh_response	*res = &x->res;
	const struct twh_route	*route;

	req->method = twh_request_env(req, "REQUEST_METHOD");
	twh_request_media_type(req);
	if (req->method == NULL || strcmp(req->method, "POST") != 0) {
		twh_response_error(res, 405, "only POST is accepted");
		twh_response_header(res, "Allow", "POST");
		return;
	}
	if (ctx->endpoint->screen != NULL && ctx->endpoint->screen(req, res))
		return;
	if (req->media_type == NULL || strcmp(req->media_type, want) != 0) {
		twh_response_error(res, 415, ctx->endpoint->body == TWH_BODY_JSON ?
		    "the body must be application/json" :
		    "the body must be application/x-www-form-urlencoded");
		return;
	}
	if (twh_request_read_body(req, res, ctx->conf.max_body) != 0 || authenticate_and_parse(ctx, req, res) != 0)
		return;
	route = find_route(ctx->endpoint, req);
	if (open_store(ctx, route, req, res) != 0)
		return;
	/* Writes that share a commit are committed before another kind of route runs. */
	if (!twh_once_writes(route->store))
		twh_once_run_group(ctx);
	switch (route->store) {
	case TWH_READS_SNAPSHOT:
	case TWH_READS_EACH:
		handle_reading(ctx, route, req, res);
		break;
	case TWH_WRITES_ONCE:
	case TWH_WRITES_ONCE_UNSYNCED:
	case TWH_WRITES_IDEMPOTENT:
		twh_once_handle(ctx, route, x);
		break;
	case TWH_OWN_TRANSACTIONS:
		route->handle(ctx, req, res);
		break;
	}
}

/* Whether REQ's X-Twilio-Signature was checked and found wanting: invalid, or missing. */
static bool
signature_failed(const struct twh_request *req)
{
	return req->signature != NULL && (strcmp(req->signature, "invalid") == 0 ||
	    strcmp(req->signature, "missing") == 0);
}

/* The exchange of the last request not held, kept for the next one. */
static struct twh_exchange	*spare;

void
twh_exchange_answer(struct twh_ctx *ctx, struct twh_exchange *x)
{
	struct twh_request	*req = &x->req;
	struct twh_response	*res = &x->res;
	const struct twh_io	*io = x->io;

	if (res->status == 0)
		twh_response_error(res, 500, "the endpoint gave no answer");
	if (twh_response_write(res, io) == -1)
		twh_info("the client went away before the answer was sent");
	x->entry.ms = twh_elapsed_ms(x->start);
	/* The logs and the totals are written once the web server has the answer, out of its way. */
	if (io->finish != NULL)
		io->finish(io->ctx);
	twh_response_log(req, res, x->entry.ms);
	x->entry.endpoint = ctx->endpoint->name + strlen("twhook-");
	x->entry.req = req;
	x->entry.res = res;
	twh_deliverylog_record(ctx->deliverylog, &x->entry);
	twh_metrics_record(ctx->metrics, x->entry.endpoint, res->status, signature_failed(req),
	    x->entry.ms, x->entry.arrived.tv_sec);
	if (x->held)
		twh_serve_release(io);
	twh_response_free(res);
	json_object_put(req->json);
	twh_params_free(&req->params);
	twh_buf_free(&req->body);
	free(req->url);
	if (x->held || spare != NULL)
		free(x);
	else
		spare = x;
}

/* The answers held, in arrival order (twh_exchange_hold). */
static struct twh_exchange	*held_first;
static struct twh_exchange	**held_tail = &held_first;

bool
twh_exchange_hold(struct twh_exchange *x)
{
	if (!twh_serve_hold(x->io))
		return false;
	x->held = true;
	x->next = NULL;
	*held_tail = x;
	held_tail = &x->next;
	return true;
}

struct twh_exchange *
twh_exchange_held_first(void)
{
	return held_first;
}

void
twh_exchange_answer_held(struct twh_ctx *ctx, bool failed)
{
	struct twh_exchange	*x = held_first, *next;

	held_first = NULL;
	held_tail = &held_first;
	for (; x != NULL; x = next) {
		next = x->next;
		if (failed && x->needs_commit) {
			twh_buf_reset(&x->res.headers);
			twh_store_answer_error(ctx, &x->res);
		}
		twh_exchange_answer(ctx, x);
	}
}

/* What twh_endpoint_answer_later runs before the answers it held. */
static twh_later_fn	*then_fn;
static void		*then_arg;

static void
then_answer(void *arg)
{
	twh_later_fn	*fn = then_fn;

	then_fn = NULL;
	if (fn != NULL)
		fn(then_arg);
	twh_exchange_answer_held(arg, false);
}

/*
 * For a handler whose work can be shared with the requests waiting behind it: when one waits,
 * holds REQ's answer, has THEN(ARG) run once none does (or when twh_endpoint_answer_now is
 * called), then sends the answers held, and returns true.  False when none waits (or the
 * answer cannot be held): the handler does its work now.
 */
bool
twh_endpoint_answer_later(struct twh_ctx *ctx, const struct twh_request *req,
    twh_later_fn *then, void *arg)
{
	struct twh_exchange	*x;

	x = (struct twh_exchange *)((char *)req - offsetof(struct twh_exchange, req));
	if (!twh_serve_request_waiting() || !twh_exchange_hold(x))
		return false;
	then_fn = then;
	then_arg = arg;
	twh_serve_later(then_answer, ctx);
	return true;
}

/* Runs the work twh_endpoint_answer_later left and sends the answers held; false: none was. */
bool
twh_endpoint_answer_now(void)
{
	if (then_fn == NULL)
		return false;
	twh_serve_later_run();
	return true;
}

static void
exchange(void *arg, const struct twh_io *io)
{
	struct twh_ctx		*ctx = arg;
	struct twh_exchange	*x = spare;

	spare = NULL;
	if (x == NULL && (x = malloc(sizeof(*x))) == NULL) {
		twh_err("out of memory: the request is dropped");
		return;
	}
	memset(x, 0, sizeof(*x));
	x->io = io;
	x->start = twh_monotonic_ms();
	clock_gettime(CLOCK_REALTIME, &x->entry.arrived);
	x->req.io = io;
	twh_buf_init(&x->req.body);
	twh_params_init(&x->req.params);
	twh_response_init(&x->res);
	run_pipeline(ctx, x);
	/* A request whose answer waits for a commit shared with those behind it is held. */
	if (!x->held)
		twh_exchange_answer(ctx, x);
}

/*
 * The main() of every endpoint: configuration, store, delivery log and totals once, then confined
 * (twh_sandbox.h), then requests until done.
 */
int
twh_endpoint_main(const struct twh_endpoint *endpoint, int argc, char *argv[])
{
	struct twh_ctx	 ctx;
	char		 err[512];
	int		 rc;

	twh_diag_init(endpoint->name, TWH_DIAG_INFO);
	if (argc > 1) {
		fprintf(stderr, "usage: %s\n%s answers a Twilio webhook as CGI or FastCGI; "
		    "see %s(8), or try it with: twhook request %s NAME=VALUE ...\n",
		    argv[0], endpoint->name, endpoint->name, endpoint->name + strlen("twhook-"));
		return 2;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.endpoint = endpoint;
	if (twh_conf_load(&ctx.conf, NULL, err, sizeof(err)) == -1 ||
	    twh_conf_require_auth_token(&ctx.conf, err, sizeof(err)) == -1) {
		twh_err("%s", err);
		twh_conf_free(&ctx.conf);
		return 1;
	}
	twh_diag_set_level(ctx.conf.log_level);
	twh_conf_warn_exposed(&ctx.conf);
	if (!ctx.conf.validate_signature)
		twh_warn("validate_signature = no in %s: requests are NOT authenticated",
		    ctx.conf.path);
	/* With TWHOOK_PROCESSES, what follows runs in each process of a supervisor. */
	if (twh_prefork(err, sizeof(err)) == -1) {
		twh_err("%s", err);
		twh_conf_free(&ctx.conf);
		return 1;
	}
	/* A store that cannot be opened now is retried by each request, which answers 503 meanwhile. */
	if (connect_store(&ctx, err, sizeof(err)) == -1) {
		twh_err("%s", err);
		ctx.store_failed_ms = twh_monotonic_ms();
	}
	ctx.deliverylog = twh_deliverylog_open(&ctx.conf);
	ctx.metrics = twh_metrics_open(&ctx.conf, true);
	/* Confined before the first request is read; a CGI run says so only at the debug level. */
	if (twh_sandbox_enter(&ctx.conf, TWH_SANDBOX_ENDPOINT, NULL, twh_serve_is_cgi(), err,
	    sizeof(err)) == -1) {
		twh_err("%s: cannot confine the endpoint: %s (sandbox = off in that file runs it "
		    "unconfined)", ctx.conf.path, err);
		rc = -1;
	} else {
		if (endpoint->defers_work || twh_once_groups(endpoint))
			twh_serve_allow_later();
		rc = twh_serve(exchange, &ctx);
		free(spare);
	}
	twh_deliverylog_close(ctx.deliverylog);
	twh_metrics_close(ctx.metrics);
	twh_store_close(ctx.store);
	twh_conf_free(&ctx.conf);
	return rc == 0 ? 0 : 1;
}
