/*
 * Classification of a mail: a delivery status notification (a bounce),
 * mail written by a program (an auto-reply, a list, a robot), or a
 * citizen's. Bounces and automatic mail must never open a ticket or be
 * acknowledged, because two robots would then reply to each other
 * forever.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "message.h"

#include "email_parse_internal.h"

/* Maximum bytes of a header value quoted in a reason. */
#define EMAIL_REASON_VALUE_MAX 64
/* Maximum bytes of a bounce detail. */
#define EMAIL_BOUNCE_DETAIL_MAX 500

/* Local parts of robots' addresses, alone or followed by '+', '-' or '.'
 * and more ("bounces+123@", "noreply.alerts@"). */
static const char *const email_robot_local_parts[] = {
	"mailer-daemon", "postmaster", "noreply", "no-reply", "do-not-reply",
	"donotreply", "bounce", "bounces",
};

/* Headers whose presence alone marks mail written by a program. */
static const char *const email_automatic_headers[] = {
	"X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress",
	"List-Unsubscribe", "List-Id",
};

static const char *const email_precedence_automatic[] = {
	"bulk", "junk", "list", "auto_reply",
};

/* One recipient block of a message/delivery-status part. */
struct email_status_block {
	GString *recipient;
	GString *action;
	GString *status;
	GString *diagnostic;
};

int
email_reason_append(struct email_parsed *parsed, const char *text)
{
	char *joined;

	if (parsed->reason == NULL)
		joined = strdup(text);
	else if (asprintf(&joined, "%s; %s", parsed->reason, text) < 0)
		joined = NULL;
	if (joined == NULL)
		return -1;
	free(parsed->reason);
	parsed->reason = joined;
	return 0;
}

/* Appends "Name: value" with the value cleaned and cut for the log. */
static int
email_reason_header(struct email_parsed *parsed, const char *name,
    const char *value)
{
	char *clean = email_charset_to_utf8(value, strlen(value), NULL);
	char *text;
	int rc;

	email_text_clean(clean, false);
	email_text_squeeze(clean);
	clean[email_text_cut(clean, strlen(clean), EMAIL_REASON_VALUE_MAX)] =
	    '\0';
	text = g_strdup_printf("%s: %s", name, clean);
	rc = email_reason_append(parsed, text);
	g_free(text);
	g_free(clean);
	return rc;
}

/* The first token of a header value, before any ';' or white space,
 * compared without case. */
static bool
email_token_is(const char *value, const char *token)
{
	size_t length = strlen(token);

	while (g_ascii_isspace(*value))
		value++;
	return g_ascii_strncasecmp(value, token, length) == 0 &&
	    (value[length] == '\0' || value[length] == ';' ||
	    g_ascii_isspace(value[length]));
}

static bool
email_value_is_blank(const char *value)
{
	while (g_ascii_isspace(*value))
		value++;
	return *value == '\0';
}

static bool
email_sender_is_robot(const char *sender)
{
	const char *at = strrchr(sender, '@');
	size_t length = at != NULL ? (size_t)(at - sender) : strlen(sender);

	for (size_t i = 0; i < G_N_ELEMENTS(email_robot_local_parts); i++) {
		const char *robot = email_robot_local_parts[i];
		size_t robot_length = strlen(robot);

		if (length >= robot_length &&
		    g_ascii_strncasecmp(sender, robot, robot_length) == 0 &&
		    (length == robot_length || sender[robot_length] == '+' ||
		    sender[robot_length] == '-' || sender[robot_length] == '.'))
			return true;
	}
	return false;
}

static bool
email_sender_is_own(const struct email_parse_options *options,
    const char *sender)
{
	for (char *const *own = options->own_addresses;
	    own != NULL && *own != NULL; own++)
		if (g_ascii_strcasecmp(*own, sender) == 0)
			return true;
	return false;
}

/* Returns 1 and appends the reason when the mail was written by a
 * program, 0 when not, -1 on allocation failure. The robot and own-address
 * checks look at the envelope sender as well as at the From address,
 * because a pipe command without Postfix's null_sender= hands a bounce
 * over with MAILER-DAEMON as its envelope sender while From may be any
 * address. */
