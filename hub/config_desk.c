/*
 * The service desk's config sections: "departments", "categories",
 * "communes", "channel_categories", "triage_department" and "calendar".
 * Each element is checked with a field table, then ids, required keys,
 * references between sections, commune areas and office hours are checked
 * here, so that every error names the path and line of the value at fault.
 * All sections are optional: without them no ticket gets a category, a
 * department or a deadline.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "config_internal.h"

#define CONFIG_DESK_ID_MAX 32
#define CONFIG_DESK_NAME_MAX 200
#define CONFIG_DESK_ELEMENTS_MAX 1000
#define CONFIG_DESK_KEYWORDS_MAX 500
#define CONFIG_DESK_DATES_MAX 2000
#define CONFIG_DESK_PATH_MAX 192
/* A commune boundary traced from a map has, as an estimate, some hundreds
 * to a few thousand points. The point-in-polygon test reads every point of every area for
 * each new ticket with a location, so the bound also bounds that work. */
#define CONFIG_DESK_AREA_POINTS_MAX 10000
#define CONFIG_DESK_CHANNELS_MAX 64

#define CONFIG_DESK_ID_FORM "1 to 32 of a-z, 0-9, _ and -"

static const char *const config_desk_weekdays[7] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat",
};

static const char *
config_desk_check_id(const json_t *value)
{
	const char *id = json_string_value(value);
	size_t length = strlen(id);

	if (length == 0 || length > CONFIG_DESK_ID_MAX ||
	    strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789_-") != length)
		return CONFIG_DESK_ID_FORM;
	return NULL;
}

/* A keyword or a commune name must keep a word once folded. */
static const char *
config_desk_check_words(const json_t *value)
{
	char *words = classify_words(json_string_value(value));
	bool empty = words == NULL || strcmp(words, " ") == 0;

	free(words);
	return empty ? "a text with at least one letter or digit" : NULL;
}

static const char *
config_desk_check_weekday(const json_t *value)
{
	for (int i = 0; i < 7; i++) {
		if (strcmp(json_string_value(value), config_desk_weekdays[i]) == 0)
			return NULL;
	}
	return "one of sun, mon, tue, wed, thu, fri, sat";
}

static const char *
config_desk_check_date(const json_t *value)
{
	int64_t days;

	if (calendar_parse_date(json_string_value(value), &days) != 0)
		return "a date as YYYY-MM-DD, e.g. 2026-02-17";
	return NULL;
}

static const char *
config_desk_check_assignment(const json_t *value)
{
	enum desk_assignment assignment;

	if (desk_assignment_parse(json_string_value(value), &assignment) != 0)
		return "one of manual, round_robin, fewest_open";
	return NULL;
}

int
desk_assignment_parse(const char *name, enum desk_assignment *assignment)
{
	static const char *const names[] = {
		[DESK_ASSIGNMENT_MANUAL] = "manual",
		[DESK_ASSIGNMENT_ROUND_ROBIN] = "round_robin",
		[DESK_ASSIGNMENT_FEWEST_OPEN] = "fewest_open",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i]) == 0) {
			*assignment = (enum desk_assignment)i;
			return 0;
		}
	}
	return -1;
}

#define CONFIG_DESK_ID { \
	.key = "id", .type = CONFIG_STRING, .check = config_desk_check_id, \
	.expected = CONFIG_DESK_ID_FORM, \
}
#define CONFIG_DESK_NAME(name) { \
	.key = (name), .type = CONFIG_STRING, .min = 1, \
	.max = CONFIG_DESK_NAME_MAX, .check = config_desk_check_words, \
}
#define CONFIG_DESK_DEPARTMENT { \
	.key = "department", .type = CONFIG_STRING, \
	.check = config_desk_check_id, \
	.expected = "the id of a department in departments", \
}
#define CONFIG_DESK_DATES(name) { \
	.key = (name), .type = CONFIG_STRING_ARRAY, \
	.max = CONFIG_DESK_DATES_MAX, .check = config_desk_check_date, \
	.expected = "an array of dates as YYYY-MM-DD", \
}

