/*
 * twh_json.c: JSON through json-c.  Request bodies are parsed strictly (valid UTF-8, bounded
 * depth, one top-level object, nothing after it).  Output never has a null for an optional
 * field: absent values are left out, as Frontline expects.
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

struct json_object *
twh_json_customer_summary(const struct twh_customer *c)
{
	struct json_object	*o = json_object_new_object();

	if (o == NULL)
		return NULL;
	twh_json_add_string(o, "customer_id", c->customer_id);
	twh_json_add_string(o, "display_name", c->display_name);
	twh_json_add_string(o, "avatar", c->avatar);
	return o;
}

static struct json_object *
channels(const struct twh_customer *c)
{
	struct json_object	*a = json_object_new_array(), *o;
	size_t			 i;

	for (i = 0; a != NULL && i < c->n_channels; i++) {
		o = json_object_new_object();
		twh_json_add_string(o, "type", c->channels[i].type);
		twh_json_add_string(o, "value", c->channels[i].value);
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *
links(const struct twh_customer *c)
{
	struct json_object	*a = json_object_new_array(), *o;
	size_t			 i;

	for (i = 0; a != NULL && i < c->n_links; i++) {
		o = json_object_new_object();
		twh_json_add_string(o, "type", c->links[i].type);
		twh_json_add_string(o, "value", c->links[i].value);
		twh_json_add_string(o, "display_name", c->links[i].display_name);
		json_object_array_add(a, o);
	}
	return a;
}

/* The CUSTOMER object of Frontline's CRM callback. */
struct json_object *
twh_json_customer(const struct twh_customer *c)
{
	struct json_object	*o = twh_json_customer_summary(c), *details;

	if (o == NULL)
		return NULL;
	json_object_object_add(o, "channels", channels(c));
	json_object_object_add(o, "links", links(c));
	if ((c->details_title != NULL && *c->details_title != '\0') ||
	    (c->details_content != NULL && *c->details_content != '\0')) {
		details = json_object_new_object();
		twh_json_add_string(details, "title", c->details_title);
		twh_json_add_string(details, "content", c->details_content);
		json_object_object_add(o, "details", details);
	}
	twh_json_add_string(o, "worker", c->worker);
	return o;
}
