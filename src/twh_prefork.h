/* twh_prefork.h: several processes on one listening socket (TWHOOK_PROCESSES), twh_prefork.c. */
#ifndef TWH_PREFORK_H
#define TWH_PREFORK_H

#include <stddef.h>

/*
 * Under FastCGI with TWHOOK_PROCESSES above 1, becomes their supervisor and returns 0 only in
 * each process it starts; otherwise returns 0 at once.  -1 (ERR says why) when the variable is
 * not a count.
 */
int	 twh_prefork(char *err, size_t errlen);

#endif
