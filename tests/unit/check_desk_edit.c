/*
 * Tests of the desk snapshot and its edits. They cover desk_current and
 * desk_replace with a reader on another thread, puts and deletes of
 * departments, categories, communes and the triage department, and the
 * path and kind of every rejected value. The last ones load stored
 * sections in place of the config file's, as at start-up.
 */
#include "desk_edit.h"

#include <pthread.h>
#include <sched.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "check_util.h"
#include "store.h"
#include "store_desk.h"

static const char desk_test_sections[] =
    "{\"departments\": ["
    "  {\"id\": \"do-thi\", \"name_vi\": \"Phòng Quản lý đô thị\","
    "   \"name_en\": \"Urban Management Office\"},"
    "  {\"id\": \"tiep-nhan\", \"name_vi\": \"Bộ phận tiếp nhận\","
    "   \"name_en\": \"Intake desk\"},"
    "  {\"id\": \"rieng\", \"name_vi\": \"Phòng riêng\","
    "   \"name_en\": \"Spare office\"}],"
    " \"categories\": ["
    "  {\"id\": \"traffic\", \"name_vi\": \"Giao thông\","
    "   \"name_en\": \"Traffic\", \"keywords\": [\"ổ gà\"],"
    "   \"department\": \"do-thi\", \"deadline\": {\"working_days\": 3}}],"
    " \"communes\": ["
    "  {\"id\": \"my-tho\", \"name\": \"Phường Mỹ Tho\","
    "   \"department\": \"do-thi\"}],"
    " \"triage_department\": \"tiep-nhan\","
    " \"calendar\": {\"weekend\": [\"sun\"]}}";

static json_t *
desk_test_load(const char *text)
{
	json_error_t error;
	json_t *value = json_loads(text, JSON_REJECT_DUPLICATES, &error);

	ck_assert_msg(value != NULL, "test JSON: %s", error.text);
	return value;
}

static struct hub_config_desk *
desk_test_build(const json_t *sections)
{
	struct desk_edit_error error;
	struct hub_config_desk *desk = desk_edit_build(sections, &error);

	ck_assert_msg(desk != NULL, "build failed: %s: %s", error.path,
	    error.detail);
	return desk;
}

/* --- Snapshot --------------------------------------------------------------- */

START_TEST(desk_current_without_state_is_empty)
{
	struct hub_config config = { 0 };
	const struct hub_config_desk *desk = desk_current(&config);

	ck_assert_ptr_nonnull(desk);
	ck_assert_uint_eq(desk->category_count, 0);
	ck_assert_uint_eq(desk->commune_count, 0);
	ck_assert_ptr_null(desk->triage_department);
}
END_TEST

START_TEST(desk_replace_keeps_old_desk_readable)
{
	json_t *sections = desk_test_load(desk_test_sections);
	struct hub_config config = { 0 };
	struct desk_edit_error error;
	const struct hub_config_desk *old;
	json_t *edited, *body;
	bool created;

	config.desk = desk_state_new(desk_test_build(sections));
	ck_assert_ptr_nonnull(config.desk);
	old = desk_current(&config);

	body = desk_test_load("{\"name_vi\": \"Phòng Đô thị\","
	    " \"name_en\": \"City Office\"}");
	edited = desk_edit_put(old->sections, DESK_SECTION_DEPARTMENTS,
	    "do-thi", body, &created, &error);
	ck_assert_ptr_nonnull(edited);
	ck_assert(!created);
	desk_replace(&config, desk_test_build(edited));

	ck_assert_ptr_ne(desk_current(&config), old);
	ck_assert_str_eq(desk_current(&config)->departments[0].name_en,
	    "City Office");
	/* A reader that took the old desk before the swap still reads it
	 * whole. */
	ck_assert_str_eq(old->departments[0].name_en,
	    "Urban Management Office");
	ck_assert_ptr_eq(old->categories[0].department, &old->departments[0]);

	json_decref(body);
	json_decref(edited);
	json_decref(sections);
	desk_state_free(config.desk);
}
END_TEST

