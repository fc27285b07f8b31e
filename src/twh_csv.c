/*
 * twh_csv.c: CSV as RFC 4180 has it.  Reading takes one record at a time from a stream, so a
 * file of any size costs the memory of its longest record: fields are separated by commas, a
 * field in double quotes may hold commas, line breaks and doubled quotes, and records end in
 * CRLF or LF (the last one may end the file instead).  A quote inside an unquoted field, text
 * after a closing quote and a quote left open are errors with their line.  Lines with
 * nothing on them are skipped.  Writing quotes a field only when it must.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "twh_csv.h"

void
twh_csv_init(struct twh_csv *csv, FILE *fp)
{
	memset(csv, 0, sizeof(*csv));
	csv->fp = fp;
	csv->next_line = 1;
	twh_buf_init(&csv->text);
}

void
twh_csv_free(struct twh_csv *csv)
{
	twh_buf_free(&csv->text);
	free(csv->starts);
	csv->starts = NULL;
	csv->n = csv->cap = 0;
}

/* Field I of the last record (0 is the first), or NULL past its end. */
const char *
twh_csv_field(const struct twh_csv *csv, size_t i)
{
	return i < csv->n ? csv->text.data + csv->starts[i] : NULL;
}

static int
begin_field(struct twh_csv *csv)
{
	size_t	*v;

	if (csv->n == csv->cap) {
		if ((v = reallocarray(csv->starts, csv->cap ? csv->cap * 2 : 16, sizeof(*v))) ==
		    NULL)
			return -1;
		csv->starts = v;
		csv->cap = csv->cap ? csv->cap * 2 : 16;
	}
	csv->starts[csv->n++] = csv->text.len;
	return 0;
}

static int
fail(struct twh_csv *csv, const char *why)
{
	snprintf(csv->err, sizeof(csv->err), "%s", why);
	csv->err_line = csv->next_line;
	return -1;
}

/* A quoted field's text, after its opening quote, up to the character after its closing one. */
static int
quoted(struct twh_csv *csv, int *after)
{
	long	 began = csv->next_line;
	int	 c;

	for (;;) {
		if ((c = getc_unlocked(csv->fp)) == EOF) {
			csv->next_line = began;
			return fail(csv, "a quoted field that began here is not closed");
		}
		if (c == '"' && (c = getc_unlocked(csv->fp)) != '"') {
			*after = c;
			return 0;
		}
		if (c == '\n')
			csv->next_line++;
		if (twh_buf_addc(&csv->text, (char)c) == -1)
			return fail(csv, "out of memory");
	}
}

/*
 * Reads the next record: 1 with its fields, 0 at the end of the stream, -1 with the reason in
 * err (out of memory, a read error, or text that is not CSV).
 */
int
twh_csv_read(struct twh_csv *csv)
{
	bool	 any;
	int	 c;

	do {
		twh_buf_reset(&csv->text);
		csv->n = 0;
		csv->line = csv->next_line;
		any = false;
		if (begin_field(csv) == -1)
			return fail(csv, "out of memory");
		for (;;) {
			c = getc_unlocked(csv->fp);
			if (c == '"' && csv->text.len == csv->starts[csv->n - 1]) {
				if (quoted(csv, &c) == -1)
					return -1;
				any = true;
				if (c != ',' && c != '\n' && c != '\r' && c != EOF)
					return fail(csv, "text after a closing quote (a quote in a "
					    "field is written twice, and the field quoted)");
			}
			if (c == '\r') {
				if ((c = getc_unlocked(csv->fp)) != '\n') {
					if (c != EOF)
						ungetc(c, csv->fp);
					c = '\r';
					if (twh_buf_addc(&csv->text, '\r') == -1)
						return fail(csv, "out of memory");
					continue;
				}
			}
			if (c == EOF || c == '\n' || c == ',') {
				if (twh_buf_addc(&csv->text, '\0') == -1)
					return fail(csv, "out of memory");
				if (c == ',') {
					any = true;
					if (begin_field(csv) == -1)
						return fail(csv, "out of memory");
					continue;
				}
				break;
			}
			if (c == '"')
				return fail(csv, "a quote inside an unquoted field (quote the field, "
				    "and write the quote twice)");
			any = true;
			if (twh_buf_addc(&csv->text, (char)c) == -1)
				return fail(csv, "out of memory");
		}
		if (ferror(csv->fp))
			return fail(csv, "cannot read it");
		if (c == '\n')
			csv->next_line++;
		else if (!any)
			return 0;
	} while (!any);
	return 1;
}

/* Appends FIELD to OUT, quoted when it must be, then a comma, or CRLF when LAST. */
int
twh_csv_put(struct twh_buf *out, const char *field, int last)
{
	const char	*p;
	int		 rc = 0;

	if (field[strcspn(field, ",\"\r\n")] == '\0')
		rc = twh_buf_adds(out, field);
	else {
		rc = twh_buf_addc(out, '"');
		for (p = field; *p != '\0' && rc == 0; p++)
			rc = *p == '"' ? twh_buf_adds(out, "\"\"") : twh_buf_addc(out, *p);
		if (rc == 0)
			rc = twh_buf_addc(out, '"');
	}
	if (rc == 0)
		rc = twh_buf_adds(out, last ? "\r\n" : ",");
	return rc;
}
