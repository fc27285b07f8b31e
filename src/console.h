/*
 * console.h: twhook-console(8), the operator's web console, as its pages see it.  The pipeline
 * (console_main.c) answers everything a page need not know: authentication (console_auth),
 * routing by PATH_INFO and method (404, 405), the store and its transaction, the gate of every
 * write (console_write, the origin, the CSRF token: console_csrf.c) and the headers of every
 * answer.  A page is one handler in a route of the table that cgi-bin/twhook-console.c gives;
 * it writes its HTML through the frame (console_html.c), where every value is escaped by one
 * function, and the routes that name a nav label are the frame's navigation, in table order.
 */
#ifndef CONSOLE_H
#define CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "twh_ctx.h"
#include "twh_http.h"
#include "twh_params.h"
#include "twh_store.h"

struct console;
struct twh_metrics_snapshot;

typedef void console_handler(struct console *);

/* What a route does to the store: the pipeline wraps its handler accordingly. */
enum console_store_use {
	CONSOLE_READS,	/* GET: reads in one snapshot */
	CONSOLE_WRITES	/* POST: refused (403) unless console_write = yes, the request comes
			   from the console's own page and its CSRF token is valid; the
			   handler makes its own transaction and answers with a redirect */
};

struct console_route {
	const char		*path;		/* PATH_INFO exactly: "/", "/jobs" */
	console_handler		*handle;
	enum console_store_use	 store;
	const char		*nav;		/* its label in the navigation; NULL: none */
};

struct console_app {
	const char			*name;		/* "twhook-console" */
	const struct console_route	*routes;	/* ends with a NULL path */
};

/* One exchange: what a handler reads and what it writes into. */
struct console {
	struct twh_ctx			*ctx;		/* the configuration and the store */
	const struct console_app	*app;
	const struct console_route	*route;
	struct twh_request		*req;		/* req->params: the query, or a POST's form */
	struct twh_response		*res;
	const char			*user;		/* REMOTE_USER, or NULL (console_auth = none) */
	const char			*base;		/* SCRIPT_NAME: links are BASE + a route's path */
	struct twh_buf			*html;		/* &res->body */
};

int		 console_main(const struct console_app *, int argc, char *argv[]);
struct twh_metrics_snapshot *console_totals(struct console *, time_t now, bool *counted);

/* The frame (console_html.c). */
void		 console_escape(struct twh_buf *, const char *, size_t);
void		 console_text(struct console *, const char *);
void		 console_raw(struct console *, const char *);
void		 console_printf(struct console *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
void		 console_link(struct console *, const char *path, const char *query,
		    const char *label);
void		 console_page_begin(struct console *, const char *title);
void		 console_page_end(struct console *, int status);
void		 console_error(struct console *, int status, const char *message);
void		 console_redirect(struct console *, const char *path, const char *query);
void		 console_headers(struct console *);
void		 console_time(struct console *, double seconds);
void		 console_count_row(struct console *, const char *label, long long count);
void		 console_store_failed(struct console *);

/* The write gate and the CSRF token (console_csrf.c). */
bool		 console_can_write(const struct console *);
int		 console_csrf_token(const struct console *, char out[65]);
bool		 console_write_allowed(struct console *);
void		 console_csrf_field(struct console *);

/*
 * The pages' sections, which a page composes (0, or -1 with the page replaced by the
 * refusal), and the handlers (console_store.c, console_jobs.c, console_overview.c,
 * console_deliveries.c, console_metrics.c).
 */
int		 console_store_counts(struct console *, const char *heading);
int		 console_jobs_summary(struct console *);
void		 console_store_page(struct console *);
void		 console_jobs_page(struct console *);
void		 console_jobs_retry(struct console *);
void		 console_overview_page(struct console *);
void		 console_deliveries_page(struct console *);
void		 console_delivery_page(struct console *);
void		 console_metrics_page(struct console *);

#endif
