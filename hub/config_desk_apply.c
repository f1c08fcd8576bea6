/*
 * Copies the checked service desk sections into struct hub_config_desk:
 * keywords and commune names folded once here for the matcher, commune
 * areas read into points, department and category references resolved to
 * pointers, holidays sorted for lookups.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "config_internal.h"

static char *
config_desk_string(const json_t *element, const char *key)
{
	const json_t *value = json_object_get(element, key);

	return value != NULL ? strdup(json_string_value(value)) : NULL;
}

const struct desk_department *
desk_department_find(const struct hub_config_desk *desk, const char *id)
{
	if (id == NULL)
		return NULL;
	for (size_t i = 0; i < desk->department_count; i++) {
		if (strcmp(desk->departments[i].id, id) == 0)
			return &desk->departments[i];
	}
	return NULL;
}

const struct desk_category *
desk_category_find(const struct hub_config_desk *desk, const char *id)
{
	for (size_t i = 0; i < desk->category_count; i++) {
		if (strcmp(desk->categories[i].id, id) == 0)
			return &desk->categories[i];
	}
	return NULL;
}

const struct desk_category *
desk_channel_category_find(const struct hub_config_desk *desk,
    const char *channel)
{
	if (channel == NULL)
		return NULL;
	for (size_t i = 0; i < desk->channel_category_count; i++) {
		if (strcmp(desk->channel_categories[i].channel, channel) == 0)
			return desk->channel_categories[i].category;
	}
	return NULL;
}

static int
config_desk_apply_departments(struct hub_config_desk *desk,
    const json_t *array)
{
	size_t count = json_array_size(array);

	desk->departments = calloc(count + 1, sizeof(*desk->departments));
	if (desk->departments == NULL)
		return -1;
	desk->department_count = count;
	for (size_t i = 0; i < count; i++) {
		const json_t *element = json_array_get(array, i);
		struct desk_department *department = &desk->departments[i];

		department->id = config_desk_string(element, "id");
		department->name_vi = config_desk_string(element, "name_vi");
		department->name_en = config_desk_string(element, "name_en");
		if (department->id == NULL || department->name_vi == NULL ||
		    department->name_en == NULL)
			return -1;
		department->assignment = DESK_ASSIGNMENT_MANUAL;
		if (json_object_get(element, "assignment") != NULL)
			desk_assignment_parse(json_string_value(json_object_get(
			    element, "assignment")), &department->assignment);
	}
	return 0;
}

static void
config_desk_apply_deadline(struct desk_category *category,
    const json_t *deadline)
{
	const json_t *days = json_object_get(deadline, "working_days");
	const json_t *hours = json_object_get(deadline, "working_hours");

	if (days != NULL)
		category->deadline = (struct calendar_policy){
		    CALENDAR_WORKING_DAYS, (int)json_integer_value(days) };
	else if (hours != NULL)
		category->deadline = (struct calendar_policy){
		    CALENDAR_WORKING_HOURS, (int)json_integer_value(hours) };
}

static int
config_desk_apply_keywords(struct desk_category *category,
    const json_t *keywords)
{
	size_t count = json_array_size(keywords);

	category->keywords = calloc(count + 1, sizeof(*category->keywords));
	if (category->keywords == NULL)
		return -1;
	category->keyword_count = count;
	for (size_t i = 0; i < count; i++) {
		category->keywords[i] = classify_words(json_string_value(
		    json_array_get(keywords, i)));
		if (category->keywords[i] == NULL)
			return -1;
	}
	return 0;
}

static int
config_desk_apply_categories(struct hub_config_desk *desk,
    const json_t *array)
{
	size_t count = json_array_size(array);

	desk->categories = calloc(count + 1, sizeof(*desk->categories));
	if (desk->categories == NULL)
		return -1;
	desk->category_count = count;
	for (size_t i = 0; i < count; i++) {
		const json_t *element = json_array_get(array, i);
		struct desk_category *category = &desk->categories[i];
		const json_t *department = json_object_get(element,
		    "department");

		category->id = config_desk_string(element, "id");
		category->name_vi = config_desk_string(element, "name_vi");
		category->name_en = config_desk_string(element, "name_en");
		if (category->id == NULL || category->name_vi == NULL ||
		    category->name_en == NULL ||
		    config_desk_apply_keywords(category,
		    json_object_get(element, "keywords")) == -1)
			return -1;
		category->department = desk_department_find(desk,
		    json_string_value(department));
		config_desk_apply_deadline(category,
		    json_object_get(element, "deadline"));
	}
	return 0;
}

/* Copies a checked area into commune, without a closing point equal to
 * the first. */
