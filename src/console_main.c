/*
 * console_main.c: twhook-console's start and its request pipeline.  At start: the
 * configuration, the store, the machine's totals, the sandbox (the console role), then requests
 * until done, CGI or FastCGI alike (twh_serve.h).  Each request, in order: 403 without
 * REMOTE_USER unless console_auth = none (a page saying how to set the web server's
 * authentication up); 400 for a query string that does not decode; 404 for a PATH_INFO no route
 * has; 405 with Allow for the wrong method (HEAD is a reading page's GET without its body); 503
 * when the store cannot be had; then a reading route's handler in one read snapshot, or, once
 * the write gate (console_csrf.c) lets it through, a writing route's.  Every answer gets the
 * frame's headers (console_headers), whatever its status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "twh_clock.h"
#include "twh_diag.h"
#include "twh_form.h"
#include "twh_metrics.h"
#include "twh_prefork.h"
#include "twh_sandbox.h"
#include "twh_serve.h"

/* The method a route takes. */
static const char *
route_method(const struct console_route *route)
{
	return route->store == CONSOLE_WRITES ? "POST" : "GET";
}

static const struct console_route *
find_route(const struct console_app *app, const char *path)
{
	const struct console_route	*r;

	for (r = app->routes; r->path != NULL; r++)
		if (strcmp(r->path, path) == 0)
			return r;
	return NULL;
}

/* SCRIPT_NAME, the prefix of every link: "" unless it is printable ASCII without blanks. */
static const char *
script_name(const struct twh_request *req)
{
	const char	*name = twh_request_env(req, "SCRIPT_NAME");
	const char	*p;

	if (name == NULL)
		return "";
	for (p = name; *p != '\0'; p++)
		if (*p <= ' ' || *p > '~')
			return "";
	return name;
}

/* Whether the request may go on: the web server authenticated its user, or need not have. */
static bool
authenticated(struct console *c)
{
	const char	*user = twh_request_env(c->req, "REMOTE_USER");

	c->user = user != NULL && *user != '\0' ? user : NULL;
	if (c->user != NULL || c->ctx->conf.console_auth == TWH_CONSOLE_AUTH_NONE)
		return true;
	console_error(c, 403, "The web server did not authenticate you (no REMOTE_USER): set up "
	    "its authentication in front of the console (HTTP Basic with a password file, say; "
	    "see twhook-console(8)), or, only where something else guards the console, set "
	    "console_auth = none in twhook.conf.");
	return false;
}

static bool
query_parsed(struct console *c)
{
	const char	*q = twh_request_env(c->req, "QUERY_STRING");
	const char	*why = NULL;

	if (q == NULL || twh_form_parse(q, strlen(q), &c->req->params, &why) == 0)
		return true;
	console_error(c, 400, why != NULL ? why : "the query string does not decode");
	return false;
}

/* The route of PATH_INFO for this method, or NULL with a 404 or 405 answered. */
static const struct console_route *
route_request(struct console *c)
{
	const char			*path = twh_request_env(c->req, "PATH_INFO");
	const struct console_route	*route;

	route = find_route(c->app, path != NULL && *path != '\0' ? path : "/");
	if (route == NULL) {
		console_error(c, 404, "The console has no such page.");
		return NULL;
	}
	if (c->req->method != NULL && strcmp(c->req->method, "HEAD") == 0 &&
	    route->store != CONSOLE_WRITES)
		return route;	/* answered as GET is, without the body (exchange) */
	if (c->req->method == NULL || strcmp(c->req->method, route_method(route)) != 0) {
		twh_response_header(c->res, "Allow", route->store == CONSOLE_WRITES ? "POST" :
		    "GET, HEAD");
		console_error(c, 405, strcmp(route_method(route), "GET") == 0 ?
		    "This page is only read (GET)." : "This action only takes a form (POST).");
		return NULL;
	}
	return route;
}

/*
 * A snapshot of this machine's totals taken at NOW, the caller's to free: all zeros, with
 * *COUNTED false, while no endpoint has counted yet (the first one to count makes the file,
 * which is looked for again each time until then); NULL when memory ran out.
 */
struct twh_metrics_snapshot *
console_totals(struct console *c, time_t now, bool *counted)
{
	struct twh_metrics_snapshot	*snap;

	if (c->ctx->metrics == NULL)
		c->ctx->metrics = twh_metrics_open(&c->ctx->conf, false);
	if ((snap = calloc(1, sizeof(*snap))) == NULL)
		return NULL;
	*counted = twh_metrics_snapshot(c->ctx->metrics, snap, now) == 0;
	if (!*counted) {
		memset(snap, 0, sizeof(*snap));
		snap->now = now;
	}
	return snap;
}

