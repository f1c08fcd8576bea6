/*
 * The IVR menu: the file's checks at load, and the engine walked through
 * calls with a fake table of actions that logs what it is asked to do.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_suites.h"
#include "ivr_menu.h"

#define CHECK_IVR_MENU_LOG_SIZE 4096

/* A valid code: the Damm check digit of 380517296 is 1. */
#define CHECK_IVR_MENU_CODE "3805172961"
#define CHECK_IVR_MENU_CODE_BAD "3805172962"

/* The menu of the engine's tests: node "main" waits 5 s, the others the
 * channel's 7 s. */
static const char check_ivr_menu_text[] =
    "{\"start\": \"welcome\", \"nodes\": {\n"
    " \"welcome\": {\"prompt\": [\"welcome\", \"recording_notice\"],\n"
    "   \"interruptible\": false,\n"
    "   \"next\": \"main\"},\n"
    " \"main\": {\"prompt\": [\"for_english\", \"main_menu\"],\n"
    "   \"timeout_seconds\": 5, \"retries\": 2, \"choices\": {\n"
    "   \"1\": {\"goto\": \"category\"}, \"2\": {\"action\": \"status\"},\n"
    "   \"0\": {\"action\": \"transfer\"}, \"9\": {\"action\": \"language\"},\n"
    "   \"8\": {\"action\": \"language\", \"language\": \"vi\"},\n"
    "   \"*\": {\"action\": \"repeat\"}, \"#\": {\"action\": \"back\"},\n"
    "   \"7\": {\"action\": \"hangup\"}}},\n"
    " \"category\": {\"prompt\": [\"category_menu\"], \"choices\": {\n"
    "   \"1\": {\"action\": \"record\", \"category\": \"traffic\"},\n"
    "   \"2\": {\"action\": \"record\", \"category\": \"lighting\"},\n"
    "   \"#\": {\"action\": \"back\"}}}\n"
    "}}\n";

/* Every prompt name agreed for the IVR, in both languages. */
static const char *const check_ivr_menu_prompt_names[] = {
	"welcome", "for_english", "main_menu", "category_menu", "record_intro",
	"beep", "report_saved", "code_again", "report_failed", "enter_code",
	"code_invalid", "code_unknown", "status_intro", "due_intro",
	"status_new", "status_assigned", "status_in_progress",
	"status_waiting", "status_resolved", "status_closed", "status_merged",
	"no_input", "invalid_choice", "transfer", "voicemail", "goodbye",
	"max_duration", "silence_300", "recording_notice", "code_length",
	"nothing_recorded", "main_menu_voicemail", "lookup_failed",
	"voicemail_direct",
};

/* The prompt check: the agreed names, plus "only_vi" in Vietnamese and
 * "only_en" in English. */
static bool
check_ivr_menu_has_prompt(void *arg, const char *language, const char *name)
{
	(void)arg;
	if (strcmp(name, "only_vi") == 0)
		return strcmp(language, "vi") == 0;
	if (strcmp(name, "only_en") == 0)
		return strcmp(language, "en") == 0;
	for (size_t i = 0; i < sizeof(check_ivr_menu_prompt_names) /
	    sizeof(check_ivr_menu_prompt_names[0]); i++)
		if (strcmp(check_ivr_menu_prompt_names[i], name) == 0)
			return true;
	return false;
}

static json_t *
check_ivr_menu_categories(void)
{
	json_t *categories = json_pack("[{s:s}, {s:s}, {s:s}, {s:s}]",
	    "id", "traffic", "id", "lighting", "id", "environment", "id", "other");

	ck_assert_ptr_nonnull(categories);
	return categories;
}

/* Writes text to a new temporary file; caller removes and frees. */
static char *
check_ivr_menu_write(const char *text)
{
	char *path = strdup("/tmp/check_ivr_menu_XXXXXX");
	int fd;

	ck_assert_ptr_nonnull(path);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* Loads text as a menu file. On failure err holds the error and the
 * file's name is copied to file. */
static struct ivr_menu *
check_ivr_menu_load(const char *text, struct config_error *err,
    char *file, size_t file_size)
{
	char *path = check_ivr_menu_write(text);
	json_t *categories = check_ivr_menu_categories();
	struct ivr_menu *menu;

	memset(err, 0, sizeof(*err));
	menu = ivr_menu_parse(path, check_ivr_menu_has_prompt, NULL, categories,
	    err);
	if (file != NULL)
		snprintf(file, file_size, "%s", path);
	json_decref(categories);
	unlink(path);
	free(path);
	return menu;
}

/* --- Loading ------------------------------------------------------------ */

START_TEST(load_shipped_menu)
{
	json_t *categories = check_ivr_menu_categories();
	struct config_error err = { 0 };
	struct ivr_menu *menu = ivr_menu_parse(TEST_IVR_MENU,
	    check_ivr_menu_has_prompt, NULL, categories, &err);

	ck_assert_msg(menu != NULL, "shipped menu rejected: %s", err.message);
	ck_assert_str_eq(ivr_menu_start(menu)->name, "welcome");
	ck_assert(!ivr_menu_start(menu)->interruptible);
	ck_assert_uint_eq(ivr_menu_node_count(menu), 3);
	ck_assert_uint_eq(ivr_menu_start(menu)->prompt.count, 2);
	ck_assert_str_eq(ivr_menu_start(menu)->prompt.names[1],
	    "recording_notice");
	ivr_menu_free(menu);
	json_decref(categories);
}
END_TEST

START_TEST(load_test_menu_defaults)
{
	struct config_error err;
	struct ivr_menu *menu = check_ivr_menu_load(check_ivr_menu_text, &err,
	    NULL, 0);
	const struct ivr_menu_node *node;

	ck_assert_msg(menu != NULL, "test menu rejected: %s", err.message);
	node = ivr_menu_node(menu, 2);
	ck_assert_str_eq(node->name, "category");
	ck_assert_int_eq(node->retries, 2);
	ck_assert_int_eq(node->timeout_seconds, 0);
	ck_assert(node->interruptible);
	ck_assert_uint_eq(node->no_input_prompt.count, 1);
	ck_assert_str_eq(node->no_input_prompt.names[0], "no_input");
	ck_assert_str_eq(node->invalid_prompt.names[0], "invalid_choice");
	ck_assert_int_eq(node->choices[ivr_menu_key_index('2')].type,
	    IVR_MENU_RECORD);
	ck_assert_str_eq(node->choices[ivr_menu_key_index('2')].category,
	    "lighting");
	ck_assert_int_eq(node->choices[ivr_menu_key_index('3')].type,
	    IVR_MENU_NONE);
	ivr_menu_free(menu);
}
END_TEST

START_TEST(load_accepts_cycle)
{
	struct config_error err;
	struct ivr_menu *menu = check_ivr_menu_load(
	    "{\"start\": \"a\", \"nodes\": {"
	    "\"a\": {\"prompt\": [\"main_menu\"], \"choices\": {\"1\": {\"goto\": \"b\"}}},"
	    "\"b\": {\"prompt\": [\"category_menu\"], \"next\": \"a\","
	    " \"no_input_prompt\": \"goodbye\"}}}", &err, NULL, 0);

	ck_assert_msg(menu != NULL, "cycle rejected: %s", err.message);
	ck_assert(ivr_menu_node(menu, 1)->has_next);
	ck_assert_uint_eq(ivr_menu_node(menu, 1)->next, 0);
	ck_assert_str_eq(ivr_menu_node(menu, 1)->no_input_prompt.names[0],
	    "goodbye");
	ivr_menu_free(menu);
}
END_TEST

/* A menu with one node "main" whose body is MAIN (JSON members). */
#define CHECK_IVR_MENU_MAIN(MAIN) \
	"{\"start\": \"main\", \"nodes\": {\n\"main\": {\n" MAIN "}}}"
#define CHECK_IVR_MENU_CHOICE(CHOICE) CHECK_IVR_MENU_MAIN( \
	"\"prompt\": [\"main_menu\"],\n\"choices\": {\n" CHOICE "}")

