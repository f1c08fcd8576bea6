/*
 * Spoken values: codes, numbers, dates and statuses as lists of fragment
 * names. The names are the same in both languages, and
 * templates/LANG/ivr/fragments.tsv gives each its text. A regional word
 * ("lẻ" or "linh", "ngàn" or "nghìn") is therefore chosen there, not here.
 * Pure functions with no state, safe on any thread.
 *
 * Vietnamese rules spoken here: 11..19 are single fragments ("mười một",
 * "mười lăm"); from 20 a tens word ("hai mươi") is followed by "mốt" for 1,
 * "tư" for 4 and "lăm" for 5; a zero tens digit after hundreds is "lẻ"
 * ("một trăm lẻ một", where 1, 4 and 5 keep their plain forms); a zero
 * hundreds digit after thousands is "không trăm" ("hai ngàn không trăm
 * hai mươi sáu").
 */
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "ivr_prompt.h"

/* Asia/Ho_Chi_Minh: UTC+7 all year, no daylight saving time since 1975. */
#define SAY_ZONE_OFFSET_SECONDS (7 * 3600)
#define SAY_NUMBER_MAX 999999L

enum say_language {
	SAY_VI,
	SAY_EN,
};

static const char *const say_units[20] = {
	"num_0", "num_1", "num_2", "num_3", "num_4", "num_5", "num_6",
	"num_7", "num_8", "num_9", "num_10", "num_11", "num_12", "num_13",
	"num_14", "num_15", "num_16", "num_17", "num_18", "num_19",
};

/* Indexed by the tens digit, from 2. */
static const char *const say_tens[10] = {
	NULL, NULL, "num_20", "num_30", "num_40", "num_50", "num_60",
	"num_70", "num_80", "num_90",
};

/* Indexed by the value, 1..19; 20 and 30 below. */
static const char *const say_ordinals[20] = {
	NULL, "ordinal_1", "ordinal_2", "ordinal_3", "ordinal_4",
	"ordinal_5", "ordinal_6", "ordinal_7", "ordinal_8", "ordinal_9",
	"ordinal_10", "ordinal_11", "ordinal_12", "ordinal_13", "ordinal_14",
	"ordinal_15", "ordinal_16", "ordinal_17", "ordinal_18", "ordinal_19",
};

static const char *const say_months[13] = {
	NULL, "month_1", "month_2", "month_3", "month_4", "month_5",
	"month_6", "month_7", "month_8", "month_9", "month_10", "month_11",
	"month_12",
};

static const struct {
	const char *status;
	const char *name;
} say_statuses[] = {
	{ "new", "status_new" },
	{ "assigned", "status_assigned" },
	{ "in_progress", "status_in_progress" },
	{ "waiting", "status_waiting" },
	{ "resolved", "status_resolved" },
	{ "closed", "status_closed" },
	/* Not a lifecycle status: a merged ticket's phrase, which the caller
	 * follows with the code of the ticket it was merged into. */
	{ "merged", "status_merged" },
};

static int
say_language_parse(const char *language, enum say_language *parsed)
{
	if (language == NULL)
		return -1;
	if (strcmp(language, "vi") == 0)
		*parsed = SAY_VI;
	else if (strcmp(language, "en") == 0)
		*parsed = SAY_EN;
	else
		return -1;
	return 0;
}

static int
say_add(struct ivr_say *say, const char *name)
{
	if (say->count >= IVR_SAY_MAX)
		return -1;
	say->names[say->count++] = name;
	return 0;
}

/* 0..99 after nothing or after hundreds. In Vietnamese, 1, 4 and 5 take
 * their forms after a tens word from 20 on. */
static int
say_below_100(enum say_language language, int value, struct ivr_say *say)
{
	int unit = value % 10;
	const char *unit_name = say_units[unit];

	if (value < 20)
		return say_add(say, say_units[value]);
	if (say_add(say, say_tens[value / 10]) != 0)
		return -1;
	if (unit == 0)
		return 0;
	if (language == SAY_VI && unit == 1)
		unit_name = "num_1_after_tens";
	else if (language == SAY_VI && unit == 4)
		unit_name = "num_4_after_tens";
	else if (language == SAY_VI && unit == 5)
		unit_name = "num_5_after_tens";
	return say_add(say, unit_name);
}

/* 1..999. A group after a thousands group (after_thousands) speaks its
 * hundreds even when zero ("không trăm") and "lẻ" before a lone unit. */
static int
say_below_1000_vi(int value, bool after_thousands, struct ivr_say *say)
{
	int hundreds = value / 100, rest = value % 100;
	bool has_hundreds = hundreds > 0 || after_thousands;

	if (has_hundreds && (say_add(say, say_units[hundreds]) != 0 ||
	    say_add(say, "num_hundred") != 0))
		return -1;
	if (rest == 0)
		return 0;
	if (has_hundreds && rest < 10)
		return say_add(say, "num_zero_tens") == 0 ?
		    say_add(say, say_units[rest]) : -1;
	return say_below_100(SAY_VI, rest, say);
}

/* 1..999 in English: "two hundred six", "one hundred twenty-one". */
static int
say_below_1000_en(int value, struct ivr_say *say)
{
	int hundreds = value / 100, rest = value % 100;

	if (hundreds > 0 && (say_add(say, say_units[hundreds]) != 0 ||
	    say_add(say, "num_hundred") != 0))
		return -1;
	if (rest == 0)
		return 0;
	return say_below_100(SAY_EN, rest, say);
}

