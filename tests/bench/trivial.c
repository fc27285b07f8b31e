/*
 * trivial.c: the baseline of tests/bench/run.sh.  A FastCGI responder that does only what every
 * endpoint must do (accept a request, read its body up to CONTENT_LENGTH, answer 200 with "{}"),
 * served by the same lighttpd as twhook-crm, so that each scenario's figures can be read against
 * what lighttpd, mod_fastcgi and libfcgi cost by themselves.  Not installed, not a test.
 */
#include <signal.h>
#include <stdlib.h>

#include <fcgiapp.h>

int
main(void)
{
	static const char	 answer[] =
	    "Status: 200 OK\r\nContent-Type: application/json\r\n\r\n{}";
	FCGX_Request		 req;
	char			 buf[16384];
	const char		*cl;
	long			 want;
	int			 n;

	/* As twhook's endpoints do: a client that hangs up costs one failed write. */
	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return 1;
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
		FCGX_PutStr(answer, (int)sizeof(answer) - 1, req.out);
		FCGX_Finish_r(&req);
	}
	FCGX_Free(&req, 1);
	return 0;
}
