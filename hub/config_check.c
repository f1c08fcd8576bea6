/*
 * The generic checker of config sections: one table of struct config_field
 * per object, used for the core's sections and by the channel modules. It
 * also formats every validation error as "FILE:LINE: PATH: PROBLEM; expected
 * FORM".
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

/* Maximum length of a path built while checking. Longer paths are cut, and
 * their line is then not found. */
#define CONFIG_CHECK_PATH_MAX 256
#define CONFIG_CHECK_EXPECTED_MAX 256

void
config_error_set_line(const struct hub_config *config, const char *path,
    int line, struct config_error *err, const char *problem,
    const char *expected)
{
	const char *file = config != NULL && config->path != NULL ?
	    config->path : "config";
	char where[sizeof(err->file) + sizeof(err->path) + 32];

	snprintf(err->file, sizeof(err->file), "%s", file);
	snprintf(err->path, sizeof(err->path), "%s", path != NULL ? path : "");
	err->line = line > 0 ? line : 0;

	if (err->line > 0)
		snprintf(where, sizeof(where), "%s:%d: ", err->file, line);
	else
		snprintf(where, sizeof(where), "%s: ", err->file);
	if (err->path[0] != '\0') {
		size_t length = strlen(where);
		snprintf(where + length, sizeof(where) - length, "%s: ",
		    err->path);
	}
	if (expected != NULL)
		snprintf(err->message, sizeof(err->message), "%s%s; expected %s",
		    where, problem, expected);
	else
		snprintf(err->message, sizeof(err->message), "%s%s", where,
		    problem);
}

void
config_error_set(const struct hub_config *config, const char *path,
    struct config_error *err, const char *problem, const char *expected)
{
	int line = 0;

	if (config != NULL && config->text != NULL && path != NULL)
		line = config_position_line(config->text, path);
	config_error_set_line(config, path, line, err, problem, expected);
}

int
config_error_problem(const struct hub_config *config, const char *path,
    struct config_error *err, const char *problem, const char *expected)
{
	config_error_set(config, path, err, problem, expected);
	return -1;
}

int
config_error_at(const struct hub_config *config, const char *path,
    struct config_error *err, const char *fmt, ...)
{
	char expected[CONFIG_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(expected, sizeof(expected), fmt, ap);
	va_end(ap);
	config_error_set(config, path, err, "invalid value", expected);
	return -1;
}

/* Moves end back so that buffer[0..end) does not stop inside a UTF-8
 * sequence. */
static size_t
config_check_utf8_boundary(const char *buffer, size_t end)
{
	while (end > 0 && ((unsigned char)buffer[end] & 0xc0) == 0x80)
		end--;
	return end;
}

void
config_error_quote(const json_t *value, char *buffer, size_t size)
{
	char *text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);

	if (size == 0)
		return;
	buffer[0] = '\0';
	if (text == NULL)
		return;
	size_t length = strlen(text);
	if (length < size) {
		memcpy(buffer, text, length + 1);
	} else if (size > 4) {
		size_t end = config_check_utf8_boundary(text, size - 4);
		memcpy(buffer, text, end);
		memcpy(buffer + end, "...", 4);
	}
	free(text);
}

const char *
config_check_type_name(const json_t *value)
{
	switch (json_typeof(value)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return "real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	default:
		return "null";
	}
}

/* Writes the expected form of field into buffer: its own text, or one made
 * from its type and bounds. */
static const char *
config_check_expected(const struct config_field *field, char *buffer,
    size_t size)
{
	if (field->expected != NULL)
		return field->expected;
	switch (field->type) {
	case CONFIG_INTEGER:
		snprintf(buffer, size, "an integer from %lld to %lld",
		    field->min, field->max);
		break;
	case CONFIG_STRING:
		if (field->max > 0)
			snprintf(buffer, size, "a string of %lld to %lld bytes",
			    field->min, field->max);
		else
			snprintf(buffer, size, "a string");
		break;
	case CONFIG_BOOLEAN:
		snprintf(buffer, size, "true or false");
		break;
	case CONFIG_STRING_ARRAY:
		snprintf(buffer, size, "an array of strings");
		break;
	case CONFIG_OBJECT:
		snprintf(buffer, size, "an object");
		break;
	case CONFIG_ARRAY:
		snprintf(buffer, size, "an array");
		break;
	}
	return buffer;
}

static int
config_check_type_error(const struct hub_config *config, const char *path,
    const json_t *value, const char *expected, struct config_error *err)
{
	char problem[64];

	snprintf(problem, sizeof(problem), "invalid type (%s)",
	    config_check_type_name(value));
	config_error_set(config, path, err, problem, expected);
	return -1;
}

/* Runs field->check on value, which has the right type. */
static int
config_check_custom(const struct hub_config *config, const char *path,
    const json_t *value, const struct config_field *field,
    struct config_error *err)
{
	char quoted[96];
	char problem[128];
	const char *expected;

	if (field->check == NULL || (expected = field->check(value)) == NULL)
		return 0;
	config_error_quote(value, quoted, sizeof(quoted));
	snprintf(problem, sizeof(problem), "invalid value %s", quoted);
	config_error_set(config, path, err, problem, expected);
	return -1;
}

static int
config_check_integer(const struct hub_config *config, const char *path,
    const json_t *value, const struct config_field *field,
    struct config_error *err)
{
	char expected[CONFIG_CHECK_EXPECTED_MAX];
	char problem[64];

