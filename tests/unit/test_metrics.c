/*
 * test_metrics.c: the totals (twh_metrics.h): the file made, and a file of another layout
 * replaced; counting by endpoint, status, signature and latency; the windows and the series
 * over minutes and hours, a stale slot reset; latency quantiles; the Prometheus text; and
 * processes that open a missing file and count at once, whose totals must be exact.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "twh_metrics.h"

#define T0	((time_t)1700000000 / 3600 * 3600 + 1800)	/* half past an hour */
#define CHILDREN	4
#define EACH		20000

static char	 scratch[] = "/tmp/test_metrics.XXXXXX";
static char	 dir[300], path[400];

static struct twh_conf
conf_in(const char *where)
{
	struct twh_conf	 conf;

	memset(&conf, 0, sizeof(conf));
	conf.delivery_log = (char *)where;
	conf.delivery_log_days = 0;	/* counted all the same */
	return conf;
}

static struct twh_metrics_snapshot *
snapshot(struct twh_metrics *m, time_t now)
{
	static struct twh_metrics_snapshot	 snap;

	if (twh_metrics_snapshot(m, &snap, now) == -1)
		printf("# no snapshot\n");
	return &snap;
}

static void
test_file(void)
{
	static struct twh_metrics_snapshot	 none;
	struct twh_conf		 conf = conf_in(dir);
	struct twh_metrics	*m, *r;
	struct stat		 st;
	ino_t			 first;
	int			 fd;

	ok(twh_metrics_open(&conf, false) == NULL, "a reader finds no totals before any writer");
	m = twh_metrics_open(&conf, true);
	ok(m != NULL, "a writer makes the directory and the file");
	ok(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0750, "the directory is 0750, as the log's");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640 &&
	    st.st_size == (off_t)sizeof(struct twh_metrics_counters),
	    "the file is 0640, as the log's, and of the layout's size");
	first = st.st_ino;
	twh_metrics_close(m);
	m = twh_metrics_open(&conf, true);
	ok(m != NULL && stat(path, &st) == 0 && st.st_ino == first, "opened again, it is kept");
	twh_metrics_record(m, "crm", 200, false, 1, T0);
	r = twh_metrics_open(&conf, false);
	ok(r != NULL && snapshot(r, T0)->c.endpoints[0].status[100] == 1,
	    "a reader sees the writer's count");
	twh_metrics_record(r, "crm", 200, false, 1, T0);
	ok(snapshot(m, T0)->c.endpoints[0].status[100] == 1, "a reader counts nothing");
	twh_metrics_close(r);
	twh_metrics_close(m);

	/* The right size, another magic number: replaced, never trusted. */
	fd = open(path, O_WRONLY);
	ok(fd != -1 && pwrite(fd, "garbage!", 8, 0) == 8, "the file's magic number spoiled");
	close(fd);
	ok(twh_metrics_open(&conf, false) == NULL, "a reader refuses it");
	m = twh_metrics_open(&conf, true);
	ok(m != NULL && stat(path, &st) == 0 && st.st_ino != first &&
	    snapshot(m, T0)->c.endpoints[0].status[100] == 0,
	    "a writer replaces it with a new, zeroed file");
	twh_metrics_close(m);
	first = st.st_ino;
	ok(truncate(path, 100) == 0, "the file cut short");
	m = twh_metrics_open(&conf, true);
	ok(m != NULL && stat(path, &st) == 0 && st.st_ino != first &&
	    st.st_size == (off_t)sizeof(struct twh_metrics_counters), "replaced again");
	twh_metrics_close(m);
	conf.delivery_log = (char *)"/proc/no-such-directory";
	ok(twh_metrics_open(&conf, true) == NULL, "a directory that cannot be made: no totals");
	twh_metrics_record(NULL, "crm", 200, false, 1, T0);
	twh_metrics_dispatch(NULL, true, T0);
	ok(twh_metrics_snapshot(NULL, &none, T0) == -1,
	    "and every call takes NULL as nothing to count");
}

