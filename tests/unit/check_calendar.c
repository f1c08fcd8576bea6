/*
 * Tests of the working calendar (deadlines in working days and hours in
 * Vietnam time) and of the rules matcher (folded whole-word keywords).
 */
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "check_suites.h"
#include "classify.h"

/* Unix ms of a local time in Vietnam (UTC+7). */
static int64_t
local_ms(int year, int month, int day, int hour, int minute)
{
	int64_t days;

	ck_assert_int_eq(calendar_days_from_date(year, month, day, &days), 0);
	return days * 86400000LL - CALENDAR_UTC_OFFSET_MS +
	    (int64_t)(hour * 60 + minute) * 60000;
}

static int64_t
day_of(const char *date)
{
	int64_t days;

	ck_assert_int_eq(calendar_parse_date(date, &days), 0);
	return days;
}

static const struct calendar_policy one_day = { CALENDAR_WORKING_DAYS, 1 };

/* A calendar with the default hours and the given holidays and make-up
 * days, which must be in ascending order. */
static void
calendar_with(struct calendar *calendar, const char *const *holidays,
    const char *const *working_days)
{
	calendar_init_default(calendar);
	for (; holidays != NULL && *holidays != NULL; holidays++) {
		calendar->holidays = realloc(calendar->holidays,
		    (calendar->holiday_count + 1) * sizeof(int64_t));
		calendar->holidays[calendar->holiday_count++] = day_of(*holidays);
	}
	for (; working_days != NULL && *working_days != NULL; working_days++) {
		calendar->working_days = realloc(calendar->working_days,
		    (calendar->working_day_count + 1) * sizeof(int64_t));
		calendar->working_days[calendar->working_day_count++] =
		    day_of(*working_days);
	}
}

START_TEST(calendar_day_skips_weekend)
{
	struct calendar calendar;

	calendar_with(&calendar, NULL, NULL);
	/* Friday 10:00 plus one working day is Monday at 17:00. */
	ck_assert_int_eq(calendar_due(&calendar, local_ms(2025, 1, 3, 10, 0),
	    &one_day), local_ms(2025, 1, 6, 17, 0));
	calendar_clear(&calendar);
}
END_TEST

START_TEST(calendar_day_skips_holiday)
{
	static const char *const holidays[] = { "2025-04-30", "2025-05-01",
	    NULL };
	struct calendar calendar;

	calendar_with(&calendar, holidays, NULL);
	/* Tuesday 29 April plus one working day: Wednesday and Thursday are
	 * holidays, so Friday 2 May. */
	ck_assert_int_eq(calendar_due(&calendar, local_ms(2025, 4, 29, 10, 0),
	    &one_day), local_ms(2025, 5, 2, 17, 0));
	calendar_clear(&calendar);
}
END_TEST

START_TEST(calendar_day_skips_tet_week)
{
	static const char *const tet[] = { "2026-02-14", "2026-02-15",
	    "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19",
	    "2026-02-20", "2026-02-21", "2026-02-22", NULL };
	struct calendar_policy two_days = { CALENDAR_WORKING_DAYS, 2 };
	struct calendar calendar;

	calendar_with(&calendar, tet, NULL);
	/* Friday before the Tết holidays of 2026 plus two working days:
	 * Monday 23 and Tuesday 24 February. */
	ck_assert_int_eq(calendar_due(&calendar, local_ms(2026, 2, 13, 9, 0),
	    &two_days), local_ms(2026, 2, 24, 17, 0));
	calendar_clear(&calendar);
}
END_TEST

START_TEST(calendar_day_counts_makeup_saturday)
{
	static const char *const makeup[] = { "2025-04-26", NULL };
	struct calendar calendar;

	calendar_with(&calendar, NULL, makeup);
	ck_assert(calendar_is_working_day(&calendar, day_of("2025-04-26")));
	ck_assert(!calendar_is_working_day(&calendar, day_of("2025-04-27")));
	ck_assert_int_eq(calendar_due(&calendar, local_ms(2025, 4, 25, 10, 0),
	    &one_day), local_ms(2025, 4, 26, 17, 0));
	calendar_clear(&calendar);
}
END_TEST

