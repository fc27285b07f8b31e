/*
 * cmd_dispatch.c: `twhook dispatch [--once]` delivers the outbox.  One dispatcher runs per store
 * (an flock on STORE.dispatch.lock), so a job found mid-attempt at start was interrupted by a
 * crash and is retried; the REST calls are safe to repeat (see twh_deliver.c).  Between jobs it
 * sleeps in poll(2) on an inotify watch of the store's directory: endpoints touch STORE.wake
 * after committing work, so a new job is picked up at once without polling the disk.  Any other
 * change there (a WAL write, which can come before its commit is visible, say from the sqlite3
 * shell) brings a look at once and another RECHECK_S later.  The only timers are the next retry
 * and an idle look every IDLE_WAKE_S.  --once delivers what is due now and exits.  Both prune
 * the store of what it keeps no longer (prune_when_due): at start, and hourly while running.
 *
 * The endpoints queue the jobs (twh_outbox.c); the delivery code (twh_deliver.c, twh_push.c,
 * the transports, the HTTP client) is libtwhook_dispatch.a, which only this tool links.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "twh_clock.h"
#include "twh_deliver.h"
#include "twh_diag.h"
#include "twh_http_client.h"
#include "twh_push.h"
#include "twhook.h"

#define BATCH		16
#define REST_TIMEOUT_MS	20000
#define IDLE_WAKE_S	60.0
#define BUSY_PAUSE_S	1.0
#define RECHECK_S	0.02
#define PRUNE_EVERY_S	3600.0
#define CLAIMS_KEPT_S	(7 * 86400.0)
#define JOBS_KEPT_S	(30 * 86400.0)

static volatile sig_atomic_t	 stopping;

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/* Takes the store's dispatcher lock; -1 when another dispatcher holds it. */
static int
lock_store(const char *database)
{
	char	 path[4096];
	int	 fd;

	snprintf(path, sizeof(path), "%s.dispatch.lock", database);
	/* Read-only is enough for flock(2), so whoever made the file, any user can take it. */
	if ((fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644)) == -1) {
		twh_err("%s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		twh_err("another twhook dispatch is running for %s (it holds %s)", database, path);
		close(fd);
		return -1;
	}
	return fd;
}

/* An inotify descriptor watching the store's directory, or -1 (then we wake by timer only). */
static int
watch_store(const char *database)
{
	char	*copy = strdup(database);
	int	 fd = -1;

	if (copy != NULL && (fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) != -1 &&
	    inotify_add_watch(fd, dirname(copy), IN_ATTRIB | IN_MODIFY | IN_CREATE | IN_MOVED_TO) ==
	    -1) {
		close(fd);
		fd = -1;
	}
	if (fd == -1)
		twh_warn("cannot watch %s for new jobs: %s; checking once a second", database,
		    strerror(errno));
	free(copy);
	return fd;
}

/* Sleeps until the store changes, SECONDS pass, or a signal arrives; true for a change. */
static bool
wait_for_work(int inotify_fd, double seconds)
{
	struct pollfd	 pfd = { inotify_fd, POLLIN, 0 };
	char		 events[4096];
	bool		 changed = false;
	int		 ms = seconds <= 0 ? 0 : seconds > IDLE_WAKE_S ? (int)(IDLE_WAKE_S * 1000) :
			    (int)(seconds * 1000) + 1;

	if (inotify_fd == -1) {
		pfd.fd = -1;
		if (ms > 1000)
			ms = 1000;
	}
	if (poll(&pfd, 1, ms) > 0)
		while (read(inotify_fd, events, sizeof(events)) > 0)
			changed = true;
	return changed;
}

static void
log_outcome(const struct twh_job *job, double started)
{
	double	 ms = (twh_now() - started) * 1000;

	switch (job->state) {
	case TWH_JOB_DONE:
		twh_info("job %lld %s: done (HTTP %d, %.1f ms)", job->job_id, job->kind,
		    job->last_status, ms);
		break;
	case TWH_JOB_RETRYING:
		twh_warn("job %lld %s: attempt %d failed, retrying in %.1f s: %s", job->job_id,
		    job->kind, job->attempts, job->next_attempt_at - job->updated_at,
		    job->last_error);
		break;
	default:
		twh_err("job %lld %s: dead after %d attempt%s: %s", job->job_id, job->kind,
		    job->attempts, job->attempts == 1 ? "" : "s", job->last_error);
		break;
	}
}