static const struct {
	const char *text;
	const char *path;	/* err.path */
	const char *problem;	/* part of the message */
	int line;		/* of the value; 0: not checked */
} check_ivr_menu_errors[] = {
	{ "{\"start\": \"main\", \"nodes\": {\"main\": {\"prompt\": [\"main_menu\"],"
	  " \"next\": \"main\"}},\n\"colour\": 1}", "colour", "unknown key", 2 },
	{ CHECK_IVR_MENU_MAIN("\"prompt\": [\"main_menu\"], \"next\": \"main\",\n"
	  "\"colour\": \"red\""), "nodes.main.colour", "unknown key", 4 },
	{ CHECK_IVR_MENU_CHOICE("\"1\": {\"goto\": \"nowhere\"}"),
	  "nodes.main.choices.1.goto", "node \"nowhere\" not found", 5 },
	{ CHECK_IVR_MENU_MAIN("\"prompt\": [\"main_menu\"],\n\"next\": \"later\""),
	  "nodes.main.next", "node \"later\" not found", 4 },
	{ "{\"start\": \"first\", \"nodes\": {\"main\": {\"prompt\": [\"main_menu\"],"
	  " \"next\": \"main\"}}}", "start", "node \"first\" not found", 1 },
	{ "{\"nodes\": {\"main\": {\"prompt\": [\"main_menu\"],"
	  " \"next\": \"main\"}}}", "", "missing start node", 0 },
	{ CHECK_IVR_MENU_MAIN("\"prompt\": [\"main_menu\",\n\"only_vi\"],"
	  " \"next\": \"main\""), "nodes.main.prompt[1]",
	  "prompt \"only_vi\" not found in en", 0 },
	{ CHECK_IVR_MENU_MAIN("\"prompt\": [\"main_menu\"], \"next\": \"main\",\n"
	  "\"invalid_prompt\": \"only_en\""), "nodes.main.invalid_prompt",
	  "prompt \"only_en\" not found in vi", 4 },
	{ CHECK_IVR_MENU_MAIN("\"prompt\": [\"Main Menu\"], \"next\": \"main\""),
	  "nodes.main.prompt[0]", "invalid prompt name", 0 },
	{ CHECK_IVR_MENU_CHOICE("\"1\": {\"action\": \"record\",\n"
	  "\"category\": \"weather\"}"), "nodes.main.choices.1.category",
	  "category \"weather\" not found", 6 },
	{ CHECK_IVR_MENU_CHOICE("\"1\": {\"action\": \"record\"}"),
	  "nodes.main.choices.1", "record without a category", 5 },
	{ CHECK_IVR_MENU_CHOICE("\"A\": {\"action\": \"repeat\"}"),
	  "nodes.main.choices.A", "invalid key \"A\"", 5 },
	{ CHECK_IVR_MENU_CHOICE("\"12\": {\"action\": \"repeat\"}"),
	  "nodes.main.choices.12", "invalid key \"12\"", 5 },
	{ CHECK_IVR_MENU_CHOICE("\"1\": {\"action\": \"dial\"}"),
	  "nodes.main.choices.1.action", "unknown action", 5 },
	{ CHECK_IVR_MENU_CHOICE("\"1\": {\"action\": \"status\",\n"
	  "\"category\": \"traffic\"}"), "nodes.main.choices.1.category",
	  "unknown key", 6 },
	{ CHECK_IVR_MENU_CHOICE("\"1\": {\"goto\": \"main\", \"action\": \"repeat\"}"),
	  "nodes.main.choices.1", "invalid choice", 5 },
	{ CHECK_IVR_MENU_CHOICE("\"9\": {\"action\": \"language\","
	  " \"language\": \"fr\"}"), "nodes.main.choices.9.language",
	  "invalid language", 5 },
	{ CHECK_IVR_MENU_MAIN("\"prompt\": [\"main_menu\"], \"next\": \"main\",\n"
	  "\"timeout_seconds\": 0"), "nodes.main.timeout_seconds",
	  "invalid value", 4 },
	{ CHECK_IVR_MENU_MAIN("\"prompt\": [\"main_menu\"], \"next\": \"main\",\n"
	  "\"retries\": 11"), "nodes.main.retries", "invalid value", 4 },
	{ CHECK_IVR_MENU_MAIN("\"prompt\": [\"main_menu\"]"), "nodes.main",
	  "node that leads nowhere", 2 },
	{ CHECK_IVR_MENU_MAIN("\"next\": \"main\""), "nodes.main",
	  "node without a prompt", 2 },
	{ CHECK_IVR_MENU_MAIN("\"prompt\": [], \"next\": \"main\""),
	  "nodes.main.prompt", "invalid value", 3 },
	{ "{\"start\": \"main\", \"nodes\": {\"main\": {\"prompt\": [\"main_menu\"],"
	  " \"next\": \"main\"},\n\"main\": {}}}", "", "invalid JSON", 0 },
	{ "{\"start\": \"a b\", \"nodes\": {\"a b\": {\"prompt\": [\"main_menu\"],"
	  " \"next\": \"a b\"}}}", "nodes.a b", "invalid node name", 0 },
	{ "{\"start\": \"main\", \"nodes\": {}}", "nodes", "missing or empty", 1 },
};

START_TEST(load_error_names_path)
{
	struct config_error err;
	char file[256];
	char prefix[512];
	struct ivr_menu *menu = check_ivr_menu_load(
	    check_ivr_menu_errors[_i].text, &err, file, sizeof(file));

	ck_assert_msg(menu == NULL, "case %d loaded", _i);
	ck_assert_str_eq(err.file, file);
	ck_assert_str_eq(err.path, check_ivr_menu_errors[_i].path);
	ck_assert_msg(strstr(err.message, check_ivr_menu_errors[_i].problem) !=
	    NULL, "case %d: \"%s\" lacks \"%s\"", _i, err.message,
	    check_ivr_menu_errors[_i].problem);
	if (check_ivr_menu_errors[_i].line > 0) {
		ck_assert_int_eq(err.line, check_ivr_menu_errors[_i].line);
		snprintf(prefix, sizeof(prefix), "%s:%d: %s: ", file, err.line,
		    err.path);
	} else {
		snprintf(prefix, sizeof(prefix), "%s", file);
	}
	ck_assert_msg(strncmp(err.message, prefix, strlen(prefix)) == 0,
	    "case %d: \"%s\" does not start with \"%s\"", _i, err.message,
	    prefix);
}
END_TEST

