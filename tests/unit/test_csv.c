/* test_csv.c: RFC 4180 reading (quotes, line breaks in fields, CRLF, line numbers, every refusal) and writing. */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "twh_buf.h"
#include "twh_csv.h"

/* The records of TEXT, fields joined by '|', records by '/'; or "error: WHY". */
static void
reads(const char *text, const char *want, const char *name)
{
	struct twh_csv	 csv;
	struct twh_buf	 got;
	FILE		*fp = fmemopen((void *)text, strlen(text), "r");
	size_t		 i;
	int		 rc;

	twh_buf_init(&got);
	twh_buf_add(&got, "", 0);
	twh_csv_init(&csv, fp);
	while ((rc = twh_csv_read(&csv)) == 1) {
		if (got.len > 0)
			twh_buf_addc(&got, '/');
		twh_buf_printf(&got, "%ld:", csv.line);
		for (i = 0; i < csv.n; i++)
			twh_buf_printf(&got, "%s%s", i > 0 ? "|" : "", twh_csv_field(&csv, i));
	}
	if (rc == -1)
		twh_buf_printf(&got, "%serror: line %ld: %s", got.len > 0 ? "/" : "",
		    csv.err_line, csv.err);
	is_str(got.data, want, name);
	twh_csv_free(&csv);
	twh_buf_free(&got);
	fclose(fp);
}

int
main(void)
{
	struct twh_buf	 out;

	reads("a,b,c\n1,2,3\n", "1:a|b|c/2:1|2|3", "plain records, LF");
	reads("a,b\r\n1,2\r\n", "1:a|b/2:1|2", "CRLF");
	reads("a,b\n1,2", "1:a|b/2:1|2", "no line break at the end");
	reads("a,,\n", "1:a||", "empty fields");
	reads("\"x, y\",\"say \"\"hi\"\"\"\n", "1:x, y|say \"hi\"", "quotes: commas and doubled quotes");
	reads("\"two\nlines\",b\nnext,1\n", "1:two\nlines|b/3:next|1",
	    "a line break in a quoted field; the next record's line counts it");
	reads("\"crlf\r\nin\"\r\n", "1:crlf\r\nin", "CRLF inside quotes is kept");
	reads("a\n\n\nb\n", "1:a/4:b", "empty lines are skipped, and counted");
	reads("\"\"\n", "1:", "one empty quoted field is a record");
	reads("", "", "nothing: no record");
	reads("a\nb\"c\n", "1:a/error: line 2: a quote inside an unquoted field (quote the "
	    "field, and write the quote twice)", "a quote inside an unquoted field");
	reads("\"a\"b\n", "error: line 1: text after a closing quote (a quote in a field is "
	    "written twice, and the field quoted)", "text after a closing quote");
	reads("x\n\"open\n\nstill", "1:x/error: line 2: a quoted field that began here is not "
	    "closed", "a quote left open names the line it began on");
	reads("é,ü\n", "1:é|ü", "UTF-8 passes through");

	twh_buf_init(&out);
	twh_csv_put(&out, "plain", 0);
	twh_csv_put(&out, "a,b", 0);
	twh_csv_put(&out, "say \"hi\"", 0);
	twh_csv_put(&out, "two\nlines", 0);
	twh_csv_put(&out, "", 1);
	is_str(out.data, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\r\n",
	    "writing quotes only what must be, and ends the record with CRLF");
	reads(out.data, "1:plain|a,b|say \"hi\"|two\nlines|", "what is written reads back");
	twh_buf_free(&out);
	return done_testing();
}
