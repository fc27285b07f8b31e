/*
 * cmd_dispatch.c: `twhook dispatch [--once]` delivers the outbox.  It leases a job (its name
 * and an expiry, committed before the attempt), attempts it, and writes the outcome if the
 * lease is still its own; a job whose lease expired, its dispatcher dead mid-attempt, is
 * attempted again, and the REST calls and pushes are safe to repeat (see twh_deliver.c).
 * With SQLite one dispatcher runs per store (an flock on STORE.dispatch.lock), so a job found
 * mid-attempt at start was its predecessor's and is retried at once; with PostgreSQL one runs
 * on each machine, and leases keep them apart.
 *
 * Between jobs it sleeps in poll(2) on the store's watch (twh_store_watch): with SQLite an
 * inotify watch of the store's directory, where endpoints touch STORE.wake after committing
 * work, and where any other change (a WAL write, which can come before its commit is visible,
 * say from the sqlite3 shell) brings a look at once and more looks after it, RECHECK_S later
 * and then each RECHECK_FACTOR times later than the one before, up to RECHECK_LAST_S; with
 * PostgreSQL a LISTEN that the outbox's trigger NOTIFYs.  The only timers are the next retry
 * and an idle look every IDLE_WAKE_S.  --once delivers what is due now and exits.  Both prune
 * the store of what it keeps no longer (prune_when_due): at start, and hourly while running.
 *
 * The endpoints queue the jobs (twh_outbox.c); the delivery code (twh_deliver.c, twh_push.c,
 * the transports, the HTTP client) is libtwhook_dispatch.a, which only this tool links.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "twh_clock.h"
#include "twh_deliver.h"
#include "twh_diag.h"
#include "twh_http_client.h"
#include "twh_metrics.h"
#include "twh_push.h"
#include "twh_sandbox.h"
#include "twhook.h"

#define REST_TIMEOUT_MS	20000
#define LEASE_S		(REST_TIMEOUT_MS / 1000.0 + 10.0)
#define IDLE_WAKE_S	60.0
#define BUSY_PAUSE_S	1.0
#define RECHECK_S	0.02
#define RECHECK_FACTOR	5.0
#define RECHECK_LAST_S	2.5
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

/*
 * Sleeps until the store may have new work (STORE null: no watch), SECONDS pass, or a signal
 * arrives; true for a wake.  Without a watch it looks again within a second.
 */