START_TEST(load_missing_file)
{
	json_t *categories = check_ivr_menu_categories();
	struct config_error err = { 0 };
	struct ivr_menu *menu = ivr_menu_parse("/nonexistent/menu.json",
	    check_ivr_menu_has_prompt, NULL, categories, &err);

	ck_assert_ptr_null(menu);
	ck_assert_str_eq(err.file, "/nonexistent/menu.json");
	ck_assert_ptr_nonnull(strstr(err.message, "cannot open"));
	json_decref(categories);
}
END_TEST

/* --- The engine --------------------------------------------------------- */

/* The fake table's state: a log of the actions asked for, "; " between
 * them, and the answers it gives. */
struct check_ivr_menu_fake {
	char log[CHECK_IVR_MENU_LOG_SIZE];
	int timer_seconds;		/* armed timer; 0 for none */
	int record_start_result;
	int64_t record_length_ms;	/* returned by record_stop */
	int64_t record_voiced_ms;	/* the voiced part it gives */
	bool recording;
};

static struct ivr_menu *check_ivr_menu;
static struct check_ivr_menu_fake check_ivr_menu_fake;
static struct ivr_session *check_ivr_menu_session;

static void
check_ivr_menu_log(const char *fmt, ...)
{
	struct check_ivr_menu_fake *fake = &check_ivr_menu_fake;
	size_t used = strlen(fake->log);
	va_list ap;

	ck_assert_uint_lt(used + 2, sizeof(fake->log));
	if (used > 0) {
		snprintf(fake->log + used, sizeof(fake->log) - used, "; ");
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(fake->log + used, sizeof(fake->log) - used, fmt, ap);
	va_end(ap);
}

static void
check_ivr_menu_play(void *arg, const char *const *items, size_t count)
{
	char line[1024] = "play";

	(void)arg;
	for (size_t i = 0; i < count; i++) {
		strncat(line, " ", sizeof(line) - strlen(line) - 1);
		strncat(line, items[i], sizeof(line) - strlen(line) - 1);
	}
	check_ivr_menu_log("%s", line);
}

static void
check_ivr_menu_stop_playing(void *arg)
{
	(void)arg;
	check_ivr_menu_log("stop");
}

static int
check_ivr_menu_record_start(void *arg)
{
	(void)arg;
	check_ivr_menu_log("record");
	check_ivr_menu_fake.recording = check_ivr_menu_fake.record_start_result == 0;
	return check_ivr_menu_fake.record_start_result;
}

static int64_t
check_ivr_menu_record_stop(void *arg, int64_t *voiced_ms)
{
	(void)arg;
	check_ivr_menu_log("record_stop");
	ck_assert(check_ivr_menu_fake.recording);
	check_ivr_menu_fake.recording = false;
	*voiced_ms = check_ivr_menu_fake.record_voiced_ms;
	return check_ivr_menu_fake.record_length_ms;
}

static void
check_ivr_menu_record_discard(void *arg)
{
	(void)arg;
	check_ivr_menu_log("discard");
}

static void
check_ivr_menu_timer_start(void *arg, int seconds)
{
	(void)arg;
	check_ivr_menu_fake.timer_seconds = seconds;
}

static void
check_ivr_menu_timer_cancel(void *arg)
{
	(void)arg;
	check_ivr_menu_fake.timer_seconds = 0;
}

static void
check_ivr_menu_lookup(void *arg, const char *code)
{
	(void)arg;
	check_ivr_menu_log("lookup %s", code);
}

static void
check_ivr_menu_submit(void *arg, const char *category)
{
	(void)arg;
	check_ivr_menu_log("submit '%s'", category);
}

static void
check_ivr_menu_transfer(void *arg)
{
	(void)arg;
	check_ivr_menu_log("transfer");
}

static void
check_ivr_menu_hangup(void *arg, const char *reason)
{
	(void)arg;
	check_ivr_menu_log("hangup %s", reason);
}

static const struct ivr_session_actions check_ivr_menu_actions = {
	.play = check_ivr_menu_play,
	.stop_playing = check_ivr_menu_stop_playing,
	.record_start = check_ivr_menu_record_start,
	.record_stop = check_ivr_menu_record_stop,
	.record_discard = check_ivr_menu_record_discard,
	.timer_start = check_ivr_menu_timer_start,
	.timer_cancel = check_ivr_menu_timer_cancel,
	.lookup = check_ivr_menu_lookup,
	.submit = check_ivr_menu_submit,
	.transfer = check_ivr_menu_transfer,
	.hangup = check_ivr_menu_hangup,
};

/* Checks the actions logged since the last check, then clears the log. */
#define check_ivr_menu_expect(expected) do { \
	ck_assert_str_eq(check_ivr_menu_fake.log, (expected)); \
	check_ivr_menu_fake.log[0] = '\0'; \
} while (0)

/* A session of the test menu, with or without a transfer target. */
static struct ivr_session *
check_ivr_menu_session_new(bool transfer)
{
	struct ivr_session_params params = {
		.no_input_seconds = 7,
		.transfer = transfer,
	};

	check_ivr_menu_session = ivr_session_new(check_ivr_menu, &params,
	    &check_ivr_menu_actions, NULL);
	ck_assert_ptr_nonnull(check_ivr_menu_session);
	return check_ivr_menu_session;
}

static void
check_ivr_menu_setup(void)
{
	struct config_error err;

	memset(&check_ivr_menu_fake, 0, sizeof(check_ivr_menu_fake));
	check_ivr_menu_fake.record_length_ms = 4000;
	check_ivr_menu_fake.record_voiced_ms = 3000;
	check_ivr_menu = check_ivr_menu_load(check_ivr_menu_text, &err, NULL, 0);
	ck_assert_msg(check_ivr_menu != NULL, "test menu: %s", err.message);
	check_ivr_menu_session = NULL;
}

static void
check_ivr_menu_teardown(void)
{
	ivr_session_free(check_ivr_menu_session);
	ivr_menu_free(check_ivr_menu);
}

/* Starts a session and plays the welcome through to the main menu. */
static struct ivr_session *
check_ivr_menu_at_main(bool transfer)
{
	struct ivr_session *session = check_ivr_menu_session_new(transfer);

	ivr_session_start(session);
	check_ivr_menu_expect("play welcome recording_notice");
	ivr_session_played(session);
	check_ivr_menu_expect("play for_english main_menu");
	ck_assert_int_eq(check_ivr_menu_fake.timer_seconds, 0);
	ivr_session_played(session);
	ck_assert_int_eq(check_ivr_menu_fake.timer_seconds, 5);
	check_ivr_menu_expect("");
	return session;
}

