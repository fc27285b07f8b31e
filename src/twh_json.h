/* twh_json.h: JSON in and out: request bodies parsed with limits, and the objects the endpoints answer. */
#ifndef TWH_JSON_H
#define TWH_JSON_H

#include <stddef.h>

#include <json-c/json.h>

#include "twh_buf.h"
#include "twh_store.h"

#define TWH_JSON_MAX_DEPTH	16

int			 twh_json_append(struct twh_buf *, struct json_object *);
const char		*twh_json_text(struct json_object *);
struct json_object	*twh_json_parse(const char *, size_t, const char **why);
struct json_object	*twh_json_customer(const struct twh_customer *);
struct json_object	*twh_json_customer_summary(const struct twh_customer *);
void			 twh_json_add_string(struct json_object *, const char *key, const char *);

#endif
