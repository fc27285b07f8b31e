/*
 * console_metrics.c: GET /metrics, for Prometheus: the machine's running totals (twh_metrics.h:
 * requests by endpoint and status, the latency histogram, signature failures, the dispatcher's
 * attempts and last success), then gauges taken at each scrape, each of them cheap: the jobs
 * by state and kind and the oldest waiting job's age (the outbox is pruned, so it stays
 * small), the store's size and the delivery log's (one stat a day's file).
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "console.h"
#include "twh_deliverylog.h"
#include "twh_metrics.h"

struct jobs_gauge {
	struct twh_buf	*out;
};

static void
job_kind(void *arg, const char *state, const char *kind, long long n)
{
	struct jobs_gauge	*g = arg;

	/* Kinds are the outbox's own words, but a row written by hand may hold any. */
	twh_buf_adds(g->out, "twhook_jobs{state=\"");
	twh_metrics_label_value(g->out, state);
	twh_buf_adds(g->out, "\",kind=\"");
	twh_metrics_label_value(g->out, kind);
	twh_buf_printf(g->out, "\"} %lld\n", n);
}

/* The bytes of the delivery log's days' files in DIR: 0 when there is none. */
static long long
deliverylog_bytes(const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	struct stat	 st;
	long long	 bytes = 0;

	if (dir == NULL || (d = opendir(dir)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (twh_deliverylog_file_name(e->d_name) &&
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			bytes += (long long)st.st_size;
	closedir(d);
	return bytes;
}

/* The gauges read from the store: 0, or -1 (the store failed). */
static int
store_gauges(struct console *c, struct twh_buf *out, time_t now)
{
	struct jobs_gauge	 g = { out };
	double			 oldest;
	long long		 bytes;

	twh_metrics_family(out, "twhook_jobs", "gauge", "Jobs of the outbox, by state and kind.");
	if (twh_store_job_kinds(c->ctx->store, job_kind, &g) != TWH_STORE_OK ||
	    twh_store_oldest_waiting(c->ctx->store, &oldest) != TWH_STORE_OK ||
	    twh_store_bytes(c->ctx->store, &bytes) != TWH_STORE_OK)
		return -1;
	twh_metrics_family(out, "twhook_oldest_waiting_job_age_seconds", "gauge",
	    "How long the oldest job still waiting for delivery (queued or retrying) has waited; "
	    "0 when none waits.");
	twh_buf_printf(out, "twhook_oldest_waiting_job_age_seconds %.0f\n",
	    oldest > 0 && now > oldest ? (double)now - oldest : 0.0);
	twh_metrics_family(out, "twhook_store_bytes", "gauge", "The store's size.");
	twh_buf_printf(out, "twhook_store_bytes %lld\n", bytes);
	return 0;
}

/* GET /metrics: the text exposition format 0.0.4. */
void
console_metrics_page(struct console *c)
{
	struct twh_metrics_snapshot	*snap;
	time_t				 now = time(NULL);
	bool				 counted;

	twh_buf_reset(c->html);
	/* Without totals yet, every counter is 0: the families are there all the same. */
	if ((snap = console_totals(c, now, &counted)) == NULL) {
		console_error(c, 500, "Out of memory.");
		return;
	}
	twh_metrics_prometheus(c->html, snap);
	free(snap);
	if (store_gauges(c, c->html, now) == -1) {
		console_store_failed(c);
		return;
	}
	twh_metrics_family(c->html, "twhook_delivery_log_bytes", "gauge",
	    "The delivery log's size on this machine.");
	twh_buf_printf(c->html, "twhook_delivery_log_bytes %lld\n",
	    deliverylog_bytes(c->ctx->conf.delivery_log));
	c->res->content_type = "text/plain; version=0.0.4; charset=utf-8";
	c->res->status = 200;
}
