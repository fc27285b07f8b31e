/*
 * twh_serve_later.h: the serving loop's side of the work left for later (twh_serve_later.c);
 * the endpoints' side is in twh_serve.h.
 */
#ifndef TWH_SERVE_LATER_H
#define TWH_SERVE_LATER_H

#include <stdbool.h>

bool	 twh_serve_later_allowed(void);
int	 twh_serve_later_setup(void);
bool	 twh_serve_later_wait(int fd);

#endif