START_TEST(calendar_day_after_hours_counts_next_morning)
{
	struct calendar calendar;

	calendar_with(&calendar, NULL, NULL);
	/* Monday 16:59 counts from Monday, 17:30 from Tuesday morning. */
	ck_assert_int_eq(calendar_due(&calendar, local_ms(2025, 1, 6, 16, 59),
	    &one_day), local_ms(2025, 1, 7, 17, 0));
	ck_assert_int_eq(calendar_due(&calendar, local_ms(2025, 1, 6, 17, 30),
	    &one_day), local_ms(2025, 1, 8, 17, 0));
	calendar_clear(&calendar);
}
END_TEST

START_TEST(calendar_hours_across_lunch)
{
	struct calendar_policy two_hours = { CALENDAR_WORKING_HOURS, 2 };
	struct calendar calendar;

	calendar_with(&calendar, NULL, NULL);
	/* 10:30 to 11:30 is one hour, 13:30 to 14:30 the second. */
	ck_assert_int_eq(calendar_due(&calendar, local_ms(2025, 1, 6, 10, 30),
	    &two_hours), local_ms(2025, 1, 6, 14, 30));
	/* Received at lunch, counting starts at 13:30. */
	ck_assert_int_eq(calendar_due(&calendar, local_ms(2025, 1, 6, 12, 0),
	    &two_hours), local_ms(2025, 1, 6, 15, 30));
	calendar_clear(&calendar);
}
END_TEST

START_TEST(calendar_hours_across_weekend)
{
	struct calendar_policy four_hours = { CALENDAR_WORKING_HOURS, 4 };
	struct calendar_policy one_hour = { CALENDAR_WORKING_HOURS, 1 };
	struct calendar calendar;

	calendar_with(&calendar, NULL, NULL);
	/* Half an hour on Friday, three and a half on Monday morning. */
	ck_assert_int_eq(calendar_due(&calendar, local_ms(2025, 1, 3, 16, 30),
	    &four_hours), local_ms(2025, 1, 6, 11, 0));
	/* Exactly the morning's four hours end at 11:30, not at 13:30. */
	ck_assert_int_eq(calendar_due(&calendar, local_ms(2025, 1, 6, 7, 30),
	    &four_hours), local_ms(2025, 1, 6, 11, 30));
	ck_assert_int_eq(calendar_due(&calendar, local_ms(2025, 1, 4, 22, 0),
	    &one_hour), local_ms(2025, 1, 6, 8, 30));
	calendar_clear(&calendar);
}
END_TEST

START_TEST(calendar_no_policy_no_deadline)
{
	struct calendar_policy none = { CALENDAR_NONE, 0 };
	struct calendar calendar;

	calendar_with(&calendar, NULL, NULL);
	ck_assert_int_eq(calendar_due(&calendar, local_ms(2025, 1, 6, 9, 0),
	    &none), 0);
	/* Every day off: no working day is ever found. */
	for (int i = 0; i < 7; i++)
		calendar.weekend[i] = true;
	ck_assert_int_eq(calendar_due(&calendar, local_ms(2025, 1, 6, 9, 0),
	    &one_day), 0);
	calendar_clear(&calendar);
}
END_TEST

START_TEST(calendar_parse_dates_and_times)
{
	int64_t days;
	int minute;

	ck_assert_int_eq(calendar_parse_date("1970-01-02", &days), 0);
	ck_assert_int_eq(days, 1);
	ck_assert_int_eq(calendar_parse_date("2024-02-29", &days), 0);
	ck_assert_int_eq(calendar_parse_date("2025-02-29", &days), -1);
	ck_assert_int_eq(calendar_parse_date("2025-1-05", &days), -1);
	ck_assert_int_eq(calendar_parse_time("07:30", &minute), 0);
	ck_assert_int_eq(minute, 450);
	ck_assert_int_eq(calendar_parse_time("24:01", &minute), -1);
	ck_assert_int_eq(calendar_parse_time("7:30", &minute), -1);
}
END_TEST

/* --- The rules matcher ------------------------------------------------------- */

