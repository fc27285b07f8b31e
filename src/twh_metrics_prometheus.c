/*
 * twh_metrics_prometheus.c: the totals' snapshot in Prometheus's text exposition format
 * (version 0.0.4): each family's # HELP and # TYPE lines, then its samples.  Requests appear
 * for each status an endpoint has answered; every other family for every endpoint, zeros
 * included, so that a dashboard's series exist from the start.
 */
#include <inttypes.h>

#include "twh_metrics.h"

/* Appends V to B as a label's value: \\, \" and \n escaped, as the format wants. */
void
twh_metrics_label_value(struct twh_buf *b, const char *v)
{
	for (; *v != '\0'; v++)
		if (*v == '\\' || *v == '"')
			twh_buf_printf(b, "\\%c", *v);
		else if (*v == '\n')
			twh_buf_adds(b, "\\n");
		else
			twh_buf_addc(b, *v);
}

/* The # HELP and # TYPE lines of the family NAME. */
void
twh_metrics_family(struct twh_buf *b, const char *name, const char *type, const char *help)
{
	twh_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
requests(struct twh_buf *b, const struct twh_metrics_counters *c)
{
	int	 i, s;

	twh_metrics_family(b, "twhook_requests_total", "counter",
	    "Webhook requests answered, by endpoint and HTTP status.");
	for (i = 0; i < TWH_METRICS_ENDPOINTS; i++)
		for (s = 0; s < TWH_METRICS_STATUSES; s++)
			if (c->endpoints[i].status[s] != 0)
				twh_buf_printf(b, "twhook_requests_total{endpoint=\"%s\","
				    "status=\"%d\"} %" PRIu64 "\n", twh_metrics_endpoints[i],
				    s + TWH_METRICS_STATUS_MIN, c->endpoints[i].status[s]);
}

static void
durations(struct twh_buf *b, const struct twh_metrics_counters *c)
{
	const struct twh_metrics_endpoint	*e;
	const char				*name;
	uint64_t				 below;
	int					 i, k;

	twh_metrics_family(b, "twhook_request_duration_seconds", "histogram",
	    "Time from a request's arrival to its answer written, by endpoint.");
	for (i = 0; i < TWH_METRICS_ENDPOINTS; i++) {
		e = &c->endpoints[i];
		name = twh_metrics_endpoints[i];
		below = 0;
		for (k = 0; k < TWH_METRICS_BUCKETS; k++) {
			below += e->buckets[k];
			if (k < TWH_METRICS_BUCKETS - 1)
				twh_buf_printf(b, "twhook_request_duration_seconds_bucket{endpoint="
				    "\"%s\",le=\"%g\"} %" PRIu64 "\n", name, twh_metrics_bucket_le[k],
				    below);
			else
				twh_buf_printf(b, "twhook_request_duration_seconds_bucket{endpoint="
				    "\"%s\",le=\"+Inf\"} %" PRIu64 "\n", name, below);
		}
		twh_buf_printf(b, "twhook_request_duration_seconds_sum{endpoint=\"%s\"} %" PRIu64
		    ".%06" PRIu64 "\n", name, e->latency_us / 1000000, e->latency_us % 1000000);
		twh_buf_printf(b, "twhook_request_duration_seconds_count{endpoint=\"%s\"} %" PRIu64
		    "\n", name, below);
	}
}

void
twh_metrics_prometheus(struct twh_buf *b, const struct twh_metrics_snapshot *snap)
{
	const struct twh_metrics_counters	*c = &snap->c;
	int					 i;

	requests(b, c);
	durations(b, c);
	twh_metrics_family(b, "twhook_signature_failures_total", "counter",
	    "Requests whose X-Twilio-Signature was invalid or missing, by endpoint.");
	for (i = 0; i < TWH_METRICS_ENDPOINTS; i++)
		twh_buf_printf(b, "twhook_signature_failures_total{endpoint=\"%s\"} %" PRIu64 "\n",
		    twh_metrics_endpoints[i], c->endpoints[i].sig_failures);
	twh_metrics_family(b, "twhook_dispatch_attempts_total", "counter",
	    "Delivery attempts of the dispatcher, by outcome.");
	twh_buf_printf(b, "twhook_dispatch_attempts_total{outcome=\"ok\"} %" PRIu64 "\n"
	    "twhook_dispatch_attempts_total{outcome=\"failed\"} %" PRIu64 "\n", c->dispatch_ok,
	    c->dispatch_failed);
	twh_metrics_family(b, "twhook_dispatch_last_success_timestamp_seconds", "gauge",
	    "When the dispatcher last delivered a job, in seconds since 1970 (0: never).");
	twh_buf_printf(b, "twhook_dispatch_last_success_timestamp_seconds %" PRIu64 "\n",
	    c->dispatch_last_success);
}
