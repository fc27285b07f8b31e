/*
 * twh_ctx.h: what a handler is handed besides the exchange: its endpoint, the configuration, the
 * store, the delivery log and the totals, all opened once and kept for the life of the process.  On its
 * own, so that modules a handler calls (twh_store_answer, twh_frontline) need not know the
 * pipeline.
 */
#ifndef TWH_CTX_H
#define TWH_CTX_H

#include "twh_conf.h"

struct twh_deliverylog;
struct twh_metrics;
struct twh_endpoint;
struct twh_store;

struct twh_ctx {
	const struct twh_endpoint	*endpoint;
	struct twh_conf			 conf;
	struct twh_store		*store;
	struct twh_deliverylog		*deliverylog;	/* NULL: no delivery log */
	struct twh_metrics		*metrics;	/* the totals; NULL: none */
	double				 store_failed_ms;	/* when opening it at start
							   failed (twh_monotonic_ms; 0: it did not) */
};

#endif