/* Types keys one by one. */
static void
check_ivr_menu_keys(struct ivr_session *session, const char *keys)
{
	for (const char *key = keys; *key != '\0'; key++)
		ivr_session_key(session, *key);
}

START_TEST(session_report_flow)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);

	ivr_session_key(session, '1');
	check_ivr_menu_expect("play category_menu");
	ck_assert_int_eq(check_ivr_menu_fake.timer_seconds, 0);
	ivr_session_played(session);
	ck_assert_int_eq(check_ivr_menu_fake.timer_seconds, 7);
	ivr_session_key(session, '2');
	check_ivr_menu_expect("play record_intro beep");
	ivr_session_played(session);
	check_ivr_menu_expect("record");
	ivr_session_key(session, '5');
	check_ivr_menu_expect("");
	ivr_session_key(session, '#');
	check_ivr_menu_expect("record_stop; submit 'lighting'");
	ck_assert_int_eq(ivr_session_recording_ms(session), 4000);
	ivr_session_report_result(session, 0, CHECK_IVR_MENU_CODE);
	check_ivr_menu_expect("play report_saved code:" CHECK_IVR_MENU_CODE
	    " code_again code:" CHECK_IVR_MENU_CODE " goodbye");
	ivr_session_key(session, '1');
	check_ivr_menu_expect("");
	ck_assert(!ivr_session_finished(session));
	ivr_session_played(session);
	check_ivr_menu_expect("hangup completed");
	ck_assert(ivr_session_finished(session));
	ck_assert(ivr_session_hung_up(session));
	ck_assert_str_eq(ivr_session_end_reason(session), "completed");
	ck_assert_str_eq(ivr_session_code(session), CHECK_IVR_MENU_CODE);
	ck_assert_str_eq(ivr_session_path(session), "main:1 category:2 record");
	ck_assert_str_eq(ivr_session_language(session), "vi");
}
END_TEST

START_TEST(session_report_failed)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);

	check_ivr_menu_keys(session, "1");
	ivr_session_played(session);
	check_ivr_menu_keys(session, "1");
	ivr_session_played(session);
	check_ivr_menu_expect("play category_menu; play record_intro beep; record");
	ivr_session_recorded(session, 120000, 90000);
	check_ivr_menu_expect("submit 'traffic'");
	ivr_session_report_result(session, -1, "");
	check_ivr_menu_expect("play report_failed goodbye");
	ivr_session_played(session);
	check_ivr_menu_expect("hangup error");
	ck_assert_str_eq(ivr_session_code(session), "");
	ck_assert_str_eq(ivr_session_end_reason(session), "error");
}
END_TEST

START_TEST(session_record_key_skips_intro)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);

	check_ivr_menu_keys(session, "1");
	ivr_session_played(session);
	check_ivr_menu_keys(session, "1");
	check_ivr_menu_expect("play category_menu; play record_intro beep");
	ivr_session_key(session, '3');
	check_ivr_menu_expect("stop; record");
}
END_TEST

START_TEST(session_record_too_short)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);

	check_ivr_menu_fake.record_length_ms = 400;
	check_ivr_menu_fake.record_voiced_ms = 400;
	check_ivr_menu_keys(session, "1");
	ivr_session_played(session);
	check_ivr_menu_keys(session, "1");
	ivr_session_played(session);
	check_ivr_menu_expect("play category_menu; play record_intro beep; record");
	ivr_session_key(session, '#');
	check_ivr_menu_expect("record_stop; discard; "
	    "play nothing_recorded category_menu");
	ck_assert_int_eq(ivr_session_recording_ms(session), 0);
}
END_TEST

START_TEST(session_record_start_fails)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);

	check_ivr_menu_fake.record_start_result = -1;
	check_ivr_menu_keys(session, "1");
	ivr_session_played(session);
	check_ivr_menu_keys(session, "1");
	ivr_session_played(session);
	check_ivr_menu_expect("play category_menu; play record_intro beep; "
	    "record; play report_failed goodbye");
}
END_TEST

/* Ten digits with their Damm check digit, from nine. */
static void
check_ivr_menu_code(const char *nine, char code[TICKET_CODE_PLAIN_SIZE])
{
	snprintf(code, TICKET_CODE_PLAIN_SIZE, "%s%d", nine,
	    ticket_code_damm(nine));
}

START_TEST(session_status_flow)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);
	struct ivr_ticket_status ticket = {
		.found = 1,
		.status = "in_progress",
		.due_at_ms = 1764892800000,
	};
	char merged[TICKET_CODE_PLAIN_SIZE];
	char expected[512];

	check_ivr_menu_code("123456789", merged);
	snprintf(ticket.merged_into, sizeof(ticket.merged_into), "%s", merged);
	ivr_session_key(session, '2');
	check_ivr_menu_expect("play enter_code");
	ivr_session_played(session);
	ck_assert_int_eq(check_ivr_menu_fake.timer_seconds, 5);
	check_ivr_menu_keys(session, CHECK_IVR_MENU_CODE_BAD "#");
	check_ivr_menu_expect("play code_invalid");
	ivr_session_played(session);
	check_ivr_menu_keys(session, CHECK_IVR_MENU_CODE);
	ck_assert_int_eq(check_ivr_menu_fake.timer_seconds, 5);
	check_ivr_menu_expect("");
	ivr_session_key(session, '#');
	ck_assert_int_eq(check_ivr_menu_fake.timer_seconds, 0);
	check_ivr_menu_expect("lookup " CHECK_IVR_MENU_CODE);
	ivr_session_key(session, '5');
	check_ivr_menu_expect("");
	ivr_session_lookup_result(session, &ticket);
	snprintf(expected, sizeof(expected), "play status_intro code:%s "
	    "status:in_progress status_merged code:%s due_intro "
	    "date:1764892800000", CHECK_IVR_MENU_CODE, merged);
	check_ivr_menu_expect(expected);
	ivr_session_played(session);
	check_ivr_menu_expect("play for_english main_menu");
	ck_assert_str_eq(ivr_session_code(session), CHECK_IVR_MENU_CODE);
	ck_assert_str_eq(ivr_session_path(session), "main:2 status");
}
END_TEST

START_TEST(session_status_resolved_no_due)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);
	struct ivr_ticket_status ticket = {
		.found = 1,
		.status = "resolved",
		.due_at_ms = 1764892800000,
		.resolved_at_ms = 1764806400000,
	};

	ivr_session_key(session, '2');
	check_ivr_menu_keys(session, CHECK_IVR_MENU_CODE "#");
	check_ivr_menu_expect("play enter_code; stop; lookup " CHECK_IVR_MENU_CODE);
	ivr_session_lookup_result(session, &ticket);
	check_ivr_menu_expect("play status_intro code:" CHECK_IVR_MENU_CODE
	    " status:resolved");
	ivr_session_key(session, '1');
	check_ivr_menu_expect("stop; play for_english main_menu");
}
END_TEST