static const struct config_field config_desk_department_fields[] = {
	CONFIG_DESK_ID,
	CONFIG_DESK_NAME("name_vi"),
	CONFIG_DESK_NAME("name_en"),
	{ .key = "assignment", .type = CONFIG_STRING,
	  .check = config_desk_check_assignment,
	  .expected = "one of manual, round_robin, fewest_open" },
	{ .key = NULL },
};

static const struct config_field config_desk_category_fields[] = {
	CONFIG_DESK_ID,
	CONFIG_DESK_NAME("name_vi"),
	CONFIG_DESK_NAME("name_en"),
	{ .key = "keywords", .type = CONFIG_STRING_ARRAY,
	  .max = CONFIG_DESK_KEYWORDS_MAX, .check = config_desk_check_words,
	  .expected = "an array of words or phrases" },
	CONFIG_DESK_DEPARTMENT,
	{ .key = "deadline", .type = CONFIG_OBJECT },
	{ .key = NULL },
};

static const struct config_field config_desk_deadline_fields[] = {
	{ .key = "working_days", .type = CONFIG_INTEGER, .min = 1, .max = 365 },
	{ .key = "working_hours", .type = CONFIG_INTEGER, .min = 1, .max = 2000 },
	{ .key = NULL },
};

#define CONFIG_DESK_AREA_FORM \
	"an array of at least 3 [latitude, longitude] points"

static const struct config_field config_desk_commune_fields[] = {
	CONFIG_DESK_ID,
	CONFIG_DESK_NAME("name"),
	CONFIG_DESK_DEPARTMENT,
	{ .key = "area", .type = CONFIG_ARRAY,
	  .expected = CONFIG_DESK_AREA_FORM },
	{ .key = NULL },
};

static const struct config_field config_desk_calendar_fields[] = {
	{ .key = "office_hours", .type = CONFIG_ARRAY,
	  .expected = "an array of [\"HH:MM\", \"HH:MM\"] pairs" },
	{ .key = "weekend", .type = CONFIG_STRING_ARRAY, .max = 7,
	  .check = config_desk_check_weekday,
	  .expected = "an array of day names such as [\"sat\", \"sun\"]" },
	CONFIG_DESK_DATES("holidays"),
	CONFIG_DESK_DATES("working_days"),
	{ .key = NULL },
};

/* --- Checking ------------------------------------------------------------- */

static int
config_desk_require(const struct hub_config *config, const char *path,
    const json_t *element, const char *const *keys, struct config_error *err)
{
	char problem[64];

	for (; *keys != NULL; keys++) {
		if (json_object_get(element, *keys) != NULL)
			continue;
		snprintf(problem, sizeof(problem), "missing key \"%s\"", *keys);
		config_error_set(config, path, err, problem, NULL);
		return -1;
	}
	return 0;
}

/* Checks that element's id is not used by an earlier element of array. */
static int
config_desk_check_unique(const struct hub_config *config, const char *path,
    const json_t *array, size_t index, struct config_error *err)
{
	const char *id = json_string_value(json_object_get(
	    json_array_get(array, index), "id"));
	char at[CONFIG_DESK_PATH_MAX], problem[96];

	for (size_t i = 0; i < index; i++) {
		const json_t *other = json_object_get(json_array_get(array, i),
		    "id");

		if (strcmp(json_string_value(other), id) != 0)
			continue;
		snprintf(at, sizeof(at), "%s[%zu].id", path, index);
		snprintf(problem, sizeof(problem), "duplicate id \"%s\"", id);
		config_error_set(config, at, err, problem,
		    "an id used once in this array");
		return -1;
	}
	return 0;
}

/* Checks that the "department" of element, when present, names one. */
static int
config_desk_check_reference(const struct hub_config *config, const char *path,
    const json_t *departments, const json_t *value, struct config_error *err)
{
	char problem[96];
	size_t i;

	if (value == NULL)
		return 0;
	for (i = 0; i < json_array_size(departments); i++) {
		const json_t *id = json_object_get(json_array_get(departments,
		    i), "id");

		if (strcmp(json_string_value(id), json_string_value(value)) == 0)
			return 0;
	}
	snprintf(problem, sizeof(problem), "unknown department \"%s\"",
	    json_string_value(value));
	config_error_set(config, path, err, problem,
	    "the id of a department in departments");
	return -1;
}

