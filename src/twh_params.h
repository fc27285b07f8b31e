/* twh_params.h: decoded request parameters in arrival order; a name may repeat. */
#ifndef TWH_PARAMS_H
#define TWH_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

struct twh_param {
	char	*name;
	char	*value;
};

struct twh_params {
	struct twh_param	*v;
	size_t			 n;
	size_t			 cap;
};

void		 twh_params_init(struct twh_params *);
void		 twh_params_free(struct twh_params *);
int		 twh_params_add(struct twh_params *, const char *name, size_t,
		    const char *value, size_t);
const char	*twh_params_get(const struct twh_params *, const char *name);
bool		 twh_sid_valid(const char *);

#endif