	const char *form = config_check_expected(field, expected,
	    sizeof(expected));
	if (!json_is_integer(value))
		return config_check_type_error(config, path, value, form,
		    err);
	json_int_t number = json_integer_value(value);
	if (number < field->min || number > field->max) {
		snprintf(problem, sizeof(problem), "value %" JSON_INTEGER_FORMAT
		    " out of range", number);
		config_error_set(config, path, err, problem, form);
		return -1;
	}
	return config_check_custom(config, path, value, field, err);
}

static int
config_check_string(const struct hub_config *config, const char *path,
    const json_t *value, const struct config_field *field,
    struct config_error *err)
{
	char expected[CONFIG_CHECK_EXPECTED_MAX];
	char problem[64];

	const char *form = config_check_expected(field, expected,
	    sizeof(expected));
	if (!json_is_string(value))
		return config_check_type_error(config, path, value, form,
		    err);
	size_t length = json_string_length(value);
	if (field->max > 0 &&
	    (length < (size_t)field->min || length > (size_t)field->max)) {
		snprintf(problem, sizeof(problem), "invalid length %zu bytes",
		    length);
		config_error_set(config, path, err, problem, form);
		return -1;
	}
	return config_check_custom(config, path, value, field, err);
}

static int
config_check_array(const struct hub_config *config, const char *path,
    const json_t *value, const struct config_field *field,
    struct config_error *err)
{
	char expected[CONFIG_CHECK_EXPECTED_MAX];
	char element[CONFIG_CHECK_PATH_MAX + 24];
	char problem[64];

	const char *form = config_check_expected(field, expected,
	    sizeof(expected));
	if (!json_is_array(value))
		return config_check_type_error(config, path, value, form,
		    err);
	if (field->max > 0 && json_array_size(value) > (size_t)field->max) {
		snprintf(problem, sizeof(problem), "too many elements (%zu)",
		    json_array_size(value));
		snprintf(expected, sizeof(expected), "at most %lld elements",
		    field->max);
		config_error_set(config, path, err, problem, expected);
		return -1;
	}
	for (size_t i = 0; i < json_array_size(value); i++) {
		const json_t *item = json_array_get(value, i);
		snprintf(element, sizeof(element), "%s[%zu]", path, i);
		if (!json_is_string(item))
			return config_check_type_error(config, element, item,
			    "a string", err);
		if (config_check_custom(config, element, item, field, err) == -1)
			return -1;
	}
	return 0;
}

static int
config_check_value(const struct hub_config *config, const char *path,
    const json_t *value, const struct config_field *field,
    struct config_error *err)
{
	char expected[CONFIG_CHECK_EXPECTED_MAX];

	switch (field->type) {
	case CONFIG_INTEGER:
		return config_check_integer(config, path, value, field, err);
	case CONFIG_STRING:
		return config_check_string(config, path, value, field, err);
	case CONFIG_STRING_ARRAY:
		return config_check_array(config, path, value, field, err);
	case CONFIG_BOOLEAN:
		if (json_is_boolean(value))
			return 0;
		break;
	case CONFIG_OBJECT:
		if (json_is_object(value))
			return config_check_custom(config, path, value, field,
			    err);
		break;
	case CONFIG_ARRAY:
		if (json_is_array(value))
			return config_check_custom(config, path, value, field,
			    err);
		break;
	}
	const char *form = config_check_expected(field, expected,
	    sizeof(expected));
	return config_check_type_error(config, path, value, form, err);
}

static const struct config_field *
config_check_find(const struct config_field *fields, const char *key)
{
	for (; fields->key != NULL; fields++) {
		if (strcmp(fields->key, key) == 0)
			return fields;
	}
	return NULL;
}

static int
config_check_unknown(const struct hub_config *config, const char *path,
    const struct config_field *fields, struct config_error *err)
{
	char expected[CONFIG_ERROR_MAX] = "one of ";
	size_t length = strlen(expected);

	for (const struct config_field *field = fields; field->key != NULL;
	    field++) {
		int written = snprintf(expected + length,
		    sizeof(expected) - length, "%s%s", field->key,
		    field[1].key != NULL ? ", " : "");
		if (written < 0 || (size_t)written >= sizeof(expected) - length)
			break;
		length += (size_t)written;
	}
	if (fields->key == NULL)
		snprintf(expected, sizeof(expected), "no keys in this object");
	config_error_set(config, path, err, "unknown key", expected);
	return -1;
}

int
config_check_section(const struct hub_config *config, const char *path,
    const json_t *section, const struct config_field *fields,
    struct config_error *err)
{
	char child[CONFIG_CHECK_PATH_MAX];
	const char *key;
	json_t *value;

	if (!json_is_object(section))
		return config_check_type_error(config, path, section,
		    "an object", err);

	/* jansson has no const iteration; the loop only reads section. */
	json_object_foreach((json_t *)section, key, value) {
		if (path == NULL || *path == '\0')
			snprintf(child, sizeof(child), "%s", key);
		else
			snprintf(child, sizeof(child), "%s.%s", path, key);

		const struct config_field *field = config_check_find(fields, key);
		if (field == NULL)
			return config_check_unknown(config, child, fields, err);
		if (config_check_value(config, child, value, field, err) == -1)
			return -1;
	}
	return 0;
}