struct desk_test_reader {
	const struct hub_config *config;
	atomic_bool stop;
	atomic_long reads;
	long mixed;	/* desks whose parts came from two versions */
};

/* Every version names its department and its category alike ("v7"), so a
 * reader that saw half of an edit would find two different names. */
static void *
desk_test_read(void *arg)
{
	struct desk_test_reader *reader = arg;

	while (!atomic_load(&reader->stop)) {
		const struct hub_config_desk *desk = desk_current(reader->config);
		const struct desk_category *category = &desk->categories[0];

		if (category->department != &desk->departments[0] ||
		    strcmp(category->name_en, desk->departments[0].name_en) != 0)
			reader->mixed++;
		atomic_fetch_add(&reader->reads, 1);
	}
	return NULL;
}

static json_t *
desk_test_version(int version)
{
	char text[512];

	snprintf(text, sizeof(text),
	    "{\"departments\": [{\"id\": \"d\", \"name_vi\": \"v%d\","
	    " \"name_en\": \"v%d\"}],"
	    " \"categories\": [{\"id\": \"c\", \"name_vi\": \"v%d\","
	    " \"name_en\": \"v%d\", \"department\": \"d\"}],"
	    " \"communes\": []}", version, version, version, version);
	return desk_test_load(text);
}

START_TEST(desk_replace_under_concurrent_reader)
{
	struct hub_config config = { 0 };
	struct desk_test_reader reader = { .config = &config };
	json_t *sections = desk_test_version(0);
	pthread_t thread;

	config.desk = desk_state_new(desk_test_build(sections));
	json_decref(sections);
	atomic_init(&reader.stop, false);
	atomic_init(&reader.reads, 0);
	ck_assert_int_eq(pthread_create(&thread, NULL, desk_test_read,
	    &reader), 0);
	for (int version = 1; version <= 300; version++) {
		long seen = atomic_load(&reader.reads);

		sections = desk_test_version(version);
		desk_replace(&config, desk_test_build(sections));
		json_decref(sections);
		/* Let the reader run between two swaps. */
		while (atomic_load(&reader.reads) == seen)
			sched_yield();
	}
	atomic_store(&reader.stop, true);
	ck_assert_int_eq(pthread_join(thread, NULL), 0);

	ck_assert_int_ge(atomic_load(&reader.reads), 300);
	ck_assert_int_eq(reader.mixed, 0);
	ck_assert_str_eq(desk_current(&config)->categories[0].name_en, "v300");
	desk_state_free(config.desk);
}
END_TEST

/* --- Putting and deleting ----------------------------------------------------- */

START_TEST(desk_put_category_creates_and_normalizes)
{
	json_t *sections = desk_test_load(desk_test_sections);
	char *nfd = check_nfd("  Rác thải ");
	struct desk_edit_error error;
	struct hub_config_desk *desk;
	json_t *body, *edited;
	const json_t *element;
	bool created;

	body = json_pack("{s:s, s:s, s:[s, s], s:s, s:{s:i}}",
	    "name_vi", "Môi trường", "name_en", "Environment",
	    "keywords", nfd, "ô nhiễm", "department", "rieng",
	    "deadline", "working_hours", 8);
	edited = desk_edit_put(sections, DESK_SECTION_CATEGORIES, "environment",
	    body, &created, &error);
	ck_assert_ptr_nonnull(edited);
	ck_assert(created);

	element = desk_edit_find(edited, DESK_SECTION_CATEGORIES, "environment");
	ck_assert_ptr_nonnull(element);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(
	    element, "keywords"), 0)), "Rác thải");
	ck_assert_str_eq(json_string_value(json_object_get(element, "id")),
	    "environment");
	/* Appended after the categories already listed, which keep their
	 * priority on ties. */
	ck_assert_uint_eq(json_array_size(json_object_get(edited,
	    "categories")), 2);

	desk = desk_test_build(edited);
	ck_assert_str_eq(desk->categories[1].keywords[0], " rac thai ");
	ck_assert_str_eq(desk->categories[1].department->id, "rieng");
	ck_assert_int_eq(desk->categories[1].deadline.unit,
	    CALENDAR_WORKING_HOURS);
	/* The calendar comes along from the sections. */
	ck_assert(desk->calendar.weekend[0]);
	ck_assert(!desk->calendar.weekend[6]);
	/* The sections edited from are left as they were. */
	ck_assert_uint_eq(json_array_size(json_object_get(sections,
	    "categories")), 1);

	desk_free(desk);
	json_decref(edited);
	json_decref(body);
	json_decref(sections);
	free(nfd);
}
END_TEST

