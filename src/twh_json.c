/*
 * twh_json.c: JSON through json-c.  Request bodies are parsed strictly (valid UTF-8, bounded
 * depth, one top-level object, nothing after it).  Output never has a null for an optional
 * field: absent values are left out, as Frontline expects.  It knows no type of the suite's.
 */
#include <string.h>

#include "twh_json.h"
#include "twh_utf8.h"

#define TEXT_FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

int
twh_json_append(struct twh_buf *out, struct json_object *obj)
{
	size_t		 len;
	const char	*s;

	s = json_object_to_json_string_length(obj, TEXT_FLAGS, &len);
	return s == NULL ? -1 : twh_buf_add(out, s, len);
}

/* OBJ as compact JSON text, '/' unescaped; the text lives as long as OBJ. */
const char *
twh_json_text(struct json_object *obj)
{
	return json_object_to_json_string_ext(obj, TEXT_FLAGS);
}

/* The object in TEXT, or NULL with WHY set. */
struct json_object *
twh_json_parse(const char *text, size_t len, const char **why)
{
	struct json_tokener	*tok;
	struct json_object	*obj;
	size_t			 used;

	if (!twh_utf8_valid(text, len)) {
		*why = "the body is not valid UTF-8";
		return NULL;
	}
	if (memchr(text, '\0', len) != NULL) {
		*why = "the body holds a NUL byte";
		return NULL;
	}
	if ((tok = json_tokener_new_ex(TWH_JSON_MAX_DEPTH)) == NULL) {
		*why = "out of memory";
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, text, (int)len);
	used = json_tokener_get_parse_end(tok);
	if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		*why = json_tokener_get_error(tok) == json_tokener_error_depth ?
		    "the body is nested too deeply" : "the body is not valid JSON";
		json_object_put(obj);
		obj = NULL;
	} else if (used != len && text[used + strspn(text + used, " \t\r\n")] != '\0') {
		*why = "the body has data after its JSON value";
		json_object_put(obj);
		obj = NULL;
	} else if (!json_object_is_type(obj, json_type_object)) {
		*why = "the body is not a JSON object";
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	return obj;
}

/* Adds KEY: VALUE unless VALUE is NULL or empty. */
void
twh_json_add_string(struct json_object *obj, const char *key, const char *value)
{
	if (value != NULL && *value != '\0')
		json_object_object_add(obj, key, json_object_new_string(value));
}

/* Member KEY of OBJ as text, a number as its digits; NULL when it is absent. */
const char *
twh_json_member_text(struct json_object *obj, const char *key)
{
	struct json_object	*v;

	return json_object_object_get_ex(obj, key, &v) ? json_object_get_string(v) : NULL;
}

/* The string that member KEY of OBJ holds; NULL when it is absent or not a string. */
const char *
twh_json_string_member(struct json_object *obj, const char *key)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}
