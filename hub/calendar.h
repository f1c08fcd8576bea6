/*
 * The working calendar of the province's offices: office hours, the weekly
 * days off, public holidays and make-up working days, in Vietnam time
 * (UTC+7, no daylight saving time). It turns a received time and a policy
 * ("3 working days", "8 working hours") into a due time.
 *
 * Days are counted as days since 1970-01-01 in Vietnam time. The lunar
 * holidays (Tết) move every year, so the operator lists them per year; the
 * calendar computes none.
 */
#ifndef HUB_CALENDAR_H
#define HUB_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"

#define CALENDAR_UTC_OFFSET_MS CLOCK_VIETNAM_OFFSET_MS
#define CALENDAR_PERIODS_MAX 8

/* One span of office hours, in minutes after local midnight. */
struct calendar_period {
	int start_minute;
	int end_minute;
};

struct calendar {
	struct calendar_period periods[CALENDAR_PERIODS_MAX];	/* ascending */
	int period_count;
	bool weekend[7];	/* by weekday, 0 = Sunday */
	int64_t *holidays;	/* days, sorted ascending */
	size_t holiday_count;
	int64_t *working_days;	/* make-up working days, sorted ascending */
	size_t working_day_count;
};

enum calendar_unit {
	CALENDAR_NONE,		/* no deadline */
	CALENDAR_WORKING_DAYS,
	CALENDAR_WORKING_HOURS,
};

struct calendar_policy {
	enum calendar_unit unit;
	int amount;
};

/* Sets the defaults: office hours 07:30-11:30 and 13:30-17:00, Saturday and
 * Sunday off, no holidays and no make-up days. */
void calendar_init_default(struct calendar *calendar);

/* Frees the holiday and make-up day arrays. */
void calendar_clear(struct calendar *calendar);

/* Whether day is a working day: a make-up working day always is, otherwise
 * holidays and weekend days are not. */
bool calendar_is_working_day(const struct calendar *calendar, int64_t day);

/* Computes the due time of a report received at start_ms (Unix ms, UTC)
 * under policy. A report received outside office hours counts from the
 * start of the next working period. N working days end at the close of
 * office hours of the Nth working day after the day counting starts; N
 * working hours count only office hours of working days. Returns the due
 * time in Unix ms, or 0 when policy has no deadline or the calendar has no
 * working day within ten years. */
int64_t calendar_due(const struct calendar *calendar, int64_t start_ms,
    const struct calendar_policy *policy);

/* Converts a date of the proleptic Gregorian calendar to days since
 * 1970-01-01. Returns 0, or -1 for a month or day that does not exist or a
 * year outside 1970..9999. */
int calendar_days_from_date(int year, int month, int day, int64_t *days);

/* Parses "YYYY-MM-DD" into days since 1970-01-01. Returns 0 or -1. */
int calendar_parse_date(const char *text, int64_t *days);

/* Parses "HH:MM" (00:00 to 24:00) into minutes after midnight. Returns 0
 * or -1. */
int calendar_parse_time(const char *text, int *minute);

#endif
