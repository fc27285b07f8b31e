/* twh_clock.c: wall and monotonic time, as twh_clock.h describes them. */
#include <time.h>

#include "twh_clock.h"

/* Seconds since the epoch, with the fraction. */
double
twh_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Milliseconds on a clock that only moves forward (its origin means nothing). */
double
twh_monotonic_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Milliseconds since SINCE_MS, a value of twh_monotonic_ms(). */
double
twh_elapsed_ms(double since_ms)
{
	return twh_monotonic_ms() - since_ms;
}
