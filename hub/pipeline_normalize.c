#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "contact.h"
#include "message.h"
#include "pipeline_stages.h"
#include "text.h"

/* Whether a field may hold line breaks (a description does, a name does
 * not). */
enum normalize_lines {
	NORMALIZE_ONE_LINE,
	NORMALIZE_MULTI_LINE,
};

/*
 * Whether s holds a character no field may hold: a C0 control (but tab, and
 * line breaks in multi-line fields), DEL, a C1 control (U+0080 to U+009F),
 * or a bidirectional embedding, override or isolate (U+202A to U+202E,
 * U+2066 to U+2069), which can make a page or a terminal show text in
 * another order than it was written. s is valid UTF-8.
 */
static bool
normalize_has_control(const char *s, enum normalize_lines lines)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '\t')
			continue;
		if (lines == NORMALIZE_MULTI_LINE && (*p == '\n' || *p == '\r'))
			continue;
		if (*p < 0x20 || *p == 0x7f)
			return true;
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return true;
		if (p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae)
			return true;
		if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
			return true;
	}
	return false;
}

/* Normalizes *field in place. An empty result becomes NULL. Returns 0, or
 * -1 with error naming field. */
static int
normalize_field(char **field, const char *name, int limit,
    enum normalize_lines lines, struct hub_error *error)
{
	char *normalized;

	if (*field == NULL)
		return 0;
	if (!text_valid_utf8(*field, strlen(*field))) {
		hub_error_set(error, HUB_ERR_INVALID_UTF8, name, 0);
		return -1;
	}
	normalized = text_normalize(*field, strlen(*field));
	if (normalized == NULL) {
		hub_error_set(error, HUB_ERR_INTERNAL, name, 0);
		return -1;
	}
	free(*field);
	*field = normalized;

	if (normalize_has_control(normalized, lines)) {
		hub_error_set(error, HUB_ERR_INVALID_FIELD, name, 0);
		return -1;
	}
	if (limit > 0 && text_length(normalized) > (size_t)limit) {
		hub_error_set(error, HUB_ERR_FIELD_TOO_LONG, name, limit);
		return -1;
	}
	if (normalized[0] == '\0') {
		free(normalized);
		*field = NULL;
	}
	return 0;
}

