/* twh_buf.h: a growable byte buffer, the one way the suite builds strings of unknown length. */
#ifndef TWH_BUF_H
#define TWH_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct twh_buf {
	char	*data;	/* always NUL-terminated when non-NULL */
	size_t	 len;
	size_t	 cap;
};

void	 twh_buf_init(struct twh_buf *);
void	 twh_buf_free(struct twh_buf *);
void	 twh_buf_reset(struct twh_buf *);
void	 twh_buf_truncate(struct twh_buf *, size_t);
int	 twh_buf_add(struct twh_buf *, const void *, size_t);
int	 twh_buf_adds(struct twh_buf *, const char *);
int	 twh_buf_addc(struct twh_buf *, char);
int	 twh_buf_printf(struct twh_buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 twh_buf_vprintf(struct twh_buf *, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
char	*twh_buf_take(struct twh_buf *);

#endif