static void
test_counting(struct twh_metrics *m)
{
	const struct twh_metrics_endpoint	*crm, *routing;
	struct twh_metrics_snapshot		*s;

	twh_metrics_record(m, "crm", 200, false, 0.4, T0);
	twh_metrics_record(m, "crm", 200, false, 3, T0);
	twh_metrics_record(m, "crm", 403, true, 0.2, T0);
	twh_metrics_record(m, "routing", 503, false, 20000, T0);
	twh_metrics_record(m, "routing", 204, false, -1, T0);
	twh_metrics_record(m, "nope", 200, false, 1, T0);
	twh_metrics_record(m, "crm", 42, false, 1, T0);
	twh_metrics_dispatch(m, true, T0 + 5);
	twh_metrics_dispatch(m, true, T0 - 5);
	twh_metrics_dispatch(m, false, T0 + 9);
	s = snapshot(m, T0);
	crm = &s->c.endpoints[twh_metrics_endpoint_index("crm")];
	routing = &s->c.endpoints[twh_metrics_endpoint_index("routing")];
	ok(crm->status[100] == 2 && crm->status[303] == 1 && routing->status[403] == 1 &&
	    routing->status[104] == 1, "requests by endpoint and exact status");
	ok(crm->sig_failures == 1 && routing->sig_failures == 0, "signature failures by endpoint");
	ok(crm->buckets[0] == 2 && crm->buckets[2] == 1 && routing->buckets[0] == 1 &&
	    routing->buckets[TWH_METRICS_BUCKETS - 1] == 1, "latencies in their buckets");
	ok(crm->latency_us == 3600 && routing->latency_us == 20000000,
	    "the latencies' sum in microseconds (a negative one as 0)");
	ok(twh_metrics_endpoint_index("nope") == -1 && s->c.endpoints[0].status[100] +
	    s->c.endpoints[0].status[303] == 3, "an unknown endpoint or status counts nothing");
	ok(s->c.dispatch_ok == 2 && s->c.dispatch_failed == 1 &&
	    s->c.dispatch_last_success == (uint64_t)T0 + 5,
	    "dispatch attempts by outcome, and the latest success");
}

static void
test_windows(struct twh_metrics *m)
{
	struct twh_metrics_window	 w;
	struct twh_metrics_series	 series;
	struct twh_metrics_snapshot	*s;

	/* Besides test_counting's five at T0: older ones, oldest first. */
	twh_metrics_record(m, "crm", 500, false, 1, T0 - 7200);
	twh_metrics_record(m, "crm", 404, false, 1, T0 - 1800);
	s = snapshot(m, T0 + 30);
	ok(twh_metrics_window(s, "crm", 3600, &w) == 0 && w.requests == 4 && w.s2xx == 2 &&
	    w.s4xx == 2 && w.s5xx == 0 && w.sig_failures == 1, "the last hour of crm");
	ok(twh_metrics_window(s, "crm", 86400, &w) == 0 && w.requests == 5 && w.s5xx == 1,
	    "its last day");
	ok(twh_metrics_window(s, NULL, 3600, &w) == 0 && w.requests == 6 && w.s5xx == 1 &&
	    w.s2xx == 3, "the last hour of all endpoints");
	ok(twh_metrics_window(s, "nope", 3600, &w) == -1 &&
	    twh_metrics_window(s, "crm", 60, &w) == -1, "another endpoint or length: refused");
	ok(twh_metrics_series(s, "crm", 60, &series) == 0 && series.n == 60 &&
	    series.step == 60 && series.points[59].start == T0 / 60 * 60 &&
	    series.points[59].requests == 3 && series.points[59].errors == 1 &&
	    series.points[29].start == (T0 - 1800) / 60 * 60 && series.points[29].errors == 1 &&
	    series.points[29].s5xx == 0, "per minute: 60 points, the last the current minute");
	ok(twh_metrics_series(s, NULL, 3600, &series) == 0 && series.n == 24 &&
	    series.points[23].requests == 6 && series.points[21].requests == 1 &&
	    series.points[21].s5xx == 1 && series.points[21].start == (T0 - 7200) / 3600 * 3600,
	    "per hour: 24 points");
	ok(twh_metrics_series(s, NULL, 600, &series) == -1, "another step: refused");

	/* 61 minutes on, the same minute slot is reset by the first to count there. */
	twh_metrics_record(m, "crm", 200, false, 1, T0 + 61 * 60);
	s = snapshot(m, T0 + 61 * 60);
	ok(twh_metrics_window(s, "crm", 3600, &w) == 0 && w.requests == 1,
	    "a minute's slot an hour old is reset before it counts again");
	ok(s->c.endpoints[0].status[100] == 3, "while the totals go on");
	twh_metrics_record(m, "crm", 200, false, 1, T0);
	ok(snapshot(m, T0 + 61 * 60)->c.endpoints[0].minutes[(T0 / 60) % 61].requests == 1,
	    "a late process's request is left out of a newer minute's slot");
	s = snapshot(m, T0 + 3 * 86400);
	ok(twh_metrics_window(s, NULL, 86400, &w) == 0 && w.requests == 0 && w.p99_ms == 0,
	    "days later the windows are empty");
}

static bool
near(double got, double want)
{
	if (got > want - 1e-9 && got < want + 1e-9)
		return true;
	printf("# got %.12g, want %.12g\n", got, want);
	return false;
}

