/*
 * console_charts.c: the Overview's charts, drawn on the server as inline SVG: requests and
 * errors over time (a bar per minute or hour, its errors in red at its foot) and the latency
 * histogram.  No script and nothing fetched: shapes and text with presentation attributes,
 * which the console's Content-Security-Policy allows.
 */
#include <math.h>
#include <stdio.h>
#include <time.h>

#include "console.h"
#include "console_charts.h"

#define WIDTH		640
#define HEIGHT		170
#define LEFT		48	/* the scale's labels */
#define BOTTOM		22	/* the time or bound labels */
#define TOP		8
#define PLOT_W		(WIDTH - LEFT - 8)
#define PLOT_H		(HEIGHT - TOP - BOTTOM)

/* A chart's bars: N values, an optional part of each in red, and a label under some. */
struct bars {
	const char	*title;
	int		 n;
	uint64_t	 value[TWH_METRICS_POINTS_MAX];
	uint64_t	 red[TWH_METRICS_POINTS_MAX];
	char		 label[TWH_METRICS_POINTS_MAX][16];	/* "" for none */
};

static void
draw(struct console *c, const struct bars *b)
{
	uint64_t	 max = 1;
	double		 w = (double)PLOT_W / b->n, h;
	int		 i, k;

	for (i = 0; i < b->n; i++)
		if (b->value[i] > max)
			max = b->value[i];
	console_printf(c, "<figure><svg role=\"img\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d "
	    "%d\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"11\" font-family=\"sans-serif\">"
	    "<title>", WIDTH, HEIGHT, WIDTH, HEIGHT);
	console_text(c, b->title);
	console_printf(c, "</title><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>"
	    "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%llu</text>"
	    "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>",
	    LEFT, TOP + PLOT_H, LEFT + PLOT_W, TOP + PLOT_H, LEFT - 4, TOP + 10,
	    (unsigned long long)max, LEFT - 4, TOP + PLOT_H);
	for (i = 0; i < b->n; i++) {
		h = (double)PLOT_H * (double)b->value[i] / (double)max;
		if (b->value[i] > 0)
			console_printf(c, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			    "fill=\"#4a7ab5\"><title>%s: %llu</title></rect>", LEFT + i * w + 0.5,
			    TOP + PLOT_H - h, w > 2 ? w - 1 : w, h, b->label[i],
			    (unsigned long long)b->value[i]);
		if (b->red[i] > 0) {
			h = (double)PLOT_H * (double)b->red[i] / (double)max;
			console_printf(c, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			    "fill=\"#c0392b\"><title>%s: %llu errors</title></rect>",
			    LEFT + i * w + 0.5, TOP + PLOT_H - h, w > 2 ? w - 1 : w, h, b->label[i],
			    (unsigned long long)b->red[i]);
		}
	}
	/* The first, middle and last bars' labels. */
	for (k = 0; k < 3; k++) {
		i = k == 0 ? 0 : k == 1 ? (b->n - 1) / 2 : b->n - 1;
		console_printf(c, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">%s</text>",
		    LEFT + (i + 0.5) * w, HEIGHT - 6, k == 0 ? "start" : k == 1 ? "middle" : "end",
		    b->label[i]);
	}
	console_raw(c, "</svg><figcaption>");
	console_text(c, b->title);
	console_raw(c, "</figcaption></figure>\n");
}

/* Requests over time: a bar per point of S, its errors (4xx and 5xx) in red. */
void
console_chart_series(struct console *c, const char *title, const struct twh_metrics_series *s)
{
	struct bars	 b = { .title = title, .n = s->n };
	struct tm	 tm;
	int		 i;

	for (i = 0; i < s->n; i++) {
		b.value[i] = s->points[i].requests;
		b.red[i] = s->points[i].errors;
		strftime(b.label[i], sizeof(b.label[i]), "%H:%M", gmtime_r(&s->points[i].start, &tm));
	}
	draw(c, &b);
}

/* The latency histogram: a bar per bucket of BUCKETS (not cumulative), labelled by bound. */
void
console_chart_latency(struct console *c, const char *title,
    const uint64_t buckets[TWH_METRICS_BUCKETS])
{
	struct bars	 b = { .title = title, .n = TWH_METRICS_BUCKETS };
	double		 le;
	int		 i;

	for (i = 0; i < TWH_METRICS_BUCKETS; i++) {
		b.value[i] = buckets[i];
		le = twh_metrics_bucket_le[i];
		if (isinf(le))
			snprintf(b.label[i], sizeof(b.label[i]), "more");
		else if (le < 1)
			snprintf(b.label[i], sizeof(b.label[i]), "%gms", le * 1000);
		else
			snprintf(b.label[i], sizeof(b.label[i]), "%gs", le);
	}
	draw(c, &b);
}
