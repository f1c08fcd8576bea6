/*
 * Parsing of one inbound mail into a hub message with GMime: the checks
 * that reject a message, the dedupe key, and the order of the steps. The
 * steps themselves live in email_parse_header.c, email_parse_body.c,
 * email_parse_attach.c and email_parse_classify.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "message.h"

#include "email_parse_internal.h"

#define EMAIL_DEDUPE_PREFIX "email-v1"

/* Charsets GMime tries for header text and parameters that their label
 * does not convert. */
static const char *email_gmime_fallbacks[] = {
	"utf-8", "windows-1258", "windows-1252", "iso-8859-1", NULL,
};

void
email_parse_init(void)
{
	g_mime_init();
	xmlInitParser();
}

void
email_parse_shutdown(void)
{
	g_mime_shutdown();
}

void
email_parsed_clear(struct email_parsed *parsed)
{
	if (parsed->message != NULL)
		hub_message_free(parsed->message);
	free(parsed->message_id);
	free(parsed->reason);
	for (int i = 0; i < parsed->bounced_count; i++)
		free(parsed->bounced_ids[i]);
	free(parsed->bounce_detail);
	memset(parsed, 0, sizeof(*parsed));
}

static int
email_parse_reject(struct email_parsed *parsed, const char *format, ...)
{
	va_list args;
	int rc;

	parsed->kind = EMAIL_REJECTED;
	free(parsed->reason);
	va_start(args, format);
	rc = vasprintf(&parsed->reason, format, args);
	va_end(args);
	if (rc < 0) {
		parsed->reason = NULL;
		return -1;
	}
	return 0;
}

/* Whether the message starts with a header field ("Name:"), after an mbox
 * "From " line if there is one. Text without any is no mail. */
static bool
email_parse_has_header(const char *raw, size_t size, size_t *start)
{
	size_t i = 0;

	*start = 0;
	if (size >= 5 && memcmp(raw, "From ", 5) == 0) {
		const char *end = memchr(raw, '\n', size);

		if (end == NULL)
			return false;
		*start = (size_t)(end - raw) + 1;
	}
	for (i = *start; i < size && raw[i] > ' ' && raw[i] < 0x7f &&
	    raw[i] != ':'; i++)
		;
	return i > *start && i < size && raw[i] == ':';
}

/* Hashes data with each CRLF as LF, so that one message handed over with
 * either line end gives one key. */
static void
email_checksum_lines(GChecksum *checksum, const char *data, size_t size)
{
	size_t run = 0;

	for (size_t i = 0; i < size; i++) {
		if (data[i] == '\r' && i + 1 < size && data[i + 1] == '\n') {
			g_checksum_update(checksum, (const guchar *)data + run,
			    (gssize)(i - run));
			run = i + 1;
		}
	}
	g_checksum_update(checksum, (const guchar *)data + run,
	    (gssize)(size - run));
}

/* The offset of the body: after the first empty line. */
static size_t
email_body_offset(const char *raw, size_t size)
{
	for (size_t i = 0; i + 1 < size; i++) {
		if (raw[i] != '\n')
			continue;
		if (raw[i + 1] == '\n')
			return i + 2;
		if (raw[i + 1] == '\r' && i + 2 < size && raw[i + 2] == '\n')
			return i + 3;
	}
	return size;
}

/* Returns the dedupe key: hex SHA-256 of "email-v1", the Message-ID, the
 * sender in lower case and the SHA-256 of the body, each after a NUL byte.
 * The headers added on the way (Received, Delivered-To) stay out, so one
 * mail delivered to two of the hub's addresses is one message. The sender
 * is in, so a Message-ID copied by another sender makes another message.
 * Without a Message-ID the inner hash covers the whole message. Either
 * way the hashed text ends at its last character other than CR, LF,
 * space or tab. */
static char *
email_dedupe_key(const char *raw, size_t size, const char *message_id,
    const char *sender)
{
	GChecksum *inner = g_checksum_new(G_CHECKSUM_SHA256);
	GChecksum *outer = g_checksum_new(G_CHECKSUM_SHA256);
	size_t offset = message_id != NULL ? email_body_offset(raw, size) : 0;
	char *lower = g_ascii_strdown(sender, -1);
	guint8 digest[32];
	gsize digest_size = sizeof(digest);
	char *key;

	/* Trailing CR, LF, spaces and tabs stay out: clients differ there
	 * (swaks --data adds a CRLF that the pipe command does not), and one
	 * message handed over by both must give one key. */
	while (size > offset && strchr("\r\n \t", raw[size - 1]) != NULL)
		size--;
	email_checksum_lines(inner, raw + offset, size - offset);
	g_checksum_get_digest(inner, digest, &digest_size);
	g_checksum_update(outer, (const guchar *)EMAIL_DEDUPE_PREFIX,
	    sizeof(EMAIL_DEDUPE_PREFIX));
	if (message_id != NULL)
		g_checksum_update(outer, (const guchar *)message_id, -1);
	g_checksum_update(outer, (const guchar *)"", 1);
	g_checksum_update(outer, (const guchar *)lower, -1);
	g_checksum_update(outer, (const guchar *)"", 1);
	g_checksum_update(outer, digest, (gssize)digest_size);
	key = strdup(g_checksum_get_string(outer));
	g_free(lower);
	g_checksum_free(outer);
	g_checksum_free(inner);
	return key;
}

