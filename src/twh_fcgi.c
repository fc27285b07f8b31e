/*
 * twh_fcgi.c: the only user of libfcgi's fcgiapp.h.  When fd 0 is a listening socket (lighttpd
 * bin-path, mod_fcgid, spawn-fcgi, a systemd socket unit) it accepts FastCGI requests until the
 * server closes the socket; otherwise it is a plain CGI run that serves the one request in its
 * environment and standard input.  Either way each request becomes a struct twh_io, and the
 * endpoint's code cannot tell which it was given.  (fcgi_stdio.h is never used: it redefines
 * FILE and printf behind OpenSSL's back.)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "twh_fcgi_close.h"
#include "twh_serve.h"
#include "twh_serve_later.h"

static const char *
cgi_getenv(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

static ssize_t
cgi_read(void *ctx, char *buf, size_t len)
{
	ssize_t	 n;

	(void)ctx;
	do
		n = read(STDIN_FILENO, buf, len);
	while (n == -1 && errno == EINTR);
	return n;
}

static int
cgi_write(void *ctx, const char *buf, size_t len)
{
	(void)ctx;
	return fwrite(buf, 1, len, stdout) == len && fflush(stdout) == 0 ? 0 : -1;
}

static const char *
fcgi_getenv(void *ctx, const char *name)
{
	return FCGX_GetParam(name, ((FCGX_Request *)ctx)->envp);
}

static ssize_t
fcgi_read(void *ctx, char *buf, size_t len)
{
	int	 n = FCGX_GetStr(buf, len > 65536 ? 65536 : (int)len, ((FCGX_Request *)ctx)->in);

	return n < 0 ? -1 : n;
}

static int
fcgi_write(void *ctx, const char *buf, size_t len)
{
	FCGX_Stream	*out = ((FCGX_Request *)ctx)->out;
	int		 n;

	while (len > 0) {
		n = FCGX_PutStr(buf, len > 65536 ? 65536 : (int)len, out);
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Ends the FastCGI request (FCGI_END_REQUEST goes with the last close) while keeping its
 * parameters, which FCGX_Finish_r frees: closing the streams again there does nothing. */
static void
fcgi_finish(void *ctx)
{
	FCGX_FClose(((FCGX_Request *)ctx)->err);
	FCGX_FClose(((FCGX_Request *)ctx)->out);
}

/*
 * A request with its connection.  The endpoint may keep it open after its exchange function
 * returns (twh_serve_hold), to answer it once the work it waits for is done (a commit shared
 * with the requests behind it), and then ends it with twh_serve_release.
 */
struct fcgi_exchange {
	FCGX_Request	 req;		/* first: the twh_io's context is its address */
	struct twh_io	 io;
	bool		 held;
};

static bool	 unix_socket;

static struct fcgi_exchange *
exchange_new(void)
{
	struct fcgi_exchange	*x;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	if (FCGX_InitRequest(&x->req, 0, 0) != 0) {
		free(x);
		return NULL;
	}
	x->io = (struct twh_io){ &x->req, fcgi_getenv, fcgi_read, fcgi_write, fcgi_finish };
	return x;
}

static void
exchange_end(struct fcgi_exchange *x)
{
	twh_fcgi_choose_close(&x->req, unix_socket);
	FCGX_Finish_r(&x->req);
}

/*
 * Keeps IO's request open once the exchange function returns; false when it cannot be: under
 * CGI, and on a connection the web server keeps for its next request (FCGI_KEEP_CONN), whose
 * next request cannot come before this one's answer.
 */
bool
twh_serve_hold(const struct twh_io *io)
{
	if (io->ctx == NULL || !twh_serve_later_allowed() ||
	    ((struct fcgi_exchange *)io->ctx)->req.keepConnection)
		return false;
	((struct fcgi_exchange *)io->ctx)->held = true;
	return true;
}

/* Ends a request kept open by twh_serve_hold, whose answer has been written. */
void
twh_serve_release(const struct twh_io *io)
{
	struct fcgi_exchange	*x = io->ctx;

	exchange_end(x);
	FCGX_Free(&x->req, 1);
	free(x);
}

static int
serve_fastcgi(twh_exchange_fn *fn, void *arg)
{
	struct fcgi_exchange	*x = NULL;
	bool			 later = twh_serve_later_allowed();
	bool			 failed = false;
	int			 rc;

	unix_socket = twh_fcgi_unix_socket();
	/* A client that hangs up must cost one failed write, not the process. */
	signal(SIGPIPE, SIG_IGN);
	if (later && twh_serve_later_setup() == -1)
		return -1;
	for (;;) {
		/*
		 * With work left for later, the socket is polled first, and that work done there;
		 * or the connection the web server kept, which brings its next request itself.
		 */
		if (later && !twh_serve_later_wait(x != NULL && x->req.ipcFd >= 0 ?
		    x->req.ipcFd : STDIN_FILENO))
			break;
		if (x == NULL && (x = exchange_new()) == NULL) {
			failed = true;
			break;
		}
		if ((rc = FCGX_Accept_r(&x->req)) < 0) {
			if (later && rc == -EAGAIN)
				continue;	/* another process on the socket took it */
			break;
		}
		fn(arg, &x->io);
		if (x->held)
			x = NULL;	/* the endpoint ends it */
		else
			exchange_end(x);
	}
	twh_serve_later_run();
	if (x != NULL) {
		FCGX_Free(&x->req, 1);
		free(x);
	}
	return failed ? -1 : 0;
}

/* Whether this run is a plain CGI one, which serves one request (FastCGI serves many). */
bool
twh_serve_is_cgi(void)
{
	return FCGX_Init() != 0 || FCGX_IsCGI();
}

/* Serves requests with FN until there are no more: one under CGI, many under FastCGI. */
int
twh_serve(twh_exchange_fn *fn, void *arg)
{
	static const struct twh_io cgi = { NULL, cgi_getenv, cgi_read, cgi_write, NULL };

	if (FCGX_Init() != 0)
		return -1;
	if (!FCGX_IsCGI())
		return serve_fastcgi(fn, arg);
	fn(arg, &cgi);
	twh_serve_later_run();
	return 0;
}
