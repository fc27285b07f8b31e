/*
 * twh_response.c: building and writing responses.  Every response has a Status line and a
 * Content-Type (Twilio's debugger counts a response without one as a failure); errors are a
 * short JSON object {"status":N,"message":"..."}.  The whole response is built in memory first,
 * so a failure half-way never sends half an answer.
 */
#include <stdio.h>
#include <string.h>

#include "twh_diag.h"
#include "twh_http.h"
#include "twh_json.h"
#include "twh_json_writer.h"

void
twh_response_init(struct twh_response *res)
{
	memset(res, 0, sizeof(*res));
	twh_buf_init(&res->headers);
	twh_buf_init(&res->body);
}

void
twh_response_free(struct twh_response *res)
{
	twh_buf_free(&res->headers);
	twh_buf_free(&res->body);
}

int
twh_response_header(struct twh_response *res, const char *name, const char *value)
{
	return twh_buf_printf(&res->headers, "%s: %s\r\n", name, value);
}

/* Sets the response to a JSON body with STATUS, or to a 500 when it could not be made. */
static void
json_made(struct twh_response *res, int status, bool made)
{
	if (!made) {
		twh_buf_reset(&res->body);
		twh_buf_adds(&res->body, "{\"status\":500,\"message\":\"out of memory\"}");
		status = 500;
	}
	res->status = status;
	res->content_type = "application/json";
}

/* Sets the response to OBJ as JSON with STATUS; takes ownership of OBJ. */
void
twh_response_json(struct twh_response *res, int status, struct json_object *obj)
{
	twh_buf_reset(&res->body);
	json_made(res, status, obj != NULL && twh_json_append(&res->body, obj) == 0);
	json_object_put(obj);
}

/* Starts the response's body afresh, for JSON written by W (twh_json_writer.h). */
void
twh_response_json_begin(struct twh_response *res, struct twh_json_writer *w)
{
	twh_buf_reset(&res->body);
	twh_json_writer_init(w, &res->body);
}

/* Sets the response to what W wrote, with STATUS; a 500 when W could not write it all. */
void
twh_response_json_end(struct twh_response *res, int status, struct twh_json_writer *w)
{
	json_made(res, status, twh_json_writer_end(w) == 0);
}

void
twh_response_error(struct twh_response *res, int status, const char *message)
{
	struct json_object	*obj = json_object_new_object();

	if (obj != NULL) {
		json_object_object_add(obj, "status", json_object_new_int(status));
		json_object_object_add(obj, "message", json_object_new_string(message));
	}
	twh_response_json(res, status, obj);
	snprintf(res->log_reason, sizeof(res->log_reason), "%s", message);
}

const char *
twh_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 303: return "See Other";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 409: return "Conflict";
	case 422: return "Unprocessable Content";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

int
twh_response_write(const struct twh_response *res, const struct twh_io *io)
{
	struct twh_buf	 head;
	int		 rc;

	twh_buf_init(&head);
	rc = twh_buf_printf(&head, "Status: %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n",
	    res->status, twh_status_text(res->status),
	    res->content_type != NULL ? res->content_type : "text/plain", res->body.len);
	if (rc == 0 && res->headers.len > 0)
		rc = twh_buf_add(&head, res->headers.data, res->headers.len);
	if (rc == 0)
		rc = twh_buf_adds(&head, "\r\n");
	if (rc == 0)
		rc = io->write(io->ctx, head.data, head.len);
	if (rc == 0 && res->body.len > 0 && !res->head_only)
		rc = io->write(io->ctx, res->body.data, res->body.len);
	twh_buf_free(&head);
	return rc;
}

/* The log line of an answered request: at the error level for a 5xx, info for a 4xx, else debug. */
void
twh_response_log(const struct twh_request *req, const struct twh_response *res, double ms)
{
	const char	*uri = twh_request_env(req, "REQUEST_URI");

	twh_diag(res->status >= 500 ? TWH_DIAG_ERROR : res->status >= 400 ? TWH_DIAG_INFO :
	    TWH_DIAG_DEBUG, "%s %s: %d%s%s (%.1f ms)", req->method != NULL ? req->method : "-",
	    uri != NULL ? uri : "-", res->status, res->log_reason[0] != '\0' ? ": " : "",
	    res->log_reason, ms);
}
