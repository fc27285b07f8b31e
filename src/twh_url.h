/*
 * twh_url.h: absolute http(s) URLs: checked and split into their parts (twh_conf's URL keys,
 * `twhook request`), their port toggled, their query found; and the URL Twilio signed, rebuilt
 * from public_url and trust_forwarded, which the caller passes, else from the CGI environment.
 * It does not read the configuration.
 */
#ifndef TWH_URL_H
#define TWH_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "twh_buf.h"

/* Offsets into an absolute http(s) URL; nothing is copied or decoded. */
struct twh_url_parts {
	bool		 https;
	size_t		 authority;	/* first byte after "://" */
	size_t		 port;		/* the ':' before the port, or 0 when there is none */
	size_t		 authority_end;	/* first byte of the path, query or end */
	const char	*rest;		/* path and query, possibly empty */
};

typedef const char *twh_getenv_fn(void *ctx, const char *name);

int	 twh_url_split(const char *url, struct twh_url_parts *);
int	 twh_url_toggle_port(const char *url, struct twh_buf *out);
int	 twh_url_public(const char *public_url, bool trust_forwarded, twh_getenv_fn *, void *ctx,
	    struct twh_buf *out);
const char *twh_url_query(const char *url);

#endif
