/*
 * A citizen's SMS: its keyword decides whether it is a report for the
 * pipeline (a new ticket, or the number's open ticket of the last few
 * days), a status request, a rating or an opt-out.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "contact.h"
#include "sms_intake.h"

#define SMS_LOG "sms"

/* --- Opt-out -------------------------------------------------------------- */

void
sms_intake_optout_key(const char *number, char key[SMS_OPTOUT_KEY_SIZE])
{
	snprintf(key, SMS_OPTOUT_KEY_SIZE, "optout:%s", number);
}

bool
sms_intake_opted_out(struct sms_module *module, const char *number)
{
	char key[SMS_OPTOUT_KEY_SIZE];
	char *value;

	sms_intake_optout_key(number, key);
	value = hub_channel_state_get(module->channel, key);
	free(value);
	return value != NULL;
}

/* --- Reports --------------------------------------------------------------- */

struct sms_report {
	sms_intake_done_fn done;
	void *arg;
};

static void
sms_report_answered(const struct hub_answer *answer, void *arg)
{
	struct sms_report *report = arg;
	char *message = NULL;
	int status = 200;

	switch (answer->status) {
	case HUB_ANSWER_CREATED:
	case HUB_ANSWER_JOINED:
	case HUB_ANSWER_DROPPED:
		log_info(SMS_LOG, "inbound message stored ticket=%lld "
		    "message=%lld created=%d duplicate=%d",
		    (long long)answer->ticket_id, (long long)answer->message_id,
		    answer->status == HUB_ANSWER_CREATED, answer->duplicate);
		break;
	case HUB_ANSWER_REJECTED:
		/* smsbox would only send it again: the text is taken and
		 * dropped, and the reason is logged. */
		log_info(SMS_LOG, "inbound message rejected by the pipeline "
		    "error=%s field=%s", api_error_name(answer->error.code),
		    answer->error.field);
		break;
	case HUB_ANSWER_FAILED:
		status = 503;
		break;
	}
	report->done(status, message != NULL ? message :
	    status == 503 ? "the store failed; send again later\n" : "",
	    report->arg);
	free(message);
	free(report);
}

int
sms_intake_report(struct sms_module *module, const struct sms_intake_text *in,
    const char *body, bool new_ticket, sms_intake_done_fn done, void *arg)
{
	struct hub_message *message = hub_message_new("sms");
	struct sms_report *report = calloc(1, sizeof *report);
	const char *language = in->language;

	if (message == NULL || report == NULL ||
	    hub_message_add_contact(message, CONTACT_PHONE, in->number,
	    true) != 0 ||
	    hub_message_set(&message->body, body) != 0 ||
	    hub_message_set(&message->conversation_key, in->number) != 0 ||
	    hub_message_set(&message->external_id, in->external_id) != 0 ||
	    hub_message_set(&message->client_address,
	    in->client_address) != 0 ||
	    (strcmp(language, "en") == 0 &&
	    hub_message_set(&message->language, "en") != 0)) {
		hub_message_free(message);
		free(report);
		return -1;
	}
	message->conversation_window_ms = module->config.conversation_window_ms;
	message->new_ticket = new_ticket;
	message->ack = !new_ticket && sms_intake_opted_out(module,
	    in->number) ? HUB_ACK_NONE : HUB_ACK_QUEUE;
	report->done = done;
	report->arg = arg;
	if (hub_channel_submit(module->channel, message, sms_report_answered,
	    report) != 0) {
		free(report);
		return -1;
	}
	return 0;
}

/* --- Keyword texts sent again ---------------------------------------------- */

/* The key of a keyword text for the list of those answered, or "" when it
 * has no gateway id (or one too long to keep). */
static void
sms_intake_answered_key(const char *number, const char *external_id,
    char key[SMS_ANSWERED_KEY_SIZE])
{
	int written;

	key[0] = '\0';
	if (external_id == NULL || external_id[0] == '\0')
		return;
	written = snprintf(key, SMS_ANSWERED_KEY_SIZE, "%s %s", number,
	    external_id);
	if (written < 0 || written >= SMS_ANSWERED_KEY_SIZE)
		key[0] = '\0';
}

