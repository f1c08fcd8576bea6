/*
 * One raw message on its way in, by LMTP or IMAP. It is parsed on the
 * worker pool. Then, on the main thread, it is submitted to the pipeline,
 * recorded as a bounce of an outbound message, or dropped, and the outcome
 * goes back to the caller as an LMTP reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "email_module.h"

struct email_intake {
	struct email *email;
	char *raw;
	size_t size;
	char *sender;		/* NULL when unknown */
	const char *source;
	email_intake_done_fn done;
	void *arg;
	int parse_status;
	struct email_parsed parsed;
};

void
email_reply_sanitize(char *reply, size_t size, const char *text)
{
	size_t i;

	if (size == 0)
		return;
	for (i = 0; text != NULL && text[i] != '\0' && i + 1 < size; i++)
		reply[i] = text[i] >= 0x20 && text[i] < 0x7f ? text[i] : '?';
	reply[i] = '\0';
}

static void
email_outcome_set(struct email_outcome *outcome, enum email_outcome_kind kind,
    const char *status, const char *text)
{
	char clean[200];

	email_reply_sanitize(clean, sizeof clean, text);
	outcome->kind = kind;
	snprintf(outcome->reply, sizeof outcome->reply, "%s %s", status, clean);
}

static int
email_intake_store_blob(const void *data, size_t size, char sha256[65],
    void *arg)
{
	return hub_channel_store_blob(arg, data, size, sha256);
}

static const char *
email_log_id(const struct email_parsed *parsed)
{
	return parsed->message_id != NULL ? parsed->message_id : "-";
}

static void
email_intake_finish(struct email_intake *intake,
    const struct email_outcome *outcome)
{
	intake->email->intakes_in_flight--;
	intake->done(outcome, intake->arg);
	email_parsed_clear(&intake->parsed);
	free(intake->raw);
	free(intake->sender);
	free(intake);
}

static void
email_intake_answered(const struct hub_answer *answer, void *arg)
{
	struct email_intake *intake = arg;
	struct email_outcome outcome;
	char text[160];

	switch (answer->status) {
	case HUB_ANSWER_CREATED:
	case HUB_ANSWER_JOINED:
		snprintf(text, sizeof text, "%s as ticket %s",
		    answer->duplicate ? "Already stored" : "Stored",
		    answer->code);
		email_outcome_set(&outcome, EMAIL_OUTCOME_STORED, "250 2.0.0",
		    text);
		break;
	case HUB_ANSWER_DROPPED:
		log_info(EMAIL_LOG, "automatic message dropped source=%s "
		    "message_id=%s reason=\"%s\"", intake->source,
		    email_log_id(&intake->parsed),
		    intake->parsed.reason != NULL ? intake->parsed.reason :
		    "no open ticket to join");
		email_outcome_set(&outcome, EMAIL_OUTCOME_DROPPED, "250 2.0.0",
		    "Automatic message dropped");
		break;
	case HUB_ANSWER_REJECTED:
		snprintf(text, sizeof text, "Message rejected: %s%s%s",
		    api_error_name(answer->error.code),
		    answer->error.field[0] != '\0' ? " in " : "",
		    answer->error.field);
		email_outcome_set(&outcome, EMAIL_OUTCOME_REJECTED, "550 5.6.0",
		    text);
		break;
	case HUB_ANSWER_FAILED:
	default:
		email_outcome_set(&outcome, EMAIL_OUTCOME_RETRY, "451 4.3.0",
		    "The store failed, try again later");
		break;
	}
	log_debug(EMAIL_LOG, "message done source=%s message_id=%s "
	    "reply=\"%s\"", intake->source, email_log_id(&intake->parsed),
	    outcome.reply);
	email_intake_finish(intake, &outcome);
}

static void
email_intake_submit(struct email_intake *intake)
{
	struct email_outcome outcome;
	struct hub_message *message = intake->parsed.message;

	intake->parsed.message = NULL;
	if (intake->parsed.kind == EMAIL_AUTOMATIC)
		log_info(EMAIL_LOG, "automatic message source=%s message_id=%s "
		    "reason=\"%s\"", intake->source,
		    email_log_id(&intake->parsed),
		    intake->parsed.reason != NULL ? intake->parsed.reason : "-");
	if (hub_channel_submit(intake->email->channel, message,
	    email_intake_answered, intake) == 0)
		return;
	email_outcome_set(&outcome, EMAIL_OUTCOME_RETRY, "451 4.3.0",
	    "The hub is shutting down, try again later");
	email_intake_finish(intake, &outcome);
}