/* Delivers the jobs due now, a batch at a time; -1 when the store failed. */
static int
deliver_due(struct twh_store *store, struct twh_delivery *d)
{
	struct twh_job	*jobs;
	size_t		 n, i;
	double		 started;

	do {
		if (twh_store_jobs_due(store, twh_now(), BATCH, &jobs, &n) != TWH_STORE_OK)
			return -1;
		for (i = 0; i < n && !stopping; i++) {
			started = twh_now();
			jobs[i].state = TWH_JOB_DELIVERING;
			jobs[i].updated_at = started;
			if (twh_store_job_update(store, &jobs[i]) != TWH_STORE_OK)
				break;
			twh_deliver_job(d, &jobs[i]);
			if (twh_store_job_update(store, &jobs[i]) != TWH_STORE_OK)
				break;
			log_outcome(&jobs[i], started);
		}
		twh_jobs_free(jobs, n);
		if (i < n && !stopping)
			return -1;
	} while (n == BATCH && !stopping);
	return 0;
}

/*
 * Deletes what is kept no longer (twh_store_prune): at the first call, then hourly, after the
 * jobs due are delivered.  An hour's rows go in milliseconds; months of Proxy records (the
 * first run after an upgrade, or proxy_records_days lowered) take seconds, in batches that let
 * the endpoints write, but no job is delivered meanwhile.
 */
static void
prune_when_due(const struct twh_conf *conf, struct twh_store *store, double *last_prune)
{
	struct twh_prune_cutoffs	 cutoffs;
	double				 now = twh_now();

	if (now - *last_prune <= PRUNE_EVERY_S)
		return;
	*last_prune = now;
	cutoffs.claims = now - CLAIMS_KEPT_S;
	cutoffs.jobs = now - JOBS_KEPT_S;
	/* 0 days keeps them for ever: no record is older than the epoch. */
	cutoffs.proxy_records = conf->proxy_records_days == 0 ? 0 :
	    now - conf->proxy_records_days * 86400.0;
	if (twh_store_prune(store, &cutoffs) != TWH_STORE_OK)
		twh_warn("pruning: %s", twh_store_error(store));
}

static int
run(struct twh_conf *conf, struct twh_store *store, bool once)
{
	struct twh_delivery	 d = { conf, NULL, store, NULL };
	double			 next, wait_s, last_prune = 0;
	bool			 recheck = false;
	int			 inotify_fd = -1, interrupted, rc, failed = 0;
	char			 err[512];

	if ((d.push = twh_push_open(conf, err, sizeof(err))) == NULL) {
		fprintf(stderr, "twhook: %s\n", err);
		return 1;
	}
	if ((d.http = twh_http_client_new(REST_TIMEOUT_MS, conf->ca_file)) == NULL) {
		twh_err("cannot set up libcurl");
		twh_push_close(d.push);
		return 1;
	}
	if (twh_store_jobs_interrupted(store, twh_now(), &interrupted) == TWH_STORE_OK &&
	    interrupted > 0)
		twh_warn("%d job(s) were interrupted by a dispatcher that stopped: retrying them",
		    interrupted);
	if (!once)
		inotify_fd = watch_store(conf->database);
	while (!stopping) {
		if (deliver_due(store, &d) == -1) {
			failed = 1;
			twh_err("%s: %s", conf->database, twh_store_error(store));
			if (once)
				break;
			wait_for_work(-1, BUSY_PAUSE_S);
			/* A job whose outcome could not be written goes back in line. */
			twh_store_jobs_interrupted(store, twh_now(), &interrupted);
			continue;
		}
		prune_when_due(conf, store, &last_prune);
		if (once)
			break;
		rc = twh_store_next_due(store, &next);
		wait_s = rc == TWH_STORE_OK ? next - twh_now() : IDLE_WAKE_S;
		if (recheck && wait_s > RECHECK_S)
			wait_s = RECHECK_S;
		recheck = wait_for_work(inotify_fd, wait_s);
	}
	if (inotify_fd != -1)
		close(inotify_fd);
	twh_http_client_free(d.http);
	twh_push_close(d.push);
	return once && failed ? 1 : 0;
}

int
cmd_dispatch(struct twh_conf *conf, int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	struct sigaction	 sa;
	struct twh_store	*store;
	char			 err[512];
	bool			 once = false;
	int			 ch, lock, rc;

	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1)
		if (ch == 'o')
			once = true;
		else
			return twhook_usage("dispatch");
	if (optind != argc)
		return twhook_usage("dispatch");
	if (conf->api_key_sid == NULL && (conf->account_sid == NULL || conf->n_auth_tokens == 0))
		twh_warn("%s: no account_sid and auth_token (nor api_key_sid and api_key_secret): "
		    "jobs that call Twilio's REST API will fail until they are set", conf->path);
	if (twh_store_open(conf->database, &store, err, sizeof(err)) == -1) {
		fprintf(stderr, "twhook: %s\n", err);
		return 1;
	}
	if ((lock = lock_store(conf->database)) == -1) {
		twh_store_close(store);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	srandom((unsigned)getpid() ^ (unsigned)twh_now());
	rc = run(conf, store, once);
	twh_store_close(store);
	close(lock);
	return rc;
}
