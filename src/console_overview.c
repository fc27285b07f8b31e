/*
 * console_overview.c: the Overview (/), the console's first page: the webhooks' traffic over
 * the last hour and the last day, from this machine's running totals (twh_metrics.h): a table
 * of each endpoint's requests, statuses, signature failures and latency, the charts of
 * requests and errors over time and of latency; then a summary of the store (its table
 * counts) and of the outbox (its jobs in each state).
 */
#include <stdlib.h>
#include <time.h>

#include "console.h"
#include "console_charts.h"
#include "twh_metrics.h"

/* One window's cells: requests, 2xx, 4xx, 5xx, signature failures, p50, p99. */
static void
window_cells(struct console *c, const struct twh_metrics_window *w)
{
	console_printf(c, "<td class=\"n\">%llu</td><td class=\"n\">%llu</td><td class=\"n\">%llu"
	    "</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td>",
	    (unsigned long long)w->requests, (unsigned long long)w->s2xx,
	    (unsigned long long)w->s4xx, (unsigned long long)w->s5xx,
	    (unsigned long long)w->sig_failures);
	if (w->requests == 0)
		console_raw(c, "<td class=\"n\">-</td><td class=\"n\">-</td>");
	else
		console_printf(c, "<td class=\"n\">%.1f</td><td class=\"n\">%.1f</td>", w->p50_ms,
		    w->p99_ms);
}

/* A row: ENDPOINT's (NULL: all endpoints') last hour and last day. */
static void
endpoint_row(struct console *c, const struct twh_metrics_snapshot *snap, const char *endpoint)
{
	struct twh_metrics_window	 hour, day;

	twh_metrics_window(snap, endpoint, 3600, &hour);
	twh_metrics_window(snap, endpoint, 86400, &day);
	console_raw(c, endpoint != NULL ? "<tr><th scope=\"row\">" :
	    "<tr class=\"total\"><th scope=\"row\">");
	console_text(c, endpoint != NULL ? endpoint : "all");
	console_raw(c, "</th>");
	window_cells(c, &hour);
	window_cells(c, &day);
	console_raw(c, "</tr>\n");
}

static void
traffic_table(struct console *c, const struct twh_metrics_snapshot *snap)
{
	static const char	 columns[] = "<th>requests</th><th>2xx</th><th>4xx</th><th>5xx</th>"
	    "<th>bad signature</th><th>p50 ms</th><th>p99 ms</th>";
	int			 i;

	console_printf(c, "<table class=\"traffic\"><tr><th rowspan=\"2\">Endpoint</th>"
	    "<th colspan=\"7\">Last hour</th><th colspan=\"7\">Last day</th></tr>\n"
	    "<tr>%s%s</tr>\n", columns, columns);
	for (i = 0; i < TWH_METRICS_ENDPOINTS; i++)
		endpoint_row(c, snap, twh_metrics_endpoints[i]);
	endpoint_row(c, snap, NULL);
	console_raw(c, "</table>\n");
}

/* The latency histogram of every endpoint's requests since the totals began. */
static void
latency_chart(struct console *c, const struct twh_metrics_snapshot *snap)
{
	uint64_t	 buckets[TWH_METRICS_BUCKETS] = { 0 };
	int		 i, b;

	for (i = 0; i < TWH_METRICS_ENDPOINTS; i++)
		for (b = 0; b < TWH_METRICS_BUCKETS; b++)
			buckets[b] += snap->c.endpoints[i].buckets[b];
	console_chart_latency(c, "Latency of every request since the totals began", buckets);
}

/* The traffic section, or a line saying that nothing was counted yet. */
static void
traffic(struct console *c)
{
	struct twh_metrics_snapshot	*snap;
	struct twh_metrics_series	 series;
	bool				 counted;

	console_raw(c, "<h2>Traffic</h2>\n");
	if ((snap = console_totals(c, time(NULL), &counted)) == NULL || !counted) {
		console_raw(c, "<p>No request counted on this machine yet.</p>\n");
		free(snap);
		return;
	}
	console_raw(c, "<p><small>This machine's endpoints, counted since ");
	console_time(c, (double)snap->c.created);
	console_raw(c, ".</small></p>\n");
	traffic_table(c, snap);
	if (twh_metrics_series(snap, NULL, 60, &series) == 0)
		console_chart_series(c, "Requests per minute over the last hour, errors in red",
		    &series);
	if (twh_metrics_series(snap, NULL, 3600, &series) == 0)
		console_chart_series(c, "Requests per hour over the last day, errors in red",
		    &series);
	latency_chart(c, snap);
	free(snap);
}

/* GET /. */
void
console_overview_page(struct console *c)
{
	console_page_begin(c, "Overview");
	traffic(c);
	if (console_store_counts(c, "Store") == 0 && console_jobs_summary(c) == 0)
		console_page_end(c, 200);
}
