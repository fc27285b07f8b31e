/* twh_json.h: JSON in and out through json-c: request bodies parsed with limits, compact text out. */
#ifndef TWH_JSON_H
#define TWH_JSON_H

#include <stddef.h>

#include <json-c/json.h>

#include "twh_buf.h"

#define TWH_JSON_MAX_DEPTH	16

int			 twh_json_append(struct twh_buf *, struct json_object *);
const char		*twh_json_text(struct json_object *);
struct json_object	*twh_json_parse(const char *, size_t, const char **why);
void			 twh_json_add_string(struct json_object *, const char *key, const char *);
const char		*twh_json_string_member(struct json_object *, const char *key);
const char		*twh_json_member_text(struct json_object *, const char *key);

#endif
