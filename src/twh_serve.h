/* twh_serve.h: the seam between a web server and the endpoints: CGI or FastCGI, the same calls. */
#ifndef TWH_SERVE_H
#define TWH_SERVE_H

#include <stdbool.h>

#include "twh_http.h"

typedef void twh_exchange_fn(void *arg, const struct twh_io *);

bool	 twh_serve_is_cgi(void);
int	 twh_serve(twh_exchange_fn *, void *arg);

/*
 * Work an endpoint leaves until no request waits for its process (twh_serve_later.c): allowed
 * before twh_serve, then registered by a handler, which may ask whether a request waits.
 * Under CGI nothing waits, and the work is done before the process ends.
 */
typedef void twh_later_fn(void *arg);

void	 twh_serve_allow_later(void);
bool	 twh_serve_request_waiting(void);
void	 twh_serve_later(twh_later_fn *, void *arg);
void	 twh_serve_later_run(void);

/*
 * A request kept open after the exchange function returns, answered by the work left for
 * later: hold it (false when it cannot be: CGI, or later work not allowed), then write its
 * answer, finish it and release it.
 */
bool	 twh_serve_hold(const struct twh_io *);
void	 twh_serve_release(const struct twh_io *);

#endif
