/* twh_utf8.h: UTF-8 validation for everything that reaches JSON or XML output or the store. */
#ifndef TWH_UTF8_H
#define TWH_UTF8_H

#include <stdbool.h>
#include <stddef.h>

size_t	 twh_utf8_decode(const char *, size_t, unsigned *cp);
bool	 twh_utf8_valid(const char *, size_t);

#endif
