#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "api_error.h"
#include "auth_internal.h"
#include "check_suites.h"
#include "config.h"

/* --- Tokens ------------------------------------------------------------------ */

START_TEST(token_generate_form)
{
	char first[AUTH_TOKEN_TEXT_SIZE], second[AUTH_TOKEN_TEXT_SIZE];

	ck_assert_int_ge(sodium_init(), 0);
	auth_token_generate(first);
	auth_token_generate(second);
	ck_assert_uint_eq(strlen(first), 43);
	ck_assert(auth_token_well_formed(first, strlen(first)));
	ck_assert(auth_token_well_formed(second, strlen(second)));
	ck_assert_str_ne(first, second);
}
END_TEST

START_TEST(token_well_formed_rejects)
{
	static const char good[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-_";
	char text[64];

	/* good has 42 characters: one short. */
	ck_assert(!auth_token_well_formed(good, strlen(good)));
	snprintf(text, sizeof text, "%sx", good);
	ck_assert(auth_token_well_formed(text, strlen(text)));
	snprintf(text, sizeof text, "%sxy", good);
	ck_assert(!auth_token_well_formed(text, strlen(text)));
	snprintf(text, sizeof text, "%s+", good);
	ck_assert(!auth_token_well_formed(text, strlen(text)));
	snprintf(text, sizeof text, "%s=", good);
	ck_assert(!auth_token_well_formed(text, strlen(text)));
	snprintf(text, sizeof text, "%s/", good);
	ck_assert(!auth_token_well_formed(text, strlen(text)));
	/* A NUL inside counts as a character outside the alphabet. */
	snprintf(text, sizeof text, "%sx", good);
	text[5] = '\0';
	ck_assert(!auth_token_well_formed(text, 43));
}
END_TEST

START_TEST(token_hash_is_keyed)
{
	uint8_t key[32], other_key[32];
	uint8_t hash[AUTH_TOKEN_HASH_BYTES], again[AUTH_TOKEN_HASH_BYTES];
	uint8_t expected[AUTH_TOKEN_HASH_BYTES];
	const char *token = "kQhyQNf57ACqWQY_otSBxnwtYkFUXqY0ZRBdccVGoUE";

	ck_assert_int_ge(sodium_init(), 0);
	memset(key, 1, sizeof key);
	memset(other_key, 2, sizeof other_key);
	auth_token_hash(key, token, strlen(token), hash);
	auth_token_hash(key, token, strlen(token), again);
	ck_assert_mem_eq(hash, again, sizeof hash);

	crypto_generichash(expected, sizeof expected,
	    (const unsigned char *)token, strlen(token), key, sizeof key);
	ck_assert_mem_eq(hash, expected, sizeof hash);

	auth_token_hash(other_key, token, strlen(token), again);
	ck_assert(memcmp(hash, again, sizeof hash) != 0);
	auth_token_hash(key, token, strlen(token) - 1, again);
	ck_assert(memcmp(hash, again, sizeof hash) != 0);
}
END_TEST

/* --- Roles and usernames ------------------------------------------------------- */

START_TEST(role_names_round_trip)
{
	static const char *const names[] = { "agent", "supervisor", "admin" };
	enum auth_role role;

	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(auth_role_parse(names[i], &role), 0);
		ck_assert_int_eq(role, i);
		ck_assert_str_eq(auth_role_name(role), names[i]);
	}
	ck_assert_int_eq(auth_role_parse("Admin", &role), -1);
	ck_assert_int_eq(auth_role_parse("root", &role), -1);
	ck_assert_int_eq(auth_role_parse("", &role), -1);
}
END_TEST

