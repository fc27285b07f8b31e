/*
 * twh_serve_later.c: work a FastCGI process leaves until no request waits for it.  An endpoint
 * that allows it (twh_serve_allow_later) may hold a request's answer (twh_serve_hold, in
 * twh_fcgi.c) and register a function (twh_serve_later) that the serving loop runs before it
 * would wait for the next request: at once when none is waiting, else after the ones waiting,
 * whose handlers may add to the same work; that function sends the answers held.  Writes done
 * that way share one transaction under load, and each is done alone otherwise.
 *
 * To know that none waits, the process polls its listening socket (fd 0) before each accept,
 * and the socket is non-blocking: with several processes on one socket, another may accept the
 * connection between the poll and the accept, which must then come back (EAGAIN) rather than
 * block with the work still undone.  SIGTERM, SIGINT, SIGHUP and SIGUSR1 are held while a
 * request is served and taken only in the poll, so a stop does its work first and ends the
 * process cleanly.
 */
#define _GNU_SOURCE	/* ppoll */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "twh_serve.h"
#include "twh_serve_later.h"

static bool			 allowed;
static bool			 active;	/* set up: serving FastCGI */
static volatile sig_atomic_t	 stop_signal;
static sigset_t			 while_waiting;	/* the mask ppoll takes the stop signals in */
static twh_later_fn		*later_fn;
static void			*later_arg;

/* SIGUSR1 is libfcgi's own graceful stop, which its accept would otherwise wait out. */
static const int	 stop_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };

static void
note_stop(int signo)
{
	stop_signal = signo;
}

void
twh_serve_allow_later(void)
{
	allowed = true;
}

void
twh_serve_later(twh_later_fn *fn, void *arg)
{
	later_fn = fn;
	later_arg = arg;
}

/* Whether another request waits on the listening socket (never in a CGI run). */
bool
twh_serve_request_waiting(void)
{
	struct pollfd	 pfd = { STDIN_FILENO, POLLIN, 0 };

	return active && poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

bool
twh_serve_later_allowed(void)
{
	return allowed;
}

/* Runs the work left for later, if any. */
void
twh_serve_later_run(void)
{
	twh_later_fn	*fn = later_fn;

	later_fn = NULL;
	if (fn != NULL)
		fn(later_arg);
}

/* The socket made non-blocking and the stop signals held; -1 if either cannot be. */
int
twh_serve_later_setup(void)
{
	struct sigaction	 sa;
	sigset_t		 held;
	size_t			 i;
	int			 flags;

	if ((flags = fcntl(STDIN_FILENO, F_GETFL)) == -1 ||
	    fcntl(STDIN_FILENO, F_SETFL, flags | O_NONBLOCK) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = note_stop;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&held);
	for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++) {
		sigaddset(&held, stop_signals[i]);
		if (sigaction(stop_signals[i], &sa, NULL) == -1)
			return -1;
	}
	if (sigprocmask(SIG_BLOCK, &held, &while_waiting) == -1)
		return -1;
	for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		sigdelset(&while_waiting, stop_signals[i]);
	active = true;
	return 0;
}

/*
 * Waits until FD can be read: the listening socket (a connection to accept), or a connection
 * the web server keeps (its next request).  True then, false on a stop signal (or a failed
 * poll).  The work left for later is done first when nothing is waiting already.
 */
bool
twh_serve_later_wait(int fd)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	struct timespec	 now = { 0, 0 };
	int		 n;

	for (;;) {
		if (stop_signal != 0)
			return false;
		n = ppoll(&pfd, 1, later_fn != NULL ? &now : NULL, &while_waiting);
		if (n == 1)
			return true;
		if (n == 0)
			twh_serve_later_run();
		else if (errno != EINTR)
			return false;
	}
}
