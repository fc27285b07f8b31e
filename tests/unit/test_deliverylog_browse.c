/*
 * test_deliverylog_browse.c: browsing the delivery log a page at a time (twh_deliverylog_browse.c)
 * over days' files written here in the writer's format, with what a real log may hold besides:
 * malformed lines, a line cut by a crash, a line longer than any reader keeps, lines a few
 * seconds out of order, a hand-edited line, a file without its final newline and an empty one.
 * Each filter's pages, walked to the end with `before`, must give every line it selects exactly
 * once, newest first, whatever the page size and the budget; every id must fetch its line; and
 * ids from a hostile URL must be refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "twh_deliverylog_browse.h"

#define DAYS		4
#define LINES_A_DAY	900
#define MAX_RECORDS	(DAYS * (LINES_A_DAY + 16))
#define RARE_SID	"CA0123456789abcdef0123456789abcdef"
#define TOKEN_SID	"IT0123456789abcdef0123456789abcdef"
#define NO_SID		"SM00000000000000000000000000000000"

/* What was written: every line, and whether it is a delivery a reader must find. */
struct record {
	char		 day[11];
	long		 offset;
	char		 time[TWH_DELIVERYLOG_TIME_LEN + 1];
	const char	*endpoint;
	int		 status;
	int		 rare;		/* RARE_SID (or TOKEN_SID as its token) is among its SIDs */
	int		 delivery;
};

static struct record	 records[MAX_RECORDS];
static size_t		 n_records;
static char		 dir[] = "/tmp/test_deliverylog_browse.XXXXXX";
static unsigned long	 seed = 12345;

static unsigned long
random_below(unsigned long n)
{
	seed = seed * 6364136223846793005UL + 1442695040888963407UL;
	return (seed >> 33) % n;
}

static FILE *
open_file(const char *day)
{
	char	 path[512];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s.jsonl", dir, day);
	if ((fp = fopen(path, "w")) == NULL)
		exit(2);
	return fp;
}

/* Notes a line of FP about to be written, and returns its record. */
static struct record *
note(FILE *fp, const char *day, int delivery)
{
	struct record	*r = &records[n_records++];

	memset(r, 0, sizeof(*r));
	snprintf(r->day, sizeof(r->day), "%s", day);
	r->offset = ftell(fp);
	r->delivery = delivery;
	return r;
}

/* A delivery as the writer lays it out, with PAD bytes of padding among its parameters. */
static void
delivery_text(char *out, size_t size, const struct record *r, const char *sids,
    const char *token, size_t pad)
{
	char	 padding[4096];

	memset(padding, 'x', pad);
	padding[pad] = '\0';
	snprintf(out, size, "{\"time\":\"%s\",\"endpoint\":\"%s\",\"status\":%d,\"ms\":1.25,"
	    "\"method\":\"POST\",\"signature\":\"valid\"%s%s%s,\"sids\":[%s],\"params\":"
	    "[[\"From\",\"+15550001111\"],[\"Pad\",\"%s\"]]}", r->time, r->endpoint, r->status,
	    token != NULL ? ",\"token\":\"" : "", token != NULL ? token : "",
	    token != NULL ? "\"" : "", sids, padding);
}

/* One day's file: mostly deliveries of varied lengths (so that lines straddle reads), and
 * what else a log may hold.  The newest day lacks its final newline. */
