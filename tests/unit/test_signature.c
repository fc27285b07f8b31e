/*
 * test_signature.c: the 51 X-Twilio-Signature vectors from Twilio's helper libraries
 * (vectors/signature.jsonl), each checked directly, under a second token (key rotation), and
 * after a round trip through form encoding and twh_form_parse, as a real request would be.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "tap.h"
#include "twh_buf.h"
#include "twh_form.h"
#include "twh_sig.h"

static void
encode(struct twh_buf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			twh_buf_addc(out, (char)c);
		else if (c == ' ')
			twh_buf_addc(out, '+');
		else
			twh_buf_printf(out, "%%%02X", c);
	}
}

static void
check_case(struct json_object *v)
{
	struct json_object		*pairs, *p, *body_obj;
	struct twh_signed_request	 req;
	struct twh_params		 params, parsed;
	struct twh_buf			 form;
	const char			*id, *token, *sig, *tokens[2], *why;
	int				 valid;
	size_t				 i;

	id = json_object_get_string(json_object_object_get(v, "id"));
	token = json_object_get_string(json_object_object_get(v, "token"));
	sig = json_object_get_string(json_object_object_get(v, "signature"));
	valid = json_object_get_boolean(json_object_object_get(v, "valid"));
	pairs = json_object_object_get(v, "params");
	body_obj = json_object_object_get(v, "body");

	twh_params_init(&params);
	twh_buf_init(&form);
	for (i = 0; i < json_object_array_length(pairs); i++) {
		p = json_object_array_get_idx(pairs, i);
		const char *n = json_object_get_string(json_object_array_get_idx(p, 0));
		const char *val = json_object_get_string(json_object_array_get_idx(p, 1));
		twh_params_add(&params, n, strlen(n), val, strlen(val));
		if (i > 0)
			twh_buf_addc(&form, '&');
		encode(&form, n);
		twh_buf_addc(&form, '=');
		encode(&form, val);
	}
	req.url = json_object_get_string(json_object_object_get(v, "url"));
	req.params = body_obj == NULL ? &params : NULL;
	req.body = body_obj != NULL ? json_object_get_string(body_obj) : NULL;
	req.body_len = req.body != NULL ? strlen(req.body) : 0;

	tokens[0] = token;
	ok(twh_sig_valid(&req, tokens, 1, sig) == valid, "%s: %s", id,
	    valid ? "accepted" : "refused");
	tokens[0] = "not-the-token";
	tokens[1] = token;
	ok(twh_sig_valid(&req, tokens, 2, sig) == valid, "%s: same verdict as second token", id);

	if (body_obj == NULL) {
		twh_params_init(&parsed);
		why = NULL;
		ok(twh_form_parse(form.data ? form.data : "", form.len, &parsed, &why) == 0,
		    "%s: form body parses%s%s", id, why ? ": " : "", why ? why : "");
		req.params = &parsed;
		tokens[0] = token;
		ok(twh_sig_valid(&req, tokens, 1, sig) == valid,
		    "%s: same verdict after form encoding and parsing", id);
		twh_params_free(&parsed);
	}
	twh_params_free(&params);
	twh_buf_free(&form);
}

int
main(void)
{
	const char	*srcdir = getenv("srcdir");
	char		 path[4096], line[65536];
	FILE		*fp;
	int		 cases = 0;

	snprintf(path, sizeof(path), "%s/vectors/signature.jsonl", srcdir ? srcdir : ".");
	if ((fp = fopen(path, "r")) == NULL) {
		printf("Bail out! cannot read %s\n", path);
		return 1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		struct json_object *v = json_tokener_parse(line);

		if (v == NULL) {
			ok(0, "vector line %d parses", cases + 1);
			continue;
		}
		check_case(v);
		json_object_put(v);
		cases++;
	}
	fclose(fp);
	ok(cases == 51, "all 51 vectors were read (%d)", cases);

	/* A header that is not base64 of 20 bytes never matches, and nothing crashes on it. */
	{
		struct twh_params		 none;
		struct twh_signed_request	 r = { "https://a.example/x", NULL, NULL, 0 };
		const char			*t[1] = { "12345" };

		twh_params_init(&none);
		r.params = &none;
		ok(!twh_sig_valid(&r, t, 1, NULL), "a missing header is refused");
		ok(!twh_sig_valid(&r, t, 1, ""), "an empty header is refused");
		ok(!twh_sig_valid(&r, t, 1, "AAAA"), "a short digest is refused");
		ok(!twh_sig_valid(&r, t, 0, "RSOYDt4T1cUTdK1PDd93/VVr8B8="), "no token: refused");
		r.params = NULL;
		ok(!twh_sig_valid(&r, t, 1, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
		    "a JSON request without bodySHA256 is refused");
	}
	/* twh_sig_sign reproduces the libraries' base case. */
	{
		struct twh_params	 p;
		struct twh_buf		 out;
		static const char *const kv[][2] = {
			{ "CallSid", "CA1234567890ABCDE" }, { "Caller", "+14158675309" },
			{ "Digits", "1234" }, { "From", "+14158675309" }, { "To", "+18005551212" },
		};

		twh_params_init(&p);
		twh_buf_init(&out);
		for (size_t i = 0; i < 5; i++)
			twh_params_add(&p, kv[i][0], strlen(kv[i][0]), kv[i][1], strlen(kv[i][1]));
		twh_sig_sign("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", &p, &out);
		is_str(out.data, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "twh_sig_sign: the base case");
		twh_params_free(&p);
		twh_buf_free(&out);
	}
	return done_testing();
}