static int
email_classify_automatic(struct email_parse_state *state, GMimeMessage *mime,
    bool null_sender, const char *envelope_sender, const char *sender)
{
	GMimeObject *object = GMIME_OBJECT(mime);
	struct email_parsed *parsed = state->parsed;
	const char *value;

	value = g_mime_object_get_header(object, "Auto-Submitted");
	if (value != NULL && !email_value_is_blank(value) &&
	    !email_token_is(value, "no"))
		return email_reason_header(parsed, "Auto-Submitted", value) ?
		    -1 : 1;
	value = g_mime_object_get_header(object, "Precedence");
	for (size_t i = 0; value != NULL &&
	    i < G_N_ELEMENTS(email_precedence_automatic); i++)
		if (email_token_is(value, email_precedence_automatic[i]))
			return email_reason_header(parsed, "Precedence",
			    value) ? -1 : 1;
	for (size_t i = 0; i < G_N_ELEMENTS(email_automatic_headers); i++) {
		value = g_mime_object_get_header(object,
		    email_automatic_headers[i]);
		if (value != NULL)
			return email_reason_header(parsed,
			    email_automatic_headers[i], value) ? -1 : 1;
	}
	if (null_sender)
		return email_reason_append(parsed,
		    "null envelope sender") ? -1 : 1;
	if (email_sender_is_robot(sender))
		return email_reason_header(parsed, "robot sender", sender) ?
		    -1 : 1;
	if (email_sender_is_own(state->options, sender))
		return email_reason_header(parsed, "own address as sender",
		    sender) ? -1 : 1;
	if (envelope_sender == NULL || null_sender)
		return 0;
	if (email_sender_is_robot(envelope_sender))
		return email_reason_header(parsed, "robot envelope sender",
		    envelope_sender) ? -1 : 1;
	if (email_sender_is_own(state->options, envelope_sender))
		return email_reason_header(parsed,
		    "own address as envelope sender", envelope_sender) ? -1 : 1;
	return 0;
}

static int
email_bounce_add_id(struct email_parsed *parsed, const char *id)
{
	char *copy;

	while (id != NULL && (*id == '<' || g_ascii_isspace(*id)))
		id++;
	if (id == NULL || *id == '\0' || strlen(id) > HUB_REFERENCE_MAX ||
	    !g_utf8_validate(id, -1, NULL) ||
	    parsed->bounced_count >= EMAIL_BOUNCED_MAX)
		return 0;
	for (int i = 0; i < parsed->bounced_count; i++)
		if (strcmp(parsed->bounced_ids[i], id) == 0)
			return 0;
	copy = strdup(id);
	if (copy == NULL)
		return -1;
	copy[strcspn(copy, "> \t")] = '\0';
	parsed->bounced_ids[parsed->bounced_count++] = copy;
	return 0;
}

/* The Message-ID in the header block of a text/rfc822-headers part. */
static int
email_bounce_headers_id(struct email_parsed *parsed, GMimePart *part)
{
	GByteArray *bytes = email_part_content(part);
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *returned;
	int rc = 0;

	if (bytes == NULL)
		return 0;
	stream = g_mime_stream_mem_new_with_buffer((const char *)bytes->data,
	    bytes->len);
	parser = g_mime_parser_new_with_stream(stream);
	returned = g_mime_parser_construct_message(parser, NULL);
	if (returned != NULL) {
		rc = email_bounce_add_id(parsed,
		    g_mime_message_get_message_id(returned));
		g_object_unref(returned);
	}
	g_object_unref(parser);
	g_object_unref(stream);
	g_byte_array_unref(bytes);
	return rc;
}

/* Collects the returned mail's Message-IDs and the first
 * message/delivery-status part of a report. */
static int
email_bounce_scan(struct email_parsed *parsed, GMimeObject *object,
    int depth, GMimePart **status)
{
	GMimeContentType *type = g_mime_object_get_content_type(object);

	if (depth > EMAIL_MIME_DEPTH_MAX)
		return 0;
	if (GMIME_IS_MULTIPART(object)) {
		GMimeMultipart *multipart = GMIME_MULTIPART(object);

		for (int i = 0; i < g_mime_multipart_get_count(multipart); i++)
			if (email_bounce_scan(parsed,
			    g_mime_multipart_get_part(multipart, i), depth + 1,
			    status) != 0)
				return -1;
		return 0;
	}
	if (GMIME_IS_MESSAGE_PART(object)) {
		GMimeMessage *returned = g_mime_message_part_get_message(
		    GMIME_MESSAGE_PART(object));

		return returned == NULL ? 0 : email_bounce_add_id(parsed,
		    g_mime_message_get_message_id(returned));
	}
	if (!GMIME_IS_PART(object))
		return 0;
	if (g_mime_content_type_is_type(type, "message", "delivery-status")) {
		if (*status == NULL)
			*status = GMIME_PART(object);
		return 0;
	}
	if (g_mime_content_type_is_type(type, "text", "rfc822-headers") ||
	    g_mime_content_type_is_type(type, "message", "rfc822-headers"))
		return email_bounce_headers_id(parsed, GMIME_PART(object));
	return 0;
}

