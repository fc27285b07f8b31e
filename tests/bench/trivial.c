/*
 * trivial.c: the baseline of the benchmarks in this folder.  A FastCGI responder that does only
 * what every endpoint must do (accept a request, read its body up to CONTENT_LENGTH, answer 200
 * with JSON), served by the same lighttpd as the endpoints, so that each scenario's figures can
 * be read against what lighttpd, mod_fastcgi and libfcgi cost by themselves.  Its answer is "{}";
 * with "bytes=N" as the query string it is a JSON object of N bytes instead ({"pad":"xx...x"}),
 * so that an endpoint with a large answer can be held against a baseline that sends as much.
 * Built with -DCLOSE_AT_ONCE and src/twh_fcgi_close.c it ends a connection as the endpoints do:
 * over a Unix socket at once when the request was read to its end, instead of libfcgi's
 * shutdown and wait for the web server to close first (tests/bench/README.md).  Not installed,
 * not a test.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include <fcgiapp.h>

#ifdef CLOSE_AT_ONCE
#include "twh_fcgi_close.h"
#endif

#define MAX_ANSWER	(1024 * 1024)

/* The answer of SIZE bytes: "{}" below 11, the padded object from there up. */
static int
sized_answer(char *out, long size)
{
	static const char	 open[] = "{\"pad\":\"", close[] = "\"}";
	long			 pad = size - (long)(sizeof(open) - 1) - (long)(sizeof(close) - 1);

	if (pad < 0) {
		memcpy(out, "{}", 2);
		return 2;
	}
	memcpy(out, open, sizeof(open) - 1);
	memset(out + sizeof(open) - 1, 'x', (size_t)pad);
	memcpy(out + sizeof(open) - 1 + pad, close, sizeof(close) - 1);
	return (int)size;
}

static long
wanted_size(const char *query)
{
	long	 n;

	if (query == NULL || strncmp(query, "bytes=", 6) != 0)
		return 2;
	n = strtol(query + 6, NULL, 10);
	return n < 2 ? 2 : n > MAX_ANSWER ? MAX_ANSWER : n;
}

int
main(void)
{
	static const char	 head[] =
	    "Status: 200 OK\r\nContent-Type: application/json\r\n\r\n";
	static char		 answer[MAX_ANSWER];
	FCGX_Request		 req;
	char			 buf[16384];
	const char		*cl;
	long			 want;
	int			 n;
#ifdef CLOSE_AT_ONCE
	bool			 unix_socket;
#endif

	/* As twhook's endpoints do: a client that hangs up costs one failed write. */
	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return 1;
#ifdef CLOSE_AT_ONCE
	unix_socket = twh_fcgi_unix_socket();
#endif
	while (FCGX_Accept_r(&req) >= 0) {
		cl = FCGX_GetParam("CONTENT_LENGTH", req.envp);
		want = cl != NULL ? strtol(cl, NULL, 10) : 0;
		while (want > 0) {
			n = FCGX_GetStr(buf, want < (long)sizeof(buf) ? (int)want : (int)sizeof(buf),
			    req.in);
			if (n <= 0)
				break;
			want -= n;
		}
		n = sized_answer(answer,
		    wanted_size(FCGX_GetParam("QUERY_STRING", req.envp)));
		FCGX_PutStr(head, (int)sizeof(head) - 1, req.out);
		FCGX_PutStr(answer, n, req.out);
#ifdef CLOSE_AT_ONCE
		/* Standard error first, so that FCGI_END_REQUEST goes with the answer's end in
		 * one write, as the endpoints' fcgi_finish sends it. */
		FCGX_FClose(req.err);
		FCGX_FClose(req.out);
		twh_fcgi_choose_close(&req, unix_socket);
#endif
		FCGX_Finish_r(&req);
	}
	FCGX_Free(&req, 1);
	return 0;
}
