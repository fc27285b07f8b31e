/*
 * twhook-console: the operator's web console, behind the web server's authentication.
 *
 *   GET  /             Overview: the traffic, the store's counts and the jobs in each state
 *   GET  /deliveries   the delivery log, newest first, filtered, a page at a time
 *   GET  /delivery     one delivery (?id=ID) as it was logged
 *   GET  /jobs         the outbox: jobs not done, or of one state, a page at a time
 *   POST /jobs/retry   a dead job queued again (console_write = yes, CSRF token)
 *   GET  /store        the store: engine, schema version, counts, jobs by state
 *   GET  /metrics      the running totals and gauges for Prometheus (text, not HTML)
 *
 * A page is a handler in this table and a file src/console_NAME.c; a route with a nav label
 * is a link of every page's navigation, in this order.
 */
#include "console.h"

int
main(int argc, char *argv[])
{
	static const struct console_route routes[] = {
		{ "/", console_overview_page, CONSOLE_READS, "Overview" },
		{ "/deliveries", console_deliveries_page, CONSOLE_READS, "Deliveries" },
		{ "/delivery", console_delivery_page, CONSOLE_READS, NULL },
		{ "/jobs", console_jobs_page, CONSOLE_READS, "Jobs" },
		{ "/jobs/retry", console_jobs_retry, CONSOLE_WRITES, NULL },
		{ "/store", console_store_page, CONSOLE_READS, "Store" },
		{ "/metrics", console_metrics_page, CONSOLE_READS, NULL },
		{ NULL, NULL, CONSOLE_READS, NULL }
	};
	static const struct console_app app = { "twhook-console", routes };

	return console_main(&app, argc, argv);
}
