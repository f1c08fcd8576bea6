#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check_suites.h"
#include "ivr_prompt.h"

/* 2026-12-05 00:00 in Asia/Ho_Chi_Minh (UTC+7) is 2026-12-04 17:00 UTC. */
#define CHECK_SAY_DEC5_MS 1796403600000LL

/* The spoken names, space-separated, or "(failed)". */
static const char *
check_say_text(const struct ivr_say *say, int rc)
{
	static char text[1024];
	size_t used = 0;

	if (rc != 0)
		return "(failed)";
	text[0] = '\0';
	for (size_t i = 0; i < say->count; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used,
		    "%s%s", i > 0 ? " " : "", say->names[i]);
	return text;
}

static const char *
check_say_number(const char *language, long value)
{
	struct ivr_say say = { 0 };

	return check_say_text(&say, ivr_say_number(language, value, &say));
}

static const char *
check_say_date(const char *language, int64_t unix_ms)
{
	struct ivr_say say = { 0 };

	return check_say_text(&say, ivr_say_date(language, unix_ms, &say));
}

static const char *
check_say_code(const char *language, const char *code)
{
	struct ivr_say say = { 0 };

	return check_say_text(&say, ivr_say_code(language, code, &say));
}

/* Unix milliseconds of noon on a day in Asia/Ho_Chi_Minh. */
static int64_t
check_say_noon(int year, int month, int day)
{
	struct tm tm = {
		.tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = day,
		.tm_hour = 12 - 7,
	};

	return (int64_t)timegm(&tm) * 1000;
}

static const struct {
	long value;
	const char *vi;
	const char *en;
} check_say_numbers[] = {
	{ 0, "num_0", "num_0" },
	{ 5, "num_5", "num_5" },
	{ 10, "num_10", "num_10" },
	{ 11, "num_11", "num_11" },
	{ 14, "num_14", "num_14" },
	{ 15, "num_15", "num_15" },
	{ 20, "num_20", "num_20" },
	{ 21, "num_20 num_1_after_tens", "num_20 num_1" },
	{ 24, "num_20 num_4_after_tens", "num_20 num_4" },
	{ 25, "num_20 num_5_after_tens", "num_20 num_5" },
	{ 26, "num_20 num_6", "num_20 num_6" },
	{ 91, "num_90 num_1_after_tens", "num_90 num_1" },
	{ 100, "num_1 num_hundred", "num_1 num_hundred" },
	{ 101, "num_1 num_hundred num_zero_tens num_1",
	    "num_1 num_hundred num_1" },
	{ 104, "num_1 num_hundred num_zero_tens num_4",
	    "num_1 num_hundred num_4" },
	{ 105, "num_1 num_hundred num_zero_tens num_5",
	    "num_1 num_hundred num_5" },
	{ 110, "num_1 num_hundred num_10", "num_1 num_hundred num_10" },
	{ 115, "num_1 num_hundred num_15", "num_1 num_hundred num_15" },
	{ 121, "num_1 num_hundred num_20 num_1_after_tens",
	    "num_1 num_hundred num_20 num_1" },
	{ 1000, "num_1 num_thousand", "num_1 num_thousand" },
	{ 1005, "num_1 num_thousand num_0 num_hundred num_zero_tens num_5",
	    "num_1 num_thousand num_5" },
	{ 1010, "num_1 num_thousand num_0 num_hundred num_10",
	    "num_1 num_thousand num_10" },
	{ 1100, "num_1 num_thousand num_1 num_hundred",
	    "num_1 num_thousand num_1 num_hundred" },
	{ 2026, "num_2 num_thousand num_0 num_hundred num_20 num_6",
	    "num_2 num_thousand num_20 num_6" },
	{ 9999, "num_9 num_thousand num_9 num_hundred num_90 num_9",
	    "num_9 num_thousand num_9 num_hundred num_90 num_9" },
	{ 15000, "num_15 num_thousand", "num_15 num_thousand" },
	{ 105005, "num_1 num_hundred num_zero_tens num_5 num_thousand "
	    "num_0 num_hundred num_zero_tens num_5",
	    "num_1 num_hundred num_5 num_thousand num_5" },
	{ 999999, "num_9 num_hundred num_90 num_9 num_thousand num_9 "
	    "num_hundred num_90 num_9",
	    "num_9 num_hundred num_90 num_9 num_thousand num_9 num_hundred "
	    "num_90 num_9" },
};

