/*
 * twh_deliver.h: delivering the outbox, for `twhook dispatch` only: one attempt at a job of any
 * kind, after which the job is done, dead or retrying.  The endpoints queue jobs with
 * twh_outbox.h and never link this.
 */
#ifndef TWH_DELIVER_H
#define TWH_DELIVER_H

#include "twh_delivery.h"
#include "twh_store.h"

void	 twh_deliver_job(struct twh_delivery *, struct twh_job *);

#endif
