/*
 * twh_fcgi_close.h: how a FastCGI connection ends once its request is answered
 * (twh_fcgi_close.c): at once over a Unix socket, libfcgi's graceful drain otherwise.  Shared by
 * the endpoints (twh_fcgi.c) and the benchmarks' trivial responder (tests/bench/trivial.c).
 */
#ifndef TWH_FCGI_CLOSE_H
#define TWH_FCGI_CLOSE_H

#include <stdbool.h>

#include <fcgiapp.h>

/* Whether the web server connects over a Unix socket (fd 0 is the listening socket). */
bool	 twh_fcgi_unix_socket(void);
/* Sets how REQ's connection ends at FCGX_Finish_r, once its answer has been written. */
void	 twh_fcgi_choose_close(FCGX_Request *req, bool unix_socket);

#endif
