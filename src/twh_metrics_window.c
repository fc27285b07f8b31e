/*
 * twh_metrics_window.c: what the totals' snapshot says of the last hour and the last day (the
 * windows and the charts' series), and latency quantiles estimated from a histogram.  Only a
 * slot stamped with the minute or hour asked for counts: one left from an older minute, or
 * being reset, is taken as no requests.
 */
#include "twh_metrics.h"

/* A ring of slots: its length, the slot's length in seconds, the slots a window spans. */
struct ring {
	int	 size, unit, span;
};

/* The ring of a window of SECONDS (an hour: minutes; a day: hours); -1 for another length. */
static int
ring_of(int seconds, struct ring *r)
{
	if (seconds == 3600)
		*r = (struct ring){ TWH_METRICS_MINUTES, 60, 60 };
	else if (seconds == 86400)
		*r = (struct ring){ TWH_METRICS_HOURS, 3600, 24 };
	else
		return -1;
	return 0;
}

/* ENDPOINT's slot of STAMP in ring R, or NULL when it holds another minute or hour. */
static const struct twh_metrics_slot *
slot_at(const struct twh_metrics_endpoint *e, const struct ring *r, uint64_t stamp)
{
	const struct twh_metrics_slot	*slot;

	slot = r->unit == 60 ? &e->minutes[stamp % (uint64_t)r->size] :
	    &e->hours[stamp % (uint64_t)r->size];
	return slot->stamp == stamp ? slot : NULL;
}

/* The endpoints ENDPOINT names in [*FIRST, *END): one, or all for NULL; -1 if unknown. */
static int
endpoint_range(const char *endpoint, int *first, int *end)
{
	if (endpoint == NULL) {
		*first = 0;
		*end = TWH_METRICS_ENDPOINTS;
		return 0;
	}
	if ((*first = twh_metrics_endpoint_index(endpoint)) == -1)
		return -1;
	*end = *first + 1;
	return 0;
}

/* Adds SLOT's counts (if any) to SUM. */
static void
add_slot(struct twh_metrics_slot *sum, const struct twh_metrics_slot *slot)
{
	int	 i;

	if (slot == NULL)
		return;
	sum->requests += slot->requests;
	sum->s2xx += slot->s2xx;
	sum->s4xx += slot->s4xx;
	sum->s5xx += slot->s5xx;
	sum->sig_failures += slot->sig_failures;
	for (i = 0; i < TWH_METRICS_BUCKETS; i++)
		sum->buckets[i] += slot->buckets[i];
}

/* The sum over endpoints [FIRST, END) of their slots of STAMP in ring R, into SUM. */
static void
sum_slots(const struct twh_metrics_snapshot *snap, int first, int end, const struct ring *r,
    uint64_t stamp, struct twh_metrics_slot *sum)
{
	int	 i;

	for (i = first; i < end; i++)
		add_slot(sum, slot_at(&snap->c.endpoints[i], r, stamp));
}

double
twh_metrics_quantile_ms(const uint64_t buckets[TWH_METRICS_BUCKETS], double q)
{
	uint64_t	 total = 0, below = 0;
	double		 rank, lower;
	int		 i;

	for (i = 0; i < TWH_METRICS_BUCKETS; i++)
		total += buckets[i];
	if (total == 0)
		return 0;
	rank = q * (double)total;
	for (i = 0; i < TWH_METRICS_BUCKETS - 1; i++) {
		if ((double)(below + buckets[i]) >= rank && buckets[i] > 0)
			break;
		below += buckets[i];
	}
	/* Past the last finite bound, the estimate can say no more than that bound. */
	if (i == TWH_METRICS_BUCKETS - 1)
		return twh_metrics_bucket_le[i - 1] * 1000;
	/* Linear within the bucket, as Prometheus's histogram_quantile estimates. */
	lower = i == 0 ? 0 : twh_metrics_bucket_le[i - 1];
	return (lower + (twh_metrics_bucket_le[i] - lower) * (rank - (double)below) /
	    (double)buckets[i]) * 1000;
}

int
twh_metrics_window(const struct twh_metrics_snapshot *snap, const char *endpoint, int seconds,
    struct twh_metrics_window *w)
{
	struct twh_metrics_slot	 sum = { 0 };
	struct ring		 r;
	uint64_t		 current;
	int			 first, end, k;

	*w = (struct twh_metrics_window){ 0 };
	if (ring_of(seconds, &r) == -1 ||
	    endpoint_range(endpoint, &first, &end) == -1)
		return -1;
	current = (uint64_t)snap->now / (uint64_t)r.unit;
	for (k = 0; k < r.span && (uint64_t)k <= current; k++)
		sum_slots(snap, first, end, &r, current - (uint64_t)k, &sum);
	w->requests = sum.requests;
	w->s2xx = sum.s2xx;
	w->s4xx = sum.s4xx;
	w->s5xx = sum.s5xx;
	w->sig_failures = sum.sig_failures;
	w->p50_ms = twh_metrics_quantile_ms(sum.buckets, 0.50);
	w->p99_ms = twh_metrics_quantile_ms(sum.buckets, 0.99);
	return 0;
}

int
twh_metrics_series(const struct twh_metrics_snapshot *snap, const char *endpoint, int step,
    struct twh_metrics_series *s)
{
	struct twh_metrics_slot	 sum;
	struct ring		 r;
	uint64_t		 current, stamp;
	int			 first, end, k;

	*s = (struct twh_metrics_series){ 0 };
	if ((step != 60 && step != 3600) || ring_of(step * (step == 60 ? 60 : 24), &r) == -1 ||
	    endpoint_range(endpoint, &first, &end) == -1)
		return -1;
	s->step = step;
	s->n = r.span;
	current = (uint64_t)snap->now / (uint64_t)r.unit;
	for (k = 0; k < r.span; k++) {
		sum = (struct twh_metrics_slot){ 0 };
		stamp = current + (uint64_t)k - (uint64_t)(r.span - 1);
		if (stamp <= current)
			sum_slots(snap, first, end, &r, stamp, &sum);
		s->points[k].start = (time_t)(stamp * (uint64_t)r.unit);
		s->points[k].requests = sum.requests;
		s->points[k].errors = sum.s4xx + sum.s5xx;
		s->points[k].s5xx = sum.s5xx;
	}
	return 0;
}
