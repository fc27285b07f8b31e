/*
 * twh_diag.h: diagnostics: one-line messages on stderr, which web servers send to their error
 * log, filtered by log_level.  (The record of every request answered is the delivery log,
 * twh_deliverylog.h.)
 */
#ifndef TWH_DIAG_H
#define TWH_DIAG_H

enum twh_diag_level {
	TWH_DIAG_ERROR,
	TWH_DIAG_WARNING,
	TWH_DIAG_INFO,
	TWH_DIAG_DEBUG
};

void	 twh_diag_init(const char *progname, enum twh_diag_level);
void	 twh_diag_set_level(enum twh_diag_level);
int	 twh_diag_level_parse(const char *, enum twh_diag_level *);
void	 twh_diag(enum twh_diag_level, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#define twh_err(...)	twh_diag(TWH_DIAG_ERROR, __VA_ARGS__)
#define twh_warn(...)	twh_diag(TWH_DIAG_WARNING, __VA_ARGS__)
#define twh_info(...)	twh_diag(TWH_DIAG_INFO, __VA_ARGS__)
#define twh_debug(...)	twh_diag(TWH_DIAG_DEBUG, __VA_ARGS__)

#endif
