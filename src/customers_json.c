/*
 * customers_json.c: customers from a JSON array in the format of Twilio's Frontline example
 * (customer_id, display_name, channels, links, details, avatar, worker), read from a stream one
 * record at a time: json-c's tokener is fed the stream in chunks and parses one element of the
 * array, so memory is one record's and one chunk's whatever the file's size.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "customers_file.h"

#define RECORD_MAX_DEPTH	8
#define CHUNK			65536

struct json_reader {
	struct customers_reader	 r;
	FILE			*fp;
	struct json_tokener	*tok;
	char			 buf[CHUNK];
	size_t			 pos, len;
	long			 line;		/* the line of buf[pos] */
	long			 index;		/* the next record's, from 0 */
	bool			 in_array;	/* past '[' */
};

static void
error_at(struct customers_error *e, long line, const char *msg)
{
	snprintf(e->where, sizeof(e->where), "line %ld", line);
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
}

/* Moves past N bytes of the buffer, counting their lines. */
static void
consume(struct json_reader *j, size_t n)
{
	const char	*p = j->buf + j->pos, *end = p + n;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		j->line++;
		p++;
	}
	j->pos += n;
}

/* Refills the buffer when it is used up: false at the end of the stream. */
static bool
fill(struct json_reader *j)
{
	if (j->pos < j->len)
		return true;
	j->pos = 0;
	j->len = fread(j->buf, 1, sizeof(j->buf), j->fp);
	return j->len > 0;
}

/* The next character that is not white space (consumed), or EOF. */
static int
next_char(struct json_reader *j)
{
	char	 c;

	while (fill(j)) {
		c = j->buf[j->pos];
		consume(j, 1);
		if (strchr(" \t\r\n", c) == NULL)
			return (unsigned char)c;
	}
	return EOF;
}

static const char *
opt_string(struct json_object *obj, const char *key, struct customers_error *e)
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
    struct customers_error *e)
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
customer_id(struct json_object *rec, struct twh_customer *c, struct customers_error *e)
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
opt_array(struct json_object *rec, const char *key, struct customers_error *e)
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
    size_t *n, struct customers_error *e)
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
dup_opt(struct json_object *obj, const char *key, char **out, struct customers_error *e)
{
	const char	*s = opt_string(obj, key, e);

	if (e->msg[0] != '\0')
		return -1;
	if (s != NULL && *s != '\0' && (*out = strdup(s)) == NULL)
		return -1;
	return 0;
}

static int
record(struct json_object *rec, struct twh_customer *c, struct customers_error *e)
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

/* The next element of the array, parsed, feeding the tokener chunk by chunk. */
static struct json_object *
element(struct json_reader *j, struct customers_error *e, long line)
{
	struct json_object	*obj;
	enum json_tokener_error	 err;
	size_t			 end;

	json_tokener_reset(j->tok);
	for (;;) {
		if (!fill(j)) {
			error_at(e, line, "the array is cut short: expected a JSON array of "
			    "customers");
			return NULL;
		}
		obj = json_tokener_parse_ex(j->tok, j->buf + j->pos, (int)(j->len - j->pos));
		err = json_tokener_get_error(j->tok);
		if (err == json_tokener_continue) {
			consume(j, j->len - j->pos);
			continue;
		}
		if (err != json_tokener_success) {
			error_at(e, line, json_tokener_error_desc(err));
			return NULL;
		}
		end = json_tokener_get_parse_end(j->tok);
		consume(j, end);
		return obj;
	}
}

static int
json_next(struct customers_reader *r, struct twh_customer *c, struct customers_error *e)
{
	struct json_reader	*j = (struct json_reader *)r;
	struct json_object	*obj;
	long			 line;
	int			 ch, rc;

	memset(c, 0, sizeof(*c));
	e->where[0] = e->msg[0] = '\0';
	ch = next_char(j);
	if (!j->in_array) {
		if (ch != '[') {
			error_at(e, j->line, "expected a JSON array of customers");
			return -1;
		}
		j->in_array = true;
		ch = next_char(j);
		if (ch == ']')
			goto end;
	} else if (ch == ']')
		goto end;
	else if (j->index > 0 && ch != ',') {
		error_at(e, j->line, "expected ',' or ']' after a record: expected a JSON array "
		    "of customers");
		return -1;
	} else if (j->index > 0)
		ch = next_char(j);
	if (ch == EOF) {
		error_at(e, j->line, "the array is cut short: expected a JSON array of customers");
		return -1;
	}
	/* Give the character back to the buffer: it begins the element. */
	j->pos--;
	line = j->line;
	if ((obj = element(j, e, line)) == NULL && e->msg[0] != '\0')
		return -1;
	rc = record(obj, c, e);
	json_object_put(obj);
	snprintf(e->where, sizeof(e->where), "line %ld: record %ld%s%s%s", line, j->index,
	    c->customer_id ? " (customer_id " : "", c->customer_id ? c->customer_id : "",
	    c->customer_id ? ")" : "");
	j->index++;
	if (rc == -1 && e->msg[0] == '\0')
		snprintf(e->msg, sizeof(e->msg), "out of memory");
	return rc == 0 ? 1 : -1;
end:
	if (next_char(j) != EOF) {
		error_at(e, j->line, "text after the array: expected a JSON array of customers");
		return -1;
	}
	return 0;
}

static void
json_close(struct customers_reader *r)
{
	struct json_reader	*j = (struct json_reader *)r;

	json_tokener_free(j->tok);
	free(j);
}

/* A reader of the JSON array in FP, whose first line is LINE. */
struct customers_reader *
customers_json_open(FILE *fp, long line)
{
	struct json_reader	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	if ((j->tok = json_tokener_new_ex(RECORD_MAX_DEPTH)) == NULL) {
		free(j);
		return NULL;
	}
	json_tokener_set_flags(j->tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8 |
	    JSON_TOKENER_ALLOW_TRAILING_CHARS);
	j->r.next = json_next;
	j->r.close = json_close;
	j->fp = fp;
	j->line = line;
	return &j->r;
}
