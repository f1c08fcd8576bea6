/*
 * The body of a mail: the walk of the MIME tree that picks the text parts
 * (text/plain before HTML in a multipart/alternative), appends forwarded
 * messages, hands every other leaf to the attachments, and guesses the
 * language of the result.
 */
#include <string.h>

#include "message.h"

#include "email_parse_internal.h"

#define EMAIL_FORWARDED_LINE "---------- Forwarded message ----------"
/* The longest Date value copied into a forwarded message's header block. */
#define EMAIL_FORWARDED_DATE_MAX 100
/* Bytes of subject and body scanned for the language. */
#define EMAIL_LANGUAGE_SCAN_MAX 65536

/* Common English words that are not also Vietnamese written without
 * diacritics ("the", "to", "can" and "in" are). */
static const char *const email_english_words[] = {
	"and", "is", "are", "of", "for", "you", "your", "please", "this",
	"that", "with", "not", "have", "has", "was", "were", "there", "it",
	"from", "we", "our", "would", "could", "hello", "dear", "thank",
	"thanks", "been", "will", "what", "when", "where", "which", "about",
	"street", "help", "my", "i", "am", "near", "since", "road", "water",
};

/* Whether the walk takes text parts as body text or skips them (the parts
 * of a multipart/alternative not chosen). */
enum email_walk_text {
	EMAIL_TEXT_TAKE,
	EMAIL_TEXT_SKIP,
};

static int email_body_walk(struct email_parse_state *state,
    GMimeObject *object, int depth, enum email_walk_text text);

GByteArray *
email_part_content(GMimePart *part)
{
	GMimeDataWrapper *wrapper = g_mime_part_get_content(part);
	GByteArray *bytes;
	GMimeStream *stream;
	ssize_t written;

	if (wrapper == NULL)
		return NULL;
	bytes = g_byte_array_new();
	stream = g_mime_stream_mem_new_with_byte_array(bytes);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
	written = g_mime_data_wrapper_write_to_stream(wrapper, stream);
	g_object_unref(stream);
	if (written < 0) {
		g_byte_array_unref(bytes);
		return NULL;
	}
	return bytes;
}

/* Appends text after separator (when the body is not empty), cut at
 * max_text_bytes on a character boundary. */
static void
email_body_append(struct email_parse_state *state, const char *separator,
    const char *text)
{
	size_t max = state->options->max_text_bytes;

	if (state->body_full || *text == '\0')
		return;
	if (state->body->len > 0)
		g_string_append(state->body, separator);
	g_string_append(state->body, text);
	if (max > 0 && state->body->len > max) {
		g_string_truncate(state->body, email_text_cut(state->body->str,
		    state->body->len, max));
		state->body_full = true;
	}
}

/* Removes blank lines and white space at both ends, in place. */
static void
email_text_trim(char *text)
{
	size_t start = 0, end = strlen(text);

	while (text[start] == ' ' || text[start] == '\t' ||
	    text[start] == '\n')
		start++;
	while (end > start && (text[end - 1] == ' ' || text[end - 1] == '\t' ||
	    text[end - 1] == '\n'))
		end--;
	memmove(text, text + start, end - start);
	text[end - start] = '\0';
}

static bool
email_part_is_type(GMimeObject *object, const char *type, const char *subtype)
{
	return g_mime_content_type_is_type(
	    g_mime_object_get_content_type(object), type, subtype);
}

/* A text/plain or text/html leaf that is meant to be read as the message,
 * not saved as a file. */
static bool
email_part_is_body_text(GMimeObject *object, bool html)
{
	GMimePart *part;

	if (!GMIME_IS_PART(object) ||
	    !email_part_is_type(object, "text", html ? "html" : "plain"))
		return false;
	part = GMIME_PART(object);
	return !g_mime_part_is_attachment(part) &&
	    g_mime_part_get_filename(part) == NULL;
}

/* Whether object is body text of the kind, or a multipart that contains
 * such text outside attachments. */
