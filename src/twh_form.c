/*
 * twh_form.c: decodes a form body (or a query string) into parameters.  '+' is a space and %XX a
 * byte; a '%' not followed by two hex digits, a decoded NUL byte, invalid UTF-8, a parameter
 * without a name and more than TWH_FORM_MAX_PARAMS parameters are errors, each with a reason
 * short enough to send back.  Empty pieces ("a=1&&b=2") are skipped, as browsers do.
 */
#include <stdlib.h>
#include <string.h>

#include "twh_form.h"
#include "twh_utf8.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes LEN bytes of S into OUT (at least LEN bytes long). */
int
twh_form_decode(const char *s, size_t len, char *out, size_t *outlen, const char **why)
{
	size_t	 i, o = 0;
	int	 hi, lo;

	for (i = 0; i < len; i++) {
		if (s[i] == '+')
			out[o++] = ' ';
		else if (s[i] == '%') {
			if (i + 2 >= len) {
				*why = "truncated percent-encoding";
				return -1;
			}
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi == -1 || lo == -1) {
				*why = "invalid percent-encoding";
				return -1;
			}
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else
			out[o++] = s[i];
		if (o > 0 && out[o - 1] == '\0') {
			*why = "a parameter holds a NUL byte";
			return -1;
		}
	}
	if (!twh_utf8_valid(out, o)) {
		*why = "a parameter is not valid UTF-8";
		return -1;
	}
	*outlen = o;
	return 0;
}

static int
add_piece(struct twh_params *params, const char *piece, size_t len, char *scratch,
    const char **why)
{
	const char	*eq = memchr(piece, '=', len);
	size_t		 nlen = eq != NULL ? (size_t)(eq - piece) : len;
	size_t		 name_out, value_out;
	char		*value_buf = scratch + nlen + 1;

	if (nlen == 0) {
		*why = "a parameter without a name";
		return -1;
	}
	if (twh_form_decode(piece, nlen, scratch, &name_out, why) == -1)
		return -1;
	value_out = 0;
	if (eq != NULL &&
	    twh_form_decode(eq + 1, len - nlen - 1, value_buf, &value_out, why) == -1)
		return -1;
	if (params->n == TWH_FORM_MAX_PARAMS) {
		*why = "too many parameters";
		return -1;
	}
	if (twh_params_add(params, scratch, name_out, value_buf, value_out) == -1) {
		*why = "out of memory";
		return -1;
	}
	return 0;
}

/* Appends the parameters of S to PARAMS; on error PARAMS may hold a prefix and WHY says why. */
int
twh_form_parse(const char *s, size_t len, struct twh_params *params, const char **why)
{
	const char	*end = s + len, *amp;
	char		*scratch;
	size_t		 n;
	int		 rc = 0;

	if ((scratch = malloc(len + 2)) == NULL) {
		*why = "out of memory";
		return -1;
	}
	while (rc == 0 && s < end) {
		amp = memchr(s, '&', (size_t)(end - s));
		n = amp != NULL ? (size_t)(amp - s) : (size_t)(end - s);
		if (n > 0)
			rc = add_piece(params, s, n, scratch, why);
		s += n + (amp != NULL);
	}
	free(scratch);
	return rc;
}

/* Appends S to OUT percent-encoded as a form's name or value: unreserved characters as they
 * are, a space as '+', every other byte as %XX. */
int
twh_form_encode_value(struct twh_buf *out, const char *s)
{
	int	 rc = twh_buf_add(out, "", 0);

	for (; *s != '\0' && rc == 0; s++) {
		unsigned char	 c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    strchr("-._~", c) != NULL)
			rc = twh_buf_addc(out, (char)c);
		else if (c == ' ')
			rc = twh_buf_addc(out, '+');
		else
			rc = twh_buf_printf(out, "%%%02X", c);
	}
	return rc;
}

/* Appends PARAMS to OUT as an application/x-www-form-urlencoded body or query. */
int
twh_form_encode(const struct twh_params *params, struct twh_buf *out)
{
	size_t	 i;
	int	 rc = twh_buf_add(out, "", 0);

	for (i = 0; i < params->n && rc == 0; i++) {
		if (i > 0 && twh_buf_addc(out, '&') == -1)
			return -1;
		if (twh_form_encode_value(out, params->v[i].name) == -1 ||
		    twh_buf_addc(out, '=') == -1)
			return -1;
		rc = twh_form_encode_value(out, params->v[i].value);
	}
	return rc;
}
