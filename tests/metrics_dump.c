/*
 * metrics_dump.c: the machine's totals (twh_metrics.h) as metrics.test reads them, through
 * the same reader the console uses.
 *
 *   metrics_dump			the Prometheus text
 *   metrics_dump window SECONDS	per endpoint, then "all": NAME requests 2xx 4xx 5xx
 *					signature-failures p50-ms p99-ms over the last SECONDS
 *   metrics_dump series STEP		per STEP (60 or 3600), all endpoints: START requests
 *					errors 5xx, the oldest first
 *
 * It reads the configuration named by $TWHOOK_CONFIG.  Exit 0, or 1 without totals.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twh_conf.h"
#include "twh_diag.h"
#include "twh_metrics.h"

static void
print_window(const struct twh_metrics_snapshot *snap, const char *endpoint, int seconds)
{
	struct twh_metrics_window	 w;

	if (twh_metrics_window(snap, endpoint, seconds, &w) == -1)
		return;
	printf("%s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %.3f %.3f\n",
	    endpoint != NULL ? endpoint : "all", w.requests, w.s2xx, w.s4xx, w.s5xx,
	    w.sig_failures, w.p50_ms, w.p99_ms);
}

static int
dump(const struct twh_metrics_snapshot *snap, int argc, char *argv[])
{
	struct twh_metrics_series	 s;
	struct twh_buf			 b;
	int				 i;

	if (argc == 1) {
		twh_buf_init(&b);
		twh_metrics_prometheus(&b, snap);
		fputs(b.data != NULL ? b.data : "", stdout);
		twh_buf_free(&b);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "window") == 0) {
		for (i = 0; i < TWH_METRICS_ENDPOINTS; i++)
			print_window(snap, twh_metrics_endpoints[i], atoi(argv[2]));
		print_window(snap, NULL, atoi(argv[2]));
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "series") == 0 &&
	    twh_metrics_series(snap, NULL, atoi(argv[2]), &s) == 0) {
		for (i = 0; i < s.n; i++)
			printf("%lld %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
			    (long long)s.points[i].start, s.points[i].requests, s.points[i].errors,
			    s.points[i].s5xx);
		return 0;
	}
	fprintf(stderr, "usage: metrics_dump [window SECONDS | series STEP]\n");
	return 2;
}

int
main(int argc, char *argv[])
{
	struct twh_metrics_snapshot	*snap;
	struct twh_metrics		*m;
	struct twh_conf			 conf;
	char				 err[512];
	int				 rc;

	twh_diag_init("metrics_dump", TWH_DIAG_INFO);
	if (twh_conf_load(&conf, NULL, err, sizeof(err)) == -1) {
		fprintf(stderr, "metrics_dump: %s\n", err);
		return 1;
	}
	m = twh_metrics_open(&conf, false);
	if ((snap = malloc(sizeof(*snap))) == NULL ||
	    twh_metrics_snapshot(m, snap, time(NULL)) == -1)
		rc = 1;
	else
		rc = dump(snap, argc, argv);
	free(snap);
	twh_metrics_close(m);
	twh_conf_free(&conf);
	return rc;
}