static void
write_day(const char *day, int last)
{
	static const char *const endpoints[] = { "crm", "routing", "proxy-callback" };
	static const int statuses[] = { 200, 200, 200, 200, 200, 403, 404, 500 };
	static char	 line[8192];
	struct record	*r;
	FILE		*fp = open_file(day);
	long		 second = 0, ms;
	int		 i, kind, cut = 0;

	for (i = 0; i < LINES_A_DAY; i++) {
		second += 1 + (long)random_below(190);
		if (second >= 86400)
			second = 86399;
		/* One line in 20 arrived up to 5 s before the line above it: a slow answer. */
		ms = (long)random_below(1000);
		kind = (int)random_below(100);
		r = note(fp, day, !cut);
		cut = 0;
		snprintf(r->time, sizeof(r->time), "%sT%02ld:%02ld:%02ld.%03ldZ", day,
		    (second - (kind < 5 && second > 5 ? kind : 0)) / 3600,
		    (second - (kind < 5 && second > 5 ? kind : 0)) / 60 % 60,
		    (second - (kind < 5 && second > 5 ? kind : 0)) % 60, ms);
		r->endpoint = endpoints[random_below(3)];
		r->status = statuses[random_below(8)];
		if (i == 17 || i == 400 || i == 401) {
			r->rare = 1;
			delivery_text(line, sizeof(line), r, "\"" RARE_SID "\"", NULL, 40);
		} else if (i == 250) {
			r->rare = 1;
			delivery_text(line, sizeof(line), r, "", RARE_SID, 40);
		} else if (i == 500) {
			/* The SID in the text, but only as a word of a parameter: not selected. */
			snprintf(line, sizeof(line), "{\"time\":\"%s\",\"endpoint\":\"%s\","
			    "\"status\":%d,\"sids\":[],\"params\":[[\"Note\",\"about %s\"]]}",
			    r->time, r->endpoint, r->status, RARE_SID);
		} else if (i == 600) {
			/* A hand edit: the members in another order. */
			snprintf(line, sizeof(line), "{ \"status\": %d, \"endpoint\": \"%s\", "
			    "\"time\": \"%s\", \"sids\": [] }", r->status, r->endpoint, r->time);
		} else
			delivery_text(line, sizeof(line), r, "\"SM0000000000000000000000000000000a\"",
			    NULL, random_below(20) == 0 ? 3000 : random_below(1200));
		fputs(line, fp);
		if (!last || i < LINES_A_DAY - 1)
			fputc('\n', fp);
		/* What else a log may hold, after some lines. */
		if (i == 100) {
			note(fp, day, 0);
			fputs("not json at all\n", fp);
			note(fp, day, 0);
			fputc('\n', fp);
			note(fp, day, 0);
			fputs("[1,2,3]\n", fp);
		} else if (i == 300) {
			/* A crash cut a line, and the next one was appended to it. */
			note(fp, day, 0);
			fwrite(line, 1, strlen(line) / 2, fp);
			cut = 1;
		} else if (i == 700 && strcmp(day, "2026-03-02") == 0) {
			/* A line longer than any reader keeps. */
			note(fp, day, 0);
			fputs("{\"time\":\"", fp);
			for (kind = 0; kind < 1100; kind++)
				fprintf(fp, "%01000d", 0);
			fputs("\"}\n", fp);
		}
	}
	fclose(fp);
}

/* The rows a walk through the pages gave. */
struct walk {
	char	 (*ids)[TWH_DELIVERYLOG_ID_SIZE];
	size_t	 n, pages, spent_pages, overfull_pages, time_mismatch;
};

static void
collect(void *arg, const char *id, struct json_object *line)
{
	struct walk		*w = arg;
	struct json_object	*time;

	if (w->n < MAX_RECORDS)
		snprintf(w->ids[w->n++], TWH_DELIVERYLOG_ID_SIZE, "%s", id);
	if (!json_object_object_get_ex(line, "time", &time) ||
	    strncmp(json_object_get_string(time), id, 10) != 0)
		w->time_mismatch++;
}

static int
selected(const struct twh_delivery_filter *f, const struct record *r)
{
	return r->delivery && (f->endpoint == NULL || strcmp(f->endpoint, r->endpoint) == 0) &&
	    ((f->status_min == 0 && f->status_max == 0) ||
	    (r->status >= f->status_min && r->status <= f->status_max)) &&
	    (f->sid == NULL || (strcmp(f->sid, RARE_SID) == 0 && r->rare)) &&
	    (f->since == NULL || strcmp(r->time, f->since) >= 0) &&
	    (f->until == NULL || strcmp(r->time, f->until) < 0);
}

