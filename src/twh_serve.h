/* twh_serve.h: the seam between a web server and the endpoints: CGI or FastCGI, the same calls. */
#ifndef TWH_SERVE_H
#define TWH_SERVE_H

#include "twh_http.h"

typedef void twh_exchange_fn(void *arg, const struct twh_io *);

int	 twh_serve(twh_exchange_fn *, void *arg);

#endif