START_TEST(desk_delete_category_and_triage)
{
	json_t *sections = desk_test_load(desk_test_sections);
	struct desk_edit_error error;
	json_t *edited, *cleared;
	struct hub_config_desk *desk;

	edited = desk_edit_delete(sections, DESK_SECTION_CATEGORIES, "traffic",
	    &error);
	ck_assert_ptr_nonnull(edited);
	ck_assert_ptr_null(desk_edit_find(edited, DESK_SECTION_CATEGORIES,
	    "traffic"));
	cleared = desk_edit_delete(edited, DESK_SECTION_TRIAGE, "", &error);
	ck_assert_ptr_nonnull(cleared);
	ck_assert(json_is_null(desk_edit_find(cleared, DESK_SECTION_TRIAGE,
	    "")));
	desk = desk_test_build(cleared);
	ck_assert_uint_eq(desk->category_count, 0);
	ck_assert_ptr_null(desk->triage_department);

	ck_assert_ptr_null(desk_edit_delete(sections, DESK_SECTION_COMMUNES,
	    "khong-co", &error));
	ck_assert_int_eq(error.status, DESK_EDIT_NOT_FOUND);
	ck_assert_str_eq(error.path, "communes.khong-co");

	desk_free(desk);
	json_decref(cleared);
	json_decref(edited);
	json_decref(sections);
}
END_TEST

START_TEST(desk_delete_department_in_use_names_user)
{
	json_t *sections = desk_test_load(desk_test_sections);
	struct desk_edit_error error;
	json_t *edited;

	ck_assert_ptr_null(desk_edit_delete(sections, DESK_SECTION_DEPARTMENTS,
	    "do-thi", &error));
	ck_assert_int_eq(error.status, DESK_EDIT_CONFLICT);
	ck_assert_str_eq(error.path, "categories.traffic.department");

	edited = desk_edit_delete(sections, DESK_SECTION_CATEGORIES, "traffic",
	    &error);
	ck_assert_ptr_nonnull(edited);
	ck_assert_ptr_null(desk_edit_delete(edited, DESK_SECTION_DEPARTMENTS,
	    "do-thi", &error));
	ck_assert_int_eq(error.status, DESK_EDIT_CONFLICT);
	ck_assert_str_eq(error.path, "communes.my-tho.department");
	json_decref(edited);

	ck_assert_ptr_null(desk_edit_delete(sections, DESK_SECTION_DEPARTMENTS,
	    "tiep-nhan", &error));
	ck_assert_int_eq(error.status, DESK_EDIT_CONFLICT);
	ck_assert_str_eq(error.path, "triage_department");

	edited = desk_edit_delete(sections, DESK_SECTION_DEPARTMENTS, "rieng",
	    &error);
	ck_assert_ptr_nonnull(edited);
	ck_assert_uint_eq(json_array_size(json_object_get(edited,
	    "departments")), 2);
	json_decref(edited);
	json_decref(sections);
}
END_TEST

