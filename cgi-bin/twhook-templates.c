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
#include "twh_json_writer.h"
#include "twh_store_answer.h"

/* 64 KiB, less room for the status line and headers. */
#define ANSWER_MAX	(64 * 1024 - 512)

struct placeholder {
	const char	*tag;
	const char	*value;
};

/* The answer being written, and how far it got. */
struct answer {
	struct twh_json_writer	 w;
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

/*
 * Writes template T, filled from P, when the answer stays within ANSWER_MAX once closed;
 * else marks the answer full.
 */
static int
add_template(struct answer *a, const struct twh_template *t, const struct placeholder *p)
{
	struct twh_json_mark	 before;
	struct twh_buf		 content;
	int			 rc;

	twh_buf_init(&content);
	if ((rc = expand(&content, t->content, p)) == 0) {
		twh_json_writer_mark(&a->w, &before);
		twh_json_object_begin(&a->w, NULL);
		twh_json_string_always(&a->w, "content", content.data);
		twh_json_bool(&a->w, "whatsAppApproved", t->whatsapp_approved);
		twh_json_object_end(&a->w);
		if (twh_json_writer_closed_length(&a->w) > ANSWER_MAX) {
			twh_json_writer_rewind(&a->w, &before);
			a->full = true;
		} else
			a->sent++;
	}
	twh_buf_free(&content);
	return rc;
}

/* Adds category C with as many of its templates as fit; a category left empty is left out. */
static int
add_category(struct answer *a, const struct twh_template_category *c,
    const struct placeholder *p)
{
	struct twh_json_mark	 before;
	size_t			 i, sent = a->sent;
	int			 rc = 0;

	if (a->full)
		return 0;
	twh_json_writer_mark(&a->w, &before);
	twh_json_object_begin(&a->w, NULL);
	twh_json_string_always(&a->w, "display_name", c->display_name);
	twh_json_array_begin(&a->w, "templates");
	for (i = 0; i < c->n && !a->full && rc == 0; i++)
		rc = add_template(a, &c->templates[i], p);
	twh_json_array_end(&a->w);
	twh_json_object_end(&a->w);
	if (a->sent == sent)
		twh_json_writer_rewind(&a->w, &before);
	return rc;
}

/* The answer: ALL the templates, for the customer NAME and the worker AUTHOR. */
static void
answer(struct twh_response *res, const struct twh_templates *all, const char *name,
    const char *author)
{
	const struct placeholder	 p[] = {
		{ "{{Name}}", name },
		{ "{{Author}}", author },
		{ NULL, NULL }
	};
	struct answer			 a = { .sent = 0, .full = false };
	size_t				 i, total = 0;
	int				 rc = 0;

	twh_response_json_begin(res, &a.w);
	twh_json_array_begin(&a.w, NULL);
	for (i = 0; i < all->n && rc == 0; i++) {
		rc = add_category(&a, &all->categories[i], p);
		total += all->categories[i].n;
	}
	twh_json_array_end(&a.w);
	if (rc == -1)
		a.w.failed = true;
	else if (a.full)
		twh_warn("the templates would not fit in the 64 KiB that Twilio accepts: "
		    "%zu of %zu sent, the rest left out", a.sent, total);
	twh_response_json_end(res, 200, &a.w);
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
		answer(res, &all, customer.display_name, worker);
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