static bool
email_part_holds_text(GMimeObject *object, bool html, int depth)
{
	GMimeMultipart *multipart;

	if (email_part_is_body_text(object, html))
		return true;
	if (!GMIME_IS_MULTIPART(object) || depth > EMAIL_MIME_DEPTH_MAX)
		return false;
	multipart = GMIME_MULTIPART(object);
	for (int i = 0; i < g_mime_multipart_get_count(multipart); i++)
		if (email_part_holds_text(g_mime_multipart_get_part(multipart,
		    i), html, depth + 1))
			return true;
	return false;
}

/* Joins the soft line breaks of format=flowed text (RFC 3676): a line that
 * ends in a space continues on the next line of the same quote depth.
 * Space-stuffing is removed, and with delsp=yes the space itself too. The
 * signature separator "-- " stays a line of its own. Returns a new string
 * (g_free). */
static char *
email_text_unflow(char *text, bool delsp)
{
	GString *out = g_string_sized_new(strlen(text) + 16);
	char *line = text, *next;
	int paragraph_depth = -1;	/* quote depth of an open paragraph */

	for (; line != NULL; line = next) {
		int depth = 0;
		char *content;
		size_t length;
		bool flowed;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		while (line[depth] == '>')
			depth++;
		content = line + depth;
		if (*content == ' ')
			content++;
		if (paragraph_depth >= 0 && paragraph_depth != depth)
			g_string_append_c(out, '\n');
		if (paragraph_depth != depth && depth > 0) {
			for (int i = 0; i < depth; i++)
				g_string_append_c(out, '>');
			g_string_append_c(out, ' ');
		}
		length = strlen(content);
		flowed = length > 0 && content[length - 1] == ' ' &&
		    strcmp(content, "-- ") != 0;
		if (flowed && delsp)
			length--;
		g_string_append_len(out, content, (gssize)length);
		paragraph_depth = flowed ? depth : -1;
		if (!flowed && next != NULL)
			g_string_append_c(out, '\n');
	}
	return g_string_free(out, FALSE);
}

static void
email_body_text(struct email_parse_state *state, GMimePart *part, bool html)
{
	GMimeObject *object = GMIME_OBJECT(part);
	const char *format, *delsp;
	GByteArray *bytes = email_part_content(part);
	char *text, *plain;

	if (bytes == NULL)
		return;
	text = email_charset_to_utf8((const char *)bytes->data, bytes->len,
	    g_mime_object_get_content_type_parameter(GMIME_OBJECT(part),
	    "charset"));
	g_byte_array_unref(bytes);
	if (html) {
		plain = email_html_to_text(text, strlen(text), state->options);
		if (plain == NULL) {
			state->failed = -1;
		} else {
			email_body_append(state, "\n\n", plain);
			free(plain);
		}
	} else {
		email_text_clean(text, true);
		format = g_mime_object_get_content_type_parameter(object,
		    "format");
		delsp = g_mime_object_get_content_type_parameter(object,
		    "delsp");
		if (format != NULL && g_ascii_strcasecmp(format, "flowed") == 0) {
			plain = email_text_unflow(text, delsp != NULL &&
			    g_ascii_strcasecmp(delsp, "yes") == 0);
			g_free(text);
			text = plain;
		}
		email_text_trim(text);
		email_body_append(state, "\n\n", text);
	}
	g_free(text);
}

/* Parts of a report that describe a delivery and are read by the
 * classification, not kept as files. */
static bool
email_part_is_report(GMimeObject *object)
{
	return email_part_is_type(object, "message", "delivery-status") ||
	    email_part_is_type(object, "message", "disposition-notification") ||
	    email_part_is_type(object, "message", "rfc822-headers") ||
	    email_part_is_type(object, "text", "rfc822-headers");
}

static bool
email_part_is_signature(GMimeObject *object)
{
	return email_part_is_type(object, "application", "pgp-signature") ||
	    email_part_is_type(object, "application", "pkcs7-signature") ||
	    email_part_is_type(object, "application", "x-pkcs7-signature");
}

static int
email_body_leaf(struct email_parse_state *state, GMimePart *part,
    enum email_walk_text text)
{
	GMimeObject *object = GMIME_OBJECT(part);
	bool plain = email_part_is_body_text(object, false);
	bool html = email_part_is_body_text(object, true);