static bool
wait_for_work(struct twh_store *store, double seconds)
{
	struct pollfd	 pfd = { store != NULL ? twh_store_watch(store) : -1, POLLIN, 0 };
	int		 ms = seconds <= 0 ? 0 : seconds > IDLE_WAKE_S ? (int)(IDLE_WAKE_S * 1000) :
			    (int)(seconds * 1000) + 1;

	if (pfd.fd == -1 && ms > 1000)
		ms = 1000;
	if (poll(&pfd, 1, ms) <= 0)
		return false;
	twh_store_watch_drain(store);
	return true;
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

/*
 * Delivers the jobs due now, one lease at a time (a lease outlives the longest attempt, so it
 * covers one job, not a batch); a retry that falls due meanwhile waits for the next look.
 * Each attempt's outcome goes to the machine's TOTALS.  -1 when the store failed.
 */
static int
deliver_due(struct twh_store *store, struct twh_delivery *d, const char *owner,
    struct twh_metrics *totals)
{
	struct twh_job	*job;
	size_t		 n;
	double		 started, due_by = twh_now();
	int		 rc = TWH_STORE_OK;

	while (!stopping) {
		started = twh_now();
		if (twh_store_jobs_lease(store, owner, due_by, started, LEASE_S, 1, &job, &n) !=
		    TWH_STORE_OK)
			return -1;
		if (n == 0)
			break;
		twh_deliver_job(d, job);
		twh_metrics_dispatch(totals, job->state == TWH_JOB_DONE, (time_t)twh_now());
		if ((rc = twh_store_job_update(store, owner, job)) == TWH_STORE_NOT_FOUND)
			twh_warn("job %lld %s: its lease expired during the attempt, so another "
			    "dispatcher may repeat it", job->job_id, job->kind);
		else if (rc == TWH_STORE_OK)
			log_outcome(job, started);
		twh_jobs_free(job, n);
		if (rc == TWH_STORE_ERROR)
			return -1;
	}
	return 0;
}

/*
 * This dispatcher's name in the leases it holds: the machine and the process.  Dispatchers on
 * other machines must not take a job this one is attempting, nor write its outcome.
 */
static void
lease_owner(char *owner, size_t len)
{
	char	 host[256];

	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	snprintf(owner, len, "%s:%ld", host, (long)getpid());
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

/*
 * Confines the dispatcher (twh_sandbox.h) once it holds what it keeps open (the store, its lock
 * and watch) and has read its keys: outbound connections go to the ports of the configured URLs
 * and of the push services' (FCM's token URL comes from its key file).
 */
static int
confine(const struct twh_conf *conf, const struct twh_delivery *d, char *err, size_t errlen)
{
	struct twh_sandbox_extra	 extra;

	extra.n_urls = twh_push_urls(d->push, extra.urls, sizeof(extra.urls) /
	    sizeof(extra.urls[0]));
	return twh_sandbox_enter(conf, TWH_SANDBOX_DISPATCHER, &extra, false, err, errlen);
}

static int
run(struct twh_conf *conf, struct twh_store *store, bool once)
{
	struct twh_delivery	 d = { conf, NULL, store, NULL };
	struct twh_metrics	*totals;
	double			 next, wait_s, last_prune = 0;
	double			 recheck_s = 0;	/* when to look again after a wake; 0: no need */
	int			 interrupted, rc, failed = 0;
	char			 err[512], owner[300];

	if ((d.push = twh_push_open(conf, err, sizeof(err))) == NULL) {
		fprintf(stderr, "twhook: %s\n", err);
		return 1;
	}
	if ((d.http = twh_http_client_new(REST_TIMEOUT_MS, conf->ca_file)) == NULL) {
		twh_err("cannot set up libcurl");
		twh_push_close(d.push);
		return 1;
	}
	lease_owner(owner, sizeof(owner));
	totals = twh_metrics_open(conf, true);
	/*
	 * With SQLite this is the store's only dispatcher (its lock says so): a job left
	 * mid-attempt was its predecessor's, retried at once.  With PostgreSQL others may be
	 * attempting theirs: a dead dispatcher's lease expires instead.
	 */
	if (!twh_store_is_postgres(store) &&
	    twh_store_jobs_interrupted(store, NULL, twh_now(), &interrupted) == TWH_STORE_OK &&
	    interrupted > 0)
		twh_warn("%d job%s interrupted by a dispatcher that stopped: retrying %s",
		    interrupted, interrupted == 1 ? " was" : "s were",
		    interrupted == 1 ? "it" : "them");
	if (!once && twh_store_watch(store) == -1)
		twh_warn("cannot watch the store for new jobs (%s); checking once a second",
		    strerror(errno));
	if (confine(conf, &d, err, sizeof(err)) == -1) {
		twh_err("%s: cannot confine the dispatcher: %s (sandbox = off in that file runs it "
		    "unconfined)", conf->path, err);
		twh_metrics_close(totals);
		twh_http_client_free(d.http);
		twh_push_close(d.push);
		return 1;
	}
	while (!stopping) {
		if (deliver_due(store, &d, owner, totals) == -1) {
			failed = 1;
			twh_err("%s", twh_store_error(store));
			if (once)
				break;
			wait_for_work(NULL, BUSY_PAUSE_S);
			/* A job whose outcome could not be written goes back in line. */
			twh_store_jobs_interrupted(store, owner, twh_now(), &interrupted);
			continue;
		}
		prune_when_due(conf, store, &last_prune);
		if (once)
			break;
		rc = twh_store_next_due(store, &next);
		wait_s = rc == TWH_STORE_OK ? next - twh_now() : IDLE_WAKE_S;
		if (recheck_s > 0 && wait_s > recheck_s)
			wait_s = recheck_s;
		if (wait_for_work(store, wait_s))
			recheck_s = RECHECK_S;
		else if (recheck_s > 0)
			recheck_s = recheck_s * RECHECK_FACTOR <= RECHECK_LAST_S ?
			    recheck_s * RECHECK_FACTOR : 0;
	}
	twh_metrics_close(totals);
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
	int			 ch, lock = -1, rc;

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
	if (!twh_store_is_postgres(store) && (lock = lock_store(conf->database)) == -1) {
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
	if (lock != -1)
		close(lock);
	return rc;
}