START_TEST(session_status_unknown)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);
	struct ivr_ticket_status ticket = { .found = 0 };

	ivr_session_key(session, '2');
	ivr_session_played(session);
	check_ivr_menu_keys(session, CHECK_IVR_MENU_CODE "#");
	check_ivr_menu_expect("play enter_code; lookup " CHECK_IVR_MENU_CODE);
	ivr_session_lookup_result(session, &ticket);
	check_ivr_menu_expect("play code_unknown");
	ivr_session_played(session);
	check_ivr_menu_expect("play for_english main_menu");
	ck_assert_str_eq(ivr_session_code(session), "");
}
END_TEST

START_TEST(session_status_lookup_failed)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);
	struct ivr_ticket_status ticket = { .found = -1 };

	ivr_session_key(session, '2');
	ivr_session_played(session);
	check_ivr_menu_keys(session, CHECK_IVR_MENU_CODE "#");
	check_ivr_menu_expect("play enter_code; lookup " CHECK_IVR_MENU_CODE);
	ivr_session_lookup_result(session, &ticket);
	check_ivr_menu_expect("play lookup_failed");
	ck_assert_str_eq(ivr_session_code(session), "");
}
END_TEST

START_TEST(session_code_limits)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);

	ivr_session_key(session, '2');
	ivr_session_played(session);
	check_ivr_menu_keys(session, "123456789012");
	check_ivr_menu_expect("play enter_code; play code_length");
	ivr_session_played(session);
	check_ivr_menu_keys(session, CHECK_IVR_MENU_CODE);
	ivr_session_timeout(session);
	check_ivr_menu_expect("lookup " CHECK_IVR_MENU_CODE);
}
END_TEST

START_TEST(session_code_retries)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);

	ivr_session_key(session, '2');
	ivr_session_played(session);
	ivr_session_timeout(session);
	check_ivr_menu_expect("play enter_code; play no_input enter_code");
	ivr_session_played(session);
	check_ivr_menu_keys(session, "#");
	check_ivr_menu_expect("play code_length");
	ivr_session_played(session);
	check_ivr_menu_keys(session, "11#");
	check_ivr_menu_expect("play goodbye");
	ivr_session_played(session);
	check_ivr_menu_expect("hangup no_input");
	ck_assert_str_eq(ivr_session_end_reason(session), "no_input");
}
END_TEST

START_TEST(session_language_switch)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);

	ivr_session_key(session, '9');
	check_ivr_menu_expect("play recording_notice");
	ck_assert_str_eq(ivr_session_language(session), "en");
	ivr_session_played(session);
	check_ivr_menu_expect("play for_english main_menu");
	ivr_session_played(session);
	/* The notice has been heard in both languages now. */
	ivr_session_key(session, '9');
	check_ivr_menu_expect("play for_english main_menu");
	ck_assert_str_eq(ivr_session_language(session), "vi");
	ivr_session_played(session);
	ivr_session_key(session, '9');
	check_ivr_menu_expect("play for_english main_menu");
	ivr_session_played(session);
	ivr_session_key(session, '8');
	ck_assert_str_eq(ivr_session_language(session), "vi");
	ck_assert_str_eq(ivr_session_path(session), "main:9 main:9 main:9 main:8");
}
END_TEST

START_TEST(session_repeat_and_back)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);

	ivr_session_key(session, '*');
	check_ivr_menu_expect("play for_english main_menu");
	ivr_session_played(session);
	ivr_session_key(session, '1');
	check_ivr_menu_expect("play category_menu");
	ivr_session_key(session, '#');
	check_ivr_menu_expect("stop; play for_english main_menu");
	ivr_session_played(session);
	/* No node before main: back replays it. */
	ivr_session_key(session, '#');
	check_ivr_menu_expect("play for_english main_menu");
	ck_assert_str_eq(ivr_session_path(session),
	    "main:* main:1 category:# main:#");
}
END_TEST

START_TEST(session_transfer_fails_to_voicemail)
{
	struct ivr_session *session = check_ivr_menu_at_main(true);

	ivr_session_key(session, '0');
	check_ivr_menu_expect("play transfer");
	ivr_session_key(session, '1');
	check_ivr_menu_expect("");
	ivr_session_played(session);
	check_ivr_menu_expect("transfer");
	ivr_session_transfer_result(session, 486);
	check_ivr_menu_expect("play voicemail beep");
	ivr_session_played(session);
	check_ivr_menu_expect("record");
	ivr_session_key(session, '#');
	check_ivr_menu_expect("record_stop; submit ''");
	ivr_session_report_result(session, 0, CHECK_IVR_MENU_CODE);
	check_ivr_menu_expect("play report_saved code:" CHECK_IVR_MENU_CODE
	    " code_again code:" CHECK_IVR_MENU_CODE " goodbye");
	ck_assert_str_eq(ivr_session_path(session), "main:0 transfer voicemail");
}
END_TEST

START_TEST(session_transfer_unconfigured)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);

	/* No REFER is sent, and the prompt speaks of no operator. */
	ivr_session_key(session, '0');
	check_ivr_menu_expect("play voicemail_direct beep");
	ck_assert_str_eq(ivr_session_path(session), "main:0 voicemail");
	ivr_session_played(session);
	check_ivr_menu_expect("record");
	ivr_session_key(session, '#');
	check_ivr_menu_expect("record_stop; submit ''");
}
END_TEST

START_TEST(session_transfer_succeeds)
{
	struct ivr_session *session = check_ivr_menu_at_main(true);

	ivr_session_key(session, '0');
	ivr_session_played(session);
	check_ivr_menu_expect("play transfer; transfer");
	ivr_session_transfer_result(session, 202);
	check_ivr_menu_expect("");
	ck_assert(ivr_session_finished(session));
	ck_assert(ivr_session_hung_up(session));
	ck_assert_str_eq(ivr_session_end_reason(session), "transferred");
}
END_TEST

START_TEST(session_no_input_retries)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);

	ivr_session_timeout(session);
	check_ivr_menu_expect("play no_input for_english main_menu");
	ivr_session_played(session);
	ivr_session_timeout(session);
	check_ivr_menu_expect("play no_input for_english main_menu");
	ivr_session_played(session);
	ck_assert_int_eq(check_ivr_menu_fake.timer_seconds, 5);
	ivr_session_timeout(session);
	check_ivr_menu_expect("play goodbye");
	ck_assert(!ivr_session_finished(session));
	ivr_session_played(session);
	check_ivr_menu_expect("hangup no_input");
	ck_assert(ivr_session_finished(session));
	ck_assert_str_eq(ivr_session_end_reason(session), "no_input");
	ck_assert_str_eq(ivr_session_path(session), "");
}
END_TEST