/* Walks F's pages of LIMIT rows with BUDGET bytes each to the end: whether it gives exactly
 * the lines F selects, newest first.  How many pages the budget cut short is in *SPENT. */
static void
walk(const char *name, const struct twh_delivery_filter *f, size_t limit, size_t budget,
    size_t *spent)
{
	struct walk			 w = { 0 };
	struct twh_delivery_page	 page;
	char				 before[TWH_DELIVERYLOG_ID_SIZE] = "", want[32];
	size_t				 i, k = 0, wrong = 0, expected = 0;
	int				 rc;

	w.ids = calloc(MAX_RECORDS, sizeof(*w.ids));
	do {
		rc = twh_deliverylog_browse_budget(dir, f, before[0] != '\0' ? before : NULL, limit,
		    budget, collect, &w, &page);
		w.pages++;
		w.spent_pages += page.budget_spent;
		w.overfull_pages += page.rows > limit || (page.budget_spent && page.rows == limit);
		snprintf(before, sizeof(before), "%s", page.next);
	} while (rc == 0 && before[0] != '\0' && w.pages < 100000);
	for (i = n_records; i-- > 0; ) {
		if (!selected(f, &records[i]))
			continue;
		expected++;
		snprintf(want, sizeof(want), "%.10s:%ld", records[i].day, records[i].offset);
		if (k >= w.n || strcmp(w.ids[k++], want) != 0)
			wrong++;
	}
	ok(rc == 0 && wrong == 0 && w.n == expected && w.overfull_pages == 0 &&
	    w.time_mismatch == 0, "%s: %zu lines in %zu pages of %zu, each once, newest first",
	    name, w.n, w.pages, limit);
	if (wrong != 0 || w.n != expected)
		printf("#   %zu rows, %zu expected, %zu out of place\n", w.n, expected, wrong);
	if (spent != NULL)
		*spent = w.spent_pages;
	free(w.ids);
}

static void
count_row(void *arg, const char *id, struct json_object *line)
{
	(void)id;
	(void)line;
	(*(size_t *)arg)++;
}

/* Whether browsing from BEFORE fails with ERRNO_WANT, and fetching it too. */
static void
refused(const char *id, int errno_want)
{
	struct twh_delivery_filter	 any = { .status_min = 0, .status_max = 999 };
	struct twh_delivery_page	 page;
	struct json_object		*line = (void *)1;
	size_t				 rows = 0;
	int				 rc, fetch_errno, browse_errno;

	rc = twh_deliverylog_fetch(dir, id, &line);
	fetch_errno = errno;
	ok(rc == -1 && line == NULL && fetch_errno == errno_want, "fetch '%s' refused (%s)", id,
	    strerror(errno_want));
	rc = twh_deliverylog_browse(dir, &any, id, 10, count_row, &rows, &page);
	browse_errno = errno;
	ok(rc == -1 && rows == 0 && browse_errno == errno_want, "browse before '%s' refused",
	    id);
}

static void
fetch_all(void)
{
	struct json_object	*line, *time;
	char			 id[32];
	size_t			 i, good = 0, deliveries = 0, refused_ok = 0, others = 0;

	for (i = 0; i < n_records; i++) {
		snprintf(id, sizeof(id), "%.10s:%ld", records[i].day, records[i].offset);
		if (!records[i].delivery) {
			others++;
			refused_ok += twh_deliverylog_fetch(dir, id, &line) == -1 &&
			    errno == ENOENT;
			continue;
		}
		deliveries++;
		if (twh_deliverylog_fetch(dir, id, &line) == 0) {
			good += json_object_object_get_ex(line, "time", &time) &&
			    strcmp(json_object_get_string(time), records[i].time) == 0;
			json_object_put(line);
		}
	}
	ok(good == deliveries, "each of the %zu deliveries fetched by its id", deliveries);
	ok(refused_ok == others, "the %zu lines that are not deliveries are not found", others);
}

