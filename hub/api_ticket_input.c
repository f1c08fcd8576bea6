/*
 * Request bodies of the ticket desk API's changes: a JSON object with known
 * members, texts in NFC within their bounds, ids, tags, and the inputs of
 * each action, read into the action's job. Every function that fails has
 * sent the error reply.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <unicase.h>
#include <uninorm.h>

#include "api.h"
#include "api_tickets_internal.h"
#include "config.h"
#include "http_server.h"
#include "store_casework.h"
#include "text.h"

/* --- Request bodies ---------------------------------------------------------- */

/* Whether key is one of keys (NULL-terminated). */
static bool
input_key_known(const char *key, const char *const *keys)
{
	for (size_t i = 0; keys[i] != NULL; i++) {
		if (strcmp(key, keys[i]) == 0)
			return true;
	}
	return false;
}

/* Reads the body as a JSON object whose members are among keys. An empty
 * body counts as {} when empty_ok. Sends the error and returns NULL when it
 * is not such an object. */
json_t *
api_ticket_body(struct api_context *api, struct evhttp_request *req,
    const char *const *keys, bool empty_ok)
{
	char type[64];
	const char *data, *key;
	json_error_t error;
	json_t *body, *value;
	size_t length;
	bool plain;

	if (http_request_body(api->http, req, &data, &length) != 0) {
		api_tickets_error(req, HUB_ERR_BODY_TOO_LARGE, NULL,
		    (long)api->config->http_max_body_bytes);
		return NULL;
	}
	if (length == 0 && empty_ok)
		return json_object();
	http_content_type(req, type, sizeof(type));
	if (strcmp(type, "application/json") != 0) {
		api_tickets_error(req, HUB_ERR_CONTENT_TYPE, NULL,
		    HUB_ERROR_JSON_ONLY);
		return NULL;
	}
	body = json_loadb(data, length, JSON_REJECT_DUPLICATES, &error);
	if (body == NULL || !json_is_object(body)) {
		api_tickets_error(req, HUB_ERR_INVALID_JSON, NULL, body != NULL ?
		    HUB_ERROR_NOT_OBJECT : 0);
		json_decref(body);
		return NULL;
	}
	json_object_foreach(body, key, value) {
		if (input_key_known(key, keys))
			continue;
		/* The unknown key is echoed only when short and plain. */
		plain = strlen(key) <= 32 &&
		    strspn(key, "abcdefghijklmnopqrstuvwxyz_") == strlen(key);
		api_tickets_error(req, HUB_ERR_INVALID_FIELD, plain ? key :
		    "body", 0);
		json_decref(body);
		return NULL;
	}
	return body;
}

/* Reads the text member key of body into *out: NFC, trimmed, 1 to max
 * code points. An absent or null member leaves *out NULL unless required.
 * Sends the error and returns -1 when the member is invalid. */
static int
input_text(struct evhttp_request *req, const json_t *body, const char *key,
    bool required, int max, char **out)
{
	const json_t *value = json_object_get(body, key);
	const char *text;
	size_t length;

	*out = NULL;
	if (value == NULL || json_is_null(value)) {
		if (required)
			api_tickets_error(req, HUB_ERR_MISSING_FIELD, key, 0);
		return required ? -1 : 0;
	}
	if (!json_is_string(value)) {
		api_tickets_error(req, HUB_ERR_INVALID_FIELD, key, 0);
		return -1;
	}
	text = json_string_value(value);
	length = json_string_length(value);
	if (strlen(text) != length || !text_valid_utf8(text, length)) {
		api_tickets_error(req, HUB_ERR_INVALID_UTF8, key,
		    HUB_ERROR_NUL_CHARACTER);
		return -1;
	}
	if ((*out = text_normalize(text, length)) == NULL) {
		api_tickets_error(req, HUB_ERR_INTERNAL, NULL, 0);
		return -1;
	}
	if ((*out)[0] == '\0')
		api_tickets_error(req, HUB_ERR_MISSING_FIELD, key, 0);
	else if (text_length(*out) > (size_t)max)
		api_tickets_error(req, HUB_ERR_FIELD_TOO_LONG, key, max);
	else
		return 0;
	free(*out);
	*out = NULL;
	return -1;
}

