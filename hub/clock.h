/*
 * The wall clock of the pipeline: the received time stamped on every
 * message, and so the start of its deadline. Tests set it to a fixed time.
 */
#ifndef HUB_CLOCK_H
#define HUB_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Vietnam time is UTC+7 all year: Vietnam has no daylight saving time. */
#define CLOCK_VIETNAM_OFFSET_MS (7 * 3600 * 1000LL)

/* "2026-12-04T20:15:25+07:00" and its NUL. */
#define CLOCK_ISO8601_SIZE 26

/* Returns the current time in Unix milliseconds (UTC): the real time, moved
 * by clock_start_at, or the time fixed by clock_set_fixed_ms. */
int64_t clock_now_ms(void);

/* Fixes the clock at ms for tests; 0 returns to the real time. Call it
 * before other threads read the clock. */
void clock_set_fixed_ms(int64_t ms);

/* Makes the clock run from ms on, at the real pace, for integration tests
 * of a debug build. Call it at start-up, before other threads start. */
void clock_start_at(int64_t ms);

/* Writes ms (Unix milliseconds, UTC) as ISO 8601 in Vietnam time,
 * "2026-12-04T20:15:25+07:00". Returns 0, or -1 when the time cannot be
 * shown. */
int clock_format_vietnam(int64_t ms, char out[CLOCK_ISO8601_SIZE]);

/* Parses "YYYY-MM-DDTHH:MM:SS+07:00" (any zone "+HH:MM", "-HH:MM" or "Z")
 * into Unix milliseconds. Returns 0, or -1 when text has another form. */
int clock_parse_iso8601(const char *text, int64_t *ms);

#endif
