/*
 * twhook-templates: the Frontline templates callback.
 *
 *   Location=GetTemplatesByCustomerId  Worker, CustomerId, [ConversationSid]
 *     -> [{"display_name":"Openers","templates":[{"content":"...","whatsAppApproved":true}]}]
 *        404 for a customer the worker may not see (as twhook-crm sees customers).
 *
 * Every {{Name}} in a template becomes the customer's display name and every {{Author}} the
 * worker; any other text, braces included, is sent as it is, and a replacement is never read
 * again for placeholders.  Twilio refuses answers over 64 KiB: templates that would not fit
 * are left out, from the first that does not fit to the end, with a warning in the log.
 */
#include <string.h>

#include "twh_diag.h"
#include "twh_endpoint.h"
#include "twh_frontline.h"
#include "twh_json.h"
#include "twh_store_answer.h"

/* 64 KiB, less room for the status line and headers. */
#define ANSWER_MAX	(64 * 1024 - 512)

struct placeholder {
	const char	*tag;
	const char	*value;
};

/* The answer being built, and the length its JSON will have once serialized. */
struct answer {
	struct json_object	*categories;
	size_t			 size;
	size_t			 sent;		/* templates in the answer */
	bool			 full;		/* a template did not fit: no more are added */
};

/*
 * Appends TEXT to OUT with each placeholder of P (ended by a NULL tag) replaced.  It stops
 * soon after ANSWER_MAX bytes: a template that long could never be sent anyway.
 */
static int
expand(struct twh_buf *out, const char *text, const struct placeholder *p)
{
	const struct placeholder	*q;
	size_t				 n;

	while (*text != '\0' && out->len <= ANSWER_MAX) {
		for (q = p; q->tag != NULL; q++)
			if (strncmp(text, q->tag, strlen(q->tag)) == 0)
				break;
		if (q->tag != NULL) {
			n = strlen(q->tag);
			if (twh_buf_adds(out, q->value) == -1)
				return -1;
		} else {
			/* Up to the next brace, which may open a placeholder. */
			n = strcspn(text + 1, "{") + 1;
			if (twh_buf_add(out, text, n > ANSWER_MAX ? ANSWER_MAX + 1 : n) == -1)
				return -1;
		}
		text += n;
	}
	return 0;
}

static struct json_object *
template_object(const struct twh_template *t, const struct placeholder *p)
{
	struct json_object	*o = NULL;
	struct twh_buf		 content;

	twh_buf_init(&content);
	if (expand(&content, t->content, p) == 0 && (o = json_object_new_object()) != NULL) {
		json_object_object_add(o, "content", json_object_new_string_len(
		    content.data != NULL ? content.data : "", (int)content.len));
		json_object_object_add(o, "whatsAppApproved",
		    json_object_new_boolean(t->whatsapp_approved));
	}
	twh_buf_free(&content);
	return o;
}

/* The length of O serialized as twh_response_json sends it. */
static size_t
json_size(struct json_object *o)
{
	size_t	 len = 0;

	json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	return len;
}

/* Appends O to ARRAY when the answer stays within ANSWER_MAX; else marks it full.  Takes O. */
static int
add_if_room(struct answer *a, struct json_object *array, struct json_object *o)
{
	size_t	 more;

	if (o == NULL)
		return -1;
	more = json_size(o) + (json_object_array_length(array) > 0 ? 1 : 0);
	if (a->size + more > ANSWER_MAX)
		a->full = true;
	else if (json_object_array_add(array, o) == 0) {
		a->size += more;
		return 0;
	}
	json_object_put(o);
	return a->full ? 0 : -1;
}

/* Adds category C with as many of its templates as fit; a category left empty is left out. */
static int
add_category(struct answer *a, const struct twh_template_category *c,
    const struct placeholder *p)
{
	struct json_object	*o, *list;
	size_t			 i, n, before = a->size;
	int			 rc = 0;

	if (a->full)
		return 0;
	if ((o = json_object_new_object()) == NULL || (list = json_object_new_array()) == NULL) {
		json_object_put(o);
		return -1;
	}
	json_object_object_add(o, "display_name", json_object_new_string(c->display_name));
	json_object_object_add(o, "templates", list);
	/* The category itself: its name, an empty list, and a comma before it. */
	a->size += json_size(o) + (json_object_array_length(a->categories) > 0 ? 1 : 0);
	for (i = 0; i < c->n && !a->full && rc == 0; i++)
		rc = add_if_room(a, list, template_object(&c->templates[i], p));
	n = json_object_array_length(list);
	if (rc == 0 && n > 0 && json_object_array_add(a->categories, o) == 0) {
		a->sent += n;
		return 0;
	}
	a->size = before;
	json_object_put(o);
	return rc == -1 || n > 0 ? -1 : 0;
}

/* The answer: ALL the templates, for the customer NAME and the worker AUTHOR. */
static struct json_object *
answer_json(const struct twh_templates *all, const char *name, const char *author)
{
	const struct placeholder	 p[] = {
		{ "{{Name}}", name },
		{ "{{Author}}", author },
		{ NULL, NULL }
	};
	struct answer			 a = { NULL, sizeof("[]") - 1, 0, false };
	size_t				 i, total = 0;

	if ((a.categories = json_object_new_array()) == NULL)
		return NULL;
	for (i = 0; i < all->n; i++) {
		if (add_category(&a, &all->categories[i], p) == -1) {
			json_object_put(a.categories);
			return NULL;
		}
		total += all->categories[i].n;
	}
	if (a.full)
		twh_warn("the templates would not fit in the 64 KiB that Twilio accepts: "
		    "%zu of %zu sent, the rest left out", a.sent, total);
	return a.categories;
}

static void
templates(struct twh_ctx *ctx, const struct twh_request *req, struct twh_response *res)
{
	struct twh_customer	 customer;
	struct twh_templates	 all;
	const char		*worker;

	/* Only the display name is needed: no channels, no links. */
	if (twh_frontline_customer(ctx, req, res, false, &worker, &customer) == -1)
		return;
	if (twh_store_templates(ctx->store, &all) == TWH_STORE_OK) {
		twh_response_json(res, 200, answer_json(&all, customer.display_name, worker));
		twh_templates_free(&all);
	} else
		twh_store_answer_error(ctx, res);
	twh_customer_free(&customer);
}

int
main(int argc, char *argv[])
{
	static const struct twh_endpoint endpoint = {
		.name = "twhook-templates",
		.body = TWH_BODY_FORM,
		.screen = twh_frontline_v1,
		.dispatch = "Location",
		/* The customer and the templates: neither read depends on the other's. */
		.routes = {
			{ "GetTemplatesByCustomerId", templates, TWH_READS_EACH },
		},
	};

	return twh_endpoint_main(&endpoint, argc, argv);
}
