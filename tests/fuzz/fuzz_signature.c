/*
 * fuzz_signature.c: libFuzzer target for the URL and signature code: the input is split at the
 * first two newlines into a URL, a header value and a body; the body is parsed as a form and
 * the request checked, with its port toggled and as a JSON request too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "twh_form.h"
#include "twh_sig.h"
#include "twh_url.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const char *const	 tokens[] = { "12345", "other" };
	struct twh_signed_request	 req;
	struct twh_params		 params;
	struct twh_buf			 toggled, sig;
	char				*copy, *header, *body;
	const char			*why;

	if ((copy = malloc(len + 1)) == NULL)
		return 0;
	memcpy(copy, data, len);
	copy[len] = '\0';
	header = strchr(copy, '\n');
	body = header != NULL ? strchr(header + 1, '\n') : NULL;
	if (header == NULL || body == NULL) {
		free(copy);
		return 0;
	}
	*header++ = '\0';
	*body++ = '\0';
	twh_params_init(&params);
	twh_buf_init(&toggled);
	twh_buf_init(&sig);
	twh_url_toggle_port(copy, &toggled);
	req.url = copy;
	req.body = body;
	req.body_len = strlen(body);
	req.params = twh_form_parse(body, strlen(body), &params, &why) == 0 ? &params : NULL;
	twh_sig_valid(&req, tokens, 2, header);
	if (req.params != NULL && twh_sig_sign("12345", copy, &params, &sig) == 0 &&
	    !twh_sig_valid(&req, tokens, 2, sig.data))
		/* What we sign we must accept. */
		__builtin_trap();
	twh_params_free(&params);
	twh_buf_free(&toggled);
	twh_buf_free(&sig);
	free(copy);
	return 0;
}
