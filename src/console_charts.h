/* console_charts.h: the console's SVG charts (console_charts.c). */
#ifndef CONSOLE_CHARTS_H
#define CONSOLE_CHARTS_H

#include <stdint.h>

#include "console.h"
#include "twh_metrics.h"

void	 console_chart_series(struct console *, const char *title,
	    const struct twh_metrics_series *);
void	 console_chart_latency(struct console *, const char *title,
	    const uint64_t buckets[TWH_METRICS_BUCKETS]);

#endif