static struct desk_department test_departments[] = {
	{ "moi-truong", "Phòng Tài nguyên và Môi trường", "Environment",
	  DESK_ASSIGNMENT_MANUAL },
	{ "giao-thong", "Phòng Quản lý đô thị", "Urban management",
	  DESK_ASSIGNMENT_MANUAL },
	{ "tiep-nhan", "Bộ phận tiếp nhận", "Intake desk",
	  DESK_ASSIGNMENT_MANUAL },
};

struct test_desk {
	struct hub_config_desk desk;
	struct desk_category categories[2];
	struct desk_commune communes[1];
};

static char *environment_keywords[3];
static char *traffic_keywords[2];

/* Environment: "rác", "ô nhiễm", "nước thải"; traffic: "ổ gà",
 * "đèn giao thông". Both lists come folded, as the loader stores them. */
static void
test_desk_init(struct test_desk *test)
{
	memset(test, 0, sizeof(*test));
	environment_keywords[0] = classify_words("Rác");
	environment_keywords[1] = classify_words("ô nhiễm");
	environment_keywords[2] = classify_words("NƯỚC THẢI");
	traffic_keywords[0] = classify_words("ổ gà");
	traffic_keywords[1] = classify_words("đèn giao thông");
	test->categories[0] = (struct desk_category){ .id = "environment",
	    .keywords = environment_keywords, .keyword_count = 3,
	    .department = &test_departments[0] };
	test->categories[1] = (struct desk_category){ .id = "traffic",
	    .keywords = traffic_keywords, .keyword_count = 2,
	    .department = &test_departments[1] };
	test->communes[0] = (struct desk_commune){ .id = "my-tho",
	    .name = "Phường Mỹ Tho",
	    .name_folded = classify_words("Phường Mỹ Tho") };
	test->desk.departments = test_departments;
	test->desk.department_count = 3;
	test->desk.categories = test->categories;
	test->desk.category_count = 2;
	test->desk.communes = test->communes;
	test->desk.commune_count = 1;
	test->desk.triage_department = &test_departments[2];
}

static void
test_desk_free(struct test_desk *test)
{
	for (int i = 0; i < 3; i++)
		free(environment_keywords[i]);
	for (int i = 0; i < 2; i++)
		free(traffic_keywords[i]);
	free(test->communes[0].name_folded);
}

/* The id of the category classify_category picks, or "" for none. */
static const char *
classify_test(const struct test_desk *test, const char *hint,
    const char *subject, const char *body)
{
	const struct desk_category *category = NULL;

	ck_assert_int_eq(classify_category(&test->desk, hint, NULL, subject,
	    body, &category), 0);
	return category != NULL ? category->id : "";
}

START_TEST(classify_words_folds_and_splits)
{
	char *words = classify_words("Rác thải, ĐẦY đường!");

	ck_assert_str_eq(words, " rac thai day duong ");
	free(words);
	words = classify_words("--");
	ck_assert_str_eq(words, " ");
	free(words);
}
END_TEST

START_TEST(classify_folds_case_and_marks)
{
	struct test_desk test;

	test_desk_init(&test);
	ck_assert_str_eq(classify_test(&test, NULL, "RÁC", "ngập"),
	    "environment");
	ck_assert_str_eq(classify_test(&test, NULL, NULL, "o nhiem khong khi"),
	    "environment");
	test_desk_free(&test);
}
END_TEST

START_TEST(classify_accepts_nfd_input)
{
	struct test_desk test;

	test_desk_init(&test);
	/* "Ổ gà" with the marks of Ổ decomposed: O, circumflex, hook above. */
	ck_assert_str_eq(classify_test(&test, NULL, NULL,
	    "O\xcc\x82\xcc\x89 ga\xcc\x80 giữa đường"), "traffic");
	test_desk_free(&test);
}
END_TEST

START_TEST(classify_matches_whole_words_only)
{
	struct test_desk test;

	test_desk_init(&test);
	ck_assert_str_eq(classify_test(&test, NULL, NULL,
	    "Bài Trắc nghiệm khó"), "");
	ck_assert_str_eq(classify_test(&test, NULL, NULL, "racing"), "");
	ck_assert_str_eq(classify_test(&test, NULL, NULL, "đống rác."),
	    "environment");
	test_desk_free(&test);
}
END_TEST