static bool
sms_intake_answered(const struct sms_module *module, const char *key)
{
	if (key[0] == '\0')
		return false;
	for (size_t i = 0; i < SMS_ANSWERED_MAX; i++)
		if (strcmp(module->answered[i], key) == 0)
			return true;
	return false;
}

static void
sms_intake_answered_add(struct sms_module *module, const char *key)
{
	if (key[0] == '\0')
		return;
	snprintf(module->answered[module->answered_next],
	    SMS_ANSWERED_KEY_SIZE, "%s", key);
	module->answered_next = (module->answered_next + 1) % SMS_ANSWERED_MAX;
}

/* A keyword text's answer on its way, to remember the text once it is
 * answered. */
struct sms_intake_keyword {
	struct sms_module *module;
	char key[SMS_ANSWERED_KEY_SIZE];
	sms_intake_done_fn done;
	void *arg;
};

static void
sms_intake_keyword_done(int http_status, const char *body, void *arg)
{
	struct sms_intake_keyword *keyword = arg;

	if (http_status == 200)
		sms_intake_answered_add(keyword->module, keyword->key);
	keyword->done(http_status, body, keyword->arg);
	free(keyword);
}

/* --- Input checks ---------------------------------------------------------- */

/* The sender in E.164. smsbox writes a foreign number in the international
 * form without "+" ("12025550123"), which is taken as such when it is no
 * Vietnamese number. Returns 0, or -1 for a sender that is not a number. */
/* Tells whether text has an ASCII letter, as a brand name sender has. */
static bool
sms_intake_has_letter(const char *text)
{
	for (; *text != '\0'; text++)
		if ((*text >= 'a' && *text <= 'z') || (*text >= 'A' && *text <= 'Z'))
			return true;
	return false;
}

static int
sms_intake_sender(const char *from, char number[CONTACT_E164_MAX])
{
	char international[CONTACT_E164_MAX + 1];
	size_t digits = strspn(from, "0123456789");

	if (contact_phone_e164(from, number) == 0)
		return 0;
	if (digits < 8 || digits > 15 || from[digits] != '\0' ||
	    from[0] == '0')
		return -1;
	snprintf(international, sizeof international, "+%s", from);
	return contact_phone_e164(international, number);
}

/* Answers 200 to a text the hub drops on purpose. Returns 0. */
static int
sms_intake_drop(sms_intake_done_fn done, void *arg, const char *reason)
{
	log_info(SMS_LOG, "inbound message dropped: %s", reason);
	done(200, "", arg);
	return 0;
}

/* Whether text has nothing but white space. */
static bool
sms_intake_blank(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0';
	    p++)
		if (!isspace(*p))
			return false;
	return true;
}

/* A copy of text cut to at most max_bytes at a character boundary, with
 * "…" in place of what is cut, so that a long text is kept rather than
 * lost. Returns NULL on allocation failure. */
static char *
sms_intake_fit(const char *text, size_t max_bytes)
{
	static const char ellipsis[] = "\xe2\x80\xa6";
	size_t length = strlen(text), keep;
	char *copy;

	if (length <= max_bytes)
		return strdup(text);
	keep = max_bytes - (sizeof ellipsis - 1);
	while (keep > 0 && ((unsigned char)text[keep] & 0xc0) == 0x80)
		keep--;
	copy = malloc(keep + sizeof ellipsis);
	if (copy == NULL)
		return NULL;
	memcpy(copy, text, keep);
	memcpy(copy + keep, ellipsis, sizeof ellipsis);
	log_info(SMS_LOG, "inbound text cut bytes=%zu max_text_bytes=%zu",
	    length, max_bytes);
	return copy;
}

/* --- Entry ------------------------------------------------------------------ */

