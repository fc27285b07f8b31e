/* test_form.c: form decoding: '+', percent-escapes, repeated names, and every refusal with its reason. */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "twh_buf.h"
#include "twh_form.h"

static const char *
parse(const char *body, struct twh_params *p)
{
	const char	*why = NULL;

	twh_params_init(p);
	if (twh_form_parse(body, strlen(body), p, &why) == 0)
		return NULL;
	return why != NULL ? why : "(no reason)";
}

static void
refused(const char *body, const char *reason)
{
	struct twh_params	 p;
	const char		*why = parse(body, &p);
	char			 name[128];

	snprintf(name, sizeof(name), "'%.40s' is refused: %s", body, reason);
	is_str(why, reason, name);
	twh_params_free(&p);
}

int
main(void)
{
	struct twh_params	 p;
	struct twh_buf		 many;
	int			 i;

	ok(parse("a=1&b=2&a=3", &p) == NULL && p.n == 3, "three parameters");
	is_str(twh_params_get(&p, "a"), "1", "the first value of a repeated name");
	is_str(p.v[2].value, "3", "repeated names are kept in arrival order");
	twh_params_free(&p);

	ok(parse("Body=Hello+World%21&To=%2B15551234567", &p) == NULL, "escapes");
	is_str(twh_params_get(&p, "Body"), "Hello World!", "'+' and %21 decode");
	is_str(twh_params_get(&p, "To"), "+15551234567", "%2B is a plus sign");
	twh_params_free(&p);

	ok(parse("Name=Zo%C3%AB&Empty=&Flag", &p) == NULL, "UTF-8, empty value, no '='");
	is_str(twh_params_get(&p, "Name"), "Zo\xc3\xab", "UTF-8 from percent-escapes");
	is_str(twh_params_get(&p, "Empty"), "", "an empty value");
	is_str(twh_params_get(&p, "Flag"), "", "a name without '=' has an empty value");
	twh_params_free(&p);

	ok(parse("a=1&&b=2&", &p) == NULL && p.n == 2, "empty pieces are skipped");
	twh_params_free(&p);
	ok(parse("", &p) == NULL && p.n == 0, "an empty body has no parameters");
	twh_params_free(&p);
	ok(parse("A%3Db=c%26d", &p) == NULL, "escaped '=' and '&'");
	is_str(p.v[0].name, "A=b", "an escaped '=' belongs to the name");
	is_str(p.v[0].value, "c&d", "an escaped '&' belongs to the value");
	twh_params_free(&p);

	refused("a=%zz", "invalid percent-encoding");
	refused("a=%4", "truncated percent-encoding");
	refused("a=%", "truncated percent-encoding");
	refused("a%=1", "truncated percent-encoding");
	refused("a%g1=1", "invalid percent-encoding");
	refused("a=1%00", "a parameter holds a NUL byte");
	refused("a=%C3", "a parameter is not valid UTF-8");
	refused("a=%C0%AF", "a parameter is not valid UTF-8");
	refused("a=%ED%A0%80", "a parameter is not valid UTF-8");
	refused("a=\xff", "a parameter is not valid UTF-8");
	refused("=1", "a parameter without a name");

	twh_buf_init(&many);
	for (i = 0; i < TWH_FORM_MAX_PARAMS; i++)
		twh_buf_printf(&many, "%sp%d=%d", i ? "&" : "", i, i);
	ok(parse(many.data, &p) == NULL && p.n == TWH_FORM_MAX_PARAMS, "the most parameters allowed");
	twh_params_free(&p);
	twh_buf_adds(&many, "&one=more");
	is_str(parse(many.data, &p), "too many parameters", "one parameter too many");
	twh_params_free(&p);
	twh_buf_free(&many);

	/* Encoding: what twh_form_encode writes, twh_form_parse reads back the same. */
	twh_buf_init(&many);
	twh_params_init(&p);
	twh_params_add(&p, "a b", 3, "x&y=z+%\xc3\xa9~", 10);
	twh_params_add(&p, "empty", 5, "", 0);
	ok(twh_form_encode(&p, &many) == 0, "a form encodes");
	is_str(many.data, "a+b=x%26y%3Dz%2B%25%C3%A9~&empty=", "every reserved byte escaped");
	twh_params_free(&p);
	ok(parse(many.data, &p) == NULL && p.n == 2, "and parses back to two parameters");
	is_str(twh_params_get(&p, "a b"), "x&y=z+%\xc3\xa9~", "with the same value");
	twh_params_free(&p);
	twh_buf_free(&many);
	return done_testing();
}