START_TEST(number_vietnamese_rules)
{
	const char *expected = check_say_numbers[_i].vi;
	long value = check_say_numbers[_i].value;

	ck_assert_msg(strcmp(check_say_number("vi", value), expected) == 0,
	    "vi %ld: got \"%s\", expected \"%s\"", value,
	    check_say_number("vi", value), expected);
}
END_TEST

START_TEST(number_english_rules)
{
	const char *expected = check_say_numbers[_i].en;
	long value = check_say_numbers[_i].value;

	ck_assert_msg(strcmp(check_say_number("en", value), expected) == 0,
	    "en %ld: got \"%s\", expected \"%s\"", value,
	    check_say_number("en", value), expected);
}
END_TEST

START_TEST(number_out_of_range)
{
	struct ivr_say say = { 0 };

	ck_assert_int_eq(ivr_say_number("vi", -1, &say), -1);
	ck_assert_int_eq(ivr_say_number("vi", 1000000, &say), -1);
	ck_assert_int_eq(ivr_say_number("fr", 5, &say), -1);
	ck_assert_int_eq(ivr_say_number(NULL, 5, &say), -1);
	ck_assert_uint_eq(say.count, 0);
}
END_TEST

START_TEST(number_appends_or_leaves_say)
{
	struct ivr_say say = { 0 };

	ck_assert_int_eq(ivr_say_status("vi", "new", &say), 0);
	ck_assert_int_eq(ivr_say_number("vi", 21, &say), 0);
	ck_assert_uint_eq(say.count, 3);
	ck_assert_str_eq(say.names[0], "status_new");
	ck_assert_str_eq(say.names[2], "num_1_after_tens");

	/* 105005 takes 9 names; with 42 taken, nothing is added. */
	say.count = IVR_SAY_MAX - 6;
	ck_assert_int_eq(ivr_say_number("vi", 105005, &say), -1);
	ck_assert_uint_eq(say.count, IVR_SAY_MAX - 6);
}
END_TEST

START_TEST(code_groups_four_four_two)
{
	const char *expected = "num_3 num_8 num_0 num_5 silence_300 num_1 "
	    "num_7 num_2 num_9 silence_300 num_6 num_1";

	ck_assert_str_eq(check_say_code("vi", "3805172961"), expected);
	ck_assert_str_eq(check_say_code("en", "3805172961"), expected);
	ck_assert_str_eq(check_say_code("vi", "3805-1729-61"), expected);
	ck_assert_str_eq(check_say_code("vi", "3805 1729 61"), expected);
}
END_TEST

START_TEST(code_rejects_other_input)
{
	struct ivr_say say = { 0 };

	ck_assert_str_eq(check_say_code("vi", "380517296"), "(failed)");
	ck_assert_str_eq(check_say_code("vi", "38051729611"), "(failed)");
	ck_assert_str_eq(check_say_code("vi", "38051729a1"), "(failed)");
	ck_assert_str_eq(check_say_code("vi", ""), "(failed)");
	ck_assert_str_eq(check_say_code("de", "3805172961"), "(failed)");
	ck_assert_int_eq(ivr_say_code("vi", NULL, &say), -1);

	/* A failed code leaves earlier names in place and adds none. */
	ck_assert_int_eq(ivr_say_status("vi", "closed", &say), 0);
	ck_assert_int_eq(ivr_say_code("vi", "3805x", &say), -1);
	ck_assert_uint_eq(say.count, 1);
	say.count = IVR_SAY_MAX - 11;
	ck_assert_int_eq(ivr_say_code("vi", "3805172961", &say), -1);
	ck_assert_uint_eq(say.count, IVR_SAY_MAX - 11);
}
END_TEST