START_TEST(classify_matches_phrases)
{
	struct test_desk test;

	test_desk_init(&test);
	/* The words of a phrase must stand in a row. */
	ck_assert_str_eq(classify_test(&test, NULL, NULL,
	    "Đèn giao thông ở ngã tư bị tắt"), "traffic");
	ck_assert_str_eq(classify_test(&test, NULL, NULL,
	    "đèn đường, giao thông đông"), "");
	test_desk_free(&test);
}
END_TEST

START_TEST(classify_explicit_category_wins)
{
	struct test_desk test;

	test_desk_init(&test);
	ck_assert_str_eq(classify_test(&test, "traffic", NULL,
	    "rác rác rác"), "traffic");
	/* A hint that is not a configured id is only a hint. */
	ck_assert_str_eq(classify_test(&test, "Giao thông", NULL, "rác"),
	    "environment");
	test_desk_free(&test);
}
END_TEST

START_TEST(classify_most_hits_then_order)
{
	struct test_desk test;

	test_desk_init(&test);
	ck_assert_str_eq(classify_test(&test, NULL, "Ổ gà",
	    "ổ gà và rác"), "traffic");
	/* One hit each: the category listed first wins. */
	ck_assert_str_eq(classify_test(&test, NULL, NULL, "ổ gà và rác"),
	    "environment");
	test_desk_free(&test);
}
END_TEST

START_TEST(classify_commune_from_address)
{
	const struct desk_commune *commune;
	struct test_desk test;

	test_desk_init(&test);
	ck_assert_int_eq(classify_commune(&test.desk, NULL,
	    "12 Lê Lợi, phường Mỹ Tho, Đồng Tháp", &commune), 0);
	ck_assert_ptr_nonnull(commune);
	ck_assert_str_eq(commune->id, "my-tho");
	ck_assert_int_eq(classify_commune(&test.desk, NULL,
	    "12 Lê Lợi, phường Mỹ Thọ Tây", &commune), 0);
	/* NOTE: folding cannot tell "Mỹ Tho" from "Mỹ Thọ"; the first
	 * commune in the config that matches wins. */
	ck_assert_ptr_nonnull(commune);
	ck_assert_int_eq(classify_commune(&test.desk, NULL,
	    "xã Mỹ Phước", &commune), 0);
	ck_assert_ptr_null(commune);
	ck_assert_int_eq(classify_commune(&test.desk, NULL, NULL, &commune), 0);
	ck_assert_ptr_null(commune);
	test_desk_free(&test);
}
END_TEST

START_TEST(classify_channel_default_comes_third)
{
	struct test_desk test;
	struct desk_channel_category defaults[] = {
		{ "web", &test.categories[1] },
		{ "sms", &test.categories[0] },
	};
	const struct desk_category *category;

	test_desk_init(&test);
	test.desk.channel_categories = defaults;
	test.desk.channel_category_count = 2;

	/* 1. An explicit category from the channel wins over the default. */
	ck_assert_int_eq(classify_category(&test.desk, "environment", "web",
	    NULL, "không có từ khóa", &category), 0);
	ck_assert_str_eq(category->id, "environment");
	/* 2. Keywords win over the default. */
	ck_assert_int_eq(classify_category(&test.desk, NULL, "web", NULL,
	    "rác ở chợ", &category), 0);
	ck_assert_str_eq(category->id, "environment");
	/* 3. Without either, the channel's default. */
	ck_assert_int_eq(classify_category(&test.desk, NULL, "web", NULL,
	    "hỏi thủ tục", &category), 0);
	ck_assert_str_eq(category->id, "traffic");
	ck_assert_int_eq(classify_category(&test.desk, NULL, "sms", NULL,
	    "hỏi thủ tục", &category), 0);
	ck_assert_str_eq(category->id, "environment");
	/* A hint that is no configured id falls through to the default. */
	ck_assert_int_eq(classify_category(&test.desk, "Giao thông", "sms",
	    NULL, "hỏi thủ tục", &category), 0);
	ck_assert_str_eq(category->id, "environment");
	/* 4. A channel without a default, or none at all: triage. */
	ck_assert_int_eq(classify_category(&test.desk, NULL, "email", NULL,
	    "hỏi thủ tục", &category), 0);
	ck_assert_ptr_null(category);
	ck_assert_int_eq(classify_category(&test.desk, NULL, NULL, NULL,
	    "hỏi thủ tục", &category), 0);
	ck_assert_ptr_null(category);
	test_desk_free(&test);
}
END_TEST