static int
config_desk_check_deadline(const struct hub_config *config, const char *path,
    const json_t *deadline, struct config_error *err)
{
	char at[CONFIG_DESK_PATH_MAX];

	snprintf(at, sizeof(at), "%.64s.deadline", path);
	if (config_check_section(config, at, deadline,
	    config_desk_deadline_fields, err) == -1)
		return -1;
	if (json_object_size(deadline) != 1) {
		config_error_set(config, at, err, "invalid deadline",
		    "exactly one of working_days or working_hours");
		return -1;
	}
	return 0;
}

int
config_desk_area_points(const json_t *area)
{
	size_t count = json_array_size(area);
	const json_t *first = json_array_get(area, 0);
	const json_t *last = json_array_get(area, count - 1);

	/* Compared as numbers, so that [10, 106] closes [10.0, 106.0]. */
	if (count > 1 && json_number_value(json_array_get(first, 0)) ==
	    json_number_value(json_array_get(last, 0)) &&
	    json_number_value(json_array_get(first, 1)) ==
	    json_number_value(json_array_get(last, 1)))
		count--;
	return (int)count;
}

/* Checks that coordinate, the element index of point at path, is a number
 * from -limit to limit. */
static int
config_desk_check_coordinate(const struct hub_config *config,
    const char *path, const json_t *coordinate, size_t index, double limit,
    struct config_error *err)
{
	char at[CONFIG_DESK_PATH_MAX], problem[96], expected[64];
	const char *name = index == 0 ? "latitude" : "longitude";
	double value = json_number_value(coordinate);

	snprintf(at, sizeof(at), "%s[%zu]", path, index);
	snprintf(expected, sizeof(expected), "a %s from %g to %g", name,
	    -limit, limit);
	if (!json_is_number(coordinate)) {
		snprintf(problem, sizeof(problem), "invalid type (%s)",
		    config_check_type_name(coordinate));
		config_error_set(config, at, err, problem, expected);
		return -1;
	}
	if (!isfinite(value) || value < -limit || value > limit) {
		snprintf(problem, sizeof(problem), "%s %g out of range", name,
		    value);
		config_error_set(config, at, err, problem, expected);
		return -1;
	}
	return 0;
}

/* Checks the "area" of a commune at path: at least 3 points besides a
 * closing point equal to the first, each a [latitude, longitude] pair of
 * WGS 84 degrees. */
static int
config_desk_check_area(const struct hub_config *config, const char *path,
    const json_t *area, struct config_error *err)
{
	char at[CONFIG_DESK_PATH_MAX], problem[96];
	size_t count = json_array_size(area);

	snprintf(at, sizeof(at), "%.64s.area", path);
	if (count > CONFIG_DESK_AREA_POINTS_MAX) {
		snprintf(problem, sizeof(problem), "too many points (%zu)",
		    count);
		config_error_set(config, at, err, problem,
		    "at most 10000 points");
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		const json_t *point = json_array_get(area, i);
		char point_path[CONFIG_DESK_PATH_MAX];

		snprintf(point_path, sizeof(point_path), "%.96s[%zu]", at, i);
		if (!json_is_array(point) || json_array_size(point) != 2) {
			config_error_set(config, point_path, err,
			    "invalid point", "[latitude, longitude], two "
			    "numbers in WGS 84 degrees");
			return -1;
		}
		if (config_desk_check_coordinate(config, point_path,
		    json_array_get(point, 0), 0, 90.0, err) == -1 ||
		    config_desk_check_coordinate(config, point_path,
		    json_array_get(point, 1), 1, 180.0, err) == -1)
			return -1;
	}
	if (config_desk_area_points(area) < 3) {
		snprintf(problem, sizeof(problem), "too few points (%d)",
		    config_desk_area_points(area));
		config_error_set(config, at, err, problem,
		    CONFIG_DESK_AREA_FORM ", not counting a last point equal "
		    "to the first");
		return -1;
	}
	return 0;
}

