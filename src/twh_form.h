/* twh_form.h: application/x-www-form-urlencoded decoding and encoding. */
#ifndef TWH_FORM_H
#define TWH_FORM_H

#include <stddef.h>

#include "twh_buf.h"
#include "twh_params.h"

#define TWH_FORM_MAX_PARAMS	1000

int	 twh_form_parse(const char *, size_t, struct twh_params *, const char **why);
int	 twh_form_decode(const char *, size_t, char *out, size_t *outlen, const char **why);
int	 twh_form_encode_value(struct twh_buf *, const char *);
int	 twh_form_encode(const struct twh_params *, struct twh_buf *);

#endif
