/* twh_serve.h: the seam between a web server and the endpoints: CGI or FastCGI, the same calls. */
#ifndef TWH_SERVE_H
#define TWH_SERVE_H

#include <stdbool.h>

#include "twh_http.h"

typedef void twh_exchange_fn(void *arg, const struct twh_io *);

bool	 twh_serve_is_cgi(void);
int	 twh_serve(twh_exchange_fn *, void *arg);

#endif
