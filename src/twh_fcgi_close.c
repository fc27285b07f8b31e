/*
 * twh_fcgi_close.c: how a FastCGI connection ends.  libfcgi ends each connection gracefully: it
 * shuts its side down, then polls and reads until the web server closes the other, so that a
 * TCP peer is never sent a reset, which can make it drop an answer it has not read yet.  That
 * wait is a trip through the web server on every request: without it twhook-crm answered 1.4
 * to 1.5 times as many requests (tests/bench/README.md).  Over a Unix socket the web server
 * reads all that was sent before it learns of the close, and once the request has been read to
 * its end (the empty FCGI_STDIN record) nothing of it is left unread: such a connection is
 * closed at once, as libfcgi closes a detached request's.  A request not read to its end (a
 * body refused for its size) is drained as before, and so is every connection over TCP.
 */
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "twh_fcgi_close.h"

bool
twh_fcgi_unix_socket(void)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);

	return getsockname(STDIN_FILENO, (struct sockaddr *)&ss, &len) == 0 &&
	    ss.ss_family == AF_UNIX;
}

void
twh_fcgi_choose_close(FCGX_Request *req, bool unix_socket)
{
	if (unix_socket && FCGX_GetChar(req->in) == EOF && FCGX_HasSeenEOF(req->in) == EOF)
		FCGX_Detach(req);
	else
		FCGX_Attach(req);
}