static int
config_desk_apply_area(struct desk_commune *commune, const json_t *area)
{
	size_t count;

	if (area == NULL)
		return 0;
	count = (size_t)config_desk_area_points(area);
	commune->area = calloc(count, sizeof(*commune->area));
	if (commune->area == NULL)
		return -1;
	commune->area_count = count;
	for (size_t i = 0; i < count; i++) {
		const json_t *point = json_array_get(area, i);

		commune->area[i].latitude = json_number_value(json_array_get(
		    point, 0));
		commune->area[i].longitude = json_number_value(json_array_get(
		    point, 1));
	}
	return 0;
}

static int
config_desk_apply_communes(struct hub_config_desk *desk, const json_t *array)
{
	size_t count = json_array_size(array);

	desk->communes = calloc(count + 1, sizeof(*desk->communes));
	if (desk->communes == NULL)
		return -1;
	desk->commune_count = count;
	for (size_t i = 0; i < count; i++) {
		const json_t *element = json_array_get(array, i);
		struct desk_commune *commune = &desk->communes[i];

		commune->id = config_desk_string(element, "id");
		commune->name = config_desk_string(element, "name");
		if (commune->id == NULL || commune->name == NULL ||
		    (commune->name_folded = classify_words(commune->name)) ==
		    NULL || config_desk_apply_area(commune,
		    json_object_get(element, "area")) == -1)
			return -1;
		commune->department = desk_department_find(desk,
		    json_string_value(json_object_get(element, "department")));
	}
	return 0;
}

static int
config_desk_apply_channel_categories(struct hub_config_desk *desk,
    const json_t *map)
{
	size_t count = json_object_size(map), i = 0;
	const char *channel;
	json_t *value;

	desk->channel_categories = calloc(count + 1,
	    sizeof(*desk->channel_categories));
	if (desk->channel_categories == NULL)
		return -1;
	desk->channel_category_count = count;
	/* jansson has no const iteration; the loop only reads map. */
	json_object_foreach((json_t *)map, channel, value) {
		struct desk_channel_category *entry =
		    &desk->channel_categories[i++];

		entry->channel = strdup(channel);
		if (entry->channel == NULL)
			return -1;
		entry->category = desk_category_find(desk,
		    json_string_value(value));
	}
	return 0;
}

static int
config_desk_compare_days(const void *a, const void *b)
{
	int64_t left = *(const int64_t *)a, right = *(const int64_t *)b;

	return (left > right) - (left < right);
}

/* Copies a checked array of dates into a sorted array of days. */
static int
config_desk_apply_dates(const json_t *array, int64_t **days, size_t *count)
{
	*count = json_array_size(array);
	*days = calloc(*count + 1, sizeof(**days));
	if (*days == NULL)
		return -1;
	for (size_t i = 0; i < *count; i++)
		calendar_parse_date(json_string_value(json_array_get(array, i)),
		    &(*days)[i]);
	qsort(*days, *count, sizeof(**days), config_desk_compare_days);
	return 0;
}

static int
config_desk_apply_calendar(struct calendar *calendar, const json_t *section)
{
	const json_t *hours = json_object_get(section, "office_hours");
	const json_t *weekend = json_object_get(section, "weekend");

	calendar_init_default(calendar);
	if (hours != NULL) {
		calendar->period_count = (int)json_array_size(hours);
		for (int i = 0; i < calendar->period_count; i++) {
			const json_t *pair = json_array_get(hours, (size_t)i);

			calendar_parse_time(json_string_value(json_array_get(
			    pair, 0)), &calendar->periods[i].start_minute);
			calendar_parse_time(json_string_value(json_array_get(
			    pair, 1)), &calendar->periods[i].end_minute);
		}
	}
	if (weekend != NULL) {
		static const char names[] = "sunmontuewedthufrisat";

		memset(calendar->weekend, 0, sizeof(calendar->weekend));
		for (size_t i = 0; i < json_array_size(weekend); i++) {
			const char *name = json_string_value(json_array_get(
			    weekend, i));

			calendar->weekend[(strstr(names, name) - names) / 3] =
			    true;
		}
	}
	if (config_desk_apply_dates(json_object_get(section, "holidays"),
	    &calendar->holidays, &calendar->holiday_count) == -1)
		return -1;
	return config_desk_apply_dates(json_object_get(section, "working_days"),
	    &calendar->working_days, &calendar->working_day_count);
}