static int
say_group(enum say_language language, int value, bool after_thousands,
    struct ivr_say *say)
{
	if (language == SAY_VI)
		return say_below_1000_vi(value, after_thousands, say);
	return say_below_1000_en(value, say);
}

static int
say_number_words(enum say_language language, long value,
    struct ivr_say *say)
{
	int thousands = (int)(value / 1000), rest = (int)(value % 1000);

	if (value == 0)
		return say_add(say, say_units[0]);
	if (thousands > 0 && (say_group(language, thousands, false, say) != 0 ||
	    say_add(say, "num_thousand") != 0))
		return -1;
	if (rest == 0)
		return 0;
	return say_group(language, rest, thousands > 0, say);
}

int
ivr_say_number(const char *language, long value, struct ivr_say *say)
{
	enum say_language parsed;
	size_t count = say->count;

	if (say_language_parse(language, &parsed) != 0 || value < 0 ||
	    value > SAY_NUMBER_MAX)
		return -1;
	if (say_number_words(parsed, value, say) != 0) {
		say->count = count;
		return -1;
	}
	return 0;
}

int
ivr_say_code(const char *language, const char *code, struct ivr_say *say)
{
	enum say_language parsed;
	size_t count = say->count;
	int digits = 0;

	if (say_language_parse(language, &parsed) != 0 || code == NULL)
		return -1;
	for (const char *c = code; *c != '\0'; c++) {
		if (*c == '-' || *c == ' ')
			continue;
		if (*c < '0' || *c > '9' || digits == 10)
			goto fail;
		if ((digits == 4 || digits == 8) &&
		    say_add(say, "silence_300") != 0)
			goto fail;
		if (say_add(say, say_units[*c - '0']) != 0)
			goto fail;
		digits++;
	}
	if (digits == 10)
		return 0;
fail:
	say->count = count;
	return -1;
}

/* A day of the month as an English ordinal: "fifth", "twenty" "first". */
static int
say_ordinal_en(int day, struct ivr_say *say)
{
	if (day < 20)
		return say_add(say, say_ordinals[day]);
	if (day % 10 == 0)
		return say_add(say, day == 20 ? "ordinal_20" : "ordinal_30");
	return say_add(say, say_tens[day / 10]) == 0 ?
	    say_add(say, say_ordinals[day % 10]) : -1;
}

/* English years in pairs ("twenty twenty-six", "nineteen ninety-nine").
 * Years whose last two digits are below 10 (2000..2009, 1900) and years
 * outside 1000..9999 are read as numbers ("two thousand five"). */
static int
say_year_en(int year, struct ivr_say *say)
{
	if (year < 1000 || year > 9999 || year % 100 < 10)
		return say_number_words(SAY_EN, year, say);
	return say_below_100(SAY_EN, year / 100, say) == 0 ?
	    say_below_100(SAY_EN, year % 100, say) : -1;
}

static int
say_date_words(enum say_language language, const struct tm *day,
    struct ivr_say *say)
{
	int year = day->tm_year + 1900;

	/* "ngày mùng năm tháng mười hai năm hai ngàn không trăm hai mươi
	 * sáu": the first ten days of a month take "mùng" (the southern and
	 * common spoken form; "mồng" in the north). */
	if (language == SAY_VI)
		return say_add(say, day->tm_mday <= 10 ? "date_day_early" :
		    "date_day") != 0 ||
		    say_number_words(SAY_VI, day->tm_mday, say) != 0 ||
		    say_add(say, say_months[day->tm_mon + 1]) != 0 ||
		    say_add(say, "date_year") != 0 ||
		    say_number_words(SAY_VI, year, say) != 0 ? -1 : 0;
	/* "December fifth, twenty twenty-six" */
	return say_add(say, say_months[day->tm_mon + 1]) != 0 ||
	    say_ordinal_en(day->tm_mday, say) != 0 ||
	    say_year_en(year, say) != 0 ? -1 : 0;
}

int
ivr_say_date(const char *language, int64_t unix_ms, struct ivr_say *say)
{
	enum say_language parsed;
	size_t count = say->count;
	int64_t seconds = unix_ms / 1000 - (unix_ms % 1000 < 0 ? 1 : 0);
	time_t local = (time_t)(seconds + SAY_ZONE_OFFSET_SECONDS);
	struct tm day;

	if (say_language_parse(language, &parsed) != 0 ||
	    gmtime_r(&local, &day) == NULL || day.tm_year + 1900 < 1 ||
	    day.tm_year + 1900 > SAY_NUMBER_MAX)
		return -1;
	if (say_date_words(parsed, &day, say) != 0) {
		say->count = count;
		return -1;
	}
	return 0;
}

int
ivr_say_status(const char *language, const char *status, struct ivr_say *say)
{
	enum say_language parsed;

	if (say_language_parse(language, &parsed) != 0 || status == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(say_statuses) / sizeof(say_statuses[0]);
	    i++)
		if (strcmp(status, say_statuses[i].status) == 0)
			return say_add(say, say_statuses[i].name);
	return -1;
}
