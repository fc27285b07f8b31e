/* twh_twiml.h: TwiML answers: a <Response> of verbs whose text comes from data, escaped. */
#ifndef TWH_TWIML_H
#define TWH_TWIML_H

#include "twh_buf.h"
#include "twh_http.h"

/* One verb: <NAME>TEXT</NAME>.  A verb whose TEXT is NULL or empty is left out. */
struct twh_twiml_verb {
	const char	*name;
	const char	*text;
};

int	 twh_xml_escape(struct twh_buf *, const char *text);
void	 twh_response_twiml(struct twh_response *, int status, const struct twh_twiml_verb *,
	    size_t n);

#endif