START_TEST(date_vietnamese)
{
	ck_assert_str_eq(check_say_date("vi", CHECK_SAY_DEC5_MS),
	    "date_day_early num_5 month_12 date_year num_2 num_thousand num_0 "
	    "num_hundred num_20 num_6");
	ck_assert_str_eq(check_say_date("vi", check_say_noon(2027, 4, 24)),
	    "date_day num_20 num_4_after_tens month_4 date_year num_2 "
	    "num_thousand num_0 num_hundred num_20 num_7");
	ck_assert_str_eq(check_say_date("vi", check_say_noon(2031, 1, 1)),
	    "date_day_early num_1 month_1 date_year num_2 num_thousand num_0 "
	    "num_hundred num_30 num_1_after_tens");
	ck_assert_str_eq(check_say_date("vi", check_say_noon(2005, 10, 15)),
	    "date_day num_15 month_10 date_year num_2 num_thousand num_0 "
	    "num_hundred num_zero_tens num_5");
}
END_TEST

START_TEST(date_english)
{
	ck_assert_str_eq(check_say_date("en", CHECK_SAY_DEC5_MS),
	    "month_12 ordinal_5 num_20 num_20 num_6");
	ck_assert_str_eq(check_say_date("en", check_say_noon(2027, 4, 24)),
	    "month_4 num_20 ordinal_4 num_20 num_20 num_7");
}
END_TEST

START_TEST(date_english_ordinals_and_years)
{
	ck_assert_str_eq(check_say_date("en", check_say_noon(2027, 4, 21)),
	    "month_4 num_20 ordinal_1 num_20 num_20 num_7");
	ck_assert_str_eq(check_say_date("en", check_say_noon(2027, 4, 20)),
	    "month_4 ordinal_20 num_20 num_20 num_7");
	ck_assert_str_eq(check_say_date("en", check_say_noon(2027, 3, 30)),
	    "month_3 ordinal_30 num_20 num_20 num_7");
	ck_assert_str_eq(check_say_date("en", check_say_noon(2027, 3, 31)),
	    "month_3 num_30 ordinal_1 num_20 num_20 num_7");
	ck_assert_str_eq(check_say_date("en", check_say_noon(2005, 7, 13)),
	    "month_7 ordinal_13 num_2 num_thousand num_5");
	ck_assert_str_eq(check_say_date("en", check_say_noon(2010, 7, 2)),
	    "month_7 ordinal_2 num_20 num_10");
	ck_assert_str_eq(check_say_date("en", check_say_noon(1999, 12, 31)),
	    "month_12 num_30 ordinal_1 num_19 num_90 num_9");
}
END_TEST

START_TEST(date_uses_utc_plus_seven)
{
	/* One millisecond before local midnight is still the 4th. */
	ck_assert_str_eq(check_say_date("en", CHECK_SAY_DEC5_MS - 1),
	    "month_12 ordinal_4 num_20 num_20 num_6");
	ck_assert_str_eq(check_say_date("en", CHECK_SAY_DEC5_MS),
	    "month_12 ordinal_5 num_20 num_20 num_6");
	/* 1969-12-31 23:59:59.999 UTC is 06:59 on 1 January 1970 there. */
	ck_assert_str_eq(check_say_date("en", -1),
	    "month_1 ordinal_1 num_19 num_70");
	ck_assert_str_eq(check_say_date("xx", 0), "(failed)");
}
END_TEST