/* Polygons as [latitude, longitude] points. */
static const struct desk_point area_square[] = {
	{ 0, 0 }, { 0, 10 }, { 10, 10 }, { 10, 0 },
};

/* A "U" open towards growing latitude: the notch from latitude 3 to 9 and
 * longitude 3 to 6 lies outside. */
static const struct desk_point area_concave[] = {
	{ 0, 0 }, { 0, 9 }, { 9, 9 }, { 9, 6 }, { 3, 6 }, { 3, 3 }, { 9, 3 },
	{ 9, 0 },
};

/* A diamond whose side vertices lie on the ray of a point at latitude 5. */
static const struct desk_point area_diamond[] = {
	{ 0, 5 }, { 5, 10 }, { 10, 5 }, { 5, 0 },
};

/* The square again with a closing point equal to the first. */
static const struct desk_point area_closed[] = {
	{ 0, 0 }, { 0, 10 }, { 10, 10 }, { 10, 0 }, { 0, 0 },
};

#define AREA(points) (points), sizeof(points) / sizeof((points)[0])

static const struct area_case {
	const char *name;
	const struct desk_point *area;
	size_t count;
	double latitude;
	double longitude;
	bool inside;
} area_cases[] = {
	{ "square centre", AREA(area_square), 5, 5, true },
	{ "square outside east", AREA(area_square), 5, 11, false },
	{ "square outside west", AREA(area_square), 5, -1, false },
	{ "square outside north", AREA(area_square), 10.5, 5, false },
	{ "square south edge", AREA(area_square), 0, 5, true },
	{ "square north edge", AREA(area_square), 10, 5, true },
	{ "square east edge", AREA(area_square), 5, 10, true },
	{ "square west edge", AREA(area_square), 5, 0, true },
	{ "square vertex", AREA(area_square), 0, 0, true },
	{ "square far vertex", AREA(area_square), 10, 10, true },
	{ "square just outside edge", AREA(area_square), -1e-6, 5, false },
	{ "square just inside edge", AREA(area_square), 1e-6, 5, true },
	{ "square edge line beyond", AREA(area_square), 0, 11, false },
	{ "concave base", AREA(area_concave), 1, 4.5, true },
	{ "concave west arm", AREA(area_concave), 6, 1.5, true },
	{ "concave east arm", AREA(area_concave), 6, 7.5, true },
	{ "concave notch", AREA(area_concave), 6, 4.5, false },
	{ "concave notch opening", AREA(area_concave), 9, 4.5, false },
	{ "concave notch bottom edge", AREA(area_concave), 3, 4.5, true },
	{ "concave notch side edge", AREA(area_concave), 6, 3, true },
	{ "concave notch corner", AREA(area_concave), 3, 6, true },
	{ "concave beyond east arm", AREA(area_concave), 6, 9.5, false },
	{ "diamond ray through vertices", AREA(area_diamond), 5, 2, true },
	{ "diamond west of vertex", AREA(area_diamond), 5, -1, false },
	{ "diamond east of vertex", AREA(area_diamond), 5, 12, false },
	{ "diamond side vertex", AREA(area_diamond), 5, 10, true },
	{ "diamond sloped edge", AREA(area_diamond), 2.5, 7.5, true },
	{ "diamond corner outside", AREA(area_diamond), 1, 1, false },
	{ "closed ring centre", AREA(area_closed), 5, 5, true },
	{ "closed ring outside", AREA(area_closed), 5, 11, false },
	{ "closed ring edge", AREA(area_closed), 0, 5, true },
	{ "two points contain nothing", area_square, 2, 0, 5, false },
};