/* Checks every element of the array at key with fields, the required keys,
 * unique ids, the department references, deadlines and areas. */
static int
config_desk_check_array(const struct hub_config *config, const json_t *root,
    const char *key, const struct config_field *fields,
    const char *const *required, struct config_error *err)
{
	const json_t *array = json_object_get(root, key);
	const json_t *departments = json_object_get(root, "departments");
	char path[64], at[CONFIG_DESK_PATH_MAX];

	if (json_array_size(array) > CONFIG_DESK_ELEMENTS_MAX) {
		config_error_set(config, key, err, "too many elements",
		    "at most 1000 elements");
		return -1;
	}
	for (size_t i = 0; i < json_array_size(array); i++) {
		const json_t *element = json_array_get(array, i);
		const json_t *deadline, *area;

		snprintf(path, sizeof(path), "%s[%zu]", key, i);
		if (config_check_section(config, path, element, fields,
		    err) == -1 ||
		    config_desk_require(config, path, element, required,
		    err) == -1 ||
		    config_desk_check_unique(config, key, array, i, err) == -1)
			return -1;
		snprintf(at, sizeof(at), "%s.department", path);
		if (config_desk_check_reference(config, at, departments,
		    json_object_get(element, "department"), err) == -1)
			return -1;
		deadline = json_object_get(element, "deadline");
		if (deadline != NULL && config_desk_check_deadline(config,
		    path, deadline, err) == -1)
			return -1;
		area = json_object_get(element, "area");
		if (area != NULL && config_desk_check_area(config, path, area,
		    err) == -1)
			return -1;
	}
	return 0;
}

static bool
config_desk_category_exists(const json_t *categories, const char *id)
{
	for (size_t i = 0; i < json_array_size(categories); i++) {
		const json_t *other = json_object_get(json_array_get(
		    categories, i), "id");

		if (strcmp(json_string_value(other), id) == 0)
			return true;
	}
	return false;
}

/* Checks "channel_categories": channel names as keys, each naming a
 * configured category. */
static int
config_desk_check_channel_categories(const struct hub_config *config,
    const json_t *root, struct config_error *err)
{
	const json_t *map = json_object_get(root, "channel_categories");
	const json_t *categories = json_object_get(root, "categories");
	char path[CONFIG_DESK_PATH_MAX], problem[96];
	const char *channel;
	json_t *value;

	if (map == NULL)
		return 0;
	if (!json_is_object(map)) {
		snprintf(problem, sizeof(problem), "invalid type (%s)",
		    config_check_type_name(map));
		config_error_set(config, "channel_categories", err, problem,
		    "an object of channel names and category ids");
		return -1;
	}
	if (json_object_size(map) > CONFIG_DESK_CHANNELS_MAX) {
		config_error_set(config, "channel_categories", err,
		    "too many channels", "at most 64 channels");
		return -1;
	}
	/* jansson has no const iteration; the loop only reads map. */
	json_object_foreach((json_t *)map, channel, value) {
		snprintf(path, sizeof(path), "channel_categories.%.64s",
		    channel);
		if (!config_schema_channel_name_valid(channel)) {
			config_error_set(config, path, err,
			    "invalid channel name", "a lowercase letter, then "
			    "up to 31 lowercase letters, digits or underscores");
			return -1;
		}
		if (!json_is_string(value)) {
			snprintf(problem, sizeof(problem), "invalid type (%s)",
			    config_check_type_name(value));
			config_error_set(config, path, err, problem,
			    "the id of a category in categories");
			return -1;
		}
		if (!config_desk_category_exists(categories,
		    json_string_value(value))) {
			snprintf(problem, sizeof(problem),
			    "unknown category \"%.40s\"",
			    json_string_value(value));
			config_error_set(config, path, err, problem,
			    "the id of a category in categories");
			return -1;
		}
	}
	return 0;
}

