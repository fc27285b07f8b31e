/* twh_sig.h: X-Twilio-Signature, computed and checked as twhook(7), SIGNATURE VALIDATION says. */
#ifndef TWH_SIG_H
#define TWH_SIG_H

#include <stdbool.h>
#include <stddef.h>

#include "twh_buf.h"
#include "twh_params.h"

/*
 * A request as signed: its full URL, and either its form parameters (PARAMS non-NULL) or a
 * non-form body whose SHA-256 must match the bodySHA256 query parameter.
 */
struct twh_signed_request {
	const char		*url;
	const struct twh_params	*params;
	const char		*body;
	size_t			 body_len;
};

int	 twh_sig_sign(const char *token, const char *url, const struct twh_params *,
	    struct twh_buf *out);
bool	 twh_sig_valid(const struct twh_signed_request *, const char *const *tokens,
	    size_t ntokens, const char *header);
int	 twh_sig_body_sha256(const char *, size_t, char hex[65]);

#endif