static void
email_status_block_reset(struct email_status_block *block)
{
	g_string_truncate(block->recipient, 0);
	g_string_truncate(block->action, 0);
	g_string_truncate(block->status, 0);
	g_string_truncate(block->diagnostic, 0);
}

/* Stores one unfolded "Name: value" field of a status block. */
static void
email_status_field(struct email_status_block *block, const char *field)
{
	const char *colon = strchr(field, ':');
	GString *target = NULL;
	size_t name_length;

	if (colon == NULL)
		return;
	name_length = (size_t)(colon - field);
	if (name_length == 15 && g_ascii_strncasecmp(field, "Final-Recipient",
	    15) == 0)
		target = block->recipient;
	else if (name_length == 6 && g_ascii_strncasecmp(field, "Action",
	    6) == 0)
		target = block->action;
	else if (name_length == 6 && g_ascii_strncasecmp(field, "Status",
	    6) == 0)
		target = block->status;
	else if (name_length == 15 && g_ascii_strncasecmp(field,
	    "Diagnostic-Code", 15) == 0)
		target = block->diagnostic;
	if (target != NULL) {
		g_string_assign(target, colon + 1);
		email_text_squeeze(target->str);
		g_string_set_size(target, strlen(target->str));
	}
}

/* "recipient: status, diagnostic" of a finished block, or NULL. */
static char *
email_status_block_text(const struct email_status_block *block)
{
	const char *recipient = block->recipient->str, *semicolon;

	if (block->status->len == 0 && block->diagnostic->len == 0)
		return NULL;
	semicolon = strchr(recipient, ';');
	if (semicolon != NULL)
		recipient = semicolon + 1;
	while (*recipient == ' ')
		recipient++;
	return g_strdup_printf("%s%sStatus %s%s%s", recipient,
	    *recipient != '\0' ? ": " : "",
	    block->status->len > 0 ? block->status->str : "unknown",
	    block->diagnostic->len > 0 ? ", " : "", block->diagnostic->str);
}

/* Picks the first failed recipient's block, else the first recipient
 * block, of a delivery-status text. */
static char *
email_status_detail(char *text)
{
	struct email_status_block block = {
		g_string_new(NULL), g_string_new(NULL), g_string_new(NULL),
		g_string_new(NULL),
	};
	GString *field = g_string_new(NULL);
	char *first = NULL, *failed = NULL, *line, *next;

	for (line = text; line != NULL && failed == NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (*line == ' ' || *line == '\t') {
			g_string_append(field, line);
		} else {
			email_status_field(&block, field->str);
			g_string_assign(field, line);
		}
		if (*line != '\0' && next != NULL)
			continue;
		email_status_field(&block, field->str);
		g_string_truncate(field, 0);
		if (email_token_is(block.action->str, "failed"))
			failed = email_status_block_text(&block);
		else if (first == NULL)
			first = email_status_block_text(&block);
		email_status_block_reset(&block);
	}
	g_string_free(field, TRUE);
	g_string_free(block.recipient, TRUE);
	g_string_free(block.action, TRUE);
	g_string_free(block.status, TRUE);
	g_string_free(block.diagnostic, TRUE);
	if (failed != NULL) {
		g_free(first);
		return failed;
	}
	return first;
}

