/*
 * Tests of the log: line format, level filtering, trace flags, reopening
 * after rotation, name parsing and libevent's messages. Each test logs into
 * a file of its own temporary folder.
 */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "check_suites.h"

static char log_test_dir[64];
static char log_test_path[128];

static void
log_test_setup(void)
{
	snprintf(log_test_dir, sizeof(log_test_dir), "/tmp/check_log.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(log_test_dir));
	snprintf(log_test_path, sizeof(log_test_path), "%s/hub.log",
	    log_test_dir);
	ck_assert_int_eq(log_open(log_test_path), 0);
	log_set_level(LOG_LEVEL_INFO);
	log_set_trace(0);
}

static void
log_test_teardown(void)
{
	char command[256];

	log_close();
	snprintf(command, sizeof(command), "rm -rf '%s'", log_test_dir);
	ck_assert_int_eq(system(command), 0);
}

/* Returns the file's content (caller frees), "" when it does not exist. */
static char *
log_test_read(const char *path)
{
	FILE *file = fopen(path, "r");
	char *text = calloc(1, 65536);

	ck_assert_ptr_nonnull(text);
	if (file == NULL)
		return text;
	size_t length = fread(text, 1, 65535, file);
	text[length] = '\0';
	fclose(file);
	return text;
}

static int
log_test_count_lines(const char *text)
{
	int count = 0;

	for (; *text != '\0'; text++)
		count += *text == '\n';
	return count;
}

START_TEST(log_line_format)
{
	regex_t pattern;
	time_t before = time(NULL);

	log_info("store", "batch committed size=%d ms=%.1f", 12, 3.1);
	char *text = log_test_read(log_test_path);

	ck_assert_int_eq(regcomp(&pattern, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T"
	    "[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "
	    "info store: batch committed size=12 ms=3\\.1\n$",
	    REG_EXTENDED | REG_NOSUB), 0);
	ck_assert_msg(regexec(&pattern, text, 0, NULL, 0) == 0,
	    "unexpected line: %s", text);
	regfree(&pattern);

	struct tm tm = { 0 };
	ck_assert_ptr_nonnull(strptime(text, "%Y-%m-%dT%H:%M:%S", &tm));
	time_t logged = timegm(&tm);
	ck_assert_int_ge(logged, before - 1);
	ck_assert_int_le(logged, time(NULL) + 1);
	free(text);
}
END_TEST

START_TEST(log_level_names_in_lines)
{
	log_set_level(LOG_LEVEL_DEBUG);
	log_error("http", "e");
	log_warn("http", "w");
	log_info("http", "i");
	log_debug("http", "d");
	char *text = log_test_read(log_test_path);

	ck_assert_ptr_nonnull(strstr(text, "Z error http: e\n"));
	ck_assert_ptr_nonnull(strstr(text, "Z warn http: w\n"));
	ck_assert_ptr_nonnull(strstr(text, "Z info http: i\n"));
	ck_assert_ptr_nonnull(strstr(text, "Z debug http: d\n"));
	ck_assert_int_eq(log_test_count_lines(text), 4);
	free(text);
}
END_TEST

START_TEST(log_level_filtering)
{
	log_set_level(LOG_LEVEL_WARN);
	ck_assert_int_eq(log_get_level(), LOG_LEVEL_WARN);
	log_debug("pipeline", "dropped debug");
	log_info("pipeline", "dropped info");
	log_warn("pipeline", "kept warn");
	log_error("pipeline", "kept error");
	char *text = log_test_read(log_test_path);

	ck_assert_ptr_null(strstr(text, "dropped"));
	ck_assert_ptr_nonnull(strstr(text, "warn pipeline: kept warn"));
	ck_assert_ptr_nonnull(strstr(text, "error pipeline: kept error"));
	ck_assert_int_eq(log_test_count_lines(text), 2);
	free(text);

	log_set_level(LOG_LEVEL_ERROR);
	log_warn("pipeline", "dropped second warn");
	text = log_test_read(log_test_path);
	ck_assert_ptr_null(strstr(text, "dropped second warn"));
	free(text);
}
END_TEST

START_TEST(log_trace_flags)
{
	log_set_level(LOG_LEVEL_ERROR);
	log_set_trace(LOG_TRACE_STORE | LOG_TRACE_CURL);

	ck_assert(log_tracing(LOG_TRACE_STORE));
	ck_assert(log_tracing(LOG_TRACE_CURL));
	ck_assert(!log_tracing(LOG_TRACE_HTTP));
	log_trace(LOG_TRACE_STORE, "store", "statement prepared id=%d", 7);
	log_trace(LOG_TRACE_HTTP, "http", "request parsed");
	log_debug("store", "plain debug");
	char *text = log_test_read(log_test_path);

	ck_assert_ptr_nonnull(strstr(text,
	    "Z debug store: statement prepared id=7\n"));
	ck_assert_ptr_null(strstr(text, "request parsed"));
	ck_assert_ptr_null(strstr(text, "plain debug"));
	ck_assert_int_eq(log_test_count_lines(text), 1);
	free(text);

	log_set_trace(0);
	ck_assert(!log_tracing(LOG_TRACE_STORE));
}
END_TEST

START_TEST(log_reopen_after_rename)
{
	char rotated[160];

	snprintf(rotated, sizeof(rotated), "%s.1", log_test_path);
	log_info("loop", "before rotation");
	ck_assert_int_eq(rename(log_test_path, rotated), 0);
	log_info("loop", "after rename, before reopen");
	ck_assert_int_eq(log_reopen(), 0);
	log_info("loop", "after reopen");

	char *old_text = log_test_read(rotated);
	char *new_text = log_test_read(log_test_path);
	ck_assert_ptr_nonnull(strstr(old_text, "before rotation"));
	ck_assert_ptr_nonnull(strstr(old_text, "after rename, before reopen"));
	ck_assert_ptr_null(strstr(old_text, "after reopen"));
	ck_assert_ptr_nonnull(strstr(new_text, "after reopen"));
	ck_assert_ptr_null(strstr(new_text, "before"));
	free(old_text);
	free(new_text);
}
END_TEST

START_TEST(log_reopen_failure_keeps_file)
{
	char folder[128];
	char path[160];
	char moved[160];

	snprintf(folder, sizeof(folder), "%s/sub", log_test_dir);
	snprintf(path, sizeof(path), "%s/hub.log", folder);
	snprintf(moved, sizeof(moved), "%s/moved", log_test_dir);
	ck_assert_int_eq(mkdir(folder, 0700), 0);
	ck_assert_int_eq(log_open(path), 0);
	log_info("loop", "first");

	/* The folder is gone, so the new file cannot be created. */
	ck_assert_int_eq(rename(folder, moved), 0);
	errno = 0;
	ck_assert_int_eq(log_reopen(), -1);
	ck_assert_int_eq(errno, ENOENT);
	log_info("loop", "second");

	char moved_path[200];
	snprintf(moved_path, sizeof(moved_path), "%s/hub.log", moved);
	char *text = log_test_read(moved_path);
	ck_assert_ptr_nonnull(strstr(text, "first"));
	ck_assert_ptr_nonnull(strstr(text, "second"));
	free(text);
}
END_TEST

START_TEST(log_reopen_standard_error)
{
	ck_assert_int_eq(log_open("-"), 0);
	ck_assert_int_eq(log_reopen(), 0);
	ck_assert_int_eq(log_open(NULL), 0);
	ck_assert_int_eq(log_reopen(), 0);
}
END_TEST

START_TEST(log_open_failure_sets_errno)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/missing/hub.log", log_test_dir);
	errno = 0;
	ck_assert_int_eq(log_open(path), -1);
	ck_assert_int_eq(errno, ENOENT);

	log_info("loop", "still to the first file");
	char *text = log_test_read(log_test_path);
	ck_assert_ptr_nonnull(strstr(text, "still to the first file"));
	free(text);
}
END_TEST