/* Copies the desk's sections of root, so that the admin API can show them
 * and edit a copy. Absent arrays become empty ones, and absent
 * channel_categories an empty object. */
static json_t *
config_desk_sections(const json_t *root)
{
	static const char *const arrays[] = { "departments", "categories",
	    "communes" };
	static const char *const optional[] = { "triage_department",
	    "calendar" };
	const json_t *channels = json_object_get(root, "channel_categories");
	json_t *sections = json_object();

	for (size_t i = 0; sections != NULL && i < 3; i++) {
		const json_t *array = json_object_get(root, arrays[i]);

		if (json_object_set_new(sections, arrays[i], array != NULL ?
		    json_deep_copy(array) : json_array()) != 0) {
			json_decref(sections);
			return NULL;
		}
	}
	if (sections != NULL && json_object_set_new(sections,
	    "channel_categories", channels != NULL ? json_deep_copy(channels) :
	    json_object()) != 0) {
		json_decref(sections);
		return NULL;
	}
	for (size_t i = 0; sections != NULL && i < 2; i++) {
		const json_t *value = json_object_get(root, optional[i]);

		if (value != NULL && json_object_set_new(sections, optional[i],
		    json_deep_copy(value)) != 0) {
			json_decref(sections);
			return NULL;
		}
	}
	return sections;
}

struct hub_config_desk *
config_desk_build(const json_t *root)
{
	struct hub_config_desk *desk = calloc(1, sizeof(*desk));

	if (desk == NULL)
		return NULL;
	if (config_desk_apply_departments(desk,
	    json_object_get(root, "departments")) == -1 ||
	    config_desk_apply_categories(desk,
	    json_object_get(root, "categories")) == -1 ||
	    config_desk_apply_communes(desk,
	    json_object_get(root, "communes")) == -1 ||
	    config_desk_apply_channel_categories(desk,
	    json_object_get(root, "channel_categories")) == -1 ||
	    config_desk_apply_calendar(&desk->calendar,
	    json_object_get(root, "calendar")) == -1 ||
	    (desk->sections = config_desk_sections(root)) == NULL) {
		desk_free(desk);
		return NULL;
	}
	desk->triage_department = desk_department_find(desk,
	    json_string_value(json_object_get(root, "triage_department")));
	return desk;
}

int
config_desk_apply(struct hub_config *config, const json_t *root)
{
	struct hub_config_desk *desk = config_desk_build(root);

	if (desk == NULL)
		return -1;
	config->desk = desk_state_new(desk);
	if (config->desk == NULL) {
		desk_free(desk);
		return -1;
	}
	return 0;
}

void
config_desk_free(struct hub_config_desk *desk)
{
	for (size_t i = 0; desk->departments != NULL &&
	    i < desk->department_count; i++) {
		free(desk->departments[i].id);
		free(desk->departments[i].name_vi);
		free(desk->departments[i].name_en);
	}
	for (size_t i = 0; desk->categories != NULL &&
	    i < desk->category_count; i++) {
		struct desk_category *category = &desk->categories[i];

		free(category->id);
		free(category->name_vi);
		free(category->name_en);
		for (size_t k = 0; category->keywords != NULL &&
		    k < category->keyword_count; k++)
			free(category->keywords[k]);
		free(category->keywords);
	}
	for (size_t i = 0; desk->communes != NULL && i < desk->commune_count;
	    i++) {
		free(desk->communes[i].id);
		free(desk->communes[i].name);
		free(desk->communes[i].name_folded);
		free(desk->communes[i].area);
	}
	for (size_t i = 0; desk->channel_categories != NULL &&
	    i < desk->channel_category_count; i++)
		free(desk->channel_categories[i].channel);
	free(desk->departments);
	free(desk->channel_categories);
	free(desk->categories);
	free(desk->communes);
	calendar_clear(&desk->calendar);
	json_decref(desk->sections);
	memset(desk, 0, sizeof(*desk));
}