START_TEST(session_invalid_key_retries)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);

	ivr_session_key(session, '5');
	check_ivr_menu_expect("play invalid_choice for_english main_menu");
	ivr_session_key(session, '6');
	check_ivr_menu_expect("stop; play invalid_choice for_english main_menu");
	ivr_session_played(session);
	ivr_session_timeout(session);
	check_ivr_menu_expect("play goodbye");
	ivr_session_played(session);
	check_ivr_menu_expect("hangup no_input");
	ck_assert_str_eq(ivr_session_path(session), "main:5 main:6");
}
END_TEST

START_TEST(session_letter_key_invalid)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);

	ivr_session_key(session, 'A');
	check_ivr_menu_expect("play invalid_choice for_english main_menu");
	ck_assert_str_eq(ivr_session_path(session), "main:A");
}
END_TEST

START_TEST(session_valid_key_resets_retries)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);

	ivr_session_timeout(session);
	ivr_session_played(session);
	ivr_session_timeout(session);
	ivr_session_played(session);
	ivr_session_key(session, '*');
	ivr_session_played(session);
	ivr_session_timeout(session);
	check_ivr_menu_expect("play no_input for_english main_menu; "
	    "play no_input for_english main_menu; play for_english main_menu; "
	    "play no_input for_english main_menu");
}
END_TEST

START_TEST(session_barge_in_interruptible_only)
{
	struct ivr_session *session = check_ivr_menu_session_new(false);

	ivr_session_start(session);
	check_ivr_menu_expect("play welcome recording_notice");
	ivr_session_key(session, '1');
	check_ivr_menu_expect("");
	ivr_session_played(session);
	check_ivr_menu_expect("play for_english main_menu");
	ivr_session_key(session, '1');
	check_ivr_menu_expect("stop; play category_menu");
	ck_assert_str_eq(ivr_session_path(session), "main:1");
	/* '#' stops category_menu and goes back. */
	ivr_session_key(session, '#');
	check_ivr_menu_expect("stop; play for_english main_menu");
}
END_TEST

START_TEST(session_max_duration)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);

	ivr_session_max_duration(session);
	ck_assert_int_eq(check_ivr_menu_fake.timer_seconds, 0);
	check_ivr_menu_expect("play max_duration");
	ivr_session_key(session, '1');
	ivr_session_max_duration(session);
	check_ivr_menu_expect("");
	ivr_session_played(session);
	check_ivr_menu_expect("hangup max_duration");
	ck_assert(ivr_session_finished(session));
	ck_assert_str_eq(ivr_session_end_reason(session), "max_duration");
}
END_TEST

START_TEST(session_max_duration_while_recording)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);

	check_ivr_menu_keys(session, "1");
	ivr_session_played(session);
	check_ivr_menu_keys(session, "1");
	ivr_session_played(session);
	check_ivr_menu_expect("play category_menu; play record_intro beep; record");
	ivr_session_max_duration(session);
	check_ivr_menu_expect("record_stop; submit 'traffic'; play max_duration");
	ivr_session_played(session);
	check_ivr_menu_expect("hangup max_duration");
	ck_assert(!ivr_session_finished(session));
	ivr_session_report_result(session, 0, CHECK_IVR_MENU_CODE);
	check_ivr_menu_expect("");
	ck_assert(ivr_session_finished(session));
	ck_assert_str_eq(ivr_session_code(session), CHECK_IVR_MENU_CODE);
	ck_assert_str_eq(ivr_session_end_reason(session), "max_duration");
}
END_TEST

START_TEST(session_caller_hangs_up_recording)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);

	check_ivr_menu_keys(session, "1");
	ivr_session_played(session);
	check_ivr_menu_keys(session, "1");
	ivr_session_played(session);
	check_ivr_menu_expect("play category_menu; play record_intro beep; record");
	ivr_session_end(session, "caller");
	check_ivr_menu_expect("record_stop; submit 'traffic'");
	ck_assert(!ivr_session_finished(session));
	ck_assert(ivr_session_hung_up(session));
	ivr_session_report_result(session, 0, CHECK_IVR_MENU_CODE);
	check_ivr_menu_expect("");
	ck_assert(ivr_session_finished(session));
	ck_assert_str_eq(ivr_session_end_reason(session), "caller");
	ck_assert_str_eq(ivr_session_code(session), CHECK_IVR_MENU_CODE);
}
END_TEST

START_TEST(session_caller_hangs_up_short_recording)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);

	check_ivr_menu_fake.record_length_ms = 999;
	check_ivr_menu_keys(session, "1");
	ivr_session_played(session);
	check_ivr_menu_keys(session, "1");
	ivr_session_played(session);
	check_ivr_menu_expect("play category_menu; play record_intro beep; record");
	ivr_session_end(session, "caller");
	check_ivr_menu_expect("record_stop; discard");
	ck_assert(ivr_session_finished(session));
	ck_assert_str_eq(ivr_session_end_reason(session), "caller");
}
END_TEST

START_TEST(session_caller_hangs_up_in_menu)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);

	ivr_session_end(session, "caller");
	check_ivr_menu_expect("");
	ck_assert_int_eq(check_ivr_menu_fake.timer_seconds, 0);
	ck_assert(ivr_session_finished(session));
	ivr_session_timeout(session);
	ivr_session_max_duration(session);
	check_ivr_menu_expect("");
}
END_TEST

START_TEST(session_media_timeout)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);

	ivr_session_media_timeout(session);
	check_ivr_menu_expect("hangup media_timeout");
	ck_assert(ivr_session_finished(session));
	ck_assert_str_eq(ivr_session_end_reason(session), "media_timeout");
}
END_TEST

START_TEST(session_shutdown_with_report_pending)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);

	check_ivr_menu_keys(session, "1");
	ivr_session_played(session);
	check_ivr_menu_keys(session, "1");
	ivr_session_played(session);
	check_ivr_menu_keys(session, "#");
	check_ivr_menu_expect("play category_menu; play record_intro beep; "
	    "record; record_stop; submit 'traffic'");
	ivr_session_shutdown(session, "shutdown");
	check_ivr_menu_expect("hangup shutdown");
	ck_assert(ivr_session_finished(session));
	ck_assert_str_eq(ivr_session_end_reason(session), "shutdown");
}
END_TEST

START_TEST(session_hangup_action)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);

	ivr_session_key(session, '7');
	check_ivr_menu_expect("play goodbye");
	ivr_session_played(session);
	check_ivr_menu_expect("hangup completed");
	ck_assert_str_eq(ivr_session_end_reason(session), "completed");
}
END_TEST

START_TEST(session_path_bounded)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);
	const char *path;

	for (int i = 0; i < 400; i++) {
		ivr_session_key(session, '*');
		ivr_session_played(session);
		check_ivr_menu_expect("play for_english main_menu");
	}
	/* The last steps are kept, after a marker for those dropped. */
	ivr_session_key(session, '2');
	check_ivr_menu_expect("play enter_code");
	path = ivr_session_path(session);
	ck_assert_uint_le(strlen(path), 1000);
	ck_assert_uint_ge(strlen(path), 990);
	ck_assert_int_eq(strncmp(path, "... main:* main:*", 17), 0);
	ck_assert_str_eq(path + strlen(path) - 20, "main:* main:2 status");
	ck_assert_ptr_null(strstr(path, "  "));
}
END_TEST

