/*
 * twh_prefork.c: TWHOOK_PROCESSES=N, for an endpoint that is handed its listening socket and
 * runs alone on it (a systemd socket unit, spawn-fcgi).  The process started becomes the
 * supervisor of N processes that accept on the socket it was given, each opening the store and
 * confining itself as a lone endpoint would: it starts another when one ends, a second later
 * when that one lived less than a second (a store or a configuration that makes every process
 * fail must not make them spin), and on SIGTERM, SIGINT or SIGHUP ends them all and exits.  It
 * reads no request and opens no store, and stays unconfined: a filter or ruleset of its own would
 * be inherited by every process it starts.  A web server that starts several processes itself
 * (lighttpd's max-procs, mod_fcgid) needs none of this, and a plain CGI run ignores the variable.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "twh_clock.h"
#include "twh_diag.h"
#include "twh_prefork.h"
#include "twh_serve.h"

#define MOST_PROCESSES	64
#define SHORT_LIFE_MS	1000	/* a process that ends sooner is started again a second later */

static struct {
	pid_t		 pid[MOST_PROCESSES];
	double		 started_ms[MOST_PROCESSES];
	int		 n;
	sigset_t	 waited;	/* the signals the supervisor takes with sigwaitinfo */
	sigset_t	 old_mask;
} sup;

/* The count TWHOOK_PROCESSES asks for: 1 when unset, -1 when it is not a count. */
static int
processes_wanted(const char *value)
{
	char	*end;
	long	 n;

	if (value == NULL || *value == '\0')
		return 1;
	errno = 0;
	n = strtol(value, &end, 10);
	if (errno != 0 || *end != '\0' || n < 1 || n > MOST_PROCESSES)
		return -1;
	return (int)n;
}

/*
 * Starts the process of SLOT: 0 in it (its signals as they were, and SIGTERM when the
 * supervisor dies), its pid in the supervisor, -1 when fork fails.
 */
static pid_t
start(int slot)
{
	pid_t	 pid;

	if ((pid = fork()) == -1) {
		twh_err("cannot start a process: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		sigprocmask(SIG_SETMASK, &sup.old_mask, NULL);
		return 0;
	}
	sup.pid[slot] = pid;
	sup.started_ms[slot] = twh_monotonic_ms();
	return pid;
}

static int
slot_of(pid_t pid)
{
	int	 i;

	for (i = 0; i < sup.n; i++)
		if (sup.pid[i] == pid)
			return i;
	return -1;
}

static void
say_ended(pid_t pid, int status)
{
	if (WIFEXITED(status))
		twh_warn("process %ld exited with status %d: starting another", (long)pid,
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		twh_warn("process %ld was killed by signal %d: starting another", (long)pid,
		    WTERMSIG(status));
}

/* Ends every process and waits for them. */
static void
stop_all(void)
{
	int	 i, status;

	for (i = 0; i < sup.n; i++)
		if (sup.pid[i] > 0)
			kill(sup.pid[i], SIGTERM);
	for (i = 0; i < sup.n; i++)
		if (sup.pid[i] > 0)
			while (waitpid(sup.pid[i], &status, 0) == -1 && errno == EINTR)
				;
}

/*
 * Reaps the processes that ended and starts others in their place: 1 in a process started, 0
 * in the supervisor.
 */
static int
replace_ended(void)
{
	struct timespec	 pause = { 1, 0 };
	pid_t		 pid;
	int		 slot, status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((slot = slot_of(pid)) == -1)
			continue;
		say_ended(pid, status);
		if (twh_monotonic_ms() - sup.started_ms[slot] < SHORT_LIFE_MS)
			nanosleep(&pause, NULL);
		sup.pid[slot] = 0;
		if (start(slot) == 0)
			return 1;
		/* A fork that failed leaves the slot empty, said in the log: the others go on. */
	}
	return 0;
}

/* The supervisor's loop: returns 1 in a process it started, exits itself when told to. */
static int
supervise(void)
{
	siginfo_t	 info;
	int		 sig;

	for (;;) {
		if ((sig = sigwaitinfo(&sup.waited, &info)) == -1) {
			if (errno == EINTR)
				continue;
			twh_err("sigwaitinfo: %s: ending the processes", strerror(errno));
			stop_all();
			exit(1);
		}
		if (sig != SIGCHLD) {
			twh_info("signal %d: ending the %d processes", sig, sup.n);
			stop_all();
			exit(0);
		}
		if (replace_ended())
			return 1;
	}
}

int
twh_prefork(char *err, size_t errlen)
{
	const char	*value = getenv("TWHOOK_PROCESSES");
	int		 n = processes_wanted(value), i;

	if (n == -1) {
		snprintf(err, errlen, "TWHOOK_PROCESSES=%s: expected a number of processes from 1 "
		    "to %d", value, MOST_PROCESSES);
		return -1;
	}
	if (n == 1 || twh_serve_is_cgi())
		return 0;
	sigemptyset(&sup.waited);
	sigaddset(&sup.waited, SIGCHLD);
	sigaddset(&sup.waited, SIGTERM);
	sigaddset(&sup.waited, SIGINT);
	sigaddset(&sup.waited, SIGHUP);
	sigprocmask(SIG_BLOCK, &sup.waited, &sup.old_mask);
	sup.n = n;
	for (i = 0; i < n; i++)
		if (start(i) == 0)
			return 0;
	twh_info("supervising %d processes on the listening socket", n);
	supervise();
	return 0;
}