int
sms_intake(struct sms_module *module, const struct sms_inbound *inbound,
    sms_intake_done_fn done, void *arg, int *http_status, const char **reason)
{
	struct sms_keyword_match match;
	struct sms_intake_text in;
	char answered[SMS_ANSWERED_KEY_SIZE];
	struct sms_intake_keyword *keyword = NULL;
	char external_id[CONTACT_E164_MAX + 256];
	char *text;
	int rc;

	if (inbound->from == NULL) {
		*http_status = 400;
		*reason = "from: missing; give from=%p";
		return -1;
	}
	/* smsbox cannot pass a refusal back to the handset and would send the
	 * text again and again, so a text the hub will never take is answered
	 * 200 and dropped, with the reason in the log. */
	if (sms_intake_sender(inbound->from, in.number) != 0)
		return sms_intake_drop(done, arg, sms_intake_has_letter(
		    inbound->from) ? "the sender is not a phone number (an "
		    "alphanumeric sender)" : "the sender is not a valid phone "
		    "number");
	switch (hub_contact_blocked(module->channel, CONTACT_PHONE,
	    in.number)) {
	case 1:
		return sms_intake_drop(done, arg, "the number is blocked");
	case 0:
		break;
	default:
		*http_status = 503;
		*reason = "the store failed; send again later";
		return -1;
	}
	if (sms_intake_blank(inbound->text))
		return sms_intake_drop(done, arg, "the text is empty");
	text = sms_intake_fit(inbound->text, module->config.max_text_bytes);
	if (text == NULL) {
		*http_status = 503;
		*reason = "out of memory";
		return -1;
	}
	if (inbound->external_id != NULL && snprintf(external_id,
	    sizeof external_id, "%s/%s", in.number, inbound->external_id) >=
	    (int)sizeof external_id)
		external_id[0] = '\0';
	in.text = text;
	in.external_id = inbound->external_id != NULL &&
	    external_id[0] != '\0' ? external_id : NULL;
	in.client_address = inbound->client_address;
	in.language = sms_intake_language(text, in.number);
	sms_keyword_parse(&module->config.keywords, text, &match);
	if (match.kind == SMS_KEYWORD_RATE && match.lone_digit &&
	    !sms_answer_rating_open(module, in.number))
		match.kind = SMS_KEYWORD_NONE;
	/* A sentence that starts like a status request ("Mà 3 ngày rồi vẫn
	 * chưa sửa", "Mã 6731-6456-70 lại hỏng") is a report: with a valid
	 * code of a ticket the number is on, it joins that ticket. */
	if (match.kind == SMS_KEYWORD_STATUS && match.text_after_code)
		match.kind = SMS_KEYWORD_NONE;
	if (match.kind == SMS_KEYWORD_NEW && !sms_limit_take(
	    &module->new_report_limit, in.number, clock_now_ms())) {
		log_info(SMS_LOG, "new report taken as a message: the number "
		    "reached inbound.new_reports_per_hour");
		match.kind = SMS_KEYWORD_NONE;
	}
	/* smsbox sends a text again when the hub's 200 did not reach it. The
	 * pipeline stores a report once per id, and this list answers a
	 * keyword once per id. */
	sms_intake_answered_key(in.number, inbound->external_id, answered);
	if (match.kind != SMS_KEYWORD_NONE && match.kind != SMS_KEYWORD_NEW &&
	    answered[0] != '\0') {
		if (sms_intake_answered(module, answered)) {
			log_info(SMS_LOG, "keyword text sent again, answered "
			    "already");
			free(text);
			done(200, "", arg);
			return 0;
		}
		keyword = calloc(1, sizeof *keyword);
		if (keyword == NULL) {
			*http_status = 503;
			*reason = "out of memory";
			free(text);
			return -1;
		}
		*keyword = (struct sms_intake_keyword){
			.module = module, .done = done, .arg = arg,
		};
		memcpy(keyword->key, answered, sizeof answered);
		done = sms_intake_keyword_done;
		arg = keyword;
	}
	switch (match.kind) {
	case SMS_KEYWORD_STATUS:
		rc = sms_answer_status(module, &in, match.digits, done, arg);
		break;
	case SMS_KEYWORD_RATE:
		rc = sms_answer_rate(module, &in, match.rating, done, arg);
		break;
	case SMS_KEYWORD_STOP:
		rc = sms_answer_stop(module, &in, done, arg);
		break;
	case SMS_KEYWORD_NEW:
		rc = sms_answer_resume(module, &in);
		if (rc == 0)
			rc = sms_intake_report(module, &in, match.rest, true,
			    done, arg);
		break;
	default:
		rc = sms_intake_report(module, &in, text, false, done, arg);
		break;
	}
	free(text);
	if (rc != 0) {
		free(keyword);
		*http_status = 503;
		*reason = "the hub cannot take the message now; send again later";
	}
	return rc;
}
