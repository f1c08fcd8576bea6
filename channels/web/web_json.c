#include <string.h>

#include "web.h"

/*
 * Finds the key of the member that holds byte position in a JSON text that
 * jansson rejected, by scanning strings from the start: the last string
 * before position that is followed by ':' is the key. Writes it to out when
 * it is a field of the intake, else leaves out empty.
 */
static void
web_json_key_before(const char *text, size_t len, size_t position, char *out,
    size_t size)
{
	size_t i = 0, start, end;
	enum web_field field;

	out[0] = '\0';
	if (position > len)
		position = len;
	while (i < position) {
		if (text[i++] != '"')
			continue;
		start = i;
		while (i < len && text[i] != '"')
			i += text[i] == '\\' ? 2 : 1;
		end = i++;
		if (end > position)
			return;
		while (i < len && strchr(" \t\r\n", text[i]) != NULL)
			i++;
		if (i < len && text[i] == ':' && end - start < size) {
			memcpy(out, text + start, end - start);
			out[end - start] = '\0';
		}
	}
	if (web_intake_field_find(out, &field) != 0 &&
	    strcmp(out, "consent") != 0)
		out[0] = '\0';
}

static void
web_json_syntax_error(const char *body, size_t len, const json_error_t *jerror,
    struct hub_error *error)
{
	enum json_error_code code = json_error_code(jerror);
	char key[64];

	if (code != json_error_invalid_utf8 &&
	    code != json_error_null_character &&
	    code != json_error_duplicate_key) {
		hub_error_set(error, HUB_ERR_INVALID_JSON, "", 0);
		return;
	}
	/* jansson stops just after the key in question. */
	web_json_key_before(body, len, (size_t)jerror->position, key,
	    sizeof key);
	if (code == json_error_duplicate_key)
		hub_error_set(error, HUB_ERR_INVALID_JSON, key, 0);
	else
		hub_error_set(error, HUB_ERR_INVALID_UTF8, key,
		    code == json_error_null_character ?
		    HUB_ERROR_NUL_CHARACTER : 0);
}

static int
web_json_location(const json_t *root, struct web_intake *intake,
    struct hub_error *error)
{
	const json_t *latitude = json_object_get(root, "latitude");
	const json_t *longitude = json_object_get(root, "longitude");

	if (json_is_null(latitude))
		latitude = NULL;
	if (json_is_null(longitude))
		longitude = NULL;
	if (latitude == NULL && longitude == NULL)
		return 0;
	if (latitude == NULL || !json_is_number(latitude)) {
		hub_error_set(error, HUB_ERR_INVALID_FIELD, "latitude", 0);
		return -1;
	}
	if (longitude == NULL || !json_is_number(longitude)) {
		hub_error_set(error, HUB_ERR_INVALID_FIELD, "longitude", 0);
		return -1;
	}
	intake->has_location = true;
	intake->latitude = json_number_value(latitude);
	intake->longitude = json_number_value(longitude);
	return 0;
}

/* Takes one member; null counts as absent. */
static int
web_json_member(const char *key, const json_t *value,
    struct web_intake *intake, struct hub_error *error)
{
	enum web_field field;

	if (strcmp(key, "consent") == 0) {
		if (!json_is_boolean(value) && !json_is_null(value))
			goto invalid;
		intake->consent = json_is_true(value);
		return 0;
	}
	if (web_intake_field_find(key, &field) != 0)
		goto invalid;
	if (field == WEB_FIELD_LATITUDE || field == WEB_FIELD_LONGITUDE ||
	    json_is_null(value))
		return 0;
	if (!json_is_string(value))
		goto invalid;
	/* A form posts its empty inputs, but a JSON client that sends a
	 * contact key means a contact: an empty one is an error, as the
	 * client would otherwise believe the citizen can be reached. */
	if ((field == WEB_FIELD_PHONE || field == WEB_FIELD_EMAIL) &&
	    json_string_length(value) == 0)
		goto invalid;
	if (web_intake_set(intake, field, json_string_value(value)) != 0) {
		hub_error_set(error, HUB_ERR_INTERNAL, "", 0);
		return -1;
	}
	return 0;

invalid:
	hub_error_set(error, HUB_ERR_INVALID_FIELD, key, 0);
	return -1;
}

int
web_json_decode(const char *body, size_t len, struct web_intake *intake,
    struct hub_error *error)
{
	json_error_t jerror;
	json_t *root, *value;
	const char *key;
	int rc = 0;

	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerror);
	if (root == NULL) {
		web_json_syntax_error(body, len, &jerror, error);
		return -1;
	}
	if (!json_is_object(root)) {
		hub_error_set(error, HUB_ERR_INVALID_JSON, "",
		    HUB_ERROR_NOT_OBJECT);
		json_decref(root);
		return -1;
	}
	json_object_foreach(root, key, value) {
		if (web_json_member(key, value, intake, error) != 0) {
			rc = -1;
			break;
		}
	}
	if (rc == 0)
		rc = web_json_location(root, intake, error);
	json_decref(root);
	return rc;
}