START_TEST(log_errno_preserved)
{
	errno = EAGAIN;
	log_info("http", "one");
	ck_assert_int_eq(errno, EAGAIN);
	log_debug("http", "filtered");
	ck_assert_int_eq(errno, EAGAIN);
	log_trace(LOG_TRACE_HTTP, "http", "off");
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(log_reopen(), 0);
	ck_assert_int_eq(errno, EAGAIN);
}
END_TEST

START_TEST(log_control_characters_replaced)
{
	log_info("http", "peer sent %s", "a\nb\rc\td");
	char *text = log_test_read(log_test_path);

	ck_assert_ptr_nonnull(strstr(text, "peer sent a?b?c?d\n"));
	ck_assert_int_eq(log_test_count_lines(text), 1);
	free(text);
}
END_TEST

START_TEST(log_long_message_cut)
{
	char *message = malloc(10001);

	ck_assert_ptr_nonnull(message);
	memset(message, 'x', 10000);
	message[10000] = '\0';
	log_info("http", "%s", message);
	free(message);
	char *text = log_test_read(log_test_path);

	ck_assert_int_eq(log_test_count_lines(text), 1);
	ck_assert_uint_le(strlen(text), 4096);
	ck_assert_uint_ge(strlen(text), 4000);
	ck_assert_str_eq(text + strlen(text) - 5, "x...\n");
	free(text);
}
END_TEST

