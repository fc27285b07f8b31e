/* twh_frontline.h: what every Frontline callback shares: V1 refusal and dispatch on Location. */
#ifndef TWH_FRONTLINE_H
#define TWH_FRONTLINE_H

#include <stdbool.h>

#include "twh_endpoint.h"

struct twh_location {
	const char	*name;
	twh_handler	*handle;
};

bool	 twh_frontline_v1(const struct twh_request *, struct twh_response *);
void	 twh_frontline_dispatch(const struct twh_location *, struct twh_ctx *,
	    const struct twh_request *, struct twh_response *);

#endif