/* Reads an id member: a positive integer, or null when null_ok (then *id
 * is 0). Sends 422 naming key and returns -1 otherwise. */
static int
input_id(struct evhttp_request *req, const json_t *body, const char *key,
    bool null_ok, int64_t *id)
{
	const json_t *value = json_object_get(body, key);

	*id = 0;
	if (value == NULL) {
		api_tickets_error(req, HUB_ERR_MISSING_FIELD, key, 0);
		return -1;
	}
	if (null_ok && json_is_null(value))
		return 0;
	if (!json_is_integer(value) || json_integer_value(value) < 1) {
		api_tickets_error(req, HUB_ERR_INVALID_FIELD, key, 0);
		return -1;
	}
	*id = json_integer_value(value);
	return 0;
}

/* --- Tags ------------------------------------------------------------------- */

/* Whether the valid UTF-8 text has a control character: C0 (U+0000 to
 * U+001F), DEL (U+007F) or C1 (U+0080 to U+009F, encoded C2 80 to C2 9F). */
static bool
input_has_control(const char *text)
{
	for (const unsigned char *c = (const unsigned char *)text; *c != '\0';
	    c++) {
		if (*c < 0x20 || *c == 0x7f)
			return true;
		if (*c == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f)
			return true;
	}
	return false;
}

char *
api_ticket_tag_normalize(const char *text, size_t length)
{
	char *normalized, *tag;
	uint8_t *lower;
	size_t lower_length = 0, characters;

	if (!text_valid_utf8(text, length) ||
	    (normalized = text_normalize(text, length)) == NULL)
		return NULL;
	/* NULL as the language: no Turkish or Lithuanian special cases. */
	lower = u8_tolower((const uint8_t *)normalized, strlen(normalized),
	    NULL, UNINORM_NFC, NULL, &lower_length);
	free(normalized);
	if (lower == NULL || (tag = malloc(lower_length + 1)) == NULL) {
		free(lower);
		return NULL;
	}
	memcpy(tag, lower, lower_length);
	tag[lower_length] = '\0';
	free(lower);
	characters = text_length(tag);
	if (characters == 0 || characters > STORE_CASEWORK_TAG_CHARS ||
	    input_has_control(tag)) {
		free(tag);
		return NULL;
	}
	return tag;
}

/* Adds the normalized tag to job's list unless it is there already, and
 * takes ownership of tag. Returns -1 when a new tag would make more than
 * STORE_CASEWORK_TAGS_MAX. */
static int
input_tag_add(struct api_ticket_job *job, char *tag)
{
	for (size_t i = 0; i < job->tag_count; i++) {
		if (strcmp(job->tags[i], tag) == 0) {
			free(tag);
			return 0;
		}
	}
	if (job->tag_count >= STORE_CASEWORK_TAGS_MAX) {
		free(tag);
		return -1;
	}
	job->tags[job->tag_count++] = tag;
	return 0;
}

/* Fills job's tags from the "tags" array of body. Sends the error and
 * returns -1 when it is missing or invalid. */
int
api_ticket_parse_tags(struct evhttp_request *req, const json_t *body,
    struct api_ticket_job *job)
{
	const json_t *tags = json_object_get(body, "tags");
	const json_t *value;
	size_t index;
	char *tag;

	if (tags == NULL) {
		api_tickets_error(req, HUB_ERR_MISSING_FIELD, "tags", 0);
		return -1;
	}
	if (!json_is_array(tags)) {
		api_tickets_error(req, HUB_ERR_INVALID_FIELD, "tags", 0);
		return -1;
	}
	/* Duplicates count once, so the bound is checked after normalizing
	 * and deduplicating, in input_tag_add. */
	job->tags = calloc(STORE_CASEWORK_TAGS_MAX + 1, sizeof(*job->tags));
	if (job->tags == NULL) {
		api_tickets_error(req, HUB_ERR_INTERNAL, NULL, 0);
		return -1;
	}
	json_array_foreach(tags, index, value) {
		tag = json_is_string(value) ? api_ticket_tag_normalize(
		    json_string_value(value), json_string_length(value)) : NULL;
		if (tag == NULL || input_tag_add(job, tag) != 0) {
			api_tickets_error(req, HUB_ERR_INVALID_FIELD, "tags", 0);
			return -1;
		}
	}
	return 0;
}