START_TEST(desk_channel_categories_put_and_delete)
{
	json_t *sections = desk_test_load(desk_test_sections);
	json_t *body = desk_test_load("{\"web\": \"traffic\", \"sms\": "
	    "\"traffic\"}");
	struct desk_edit_error error;
	struct hub_config_desk *desk;
	json_t *edited, *cleared, *without;
	bool created;

	edited = desk_edit_put(sections, DESK_SECTION_CHANNEL_CATEGORIES, "",
	    body, &created, &error);
	ck_assert_ptr_nonnull(edited);
	ck_assert(!created);
	desk = desk_test_build(edited);
	ck_assert_uint_eq(desk->channel_category_count, 2);
	ck_assert_ptr_nonnull(desk_channel_category_find(desk, "web"));
	ck_assert_str_eq(desk_channel_category_find(desk, "web")->id,
	    "traffic");
	ck_assert_ptr_null(desk_channel_category_find(desk, "email"));
	ck_assert_ptr_null(desk_channel_category_find(desk, NULL));
	desk_free(desk);

	/* A category that a channel default names cannot be deleted. */
	ck_assert_ptr_null(desk_edit_delete(edited, DESK_SECTION_CATEGORIES,
	    "traffic", &error));
	ck_assert_int_eq(error.status, DESK_EDIT_CONFLICT);
	ck_assert_str_eq(error.path, "channel_categories.web");

	cleared = desk_edit_delete(edited, DESK_SECTION_CHANNEL_CATEGORIES, "",
	    &error);
	ck_assert_ptr_nonnull(cleared);
	ck_assert_uint_eq(json_object_size(desk_edit_find(cleared,
	    DESK_SECTION_CHANNEL_CATEGORIES, "")), 0);
	without = desk_edit_delete(cleared, DESK_SECTION_CATEGORIES, "traffic",
	    &error);
	ck_assert_ptr_nonnull(without);

	json_decref(without);
	json_decref(cleared);
	json_decref(edited);
	json_decref(body);
	json_decref(sections);
}
END_TEST

START_TEST(desk_put_commune_area)
{
	json_t *sections = desk_test_load(desk_test_sections);
	json_t *body = desk_test_load("{\"name\": \"Xã Mỹ Phong\", \"area\": "
	    "[[10.36, 106.30], [10.36, 106.34], [10.40, 106.34], [10, 106],"
	    " [10.36, 106.3]]}");
	struct desk_edit_error error;
	struct hub_config_desk *desk;
	json_t *edited;
	bool created;

	edited = desk_edit_put(sections, DESK_SECTION_COMMUNES, "my-phong",
	    body, &created, &error);
	ck_assert_ptr_nonnull(edited);
	desk = desk_test_build(edited);
	/* The closing point, equal to the first in value, is dropped. */
	ck_assert_uint_eq(desk->communes[1].area_count, 4);
	ck_assert(desk->communes[1].area[2].latitude == 10.40);
	ck_assert(desk->communes[1].area[3].longitude == 106.0);
	/* A commune without an area has none. */
	ck_assert_ptr_null(desk->communes[0].area);
	ck_assert_uint_eq(desk->communes[0].area_count, 0);

	desk_free(desk);
	json_decref(edited);
	json_decref(body);
	json_decref(sections);
}
END_TEST

/* --- Rejected values ---------------------------------------------------------- */

struct desk_test_bad {
	enum desk_section section;
	const char *id;
	const char *body;
	enum desk_edit_status status;
	const char *path;
	const char *detail;	/* a part of the explanation */
};