START_TEST(status_names)
{
	static const char *const statuses[] = {
		"new", "assigned", "in_progress", "waiting", "resolved",
		"closed", "merged",
	};
	struct ivr_say say = { 0 };
	char expected[64];

	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		say.count = 0;
		ck_assert_int_eq(ivr_say_status("en", statuses[i], &say), 0);
		snprintf(expected, sizeof(expected), "status_%s", statuses[i]);
		ck_assert_uint_eq(say.count, 1);
		ck_assert_str_eq(say.names[0], expected);
	}
	say.count = 0;
	ck_assert_int_eq(ivr_say_status("vi", "open", &say), -1);
	ck_assert_int_eq(ivr_say_status("vi", "", &say), -1);
	ck_assert_int_eq(ivr_say_status("vi", NULL, &say), -1);
	ck_assert_int_eq(ivr_say_status("es", "new", &say), -1);
	ck_assert_uint_eq(say.count, 0);
}
END_TEST

/* The names that templates/LANG/ivr/ defines: NAME.txt files and the
 * first column of fragments.tsv, plus the sounds that render_prompts.sh
 * makes with sox. */
struct check_say_names {
	char *names[256];
	size_t count;
};

static int
check_say_names_compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
check_say_names_add(struct check_say_names *names, const char *name)
{
	ck_assert_uint_lt(names->count, 256);
	names->names[names->count] = strdup(name);
	ck_assert_ptr_nonnull(names->names[names->count]);
	names->count++;
}

static void
check_say_names_read_fragments(struct check_say_names *names,
    const char *folder)
{
	char path[1100], line[512];
	FILE *file;

	snprintf(path, sizeof(path), "%s/fragments.tsv", folder);
	file = fopen(path, "r");
	ck_assert_msg(file != NULL, "%s not readable", path);
	while (fgets(line, sizeof(line), file) != NULL) {
		char *tab = strchr(line, '\t');

		if (line[0] == '#' || line[0] == '\n')
			continue;
		ck_assert_msg(tab != NULL && tab[1] != '\n',
		    "%s: line without NAME<TAB>TEXT: %s", path, line);
		*tab = '\0';
		check_say_names_add(names, line);
	}
	fclose(file);
}

static void
check_say_names_load(struct check_say_names *names, const char *language)
{
	char folder[1024];
	struct dirent *entry;
	DIR *dir;

	names->count = 0;
	snprintf(folder, sizeof(folder), "%s/%s/ivr", TEST_TEMPLATE_DIR,
	    language);
	dir = opendir(folder);
	ck_assert_msg(dir != NULL, "%s not readable", folder);
	while ((entry = readdir(dir)) != NULL) {
		size_t length = strlen(entry->d_name);

		if (length > 4 &&
		    strcmp(entry->d_name + length - 4, ".txt") == 0) {
			entry->d_name[length - 4] = '\0';
			check_say_names_add(names, entry->d_name);
		}
	}
	closedir(dir);
	check_say_names_read_fragments(names, folder);
	check_say_names_add(names, "beep");
	check_say_names_add(names, "silence_300");
	qsort(names->names, names->count, sizeof(names->names[0]),
	    check_say_names_compare);
}

static void
check_say_names_free(struct check_say_names *names)
{
	for (size_t i = 0; i < names->count; i++)
		free(names->names[i]);
	names->count = 0;
}


/* Whether names (sorted by check_say_names_load) has name. */
static bool
check_say_names_have(const struct check_say_names *names, const char *name)
{
	return bsearch(&name, names->names, names->count,
	    sizeof(names->names[0]), check_say_names_compare) != NULL;
}

/* Asserts that every name in say exists in both languages' texts. */
static void
check_say_all_defined(const struct check_say_names *vi,
    const struct check_say_names *en, const struct ivr_say *say,
    const char *what)
{
	/* Check records every assertion, which is slow over 80,000 values,
	 * so only a missing name reaches it. */
	for (size_t i = 0; i < say->count; i++) {
		if (!check_say_names_have(vi, say->names[i]))
			ck_abort_msg("%s: %s has no text in templates/vi/ivr",
			    what, say->names[i]);
		if (!check_say_names_have(en, say->names[i]))
			ck_abort_msg("%s: %s has no text in templates/en/ivr",
			    what, say->names[i]);
	}
}

