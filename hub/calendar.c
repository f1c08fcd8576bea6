#include "calendar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CALENDAR_DAY_MS (86400 * 1000LL)
#define CALENDAR_MINUTE_MS (60 * 1000LL)
/* How far a search for the next working day goes before it gives up: a
 * calendar whose every day is off would otherwise loop for ever. */
#define CALENDAR_SEARCH_DAYS 3660

void
calendar_init_default(struct calendar *calendar)
{
	memset(calendar, 0, sizeof(*calendar));
	calendar->periods[0] = (struct calendar_period){ 7 * 60 + 30, 11 * 60 + 30 };
	calendar->periods[1] = (struct calendar_period){ 13 * 60 + 30, 17 * 60 };
	calendar->period_count = 2;
	calendar->weekend[0] = true;
	calendar->weekend[6] = true;
}

void
calendar_clear(struct calendar *calendar)
{
	free(calendar->holidays);
	free(calendar->working_days);
	calendar->holidays = NULL;
	calendar->working_days = NULL;
	calendar->holiday_count = 0;
	calendar->working_day_count = 0;
}

static bool
calendar_day_listed(const int64_t *days, size_t count, int64_t day)
{
	size_t low = 0, high = count;

	while (low < high) {
		size_t middle = low + (high - low) / 2;

		if (days[middle] == day)
			return true;
		if (days[middle] < day)
			low = middle + 1;
		else
			high = middle;
	}
	return false;
}

/* Floor division, so that times before 1970 still land on the right day. */
static int64_t
calendar_floor_div(int64_t a, int64_t b)
{
	int64_t quotient = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient;
}

bool
calendar_is_working_day(const struct calendar *calendar, int64_t day)
{
	/* 1970-01-01 was a Thursday (weekday 4). */
	int64_t weekday = (day + 4) % 7;

	if (weekday < 0)
		weekday += 7;

	if (calendar_day_listed(calendar->working_days,
	    calendar->working_day_count, day))
		return true;
	if (calendar_day_listed(calendar->holidays, calendar->holiday_count,
	    day))
		return false;
	return !calendar->weekend[weekday];
}

static int64_t
calendar_period_start_ms(int64_t day, const struct calendar_period *period)
{
	return day * CALENDAR_DAY_MS - CALENDAR_UTC_OFFSET_MS +
	    period->start_minute * CALENDAR_MINUTE_MS;
}

static int64_t
calendar_period_end_ms(int64_t day, const struct calendar_period *period)
{
	return day * CALENDAR_DAY_MS - CALENDAR_UTC_OFFSET_MS +
	    period->end_minute * CALENDAR_MINUTE_MS;
}

/*
 * Finds the working period that contains start_ms, or else the next one.
 * Sets *day and *index to it and *from_ms to the later of start_ms and the
 * period's start. Returns 0, or -1 when no working day comes within
 * CALENDAR_SEARCH_DAYS.
 */
static int
calendar_next_period(const struct calendar *calendar, int64_t start_ms,
    int64_t *day, int *index, int64_t *from_ms)
{
	int64_t first = calendar_floor_div(start_ms + CALENDAR_UTC_OFFSET_MS,
	    CALENDAR_DAY_MS);

	for (int64_t d = first; d < first + CALENDAR_SEARCH_DAYS; d++) {
		if (!calendar_is_working_day(calendar, d))
			continue;
		for (int i = 0; i < calendar->period_count; i++) {
			const struct calendar_period *period =
			    &calendar->periods[i];

			if (calendar_period_end_ms(d, period) <= start_ms)
				continue;
			*day = d;
			*index = i;
			*from_ms = start_ms > calendar_period_start_ms(d, period) ?
			    start_ms : calendar_period_start_ms(d, period);
			return 0;
		}
	}
	return -1;
}

static int64_t
calendar_due_days(const struct calendar *calendar, int64_t day, int amount)
{
	const struct calendar_period *last =
	    &calendar->periods[calendar->period_count - 1];
	int64_t limit = day + CALENDAR_SEARCH_DAYS;

	while (amount > 0 && day < limit) {
		day++;
		if (calendar_is_working_day(calendar, day))
			amount--;
	}
	return amount == 0 ? calendar_period_end_ms(day, last) : 0;
}

static int64_t
calendar_due_hours(const struct calendar *calendar, int64_t day, int index,
    int64_t from_ms, int amount)
{
	int64_t remaining = amount * 60 * CALENDAR_MINUTE_MS;

	for (;;) {
		int64_t end = calendar_period_end_ms(day,
		    &calendar->periods[index]);

		if (from_ms + remaining <= end)
			return from_ms + remaining;
		remaining -= end - from_ms;
		if (calendar_next_period(calendar, end, &day, &index,
		    &from_ms) != 0)
			return 0;
	}
}

int64_t
calendar_due(const struct calendar *calendar, int64_t start_ms,
    const struct calendar_policy *policy)
{
	int64_t day, from_ms;
	int index;

	if (policy->unit == CALENDAR_NONE || policy->amount <= 0 ||
	    calendar->period_count == 0)
		return 0;
	if (calendar_next_period(calendar, start_ms, &day, &index,
	    &from_ms) != 0)
		return 0;
	if (policy->unit == CALENDAR_WORKING_DAYS)
		return calendar_due_days(calendar, day, policy->amount);
	return calendar_due_hours(calendar, day, index, from_ms,
	    policy->amount);
}

int
calendar_days_from_date(int year, int month, int day, int64_t *days)
{
	static const int month_days[12] = { 31, 28, 31, 30, 31, 30, 31, 31,
	    30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	if (year < 1970 || year > 9999 || month < 1 || month > 12 || day < 1 ||
	    day > month_days[month - 1] + (month == 2 && leap ? 1 : 0))
		return -1;

	/* Days from civil dates, with the year starting in March so that the
	 * leap day falls at its end. */
	int64_t y = month <= 2 ? year - 1 : year;
	int64_t era = y / 400;
	int64_t year_of_era = y - era * 400;
	int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) /
	    5 + day - 1;
	int64_t day_of_era = year_of_era * 365 + year_of_era / 4 -
	    year_of_era / 100 + day_of_year;
	*days = era * 146097 + day_of_era - 719468;
	return 0;
}

int
calendar_parse_date(const char *text, int64_t *days)
{
	int year, month, day, used = 0;

	if (strlen(text) != 10 || text[4] != '-' || text[7] != '-' ||
	    strspn(text, "0123456789-") != 10)
		return -1;
	if (sscanf(text, "%4d-%2d-%2d%n", &year, &month, &day, &used) != 3 ||
	    used != 10)
		return -1;
	return calendar_days_from_date(year, month, day, days);
}

int
calendar_parse_time(const char *text, int *minute)
{
	if (strlen(text) != 5 || text[2] != ':' ||
	    strspn(text, "0123456789") != 2 ||
	    strspn(text + 3, "0123456789") != 2)
		return -1;

	int hour = (text[0] - '0') * 10 + (text[1] - '0');
	int minutes = (text[3] - '0') * 10 + (text[4] - '0');
	if (hour > 24 || minutes > 59 || (hour == 24 && minutes != 0))
		return -1;
	*minute = hour * 60 + minutes;
	return 0;
}