START_TEST(log_level_name_parsing)
{
	static const struct {
		const char *name;
		enum log_level level;
	} cases[] = {
		{ "error", LOG_LEVEL_ERROR },
		{ "warn", LOG_LEVEL_WARN },
		{ "info", LOG_LEVEL_INFO },
		{ "debug", LOG_LEVEL_DEBUG },
	};
	enum log_level level;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		level = LOG_LEVEL_ERROR;
		ck_assert_int_eq(log_level_parse(cases[i].name, &level), 0);
		ck_assert_int_eq(level, cases[i].level);
	}
	ck_assert_int_eq(log_level_parse("warning", &level), -1);
	ck_assert_int_eq(log_level_parse("INFO", &level), -1);
	ck_assert_int_eq(log_level_parse("", &level), -1);
}
END_TEST

START_TEST(log_trace_name_parsing)
{
	static const struct {
		const char *name;
		unsigned int flag;
	} cases[] = {
		{ "http", LOG_TRACE_HTTP },
		{ "store", LOG_TRACE_STORE },
		{ "pipeline", LOG_TRACE_PIPELINE },
		{ "module", LOG_TRACE_MODULE },
		{ "loop", LOG_TRACE_LOOP },
		{ "curl", LOG_TRACE_CURL },
		{ "libevent", LOG_TRACE_LIBEVENT },
		{ "channel", LOG_TRACE_CHANNEL },
		{ "all", LOG_TRACE_ALL },
	};
	unsigned int flag;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		flag = 0;
		ck_assert_int_eq(log_trace_parse(cases[i].name, &flag), 0);
		ck_assert_uint_eq(flag, cases[i].flag);
		ck_assert_ptr_nonnull(strstr(log_trace_names(), cases[i].name));
	}
	ck_assert_int_eq(log_trace_parse("sotre", &flag), -1);
	ck_assert_int_eq(log_trace_parse("HTTP", &flag), -1);
	ck_assert_int_eq(log_trace_parse("", &flag), -1);
}
END_TEST

/* Builds an event base with every backend avoided, which makes libevent
 * report a warning through its log callback. */
static void
log_test_libevent_warning(void)
{
	struct event_config *config = event_config_new();

	ck_assert_ptr_nonnull(config);
	event_config_avoid_method(config, "epoll");
	event_config_avoid_method(config, "poll");
	event_config_avoid_method(config, "select");
	ck_assert_ptr_null(event_base_new_with_config(config));
	event_config_free(config);
}

START_TEST(log_libevent_warning_routed)
{
	log_route_libevent();
	log_test_libevent_warning();
	char *text = log_test_read(log_test_path);

	ck_assert_msg(strstr(text, " warn libevent: ") != NULL,
	    "no libevent warning in: %s", text);
	free(text);
}
END_TEST