static int
normalize_texts(struct hub_message *message,
    const struct hub_config_limits *limits, struct hub_error *error)
{
	const struct {
		char **field;
		const char *name;
		int limit;
		enum normalize_lines lines;
	} fields[] = {
		{ &message->external_id, "external_id", limits->external_id_chars, NORMALIZE_ONE_LINE },
		{ &message->conversation_key, "conversation_key", limits->external_id_chars, NORMALIZE_ONE_LINE },
		{ &message->name, "name", limits->name_chars, NORMALIZE_ONE_LINE },
		{ &message->subject, "subject", limits->subject_chars, NORMALIZE_ONE_LINE },
		{ &message->body, "description", limits->description_chars, NORMALIZE_MULTI_LINE },
		{ &message->category_hint, "category", limits->category_chars, NORMALIZE_ONE_LINE },
		{ &message->address, "address", limits->address_chars, NORMALIZE_ONE_LINE },
		{ &message->language, "language", 8, NORMALIZE_ONE_LINE },
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (normalize_field(fields[i].field, fields[i].name,
		    fields[i].limit, fields[i].lines, error) != 0)
			return -1;
	if (message->body == NULL) {
		hub_error_set(error, HUB_ERR_MISSING_FIELD, "description", 0);
		return -1;
	}
	return 0;
}

static int
normalize_contact(struct hub_contact *contact,
    const struct hub_config_limits *limits, struct hub_error *error)
{
	const char *name = contact->kind == CONTACT_PHONE ? "phone" :
	    contact->kind == CONTACT_EMAIL ? "email" : "contact";
	char e164[CONTACT_E164_MAX], *normalized;

	if (normalize_field(&contact->value, name, limits->email_chars,
	    NORMALIZE_ONE_LINE, error) != 0)
		return -1;
	if (contact->value == NULL) {
		/* Given but empty: a gateway or a client sent nothing usable. */
		hub_error_set(error, HUB_ERR_INVALID_FIELD, name, 0);
		return -1;
	}
	switch (contact->kind) {
	case CONTACT_PHONE:
		if (contact_phone_e164(contact->value, e164) != 0)
			break;
		normalized = strdup(e164);
		goto replace;
	case CONTACT_EMAIL:
		normalized = contact_email_normalize(contact->value);
		if (normalized == NULL)
			break;
		goto replace;
	case CONTACT_PLATFORM:
		return 0;
	}
	hub_error_set(error, HUB_ERR_INVALID_FIELD, name, 0);
	return -1;

replace:
	if (normalized == NULL) {
		hub_error_set(error, HUB_ERR_INTERNAL, name, 0);
		return -1;
	}
	free(contact->value);
	contact->value = normalized;
	return 0;
}

static int
normalize_language(struct hub_message *message, struct hub_error *error)
{
	if (message->language == NULL)
		return hub_message_set(&message->language, HUB_LANGUAGE_DEFAULT);
	for (char *p = message->language; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (strcmp(message->language, "vi") == 0 ||
	    strcmp(message->language, "en") == 0)
		return 0;
	hub_error_set(error, HUB_ERR_UNKNOWN_LANGUAGE, "language", 0);
	return -1;
}

static int
normalize_location(const struct hub_message *message, struct hub_error *error)
{
	if (!message->has_location)
		return 0;
	if (!isfinite(message->latitude) || fabs(message->latitude) > 90.0) {
		hub_error_set(error, HUB_ERR_INVALID_FIELD, "latitude", 0);
		return -1;
	}
	if (!isfinite(message->longitude) || fabs(message->longitude) > 180.0) {
		hub_error_set(error, HUB_ERR_INVALID_FIELD, "longitude", 0);
		return -1;
	}
	return 0;
}

/* Longest attachment file name kept, in code points, and longest content
 * type, in bytes. */
#define NORMALIZE_FILENAME_MAX 255
#define NORMALIZE_CONTENT_TYPE_MAX 127

/* Whether reference is a non-empty run of printable ASCII without spaces of
 * at most HUB_REFERENCE_MAX bytes. */
static bool
normalize_reference_valid(const char *reference)
{
	size_t length = 0;

	for (const char *p = reference; *p != '\0'; p++, length++)
		if (*p < 0x21 || *p > 0x7e)
			return false;
	return length > 0 && length <= HUB_REFERENCE_MAX;
}

static int
normalize_references(const struct hub_message *message,
    struct hub_error *error)
{
	char name[32];

	if (message->reference != NULL &&
	    !normalize_reference_valid(message->reference)) {
		hub_error_set(error, HUB_ERR_INVALID_FIELD, "reference",
		    HUB_REFERENCE_MAX);
		return -1;
	}
	for (int i = 0; i < message->reference_count; i++) {
		if (normalize_reference_valid(message->references[i]))
			continue;
		snprintf(name, sizeof name, "references[%d]", i);
		hub_error_set(error, HUB_ERR_INVALID_FIELD, name,
		    HUB_REFERENCE_MAX);
		return -1;
	}
	return 0;
}

/* Whether c may be part of a MIME token (RFC 2045 section 5.1). */
static bool
normalize_token_char(char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* Lower-cases *content_type and checks that it is "type/subtype", both
 * MIME tokens. A missing type becomes application/octet-stream. */
static int
normalize_content_type(char **content_type, const char *name,
    struct hub_error *error)
{
	char *p, *slash;

	if (*content_type == NULL)
		return hub_message_set(content_type,
		    "application/octet-stream") == 0 ? 0 : -1;
	for (p = *content_type; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	slash = strchr(*content_type, '/');
	if (slash == NULL || slash == *content_type || slash[1] == '\0' ||
	    strlen(*content_type) > NORMALIZE_CONTENT_TYPE_MAX) {
		hub_error_set(error, HUB_ERR_INVALID_FIELD, name,
		    NORMALIZE_CONTENT_TYPE_MAX);
		return -1;
	}
	for (p = *content_type; *p != '\0'; p++) {
		if (p == slash || normalize_token_char(*p))
			continue;
		hub_error_set(error, HUB_ERR_INVALID_FIELD, name,
		    NORMALIZE_CONTENT_TYPE_MAX);
		return -1;
	}
	return 0;
}

static int
normalize_attachment(struct hub_attachment *attachment, int index,
    struct hub_error *error)
{
	char name[48];

	snprintf(name, sizeof name, "attachments[%d].sha256", index);
	if (strlen(attachment->sha256) != 64 ||
	    strspn(attachment->sha256, "0123456789abcdef") != 64) {
		hub_error_set(error, HUB_ERR_INVALID_FIELD, name, 0);
		return -1;
	}
	snprintf(name, sizeof name, "attachments[%d].size", index);
	if (attachment->size < 0) {
		hub_error_set(error, HUB_ERR_INVALID_FIELD, name, 0);
		return -1;
	}
	snprintf(name, sizeof name, "attachments[%d].filename", index);
	if (normalize_field(&attachment->filename, name,
	    NORMALIZE_FILENAME_MAX, NORMALIZE_ONE_LINE, error) != 0)
		return -1;
	/* A path separator or a tab in a file name would let it name
	 * another folder or confuse a header when the file is saved. */
	if (attachment->filename != NULL &&
	    (strpbrk(attachment->filename, "/\\\t") != NULL ||
	    strcmp(attachment->filename, ".") == 0 ||
	    strcmp(attachment->filename, "..") == 0)) {
		hub_error_set(error, HUB_ERR_INVALID_FIELD, name, 0);
		return -1;
	}
	snprintf(name, sizeof name, "attachments[%d].content_type", index);
	return normalize_content_type(&attachment->content_type, name, error);
}

/* Folds subject and body for search and the keyword rules. */
static int
normalize_fold(struct hub_message *message, struct hub_error *error)
{
	free(message->subject_folded);
	free(message->body_folded);
	message->subject_folded = message->body_folded = NULL;
	if ((message->subject != NULL &&
	    (message->subject_folded = text_fold(message->subject)) == NULL) ||
	    (message->body != NULL &&
	    (message->body_folded = text_fold(message->body)) == NULL)) {
		hub_error_set(error, HUB_ERR_INTERNAL, NULL, 0);
		return -1;
	}
	return 0;
}

int
pipeline_normalize(struct hub_message *message,
    const struct hub_config_limits *limits, struct hub_error *error)
{
	hub_error_set(error, HUB_OK, NULL, 0);
	if (normalize_texts(message, limits, error) != 0)
		return -1;
	for (int i = 0; i < message->contact_count; i++)
		if (normalize_contact(&message->contacts[i], limits, error) != 0)
			return -1;
	if (normalize_language(message, error) != 0)
		return -1;
	if (normalize_references(message, error) != 0)
		return -1;
	for (int i = 0; i < message->attachment_count; i++)
		if (normalize_attachment(&message->attachments[i], i,
		    error) != 0)
			return -1;
	if (normalize_location(message, error) != 0)
		return -1;
	return normalize_fold(message, error);
}
