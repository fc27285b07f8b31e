/* fuzz_json.c: libFuzzer target for JSON request bodies (twh_json_parse) and the answers built from them. */
#include <stddef.h>
#include <stdint.h>

#include "twh_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct json_object	*obj;
	struct twh_buf		 out;
	const char		*why;

	if ((obj = twh_json_parse((const char *)data, len, &why)) == NULL)
		return 0;
	if (!json_object_is_type(obj, json_type_object))
		__builtin_trap();
	twh_buf_init(&out);
	twh_json_append(&out, obj);
	twh_buf_free(&out);
	json_object_put(obj);
	return 0;
}