static const struct desk_test_bad desk_test_bad_values[] = {
	{ DESK_SECTION_CATEGORIES, "traffic",
	  "{\"name_vi\": \"G\", \"name_en\": \"T\","
	  " \"deadline\": {\"working_days\": 0}}",
	  DESK_EDIT_INVALID, "categories.traffic.deadline.working_days",
	  "an integer from 1 to 365" },
	{ DESK_SECTION_CATEGORIES, "traffic",
	  "{\"name_vi\": \"G\", \"name_en\": \"T\","
	  " \"deadline\": {\"working_hours\": 2001}}",
	  DESK_EDIT_INVALID, "categories.traffic.deadline.working_hours",
	  "an integer from 1 to 2000" },
	{ DESK_SECTION_CATEGORIES, "traffic",
	  "{\"name_vi\": \"G\", \"name_en\": \"T\", \"deadline\":"
	  " {\"working_days\": 2, \"working_hours\": 4}}",
	  DESK_EDIT_INVALID, "categories.traffic.deadline",
	  "exactly one of working_days or working_hours" },
	{ DESK_SECTION_CATEGORIES, "traffic",
	  "{\"name_vi\": \"G\", \"name_en\": \"T\", \"deadline\": {}}",
	  DESK_EDIT_INVALID, "categories.traffic.deadline",
	  "exactly one of working_days or working_hours" },
	{ DESK_SECTION_CATEGORIES, "traffic",
	  "{\"name_vi\": \"G\", \"name_en\": \"T\", \"deadline\": 3}",
	  DESK_EDIT_INVALID, "categories.traffic.deadline", "an object" },
	{ DESK_SECTION_CATEGORIES, "traffic",
	  "{\"name_vi\": \"G\", \"name_en\": \"T\", \"deadline\":"
	  " {\"working_weeks\": 1}}",
	  DESK_EDIT_INVALID, "categories.traffic.deadline.working_weeks",
	  "unknown key" },
	{ DESK_SECTION_CATEGORIES, "traffic",
	  "{\"name_vi\": \"G\", \"name_en\": \"T\", \"colour\": \"red\"}",
	  DESK_EDIT_INVALID, "categories.traffic.colour", "unknown key" },
	{ DESK_SECTION_CATEGORIES, "traffic",
	  "{\"name_vi\": \"G\", \"name_en\": \"T\", \"keywords\": \"ổ gà\"}",
	  DESK_EDIT_INVALID, "categories.traffic.keywords",
	  "an array of words or phrases" },
	{ DESK_SECTION_CATEGORIES, "traffic",
	  "{\"name_vi\": \"G\", \"name_en\": \"T\","
	  " \"keywords\": [\"ổ gà\", \"?!\"]}",
	  DESK_EDIT_INVALID, "categories.traffic.keywords[1]",
	  "at least one letter or digit" },
	{ DESK_SECTION_CATEGORIES, "traffic",
	  "{\"name_vi\": \"G\", \"name_en\": \"T\", \"keywords\": [7]}",
	  DESK_EDIT_INVALID, "categories.traffic.keywords[0]", "a string" },
	{ DESK_SECTION_CATEGORIES, "traffic",
	  "{\"name_vi\": \"G\", \"name_en\": \"T\", \"department\": \"x\"}",
	  DESK_EDIT_INVALID, "categories.traffic.department",
	  "unknown department \"x\"" },
	{ DESK_SECTION_CATEGORIES, "traffic",
	  "{\"name_vi\": \"G\", \"name_en\": \"T\", \"department\": \"X Y\"}",
	  DESK_EDIT_INVALID, "categories.traffic.department",
	  "1 to 32 of a-z, 0-9, _ and -" },
	{ DESK_SECTION_CATEGORIES, "traffic", "{\"name_en\": \"T\"}",
	  DESK_EDIT_MISSING, "categories.traffic.name_vi", "missing key" },
	{ DESK_SECTION_CATEGORIES, "traffic",
	  "{\"name_vi\": 5, \"name_en\": \"T\"}",
	  DESK_EDIT_INVALID, "categories.traffic.name_vi", "invalid type" },
	{ DESK_SECTION_CATEGORIES, "traffic",
	  "{\"name_vi\": \"   \", \"name_en\": \"T\"}",
	  DESK_EDIT_INVALID, "categories.traffic.name_vi",
	  "a string of 1 to 200 bytes" },
	{ DESK_SECTION_CATEGORIES, "traffic",
	  "{\"id\": \"other\", \"name_vi\": \"G\", \"name_en\": \"T\"}",
	  DESK_EDIT_INVALID, "categories.traffic.id",
	  "differs from the id in the path" },
	{ DESK_SECTION_DEPARTMENTS, "moi",
	  "{\"name_vi\": \"Mới\", \"name_en\": \"New\", \"manager\": \"x\"}",
	  DESK_EDIT_INVALID, "departments.moi.manager", "unknown key" },
	{ DESK_SECTION_DEPARTMENTS, "moi", "{\"name_vi\": \"Mới\"}",
	  DESK_EDIT_MISSING, "departments.moi.name_en", "missing key" },
	{ DESK_SECTION_COMMUNES, "xa-moi",
	  "{\"name\": \"Xã Mới\", \"department\": \"khong-co\"}",
	  DESK_EDIT_INVALID, "communes.xa-moi.department",
	  "unknown department \"khong-co\"" },
	{ DESK_SECTION_COMMUNES, "xa-moi", "{\"name\": \"...\"}",
	  DESK_EDIT_INVALID, "communes.xa-moi.name",
	  "at least one letter or digit" },
	{ DESK_SECTION_COMMUNES, "xa-moi", "{}",
	  DESK_EDIT_MISSING, "communes.xa-moi.name", "missing key" },
	{ DESK_SECTION_TRIAGE, "", "{\"department\": \"khong-co\"}",
	  DESK_EDIT_INVALID, "triage_department",
	  "unknown department \"khong-co\"" },
	{ DESK_SECTION_TRIAGE, "", "{\"department\": 3}",
	  DESK_EDIT_INVALID, "triage_department", "invalid type (integer)" },
	{ DESK_SECTION_TRIAGE, "", "{\"dept\": \"rieng\"}",
	  DESK_EDIT_INVALID, "triage_department", "{\"department\": ID}" },
	{ DESK_SECTION_COMMUNES, "xa-moi",
	  "{\"name\": \"Xã Mới\", \"area\": [[10.3, 106.3], [10.4, 106.3]]}",
	  DESK_EDIT_INVALID, "communes.xa-moi.area", "too few points (2)" },
	{ DESK_SECTION_COMMUNES, "xa-moi",
	  "{\"name\": \"Xã Mới\", \"area\": [[10.3, 106.3], [10.4, 106.3],"
	  " [10.3, 106.3]]}",
	  DESK_EDIT_INVALID, "communes.xa-moi.area", "too few points (2)" },
	{ DESK_SECTION_COMMUNES, "xa-moi",
	  "{\"name\": \"Xã Mới\", \"area\": [[10.3, 106.3], [91, 106.3],"
	  " [10.4, 106.4]]}",
	  DESK_EDIT_INVALID, "communes.xa-moi.area[1][0]",
	  "latitude 91 out of range; expected a latitude from -90 to 90" },
	{ DESK_SECTION_COMMUNES, "xa-moi",
	  "{\"name\": \"Xã Mới\", \"area\": [[10.3, 106.3], [10.4, 106.3],"
	  " [10.4, -180.5]]}",
	  DESK_EDIT_INVALID, "communes.xa-moi.area[2][1]",
	  "longitude -180.5 out of range" },
	{ DESK_SECTION_COMMUNES, "xa-moi",
	  "{\"name\": \"Xã Mới\", \"area\": [[10.3, 106.3], [10.4, \"106\"],"
	  " [10.4, 106.4]]}",
	  DESK_EDIT_INVALID, "communes.xa-moi.area[1][1]",
	  "invalid type (string)" },
	{ DESK_SECTION_COMMUNES, "xa-moi",
	  "{\"name\": \"Xã Mới\", \"area\": [[10.3, 106.3, 0], [10.4, 106.3],"
	  " [10.4, 106.4]]}",
	  DESK_EDIT_INVALID, "communes.xa-moi.area[0]", "invalid point" },
	{ DESK_SECTION_COMMUNES, "xa-moi",
	  "{\"name\": \"Xã Mới\", \"area\": {\"lat\": 10}}",
	  DESK_EDIT_INVALID, "communes.xa-moi.area", "invalid type (object)" },
	{ DESK_SECTION_CHANNEL_CATEGORIES, "", "{\"web\": \"khong-co\"}",
	  DESK_EDIT_INVALID, "channel_categories.web",
	  "unknown category \"khong-co\"" },
	{ DESK_SECTION_CHANNEL_CATEGORIES, "", "{\"web\": 3}",
	  DESK_EDIT_INVALID, "channel_categories.web", "invalid type (integer)" },
	{ DESK_SECTION_CHANNEL_CATEGORIES, "", "{\"Web Form\": \"traffic\"}",
	  DESK_EDIT_INVALID, "channel_categories.Web Form",
	  "invalid channel name" },
};

