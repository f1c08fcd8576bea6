/*
 * Outbound mail built with GMime. GMime encodes non-ASCII header text as
 * RFC 2047 words (UTF-8) and folds long headers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "email_compose.h"

/* Maximum number of ids kept in References. */
#define EMAIL_COMPOSE_REFERENCES_MAX 10

char *
email_compose_subject(const char *code, const char *subject,
    const char *fallback)
{
	char *text = NULL;
	int length;

	if (subject != NULL && subject[0] != '\0')
		length = asprintf(&text, "[#%s] Re: %s", code, subject);
	else
		length = asprintf(&text, "[#%s] %s", code, fallback);
	return length < 0 ? NULL : text;
}

/* Appends id in angle brackets to the list unless it is there already. */
static void
email_compose_reference_add(char **ids, int *count, const char *id,
    size_t length)
{
	int i;

	if (length == 0 || length > 250)
		return;
	for (i = 0; i < *count; i++)
		if (strlen(ids[i]) == length && memcmp(ids[i], id, length) == 0)
			return;
	ids[*count] = strndup(id, length);
	if (ids[*count] != NULL)
		(*count)++;
}

char *
email_compose_references(const char *references, const char *in_reply_to)
{
	char *ids[EMAIL_COMPOSE_REFERENCES_MAX * 4 + 1];
	const char *cursor = references;
	size_t total = 1;
	int count = 0, first, i;
	char *result, *end;

	while (cursor != NULL && *cursor != '\0' &&
	    count < EMAIL_COMPOSE_REFERENCES_MAX * 4) {
		size_t length;

		cursor += strspn(cursor, " <>");
		length = strcspn(cursor, " <>");
		email_compose_reference_add(ids, &count, cursor, length);
		cursor += length;
	}
	if (in_reply_to != NULL) {
		in_reply_to += strspn(in_reply_to, " <");
		email_compose_reference_add(ids, &count, in_reply_to,
		    strcspn(in_reply_to, " >"));
	}
	first = count > EMAIL_COMPOSE_REFERENCES_MAX ?
	    count - EMAIL_COMPOSE_REFERENCES_MAX : 0;
	for (i = first; i < count; i++)
		total += strlen(ids[i]) + 3;
	result = malloc(total);
	end = result;
	for (i = 0; i < count; i++) {
		if (result != NULL && i >= first)
			end += sprintf(end, "%s<%s>", end == result ? "" : " ",
			    ids[i]);
		free(ids[i]);
	}
	if (result != NULL)
		*end = '\0';
	return result;
}

static GMimeObject *
email_compose_text_part(const char *subtype, const char *text)
{
	GMimeTextPart *part = g_mime_text_part_new_with_subtype(subtype);

	g_mime_text_part_set_text(part, text);
	g_mime_text_part_set_charset(part, "utf-8");
	g_mime_part_set_content_encoding(GMIME_PART(part),
	    GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	return GMIME_OBJECT(part);
}

static GMimeObject *
email_compose_body(const struct email_compose *compose)
{
	GMimeMultipart *alternative;
	GMimeObject *part;

	if (compose->html == NULL)
		return email_compose_text_part("plain", compose->text);
	alternative = g_mime_multipart_new_with_subtype("alternative");
	part = email_compose_text_part("plain", compose->text);
	g_mime_multipart_add(alternative, part);
	g_object_unref(part);
	part = email_compose_text_part("html", compose->html);
	g_mime_multipart_add(alternative, part);
	g_object_unref(part);
	return GMIME_OBJECT(alternative);
}

static void
email_compose_threading(GMimeObject *object, const struct email_compose *compose)
{
	const char *id = compose->in_reply_to;
	char *references, *in_reply_to;
	int length;

	if (id != NULL) {
		id += strspn(id, " <");
		length = (int)strcspn(id, " >");
		if (length > 0 &&
		    asprintf(&in_reply_to, "<%.*s>", length, id) >= 0) {
			g_mime_object_set_header(object, "In-Reply-To",
			    in_reply_to, NULL);
			free(in_reply_to);
		}
	}
	references = email_compose_references(compose->references,
	    compose->in_reply_to);
	if (references != NULL && references[0] != '\0')
		g_mime_object_set_header(object, "References", references, NULL);
	free(references);
}

static void
email_compose_headers(GMimeMessage *message,
    const struct email_compose *compose)
{
	GMimeObject *object = GMIME_OBJECT(message);
	GDateTime *date;

	g_mime_message_add_mailbox(message, GMIME_ADDRESS_TYPE_FROM,
	    compose->from_name, compose->from_address);
	g_mime_message_add_mailbox(message, GMIME_ADDRESS_TYPE_TO, NULL,
	    compose->to);
	g_mime_message_set_subject(message, compose->subject, "utf-8");
	date = g_date_time_new_from_unix_utc(compose->date_ms / 1000);
	g_mime_message_set_date(message, date);
	g_date_time_unref(date);
	g_mime_message_set_message_id(message, compose->message_id);
	email_compose_threading(object, compose);
	g_mime_object_set_header(object, "MIME-Version", "1.0", NULL);
	if (compose->language != NULL)
		g_mime_object_set_header(object, "Content-Language",
		    compose->language, NULL);
	if (compose->automatic) {
		/* RFC 3834: a response made by a program, which other
		 * responders must not answer. */
		g_mime_object_set_header(object, "Auto-Submitted",
		    "auto-replied", NULL);
		g_mime_object_set_header(object, "X-Auto-Response-Suppress",
		    "All", NULL);
	}
}

char *
email_compose_message(const struct email_compose *compose, size_t *size)
{
	GMimeMessage *message = g_mime_message_new(TRUE);
	GMimeFormatOptions *options = g_mime_format_options_new();
	GMimeObject *body;
	char *text, *copy;

	email_compose_headers(message, compose);
	body = email_compose_body(compose);
	g_mime_message_set_mime_part(message, body);
	g_object_unref(body);
	g_mime_format_options_set_newline_format(options,
	    GMIME_NEWLINE_FORMAT_DOS);
	text = g_mime_object_to_string(GMIME_OBJECT(message), options);
	g_mime_format_options_free(options);
	g_object_unref(message);
	if (text == NULL)
		return NULL;
	/* Callers free with free(), not g_free(). */
	copy = strdup(text);
	g_free(text);
	if (copy != NULL)
		*size = strlen(copy);
	return copy;
}
