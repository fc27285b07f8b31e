/* twh_log.h: one-line diagnostics on stderr, which web servers send to their error log. */
#ifndef TWH_LOG_H
#define TWH_LOG_H

enum twh_log_level {
	TWH_LOG_ERROR,
	TWH_LOG_WARNING,
	TWH_LOG_INFO,
	TWH_LOG_DEBUG
};

void	 twh_log_init(const char *progname, enum twh_log_level);
void	 twh_log_set_level(enum twh_log_level);
int	 twh_log_level_parse(const char *, enum twh_log_level *);
void	 twh_log(enum twh_log_level, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#define twh_err(...)	twh_log(TWH_LOG_ERROR, __VA_ARGS__)
#define twh_warn(...)	twh_log(TWH_LOG_WARNING, __VA_ARGS__)
#define twh_info(...)	twh_log(TWH_LOG_INFO, __VA_ARGS__)
#define twh_debug(...)	twh_log(TWH_LOG_DEBUG, __VA_ARGS__)

#endif