/* Applies one bad value with put and build, as the API does, and checks
 * the status, the path and the explanation. */
START_TEST(desk_put_bad_value_names_path)
{
	const struct desk_test_bad *bad = &desk_test_bad_values[_i];
	json_t *sections = desk_test_load(desk_test_sections);
	json_t *body = desk_test_load(bad->body);
	struct desk_edit_error error = { .status = DESK_EDIT_OK };
	struct hub_config_desk *desk = NULL;
	json_t *edited;
	bool created;

	edited = desk_edit_put(sections, bad->section, bad->id, body, &created,
	    &error);
	if (edited != NULL)
		desk = desk_edit_build(edited, &error);
	ck_assert_msg(desk == NULL, "%s accepted", bad->body);
	ck_assert_int_eq(error.status, bad->status);
	ck_assert_str_eq(error.path, bad->path);
	ck_assert_msg(strstr(error.detail, bad->detail) != NULL,
	    "detail \"%s\" lacks \"%s\"", error.detail, bad->detail);

	json_decref(edited);
	json_decref(body);
	json_decref(sections);
}
END_TEST

/* --- Stored sections at start-up ------------------------------------------ */

static char desk_test_dir[64];

static void
desk_test_store_setup(void)
{
	snprintf(desk_test_dir, sizeof(desk_test_dir),
	    "/tmp/check_desk.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(desk_test_dir));
}

static void
desk_test_store_teardown(void)
{
	char command[128];

	snprintf(command, sizeof(command), "rm -rf '%s'", desk_test_dir);
	ck_assert_int_eq(system(command), 0);
}

/* Creates a store in desk_test_dir holding value under the desk key, and
 * returns it opened read-only. */
static struct store *
desk_test_store(const char *value)
{
	char err[256], path[128];
	struct store *store;
	sqlite3 *db;
	sqlite3_stmt *stmt;

	ck_assert_msg(store_init(desk_test_dir, err, sizeof(err)) == 0, "%s",
	    err);
	snprintf(path, sizeof(path), "%s/%s", desk_test_dir, STORE_DB_FILE);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "INSERT INTO desk_settings"
	    " (key, value, updated_at) VALUES (?, ?, 1735959600000)", -1,
	    &stmt, NULL), SQLITE_OK);
	sqlite3_bind_text(stmt, 1, STORE_DESK_KEY, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, value, -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(stmt), SQLITE_DONE);
	sqlite3_finalize(stmt);
	sqlite3_close(db);

	store = store_open_readonly(desk_test_dir, err, sizeof(err));
	ck_assert_msg(store != NULL, "%s", err);
	return store;
}

