/*
 * twh_clock.h: the two clocks the suite reads.  Wall time, in seconds since the epoch, stamps
 * what is stored (a job's due time, a claim's age) and what is compared with another machine's
 * clock (a token's expiry); the monotonic clock, in milliseconds, measures how long something
 * took here (a request's latency, a wait for the store's lock) and never jumps.
 */
#ifndef TWH_CLOCK_H
#define TWH_CLOCK_H

double	 twh_now(void);
double	 twh_monotonic_ms(void);
double	 twh_elapsed_ms(double since_ms);

#endif
