/*
 * twh_json_writer.c: JSON written straight into a buffer (twh_json_writer.h).  Strings are
 * escaped as json-c escapes them, so that an answer is the same byte for byte whichever way it
 * was made: '"' and '\' escaped, the control characters \b, \f, \n, \r and \t by name and the
 * others as \u00xx, every other byte (UTF-8 included) as it is.  A failure (memory, depth) is
 * remembered and reported once, by twh_json_writer_end.
 */
#include <string.h>

#include "twh_json_writer.h"

void
twh_json_writer_init(struct twh_json_writer *w, struct twh_buf *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
}

static void
add(struct twh_json_writer *w, const char *s, size_t len)
{
	if (!w->failed && twh_buf_add(w->out, s, len) == -1)
		w->failed = true;
}

/* S as a JSON string, quotes included. */
static void
quoted(struct twh_json_writer *w, const char *s)
{
	static const char	 hex[] = "0123456789abcdef";
	const char		*run = s;
	char			 esc[7];
	unsigned char		 c;

	add(w, "\"", 1);
	for (; (c = (unsigned char)*s) != '\0'; s++) {
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		add(w, run, (size_t)(s - run));
		run = s + 1;
		esc[0] = '\\';
		esc[2] = '\0';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			esc[6] = '\0';
		}
		add(w, esc, strlen(esc));
	}
	add(w, run, (size_t)(s - run));
	add(w, "\"", 1);
}

/* What comes before a value: a comma after the one before it, and KEY in an object. */
static void
member(struct twh_json_writer *w, const char *key)
{
	if (w->more[w->depth])
		add(w, ",", 1);
	w->more[w->depth] = true;
	if (key != NULL) {
		quoted(w, key);
		add(w, ":", 1);
	}
}

static void
open_container(struct twh_json_writer *w, const char *key, const char *bracket)
{
	member(w, key);
	if (w->depth + 1 >= TWH_JSON_WRITER_DEPTH) {
		w->failed = true;
		return;
	}
	add(w, bracket, 1);
	w->more[++w->depth] = false;
}

static void
close_container(struct twh_json_writer *w, const char *bracket)
{
	if (w->depth > 0)
		w->depth--;
	add(w, bracket, 1);
}

void
twh_json_object_begin(struct twh_json_writer *w, const char *key)
{
	open_container(w, key, "{");
}

void
twh_json_object_end(struct twh_json_writer *w)
{
	close_container(w, "}");
}

void
twh_json_array_begin(struct twh_json_writer *w, const char *key)
{
	open_container(w, key, "[");
}

void
twh_json_array_end(struct twh_json_writer *w)
{
	close_container(w, "]");
}

void
twh_json_string_always(struct twh_json_writer *w, const char *key, const char *value)
{
	member(w, key);
	quoted(w, value != NULL ? value : "");
}

/* Member KEY, the string VALUE; left out when VALUE is NULL or empty, as twh_json_add_string. */
void
twh_json_string(struct twh_json_writer *w, const char *key, const char *value)
{
	if (value != NULL && *value != '\0')
		twh_json_string_always(w, key, value);
}

void
twh_json_bool(struct twh_json_writer *w, const char *key, bool value)
{
	member(w, key);
	add(w, value ? "true" : "false", value ? 4 : 5);
}

/* 0 when everything was written and every object and array closed, else -1. */
int
twh_json_writer_end(struct twh_json_writer *w)
{
	return w->failed || w->depth != 0 ? -1 : 0;
}

size_t
twh_json_writer_closed_length(const struct twh_json_writer *w)
{
	return w->out->len + w->depth;
}

void
twh_json_writer_mark(const struct twh_json_writer *w, struct twh_json_mark *m)
{
	m->at = *w;
	m->len = w->out->len;
}

/* A failure stays remembered: what went missing may lie before the mark. */
void
twh_json_writer_rewind(struct twh_json_writer *w, const struct twh_json_mark *m)
{
	bool	 failed = w->failed;

	*w = m->at;
	w->failed = w->failed || failed;
	twh_buf_truncate(w->out, m->len);
}