static void
check_say_all_dates(const struct check_say_names *vi,
    const struct check_say_names *en, const char *language)
{
	struct ivr_say say;
	char what[64];

	for (int year = 2020; year <= 2099; year++)
		for (int month = 1; month <= 12; month++)
			for (int day = 1; day <= 31; day++) {
				say.count = 0;
				snprintf(what, sizeof(what), "%s %d-%d-%d",
				    language, year, month, day);
				if (ivr_say_date(language, check_say_noon(year,
				    month, day), &say) != 0)
					ck_abort_msg("%s not spoken", what);
				check_say_all_defined(vi, en, &say, what);
			}
}

START_TEST(every_name_has_a_text)
{
	static const char *const languages[] = { "vi", "en" };
	static const char *const statuses[] = {
		"new", "assigned", "in_progress", "waiting", "resolved",
		"closed", "merged",
	};
	struct check_say_names vi, en;
	struct ivr_say say;
	char what[64];

	check_say_names_load(&vi, "vi");
	check_say_names_load(&en, "en");
	for (size_t l = 0; l < 2; l++) {
		for (long n = 0; n <= 9999; n++) {
			say.count = 0;
			snprintf(what, sizeof(what), "%s %ld", languages[l], n);
			if (ivr_say_number(languages[l], n, &say) != 0)
				ck_abort_msg("%s not spoken", what);
			check_say_all_defined(&vi, &en, &say, what);
		}
		check_say_all_dates(&vi, &en, languages[l]);
		for (size_t s = 0; s < 7; s++) {
			say.count = 0;
			ck_assert_int_eq(ivr_say_status(languages[l],
			    statuses[s], &say), 0);
			check_say_all_defined(&vi, &en, &say, statuses[s]);
		}
		say.count = 0;
		ck_assert_int_eq(ivr_say_code(languages[l], "0123456789",
		    &say), 0);
		check_say_all_defined(&vi, &en, &say, "code");
	}
	check_say_names_free(&vi);
	check_say_names_free(&en);
}
END_TEST

/* Both languages define the same names: the menu may name any of them. */
START_TEST(languages_define_same_names)
{
	struct check_say_names vi, en;

	check_say_names_load(&vi, "vi");
	check_say_names_load(&en, "en");
	ck_assert_uint_eq(vi.count, en.count);
	for (size_t i = 0; i < vi.count; i++)
		ck_assert_msg(check_say_names_have(&en, vi.names[i]),
		    "%s is in templates/vi/ivr only", vi.names[i]);
	check_say_names_free(&vi);
	check_say_names_free(&en);
}
END_TEST

Suite *
ivr_say_suite(void)
{
	Suite *suite = suite_create("ivr_say");
	TCase *numbers = tcase_create("numbers");
	TCase *values = tcase_create("values");
	TCase *texts = tcase_create("texts");
	size_t cases = sizeof(check_say_numbers) / sizeof(check_say_numbers[0]);

	tcase_add_loop_test(numbers, number_vietnamese_rules, 0, (int)cases);
	tcase_add_loop_test(numbers, number_english_rules, 0, (int)cases);
	tcase_add_test(numbers, number_out_of_range);
	tcase_add_test(numbers, number_appends_or_leaves_say);
	tcase_add_test(values, code_groups_four_four_two);
	tcase_add_test(values, code_rejects_other_input);
	tcase_add_test(values, date_vietnamese);
	tcase_add_test(values, date_english);
	tcase_add_test(values, date_english_ordinals_and_years);
	tcase_add_test(values, date_uses_utc_plus_seven);
	tcase_add_test(values, status_names);
	tcase_add_test(texts, every_name_has_a_text);
	tcase_add_test(texts, languages_define_same_names);
	suite_add_tcase(suite, numbers);
	suite_add_tcase(suite, values);
	suite_add_tcase(suite, texts);
	return suite;
}
