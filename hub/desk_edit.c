/*
 * Edits of the service desk's sections and the start-up rule that stored
 * edits replace the config file's sections. See desk_edit.h.
 */
#include "desk_edit.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config_internal.h"
#include "log.h"
#include "store_desk.h"
#include "text.h"

#define DESK_EDIT_SECTION_COUNT 5
#define DESK_EDIT_MISSING_PREFIX "missing key \""

static const char *const desk_edit_section_names[DESK_EDIT_SECTION_COUNT] = {
	[DESK_SECTION_DEPARTMENTS] = "departments",
	[DESK_SECTION_CATEGORIES] = "categories",
	[DESK_SECTION_COMMUNES] = "communes",
	[DESK_SECTION_TRIAGE] = "triage_department",
	[DESK_SECTION_CHANNEL_CATEGORIES] = "channel_categories",
};

/* The file name that config errors carry: an edit through the API, or the
 * sections stored in the database, checked at start-up. */
static char desk_edit_source_api[] = "desk";
static char desk_edit_source_stored[] = "desk_settings";

const char *
desk_section_name(enum desk_section section)
{
	return desk_edit_section_names[section];
}

bool
desk_section_single(enum desk_section section)
{
	return section == DESK_SECTION_TRIAGE ||
	    section == DESK_SECTION_CHANNEL_CATEGORIES;
}

int
desk_section_parse(const char *name, enum desk_section *section)
{
	for (int i = 0; i < DESK_EDIT_SECTION_COUNT; i++) {
		if (strcmp(name, desk_edit_section_names[i]) == 0) {
			*section = (enum desk_section)i;
			return 0;
		}
	}
	return -1;
}

