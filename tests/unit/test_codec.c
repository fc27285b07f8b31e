/*
 * test_codec.c: base64 in both alphabets, UTF-8 decoding and validation, XML escaping, and the
 * page token's round trip.
 */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "twh_base64.h"
#include "twh_page_token.h"
#include "twh_twiml.h"
#include "twh_utf8.h"

static void
b64(const char *in, bool url, const char *want)
{
	struct twh_buf	 enc, dec;

	twh_buf_init(&enc);
	twh_buf_init(&dec);
	twh_base64_encode(in, strlen(in), url, &enc);
	is_str(enc.data, want, url ? "base64url encodes" : "base64 encodes");
	ok(twh_base64_decode(enc.data, enc.len, url, &dec) == 0 && dec.len == strlen(in) &&
	    memcmp(dec.data, in, dec.len) == 0, "and decodes back: '%s'", in);
	twh_buf_free(&enc);
	twh_buf_free(&dec);
}

static void
b64_bad(const char *in, bool url)
{
	struct twh_buf	 dec;

	twh_buf_init(&dec);
	ok(twh_base64_decode(in, strlen(in), url, &dec) == -1, "'%s' is not %s", in,
	    url ? "base64url" : "base64");
	twh_buf_free(&dec);
}

static void
xml(const char *in, const char *want, const char *what)
{
	struct twh_buf	 out;

	twh_buf_init(&out);
	ok(twh_xml_escape(&out, in) == 0, "escaping %s", what);
	is_str(out.data != NULL ? out.data : "", want, what);
	twh_buf_free(&out);
}

int
main(void)
{
	unsigned		 cp;

	struct twh_page_key	 key = { "Zo\xc3\xab \"A\"", "42" }, back;
	struct twh_buf		 tok;

	b64("", false, "");
	b64("f", false, "Zg==");
	b64("fo", false, "Zm8=");
	b64("foo", false, "Zm9v");
	b64("\xfb\xff", false, "+/8=");
	b64("f", true, "Zg");
	b64("\xfb\xff", true, "-_8");
	b64_bad("Zg=", false);
	b64_bad("Zh==", false);
	b64_bad("Z===", false);
	b64_bad("Zm9v\n", false);
	b64_bad("Zg==", true);
	b64_bad("+/8", true);
	b64_bad("Z", true);

	ok(twh_utf8_valid("plain", 5), "ASCII is UTF-8");
	ok(twh_utf8_valid("\xf0\x9f\x98\x80", 4), "an emoji is UTF-8");
	ok(!twh_utf8_valid("\xc0\x80", 2), "an overlong NUL is not");
	ok(!twh_utf8_valid("\xf4\x90\x80\x80", 4), "past U+10FFFF is not");
	ok(!twh_utf8_valid("\xe2\x82", 2), "a truncated sequence is not");
	ok(!twh_utf8_valid("\xed\xa0\x80", 3), "a surrogate is not");
	ok(twh_utf8_decode("\xc3\xa9t\xc3\xa9", 5, &cp) == 2 && cp == 0xe9,
	    "decoding: U+00E9 is two bytes");
	ok(twh_utf8_decode("\xf0\x9f\x98\x80", 4, &cp) == 4 && cp == 0x1f600,
	    "decoding: U+1F600 is four");
	ok(twh_utf8_decode("\xf0\x9f\x98", 3, &cp) == 0, "decoding: a truncated sequence is 0");
	ok(twh_utf8_decode("", 0, &cp) == 0, "decoding: nothing is 0");

	xml("plain text", "plain text", "plain text");
	xml("<a href=\"x\">Tom & 'Jerry'</a>",
	    "&lt;a href=&quot;x&quot;&gt;Tom &amp; &apos;Jerry&apos;&lt;/a&gt;",
	    "the five markup characters");
	xml("a\tb\nc\rd", "a\tb\nc&#13;d", "tab and LF kept, CR as a reference");
	xml("\x01" "bell\x07" "esc\x1b\x7f", "bellesc\x7f", "other C0 controls left out, DEL kept");
	xml("bad \xff \xc3( \xed\xa0\x80 end", "bad \xef\xbf\xbd \xef\xbf\xbd( "
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" " end", "invalid UTF-8 bytes each become U+FFFD");
	xml("\xef\xbf\xbe\xef\xbf\xbf", "\xef\xbf\xbd\xef\xbf\xbd", "U+FFFE and U+FFFF become U+FFFD");
	xml("\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80", "\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80",
	    "valid UTF-8 is kept");

	twh_buf_init(&tok);
	ok(twh_page_token_encode(&key, &tok) == 0, "a page token is made");
	ok(strspn(tok.data, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
	    tok.len, "it is URL-safe");
	ok(twh_page_token_decode(tok.data, &back) == 0, "it decodes");
	is_str(back.display_name, key.display_name, "the display name comes back");
	is_str(back.customer_id, key.customer_id, "the customer_id comes back");
	twh_page_key_free(&back);
	twh_buf_free(&tok);
	ok(twh_page_token_decode("", &back) == -1, "an empty token is refused");
	ok(twh_page_token_decode("not a token", &back) == -1, "garbage is refused");
	ok(twh_page_token_decode("MgBhADE", &back) == -1, "another format version is refused");
	ok(twh_page_token_decode("MQBhAA", &back) == -1, "an empty customer_id is refused");
	ok(twh_page_token_decode("MQBhADEAMg", &back) == -1, "a third field is refused");
	return done_testing();
}