START_TEST(role_order_and_departments)
{
	struct auth_agent agent = { .id = 7, .username = "lan",
	    .role = AUTH_ROLE_SUPERVISOR, .department_count = 1,
	    .departments = { "roads" } };
	struct auth_agent admin;
	char actor[96];

	ck_assert(auth_has_role(&agent, AUTH_ROLE_AGENT));
	ck_assert(auth_has_role(&agent, AUTH_ROLE_SUPERVISOR));
	ck_assert(!auth_has_role(&agent, AUTH_ROLE_ADMIN));
	ck_assert(auth_sees_department(&agent, "roads"));
	ck_assert(!auth_sees_department(&agent, "water"));
	ck_assert(!auth_sees_department(&agent, NULL));
	auth_actor(&agent, actor, sizeof actor);
	ck_assert_str_eq(actor, "agent:7:lan");

	auth_agent_bootstrap(&admin);
	ck_assert_int_eq(admin.id, 0);
	ck_assert(auth_has_role(&admin, AUTH_ROLE_ADMIN));
	ck_assert(auth_sees_department(&admin, "water"));
	ck_assert(auth_sees_department(&admin, NULL));
	auth_actor(&admin, actor, sizeof actor);
	ck_assert_str_eq(actor, "admin-token");
}
END_TEST

START_TEST(username_rules)
{
	char out[AUTH_USERNAME_MAX + 1];
	char longest[AUTH_USERNAME_MAX + 2];

	ck_assert_int_eq(auth_username_normalize("Nguyen.Van_A-1", out), 0);
	ck_assert_str_eq(out, "nguyen.van_a-1");
	ck_assert_int_eq(auth_username_normalize("", out), -1);
	ck_assert_int_eq(auth_username_normalize("with space", out), -1);
	ck_assert_int_eq(auth_username_normalize("lan@desk", out), -1);
	ck_assert_int_eq(auth_username_normalize("đức", out), -1);

	memset(longest, 'a', AUTH_USERNAME_MAX);
	longest[AUTH_USERNAME_MAX] = '\0';
	ck_assert_int_eq(auth_username_normalize(longest, out), 0);
	longest[AUTH_USERNAME_MAX] = 'a';
	longest[AUTH_USERNAME_MAX + 1] = '\0';
	ck_assert_int_eq(auth_username_normalize(longest, out), -1);
}
END_TEST

START_TEST(lockout_keys_fold_case)
{
	char first[AUTH_LOCKOUT_KEY_SIZE], second[AUTH_LOCKOUT_KEY_SIZE];
	char longest[4 * AUTH_USERNAME_MAX + 8];

	ck_assert_int_eq(auth_lockout_username_key("ALICE", first), 0);
	ck_assert_int_eq(auth_lockout_username_key("alice", second), 0);
	ck_assert_str_eq(first, "user:alice");
	ck_assert_str_eq(second, "user:alice");

	/* NFC and NFD spellings of one name share a counter. */
	ck_assert_int_eq(auth_lockout_username_key("\xc3\x85lice", first), 0);
	ck_assert_int_eq(auth_lockout_username_key("a\xcc\x8aLICE", second),
	    0);
	ck_assert_str_eq(first, second);
	ck_assert_int_eq(auth_lockout_username_key("stra\xc3\x9f" "e", first),
	    0);
	ck_assert_str_eq(first, "user:strasse");

	/* 64 two-byte code points fit; 65 do not. */
	longest[0] = '\0';
	for (int i = 0; i < AUTH_USERNAME_MAX; i++)
		strcat(longest, "\xc3\xa9");
	ck_assert_int_eq(auth_lockout_username_key(longest, first), 0);
	strcat(longest, "\xc3\xa9");
	ck_assert_int_eq(auth_lockout_username_key(longest, first), -1);
	ck_assert_int_eq(auth_lockout_username_key("\xff", first), -1);

	auth_lockout_address_key("192.0.2.7", first);
	ck_assert_str_eq(first, "addr:192.0.2.7");
}
END_TEST

/* --- Lockout arithmetic -------------------------------------------------------- */

static const struct auth_lockout_policy lockout_policy = {
	.failures = 3, .window_ms = 60000, .lock_ms = 30000,
};

