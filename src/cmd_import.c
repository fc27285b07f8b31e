/*
 * cmd_import.c: `twhook import customers FILE.json` loads the array format of Twilio's Frontline
 * example (customer_id, display_name, channels, links, details, avatar, worker).  Each record
 * replaces the customer of the same customer_id, channels and links included.  The whole file is
 * one transaction: a bad record is reported with its index and nothing of the file is kept.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twh_json.h"
#include "twh_store.h"
#include "twhook.h"

/* How long a statement of an import may wait (another writer, a big commit). */
#define IMPORT_PATIENCE_MS	600000

#define IMPORT_MAX_DEPTH	8

struct record_error {
	char	 msg[256];
};

static const char *
opt_string(struct json_object *obj, const char *key, struct record_error *e)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	if (!json_object_is_type(v, json_type_string)) {
		snprintf(e->msg, sizeof(e->msg), "%s: expected a string", key);
		return NULL;
	}
	return json_object_get_string(v);
}

static int
req_string(struct json_object *obj, const char *key, const char *where, char **out,
    struct record_error *e)
{
	const char	*s = opt_string(obj, key, e);

	if (e->msg[0] != '\0')
		return -1;
	if (s == NULL || *s == '\0') {
		snprintf(e->msg, sizeof(e->msg), "%s%s: missing or empty", where, key);
		return -1;
	}
	return (*out = strdup(s)) != NULL ? 0 : -1;
}

/* customer_id may be a string or, as in Twilio's example, an integer. */
static int
customer_id(struct json_object *rec, struct twh_customer *c, struct record_error *e)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(rec, "customer_id", &v) ||
	    (!json_object_is_type(v, json_type_string) && !json_object_is_type(v, json_type_int)) ||
	    *json_object_get_string(v) == '\0') {
		snprintf(e->msg, sizeof(e->msg), "customer_id: expected a string or an integer");
		return -1;
	}
	return (c->customer_id = strdup(json_object_get_string(v))) != NULL ? 0 : -1;
}

static struct json_object *
opt_array(struct json_object *rec, const char *key, struct record_error *e)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(rec, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	if (!json_object_is_type(v, json_type_array))
		snprintf(e->msg, sizeof(e->msg), "%s: expected an array", key);
	return json_object_is_type(v, json_type_array) ? v : NULL;
}

/*
 * The array KEY of REC (channels, or links when NAMED) into *V and *N: each item an object with
 * a type and a value (and a display_name).  *N counts the items begun, failed or not, so that
 * twh_customer_free frees them all.
 */
static int
items(struct json_object *rec, const char *key, bool named, struct twh_customer_item **v,
    size_t *n, struct record_error *e)
{
	struct json_object		*a = opt_array(rec, key, e), *item;
	struct twh_customer_item	*it;
	char				 where[32];
	size_t				 i, len;

	if (a == NULL)
		return e->msg[0] != '\0' ? -1 : 0;
	len = json_object_array_length(a);
	if ((*v = calloc(len ? len : 1, sizeof(**v))) == NULL)
		return -1;
	for (i = 0; i < len; i++) {
		item = json_object_array_get_idx(a, i);
		it = &(*v)[(*n)++];
		snprintf(where, sizeof(where), "%s[%zu].", key, i);
		if (req_string(item, "type", where, &it->type, e) == -1 ||
		    req_string(item, "value", where, &it->value, e) == -1 ||
		    (named && req_string(item, "display_name", where, &it->display_name, e) == -1))
			return -1;
	}
	return 0;
}

static int
dup_opt(struct json_object *obj, const char *key, char **out, struct record_error *e)
{
	const char	*s = opt_string(obj, key, e);

	if (e->msg[0] != '\0')
		return -1;
	if (s != NULL && *s != '\0' && (*out = strdup(s)) == NULL)
		return -1;
	return 0;
}

static int
record(struct json_object *rec, struct twh_customer *c, struct record_error *e)
{
	struct json_object	*details;

