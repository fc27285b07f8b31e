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

static int
serve_fastcgi(twh_exchange_fn *fn, void *arg)
{
	FCGX_Request	 req;
	struct twh_io	 io = { &req, fcgi_getenv, fcgi_read, fcgi_write, fcgi_finish };
	bool		 unix_socket = twh_fcgi_unix_socket();

	/* A client that hangs up must cost one failed write, not the process. */
	signal(SIGPIPE, SIG_IGN);
	if (FCGX_InitRequest(&req, 0, 0) != 0)
		return -1;
	while (FCGX_Accept_r(&req) >= 0) {
		fn(arg, &io);
		twh_fcgi_choose_close(&req, unix_socket);
		FCGX_Finish_r(&req);
	}
	FCGX_Free(&req, 1);
	return 0;
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
	return 0;
}
