/*
 * Fuzzes the mail parser of channels/email/email.h with small limits. The
 * first byte picks the envelope sender (unknown, null or an address); the
 * rest is the raw message and, on its own, an HTML document. The target
 * checks that every text the parser returns is valid UTF-8 within its
 * limit, that attachment names hold no path, and that each kind comes
 * with the fields it promises.
 */
#include <stdbool.h>
#include <stdio.h>

#include "email.h"
#include "message.h"
#include "text.h"

#include "fuzz.h"

#define FUZZ_EMAIL_TEXT_MAX 4096
#define FUZZ_EMAIL_FILENAME_MAX 120

static void
fuzz_email_fail(const char *what, const char *value)
{
	fprintf(stderr, "fuzz_email: %s: \"%s\"\n", what,
	    value != NULL ? value : "(null)");
	abort();
}

/* Stores nothing and names every blob by 64 zeros. */
static int
fuzz_email_store(const void *data, size_t size, char sha256[65], void *arg)
{
	memset(sha256, '0', 64);
	sha256[64] = '\0';
	return 0;
}

static void
fuzz_email_check_text(const char *what, const char *text, size_t max)
{
	if (text == NULL)
		return;
	if (!text_valid_utf8(text, strlen(text)))
		fuzz_email_fail(what, "invalid UTF-8");
	if (max > 0 && strlen(text) > max)
		fuzz_email_fail(what, text);
}

static void
fuzz_email_check_message(const struct hub_message *message)
{
	if (message->contact_count != 1 ||
	    message->contacts[0].kind != CONTACT_EMAIL ||
	    strchr(message->contacts[0].value, '@') == NULL)
		fuzz_email_fail("sender", message->contacts[0].value);
	if (message->external_id == NULL ||
	    strlen(message->external_id) != 64)
		fuzz_email_fail("external_id", message->external_id);
	fuzz_email_check_text("subject", message->subject, 0);
	fuzz_email_check_text("name", message->name, 0);
	fuzz_email_check_text("body", message->body, FUZZ_EMAIL_TEXT_MAX);
	fuzz_email_check_text("contact", message->contacts[0].value, 0);
	for (int i = 0; i < message->attachment_count; i++) {
		const char *name = message->attachments[i].filename;

		fuzz_email_check_text("filename", name,
		    FUZZ_EMAIL_FILENAME_MAX);
		if (name == NULL || *name == '\0' || *name == '.' ||
		    strpbrk(name, "/\\") != NULL)
			fuzz_email_fail("unsafe filename", name);
	}
}

static void
fuzz_email_check_parsed(const struct email_parsed *parsed)
{
	fuzz_email_check_text("reason", parsed->reason, 0);
	fuzz_email_check_text("bounce_detail", parsed->bounce_detail, 0);
	fuzz_email_check_text("message_id", parsed->message_id, 0);
	switch (parsed->kind) {
	case EMAIL_CITIZEN:
	case EMAIL_AUTOMATIC:
		if (parsed->message == NULL)
			fuzz_email_fail("no message", parsed->reason);
		if (parsed->message->automatic !=
		    (parsed->kind == EMAIL_AUTOMATIC))
			fuzz_email_fail("automatic flag", parsed->reason);
		fuzz_email_check_message(parsed->message);
		break;
	case EMAIL_BOUNCE:
	case EMAIL_REJECTED:
		if (parsed->message != NULL || parsed->reason == NULL)
			fuzz_email_fail("bounce or rejection", parsed->reason);
		break;
	}
	if (parsed->bounced_count < 0 ||
	    parsed->bounced_count > EMAIL_BOUNCED_MAX)
		fuzz_email_fail("bounced_count", parsed->reason);
	for (int i = 0; i < parsed->bounced_count; i++)
		fuzz_email_check_text("bounced id", parsed->bounced_ids[i], 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *const own[] = { "hub@example.org", NULL };
	static const char *const senders[] = {
		NULL, "", "sender@example.com",
	};
	static bool initialised;
	struct email_parse_options options = {
		.max_message_bytes = 1024 * 1024,
		.max_attachment_bytes = 64 * 1024,
		.max_attachments = 4,
		.max_text_bytes = FUZZ_EMAIL_TEXT_MAX,
		.html_max_bytes = 256 * 1024,
		.html_max_depth = 32,
		.own_addresses = own,
		.store_blob = fuzz_email_store,
	};
	struct email_parsed parsed;
	char *text;

	if (!initialised) {
		email_parse_init();
		initialised = true;
	}
	if (size == 0)
		return 0;
	if (email_parse((const char *)data + 1, size - 1, senders[data[0] % 3],
	    &options, &parsed) != 0)
		abort();
	fuzz_email_check_parsed(&parsed);
	email_parsed_clear(&parsed);

	text = email_html_to_text((const char *)data + 1, size - 1, &options);
	if (text == NULL)
		abort();
	fuzz_email_check_text("HTML text", text, FUZZ_EMAIL_TEXT_MAX);
	free(text);
	return 0;
}