/* Marks each bounced message of this hub as failed; a bounce of anything
 * else is only logged. The bounce itself is never stored. */
static void
email_intake_bounce(struct email_intake *intake)
{
	struct email_parsed *parsed = &intake->parsed;
	struct email_outcome outcome;
	int64_t ticket_id, message_id;
	int i, recorded = 0;

	for (i = 0; i < parsed->bounced_count; i++) {
		if (hub_channel_reference_parse(intake->email->channel,
		    parsed->bounced_ids[i], &ticket_id, &message_id) != 1)
			continue;
		if (hub_channel_delivery(intake->email->channel, message_id,
		    HUB_DELIVERY_FAILED, parsed->bounce_detail) == 0)
			recorded++;
		log_info(EMAIL_LOG, "bounce of a reply ticket=%lld message=%lld "
		    "bounce_message_id=%s", (long long)ticket_id,
		    (long long)message_id, email_log_id(parsed));
	}
	if (recorded == 0)
		log_info(EMAIL_LOG, "bounce dropped: it names no message of "
		    "this hub source=%s message_id=%s bounced=%d",
		    intake->source, email_log_id(parsed), parsed->bounced_count);
	email_outcome_set(&outcome, EMAIL_OUTCOME_DROPPED, "250 2.0.0",
	    recorded > 0 ? "Delivery report recorded" : "Bounce dropped");
	email_intake_finish(intake, &outcome);
}

static void
email_intake_parse(void *arg)
{
	struct email_intake *intake = arg;

	intake->parse_status = email_parse(intake->raw, intake->size,
	    intake->sender, &intake->email->parse_options, &intake->parsed);
}

static void
email_intake_parsed(void *arg)
{
	struct email_intake *intake = arg;
	struct email_parsed *parsed = &intake->parsed;
	struct email_outcome outcome;

	/* The raw text is not needed any more: free it before the pipeline
	 * owns the message. */
	free(intake->raw);
	intake->raw = NULL;
	if (intake->parse_status != 0) {
		log_error(EMAIL_LOG, "parse failed: out of memory source=%s",
		    intake->source);
		email_outcome_set(&outcome, EMAIL_OUTCOME_RETRY, "451 4.3.0",
		    "Out of memory, try again later");
		email_intake_finish(intake, &outcome);
		return;
	}
	switch (parsed->kind) {
	case EMAIL_CITIZEN:
	case EMAIL_AUTOMATIC:
		email_intake_submit(intake);
		return;
	case EMAIL_BOUNCE:
		email_intake_bounce(intake);
		return;
	case EMAIL_REJECTED:
	default:
		log_info(EMAIL_LOG, "message rejected source=%s message_id=%s "
		    "reason=\"%s\"", intake->source, email_log_id(parsed),
		    parsed->reason != NULL ? parsed->reason : "-");
		email_outcome_set(&outcome, EMAIL_OUTCOME_REJECTED, "554 5.6.0",
		    parsed->reason != NULL ? parsed->reason :
		    "The message cannot be read");
		email_intake_finish(intake, &outcome);
		return;
	}
}

int
email_intake_start(struct email *email, char *raw, size_t size,
    const char *envelope_sender, const char *source,
    email_intake_done_fn done, void *arg)
{
	struct email_intake *intake = calloc(1, sizeof *intake);

	if (intake == NULL)
		return -1;
	if (envelope_sender != NULL) {
		intake->sender = strdup(envelope_sender);
		if (intake->sender == NULL) {
			free(intake);
			return -1;
		}
	}
	if (email->parse_options.store_blob == NULL) {
		email->parse_options.store_blob = email_intake_store_blob;
		email->parse_options.store_blob_arg = email->channel;
	}
	intake->email = email;
	intake->raw = raw;
	intake->size = size;
	intake->source = source;
	intake->done = done;
	intake->arg = arg;
	if (hub_channel_run_job(email->channel, email_intake_parse,
	    email_intake_parsed, intake) != 0) {
		free(intake->sender);
		free(intake);
		return -1;
	}
	email->intakes_in_flight++;
	return 0;
}