static GMimeMessage *
email_parse_mime(const char *raw, size_t size)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(raw, size);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeParserOptions *options = g_mime_parser_options_new();
	GMimeMessage *mime;

	g_mime_parser_options_set_fallback_charsets(options,
	    email_gmime_fallbacks);
	g_mime_parser_options_set_rfc2047_compliance_mode(options,
	    GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_address_compliance_mode(options,
	    GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(options,
	    GMIME_RFC_COMPLIANCE_LOOSE);
	mime = g_mime_parser_construct_message(parser, options);
	g_mime_parser_options_free(options);
	g_object_unref(parser);
	g_object_unref(stream);
	return mime;
}

/* Copies the Message-ID for the log and, when the hub can keep it, as the
 * message's reference. */
static int
email_parse_message_id(struct email_parsed *parsed, GMimeMessage *mime,
    struct hub_message *message)
{
	const char *id = g_mime_message_get_message_id(mime);
	char *clean;

	if (id == NULL || *id == '\0')
		return 0;
	clean = email_charset_to_utf8(id, strlen(id), NULL);
	email_text_clean(clean, false);
	parsed->message_id = strdup(clean);
	g_free(clean);
	if (parsed->message_id == NULL)
		return -1;
	if (strlen(id) > HUB_REFERENCE_MAX || !g_utf8_validate(id, -1, NULL))
		return 0;
	return hub_message_set(&message->reference, id);
}

/* The steps after the sender is known: the kind, then for a message to
 * submit its dedupe key, body, attachments and acknowledgement. */
static int
email_parse_fill(struct email_parse_state *state, GMimeMessage *mime,
    const char *raw, size_t size, const char *envelope_sender,
    const char *sender)
{
	struct email_parsed *parsed = state->parsed;
	struct hub_message *message = state->message;
	char *note;

	if (email_classify(state, mime, envelope_sender, sender) != 0)
		return -1;
	if (parsed->kind == EMAIL_BOUNCE)
		return 0;
	message->external_id = email_dedupe_key(raw, size, message->reference,
	    sender);
	if (message->external_id == NULL || email_body_fill(state, mime) != 0 ||
	    email_parse_fit(state) != 0)
		return -1;
	message->automatic = parsed->kind == EMAIL_AUTOMATIC;
	message->ack = message->automatic ? HUB_ACK_NONE : HUB_ACK_QUEUE;
	if (state->left_out_count == 0)
		return 0;
	note = g_strdup_printf("%d attachment%s left out: %s%s",
	    state->left_out_count, state->left_out_count == 1 ? "" : "s",
	    state->left_out->str, state->left_out_count >
	    EMAIL_LEFT_OUT_NAMED_MAX ? " and more" : "");
	if (email_reason_append(parsed, note) != 0)
		state->failed = -1;
	g_free(note);
	return state->failed;
}

/* The envelope sender written by the delivery agent into Return-Path, for
 * mail fetched from a mailbox: "" for the null sender <>, NULL when the
 * header is missing or empty (g_free). */
static char *
email_parse_return_path(GMimeMessage *mime)
{
	const char *value = g_mime_object_get_header(GMIME_OBJECT(mime),
	    "Return-Path");
	const char *open, *close;

	if (value == NULL)
		return NULL;
	open = strchr(value, '<');
	close = open != NULL ? strchr(open, '>') : NULL;
	if (close != NULL)
		return g_strndup(open + 1, (gsize)(close - open - 1));
	while (g_ascii_isspace(*value))
		value++;
	return *value != '\0' ? g_strdup(value) : NULL;
}

static int
email_parse_message(struct email_parse_state *state, GMimeMessage *mime,
    const char *raw, size_t size, const char *envelope_sender)
{
	char *sender = NULL, *return_path = NULL;
	int rc;

	if (envelope_sender == NULL) {
		return_path = email_parse_return_path(mime);
		envelope_sender = return_path;
	}

	state->message = hub_message_new("email");
	if (state->message == NULL)
		return -1;
	/* The references written next skip the message's own id. */
	rc = email_parse_message_id(state->parsed, mime, state->message);
	if (rc == 0)
		rc = email_header_fill(state, mime, envelope_sender, &sender);
	if (rc == 1)
		rc = email_parse_reject(state->parsed,
		    "no sender address in From or the envelope");
	else if (rc == 0)
		rc = email_parse_fill(state, mime, raw, size, envelope_sender,
		    sender);
	g_free(sender);
	g_free(return_path);
	if (rc == 0 && (state->parsed->kind == EMAIL_CITIZEN ||
	    state->parsed->kind == EMAIL_AUTOMATIC)) {
		state->parsed->message = state->message;
		state->message = NULL;
	}
	if (state->message != NULL)
		hub_message_free(state->message);
	state->message = NULL;
	return rc;
}

int
email_parse(const char *raw, size_t size, const char *envelope_sender,
    const struct email_parse_options *options, struct email_parsed *parsed)
{
	struct email_parse_state state = { .options = options,
	    .parsed = parsed };
	GMimeMessage *mime;
	size_t start;
	int rc;

	memset(parsed, 0, sizeof(*parsed));
	if (options->max_message_bytes > 0 &&
	    size > options->max_message_bytes)
		return email_parse_reject(parsed, "message of %zu bytes is "
		    "over max_message_bytes (%zu)", size,
		    options->max_message_bytes);
	if (!email_parse_has_header(raw, size, &start))
		return email_parse_reject(parsed, "no header block");
	mime = email_parse_mime(raw + start, size - start);
	if (mime == NULL)
		return email_parse_reject(parsed, "no parseable message");

	state.body = g_string_new(NULL);
	state.left_out = g_string_new(NULL);
	rc = email_parse_message(&state, mime, raw, size, envelope_sender);
	g_string_free(state.left_out, TRUE);
	g_string_free(state.body, TRUE);
	g_object_unref(mime);
	if (rc != 0)
		email_parsed_clear(parsed);
	return rc;
}