/* --- Handlers ------------------------------------------------------------------ */

/* Bound of a reply or note body, in code points: the same as a citizen's
 * description. */
static int
input_body_max(const struct api_context *api)
{
	return api->config->limits.description_chars;
}

/* Reads the optional "language" of a reply into job. */
static int
input_language(struct evhttp_request *req, const json_t *body,
    struct api_ticket_job *job)
{
	const json_t *value = json_object_get(body, "language");
	const char *language = json_string_value(value);

	if (value == NULL || json_is_null(value))
		return 0;
	if (language == NULL || (strcmp(language, "vi") != 0 &&
	    strcmp(language, "en") != 0)) {
		api_tickets_error(req, HUB_ERR_UNKNOWN_LANGUAGE, "language", 0);
		return -1;
	}
	memcpy(job->language, language, 3);
	return 0;
}

int
api_ticket_parse_reply(struct evhttp_request *req, const json_t *body,
    struct api_ticket_job *job)
{
	if (input_text(req, body, "body", true, input_body_max(job->api),
	    &job->text) != 0 || input_language(req, body, job) != 0)
		return -1;
	if (json_object_get(body, "contact_id") == NULL ||
	    json_is_null(json_object_get(body, "contact_id")))
		return 0;
	return input_id(req, body, "contact_id", false, &job->contact_id);
}

int
api_ticket_parse_note(struct evhttp_request *req, const json_t *body,
    struct api_ticket_job *job)
{
	return input_text(req, body, "body", true, input_body_max(job->api),
	    &job->text);
}

int
api_ticket_parse_status(struct evhttp_request *req, const json_t *body,
    struct api_ticket_job *job)
{
	const char *status = json_string_value(json_object_get(body, "status"));

	if (json_object_get(body, "status") == NULL) {
		api_tickets_error(req, HUB_ERR_MISSING_FIELD, "status", 0);
		return -1;
	}
	if (status == NULL || lifecycle_status_parse(status, &job->status) != 0) {
		api_tickets_error(req, HUB_ERR_INVALID_FIELD, "status", 0);
		return -1;
	}
	return input_text(req, body, "note", false, input_body_max(job->api),
	    &job->text);
}

int
api_ticket_parse_assign(struct evhttp_request *req, const json_t *body,
    struct api_ticket_job *job)
{
	return input_id(req, body, "agent_id", true, &job->assignee_id);
}

/* Resolves "into", an id or a code, into job->other_id. */
int
api_ticket_parse_merge(struct evhttp_request *req, const json_t *body,
    struct api_ticket_job *job)
{
	const json_t *into = json_object_get(body, "into");
	int found;

	if (into == NULL) {
		api_tickets_error(req, HUB_ERR_MISSING_FIELD, "into", 0);
		return -1;
	}
	if (json_is_integer(into))
		return input_id(req, body, "into", false, &job->other_id);
	if (!json_is_string(into) || strlen(json_string_value(into)) !=
	    json_string_length(into)) {
		api_tickets_error(req, HUB_ERR_INVALID_FIELD, "into", 0);
		return -1;
	}
	found = api_tickets_resolve(job->api, json_string_value(into),
	    &job->other_id);
	if (found == 1)
		return 0;
	if (found == 0)
		api_tickets_error(req, HUB_ERR_NOT_FOUND, "into", 0);
	else if (found == -1)
		api_tickets_error(req, HUB_ERR_INVALID_FIELD, "into", 0);
	else
		api_tickets_error(req, HUB_ERR_INTERNAL, NULL, 0);
	return -1;
}

int
api_ticket_parse_claim(struct evhttp_request *req, const json_t *body,
    struct api_ticket_job *job)
{
	return 0;
}