/* Filters, and the page size to walk each with. */
static const struct {
	const char			*name;
	struct twh_delivery_filter	 f;
	size_t				 limit;
} filters[] = {
	{ "a filter all zeros selects every status", { .status_max = 0 }, 500 },
	{ "endpoint crm", { .endpoint = "crm", .status_max = 999 }, 30 },
	{ "endpoint crm, status 4xx", { .endpoint = "crm", .status_min = 400,
	    .status_max = 499 }, 30 },
	{ "status 404", { .status_min = 404, .status_max = 404 }, 30 },
	{ "status 5xx", { .status_min = 500, .status_max = 599 }, 7 },
	{ "a rare SID, among the SIDs or as the token", { .sid = RARE_SID, .status_max = 999 },
	    5 },
	{ "a SID never logged", { .sid = NO_SID, .status_max = 999 }, 5 },
	{ "a word every line holds, not a SID", { .sid = "valid", .status_max = 999 }, 5 },
	{ "a SID's start", { .sid = "CA0123456789", .status_max = 999 }, 5 },
	{ "since 2026-03-02T06:00 until 2026-03-03T12:00:00", { .status_max = 999,
	    .since = "2026-03-02T06:00", .until = "2026-03-03T12:00:00" }, 40 },
	{ "an hour across midnight", { .status_max = 999, .since = "2026-03-03T23:30",
	    .until = "2026-03-04T00:30:00.000Z" }, 3 },
	{ "since a day", { .status_max = 999, .since = "2026-03-03" }, 100 },
	{ "until a day, endpoint routing", { .endpoint = "routing", .status_max = 999,
	    .until = "2026-03-02" }, 100 },
	{ "until an hour", { .status_max = 999, .until = "2026-03-01T01" }, 3 },
	{ "since and until the same", { .status_max = 999, .since = "2026-03-02T10:00",
	    .until = "2026-03-02T10:00" }, 3 },
};

/* A day's file of NAME that holds a delivery of TIME, another day's. */
static void
liar(const char *name, const char *time)
{
	FILE	*fp = open_file(name);

	fprintf(fp, "{\"time\":\"%s\",\"endpoint\":\"crm\",\"status\":200,\"sids\":[]}\n",
	    time);
	fclose(fp);
}