START_TEST(lockout_locks_at_threshold)
{
	struct auth_lockout_state state = { 0 };

	ck_assert(!auth_lockout_record(&lockout_policy, &state, 1000));
	ck_assert(!auth_lockout_record(&lockout_policy, &state, 2000));
	ck_assert_int_eq(auth_lockout_remaining(&state, 2000), 0);
	ck_assert(auth_lockout_record(&lockout_policy, &state, 3000));
	ck_assert_int_eq(state.failures, 3);
	ck_assert_int_eq(state.locked_until, 33000);
	ck_assert_int_eq(auth_lockout_remaining(&state, 3000), 30);
	/* Seconds are rounded up, so a lock never reads as 0 too early. */
	ck_assert_int_eq(auth_lockout_remaining(&state, 32001), 1);
	ck_assert_int_eq(auth_lockout_remaining(&state, 33000), 0);
}
END_TEST

START_TEST(lockout_window_restarts)
{
	struct auth_lockout_state state = { 0 };

	ck_assert(!auth_lockout_record(&lockout_policy, &state, 0));
	ck_assert(!auth_lockout_record(&lockout_policy, &state, 10000));
	/* The window of the first failure has passed: counting restarts. */
	ck_assert(!auth_lockout_record(&lockout_policy, &state, 60000));
	ck_assert_int_eq(state.failures, 1);
	ck_assert_int_eq(state.first_at, 60000);
	ck_assert(!auth_lockout_record(&lockout_policy, &state, 61000));
	ck_assert(auth_lockout_record(&lockout_policy, &state, 62000));
}
END_TEST

START_TEST(lockout_failure_while_locked)
{
	struct auth_lockout_state state = { 0 };

	for (int i = 0; i < 3; i++)
		auth_lockout_record(&lockout_policy, &state, 1000);
	ck_assert_int_eq(state.locked_until, 31000);
	/* A failure during the lock does not move its end. */
	ck_assert(!auth_lockout_record(&lockout_policy, &state, 20000));
	ck_assert_int_eq(state.locked_until, 31000);
}
END_TEST

START_TEST(lockout_expiry)
{
	struct auth_lockout_state state = { 0 };

	auth_lockout_record(&lockout_policy, &state, 0);
	ck_assert(!auth_lockout_expired(&lockout_policy, &state, 59999));
	ck_assert(auth_lockout_expired(&lockout_policy, &state, 60000));

	state = (struct auth_lockout_state){ 0 };
	for (int i = 0; i < 3; i++)
		auth_lockout_record(&lockout_policy, &state, 50000);
	/* The window ends at 110000 and the lock at 80000. */
	ck_assert(!auth_lockout_expired(&lockout_policy, &state, 100000));
	ck_assert(auth_lockout_expired(&lockout_policy, &state, 110000));
}
END_TEST

/* A login counts a failure before its password is checked and takes it
 * back once the password proved right. */
static bool
lockout_login(struct auth_lockout_state *state, int64_t now, bool right)
{
	struct auth_lockout_state before = *state, counted;

	auth_lockout_record(&lockout_policy, state, now);
	counted = *state;
	return right ? auth_lockout_forgive(state, &before, &counted) : false;
}

START_TEST(lockout_success_after_lock_leaves_none)
{
	struct auth_lockout_state state = { 0 };

	for (int i = 0; i < 3; i++)
		lockout_login(&state, 1000, false);
	ck_assert_int_eq(state.locked_until, 31000);
	/* The lock has ended, the window has not: a right password counts a
	 * fourth failure, which locks, and takes both back. */
	ck_assert(lockout_login(&state, 40000, true));
	ck_assert_int_eq(state.failures, 3);
	ck_assert_int_eq(auth_lockout_remaining(&state, 40000), 0);
	ck_assert(lockout_login(&state, 41000, true));
	ck_assert_int_eq(auth_lockout_remaining(&state, 41000), 0);
	/* A wrong one still locks at once. */
	lockout_login(&state, 42000, false);
	ck_assert_int_eq(auth_lockout_remaining(&state, 42000), 30);
}
END_TEST

START_TEST(lockout_success_lifts_lock_set_while_checking)
{
	struct auth_lockout_state state = { 0 }, before, counted;

	lockout_login(&state, 1000, false);
	before = state;
	auth_lockout_record(&lockout_policy, &state, 2000);
	counted = state;
	/* A wrong password from the same address arrives while the right
	 * one is checked and reaches the threshold with its help. */
	ck_assert(auth_lockout_record(&lockout_policy, &state, 2500));
	ck_assert(auth_lockout_forgive(&state, &before, &counted));
	ck_assert_int_eq(state.failures, 2);
	ck_assert_int_eq(state.locked_until, 0);
}
END_TEST

