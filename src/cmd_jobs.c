/*
 * cmd_jobs.c: `twhook jobs [--state STATE] [--limit N]` lists the outbox, newest first: each
 * job's number, state, attempts, kind, last change, last HTTP status and key, and for a job that
 * failed, the reason on a second line.  `twhook jobs --retry ID` puts a dead job back in line.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "twh_clock.h"
#include "twh_store.h"
#include "twhook.h"

static void
print_job(const struct twh_job *j)
{
	char		 when[32], status[16] = "-";
	time_t		 t = (time_t)j->updated_at;
	struct tm	 tm;

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
	if (j->last_status != 0)
		snprintf(status, sizeof(status), "%d", j->last_status);
	printf("%-6lld %-10s %5d  %-18s %s  %4s  %s\n", j->job_id, twh_job_state_name(j->state),
	    j->attempts, j->kind, when, status, j->idempotency_key);
	if (j->last_error != NULL && j->state != TWH_JOB_DONE)
		printf("       %s\n", j->last_error);
}

/* Puts the dead job ID back in line: 0, or 1 when it is no dead job or the store failed. */
static int
retry_job(struct twh_store *store, long long id)
{
	switch (twh_store_job_retry(store, id, twh_now())) {
	case TWH_STORE_OK:
		printf("job %lld queued again\n", id);
		return 0;
	case TWH_STORE_NOT_FOUND:
		fprintf(stderr, "twhook: no dead job %lld (only a dead job can be retried)\n", id);
		return 1;
	default:
		fprintf(stderr, "twhook: %s\n", twh_store_error(store));
		return 1;
	}
}

int
cmd_jobs(struct twh_conf *conf, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'l' },
		{ "retry", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	enum twh_job_state	 state;
	struct twh_store	*store;
	struct twh_job		*jobs;
	const char		*state_name = NULL;
	char			 err[512], *end;
	long			 limit = 50;
	long long		 retry = 0;
	size_t			 n, i;
	int			 ch, rc;

	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1)
		switch (ch) {
		case 's':
			state_name = optarg;
			if (twh_job_state_parse(optarg, &state) == -1) {
				fprintf(stderr, "twhook: no job state '%s' (queued, retrying, "
				    "delivering, done, dead)\n", optarg);
				return 2;
			}
			break;
		case 'l':
			limit = strtol(optarg, &end, 10);
			if (*end != '\0' || limit < 1)
				return twhook_usage("jobs");
			break;
		case 'r':
			retry = strtoll(optarg, &end, 10);
			if (*optarg < '1' || *optarg > '9' || *end != '\0')
				return twhook_usage("jobs");
			break;
		default:
			return twhook_usage("jobs");
		}
	if (optind != argc || (retry != 0 && state_name != NULL))
		return twhook_usage("jobs");
	if (twh_store_open(conf->database, &store, err, sizeof(err)) == -1) {
		fprintf(stderr, "twhook: %s\n", err);
		return 1;
	}
	if (retry != 0) {
		rc = retry_job(store, retry);
		twh_store_close(store);
		return rc;
	}
	if (twh_store_jobs_list(store, state_name, (size_t)limit, &jobs, &n) != TWH_STORE_OK) {
		fprintf(stderr, "twhook: %s\n", twh_store_error(store));
		twh_store_close(store);
		return 1;
	}
	printf("%-6s %-10s %5s  %-18s %-19s  %4s  %s\n", "JOB", "STATE", "TRIES", "KIND",
	    "UPDATED", "HTTP", "KEY");
	for (i = 0; i < n; i++)
		print_job(&jobs[i]);
	twh_jobs_free(jobs, n);
	twh_store_close(store);
	return 0;
}