	if (email_part_is_report(object) || email_part_is_signature(object))
		return 0;
	if (plain || html) {
		if (text == EMAIL_TEXT_TAKE)
			email_body_text(state, part, html);
		return state->failed;
	}
	return email_attachment_add(state, part);
}

/* Walks the child that contains text/plain (else HTML, else the first)
 * for its text. The other children are walked only for their attachments,
 * such as the inline images of an HTML version. */
static int
email_body_alternative(struct email_parse_state *state,
    GMimeMultipart *multipart, int depth, enum email_walk_text text)
{
	int count = g_mime_multipart_get_count(multipart), chosen = -1;

	for (int html = 0; html <= 1 && chosen < 0; html++)
		for (int i = 0; i < count && chosen < 0; i++)
			if (email_part_holds_text(g_mime_multipart_get_part(
			    multipart, i), html, depth + 1))
				chosen = i;
	if (chosen < 0)
		chosen = 0;
	for (int i = 0; i < count; i++)
		if (email_body_walk(state, g_mime_multipart_get_part(multipart,
		    i), depth + 1, i == chosen ? text : EMAIL_TEXT_SKIP) != 0)
			return -1;
	return 0;
}

static int
email_body_multipart(struct email_parse_state *state,
    GMimeMultipart *multipart, int depth, enum email_walk_text text)
{
	GMimeObject *object = GMIME_OBJECT(multipart);
	int count = g_mime_multipart_get_count(multipart);

	if (email_part_is_type(object, "multipart", "alternative"))
		return email_body_alternative(state, multipart, depth, text);
	if (email_part_is_type(object, "multipart", "encrypted")) {
		if (state->encrypted_noted)
			return 0;
		state->encrypted_noted = true;
		return email_reason_append(state->parsed,
		    "encrypted parts were left out");
	}
	for (int i = 0; i < count; i++)
		if (email_body_walk(state, g_mime_multipart_get_part(multipart,
		    i), depth + 1, text) != 0)
			return -1;
	return 0;
}

/* A header line of a forwarded message: "From: ..." with the decoded
 * value cut to max bytes. */
static void
email_forwarded_field(GString *head, GMimeMessage *inner, const char *name,
    size_t max)
{
	const char *raw = email_header_raw(GMIME_OBJECT(inner), name);
	char *value;

	if (raw == NULL)
		return;
	value = email_header_decode(raw);
	value[email_text_cut(value, strlen(value), max)] = '\0';
	g_string_append_printf(head, "\n%s: %s", name, value);
	g_free(value);
}

/* A message/rfc822 part: its header block and text go after the body, its
 * attachments are kept like the outer ones. */
static int
email_body_forwarded(struct email_parse_state *state, GMimeMessagePart *part,
    int depth, enum email_walk_text text)
{
	GMimeMessage *inner = g_mime_message_part_get_message(part);
	GMimeObject *root;
	GString *head;

	if (inner == NULL)
		return 0;
	if (text == EMAIL_TEXT_TAKE) {
		head = g_string_new(EMAIL_FORWARDED_LINE);
		email_forwarded_field(head, inner, "From", 1000);
		email_forwarded_field(head, inner, "Date",
		    EMAIL_FORWARDED_DATE_MAX);
		email_forwarded_field(head, inner, "Subject", 1000);
		email_body_append(state, "\n\n", head->str);
		g_string_free(head, TRUE);
	}
	root = g_mime_message_get_mime_part(inner);
	if (root == NULL)
		return 0;
	return email_body_walk(state, root, depth + 1, text);
}

static int
email_body_walk(struct email_parse_state *state, GMimeObject *object,
    int depth, enum email_walk_text text)
{
	if (depth > EMAIL_MIME_DEPTH_MAX) {
		if (state->deep_noted)
			return 0;
		state->deep_noted = true;
		return email_reason_append(state->parsed,
		    "parts nested too deep were left out");
	}
	if (GMIME_IS_MULTIPART(object))
		return email_body_multipart(state, GMIME_MULTIPART(object),
		    depth, text);
	if (GMIME_IS_MESSAGE_PART(object))
		return email_body_forwarded(state, GMIME_MESSAGE_PART(object),
		    depth, text);
	if (GMIME_IS_PART(object))
		return email_body_leaf(state, GMIME_PART(object), text);
	return 0;
}