START_TEST(lockout_success_keeps_a_new_window)
{
	struct auth_lockout_state state = { 0 }, before, counted, after;

	before = state;
	auth_lockout_record(&lockout_policy, &state, 0);
	counted = state;
	/* The window ended while the password was checked and three failures
	 * of a new one locked: none of them is the login's. */
	for (int i = 0; i < 3; i++)
		auth_lockout_record(&lockout_policy, &state, 60000);
	after = state;
	ck_assert(!auth_lockout_forgive(&state, &before, &counted));
	ck_assert_mem_eq(&state, &after, sizeof state);
}
END_TEST

/* --- Passwords -------------------------------------------------------------- */

START_TEST(password_blank_rules)
{
	ck_assert(auth_password_blank("          "));
	ck_assert(auth_password_blank("\t \n \r \v \f  "));
	/* U+3000 IDEOGRAPHIC SPACE and U+00A0 NO-BREAK SPACE. */
	ck_assert(auth_password_blank("\xe3\x80\x80\xe3\x80\x80\xc2\xa0"
	    "\xc2\xa0      "));
	ck_assert(!auth_password_blank("     .    "));
	ck_assert(!auth_password_blank(" mat khau  "));
}
END_TEST

/* The message of error in language, checked to hold want and not lack. */
static void
check_error_message(enum hub_error_code code, const char *field, long limit,
    const char *language, const char *want, const char *lack)
{
	struct hub_error error;
	char *message;

	hub_error_set(&error, code, field, limit);
	message = api_error_message(&error, language);
	ck_assert_ptr_nonnull(message);
	ck_assert_msg(strstr(message, want) != NULL, "%s lacks \"%s\"",
	    message, want);
	ck_assert_msg(lack == NULL || strstr(message, lack) == NULL,
	    "%s holds \"%s\"", message, lack);
	free(message);
}

START_TEST(error_messages_of_logins)
{
	/* A new password does not lift a lock of the address. */
	check_error_message(HUB_ERR_LOGIN_LOCKED, "address", 60, "en",
	    "network address is locked for now", "password");
	check_error_message(HUB_ERR_LOGIN_LOCKED, "address", 60, "en",
	    "60 seconds", NULL);
	check_error_message(HUB_ERR_LOGIN_LOCKED, "address", 60, "vi",
	    "địa chỉ mạng", "mật khẩu");
	check_error_message(HUB_ERR_LOGIN_LOCKED, "username", 60, "en",
	    "This username is locked", NULL);
	check_error_message(HUB_ERR_LOGIN_LOCKED, "username", 60, "vi",
	    "Tên đăng nhập này", NULL);
	check_error_message(HUB_ERR_LOGIN_LOCKED, NULL, 60, "en",
	    "60 seconds", "password");

	/* The login takes JSON only; the web form's endpoint takes forms. */
	check_error_message(HUB_ERR_CONTENT_TYPE, NULL, HUB_ERROR_JSON_ONLY,
	    "en", "application/json", "form");
	check_error_message(HUB_ERR_CONTENT_TYPE, NULL, HUB_ERROR_JSON_ONLY,
	    "vi", "application/json", "biểu mẫu");
	check_error_message(HUB_ERR_CONTENT_TYPE, NULL, 0, "en", "web form",
	    NULL);

	check_error_message(HUB_ERR_INVALID_FIELD, "password", HUB_ERROR_BLANK,
	    "en", "\"password\" holds only white space", NULL);
	check_error_message(HUB_ERR_INVALID_FIELD, "password", HUB_ERROR_BLANK,
	    "vi", "\"password\" chỉ có khoảng trắng", NULL);
}
END_TEST

