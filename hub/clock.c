#include "clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "calendar.h"

/* Written only at start-up or by a test before the threads that read the
 * clock run, so they need no lock. */
static int64_t clock_fixed_ms;
static int64_t clock_offset_ms;

static int64_t
clock_real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
clock_now_ms(void)
{
	if (clock_fixed_ms != 0)
		return clock_fixed_ms;
	return clock_real_ms() + clock_offset_ms;
}

void
clock_set_fixed_ms(int64_t ms)
{
	clock_fixed_ms = ms;
}

void
clock_start_at(int64_t ms)
{
	clock_offset_ms = ms - clock_real_ms();
}

int
clock_parse_iso8601(const char *text, int64_t *ms)
{
	int year, month, day, hour, minute, second, zone_hour = 0;
	int zone_minute = 0, used = 0;
	char sign = 'Z';
	int64_t days;

	if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day,
	    &hour, &minute, &second, &used) != 6 || used != 19)
		return -1;
	text += used;
	if (strcmp(text, "Z") != 0) {
		if (sscanf(text, "%c%2d:%2d%n", &sign, &zone_hour, &zone_minute,
		    &used) != 3 || used != 6 || text[used] != '\0' ||
		    (sign != '+' && sign != '-'))
			return -1;
	}
	if (calendar_days_from_date(year, month, day, &days) != 0 ||
	    hour > 23 || minute > 59 || second > 59 || zone_hour > 14 ||
	    zone_minute > 59)
		return -1;

	int64_t zone = (int64_t)(zone_hour * 60 + zone_minute) * 60;
	int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second;
	*ms = (seconds - (sign == '-' ? -zone : zone)) * 1000;
	return 0;
}

int
clock_format_vietnam(int64_t ms, char out[CLOCK_ISO8601_SIZE])
{
	time_t seconds = (time_t)((ms + CLOCK_VIETNAM_OFFSET_MS) / 1000);
	struct tm tm;

	if (gmtime_r(&seconds, &tm) == NULL || strftime(out,
	    CLOCK_ISO8601_SIZE, "%Y-%m-%dT%H:%M:%S+07:00", &tm) == 0)
		return -1;
	return 0;
}
