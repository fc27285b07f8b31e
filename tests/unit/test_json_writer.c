/*
 * test_json_writer.c: JSON written straight into a buffer (twh_json_writer.c) is what json-c
 * writes for the same members through twh_json_append, byte for byte: every byte value in a
 * string, a CRM customer's nesting, members left out, and the writer's own failures.
 */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "twh_json.h"
#include "twh_json_writer.h"

/* {"k":S} as json-c writes it, into OUT. */
static void
with_json_c(struct twh_buf *out, const char *s)
{
	struct json_object	*o = json_object_new_object();

	twh_json_add_string(o, "k", s);
	twh_buf_reset(out);
	twh_json_append(out, o);
	json_object_put(o);
}

/* {"k":S} as the writer writes it, into OUT: 0, or -1 when it failed. */
static int
with_writer(struct twh_buf *out, const char *s)
{
	struct twh_json_writer	 w;

	twh_buf_reset(out);
	twh_json_writer_init(&w, out);
	twh_json_object_begin(&w, NULL);
	twh_json_string(&w, "k", s);
	twh_json_object_end(&w);
	return twh_json_writer_end(&w);
}

/* Whether the writer and json-c write S alike; shows both when they do not. */
static int
alike(const char *s)
{
	struct twh_buf	 a, b;
	int		 same;

	twh_buf_init(&a);
	twh_buf_init(&b);
	with_json_c(&a, s);
	same = with_writer(&b, s) == 0 && a.len == b.len && memcmp(a.data, b.data, a.len) == 0;
	if (!same)
		printf("# json-c: %s\n# writer: %s\n", a.data, b.data != NULL ? b.data : "");
	twh_buf_free(&a);
	twh_buf_free(&b);
	return same;
}

/* A customer's shape: nested objects and arrays, a boolean, empty members left out. */
static int
nesting_alike(void)
{
	struct json_object	*top = json_object_new_object(), *objects, *list, *c;
	struct twh_json_writer	 w;
	struct twh_buf		 a, b;
	int			 same;

	objects = json_object_new_object();
	list = json_object_new_array();
	c = json_object_new_object();
	twh_json_add_string(c, "customer_id", "c/1");
	twh_json_add_string(c, "avatar", "");
	twh_json_add_string(c, "display_name", "Zoë \"Z\" O'Hara");
	json_object_array_add(list, c);
	json_object_array_add(list, json_object_new_object());
	json_object_object_add(objects, "customers", list);
	json_object_object_add(objects, "links", json_object_new_array());
	json_object_object_add(objects, "searchable", json_object_new_boolean(1));
	json_object_object_add(objects, "hidden", json_object_new_boolean(0));
	json_object_object_add(top, "objects", objects);
	twh_buf_init(&a);
	twh_json_append(&a, top);
	json_object_put(top);

	twh_buf_init(&b);
	twh_json_writer_init(&w, &b);
	twh_json_object_begin(&w, NULL);
	twh_json_object_begin(&w, "objects");
	twh_json_array_begin(&w, "customers");
	twh_json_object_begin(&w, NULL);
	twh_json_string(&w, "customer_id", "c/1");
	twh_json_string(&w, "avatar", "");
	twh_json_string(&w, "display_name", "Zoë \"Z\" O'Hara");
	twh_json_string(&w, "worker", NULL);
	twh_json_object_end(&w);
	twh_json_object_begin(&w, NULL);
	twh_json_object_end(&w);
	twh_json_array_end(&w);
	twh_json_array_begin(&w, "links");
	twh_json_array_end(&w);
	twh_json_bool(&w, "searchable", true);
	twh_json_bool(&w, "hidden", false);
	twh_json_object_end(&w);
	twh_json_object_end(&w);
	same = twh_json_writer_end(&w) == 0 && a.len == b.len && memcmp(a.data, b.data, a.len) == 0;
	if (!same)
		printf("# json-c: %s\n# writer: %s\n", a.data, b.data);
	twh_buf_free(&a);
	twh_buf_free(&b);
	return same;
}

/* Two values written, a third written then rewound, a fourth written: as if never the third. */
static void
rewinding(void)
{
	struct twh_json_writer	 w;
	struct twh_json_mark	 m;
	struct twh_buf		 out;
	size_t			 open_length;

	twh_buf_init(&out);
	twh_json_writer_init(&w, &out);
	twh_json_array_begin(&w, NULL);
	twh_json_string(&w, NULL, "a");
	twh_json_writer_mark(&w, &m);
	twh_json_object_begin(&w, NULL);
	twh_json_array_begin(&w, "b");
	open_length = twh_json_writer_closed_length(&w);
	ok(open_length == strlen("[\"a\",{\"b\":[]}]"),
	    "the closed length counts the closing brackets (%zu)", open_length);
	twh_json_writer_rewind(&w, &m);
	twh_json_bool(&w, NULL, true);
	twh_json_array_end(&w);
	ok(twh_json_writer_end(&w) == 0, "a rewound writer ends well");
	is_str(out.data, "[\"a\",true]", "a rewind drops what came after its mark, its comma too");
	twh_buf_free(&out);
}

static void
always(void)
{
	struct twh_json_writer	 w;
	struct twh_buf		 out;

	twh_buf_init(&out);
	twh_json_writer_init(&w, &out);
	twh_json_object_begin(&w, NULL);
	twh_json_string_always(&w, "a", "");
	twh_json_string_always(&w, "b", NULL);
	twh_json_string_always(&w, "c", "\"");
	twh_json_object_end(&w);
	twh_json_writer_end(&w);
	is_str(out.data, "{\"a\":\"\",\"b\":\"\",\"c\":\"\\\"\"}",
	    "a string written always: empty and absent as \"\"");
	twh_buf_free(&out);
}

int
main(void)
{
	struct twh_json_writer	 w;
	struct twh_buf		 out;
	char			 one[2] = "", every[256];
	int			 c, bad = 0, i;

	for (c = 1; c < 256; c++) {
		one[0] = (char)c;
		bad += !alike(one);
		every[c - 1] = (char)c;
	}
	every[255] = '\0';
	ok(bad == 0, "each byte from 1 to 255 alone is written as json-c writes it (%d differ)",
	    bad);
	ok(alike(every), "and all of them in one string");
	ok(alike("plain text, then \"quotes\", a \\ and a / between runs\n\tand UTF-8: é 漢 🙂"),
	    "runs of plain bytes between escapes");
	ok(alike("") && alike(NULL), "an empty or absent member is left out");
	ok(nesting_alike(), "objects in arrays in objects, empty ones, booleans");

	twh_buf_init(&out);
	twh_json_writer_init(&w, &out);
	for (i = 0; i < TWH_JSON_WRITER_DEPTH; i++)
		twh_json_array_begin(&w, NULL);
	for (i = 0; i < TWH_JSON_WRITER_DEPTH; i++)
		twh_json_array_end(&w);
	ok(twh_json_writer_end(&w) == -1, "nesting deeper than %d fails", TWH_JSON_WRITER_DEPTH);
	twh_buf_reset(&out);
	twh_json_writer_init(&w, &out);
	twh_json_object_begin(&w, NULL);
	ok(twh_json_writer_end(&w) == -1, "an object left open fails");
	twh_buf_free(&out);
	rewinding();
	always();
	return done_testing();
}