START_TEST(password_length_rules)
{
	enum hub_error_code code;
	char longest[AUTH_PASSWORD_MAX_CHARS + 2];
	char *password;
	long limit;

	password = auth_password_prepare("123456789", 9, &code, &limit);
	ck_assert_ptr_null(password);
	ck_assert_int_eq(code, HUB_ERR_INVALID_FIELD);
	ck_assert_int_eq(limit, AUTH_PASSWORD_MIN_CHARS);

	/* Ten code points of two bytes each count as ten characters. */
	password = auth_password_prepare("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 20, &code,
	    &limit);
	ck_assert_ptr_nonnull(password);
	auth_password_free(password);
	password = auth_password_prepare("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 18, &code, &limit);
	ck_assert_ptr_null(password);

	/* Spaces at either end are kept. */
	password = auth_password_prepare(" 123456789 ", 11, &code, &limit);
	ck_assert_ptr_nonnull(password);
	ck_assert_str_eq(password, " 123456789 ");
	auth_password_free(password);

	memset(longest, 'x', sizeof longest - 1);
	longest[sizeof longest - 1] = '\0';
	password = auth_password_prepare(longest, strlen(longest), &code,
	    &limit);
	ck_assert_ptr_null(password);
	ck_assert_int_eq(code, HUB_ERR_FIELD_TOO_LONG);
	ck_assert_int_eq(limit, AUTH_PASSWORD_MAX_CHARS);

	password = auth_password_prepare("1234\0" "56789a", 11, &code, &limit);
	ck_assert_ptr_null(password);
}
END_TEST

START_TEST(password_normalized_to_nfc)
{
	/* "mật khẩu 12" precomposed, and with combining marks. */
	static const char precomposed[] = "m\xe1\xba\xadt kh\xe1\xba\xa9u 12";
	static const char decomposed[] =
	    "ma\xcc\xa3\xcc\x82t kha\xcc\x82\xcc\x89u 12";
	enum hub_error_code code;
	char *nfc, *nfd;
	long limit;

	nfc = auth_password_prepare(precomposed, strlen(precomposed), &code,
	    &limit);
	nfd = auth_password_prepare(decomposed, strlen(decomposed), &code,
	    &limit);
	ck_assert_ptr_nonnull(nfc);
	ck_assert_ptr_nonnull(nfd);
	ck_assert_str_eq(nfc, nfd);
	auth_password_free(nfc);
	auth_password_free(nfd);
}
END_TEST

START_TEST(password_hash_and_verify)
{
	char hash[AUTH_PASSWORD_HASH_SIZE];

	ck_assert_int_ge(sodium_init(), 0);
	ck_assert_int_eq(auth_password_setup(false), 0);
	ck_assert_int_eq(auth_password_hash("correct horse", hash), 0);
	ck_assert_int_eq(strncmp(hash, "$argon2id$", 10), 0);
	ck_assert(auth_password_verify(hash, "correct horse"));
	ck_assert(!auth_password_verify(hash, "correct horsE"));
	/* The dummy hash never verifies, whatever the password. */
	ck_assert(!auth_password_verify(NULL, "correct horse"));
	ck_assert(!auth_password_verify(NULL, ""));
}
END_TEST

/* --- The auth section of the config ----------------------------------------- */

/* Loads text as a config file. Returns the config, or NULL with err
 * filled in. */
static struct hub_config *
auth_config_load(const char *text, struct config_error *err)
{
	char path[] = "/tmp/check_auth.XXXXXX";
	struct hub_config *config = NULL;
	int fd = mkstemp(path);
	FILE *file;

	ck_assert_int_ge(fd, 0);
	file = fdopen(fd, "w");
	ck_assert_ptr_nonnull(file);
	ck_assert_int_ge(fputs(text, file), 0);
	ck_assert_int_eq(fclose(file), 0);
	if (config_load(path, &config, err) != 0)
		config = NULL;
	unlink(path);
	return config;
}

START_TEST(config_auth_defaults)
{
	struct config_error err;
	struct hub_config *config = auth_config_load("{}\n", &err);

	ck_assert_msg(config != NULL, "load failed: %s", err.message);
	ck_assert_int_eq(config->auth.session_idle_seconds, 1800);
	ck_assert_int_eq(config->auth.session_max_hours, 12);
	ck_assert_int_eq(config->auth.bearer_days, 30);
	ck_assert_int_eq(config->auth.lockout_failures, 5);
	ck_assert_int_eq(config->auth.lockout_address_failures, 50);
	ck_assert_int_eq(config->auth.lockout_window_seconds, 900);
	ck_assert_int_eq(config->auth.lockout_seconds, 900);
	ck_assert(!config->auth.password_moderate);
	config_free(config);
}
END_TEST

START_TEST(config_auth_values_load)
{
	struct config_error err;
	struct hub_config *config = auth_config_load(
	    "{\"auth\": {\"session_idle_seconds\": 3,"
	    " \"lockout_failures\": 7, \"password_cost\": \"moderate\"}}\n",
	    &err);

	ck_assert_msg(config != NULL, "load failed: %s", err.message);
	ck_assert_int_eq(config->auth.session_idle_seconds, 3);
	ck_assert_int_eq(config->auth.lockout_failures, 7);
	ck_assert(config->auth.password_moderate);
	config_free(config);
}
END_TEST

START_TEST(config_auth_errors_name_key_and_line)
{
	struct config_error err;

	ck_assert_ptr_null(auth_config_load(
	    "{\n  \"auth\": {\n    \"lockout_failures\": 0\n  }\n}\n", &err));
	ck_assert_str_eq(err.path, "auth.lockout_failures");
	ck_assert_int_eq(err.line, 3);
	ck_assert_msg(strstr(err.message, "expected an integer from 1 to "
	    "1000") != NULL, "message: %s", err.message);

	ck_assert_ptr_null(auth_config_load(
	    "{\n  \"auth\": {\n    \"password_cost\": \"high\"\n  }\n}\n",
	    &err));
	ck_assert_str_eq(err.path, "auth.password_cost");
	ck_assert_int_eq(err.line, 3);

	ck_assert_ptr_null(auth_config_load(
	    "{\n  \"auth\": {\n    \"session_idle_minutes\": 5\n  }\n}\n",
	    &err));
	ck_assert_str_eq(err.path, "auth.session_idle_minutes");
	ck_assert_msg(strstr(err.message, "unknown key") != NULL, "message: %s",
	    err.message);
}
END_TEST

Suite *
auth_suite(void)
{
	Suite *suite = suite_create("auth");
	TCase *tokens = tcase_create("tokens");
	TCase *names = tcase_create("names");
	TCase *lockout = tcase_create("lockout");
	TCase *passwords = tcase_create("passwords");
	TCase *config = tcase_create("config");

	tcase_add_test(tokens, token_generate_form);
	tcase_add_test(tokens, token_well_formed_rejects);
	tcase_add_test(tokens, token_hash_is_keyed);
	suite_add_tcase(suite, tokens);

	tcase_add_test(names, role_names_round_trip);
	tcase_add_test(names, role_order_and_departments);
	tcase_add_test(names, username_rules);
	tcase_add_test(names, lockout_keys_fold_case);
	tcase_add_test(names, error_messages_of_logins);
	suite_add_tcase(suite, names);

	tcase_add_test(lockout, lockout_locks_at_threshold);
	tcase_add_test(lockout, lockout_window_restarts);
	tcase_add_test(lockout, lockout_failure_while_locked);
	tcase_add_test(lockout, lockout_expiry);
	tcase_add_test(lockout, lockout_success_after_lock_leaves_none);
	tcase_add_test(lockout, lockout_success_lifts_lock_set_while_checking);
	tcase_add_test(lockout, lockout_success_keeps_a_new_window);
	suite_add_tcase(suite, lockout);

	/* Two argon2id hashes with the interactive cost take well under a
	 * second each, under sanitizers too. */
	tcase_set_timeout(passwords, 30);
	tcase_add_test(passwords, password_length_rules);
	tcase_add_test(passwords, password_normalized_to_nfc);
	tcase_add_test(passwords, password_hash_and_verify);
	tcase_add_test(passwords, password_blank_rules);
	suite_add_tcase(suite, passwords);

	tcase_add_test(config, config_auth_defaults);
	tcase_add_test(config, config_auth_values_load);
	tcase_add_test(config, config_auth_errors_name_key_and_line);
	suite_add_tcase(suite, config);
	return suite;
}
