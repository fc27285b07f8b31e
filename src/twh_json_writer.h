/*
 * twh_json_writer.h: JSON written straight into a buffer, for the answers the suite makes most
 * often (a CRM customer, a page of them), without building a tree of json-c objects first.
 * It writes what twh_json_append would for the same members: compact, '/' unescaped, and a
 * string member that is NULL or empty left out.
 */
#ifndef TWH_JSON_WRITER_H
#define TWH_JSON_WRITER_H

#include <stdbool.h>

#include "twh_buf.h"

#define TWH_JSON_WRITER_DEPTH	8

struct twh_json_writer {
	struct twh_buf	*out;
	unsigned	 depth;
	bool		 more[TWH_JSON_WRITER_DEPTH];	/* a value was written at that depth */
	bool		 failed;	/* memory ran out, or too deep */
};

/* A place in what a writer wrote, to go back to (twh_json_writer_rewind). */
struct twh_json_mark {
	struct twh_json_writer	 at;
	size_t			 len;
};

/* KEY names the member in an object; NULL is for an array's elements and the top value. */
void	 twh_json_writer_init(struct twh_json_writer *, struct twh_buf *);
void	 twh_json_object_begin(struct twh_json_writer *, const char *key);
void	 twh_json_object_end(struct twh_json_writer *);
void	 twh_json_array_begin(struct twh_json_writer *, const char *key);
void	 twh_json_array_end(struct twh_json_writer *);
void	 twh_json_string(struct twh_json_writer *, const char *key, const char *value);
/* As twh_json_string, but NULL and empty are written, as "". */
void	 twh_json_string_always(struct twh_json_writer *, const char *key, const char *value);
void	 twh_json_bool(struct twh_json_writer *, const char *key, bool);
int	 twh_json_writer_end(struct twh_json_writer *);

/* The length the JSON would have if each object and array still open were closed now. */
size_t	 twh_json_writer_closed_length(const struct twh_json_writer *);
/* Marks where the writer is; rewinding drops everything written after the mark. */
void	 twh_json_writer_mark(const struct twh_json_writer *, struct twh_json_mark *);
void	 twh_json_writer_rewind(struct twh_json_writer *, const struct twh_json_mark *);

#endif