/* Adding an event makes libevent write debug lines once its debug logging is
 * on, which log_set_trace does for the "libevent" trace. */
static void
log_test_libevent_activity(void)
{
	struct event_base *base = event_base_new();

	ck_assert_ptr_nonnull(base);
	struct event *timer = evtimer_new(base, NULL, NULL);
	struct timeval delay = { .tv_sec = 60 };
	ck_assert_ptr_nonnull(timer);
	ck_assert_int_eq(evtimer_add(timer, &delay), 0);
	event_free(timer);
	event_base_free(base);
}

START_TEST(log_libevent_debug_needs_trace)
{
	log_set_level(LOG_LEVEL_DEBUG);
	log_route_libevent();
	log_test_libevent_activity();
	char *text = log_test_read(log_test_path);
	ck_assert_ptr_null(strstr(text, "libevent:"));
	free(text);

	log_set_trace(LOG_TRACE_LIBEVENT);
	log_test_libevent_activity();
	text = log_test_read(log_test_path);
	ck_assert_msg(strstr(text, " debug libevent: ") != NULL,
	    "no libevent debug line in: %s", text);
	free(text);
}
END_TEST

START_TEST(log_libevent_repeats_suppressed)
{
	log_route_libevent();
	log_test_libevent_warning();
	char *text = log_test_read(log_test_path);
	int once = log_test_count_lines(text);
	free(text);
	ck_assert_int_ge(once, 1);

	for (int i = 0; i < 1000; i++)
		log_test_libevent_warning();
	text = log_test_read(log_test_path);
	ck_assert_int_eq(log_test_count_lines(text), once);
	ck_assert_ptr_null(strstr(text, "suppressed"));
	free(text);

	usleep(1100 * 1000);
	log_test_libevent_warning();
	text = log_test_read(log_test_path);
	ck_assert_msg(strstr(text, "1000 repeated messages suppressed: ") !=
	    NULL, "no count of the repeats in: %s", text);
	ck_assert_int_eq(log_test_count_lines(text), 3 * once);
	free(text);
}
END_TEST

START_TEST(log_library_distinct_lines_kept)
{
	log_library(LOG_LEVEL_WARN, "sofia", "first");
	log_library(LOG_LEVEL_WARN, "sofia", "second");
	log_library(LOG_LEVEL_WARN, "libevent", "first");
	log_library(LOG_LEVEL_ERROR, "sofia", "first");
	log_library(LOG_LEVEL_DEBUG, "sofia", "below the level");
	char *text = log_test_read(log_test_path);

	ck_assert_int_eq(log_test_count_lines(text), 4);
	ck_assert_ptr_null(strstr(text, "below the level"));
	free(text);
}
END_TEST

Suite *
log_suite(void)
{
	Suite *suite = suite_create("log");
	TCase *tcase = tcase_create("log");

	tcase_add_checked_fixture(tcase, log_test_setup, log_test_teardown);
	tcase_add_test(tcase, log_line_format);
	tcase_add_test(tcase, log_level_names_in_lines);
	tcase_add_test(tcase, log_level_filtering);
	tcase_add_test(tcase, log_trace_flags);
	tcase_add_test(tcase, log_reopen_after_rename);
	tcase_add_test(tcase, log_reopen_failure_keeps_file);
	tcase_add_test(tcase, log_reopen_standard_error);
	tcase_add_test(tcase, log_open_failure_sets_errno);
	tcase_add_test(tcase, log_errno_preserved);
	tcase_add_test(tcase, log_control_characters_replaced);
	tcase_add_test(tcase, log_long_message_cut);
	tcase_add_test(tcase, log_level_name_parsing);
	tcase_add_test(tcase, log_trace_name_parsing);
	tcase_add_test(tcase, log_libevent_warning_routed);
	tcase_add_test(tcase, log_libevent_debug_needs_trace);
	tcase_add_test(tcase, log_libevent_repeats_suppressed);
	tcase_add_test(tcase, log_library_distinct_lines_kept);
	suite_add_tcase(suite, tcase);
	return suite;
}