START_TEST(classify_area_contains_table)
{
	const struct area_case *test = &area_cases[_i];

	ck_assert_msg(classify_area_contains(test->area, test->count,
	    test->latitude, test->longitude) == test->inside,
	    "%s: (%g, %g) expected %s", test->name, test->latitude,
	    test->longitude, test->inside ? "inside" : "outside");
}
END_TEST

START_TEST(classify_commune_location_before_address)
{
	struct desk_point my_phong_area[] = {
		{ 10.36, 106.30 }, { 10.36, 106.34 }, { 10.40, 106.34 },
		{ 10.40, 106.30 },
	};
	struct desk_commune communes[2];
	const struct desk_commune *commune;
	struct desk_point inside = { 10.38, 106.32 };
	struct desk_point outside = { 10.20, 106.32 };
	struct test_desk test;

	test_desk_init(&test);
	communes[0] = test.communes[0];
	communes[1] = (struct desk_commune){ .id = "my-phong",
	    .name = "Xã Mỹ Phong",
	    .name_folded = classify_words("Xã Mỹ Phong"),
	    .area = my_phong_area, .area_count = 4 };
	test.desk.communes = communes;
	test.desk.commune_count = 2;

	/* The area wins over the commune the address names. */
	ck_assert_int_eq(classify_commune(&test.desk, &inside,
	    "12 Lê Lợi, phường Mỹ Tho", &commune), 0);
	ck_assert_ptr_nonnull(commune);
	ck_assert_str_eq(commune->id, "my-phong");
	/* Outside every area: the address decides. */
	ck_assert_int_eq(classify_commune(&test.desk, &outside,
	    "12 Lê Lợi, phường Mỹ Tho", &commune), 0);
	ck_assert_ptr_nonnull(commune);
	ck_assert_str_eq(commune->id, "my-tho");
	/* Without a location: the address decides. */
	ck_assert_int_eq(classify_commune(&test.desk, NULL,
	    "12 Lê Lợi, phường Mỹ Tho", &commune), 0);
	ck_assert_str_eq(commune->id, "my-tho");
	/* Outside every area and no address: none. */
	ck_assert_int_eq(classify_commune(&test.desk, &outside, NULL,
	    &commune), 0);
	ck_assert_ptr_null(commune);

	free(communes[1].name_folded);
	test_desk_free(&test);
}
END_TEST

Suite *
calendar_suite(void)
{
	Suite *suite = suite_create("calendar");
	TCase *calendar = tcase_create("calendar");
	TCase *classify = tcase_create("classify");

	tcase_add_test(calendar, calendar_day_skips_weekend);
	tcase_add_test(calendar, calendar_day_skips_holiday);
	tcase_add_test(calendar, calendar_day_skips_tet_week);
	tcase_add_test(calendar, calendar_day_counts_makeup_saturday);
	tcase_add_test(calendar, calendar_day_after_hours_counts_next_morning);
	tcase_add_test(calendar, calendar_hours_across_lunch);
	tcase_add_test(calendar, calendar_hours_across_weekend);
	tcase_add_test(calendar, calendar_no_policy_no_deadline);
	tcase_add_test(calendar, calendar_parse_dates_and_times);
	suite_add_tcase(suite, calendar);

	tcase_add_test(classify, classify_words_folds_and_splits);
	tcase_add_test(classify, classify_folds_case_and_marks);
	tcase_add_test(classify, classify_accepts_nfd_input);
	tcase_add_test(classify, classify_matches_whole_words_only);
	tcase_add_test(classify, classify_matches_phrases);
	tcase_add_test(classify, classify_explicit_category_wins);
	tcase_add_test(classify, classify_most_hits_then_order);
	tcase_add_test(classify, classify_commune_from_address);
	tcase_add_test(classify, classify_channel_default_comes_third);
	tcase_add_loop_test(classify, classify_area_contains_table, 0,
	    (int)(sizeof(area_cases) / sizeof(area_cases[0])));
	tcase_add_test(classify, classify_commune_location_before_address);
	suite_add_tcase(suite, classify);
	return suite;
}
