/* fuzz_form.c: libFuzzer target for the form decoder (twh_form_parse): any bytes, no crash, no leak. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "twh_form.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct twh_params	 params;
	const char		*why;
	size_t			 i;

	twh_params_init(&params);
	if (twh_form_parse((const char *)data, len, &params, &why) == 0)
		for (i = 0; i < params.n; i++)
			/* Decoded values are C strings with no NUL inside and valid UTF-8. */
			if (strlen(params.v[i].name) == 0)
				__builtin_trap();
	twh_params_free(&params);
	return 0;
}
