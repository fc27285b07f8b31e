/*
 * twh_twiml.c: TwiML output.  Every answer is a well-formed XML document whatever the data
 * holds: the five markup characters become entities, a carriage return a character reference
 * (a parser would turn a raw one into a line feed), other control characters that XML 1.0
 * cannot carry are left out, and bytes that are not UTF-8 (or U+FFFE, U+FFFF) become U+FFFD.
 */
#include <string.h>

#include "twh_twiml.h"
#include "twh_utf8.h"

static const char replacement[] = "\xef\xbf\xbd";	/* U+FFFD in UTF-8 */

/* Appends TEXT to B as XML character data (or an attribute value). */
int
twh_xml_escape(struct twh_buf *b, const char *text)
{
	size_t		 len = strlen(text), n;
	unsigned	 cp;
	int		 rc = 0;

	for (; len > 0 && rc == 0; text += n, len -= n) {
		if ((n = twh_utf8_decode(text, len, &cp)) == 0) {
			n = 1;
			rc = twh_buf_adds(b, replacement);
			continue;
		}
		switch (cp) {
		case '&': rc = twh_buf_adds(b, "&amp;"); break;
		case '<': rc = twh_buf_adds(b, "&lt;"); break;
		case '>': rc = twh_buf_adds(b, "&gt;"); break;
		case '"': rc = twh_buf_adds(b, "&quot;"); break;
		case '\'': rc = twh_buf_adds(b, "&apos;"); break;
		case '\r': rc = twh_buf_adds(b, "&#13;"); break;
		case '\t':
		case '\n': rc = twh_buf_addc(b, (char)cp); break;
		case 0xfffe:
		case 0xffff: rc = twh_buf_adds(b, replacement); break;
		default:
			if (cp >= 0x20)
				rc = twh_buf_add(b, text, n);
		}
	}
	return rc;
}

/* Sets RES to a TwiML document of the VERBS that have text: <Response/> when none has. */
void
twh_response_twiml(struct twh_response *res, int status, const struct twh_twiml_verb *verbs,
    size_t n)
{
	struct twh_buf	*b = &res->body;
	bool		 empty = true;
	size_t		 i;
	int		 rc;

	twh_buf_reset(b);
	rc = twh_buf_adds(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response>");
	for (i = 0; i < n && rc == 0; i++) {
		if (verbs[i].text == NULL || *verbs[i].text == '\0')
			continue;
		empty = false;
		if (twh_buf_printf(b, "<%s>", verbs[i].name) == -1 ||
		    twh_xml_escape(b, verbs[i].text) == -1 ||
		    twh_buf_printf(b, "</%s>", verbs[i].name) == -1)
			rc = -1;
	}
	if (rc == 0 && empty) {
		b->data[--b->len] = '\0';	/* "<Response>" becomes "<Response/>" */
		rc = twh_buf_adds(b, "/>");
	} else if (rc == 0)
		rc = twh_buf_adds(b, "</Response>");
	if (rc == -1) {
		twh_response_error(res, 500, "out of memory");
		return;
	}
	res->status = status;
	res->content_type = "application/xml";
}