START_TEST(desk_stored_sections_win_over_file)
{
	json_t *sections = desk_test_load(desk_test_sections);
	struct store *store = desk_test_store(
	    "{\"departments\": [{\"id\": \"a\", \"name_vi\": \"Phòng A\","
	    " \"name_en\": \"Office A\"}],"
	    " \"categories\": [{\"id\": \"noise\", \"name_vi\": \"Tiếng ồn\","
	    " \"name_en\": \"Noise\", \"keywords\": [\"ồn ào\"],"
	    " \"department\": \"a\"}],"
	    " \"communes\": []}");
	struct hub_config config = { 0 };
	const struct hub_config_desk *desk;
	char err[1024];

	config.desk = desk_state_new(desk_test_build(sections));
	ck_assert_msg(desk_edit_load_stored(&config, store, err,
	    sizeof(err)) == 0, "%s", err);
	desk = desk_current(&config);
	ck_assert_uint_eq(desk->department_count, 1);
	ck_assert_str_eq(desk->categories[0].id, "noise");
	ck_assert_uint_eq(desk->commune_count, 0);
	/* Not stored: no triage department, whatever the file sets. */
	ck_assert_ptr_null(desk->triage_department);
	/* The calendar stays the file's. */
	ck_assert(desk->calendar.weekend[0]);
	ck_assert(!desk->calendar.weekend[6]);

	store_close(store);
	desk_state_free(config.desk);
	json_decref(sections);
}
END_TEST

