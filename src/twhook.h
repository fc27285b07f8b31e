/* twhook.h: the verbs of twhook(1), one file each, and what they share. */
#ifndef TWHOOK_H
#define TWHOOK_H

#include "twh_buf.h"
#include "twh_conf.h"
#include "twh_params.h"

struct twhook_cmd {
	const char	*name;
	const char	*usage;
	int		(*run)(struct twh_conf *, int argc, char *argv[]);
};

int	 cmd_init(struct twh_conf *, int, char *[]);
int	 cmd_import(struct twh_conf *, int, char *[]);
int	 cmd_export(struct twh_conf *, int, char *[]);
int	 cmd_sign(struct twh_conf *, int, char *[]);
int	 cmd_request(struct twh_conf *, int, char *[]);
int	 cmd_dispatch(struct twh_conf *, int, char *[]);
int	 cmd_jobs(struct twh_conf *, int, char *[]);
int	 cmd_log(struct twh_conf *, int, char *[]);
int	 cmd_binding(struct twh_conf *, int, char *[]);

int	 twhook_usage(const char *verb);
int	 twhook_read_file(const char *path, struct twh_buf *);
int	 twhook_add_params(struct twh_params *, int argc, char *argv[]);
int	 twhook_body_url(const char *url, const struct twh_buf *body, struct twh_buf *out);

#endif