static void desk_edit_fail(struct desk_edit_error *error,
    enum desk_edit_status status, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
desk_edit_fail(struct desk_edit_error *error, enum desk_edit_status status,
    const char *path, const char *fmt, ...)
{
	va_list ap;

	error->status = status;
	snprintf(error->path, sizeof(error->path), "%s", path);
	va_start(ap, fmt);
	vsnprintf(error->detail, sizeof(error->detail), fmt, ap);
	va_end(ap);
}

static void
desk_edit_no_memory(struct desk_edit_error *error)
{
	desk_edit_fail(error, DESK_EDIT_FAILED, "", "out of memory");
}

/* --- Finding elements ----------------------------------------------------- */

/* Index of the element of array whose id is id, or SIZE_MAX. */
static size_t
desk_edit_index(const json_t *array, const char *id)
{
	for (size_t i = 0; i < json_array_size(array); i++) {
		const json_t *other = json_object_get(json_array_get(array, i),
		    "id");

		if (json_is_string(other) &&
		    strcmp(json_string_value(other), id) == 0)
			return i;
	}
	return SIZE_MAX;
}

const json_t *
desk_edit_find(const json_t *sections, enum desk_section section,
    const char *id)
{
	const json_t *array;
	size_t index;

	if (section == DESK_SECTION_TRIAGE) {
		const json_t *triage = json_object_get(sections,
		    "triage_department");

		return triage != NULL ? triage : json_null();
	}
	if (section == DESK_SECTION_CHANNEL_CATEGORIES)
		return json_object_get(sections, "channel_categories");
	array = json_object_get(sections, desk_section_name(section));
	index = desk_edit_index(array, id);
	return index != SIZE_MAX ? json_array_get(array, index) : NULL;
}

/* --- Putting an element --------------------------------------------------- */

/* Returns a copy of value with every string in it, in arrays too, in NFC
 * and trimmed, as the pipeline stores citizens' text. Objects inside are
 * copied as they are. NULL on allocation failure. */
static json_t *
desk_edit_normalize(const json_t *value)
{
	json_t *copy;

	if (json_is_string(value)) {
		char *text = text_normalize(json_string_value(value),
		    json_string_length(value));

		copy = text != NULL ? json_string(text) : NULL;
		free(text);
		return copy;
	}
	if (!json_is_array(value))
		return json_deep_copy(value);
	copy = json_array();
	for (size_t i = 0; copy != NULL && i < json_array_size(value); i++) {
		if (json_array_append_new(copy, desk_edit_normalize(
		    json_array_get(value, i))) != 0) {
			json_decref(copy);
			copy = NULL;
		}
	}
	return copy;
}

/* Builds the element to store from the request's body: "id" first, then
 * the body's other keys in their order, normalized. */
static json_t *
desk_edit_element(enum desk_section section, const char *id,
    const json_t *body, struct desk_edit_error *error)
{
	const json_t *body_id = json_object_get(body, "id");
	const char *key;
	json_t *element, *value;
	char path[DESK_EDIT_PATH_MAX];

	if (body_id != NULL && (!json_is_string(body_id) ||
	    strcmp(json_string_value(body_id), id) != 0)) {
		snprintf(path, sizeof(path), "%s.%s.id",
		    desk_section_name(section), id);
		desk_edit_fail(error, DESK_EDIT_INVALID, path, "the id in the "
		    "body differs from the id in the path; expected \"%s\" or "
		    "no id", id);
		return NULL;
	}
	element = json_pack("{s:s}", "id", id);
	/* jansson has no const iteration; the loop only reads body. */
	json_object_foreach((json_t *)body, key, value) {
		if (element == NULL || strcmp(key, "id") == 0)
			continue;
		if (json_object_set_new(element, key,
		    desk_edit_normalize(value)) != 0) {
			json_decref(element);
			element = NULL;
		}
	}
	if (element == NULL)
		desk_edit_no_memory(error);
	return element;
}

static json_t *
desk_edit_put_triage(const json_t *sections, const json_t *body,
    struct desk_edit_error *error)
{
	const json_t *department = json_object_get(body, "department");
	json_t *copy;

	if (json_object_size(body) != 1 || department == NULL) {
		desk_edit_fail(error, DESK_EDIT_INVALID, "triage_department",
		    "invalid object; expected {\"department\": ID} or "
		    "{\"department\": null}");
		return NULL;
	}
	if (!json_is_string(department) && !json_is_null(department)) {
		desk_edit_fail(error, DESK_EDIT_INVALID, "triage_department",
		    "invalid type (%s); expected the id of a department in "
		    "departments, or null", config_check_type_name(department));
		return NULL;
	}
	copy = json_deep_copy(sections);
	if (copy == NULL) {
		desk_edit_no_memory(error);
		return NULL;
	}
	if (json_is_null(department)) {
		/* Fails only when no triage department was set: nothing to do. */
		json_object_del(copy, "triage_department");
		return copy;
	}
	if (json_object_set_new(copy, "triage_department",
	    json_deep_copy(department)) != 0) {
		json_decref(copy);
		desk_edit_no_memory(error);
		return NULL;
	}
	return copy;
}

/* Replaces channel_categories with body. Its keys and values are checked
 * by desk_edit_build with the rest of the desk. */
static json_t *
desk_edit_put_channel_categories(const json_t *sections, const json_t *body,
    struct desk_edit_error *error)
{
	json_t *copy = json_deep_copy(sections);

	if (copy == NULL || json_object_set_new(copy, "channel_categories",
	    json_deep_copy(body)) != 0) {
		json_decref(copy);
		desk_edit_no_memory(error);
		return NULL;
	}
	return copy;
}

json_t *
desk_edit_put(const json_t *sections, enum desk_section section,
    const char *id, const json_t *element, bool *created,
    struct desk_edit_error *error)
{
	json_t *copy, *array, *stored;
	size_t index;
	int rc;

	*created = false;
	if (section == DESK_SECTION_TRIAGE)
		return desk_edit_put_triage(sections, element, error);
	if (section == DESK_SECTION_CHANNEL_CATEGORIES)
		return desk_edit_put_channel_categories(sections, element,
		    error);
	if ((stored = desk_edit_element(section, id, element, error)) == NULL)
		return NULL;
	copy = json_deep_copy(sections);
	array = json_object_get(copy, desk_section_name(section));
	if (!json_is_array(array)) {
		json_decref(stored);
		json_decref(copy);
		desk_edit_no_memory(error);
		return NULL;
	}
	index = desk_edit_index(array, id);
	*created = index == SIZE_MAX;
	if (*created)
		rc = json_array_append_new(array, stored);
	else
		rc = json_array_set_new(array, index, stored);
	if (rc != 0) {
		json_decref(copy);
		desk_edit_no_memory(error);
		return NULL;
	}
	return copy;
}

/* --- Deleting an element -------------------------------------------------- */

/* Finds the first category, commune or triage setting that names
 * department. Returns true with error naming it. */
static bool
desk_edit_department_used(const json_t *sections, const char *department,
    struct desk_edit_error *error)
{
	static const enum desk_section users[] = { DESK_SECTION_CATEGORIES,
	    DESK_SECTION_COMMUNES };
	const json_t *triage = json_object_get(sections, "triage_department");
	char path[DESK_EDIT_PATH_MAX];

	for (size_t u = 0; u < 2; u++) {
		const char *name = desk_section_name(users[u]);
		const json_t *array = json_object_get(sections, name);

		for (size_t i = 0; i < json_array_size(array); i++) {
			const json_t *element = json_array_get(array, i);
			const json_t *value = json_object_get(element,
			    "department");

			if (!json_is_string(value) ||
			    strcmp(json_string_value(value), department) != 0)
				continue;
			snprintf(path, sizeof(path), "%s.%s.department", name,
			    json_string_value(json_object_get(element, "id")));
			desk_edit_fail(error, DESK_EDIT_CONFLICT, path,
			    "department \"%s\" is in use here; change or delete "
			    "this first", department);
			return true;
		}
	}
	if (json_is_string(triage) &&
	    strcmp(json_string_value(triage), department) == 0) {
		desk_edit_fail(error, DESK_EDIT_CONFLICT, "triage_department",
		    "department \"%s\" is the triage department; set another "
		    "one first", department);
		return true;
	}
	return false;
}

/* Finds the first channel whose default category is category. Returns true
 * with error naming it. */
static bool
desk_edit_category_used(const json_t *sections, const char *category,
    struct desk_edit_error *error)
{
	const json_t *map = json_object_get(sections, "channel_categories");
	char path[DESK_EDIT_PATH_MAX];
	const char *channel;
	json_t *value;

	/* jansson has no const iteration; the loop only reads map. */
	json_object_foreach((json_t *)map, channel, value) {
		if (!json_is_string(value) ||
		    strcmp(json_string_value(value), category) != 0)
			continue;
		snprintf(path, sizeof(path), "channel_categories.%s", channel);
		desk_edit_fail(error, DESK_EDIT_CONFLICT, path,
		    "category \"%s\" is the default category of channel "
		    "\"%s\"; change or delete this first", category, channel);
		return true;
	}
	return false;
}

/* Removes the single-value section of copy: no triage department, or no
 * default categories. */
static int
desk_edit_clear(json_t *copy, enum desk_section section)
{
	if (section == DESK_SECTION_CHANNEL_CATEGORIES)
		return json_object_set_new(copy, "channel_categories",
		    json_object());
	/* Fails only when no triage department was set: nothing to do. */
	json_object_del(copy, "triage_department");
	return 0;
}

json_t *
desk_edit_delete(const json_t *sections, enum desk_section section,
    const char *id, struct desk_edit_error *error)
{
	const char *name = desk_section_name(section);
	json_t *copy;
	size_t index = 0;
	char path[DESK_EDIT_PATH_MAX];

	if (!desk_section_single(section)) {
		index = desk_edit_index(json_object_get(sections, name), id);
		if (index == SIZE_MAX) {
			snprintf(path, sizeof(path), "%s.%s", name, id);
			desk_edit_fail(error, DESK_EDIT_NOT_FOUND, path,
			    "no element of %s has this id", name);
			return NULL;
		}
	}
	if (section == DESK_SECTION_DEPARTMENTS &&
	    desk_edit_department_used(sections, id, error))
		return NULL;
	if (section == DESK_SECTION_CATEGORIES &&
	    desk_edit_category_used(sections, id, error))
		return NULL;

	copy = json_deep_copy(sections);
	if (copy == NULL) {
		desk_edit_no_memory(error);
		return NULL;
	}
	if (desk_section_single(section) ? desk_edit_clear(copy, section) != 0 :
	    json_array_remove(json_object_get(copy, name), index) != 0) {
		json_decref(copy);
		desk_edit_no_memory(error);
		return NULL;
	}
	return copy;
}

/* --- Checking and building ------------------------------------------------- */

/* Writes into out the path of the config checker with an element index
 * replaced by the element's id: "categories[3].deadline" becomes
 * "categories.traffic.deadline". Other paths are copied. */
static void
desk_edit_path(const json_t *sections, const char *path, char *out,
    size_t size)
{
	const char *bracket = strchr(path, '[');
	char name[32];
	const json_t *id;
	unsigned long index;
	char *end;

	snprintf(out, size, "%s", path);
	if (bracket == NULL || (size_t)(bracket - path) >= sizeof(name))
		return;
	memcpy(name, path, (size_t)(bracket - path));
	name[bracket - path] = '\0';
	index = strtoul(bracket + 1, &end, 10);
	if (*end != ']')
		return;
	id = json_object_get(json_array_get(json_object_get(sections, name),
	    index), "id");
	if (json_is_string(id))
		snprintf(out, size, "%s.%s%s", name, json_string_value(id),
		    end + 1);
}

/* The problem and expected form of err, without the "FILE: PATH: " that
 * config_error_set_line puts in front. */
static const char *
desk_edit_problem(const char *source, const struct config_error *err)
{
	const char *message = err->message;
	size_t length = strlen(source);

	if (strncmp(message, source, length) != 0 ||
	    strncmp(message + length, ": ", 2) != 0)
		return message;
	message += length + 2;
	length = strlen(err->path);
	if (length > 0 && strncmp(message, err->path, length) == 0 &&
	    strncmp(message + length, ": ", 2) == 0)
		message += length + 2;
	return message;
}

/* Fills error from a failure of config_desk_check. A missing key is named
 * in the path ("categories.traffic.name_vi"), so that a client sees which
 * field to add. */
static void
desk_edit_explain(const char *source, const json_t *sections,
    const struct config_error *err, struct desk_edit_error *error)
{
	const char *problem = desk_edit_problem(source, err);
	const char *key = problem + strlen(DESK_EDIT_MISSING_PREFIX);
	char path[DESK_EDIT_PATH_MAX];

	desk_edit_path(sections, err->path, path, sizeof(path));
	if (strncmp(problem, DESK_EDIT_MISSING_PREFIX,
	    strlen(DESK_EDIT_MISSING_PREFIX)) != 0) {
		desk_edit_fail(error, DESK_EDIT_INVALID, path, "%s", problem);
		return;
	}
	/* A path too long for error->path is cut; ids keep paths short. */
	if (snprintf(error->path, sizeof(error->path), "%s.%.*s", path,
	    (int)strcspn(key, "\""), key) < 0)
		error->path[0] = '\0';
	error->status = DESK_EDIT_MISSING;
	snprintf(error->detail, sizeof(error->detail), "%s", problem);
}

static struct hub_config_desk *
desk_edit_check_build(char *source, const json_t *sections,
    struct desk_edit_error *error)
{
	/* config_desk_check reads only the name of the config, for its
	 * messages, and finds no lines without a text. */
	struct hub_config config = { .path = source };
	struct config_error err;
	struct hub_config_desk *desk;

	memset(error, 0, sizeof(*error));
	if (config_desk_check(&config, sections, &err) != 0) {
		desk_edit_explain(source, sections, &err, error);
		return NULL;
	}
	desk = config_desk_build(sections);
	if (desk == NULL)
		desk_edit_no_memory(error);
	return desk;
}

struct hub_config_desk *
desk_edit_build(const json_t *sections, struct desk_edit_error *error)
{
	return desk_edit_check_build(desk_edit_source_api, sections, error);
}

json_t *
desk_edit_stored(const json_t *sections)
{
	json_t *stored = json_object();

	for (int i = 0; stored != NULL && i < DESK_EDIT_SECTION_COUNT; i++) {
		const char *name = desk_edit_section_names[i];
		json_t *value = json_object_get(sections, name);

		if (value == NULL && i == DESK_SECTION_TRIAGE)
			continue;
		if (value == NULL || json_object_set(stored, name, value) != 0) {
			json_decref(stored);
			stored = NULL;
		}
	}
	return stored;
}

/* --- Start-up ----------------------------------------------------------- */

/* Checks that stored is an object of desk sections, each of its type. */
static int
desk_edit_stored_shape(const json_t *stored, char *err, size_t err_size)
{
	enum desk_section section;
	const char *key;
	json_t *value;

	if (!json_is_object(stored)) {
		snprintf(err, err_size, "invalid type (%s); expected an object",
		    config_check_type_name(stored));
		return -1;
	}
	/* jansson has no const iteration; the loop only reads stored. */
	json_object_foreach((json_t *)stored, key, value) {
		if (desk_section_parse(key, &section) != 0) {
			snprintf(err, err_size, "%.64s: unknown key; expected "
			    "departments, categories, communes, "
			    "channel_categories or triage_department", key);
			return -1;
		}
		if (section == DESK_SECTION_TRIAGE ? !json_is_string(value) :
		    section == DESK_SECTION_CHANNEL_CATEGORIES ?
		    !json_is_object(value) : !json_is_array(value)) {
			snprintf(err, err_size, "%s: invalid type (%s)", key,
			    config_check_type_name(value));
			return -1;
		}
	}
	return 0;
}

/* Returns the file's sections with the stored ones in their place: the
 * arrays (empty when not stored), channel_categories (none when not stored)
 * and the triage department (none when not stored). */
static json_t *
desk_edit_merge(const json_t *file_sections, const json_t *stored)
{
	json_t *merged = json_deep_copy(file_sections);

	for (int i = 0; merged != NULL && i < DESK_EDIT_SECTION_COUNT; i++) {
		const char *name = desk_edit_section_names[i];
		const json_t *value = json_object_get(stored, name);
		int rc;

		if (value != NULL)
			rc = json_object_set_new(merged, name,
			    json_deep_copy(value));
		else if (i == DESK_SECTION_TRIAGE)
			rc = json_object_get(merged, name) == NULL ? 0 :
			    json_object_del(merged, name);
		else if (i == DESK_SECTION_CHANNEL_CATEGORIES)
			rc = json_object_set_new(merged, name, json_object());
		else
			rc = json_object_set_new(merged, name, json_array());
		if (rc != 0) {
			json_decref(merged);
			merged = NULL;
		}
	}
	return merged;
}

/* Writes into out the names of the sections that differ between the file
 * and the merged sections, comma separated, or "" when none does. */
static void
desk_edit_differences(const json_t *file_sections, const json_t *merged,
    char *out, size_t size)
{
	size_t length = 0;

	out[0] = '\0';
	for (int i = 0; i < DESK_EDIT_SECTION_COUNT; i++) {
		const char *name = desk_edit_section_names[i];
		const json_t *left = json_object_get(file_sections, name);
		const json_t *right = json_object_get(merged, name);

		if (left == NULL && right == NULL)
			continue;
		if (left != NULL && right != NULL && json_equal(left, right))
			continue;
		length += (size_t)snprintf(out + length, size - length, "%s%s",
		    length > 0 ? ", " : "", name);
		if (length >= size)
			return;
	}
}

static void
desk_edit_log_stored(const json_t *file_sections, const json_t *merged,
    const struct store_desk_setting *setting)
{
	char when[CLOCK_ISO8601_SIZE] = "unknown";
	char by[32] = "admin-token";
	char differences[128];

	clock_format_vietnam(setting->updated_at, when);
	if (setting->updated_by != 0)
		snprintf(by, sizeof(by), "agent:%lld",
		    (long long)setting->updated_by);
	log_info("desk", "desk settings from the database replace the config "
	    "file's departments, categories, communes, channel_categories and "
	    "triage_department updated_at=%s updated_by=%s", when, by);

	desk_edit_differences(file_sections, merged, differences,
	    sizeof(differences));
	if (differences[0] != '\0')
		log_warn("desk", "the config file's %s differ from the desk "
		    "settings in the database, which win; change them through "
		    "the admin API (/api/v1/desk), because edits of these "
		    "sections in the file have no effect", differences);
}

/* Builds the desk of the stored sections on the file's calendar. Returns
 * it with *merged set to its sections (caller releases them), or NULL with
 * the problem written into problem. */
static struct hub_config_desk *
desk_edit_stored_desk(const json_t *file_sections, const char *value,
    json_t **merged, char *problem, size_t size)
{
	struct desk_edit_error error;
	struct hub_config_desk *desk = NULL;
	json_error_t json_error;
	json_t *stored;

	*merged = NULL;
	stored = json_loads(value, JSON_REJECT_DUPLICATES, &json_error);
	if (stored == NULL) {
		snprintf(problem, size, "invalid JSON: %s", json_error.text);
		return NULL;
	}
	if (desk_edit_stored_shape(stored, problem, size) != 0) {
		json_decref(stored);
		return NULL;
	}
	*merged = desk_edit_merge(file_sections, stored);
	json_decref(stored);
	if (*merged == NULL) {
		snprintf(problem, size, "out of memory");
		return NULL;
	}
	desk = desk_edit_check_build(desk_edit_source_stored, *merged, &error);
	if (desk == NULL && snprintf(problem, size, "%s: %s", error.path,
	    error.detail) < 0)
		problem[0] = '\0';
	return desk;
}

static int
desk_edit_apply_stored(const struct hub_config *config,
    const struct store_desk_setting *setting, char *err, size_t err_size)
{
	const json_t *file_sections = desk_current(config)->sections;
	struct hub_config_desk *desk;
	char problem[CONFIG_ERROR_MAX];
	json_t *merged;

	desk = desk_edit_stored_desk(file_sections, setting->value, &merged,
	    problem, sizeof(problem));
	if (desk == NULL) {
		snprintf(err, err_size, "the desk settings stored in the "
		    "database (table desk_settings, key \"%s\") are invalid: "
		    "%s; restore a backup, or delete that row with sqlite3 to "
		    "use the config file's sections again", STORE_DESK_KEY,
		    problem);
		json_decref(merged);
		return -1;
	}
	desk_edit_log_stored(file_sections, merged, setting);
	desk_replace(config, desk);
	json_decref(merged);
	return 0;
}

int
desk_edit_load_stored(const struct hub_config *config, struct store *store,
    char *err, size_t err_size)
{
	struct store_desk_setting setting;
	int found, rc;

	found = store_desk_setting_get(store, STORE_DESK_KEY, &setting);
	if (found < 0) {
		snprintf(err, err_size, "reading the desk settings from the "
		    "database failed");
		return -1;
	}
	if (found == 0)
		return 0;
	rc = desk_edit_apply_stored(config, &setting, err, err_size);
	store_desk_setting_clear(&setting);
	return rc;
}