START_TEST(desk_stored_channel_categories_win)
{
	json_t *sections = desk_test_load(desk_test_sections);
	struct store *store = desk_test_store(
	    "{\"departments\": [], \"categories\": [{\"id\": \"noise\","
	    " \"name_vi\": \"Tiếng ồn\", \"name_en\": \"Noise\"}],"
	    " \"communes\": [], \"channel_categories\": {\"sms\": \"noise\"}}");
	struct hub_config config = { 0 };
	const struct hub_config_desk *desk;
	json_t *stored;
	char err[1024];

	config.desk = desk_state_new(desk_test_build(sections));
	ck_assert_msg(desk_edit_load_stored(&config, store, err,
	    sizeof(err)) == 0, "%s", err);
	desk = desk_current(&config);
	ck_assert_uint_eq(desk->channel_category_count, 1);
	ck_assert_str_eq(desk_channel_category_find(desk, "sms")->id, "noise");
	/* An edit after start-up stores them again. */
	stored = desk_edit_stored(desk->sections);
	ck_assert_ptr_nonnull(stored);
	ck_assert(json_equal(json_object_get(stored, "channel_categories"),
	    json_object_get(desk->sections, "channel_categories")));

	json_decref(stored);
	store_close(store);
	desk_state_free(config.desk);
	json_decref(sections);
}
END_TEST

START_TEST(desk_stored_invalid_sections_rejected)
{
	json_t *sections = desk_test_load(desk_test_sections);
	struct store *store = desk_test_store(
	    "{\"departments\": [], \"categories\": [{\"id\": \"x\","
	    " \"name_vi\": \"X\", \"name_en\": \"X\", \"department\": \"b\"}]}");
	struct hub_config config = { 0 };
	const struct hub_config_desk *file_desk;
	char err[1024];

	config.desk = desk_state_new(desk_test_build(sections));
	file_desk = desk_current(&config);
	ck_assert_int_eq(desk_edit_load_stored(&config, store, err,
	    sizeof(err)), -1);
	ck_assert_msg(strstr(err, "categories.x.department: unknown department"
	    " \"b\"") != NULL, "%s", err);
	ck_assert_ptr_eq(desk_current(&config), file_desk);

	store_close(store);
	desk_state_free(config.desk);
	json_decref(sections);
}
END_TEST

Suite *
desk_edit_suite(void)
{
	Suite *suite = suite_create("desk_edit");
	TCase *snapshot = tcase_create("snapshot");
	TCase *edit = tcase_create("edit");
	TCase *stored = tcase_create("stored");

	tcase_add_test(snapshot, desk_current_without_state_is_empty);
	tcase_add_test(snapshot, desk_replace_keeps_old_desk_readable);
	tcase_add_test(snapshot, desk_replace_under_concurrent_reader);
	suite_add_tcase(suite, snapshot);

	tcase_add_test(edit, desk_put_category_creates_and_normalizes);
	tcase_add_test(edit, desk_delete_category_and_triage);
	tcase_add_test(edit, desk_delete_department_in_use_names_user);
	tcase_add_test(edit, desk_channel_categories_put_and_delete);
	tcase_add_test(edit, desk_put_commune_area);
	tcase_add_loop_test(edit, desk_put_bad_value_names_path, 0,
	    (int)(sizeof(desk_test_bad_values) /
	    sizeof(desk_test_bad_values[0])));
	suite_add_tcase(suite, edit);

	tcase_add_checked_fixture(stored, desk_test_store_setup,
	    desk_test_store_teardown);
	tcase_add_test(stored, desk_stored_sections_win_over_file);
	tcase_add_test(stored, desk_stored_channel_categories_win);
	tcase_add_test(stored, desk_stored_invalid_sections_rejected);
	suite_add_tcase(suite, stored);
	return suite;
}