	if (!json_object_is_type(rec, json_type_object)) {
		snprintf(e->msg, sizeof(e->msg), "expected an object");
		return -1;
	}
	if (customer_id(rec, c, e) == -1 ||
	    req_string(rec, "display_name", "", &c->display_name, e) == -1 ||
	    dup_opt(rec, "worker", &c->worker, e) == -1 ||
	    dup_opt(rec, "avatar", &c->avatar, e) == -1 ||
	    items(rec, "channels", false, &c->channels, &c->n_channels, e) == -1 ||
	    items(rec, "links", true, &c->links, &c->n_links, e) == -1)
		return -1;
	if (json_object_object_get_ex(rec, "details", &details) &&
	    !json_object_is_type(details, json_type_null)) {
		if (!json_object_is_type(details, json_type_object)) {
			snprintf(e->msg, sizeof(e->msg), "details: expected an object");
			return -1;
		}
		if (dup_opt(details, "title", &c->details_title, e) == -1 ||
		    dup_opt(details, "content", &c->details_content, e) == -1)
			return -1;
	}
	return 0;
}

static int
import_all(struct twh_store *store, const char *path, struct json_object *list)
{
	struct twh_customer	 c;
	struct record_error	 e;
	size_t			 i, n = json_object_array_length(list);

	if (twh_store_begin(store) != TWH_STORE_OK) {
		fprintf(stderr, "twhook: %s\n", twh_store_error(store));
		return -1;
	}
	for (i = 0; i < n; i++) {
		memset(&c, 0, sizeof(c));
		e.msg[0] = '\0';
		if (record(json_object_array_get_idx(list, i), &c, &e) == -1) {
			fprintf(stderr, "twhook: %s: record %zu%s%s%s: %s\n", path, i,
			    c.customer_id ? " (customer_id " : "", c.customer_id ? c.customer_id : "",
			    c.customer_id ? ")" : "", e.msg[0] ? e.msg : "out of memory");
			break;
		}
		if (twh_store_customer_put(store, &c) != TWH_STORE_OK) {
			fprintf(stderr, "twhook: %s: record %zu (customer_id %s): %s\n", path, i,
			    c.customer_id, twh_store_error(store));
			break;
		}
		twh_customer_free(&c);
	}
	if (i < n) {
		twh_customer_free(&c);
		twh_store_rollback(store);
		fprintf(stderr, "twhook: %s: nothing was imported\n", path);
		return -1;
	}
	if (twh_store_commit(store) != TWH_STORE_OK) {
		fprintf(stderr, "twhook: %s\n", twh_store_error(store));
		twh_store_rollback(store);
		return -1;
	}
	printf("imported %zu customer%s from %s\n", n, n == 1 ? "" : "s", path);
	return 0;
}

int
cmd_import(struct twh_conf *conf, int argc, char *argv[])
{
	struct twh_store	*store = NULL;
	struct json_tokener	*tok;
	struct json_object	*list = NULL;
	struct twh_buf		 text;
	char			 err[512];
	int			 rc = 1;

	if (argc != 3 || strcmp(argv[1], "customers") != 0)
		return twhook_usage("import");
	twh_buf_init(&text);
	if (twhook_read_file(argv[2], &text) == -1)
		return 1;
	if ((tok = json_tokener_new_ex(IMPORT_MAX_DEPTH)) != NULL) {
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
		list = json_tokener_parse_ex(tok, text.data, (int)text.len);
		if (list != NULL && json_tokener_get_parse_end(tok) + strspn(text.data +
		    json_tokener_get_parse_end(tok), " \t\r\n") != text.len) {
			json_object_put(list);
			list = NULL;
		}
	}
	if (list == NULL || !json_object_is_type(list, json_type_array)) {
		fprintf(stderr, "twhook: %s: expected a JSON array of customers%s%s\n", argv[2],
		    tok != NULL && json_tokener_get_error(tok) != json_tokener_success ? ": " : "",
		    tok != NULL && json_tokener_get_error(tok) != json_tokener_success ?
		    json_tokener_error_desc(json_tokener_get_error(tok)) : "");
		goto out;
	}
	if (twh_store_open(conf->database, &store, err, sizeof(err)) == -1) {
		fprintf(stderr, "twhook: %s\n", err);
		goto out;
	}
	/* An import is one transaction, whose commit may take long: no one waits for it. */
	twh_store_set_patience(store, IMPORT_PATIENCE_MS);
	rc = import_all(store, argv[2], list) == 0 ? 0 : 1;
out:
	twh_store_close(store);
	json_object_put(list);
	if (tok != NULL)
		json_tokener_free(tok);
	twh_buf_free(&text);
	return rc;
}