int
main(void)
{
	static const char *const days[DAYS] = { "2026-03-01", "2026-03-02", "2026-03-03",
	    "2026-03-04" };
	struct twh_delivery_filter	 f;
	struct twh_delivery_page	 page;
	struct json_object		*line;
	char				 path[512], id[64];
	size_t				 spent, rows, i;
	FILE				*fp;

	if (mkdtemp(dir) == NULL)
		return 2;
	for (i = 0; i < DAYS; i++)
		write_day(days[i], i == DAYS - 1);
	fclose(open_file("2026-02-28"));	/* an empty day */
	snprintf(path, sizeof(path), "%s/notes.txt", dir);
	if ((fp = fopen(path, "w")) == NULL)
		return 2;
	fputs("{\"time\":\"2027-01-01T00:00:00.000Z\",\"endpoint\":\"crm\",\"status\":200}\n", fp);
	fclose(fp);

	/* Newest first, through pages of every size; the budget never spent. */
	f = (struct twh_delivery_filter){ .status_min = 0, .status_max = 999 };
	walk("everything", &f, 1, TWH_DELIVERYLOG_BROWSE_BUDGET, NULL);
	walk("everything", &f, 50, TWH_DELIVERYLOG_BROWSE_BUDGET, NULL);
	walk("everything", &f, 10000, TWH_DELIVERYLOG_BROWSE_BUDGET, NULL);
	rows = 0;
	twh_deliverylog_browse(dir, &f, NULL, 1, count_row, &rows, &page);
	snprintf(id, sizeof(id), "%.10s:%ld", records[n_records - 1].day,
	    records[n_records - 1].offset);
	is_str(page.next, id, "the newest line is the last, without its newline");

	/* Each filter, and time ranges. */
	for (i = 0; i < sizeof(filters) / sizeof(filters[0]); i++)
		walk(filters[i].name, &filters[i].f, filters[i].limit,
		    TWH_DELIVERYLOG_BROWSE_BUDGET, NULL);

	/* The days out of the range are passed over by their names: files that say otherwise
	 * inside are never read. */
	liar("2026-02-27", "2026-03-02T07:00:00.000Z");
	liar("2026-03-05", "2026-03-02T07:00:00.000Z");
	f = (struct twh_delivery_filter){ .status_min = 0, .status_max = 999,
	    .since = "2026-03-01", .until = "2026-03-03" };
	walk("the days' files out of the range are not read", &f, 1000,
	    TWH_DELIVERYLOG_BROWSE_BUDGET, NULL);
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/2026-0%s.jsonl", dir, i == 0 ? "2-27" : "3-05");
		unlink(path);
	}

	/* The budget: pages cut short, each saying where to go on. */
	f = (struct twh_delivery_filter){ .status_min = 0, .status_max = 999, .sid = RARE_SID };
	walk("a rare SID, 100 KiB a page", &f, 5, 100 * 1024, &spent);
	ok(spent > 5, "the budget cut %zu pages short", spent);
	f.sid = NULL;
	walk("everything, 64 KiB a page", &f, 1000, 64 * 1024, &spent);
	ok(spent > 5, "the budget cut %zu pages short", spent);
	f.status_min = f.status_max = 500;
	walk("status 500, 1 byte a page (one read each)", &f, 1000, 1, &spent);

	/* Fetching by id, and refusing what is not an id. */
	fetch_all();
	snprintf(id, sizeof(id), "%.10s:%ld", records[3].day, records[3].offset + 1);
	refused(id, ENOENT);
	snprintf(id, sizeof(id), "%.10s:%ld", records[3].day, records[3].offset - 1);
	refused(id, ENOENT);
	refused("2026-03-01:999999999999999", ENOENT);
	refused("2026-03-05:0", ENOENT);
	refused("2026-13-45:0", ENOENT);
	refused("2026-03-01:9999999999999999", EINVAL);
	refused("2026-03-01:99999999999999999999999999999999", EINVAL);
	refused("../../../etc/passwd", EINVAL);
	refused("2026-03-01:../../etc/passwd", EINVAL);
	refused("../2026-03:0", EINVAL);
	refused("2026-03-01/../2026-03-02:0", EINVAL);
	refused("2026-03-01:-1", EINVAL);
	refused("2026-03-01:+1", EINVAL);
	refused("2026-03-01:01", EINVAL);
	refused("2026-03-01:0x10", EINVAL);
	refused("2026-03-01:1 ", EINVAL);
	refused("2026-03-01:", EINVAL);
	refused("2026-03-01", EINVAL);
	refused("2026-3-01:0", EINVAL);
	refused("abcd-ef-gh:0", EINVAL);
	refused("", EINVAL);
	refused("notes.txt:0", EINVAL);
	snprintf(id, sizeof(id), "2026-03-04:%ld", records[n_records - 1].offset);
	ok(twh_deliverylog_fetch(dir, id, &line) == 0, "the line without its newline fetched");
	json_object_put(line);
	f = (struct twh_delivery_filter){ .status_min = 0, .status_max = 999 };
	rows = 0;
	ok(twh_deliverylog_browse(dir, &f, "2026-03-01:0", 10, count_row, &rows, &page) == 0 &&
	    rows == 0 && page.next[0] == '\0', "nothing before the oldest line");
	ok(twh_deliverylog_browse(dir, &f, NULL, 0, count_row, &rows, &page) == -1 &&
	    errno == EINVAL, "a page of 0 lines refused");
	snprintf(path, sizeof(path), "%s/nowhere", dir);
	ok(twh_deliverylog_browse(path, &f, NULL, 10, count_row, &rows, &page) == -1 &&
	    errno == ENOENT, "no log yet: ENOENT");

	if (getenv("KEEP") != NULL)
		return done_testing();
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		return 2;
	return done_testing();
}