static void
test_quantiles(void)
{
	uint64_t	 b[TWH_METRICS_BUCKETS] = { 0 };

	ok(twh_metrics_quantile_ms(b, 0.5) == 0, "no requests: 0");
	b[0] = 50;	/* up to 1 ms */
	b[4] = 49;	/* 10 to 25 ms */
	b[10] = 1;	/* 1 to 2.5 s */
	ok(near(twh_metrics_quantile_ms(b, 0.5), 1), "the median at the top of the first bucket");
	ok(near(twh_metrics_quantile_ms(b, 0.25), 0.5), "the first quartile half way up it");
	ok(near(twh_metrics_quantile_ms(b, 0.99), 25), "p99 at the top of its bucket");
	ok(near(twh_metrics_quantile_ms(b, 0.995), 1750), "p99.5 half way through 1 to 2.5 s");
	memset(b, 0, sizeof(b));
	b[TWH_METRICS_BUCKETS - 1] = 3;
	ok(near(twh_metrics_quantile_ms(b, 0.5), 10000), "past the last bound: that bound, 10 s");
}

/* Whether every line of TEXT is a # HELP or # TYPE line or a sample: NAME{LABELS} VALUE. */
static bool
exposition_valid(const char *text)
{
	const char	*line, *end, *p;

	if (*text == '\0' || text[strlen(text) - 1] != '\n')
		return false;
	for (line = text; *line != '\0'; line = end + 1) {
		end = strchr(line, '\n');
		if (strncmp(line, "# HELP twhook_", 14) == 0 || strncmp(line, "# TYPE twhook_", 14) == 0)
			continue;
		for (p = line; p < end && (*p == '_' || (*p >= 'a' && *p <= 'z')); p++)
			continue;
		if (p == line)
			return false;
		if (*p == '{') {
			while (p < end && *p != '}')
				p++;
			p++;
		}
		if (p >= end || *p++ != ' ' || p == end || strspn(p, "0123456789.") != (size_t)(end - p))
			return false;
	}
	return true;
}

static void
test_prometheus(struct twh_metrics *m)
{
	struct twh_buf	 b;

	twh_buf_init(&b);
	twh_metrics_prometheus(&b, snapshot(m, T0));
	ok(b.data != NULL && exposition_valid(b.data), "the text is lines of the 0.0.4 format");
	ok(strstr(b.data, "# TYPE twhook_requests_total counter\n"
	    "twhook_requests_total{endpoint=\"crm\",status=\"200\"} 4\n") != NULL &&
	    strstr(b.data, "twhook_requests_total{endpoint=\"crm\",status=\"500\"} 1\n") != NULL,
	    "requests by endpoint and status, after their HELP and TYPE");
	ok(strstr(b.data, "twhook_requests_total{endpoint=\"outgoing\"") == NULL,
	    "no sample for a status never answered");
	ok(strstr(b.data, "# TYPE twhook_request_duration_seconds histogram\n") != NULL &&
	    strstr(b.data, "_bucket{endpoint=\"crm\",le=\"0.001\"} 6\n") != NULL &&
	    strstr(b.data, "_bucket{endpoint=\"crm\",le=\"0.0025\"} 6\n") != NULL &&
	    strstr(b.data, "_bucket{endpoint=\"crm\",le=\"0.005\"} 7\n") != NULL &&
	    strstr(b.data, "_bucket{endpoint=\"crm\",le=\"+Inf\"} 7\n") != NULL &&
	    strstr(b.data, "_sum{endpoint=\"crm\"} 0.007600\n") != NULL &&
	    strstr(b.data, "_count{endpoint=\"crm\"} 7\n") != NULL,
	    "the latency histogram: cumulative buckets, sum in seconds, count");
	ok(strstr(b.data, "_bucket{endpoint=\"routing\",le=\"10\"} 1\n") != NULL &&
	    strstr(b.data, "_bucket{endpoint=\"routing\",le=\"+Inf\"} 2\n") != NULL,
	    "a request past 10 s only in +Inf");
	ok(strstr(b.data, "twhook_signature_failures_total{endpoint=\"crm\"} 1\n") != NULL &&
	    strstr(b.data, "twhook_signature_failures_total{endpoint=\"call-notify\"} 0\n") != NULL,
	    "signature failures for every endpoint");
	ok(strstr(b.data, "twhook_dispatch_attempts_total{outcome=\"ok\"} 2\n"
	    "twhook_dispatch_attempts_total{outcome=\"failed\"} 1\n") != NULL &&
	    strstr(b.data, "# TYPE twhook_dispatch_last_success_timestamp_seconds gauge\n"
	    "twhook_dispatch_last_success_timestamp_seconds 1700001005\n") != NULL,
	    "the dispatcher's attempts and its last success");
	twh_buf_free(&b);
}

