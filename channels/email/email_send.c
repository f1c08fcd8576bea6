/*
 * An outbound message of the hub as email. The HTML form is rendered and
 * the headers are chosen on the main thread. Composing and the SMTP
 * transaction run on the worker pool, and the outcome goes back to the
 * hub's send queue on the main thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "email_compose.h"
#include "email_smtp.h"

struct email_send_job {
	struct email *email;
	hub_send_done_fn done;
	int64_t message_id;
	char *to;
	char *from_name;
	char *subject;
	char *reference;	/* Message-ID, without angle brackets */
	char *in_reply_to;
	char *references;
	char *language;
	char *text;
	char *html;
	bool automatic;
	int64_t date_ms;
	struct email_smtp_request request;
};

static void
email_send_job_free(struct email_send_job *job)
{
	free(job->to);
	free(job->from_name);
	free(job->subject);
	free(job->reference);
	free(job->in_reply_to);
	free(job->references);
	free(job->language);
	free(job->text);
	free(job->html);
	free(job);
}

/* Worker pool: compose, then hand over to the smarthost. */
static void
email_send_run(void *arg)
{
	struct email_send_job *job = arg;
	struct email_compose compose = {
		.from_name = job->from_name,
		.from_address = job->email->config.own_addresses[0],
		.to = job->to,
		.subject = job->subject,
		.message_id = job->reference,
		.in_reply_to = job->in_reply_to,
		.references = job->references,
		.language = job->language,
		.text = job->text,
		.html = job->html,
		.automatic = job->automatic,
		.date_ms = job->date_ms,
	};
	size_t size;
	char *message = email_compose_message(&compose, &size);

	job->request.status = 1;
	if (message == NULL) {
		snprintf(job->request.detail, sizeof job->request.detail,
		    "out of memory while composing");
		return;
	}
	job->request.config = &job->email->config;
	job->request.from = job->email->config.own_addresses[0];
	job->request.to = job->to;
	job->request.message = message;
	email_smtp_deliver(&job->request);
	job->request.message = NULL;
	free(message);
}

static void
email_send_finished(void *arg)
{
	struct email_send_job *job = arg;
	struct email *email = job->email;

	email->sends_in_flight--;
	log_info(EMAIL_LOG, "mail %s message=%lld status=%d detail=\"%s\"",
	    job->request.status == 0 ? "accepted by the smarthost" :
	    "not sent", (long long)job->message_id, job->request.status,
	    job->request.detail);
	job->done(email->channel, job->message_id, job->request.status,
	    job->request.status == 0 ? NULL : job->request.detail);
	email_send_job_free(job);
}

/* Splits text into paragraphs of lines for the HTML template:
 * [{"lines": ["a", "b"]}, ...]. */
static json_t *
email_send_paragraphs(const char *text)
{
	json_t *paragraphs = json_array();
	json_t *lines = NULL;

	while (paragraphs != NULL && *text != '\0') {
		size_t length = strcspn(text, "\n");
		size_t kept = length > 0 && text[length - 1] == '\r' ?
		    length - 1 : length;

		if (kept == 0) {
			lines = NULL;
		} else {
			if (lines == NULL) {
				lines = json_array();
				json_array_append_new(paragraphs,
				    json_pack("{s:o}", "lines", lines));
			}
			json_array_append_new(lines,
			    json_stringn(text, kept));
		}
		text += length;
		if (*text == '\n')
			text++;
	}
	return paragraphs;
}

static char *
email_send_html(struct email *email, const struct hub_outbound *out,
    const char *subject)
{
	json_t *vars = json_pack("{s:s, s:s, s:o, s:b}", "code", out->code,
	    "subject", subject, "paragraphs", email_send_paragraphs(out->text),
	    "automatic", out->automatic);
	char *html;

	if (vars == NULL)
		return NULL;
	html = hub_channel_render(email->channel, out->language,
	    "email/message.html", vars);
	json_decref(vars);
	if (html == NULL)
		log_warn(EMAIL_LOG, "HTML part left out: template "
		    "email/message.html failed message=%lld",
		    (long long)out->message_id);
	return html;
}

static char *
email_send_strdup(const char *text, bool *failed)
{
	char *copy;

	if (text == NULL)
		return NULL;
	copy = strdup(text);
	if (copy == NULL)
		*failed = true;
	return copy;
}

static struct email_send_job *
email_send_job_new(struct email *email, const struct hub_outbound *out)
{
	struct email_send_job *job = calloc(1, sizeof *job);
	bool english = out->language != NULL && strcmp(out->language, "en") == 0;
	char reference[HUB_REFERENCE_TOKEN_SIZE];
	bool failed = false;

	if (job == NULL)
		return NULL;
	job->email = email;
	job->message_id = out->message_id;
	job->automatic = out->automatic;
	job->date_ms = clock_now_ms();
	job->to = email_send_strdup(out->to, &failed);
	job->from_name = email_send_strdup(english ?
	    email->config.from_name_en : email->config.from_name_vi, &failed);
	job->subject = email_compose_subject(out->code, out->subject,
	    english ? "Your request" : "Phản ánh của ông/bà");
	job->in_reply_to = email_send_strdup(out->in_reply_to, &failed);
	job->references = email_send_strdup(out->references, &failed);
	job->language = email_send_strdup(english ? "en" : "vi", &failed);
	job->text = email_send_strdup(out->text, &failed);
	if (hub_channel_reference(email->channel, out->ticket_id,
	    out->message_id, reference) != 0 ||
	    asprintf(&job->reference, "%s@%s", reference,
	    email->config.domain) < 0) {
		job->reference = NULL;
		failed = true;
	}
	if (failed || job->subject == NULL) {
		email_send_job_free(job);
		return NULL;
	}
	job->html = email_send_html(email, out, job->subject);
	return job;
}

int
email_send(struct email *email, const struct hub_outbound *out,
    hub_send_done_fn done)
{
	struct email_send_job *job;

	if (!email->config.smtp_enabled) {
		done(email->channel, out->message_id, -1,
		    "Email sending is off: channels.email has no smtp section");
		return 0;
	}
	if (out->to == NULL || strchr(out->to, '@') == NULL) {
		done(email->channel, out->message_id, -1,
		    "The ticket has no email address to answer");
		return 0;
	}
	job = email_send_job_new(email, out);
	if (job == NULL) {
		done(email->channel, out->message_id, 1,
		    "Out of memory while preparing the mail");
		return 0;
	}
	job->done = done;
	if (hub_channel_run_blocking(email->channel, email_send_run,
	    email_send_finished, job) != 0) {
		email_send_job_free(job);
		done(email->channel, out->message_id, 1,
		    "The worker pool did not take the job");
		return 0;
	}
	email->sends_in_flight++;
	log_debug(EMAIL_LOG, "mail queued message=%lld message_id=%s",
	    (long long)out->message_id, job->reference);
	return 0;
}