/* Reads one ["HH:MM", "HH:MM"] pair into period. Returns 0 or -1. */
static int
config_desk_period(const json_t *pair, struct calendar_period *period)
{
	const json_t *start = json_array_get(pair, 0);
	const json_t *end = json_array_get(pair, 1);

	if (!json_is_array(pair) || json_array_size(pair) != 2 ||
	    !json_is_string(start) || !json_is_string(end))
		return -1;
	if (calendar_parse_time(json_string_value(start),
	    &period->start_minute) != 0 ||
	    calendar_parse_time(json_string_value(end),
	    &period->end_minute) != 0)
		return -1;
	return 0;
}

static int
config_desk_check_office_hours(const struct hub_config *config,
    const json_t *hours, struct config_error *err)
{
	struct calendar_period period;
	int previous_end = -1;
	char path[CONFIG_DESK_PATH_MAX];

	if (hours == NULL)
		return 0;
	if (json_array_size(hours) == 0 ||
	    json_array_size(hours) > CALENDAR_PERIODS_MAX) {
		config_error_set(config, "calendar.office_hours", err,
		    "invalid number of periods", "1 to 8 periods");
		return -1;
	}
	for (size_t i = 0; i < json_array_size(hours); i++) {
		snprintf(path, sizeof(path), "calendar.office_hours[%zu]", i);
		if (config_desk_period(json_array_get(hours, i), &period) != 0 ||
		    period.start_minute >= period.end_minute ||
		    period.start_minute < previous_end) {
			config_error_set(config, path, err, "invalid period",
			    "[\"HH:MM\", \"HH:MM\"] with the start before the "
			    "end, after the previous period");
			return -1;
		}
		previous_end = period.end_minute;
	}
	return 0;
}

/* Rejects a weekend of every day: no deadline could be computed. Make-up
 * working days do not count, since they cover only some dates. */
static int
config_desk_check_weekend(const struct hub_config *config,
    const json_t *weekend, struct config_error *err)
{
	bool listed[7] = { false };
	int count = 0;

	for (size_t i = 0; i < json_array_size(weekend); i++) {
		const char *name = json_string_value(json_array_get(weekend,
		    i));

		for (int day = 0; name != NULL && day < 7; day++) {
			if (strcmp(name, config_desk_weekdays[day]) == 0 &&
			    !listed[day]) {
				listed[day] = true;
				count++;
			}
		}
	}
	if (count < 7)
		return 0;
	config_error_set(config, "calendar.weekend", err,
	    "every day of the week is a weekend day",
	    "at least one working day a week");
	return -1;
}

static int
config_desk_check_calendar(const struct hub_config *config,
    const json_t *calendar, struct config_error *err)
{
	if (calendar == NULL)
		return 0;
	if (config_check_section(config, "calendar", calendar,
	    config_desk_calendar_fields, err) == -1 ||
	    config_desk_check_weekend(config,
	    json_object_get(calendar, "weekend"), err) == -1)
		return -1;
	return config_desk_check_office_hours(config,
	    json_object_get(calendar, "office_hours"), err);
}

int
config_desk_check(const struct hub_config *config, const json_t *root,
    struct config_error *err)
{
	static const char *const department_keys[] = { "id", "name_vi",
	    "name_en", NULL };
	static const char *const commune_keys[] = { "id", "name", NULL };

	if (config_desk_check_array(config, root, "departments",
	    config_desk_department_fields, department_keys, err) == -1 ||
	    config_desk_check_array(config, root, "categories",
	    config_desk_category_fields, department_keys, err) == -1 ||
	    config_desk_check_array(config, root, "communes",
	    config_desk_commune_fields, commune_keys, err) == -1)
		return -1;
	if (config_desk_check_reference(config, "triage_department",
	    json_object_get(root, "departments"),
	    json_object_get(root, "triage_department"), err) == -1 ||
	    config_desk_check_channel_categories(config, root, err) == -1)
		return -1;
	return config_desk_check_calendar(config,
	    json_object_get(root, "calendar"), err);
}