START_TEST(session_path_keeps_end_once_cut)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);
	const char *path;

	/* Each cut keeps one marker at the start. */
	for (int i = 0; i < 1000; i++) {
		ivr_session_key(session, i % 2 == 0 ? '1' : '#');
		ivr_session_played(session);
		check_ivr_menu_fake.log[0] = '\0';
	}
	path = ivr_session_path(session);
	ck_assert_uint_le(strlen(path), 1000);
	ck_assert_int_eq(strncmp(path, "... ", 4), 0);
	ck_assert_ptr_null(strstr(path + 4, "..."));
	ck_assert_str_eq(path + strlen(path) - 17, "main:1 category:#");
}
END_TEST

/* Goes from main to the status action and lets "enter_code" play. */
static void
check_ivr_menu_at_code(struct ivr_session *session)
{
	ivr_session_key(session, '2');
	ivr_session_played(session);
	check_ivr_menu_expect("play enter_code");
}

START_TEST(session_code_keys_after_too_many_dropped)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);

	check_ivr_menu_at_code(session);
	/* The 12th key ends the code; "555#" is the rest of the burst. */
	check_ivr_menu_keys(session, "218534281355555#");
	check_ivr_menu_expect("play code_length");
	check_ivr_menu_keys(session, CHECK_IVR_MENU_CODE "#");
	check_ivr_menu_expect("stop; lookup " CHECK_IVR_MENU_CODE);
	ck_assert_str_eq(ivr_session_path(session), "main:2 status");
}
END_TEST

START_TEST(session_code_keys_dropped_until_played)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);

	check_ivr_menu_at_code(session);
	check_ivr_menu_keys(session, CHECK_IVR_MENU_CODE_BAD "#12");
	check_ivr_menu_expect("play code_invalid");
	ivr_session_played(session);
	check_ivr_menu_keys(session, CHECK_IVR_MENU_CODE "#");
	check_ivr_menu_expect("lookup " CHECK_IVR_MENU_CODE);
}
END_TEST

START_TEST(session_code_star_restarts)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);

	check_ivr_menu_at_code(session);
	check_ivr_menu_keys(session, "*21853*42813#");
	check_ivr_menu_expect("play code_length");
	ivr_session_played(session);
	/* A single failed input so far: two more are allowed. */
	check_ivr_menu_keys(session, "123*" CHECK_IVR_MENU_CODE "#");
	check_ivr_menu_expect("lookup " CHECK_IVR_MENU_CODE);
}
END_TEST

START_TEST(session_code_length_or_check_digit)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);

	check_ivr_menu_at_code(session);
	check_ivr_menu_keys(session, "380517296#");
	check_ivr_menu_expect("play code_length");
	ivr_session_played(session);
	check_ivr_menu_keys(session, CHECK_IVR_MENU_CODE_BAD "#");
	check_ivr_menu_expect("play code_invalid");
	ivr_session_played(session);
	check_ivr_menu_keys(session, "38051729611#");
	check_ivr_menu_expect("play goodbye");
}
END_TEST

/* Goes from main to category 1 and starts recording. */
static void
check_ivr_menu_at_recording(struct ivr_session *session)
{
	check_ivr_menu_keys(session, "1");
	ivr_session_played(session);
	check_ivr_menu_keys(session, "1");
	ivr_session_played(session);
	check_ivr_menu_expect("play category_menu; play record_intro beep; record");
}

START_TEST(session_silent_recording_not_submitted)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);

	check_ivr_menu_fake.record_length_ms = 8000;
	check_ivr_menu_fake.record_voiced_ms = 999;
	check_ivr_menu_at_recording(session);
	ivr_session_key(session, '#');
	check_ivr_menu_expect("record_stop; discard; "
	    "play nothing_recorded category_menu");
	ck_assert_int_eq(ivr_session_recording_ms(session), 0);
	ivr_session_played(session);
	/* The recording limit with no voice either. */
	check_ivr_menu_keys(session, "1");
	ivr_session_played(session);
	check_ivr_menu_expect("play record_intro beep; record");
	ivr_session_recorded(session, 120000, 0);
	check_ivr_menu_expect("discard; play nothing_recorded category_menu");
	ivr_session_played(session);
	/* The third failed input at category ends the call. */
	check_ivr_menu_keys(session, "1");
	ivr_session_played(session);
	ivr_session_key(session, '#');
	check_ivr_menu_expect("play record_intro beep; record; record_stop; "
	    "discard; play goodbye");
	ck_assert_str_eq(ivr_session_path(session),
	    "main:1 category:1 record category:1 record category:1 record");
}
END_TEST

START_TEST(session_silent_recording_on_hangup)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);

	check_ivr_menu_fake.record_length_ms = 8000;
	check_ivr_menu_fake.record_voiced_ms = 0;
	check_ivr_menu_at_recording(session);
	ivr_session_end(session, "caller");
	check_ivr_menu_expect("record_stop; discard");
	ck_assert(ivr_session_finished(session));
	ck_assert_int_eq(ivr_session_recording_ms(session), 0);
}
END_TEST

START_TEST(session_notice_before_recording)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);

	/* The English notice is cut short by the caller's key. */
	ivr_session_key(session, '9');
	check_ivr_menu_expect("play recording_notice");
	ivr_session_key(session, '1');
	check_ivr_menu_expect("stop; play category_menu");
	ivr_session_key(session, '2');
	check_ivr_menu_expect("stop; play recording_notice");
	/* Keys do not skip the notice. */
	ivr_session_key(session, '5');
	check_ivr_menu_expect("");
	ivr_session_played(session);
	check_ivr_menu_expect("play record_intro beep");
	ivr_session_played(session);
	check_ivr_menu_expect("record");
	ck_assert_str_eq(ivr_session_language(session), "en");
}
END_TEST

START_TEST(session_notice_before_voicemail)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);

	ivr_session_key(session, '9');
	ivr_session_key(session, '0');
	check_ivr_menu_expect("play recording_notice; stop; "
	    "play recording_notice");
	ivr_session_played(session);
	check_ivr_menu_expect("play voicemail_direct beep");
	/* The intro after the notice may be skipped. */
	ivr_session_key(session, '1');
	check_ivr_menu_expect("stop; record");
}
END_TEST

