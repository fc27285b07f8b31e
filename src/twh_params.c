/* twh_params.c: the list of decoded parameters, owned strings, looked up by exact name; SID checks. */
#include <stdlib.h>
#include <string.h>

#include "twh_params.h"

void
twh_params_init(struct twh_params *p)
{
	p->v = NULL;
	p->n = p->cap = 0;
}

void
twh_params_free(struct twh_params *p)
{
	size_t	 i;

	for (i = 0; i < p->n; i++) {
		free(p->v[i].name);
		free(p->v[i].value);
	}
	free(p->v);
	twh_params_init(p);
}

int
twh_params_add(struct twh_params *p, const char *name, size_t nlen, const char *value, size_t vlen)
{
	struct twh_param	*v;
	size_t			 cap;

	if (p->n == p->cap) {
		cap = p->cap ? p->cap * 2 : 16;
		if ((v = reallocarray(p->v, cap, sizeof(*v))) == NULL)
			return -1;
		p->v = v;
		p->cap = cap;
	}
	v = &p->v[p->n];
	v->name = strndup(name, nlen);
	v->value = strndup(value, vlen);
	if (v->name == NULL || v->value == NULL) {
		free(v->name);
		free(v->value);
		return -1;
	}
	p->n++;
	return 0;
}

/* The first value given for NAME, or NULL. */
const char *
twh_params_get(const struct twh_params *p, const char *name)
{
	size_t	 i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].name, name) == 0)
			return p->v[i].value;
	return NULL;
}

/* A Twilio SID: two capital letters, then letters and digits; 64 characters at most. */
bool
twh_sid_valid(const char *s)
{
	size_t	 n = strlen(s);

	return n >= 3 && n <= 64 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") >= 2 &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") == n;
}