/*
 * CHILDREN processes open the missing file at once; once all have, this one counts first at T0
 * (so that no slot is reset meanwhile, which would leave a few requests out of the windows),
 * and they count EACH requests and attempts.
 */
static void
test_concurrent(void)
{
	struct twh_metrics_snapshot	*s;
	struct twh_metrics_window	 hour, day;
	struct twh_conf			 conf;
	struct twh_metrics		*m;
	const struct twh_metrics_endpoint *crm, *templates;
	char				 fresh[400], c;
	int				 i, k, status, opened[2], go[2], healthy = 0, ready = 0;
	pid_t				 pid;

	snprintf(fresh, sizeof(fresh), "%s/concurrent", scratch);
	conf = conf_in(fresh);
	if (pipe(opened) == -1 || pipe(go) == -1)
		exit(2);
	for (i = 0; i < CHILDREN; i++) {
		if ((pid = fork()) == -1)
			exit(2);
		if (pid != 0)
			continue;
		close(opened[0]);
		close(go[1]);
		m = twh_metrics_open(&conf, true);
		c = m != NULL ? 'y' : 'n';
		if (write(opened[1], &c, 1) != 1 || close(opened[1]) == -1 || m == NULL ||
		    read(go[0], &c, 1) != 0)
			_exit(1);
		for (k = 0; k < EACH; k++) {
			twh_metrics_record(m, k % 2 ? "crm" : "templates", k % 3 ? 200 : 403,
			    k % 3 == 0, 2, T0);
			twh_metrics_dispatch(m, k % 5 != 0, T0);
		}
		twh_metrics_close(m);
		_exit(0);
	}
	close(opened[1]);
	close(go[0]);
	while (read(opened[0], &c, 1) == 1)
		ready += c == 'y';
	m = twh_metrics_open(&conf, true);
	ok(ready == CHILDREN && m != NULL, "%d processes opened the missing file at once", CHILDREN);
	/* Claiming both endpoints' slots, which the children would race to reset. */
	twh_metrics_record(m, "crm", 200, false, 2, T0);
	twh_metrics_record(m, "templates", 200, false, 2, T0);
	close(go[1]);
	for (i = 0; i < CHILDREN; i++)
		if (wait(&status) != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
			healthy++;
	ok(healthy == CHILDREN, "and counted");
	s = snapshot(m, T0);
	crm = &s->c.endpoints[twh_metrics_endpoint_index("crm")];
	templates = &s->c.endpoints[twh_metrics_endpoint_index("templates")];
	ok(crm->status[100] + crm->status[303] == (uint64_t)CHILDREN * EACH / 2 + 1 &&
	    templates->status[100] + templates->status[303] == (uint64_t)CHILDREN * EACH / 2 + 1,
	    "every request counted, in the same file: %" PRIu64 " + %" PRIu64 " + %" PRIu64
	    " + %" PRIu64, crm->status[100], crm->status[303], templates->status[100],
	    templates->status[303]);
	ok(crm->status[303] + templates->status[303] == (uint64_t)CHILDREN * ((EACH + 2) / 3) &&
	    crm->sig_failures + templates->sig_failures == (uint64_t)CHILDREN * ((EACH + 2) / 3) &&
	    crm->buckets[1] + templates->buckets[1] == (uint64_t)CHILDREN * EACH + 2,
	    "by status, signature and latency");
	ok(s->c.dispatch_ok == (uint64_t)CHILDREN * (EACH - EACH / 5) &&
	    s->c.dispatch_failed == (uint64_t)CHILDREN * (EACH / 5), "every attempt counted");
	twh_metrics_window(s, NULL, 3600, &hour);
	twh_metrics_window(s, NULL, 86400, &day);
	ok(hour.requests == (uint64_t)CHILDREN * EACH + 2 &&
	    day.requests == (uint64_t)CHILDREN * EACH + 2,
	    "and in the windows: %" PRIu64 " in the hour, %" PRIu64 " in the day", hour.requests,
	    day.requests);
	twh_metrics_close(m);
}

int
main(void)
{
	struct twh_conf		 conf;
	struct twh_metrics	*m;
	char			 cmd[400];

	if (mkdtemp(scratch) == NULL)
		return 2;
	snprintf(dir, sizeof(dir), "%s/store.db-deliveries", scratch);
	snprintf(path, sizeof(path), "%s/%s", dir, TWH_METRICS_FILE);
	test_file();
	unlink(path);
	conf = conf_in(dir);
	m = twh_metrics_open(&conf, true);
	test_counting(m);
	test_windows(m);
	test_quantiles();
	test_prometheus(m);
	twh_metrics_close(m);
	test_concurrent();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", scratch);
	return done_testing();
}