START_TEST(session_notice_heard_after_language_switch)
{
	struct ivr_session *session = check_ivr_menu_at_main(false);

	/* The English notice plays to its end, and a key then stops the menu
	 * that follows it. */
	ivr_session_key(session, '9');
	check_ivr_menu_expect("play recording_notice");
	ivr_session_key(session, '5');
	check_ivr_menu_expect("stop; play invalid_choice for_english main_menu");
	ivr_session_key(session, '9');
	ivr_session_key(session, '9');
	check_ivr_menu_expect("stop; play for_english main_menu; stop; "
	    "play recording_notice");
	ivr_session_played(session);
	check_ivr_menu_expect("play for_english main_menu");
	ivr_session_key(session, '1');
	check_ivr_menu_expect("stop; play category_menu");
	/* The report starts with its intro, which a key may skip. */
	ivr_session_key(session, '1');
	check_ivr_menu_expect("stop; play record_intro beep");
	ivr_session_played(session);
	check_ivr_menu_expect("record");
	ivr_session_key(session, '#');
	check_ivr_menu_expect("record_stop; submit 'traffic'");
	ck_assert_str_eq(ivr_session_language(session), "en");
	ck_assert_str_eq(ivr_session_path(session),
	    "main:9 main:5 main:9 main:9 main:1 category:1 record");
}
END_TEST

START_TEST(session_notice_in_node_prompt_split)
{
	struct config_error err;
	struct ivr_session_params params = { .no_input_seconds = 7 };
	struct ivr_menu *menu = check_ivr_menu_load(
	    "{\"start\": \"main\", \"nodes\": {\"main\": {\"prompt\":\n"
	    " [\"welcome\", \"recording_notice\", \"main_menu\"],\n"
	    " \"choices\": {\"*\": {\"action\": \"repeat\"},\n"
	    " \"1\": {\"action\": \"record\", \"category\": \"traffic\"}}}}}\n",
	    &err, NULL, 0);
	struct ivr_session *session;

	ck_assert_msg(menu != NULL, "menu rejected: %s", err.message);
	session = ivr_session_new(menu, &params, &check_ivr_menu_actions, NULL);
	ck_assert_ptr_nonnull(session);
	ivr_session_start(session);
	check_ivr_menu_expect("play welcome recording_notice");
	ivr_session_played(session);
	check_ivr_menu_expect("play main_menu");
	/* Heard once, the notice is no longer split off. */
	ivr_session_key(session, '*');
	check_ivr_menu_expect("stop; play welcome recording_notice main_menu");
	ivr_session_key(session, '1');
	check_ivr_menu_expect("stop; play record_intro beep");
	ivr_session_free(session);
	ivr_menu_free(menu);
}
END_TEST

/* A main node with a prompt for a channel without a transfer target. */
static const char check_ivr_menu_no_transfer_text[] =
    "{\"start\": \"main\", \"nodes\": {\n"
    " \"main\": {\"prompt\": [\"main_menu\"],\n"
    "   \"prompt_no_transfer\": [\"main_menu_voicemail\"],\n"
    "   \"choices\": {\"0\": {\"action\": \"transfer\"}}}}}\n";

START_TEST(session_menu_without_transfer)
{
	struct config_error err;
	struct ivr_session_params params = { .no_input_seconds = 7 };
	struct ivr_menu *menu = check_ivr_menu_load(
	    check_ivr_menu_no_transfer_text, &err, NULL, 0);
	struct ivr_session *session;

	ck_assert_msg(menu != NULL, "menu rejected: %s", err.message);
	session = ivr_session_new(menu, &params, &check_ivr_menu_actions, NULL);
	ck_assert_ptr_nonnull(session);
	ivr_session_start(session);
	check_ivr_menu_expect("play main_menu_voicemail");
	ivr_session_free(session);

	params.transfer = true;
	session = ivr_session_new(menu, &params, &check_ivr_menu_actions, NULL);
	ck_assert_ptr_nonnull(session);
	ivr_session_start(session);
	check_ivr_menu_expect("play main_menu");
	ivr_session_free(session);
	ivr_menu_free(menu);
}
END_TEST

Suite *
ivr_menu_suite(void)
{
	Suite *suite = suite_create("ivr_menu");
	TCase *load = tcase_create("load");
	TCase *session = tcase_create("session");

	tcase_add_test(load, load_shipped_menu);
	tcase_add_test(load, load_test_menu_defaults);
	tcase_add_test(load, load_accepts_cycle);
	tcase_add_loop_test(load, load_error_names_path, 0,
	    (int)(sizeof(check_ivr_menu_errors) / sizeof(check_ivr_menu_errors[0])));
	tcase_add_test(load, load_missing_file);
	suite_add_tcase(suite, load);

	tcase_add_checked_fixture(session, check_ivr_menu_setup,
	    check_ivr_menu_teardown);
	tcase_add_test(session, session_report_flow);
	tcase_add_test(session, session_report_failed);
	tcase_add_test(session, session_record_key_skips_intro);
	tcase_add_test(session, session_record_too_short);
	tcase_add_test(session, session_record_start_fails);
	tcase_add_test(session, session_status_flow);
	tcase_add_test(session, session_status_resolved_no_due);
	tcase_add_test(session, session_status_unknown);
	tcase_add_test(session, session_status_lookup_failed);
	tcase_add_test(session, session_code_limits);
	tcase_add_test(session, session_code_retries);
	tcase_add_test(session, session_language_switch);
	tcase_add_test(session, session_repeat_and_back);
	tcase_add_test(session, session_transfer_fails_to_voicemail);
	tcase_add_test(session, session_transfer_unconfigured);
	tcase_add_test(session, session_transfer_succeeds);
	tcase_add_test(session, session_no_input_retries);
	tcase_add_test(session, session_invalid_key_retries);
	tcase_add_test(session, session_letter_key_invalid);
	tcase_add_test(session, session_valid_key_resets_retries);
	tcase_add_test(session, session_barge_in_interruptible_only);
	tcase_add_test(session, session_max_duration);
	tcase_add_test(session, session_max_duration_while_recording);
	tcase_add_test(session, session_caller_hangs_up_recording);
	tcase_add_test(session, session_caller_hangs_up_short_recording);
	tcase_add_test(session, session_caller_hangs_up_in_menu);
	tcase_add_test(session, session_media_timeout);
	tcase_add_test(session, session_shutdown_with_report_pending);
	tcase_add_test(session, session_hangup_action);
	tcase_add_test(session, session_path_bounded);
	tcase_add_test(session, session_path_keeps_end_once_cut);
	tcase_add_test(session, session_code_keys_after_too_many_dropped);
	tcase_add_test(session, session_code_keys_dropped_until_played);
	tcase_add_test(session, session_code_star_restarts);
	tcase_add_test(session, session_code_length_or_check_digit);
	tcase_add_test(session, session_silent_recording_not_submitted);
	tcase_add_test(session, session_silent_recording_on_hangup);
	tcase_add_test(session, session_notice_before_recording);
	tcase_add_test(session, session_notice_before_voicemail);
	tcase_add_test(session, session_notice_heard_after_language_switch);
	tcase_add_test(session, session_notice_in_node_prompt_split);
	tcase_add_test(session, session_menu_without_transfer);
	suite_add_tcase(suite, session);
	return suite;
}