static int
email_bounce_detail(struct email_parsed *parsed, GMimeMessage *mime,
    GMimePart *status)
{
	GByteArray *bytes = status != NULL ? email_part_content(status) : NULL;
	const char *failed_recipients;
	char *text, *detail = NULL;

	if (bytes != NULL) {
		text = email_charset_to_utf8((const char *)bytes->data,
		    bytes->len, NULL);
		g_byte_array_unref(bytes);
		email_text_clean(text, true);
		detail = email_status_detail(text);
		g_free(text);
	}
	failed_recipients = g_mime_object_get_header(GMIME_OBJECT(mime),
	    "X-Failed-Recipients");
	if (detail == NULL && failed_recipients != NULL)
		detail = g_strdup_printf("X-Failed-Recipients: %s",
		    failed_recipients);
	if (detail == NULL)
		return 0;
	text = email_charset_to_utf8(detail, strlen(detail), NULL);
	g_free(detail);
	email_text_clean(text, false);
	text[email_text_cut(text, strlen(text), EMAIL_BOUNCE_DETAIL_MAX)] =
	    '\0';
	parsed->bounce_detail = strdup(text);
	g_free(text);
	return parsed->bounce_detail != NULL ? 0 : -1;
}

/* Adds the ids the bounce itself refers to, In-Reply-To then References
 * newest first, for a report without the returned mail. */
static int
email_bounce_own_references(struct email_parsed *parsed, GMimeMessage *mime)
{
	static const char *const headers[] = { "In-Reply-To", "References" };
	int rc = 0;

	for (size_t h = 0; h < G_N_ELEMENTS(headers) && rc == 0; h++) {
		const char *value = g_mime_object_get_header(GMIME_OBJECT(mime),
		    headers[h]);
		GMimeReferences *references = value != NULL ?
		    g_mime_references_parse(NULL, value) : NULL;
		int count = references != NULL ?
		    g_mime_references_length(references) : 0;

		for (int i = count - 1; i >= 0 && rc == 0; i--)
			rc = email_bounce_add_id(parsed,
			    g_mime_references_get_message_id(references,
			    h == 0 ? count - 1 - i : i));
		if (references != NULL)
			g_mime_references_free(references);
	}
	return rc;
}

/* Which bounce rule matched, or NULL for no bounce. */
static const char *
email_bounce_rule(GMimeMessage *mime, bool null_sender, bool has_status)
{
	GMimeObject *root = g_mime_message_get_mime_part(mime);
	const char *report_type;

	if (root != NULL && g_mime_content_type_is_type(
	    g_mime_object_get_content_type(root), "multipart", "report")) {
		report_type = g_mime_object_get_content_type_parameter(root,
		    "report-type");
		if (report_type != NULL &&
		    g_ascii_strcasecmp(report_type, "delivery-status") == 0)
			return "multipart/report; report-type=delivery-status";
	}
	if (g_mime_object_get_header(GMIME_OBJECT(mime),
	    "X-Failed-Recipients") != NULL)
		return "X-Failed-Recipients";
	if (null_sender && has_status)
		return "null envelope sender with a delivery-status part";
	return NULL;
}

int
email_classify(struct email_parse_state *state, GMimeMessage *mime,
    const char *envelope_sender, const char *sender)
{
	struct email_parsed *parsed = state->parsed;
	bool null_sender = envelope_sender != NULL &&
	    (*envelope_sender == '\0' || strcmp(envelope_sender, "<>") == 0);
	GMimeObject *root = g_mime_message_get_mime_part(mime);
	GMimePart *status = NULL;
	struct email_parsed scan = { 0 };
	const char *rule;
	int rc;

	/* The scan collects into a scratch record so that a mail that turns
	 * out not to be a bounce keeps no bounced ids. */
	if (root != NULL && email_bounce_scan(&scan, root, 0, &status) != 0)
		rc = -1;
	else
		rc = 0;
	rule = email_bounce_rule(mime, null_sender, status != NULL);
	if (rule != NULL && rc == 0) {
		parsed->kind = EMAIL_BOUNCE;
		memcpy(parsed->bounced_ids, scan.bounced_ids,
		    sizeof(parsed->bounced_ids));
		parsed->bounced_count = scan.bounced_count;
		scan.bounced_count = 0;
		rc = email_reason_append(parsed, rule);
		if (rc == 0 && parsed->bounced_count == 0)
			rc = email_bounce_own_references(parsed, mime);
		if (rc == 0)
			rc = email_bounce_detail(parsed, mime, status);
	}
	for (int i = 0; i < scan.bounced_count; i++)
		free(scan.bounced_ids[i]);
	if (rc != 0 || rule != NULL)
		return rc;

	rc = email_classify_automatic(state, mime, null_sender,
	    envelope_sender, sender);
	if (rc < 0)
		return -1;
	parsed->kind = rc == 1 ? EMAIL_AUTOMATIC : EMAIL_CITIZEN;
	return 0;
}
