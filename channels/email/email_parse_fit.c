/*
 * Fitting a parsed mail to the hub's field limits (hub_config_limits), so
 * that a well-formed mail is never rejected for its size or for an empty
 * text: the name, subject and body are cut to their limits in characters
 * with "…" at the end, and an empty body is replaced by the subject or by
 * a line naming the attachments. The hub counts characters as code points
 * of the NFC text, so the fields are put in NFC before they are counted.
 */
#include <string.h>

#include "message.h"

#include "email_parse_internal.h"

#define EMAIL_ELLIPSIS "\u2026"

/* Body of a mail without text, subject or attachments. */
#define EMAIL_NO_TEXT "Thư không có nội dung."
/* Prefix of the body of a mail with attachments only. Their names follow,
 * separated by ", ". */
#define EMAIL_NO_TEXT_ATTACHMENTS "Thư không có nội dung; tệp đính kèm: "

/* Whether text is empty or white space only (ASCII and Unicode spaces),
 * which the hub's trimming turns into a missing field. */
static bool
email_text_is_blank(const char *text)
{
	for (const char *p = text; *p != '\0'; p = g_utf8_next_char(p))
		if (!g_unichar_isspace(g_utf8_get_char(p)))
			return false;
	return true;
}

/* Replaces *field (valid UTF-8) by its NFC form, cut to at most limit code
 * points with "…" as the last one. The cut moves back over combining marks
 * so that no letter loses its accent. limit <= 0 means no limit. Returns 0,
 * or -1 when out of memory. */
static int
email_field_fit(char **field, int limit)
{
	char *nfc, *end;
	glong length;
	GString *cut;
	int rc;

	if (*field == NULL || limit <= 0)
		return 0;
	nfc = g_utf8_normalize(*field, -1, G_NORMALIZE_NFC);
	if (nfc == NULL)
		return 0;	/* invalid UTF-8: the hub reports it */
	length = g_utf8_strlen(nfc, -1);
	if (length <= limit) {
		g_free(nfc);
		return 0;
	}
	end = g_utf8_offset_to_pointer(nfc, limit - 1);
	while (end > nfc && g_unichar_ismark(g_utf8_get_char(end)))
		end = g_utf8_prev_char(end);
	cut = g_string_new_len(nfc, end - nfc);
	g_free(nfc);
	/* Spaces before the "…" would stay, as the hub trims only the ends. */
	while (cut->len > 0 && g_ascii_isspace(cut->str[cut->len - 1]))
		g_string_truncate(cut, cut->len - 1);
	g_string_append(cut, EMAIL_ELLIPSIS);
	rc = hub_message_set(field, cut->str);
	g_string_free(cut, TRUE);
	return rc;
}

/* Sets the body of a mail whose text is empty: its subject, else a line
 * naming its attachments (the file name, else the content type), else
 * EMAIL_NO_TEXT. */
static int
email_body_substitute(struct hub_message *message)
{
	GString *line;
	int rc;

	if (message->subject != NULL && !email_text_is_blank(message->subject))
		return hub_message_set(&message->body, message->subject);
	if (message->attachment_count == 0)
		return hub_message_set(&message->body, EMAIL_NO_TEXT);
	line = g_string_new(EMAIL_NO_TEXT_ATTACHMENTS);
	for (int i = 0; i < message->attachment_count; i++) {
		const struct hub_attachment *attachment =
		    &message->attachments[i];

		if (i > 0)
			g_string_append(line, ", ");
		g_string_append(line, attachment->filename != NULL ?
		    attachment->filename : attachment->content_type);
	}
	rc = hub_message_set(&message->body, line->str);
	g_string_free(line, TRUE);
	return rc;
}

int
email_parse_fit(struct email_parse_state *state)
{
	struct hub_message *message = state->message;
	const struct hub_config_limits *limits = &state->options->limits;

	if (message->body == NULL || email_text_is_blank(message->body)) {
		if (email_body_substitute(message) != 0)
			return -1;
	}
	if (email_field_fit(&message->name, limits->name_chars) != 0 ||
	    email_field_fit(&message->subject, limits->subject_chars) != 0 ||
	    email_field_fit(&message->body, limits->description_chars) != 0)
		return -1;
	return 0;
}
