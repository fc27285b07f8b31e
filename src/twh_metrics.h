/*
 * twh_metrics.h: running totals of what the endpoints answered and the dispatcher attempted,
 * for the operator console and Prometheus.  They live in one file per machine, DIR/totals in
 * the delivery log's directory, mapped shared by every endpoint process and counted with
 * lock-free atomic additions (twh_metrics.c); readers take a snapshot, from which the windows,
 * the charts' series (twh_metrics_window.c) and the Prometheus text (twh_metrics_prometheus.c)
 * are computed without touching the file again.
 *
 * Cumulative counters never lose an increment.  The windows' per-minute and per-hour slots are
 * set to zero by the first process to count in a new minute or hour; an increment that another
 * process makes in the instant of that reset is left out of the window (never of the totals).
 */
#ifndef TWH_METRICS_H
#define TWH_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "twh_buf.h"
#include "twh_conf.h"

/* The file's name in the delivery log's directory (neither the log's pruning nor twhook log
 * look at it: it is no YYYY-MM-DD.jsonl). */
#define TWH_METRICS_FILE	"totals"

#define TWH_METRICS_ENDPOINTS	9	/* twh_metrics_endpoints[] */
#define TWH_METRICS_STATUS_MIN	100	/* statuses counted exactly: 100 to 599 */
#define TWH_METRICS_STATUSES	500
#define TWH_METRICS_BUCKETS	14	/* twh_metrics_bucket_le[], the last one +Inf */
#define TWH_METRICS_MINUTES	61	/* the last hour's 60 minutes, and the next one's */
#define TWH_METRICS_HOURS	25	/* the last day's 24 hours, and the next one's */

/* The endpoints' names, as in the executables' (twhook-crm is "crm"), in slot order. */
extern const char *const	 twh_metrics_endpoints[TWH_METRICS_ENDPOINTS];
/* The histogram's upper bounds in seconds; the last is +Inf (INFINITY). */
extern const double		 twh_metrics_bucket_le[TWH_METRICS_BUCKETS];

/* One minute's or hour's counts of an endpoint.  Every field is a uint64_t: see snapshot. */
struct twh_metrics_slot {
	uint64_t	 stamp;		/* the minute or hour since 1970 it counts, and
					   TWH_METRICS_RESETTING while it is set to zero */
	uint64_t	 requests, s2xx, s4xx, s5xx, sig_failures;
	uint64_t	 buckets[TWH_METRICS_BUCKETS];	/* requests by latency, not cumulative */
};
#define TWH_METRICS_RESETTING	(UINT64_C(1) << 63)

struct twh_metrics_endpoint {
	uint64_t		 status[TWH_METRICS_STATUSES];	/* requests by status - 100 */
	uint64_t		 sig_failures;	/* X-Twilio-Signature invalid or missing */
	uint64_t		 buckets[TWH_METRICS_BUCKETS];	/* not cumulative */
	uint64_t		 latency_us;	/* the latencies' sum, in microseconds */
	struct twh_metrics_slot	 minutes[TWH_METRICS_MINUTES];	/* by minute % MINUTES */
	struct twh_metrics_slot	 hours[TWH_METRICS_HOURS];	/* by hour % HOURS */
};

/* The file, all of it; counters only ever grow (but the windows' slots). */
struct twh_metrics_counters {
	uint64_t			 magic;		/* "TWHTOTAL" (twh_metrics.c) */
	uint64_t			 version;	/* of the layout: 1 */
	uint64_t			 size;		/* sizeof(struct twh_metrics_counters) */
	uint64_t			 created;	/* unix seconds: counting since then */
	uint64_t			 dispatch_ok, dispatch_failed;	/* attempts */
	uint64_t			 dispatch_last_success;	/* unix seconds; 0: none yet */
	struct twh_metrics_endpoint	 endpoints[TWH_METRICS_ENDPOINTS];
};

/* A copy for readers: each counter read whole, the whole not at one instant. */
struct twh_metrics_snapshot {
	time_t				 now;	/* when taken: the windows end then */
	struct twh_metrics_counters	 c;
};

/* One endpoint's requests (or all of theirs) over the last hour or day. */
struct twh_metrics_window {
	uint64_t	 requests, s2xx, s4xx, s5xx, sig_failures;
	double		 p50_ms, p99_ms;	/* from the histogram; 0 without requests */
};

/* A chart's series: per minute over the last hour, or per hour over the last day. */
#define TWH_METRICS_POINTS_MAX	60
struct twh_metrics_point {
	time_t		 start;		/* the minute's or hour's first second */
	uint64_t	 requests;
	uint64_t	 errors;	/* 4xx and 5xx */
	uint64_t	 s5xx;
};
struct twh_metrics_series {
	int				 step;	/* 60 or 3600 seconds */
	int				 n;	/* 60 or 24 points, the oldest first */
	struct twh_metrics_point	 points[TWH_METRICS_POINTS_MAX];
};

struct twh_metrics;

/*
 * The totals of CONF's machine, mapped: WRITABLE for the endpoints and the dispatcher (the
 * directory and the file are made, or a file of another layout replaced), read-only for
 * readers.  NULL when they cannot be had: warned (a reader that finds no file yet is told at
 * the info level only), and every function below takes NULL as "count nothing".
 */
struct twh_metrics	*twh_metrics_open(const struct twh_conf *, bool writable);
void			 twh_metrics_close(struct twh_metrics *);

/* One answered request of ENDPOINT ("crm"; another name counts nothing), its latency MS. */
void	 twh_metrics_record(struct twh_metrics *, const char *endpoint, int status,
	    bool signature_failed, double ms, time_t now);
/* One attempt of the dispatcher, and whether it succeeded. */
void	 twh_metrics_dispatch(struct twh_metrics *, bool succeeded, time_t now);

/* Copies the counters into SNAP, taken at NOW: 0, or -1 without totals. */
int	 twh_metrics_snapshot(struct twh_metrics *, struct twh_metrics_snapshot *, time_t now);
/* The endpoint's slot, or -1 for a name that is none. */
int	 twh_metrics_endpoint_index(const char *endpoint);

/*
 * ENDPOINT's counts (NULL: all endpoints') over the SECONDS (3600 or 86400) before the
 * snapshot: the minutes or hours that end with the current one.  0, or -1 for an unknown
 * endpoint or another length.
 */
int	 twh_metrics_window(const struct twh_metrics_snapshot *, const char *endpoint,
	    int seconds, struct twh_metrics_window *);
/* The series per STEP (60: 60 minutes; 3600: 24 hours) of ENDPOINT (NULL: all); 0 or -1. */
int	 twh_metrics_series(const struct twh_metrics_snapshot *, const char *endpoint,
	    int step, struct twh_metrics_series *);
/* The latency below which a fraction Q of the histogram's requests fall, in milliseconds. */
double	 twh_metrics_quantile_ms(const uint64_t buckets[TWH_METRICS_BUCKETS], double q);

/* The counters in Prometheus's text exposition format 0.0.4, appended to B. */
void	 twh_metrics_prometheus(struct twh_buf *, const struct twh_metrics_snapshot *);
/* A family's # HELP and # TYPE lines (TYPE: "counter", "gauge", "histogram"), for the gauges
 * others add after the counters. */
void	 twh_metrics_family(struct twh_buf *, const char *name, const char *type,
	    const char *help);
void	 twh_metrics_label_value(struct twh_buf *, const char *);

#endif