/* Whether the code point is a Vietnamese letter with a diacritic (or a
 * combining mark of one, as in NFD text or windows-1258). */
static bool
email_char_is_vietnamese(gunichar c)
{
	static const char latin1[] = "àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ";

	if (c >= 0x1ea0 && c <= 0x1ef9)
		return true;
	switch (c) {
	case 0x0102: case 0x0103:	/* Ă ă */
	case 0x0110: case 0x0111:	/* Đ đ */
	case 0x0128: case 0x0129:	/* Ĩ ĩ */
	case 0x0168: case 0x0169:	/* Ũ ũ */
	case 0x01a0: case 0x01a1:	/* Ơ ơ */
	case 0x01af: case 0x01b0:	/* Ư ư */
	case 0x0300: case 0x0301: case 0x0302: case 0x0303: case 0x0306:
	case 0x0309: case 0x031b: case 0x0323:
		return true;
	default:
		break;
	}
	if (c < 0xc0 || c > 0xff)
		return false;
	for (const char *p = latin1; *p != '\0'; p = g_utf8_next_char(p))
		if (g_utf8_get_char(p) == c)
			return true;
	return false;
}

/* Counts the words of text and those of them that are common English
 * words; false when a Vietnamese letter appears. */
static bool
email_text_count_english(const char *text, int *words, int *english)
{
	const char *p = text, *end = text + email_text_cut(text, strlen(text),
	    EMAIL_LANGUAGE_SCAN_MAX);
	char word[16];
	size_t length = 0;

	for (; p <= end; p = p < end ? g_utf8_next_char(p) : p + 1) {
		gunichar c = p < end ? g_utf8_get_char(p) : ' ';

		if (email_char_is_vietnamese(c))
			return false;
		if (c < 0x80 && g_ascii_isalpha((char)c)) {
			if (length < sizeof(word) - 1)
				word[length++] = g_ascii_tolower((char)c);
			continue;
		}
		if (length == 0)
			continue;
		word[length] = '\0';
		(*words)++;
		for (size_t i = 0; i < G_N_ELEMENTS(email_english_words); i++)
			if (strcmp(word, email_english_words[i]) == 0)
				(*english)++;
		length = 0;
	}
	return true;
}

/* Returns "en" when Content-Language is English, or when subject and body
 * contain no Vietnamese letter and at least two common English words that
 * make up a fifth of the words. Returns "vi" otherwise. */
static const char *
email_body_language(struct email_parse_state *state, GMimeMessage *mime)
{
	GMimeObject *root = g_mime_message_get_mime_part(mime);
	const char *declared = g_mime_object_get_header(GMIME_OBJECT(mime),
	    "Content-Language");
	const char *subject = state->message->subject;
	int words = 0, english = 0;

	/* GMime keeps the Content-* headers of a message on its root part. */
	if (declared == NULL && root != NULL)
		declared = g_mime_object_get_header(root, "Content-Language");
	while (declared != NULL && g_ascii_isspace(*declared))
		declared++;
	if (declared != NULL && g_ascii_strncasecmp(declared, "en", 2) == 0 &&
	    !g_ascii_isalpha(declared[2]))
		return "en";
	if (subject != NULL &&
	    !email_text_count_english(subject, &words, &english))
		return "vi";
	if (!email_text_count_english(state->body->str, &words, &english))
		return "vi";
	return english >= 2 && english * 5 >= words ? "en" : "vi";
}

int
email_body_fill(struct email_parse_state *state, GMimeMessage *mime)
{
	GMimeObject *root = g_mime_message_get_mime_part(mime);

	if (root != NULL && email_body_walk(state, root, 0,
	    EMAIL_TEXT_TAKE) != 0)
		return -1;
	if (state->failed != 0)
		return -1;
	email_text_trim(state->body->str);
	if (hub_message_set(&state->message->body, state->body->str) != 0)
		return -1;
	return hub_message_set(&state->message->language,
	    email_body_language(state, mime));
}