/* The store, opened again when it could not be at start or was lost: 0, or -1 with a 503. */
static int
have_store(struct console *c)
{
	char	 err[512];

	if (c->ctx->store != NULL)
		return 0;
	if (twh_store_open(c->ctx->conf.database, &c->ctx->store, err, sizeof(err)) == 0)
		return 0;
	twh_err("%s", err);
	console_error(c, 503, "The store cannot be opened now; the console's log says why.");
	twh_response_header(c->res, "Retry-After", "5");
	return -1;
}

static void
run_pipeline(struct console *c)
{
	c->req->method = twh_request_env(c->req, "REQUEST_METHOD");
	if (!authenticated(c) || !query_parsed(c) || (c->route = route_request(c)) == NULL ||
	    have_store(c) == -1)
		return;
	if (c->route->store == CONSOLE_WRITES) {
		if (console_write_allowed(c))
			c->route->handle(c);
		return;
	}
	if (twh_store_begin_read(c->ctx->store, true) != TWH_STORE_OK) {
		console_store_failed(c);
		return;
	}
	c->route->handle(c);
	if (twh_store_commit(c->ctx->store) != TWH_STORE_OK)
		twh_store_rollback(c->ctx->store);
}

struct console_run {
	struct twh_ctx			 ctx;
	const struct console_app	*app;
};

static void
exchange(void *arg, const struct twh_io *io)
{
	struct console_run	*run = arg;
	struct twh_request	 req;
	struct twh_response	 res;
	struct console		 c;
	double			 start = twh_monotonic_ms();

	memset(&req, 0, sizeof(req));
	req.io = io;
	twh_buf_init(&req.body);
	twh_params_init(&req.params);
	twh_response_init(&res);
	memset(&c, 0, sizeof(c));
	c.ctx = &run->ctx;
	c.app = run->app;
	c.req = &req;
	c.res = &res;
	c.html = &res.body;
	c.base = script_name(&req);
	run_pipeline(&c);
	if (res.status == 0)
		console_error(&c, 500, "The page gave no answer.");
	console_headers(&c);
	res.head_only = req.method != NULL && strcmp(req.method, "HEAD") == 0;
	if (twh_response_write(&res, io) == -1)
		twh_info("the client went away before the answer was sent");
	if (io->finish != NULL)
		io->finish(io->ctx);
	twh_response_log(&req, &res, twh_elapsed_ms(start));
	twh_response_free(&res);
	twh_params_free(&req.params);
	twh_buf_free(&req.body);
}

/* The console's main(): configuration and store once, then confined, then requests. */
int
console_main(const struct console_app *app, int argc, char *argv[])
{
	struct console_run	 run;
	char			 err[512];
	int			 rc;

	twh_diag_init(app->name, TWH_DIAG_INFO);
	if (argc > 1) {
		fprintf(stderr, "usage: %s\n%s is the operator's web console, run by a web server "
		    "as CGI or FastCGI; see %s(8)\n", argv[0], app->name, app->name);
		return 2;
	}
	memset(&run, 0, sizeof(run));
	run.app = app;
	if (twh_conf_load(&run.ctx.conf, NULL, err, sizeof(err)) == -1) {
		twh_err("%s", err);
		return 1;
	}
	twh_diag_set_level(run.ctx.conf.log_level);
	twh_conf_warn_exposed(&run.ctx.conf);
	if (run.ctx.conf.console_auth == TWH_CONSOLE_AUTH_NONE)
		twh_warn("console_auth = none in %s: the console answers whoever reaches it",
		    run.ctx.conf.path);
	/* With TWHOOK_PROCESSES, what follows runs in each process of a supervisor. */
	if (twh_prefork(err, sizeof(err)) == -1) {
		twh_err("%s", err);
		twh_conf_free(&run.ctx.conf);
		return 1;
	}
	/* A store that cannot be opened now is tried again by each request (503 meanwhile). */
	if (twh_store_open(run.ctx.conf.database, &run.ctx.store, err, sizeof(err)) == -1)
		twh_err("%s", err);
	/* This machine's totals, read only (made by the first endpoint to count, else looked
	 * for again by the pages that show them). */
	run.ctx.metrics = twh_metrics_open(&run.ctx.conf, false);
	if (twh_sandbox_enter(&run.ctx.conf, TWH_SANDBOX_CONSOLE, NULL, twh_serve_is_cgi(), err,
	    sizeof(err)) == -1) {
		twh_err("%s: cannot confine the console: %s (sandbox = off in that file runs it "
		    "unconfined)", run.ctx.conf.path, err);
		rc = -1;
	} else
		rc = twh_serve(exchange, &run);
	twh_metrics_close(run.ctx.metrics);
	twh_store_close(run.ctx.store);
	twh_conf_free(&run.ctx.conf);
	return rc == 0 ? 0 : 1;
}
