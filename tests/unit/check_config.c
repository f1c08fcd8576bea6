/*
 * Tests of the config loader: a full file, defaults, every kind of
 * validation error with its path, line and expected form, path resolution,
 * the position finder and the field tables that channel modules use. Each
 * test writes its files into a temporary folder of its own.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check_suites.h"

static char config_test_dir[64];
static char config_test_path[128];

static void
config_test_setup(void)
{
	snprintf(config_test_dir, sizeof(config_test_dir),
	    "/tmp/check_config.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(config_test_dir));
	snprintf(config_test_path, sizeof(config_test_path), "%s/hub.json",
	    config_test_dir);
}

static void
config_test_teardown(void)
{
	char command[256];

	snprintf(command, sizeof(command), "rm -rf '%s'", config_test_dir);
	ck_assert_int_eq(system(command), 0);
}

static void
config_test_write(const char *path, const char *text)
{
	FILE *file = fopen(path, "w");

	ck_assert_ptr_nonnull(file);
	ck_assert_int_eq(fputs(text, file) >= 0, 1);
	ck_assert_int_eq(fclose(file), 0);
}

static struct hub_config *
config_test_load(const char *text)
{
	struct hub_config *config = NULL;
	struct config_error err;

	config_test_write(config_test_path, text);
	int result = config_load(config_test_path, &config, &err);
	ck_assert_msg(result == 0, "load failed: %s", err.message);
	ck_assert_ptr_nonnull(config);
	return config;
}

/* Loads text, which must fail, and checks the error's path, line and that
 * its message starts with "FILE:LINE: PATH: " and contains expected. */
static void
config_test_reject(const char *text, const char *path, int line,
    const char *expected)
{
	struct hub_config *config = NULL;
	struct config_error err;
	char prefix[512];

	config_test_write(config_test_path, text);
	ck_assert_int_eq(config_load(config_test_path, &config, &err), -1);
	ck_assert_ptr_null(config);
	ck_assert_str_eq(err.file, config_test_path);
	ck_assert_str_eq(err.path, path);
	ck_assert_msg(err.line == line, "line %d, expected %d: %s", err.line,
	    line, err.message);

	snprintf(prefix, sizeof(prefix), "%s:%d: %s: ", config_test_path,
	    line, path);
	ck_assert_msg(strncmp(err.message, prefix, strlen(prefix)) == 0,
	    "message \"%s\" does not start with \"%s\"", err.message, prefix);
	ck_assert_msg(strstr(err.message, expected) != NULL,
	    "message \"%s\" lacks \"%s\"", err.message, expected);
}

static const char config_test_full[] =
    "{\n"
    "  \"data_dir\": \"/srv/hub/data\",\n"
    "  \"modules_dir\": \"/srv/hub/modules\",\n"
    "  \"templates_dir\": \"/srv/hub/templates\",\n"
    "  \"workers\": 8,\n"
    "  \"log\": {\"file\": \"/var/log/hub.log\", \"level\": \"debug\",\n"
    "          \"trace\": [\"http\", \"store\"]},\n"
    "  \"http\": {\n"
    "    \"listen\": \"[::1]:9090\",\n"
    "    \"public_url\": \"https://hub.example.org/intake/\",\n"
    "    \"max_body_bytes\": 2048,\n"
    "    \"max_header_bytes\": 4096,\n"
    "    \"timeout_seconds\": 12,\n"
    "    \"trusted_proxies\": [\"10.0.0.1\", \"fd00::2\"]\n"
    "  },\n"
    "  \"store\": {\"batch_max\": 50, \"busy_timeout_ms\": 0},\n"
    "  \"limits\": {\"name_chars\": 10, \"subject_chars\": 11,\n"
    "             \"description_chars\": 12, \"address_chars\": 13,\n"
    "             \"email_chars\": 14, \"category_chars\": 15,\n"
    "             \"external_id_chars\": 16},\n"
    "  \"dedupe\": {\"idempotency_hours\": 48},\n"
    "  \"outbox\": {\"retention_hours\": 24, \"prune_interval_seconds\": 60},\n"
    "  \"rate_limits\": {\"submit_per_minute\": 0, \"lookup_per_minute\": 5,\n"
    "                  \"exempt\": [\"127.0.0.1\"]},\n"
    "  \"admin\": {\"token_file\": \"/etc/hub/admin.token\"},\n"
    "  \"desk\": {\"reopen_days\": 3},\n"
    "  \"channels\": {\"web\": {\"title\": \"Hub\"}, \"sms\": {}}\n"
    "}\n";

START_TEST(config_full_file_loads)
{
	struct hub_config *config = config_test_load(config_test_full);

	ck_assert_str_eq(config->path, config_test_path);
	ck_assert_str_eq(config->text, config_test_full);
	ck_assert_str_eq(config->data_dir, "/srv/hub/data");
	ck_assert_str_eq(config->modules_dir, "/srv/hub/modules");
	ck_assert_str_eq(config->templates_dir, "/srv/hub/templates");
	ck_assert_int_eq(config->workers, 8);
	ck_assert_str_eq(config->log_file, "/var/log/hub.log");
	ck_assert_int_eq(config->log_level, LOG_LEVEL_DEBUG);
	ck_assert_uint_eq(config->log_trace, LOG_TRACE_HTTP | LOG_TRACE_STORE);
	ck_assert_str_eq(config->http_address, "::1");
	ck_assert_uint_eq(config->http_port, 9090);
	ck_assert_str_eq(config->public_url, "https://hub.example.org/intake");
	ck_assert_uint_eq(config->http_max_body_bytes, 2048);
	ck_assert_uint_eq(config->http_max_header_bytes, 4096);
	ck_assert_int_eq(config->http_timeout_seconds, 12);
	ck_assert_str_eq(config->trusted_proxies[0], "10.0.0.1");
	ck_assert_str_eq(config->trusted_proxies[1], "fd00::2");
	ck_assert_ptr_null(config->trusted_proxies[2]);
	ck_assert_int_eq(config->store_batch_max, 50);
	ck_assert_int_eq(config->store_busy_timeout_ms, 0);
	ck_assert_int_eq(config->limits.name_chars, 10);
	ck_assert_int_eq(config->limits.subject_chars, 11);
	ck_assert_int_eq(config->limits.description_chars, 12);
	ck_assert_int_eq(config->limits.address_chars, 13);
	ck_assert_int_eq(config->limits.email_chars, 14);
	ck_assert_int_eq(config->limits.category_chars, 15);
	ck_assert_int_eq(config->limits.external_id_chars, 16);
	ck_assert_int_eq(config->idempotency_hours, 48);
	ck_assert_int_eq(config->outbox_retention_hours, 24);
	ck_assert_int_eq(config->outbox_prune_interval_seconds, 60);
	ck_assert_int_eq(config->rate_submit_per_minute, 0);
	ck_assert_int_eq(config->rate_lookup_per_minute, 5);
	ck_assert_str_eq(config->rate_exempt[0], "127.0.0.1");
	ck_assert_ptr_null(config->rate_exempt[1]);
	ck_assert_str_eq(config->admin_token_file, "/etc/hub/admin.token");
	ck_assert_int_eq(config->desk_reopen_days, 3);

	ck_assert_uint_eq(json_object_size(config->channels), 2);
	json_t *web = json_object_get(config->channels, "web");
	ck_assert_str_eq(json_string_value(json_object_get(web, "title")), "Hub");
	ck_assert(json_is_object(json_object_get(config->channels, "sms")));
	config_free(config);
}
END_TEST

START_TEST(config_defaults_when_absent)
{
	char data_dir[PATH_MAX];
	struct hub_config *config = config_test_load("{}\n");

	snprintf(data_dir, sizeof(data_dir), "%s/data", config_test_dir);
	ck_assert_str_eq(config->data_dir, data_dir);
	ck_assert_str_eq(config->modules_dir, HUB_MODULE_DIR);
	ck_assert_str_eq(config->templates_dir, HUB_TEMPLATE_DIR);
	ck_assert_int_eq(config->workers, 2);
	ck_assert_str_eq(config->log_file, "-");
	ck_assert_int_eq(config->log_level, LOG_LEVEL_INFO);
	ck_assert_uint_eq(config->log_trace, 0);
	ck_assert_str_eq(config->http_address, "127.0.0.1");
	ck_assert_uint_eq(config->http_port, 8080);
	ck_assert_str_eq(config->public_url, "http://127.0.0.1:8080");
	ck_assert_uint_eq(config->http_max_body_bytes, 65536);
	ck_assert_uint_eq(config->http_max_header_bytes, 8192);
	ck_assert_int_eq(config->http_timeout_seconds, 30);
	ck_assert_ptr_nonnull(config->trusted_proxies);
	ck_assert_ptr_null(config->trusted_proxies[0]);
	ck_assert_int_eq(config->store_batch_max, 1024);
	ck_assert_int_eq(config->store_busy_timeout_ms, 5000);
	ck_assert_int_eq(config->limits.name_chars, 120);
	ck_assert_int_eq(config->limits.subject_chars, 200);
	ck_assert_int_eq(config->limits.description_chars, 4000);
	ck_assert_int_eq(config->limits.address_chars, 300);
	ck_assert_int_eq(config->limits.email_chars, 254);
	ck_assert_int_eq(config->limits.category_chars, 64);
	ck_assert_int_eq(config->limits.external_id_chars, 200);
	ck_assert_int_eq(config->idempotency_hours, 24);
	ck_assert_int_eq(config->outbox_retention_hours, 168);
	ck_assert_int_eq(config->outbox_prune_interval_seconds, 300);
	ck_assert_int_eq(config->rate_submit_per_minute, 10);
	ck_assert_int_eq(config->rate_lookup_per_minute, 60);
	ck_assert_ptr_nonnull(config->rate_exempt);
	ck_assert_ptr_null(config->rate_exempt[0]);
	ck_assert_ptr_null(config->admin_token_file);
	ck_assert_int_eq(config->desk_reopen_days, 7);

	ck_assert_uint_eq(json_object_size(config->channels), 1);
	json_t *web = json_object_get(config->channels, "web");
	ck_assert(json_is_object(web));
	ck_assert_uint_eq(json_object_size(web), 0);
	config_free(config);
}
END_TEST

START_TEST(config_public_url_follows_listen)
{
	struct hub_config *config = config_test_load(
	    "{\"http\": {\"listen\": \"[::1]:8443\"}}\n");

	ck_assert_str_eq(config->public_url, "http://[::1]:8443");
	config_free(config);
}
END_TEST

START_TEST(config_unknown_key_top_level)
{
	config_test_reject(
	    "{\n"
	    "  \"workers\": 2,\n"
	    "  \"worker\": 3\n"
	    "}\n",
	    "worker", 3,
	    "unknown key; expected one of data_dir, modules_dir, "
	    "templates_dir, prompts_dir, workers, io_workers, log, http, store, limits, dedupe, "
	    "outbox, rate_limits, admin, ");
}
END_TEST

START_TEST(config_unknown_key_nested)
{
	config_test_reject(
	    "{\n"
	    "  \"http\": {\n"
	    "    \"listen\": \"127.0.0.1:80\",\n"
	    "    \"lisen\": \"127.0.0.1:81\"\n"
	    "  }\n"
	    "}\n",
	    "http.lisen", 4,
	    "unknown key; expected one of listen, public_url, max_body_bytes, "
	    "max_header_bytes, timeout_seconds, trusted_proxies");
}
END_TEST

START_TEST(config_string_for_integer)
{
	config_test_reject(
	    "{\n"
	    "  \"workers\": \"4\"\n"
	    "}\n",
	    "workers", 2,
	    "invalid type (string); expected an integer from 1 to 64");
}
END_TEST

START_TEST(config_real_for_integer)
{
	config_test_reject(
	    "{\"store\": {\n"
	    "  \"batch_max\": 2.5}}\n",
	    "store.batch_max", 2,
	    "invalid type (real number); expected an integer from 1 to 100000");
}
END_TEST

START_TEST(config_integer_for_string)
{
	config_test_reject(
	    "{\n"
	    "  \"log\": {\n"
	    "    \"level\": 3\n"
	    "  }\n"
	    "}\n",
	    "log.level", 3,
	    "invalid type (integer); expected one of error, warn, info, debug");
}
END_TEST

START_TEST(config_object_for_array)
{
	config_test_reject(
	    "{\n"
	    "  \"http\": {\"listen\": \"127.0.0.1:80\",\n"
	    "    \"trusted_proxies\": {}}\n"
	    "}\n",
	    "http.trusted_proxies", 3,
	    "invalid type (object); expected an array of numeric IPv4 or IPv6 "
	    "addresses");
}
END_TEST

START_TEST(config_array_for_section)
{
	config_test_reject(
	    "{\n"
	    "  \"store\": []\n"
	    "}\n",
	    "store", 2, "invalid type (array); expected an object");
}
END_TEST

START_TEST(config_integer_out_of_range)
{
	config_test_reject(
	    "{\n"
	    "  \"limits\": {\n"
	    "    \"name_chars\": 50,\n"
	    "    \"email_chars\": 5\n"
	    "  }\n"
	    "}\n",
	    "limits.email_chars", 4,
	    "value 5 out of range; expected an integer from 6 to 254");
	config_test_reject("{\"workers\": 65}\n", "workers", 1,
	    "value 65 out of range; expected an integer from 1 to 64");
	config_test_reject("{\"store\": {\"busy_timeout_ms\": -1}}\n",
	    "store.busy_timeout_ms", 1,
	    "value -1 out of range; expected an integer from 0 to 600000");
}
END_TEST

START_TEST(config_integer_bounds_accepted)
{
	struct hub_config *config = config_test_load(
	    "{\"workers\": 64, \"http\": {\"max_body_bytes\": 16777216,\n"
	    " \"max_header_bytes\": 1024}, \"store\": {\"batch_max\": 1}}\n");

	ck_assert_int_eq(config->workers, 64);
	ck_assert_uint_eq(config->http_max_body_bytes, 16777216);
	ck_assert_uint_eq(config->http_max_header_bytes, 1024);
	ck_assert_int_eq(config->store_batch_max, 1);
	config_free(config);
}
END_TEST

START_TEST(config_bad_listen_message)
{
	char expected[512];
	struct hub_config *config = NULL;
	struct config_error err;

	config_test_write(config_test_path,
	    "{\n"
	    "  \"data_dir\": \"data\",\n"
	    "  \"log\": {\n"
	    "    \"level\": \"info\"\n"
	    "  },\n"
	    "  \"http\": {\n"
	    "    \"listen\": \"localhost:80\"\n"
	    "  }\n"
	    "}\n");
	ck_assert_int_eq(config_load(config_test_path, &config, &err), -1);
	snprintf(expected, sizeof(expected), "%s:7: http.listen: invalid "
	    "value \"localhost:80\"; expected an address as ADDR:PORT, "
	    "e.g. 127.0.0.1:8080 or [::1]:8080", config_test_path);
	ck_assert_str_eq(err.message, expected);
	ck_assert_int_eq(err.line, 7);
}
END_TEST

START_TEST(config_listen_forms)
{
	static const char *const invalid[] = {
		"127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
		"127.0.0.1:080", "127.0.0.1:8o", "1.2.3:80", ":80",
		"::1:8080", "[::1]8080", "[127.0.0.1]:80", "[::1:80",
		"[]:80", "0x7f.0.0.1:80", " 127.0.0.1:80",
	};
	char text[256];

	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		snprintf(text, sizeof(text), "{\"http\": {\"listen\": \"%s\"}}\n",
		    invalid[i]);
		config_test_reject(text, "http.listen", 1,
		    "expected an address as ADDR:PORT");
	}

	struct hub_config *config = config_test_load(
	    "{\"http\": {\"listen\": \"0.0.0.0:65535\"}}\n");
	ck_assert_str_eq(config->http_address, "0.0.0.0");
	ck_assert_uint_eq(config->http_port, 65535);
	config_free(config);
}
END_TEST

START_TEST(config_bad_proxy_element)
{
	config_test_reject(
	    "{\n"
	    "  \"http\": {\n"
	    "    \"trusted_proxies\": [\n"
	    "      \"10.0.0.1\",\n"
	    "      \"10.0.0.300\",\n"
	    "      \"::1\"\n"
	    "    ]\n"
	    "  }\n"
	    "}\n",
	    "http.trusted_proxies[1]", 5,
	    "invalid value \"10.0.0.300\"; expected a numeric IPv4 or IPv6 "
	    "address");
}
END_TEST

START_TEST(config_bad_exempt_element_type)
{
	config_test_reject(
	    "{\"rate_limits\": {\"exempt\": [\"::1\",\n"
	    "  \"192.0.2.1\", 7]}}\n",
	    "rate_limits.exempt[2]", 2,
	    "invalid type (integer); expected a string");
}
END_TEST

START_TEST(config_bad_public_url)
{
	static const char *const invalid[] = {
		"ftp://hub.example.org", "http://", "https:///path",
		"http://hub example.org", "http://hub.example.org/?a=1",
		"http://hub.example.org/#top", "hub.example.org",
	};
	char text[256];

	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		snprintf(text, sizeof(text),
		    "{\n  \"http\": {\n    \"public_url\": \"%s\"}}\n",
		    invalid[i]);
		config_test_reject(text, "http.public_url", 3,
		    "expected an http:// or https:// URL");
	}
}
END_TEST

START_TEST(config_public_url_trailing_slashes)
{
	struct hub_config *config = config_test_load(
	    "{\"http\": {\"public_url\": \"HTTP://hub.example.org//\"}}\n");

	ck_assert_str_eq(config->public_url, "HTTP://hub.example.org");
	config_free(config);
}
END_TEST

START_TEST(config_unknown_log_level)
{
	config_test_reject(
	    "{\n"
	    "  \"log\": {\"level\": \"verbose\"}\n"
	    "}\n",
	    "log.level", 2,
	    "invalid value \"verbose\"; expected one of error, warn, info, debug");
}
END_TEST

START_TEST(config_unknown_trace_name)
{
	config_test_reject(
	    "{\n"
	    "  \"log\": {\n"
	    "    \"trace\": [\"http\",\n"
	    "      \"sotre\"]\n"
	    "  }\n"
	    "}\n",
	    "log.trace[1]", 4,
	    "invalid value \"sotre\"; expected one of http, store, pipeline, "
	    "module, loop, curl, libevent, channel, all");
}
END_TEST

START_TEST(config_bad_channel_name)
{
	static const char *const invalid[] = {
		"Web", "9web", "web-form", "_web", "",
		"abcdefghijklmnopqrstuvwxyz1234567",
	};
	char text[256];
	char path[128];

	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		snprintf(text, sizeof(text),
		    "{\n  \"channels\": {\n    \"web\": {},\n    \"%s\": {}\n"
		    "  }\n}\n", invalid[i]);
		snprintf(path, sizeof(path), "channels.%s", invalid[i]);
		config_test_reject(text, path, 4,
		    "invalid module name; expected a lowercase letter, then up "
		    "to 31 lowercase letters, digits or underscores");
	}

	struct hub_config *config = config_test_load(
	    "{\"channels\": {\"abcdefghijklmnopqrstuvwxyz123456\": {},"
	    " \"sms_2\": {}}}\n");
	ck_assert_uint_eq(json_object_size(config->channels), 2);
	config_free(config);
}
END_TEST

START_TEST(config_channel_section_not_object)
{
	config_test_reject(
	    "{\"channels\": {\n"
	    "  \"web\": true}}\n",
	    "channels.web", 2,
	    "invalid type (boolean); expected an object");
}
END_TEST

START_TEST(config_duplicate_key)
{
	config_test_reject(
	    "{\n"
	    "  \"http\": {\n"
	    "    \"listen\": \"127.0.0.1:80\",\n"
	    "    \"timeout_seconds\": 5,\n"
	    "    \"listen\": \"127.0.0.1:81\"\n"
	    "  }\n"
	    "}\n",
	    "http.listen", 5, "duplicate key");
}
END_TEST

START_TEST(config_syntax_error_line)
{
	char prefix[256];
	struct hub_config *config = NULL;
	struct config_error err;

	config_test_write(config_test_path,
	    "{\n"
	    "  \"workers\": 2,\n"
	    "  \"data_dir\": \"data\"\n"
	    "  \"http\": {}\n"
	    "}\n");
	ck_assert_int_eq(config_load(config_test_path, &config, &err), -1);
	ck_assert_ptr_null(config);
	ck_assert_int_eq(err.line, 4);
	snprintf(prefix, sizeof(prefix), "%s:4:", config_test_path);
	ck_assert_msg(strncmp(err.message, prefix, strlen(prefix)) == 0,
	    "message: %s", err.message);
	ck_assert_ptr_nonnull(strstr(err.message, "invalid JSON"));
}
END_TEST

START_TEST(config_key_inside_earlier_string)
{
	config_test_reject(
	    "{\n"
	    "  \"data_dir\": \"odd \\\"workers\\\": {\\\"listen\\\" [\",\n"
	    "  \"http\": {\"public_url\": \"http://h/\\\\\\\"workers\\\"\"},\n"
	    "  \"templates_dir\": \"}\",\n"
	    "  \"workers\": \"two\"\n"
	    "}\n",
	    "workers", 5, "expected an integer from 1 to 64");
	config_test_reject(
	    "{\n"
	    "  \"admin\": {\"token_file\": \"listen\"},\n"
	    "  \"channels\": {\"web\": {\"note\": \"\\\"http\\\": {\"}},\n"
	    "  \"http\": {\n"
	    "    \"listen\": \"nowhere\"\n"
	    "  }\n"
	    "}\n",
	    "http.listen", 5, "expected an address as ADDR:PORT");
}
END_TEST

START_TEST(config_relative_paths_resolved)
{
	char folder[128];
	char path[160];
	char expected[256];
	struct hub_config *config = NULL;
	struct config_error err;

	snprintf(folder, sizeof(folder), "%s/etc", config_test_dir);
	snprintf(path, sizeof(path), "%s/hub.json", folder);
	ck_assert_int_eq(mkdir(folder, 0700), 0);
	config_test_write(path,
	    "{\"data_dir\": \"../run/data\", \"modules_dir\": \"/opt/modules\",\n"
	    " \"templates_dir\": \"templates\",\n"
	    " \"log\": {\"file\": \"logs/hub.log\"},\n"
	    " \"admin\": {\"token_file\": \"admin.token\"}}\n");
	ck_assert_int_eq(config_load(path, &config, &err), 0);

	snprintf(expected, sizeof(expected), "%s/../run/data", folder);
	ck_assert_str_eq(config->data_dir, expected);
	ck_assert_str_eq(config->modules_dir, "/opt/modules");
	snprintf(expected, sizeof(expected), "%s/templates", folder);
	ck_assert_str_eq(config->templates_dir, expected);
	snprintf(expected, sizeof(expected), "%s/logs/hub.log", folder);
	ck_assert_str_eq(config->log_file, expected);
	snprintf(expected, sizeof(expected), "%s/admin.token", folder);
	ck_assert_str_eq(config->admin_token_file, expected);

	char *resolved = config_resolve_path(config, "x/y");
	snprintf(expected, sizeof(expected), "%s/x/y", folder);
	ck_assert_str_eq(resolved, expected);
	free(resolved);
	config_free(config);
}
END_TEST

START_TEST(config_log_file_dash_kept)
{
	struct hub_config *config = config_test_load(
	    "{\"log\": {\"file\": \"-\"}}\n");

	ck_assert_str_eq(config->log_file, "-");
	config_free(config);
}
END_TEST

START_TEST(config_empty_path_rejected)
{
	config_test_reject("{\n\"data_dir\": \"\"}\n", "data_dir", 2,
	    "invalid length 0 bytes; expected a non-empty path");
}
END_TEST

START_TEST(config_missing_file)
{
	char path[160];
	struct hub_config *config = NULL;
	struct config_error err;

	snprintf(path, sizeof(path), "%s/absent.json", config_test_dir);
	ck_assert_int_eq(config_load(path, &config, &err), -1);
	ck_assert_ptr_null(config);
	ck_assert_int_eq(err.line, 0);
	ck_assert_ptr_nonnull(strstr(err.message, path));
	ck_assert_ptr_nonnull(strstr(err.message, "No such file or directory"));
}
END_TEST

START_TEST(config_root_not_object)
{
	struct hub_config *config = NULL;
	struct config_error err;

	config_test_write(config_test_path, "[1, 2]\n");
	ck_assert_int_eq(config_load(config_test_path, &config, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.message,
	    "invalid type (array); expected an object"));
}
END_TEST

START_TEST(config_position_lines)
{
	static const char text[] =
	    "{\n"
	    "  \"a\": \"x\\\"b\\\": [1, 2]\",\n"
	    "  \"b\": [\n"
	    "    {\"c\": 1},\n"
	    "    {\n"
	    "      \"c\": [true,\n"
	    "        null]\n"
	    "    }\n"
	    "  ],\n"
	    "  \"d\\u00e9\": {\"e.f\": 1, \"g\": {\"h\": \"\\\\\"}},\n"
	    "  \"i\": \"\\ud83d\\ude00\", \"j\": -1.5e3\n"
	    "}\n";
	static const struct {
		const char *path;
		int line;
	} cases[] = {
		{ "a", 2 }, { "b", 3 }, { "b[0]", 4 }, { "b[0].c", 4 },
		{ "b[1]", 5 }, { "b[1].c", 6 }, { "b[1].c[0]", 6 },
		{ "b[1].c[1]", 7 }, { "d\xc3\xa9", 10 }, { "d\xc3\xa9.g.h", 10 },
		{ "i", 11 }, { "j", 11 },
		{ "b[2]", 0 }, { "c", 0 }, { "b[1].d", 0 }, { "a[0]", 0 },
		{ "", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int line = config_position_line(text, cases[i].path);
		ck_assert_msg(line == cases[i].line, "%s: line %d, expected %d",
		    cases[i].path, line, cases[i].line);
	}
}
END_TEST

START_TEST(config_position_invalid_text)
{
	ck_assert_int_eq(config_position_line("{\"a\": \"open", "a"), 1);
	ck_assert_int_eq(config_position_line("{\"a\": \"open", "b"), 0);
	ck_assert_int_eq(config_position_line("{\"a\" 1, \"b\": 2}", "b"), 0);
	ck_assert_int_eq(config_position_line("", "a"), 0);
	ck_assert_int_eq(config_position_line("[[[[[[", "[0]"), 1);
	ck_assert_int_eq(config_position_line("{\"a\\x\": 1}", "a"), 0);
	ck_assert_int_eq(config_position_line(NULL, "a"), 0);
}
END_TEST

START_TEST(config_position_deep_nesting)
{
	size_t depth = 10000;
	char *text = malloc(depth * 2 + 1);

	ck_assert_ptr_nonnull(text);
	memset(text, '[', depth);
	memset(text + depth, ']', depth);
	text[depth * 2] = '\0';
	ck_assert_int_eq(config_position_line(text, "[0][0][0][0][0][0][0][0]"
	    "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
	    "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
	    "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
	    "[0][0][0][0][0][0][0][0][0][0]"), 0);
	ck_assert_int_eq(config_position_line(text, "[0][0]"), 1);
	free(text);
}
END_TEST

static const char *
config_test_check_even(const json_t *value)
{
	return json_integer_value(value) % 2 == 0 ? NULL : "an even number";
}

static const struct config_field config_test_module_fields[] = {
	{ .key = "min_fill_seconds", .type = CONFIG_INTEGER, .min = 0,
	  .max = 3600 },
	{ .key = "max_fill_seconds", .type = CONFIG_INTEGER, .min = 0,
	  .max = 86400, .check = config_test_check_even },
	{ .key = "enabled", .type = CONFIG_BOOLEAN },
	{ .key = "title", .type = CONFIG_STRING, .min = 1, .max = 8 },
	{ .key = "origins", .type = CONFIG_STRING_ARRAY, .max = 2 },
	{ .key = "form", .type = CONFIG_OBJECT },
	{ .key = NULL },
};

static void
config_test_module_reject(const char *section_text, const char *path,
    int line, const char *expected)
{
	char text[1024];
	struct config_error err;

	snprintf(text, sizeof(text), "{\n  \"channels\": {\n    \"web\": %s\n"
	    "  }\n}\n", section_text);
	struct hub_config *config = config_test_load(text);
	const json_t *section = json_object_get(config->channels, "web");

	ck_assert_int_eq(config_check_section(config, "channels.web", section,
	    config_test_module_fields, &err), -1);
	ck_assert_str_eq(err.path, path);
	ck_assert_msg(err.line == line, "line %d, expected %d: %s", err.line,
	    line, err.message);
	ck_assert_msg(strstr(err.message, expected) != NULL,
	    "message \"%s\" lacks \"%s\"", err.message, expected);
	config_free(config);
}

START_TEST(config_module_section_checked)
{
	struct config_error err;
	struct hub_config *config = config_test_load(
	    "{\"channels\": {\"web\": {\"min_fill_seconds\": 3,\n"
	    " \"max_fill_seconds\": 4, \"enabled\": false, \"title\": \"Hub\",\n"
	    " \"origins\": [\"a\", \"b\"], \"form\": {\"any\": 1}}}}\n");
	const json_t *section = json_object_get(config->channels, "web");

	ck_assert_int_eq(config_check_section(config, "channels.web", section,
	    config_test_module_fields, &err), 0);
	config_free(config);

	config_test_module_reject("{\n      \"min_fill_seconds\": 3601\n    }",
	    "channels.web.min_fill_seconds", 4,
	    "value 3601 out of range; expected an integer from 0 to 3600");
	config_test_module_reject("{\"min_fill_seconds\": 1,\n"
	    "      \"max_fill_seconds\": 7}",
	    "channels.web.max_fill_seconds", 4,
	    "invalid value 7; expected an even number");
	config_test_module_reject("{\"enabled\": \"yes\"}",
	    "channels.web.enabled", 3,
	    "invalid type (string); expected true or false");
	config_test_module_reject("{\"title\": \"much too long\"}",
	    "channels.web.title", 3, "expected a string of 1 to 8 bytes");
	config_test_module_reject("{\"origins\": [\"a\", \"b\", \"c\"]}",
	    "channels.web.origins", 3, "expected at most 2 elements");
	config_test_module_reject("{\"form\": []}",
	    "channels.web.form", 3, "invalid type (array); expected an object");
	config_test_module_reject("{\n\n\"colour\": 1}",
	    "channels.web.colour", 5,
	    "unknown key; expected one of min_fill_seconds, max_fill_seconds, "
	    "enabled, title, origins, form");
}
END_TEST

START_TEST(config_error_at_module_relation)
{
	char expected[512];
	struct config_error err;
	struct hub_config *config = config_test_load(
	    "{\"channels\": {\"web\": {\n"
	    "  \"min_fill_seconds\": 30,\n"
	    "  \"max_fill_seconds\": 10}}}\n");

	ck_assert_int_eq(config_error_at(config, "channels.web.max_fill_seconds",
	    &err, "a value above min_fill_seconds (%d)", 30), -1);
	snprintf(expected, sizeof(expected), "%s:3: channels.web."
	    "max_fill_seconds: invalid value; expected a value above "
	    "min_fill_seconds (30)", config_test_path);
	ck_assert_str_eq(err.message, expected);
	ck_assert_str_eq(err.path, "channels.web.max_fill_seconds");
	ck_assert_int_eq(err.line, 3);
	config_free(config);
}
END_TEST

/* --- Service desk sections ----------------------------------------------- */

static const char config_test_desk[] =
    "{\n"
    "  \"departments\": [\n"
    "    {\"id\": \"moi-truong\", \"name_vi\": \"Phòng Tài nguyên và Môi trường\",\n"
    "     \"name_en\": \"Environment\"},\n"
    "    {\"id\": \"tiep-nhan\", \"name_vi\": \"Bộ phận tiếp nhận\",\n"
    "     \"name_en\": \"Intake\"}\n"
    "  ],\n"
    "  \"categories\": [\n"
    "    {\"id\": \"environment\", \"name_vi\": \"Môi trường\",\n"
    "     \"name_en\": \"Environment\", \"keywords\": [\"Rác\", \"ô nhiễm\"],\n"
    "     \"department\": \"moi-truong\", \"deadline\": {\"working_hours\": 8}}\n"
    "  ],\n"
    "  \"communes\": [\n"
    "    {\"id\": \"my-tho\", \"name\": \"Phường Mỹ Tho\"}\n"
    "  ],\n"
    "  \"triage_department\": \"tiep-nhan\",\n"
    "  \"calendar\": {\"weekend\": [\"sun\"],\n"
    "    \"holidays\": [\"2026-02-17\", \"2026-02-16\"],\n"
    "    \"office_hours\": [[\"08:00\", \"12:00\"]]}\n"
    "}\n";

START_TEST(config_desk_sections_load)
{
	struct hub_config *config = config_test_load(config_test_desk);
	const struct hub_config_desk *desk = desk_current(config);

	ck_assert_int_eq(desk->department_count, 2);
	ck_assert_int_eq(desk->category_count, 1);
	ck_assert_str_eq(desk->categories[0].keywords[0], " rac ");
	ck_assert_str_eq(desk->categories[0].keywords[1], " o nhiem ");
	ck_assert_ptr_eq(desk->categories[0].department, &desk->departments[0]);
	ck_assert_int_eq(desk->categories[0].deadline.unit,
	    CALENDAR_WORKING_HOURS);
	ck_assert_int_eq(desk->categories[0].deadline.amount, 8);
	ck_assert_str_eq(desk->communes[0].name_folded, " phuong my tho ");
	ck_assert_ptr_eq(desk->triage_department, &desk->departments[1]);
	ck_assert(desk->calendar.weekend[0]);
	ck_assert(!desk->calendar.weekend[6]);
	ck_assert_int_eq(desk->calendar.period_count, 1);
	ck_assert_int_eq(desk->calendar.periods[0].end_minute, 12 * 60);
	ck_assert_int_eq(desk->calendar.holiday_count, 2);
	ck_assert_int_lt(desk->calendar.holidays[0], desk->calendar.holidays[1]);
	config_free(config);
}
END_TEST

START_TEST(config_desk_empty_by_default)
{
	struct hub_config *config = config_test_load("{}");
	const struct hub_config_desk *desk = desk_current(config);

	ck_assert_int_eq(desk->category_count, 0);
	ck_assert_ptr_null(desk->triage_department);
	ck_assert_int_eq(desk->calendar.period_count, 2);
	ck_assert(desk->calendar.weekend[6]);
	config_free(config);
}
END_TEST

START_TEST(config_desk_errors_name_path_and_line)
{
	config_test_reject(
	    "{\"departments\": [\n"
	    "  {\"id\": \"a\", \"name_vi\": \"A\", \"name_en\": \"A\"}],\n"
	    " \"categories\": [\n"
	    "  {\"id\": \"x\", \"name_vi\": \"X\", \"name_en\": \"X\",\n"
	    "   \"department\": \"b\"}]}\n",
	    "categories[0].department", 5, "unknown department \"b\"");
	config_test_reject(
	    "{\"departments\": [\n"
	    "  {\"id\": \"a\", \"name_vi\": \"A\", \"name_en\": \"A\"},\n"
	    "  {\"id\": \"a\", \"name_vi\": \"B\", \"name_en\": \"B\"}]}\n",
	    "departments[1].id", 3, "duplicate id \"a\"");
	config_test_reject(
	    "{\"departments\": [\n"
	    "  {\"id\": \"Phong A\", \"name_vi\": \"A\", \"name_en\": \"A\"}]}\n",
	    "departments[0].id", 2, "1 to 32 of a-z, 0-9, _ and -");
	config_test_reject(
	    "{\"communes\": [\n"
	    "  {\"id\": \"a\"}]}\n",
	    "communes[0]", 2, "missing key \"name\"");
	config_test_reject(
	    "{\"categories\": [\n"
	    "  {\"id\": \"x\", \"name_vi\": \"X\", \"name_en\": \"X\",\n"
	    "   \"deadline\": {\"working_days\": 400}}]}\n",
	    "categories[0].deadline.working_days", 3,
	    "an integer from 1 to 365");
	config_test_reject(
	    "{\"triage_department\": \"none\"}\n",
	    "triage_department", 1, "unknown department \"none\"");
	config_test_reject(
	    "{\"calendar\": {\n"
	    "  \"holidays\": [\"2026-02-30\"]}}\n",
	    "calendar.holidays[0]", 2, "a date as YYYY-MM-DD");
	config_test_reject(
	    "{\"calendar\": {\"office_hours\": [\n"
	    "  [\"13:30\", \"17:00\"],\n"
	    "  [\"07:30\", \"11:30\"]]}}\n",
	    "calendar.office_hours[1]", 3, "invalid period");
	config_test_reject(
	    "{\"calendar\": {\"working_days\": [\"2026-12-05\"],\n"
	    "  \"weekend\": [\"sun\", \"mon\", \"tue\", \"wed\", \"thu\",\n"
	    "    \"fri\", \"sat\"]}}\n",
	    "calendar.weekend", 2, "at least one working day a week");
}
END_TEST

Suite *
config_suite(void)
{
	Suite *suite = suite_create("config");
	TCase *load = tcase_create("load");
	TCase *errors = tcase_create("errors");
	TCase *position = tcase_create("position");
	TCase *module = tcase_create("module");

	tcase_add_checked_fixture(load, config_test_setup, config_test_teardown);
	tcase_add_test(load, config_full_file_loads);
	tcase_add_test(load, config_desk_sections_load);
	tcase_add_test(load, config_desk_empty_by_default);
	tcase_add_test(load, config_desk_errors_name_path_and_line);
	tcase_add_test(load, config_defaults_when_absent);
	tcase_add_test(load, config_public_url_follows_listen);
	tcase_add_test(load, config_integer_bounds_accepted);
	tcase_add_test(load, config_public_url_trailing_slashes);
	tcase_add_test(load, config_relative_paths_resolved);
	tcase_add_test(load, config_log_file_dash_kept);
	suite_add_tcase(suite, load);

	tcase_add_checked_fixture(errors, config_test_setup,
	    config_test_teardown);
	tcase_add_test(errors, config_unknown_key_top_level);
	tcase_add_test(errors, config_unknown_key_nested);
	tcase_add_test(errors, config_string_for_integer);
	tcase_add_test(errors, config_real_for_integer);
	tcase_add_test(errors, config_integer_for_string);
	tcase_add_test(errors, config_object_for_array);
	tcase_add_test(errors, config_array_for_section);
	tcase_add_test(errors, config_integer_out_of_range);
	tcase_add_test(errors, config_bad_listen_message);
	tcase_add_test(errors, config_listen_forms);
	tcase_add_test(errors, config_bad_proxy_element);
	tcase_add_test(errors, config_bad_exempt_element_type);
	tcase_add_test(errors, config_bad_public_url);
	tcase_add_test(errors, config_unknown_log_level);
	tcase_add_test(errors, config_unknown_trace_name);
	tcase_add_test(errors, config_bad_channel_name);
	tcase_add_test(errors, config_channel_section_not_object);
	tcase_add_test(errors, config_duplicate_key);
	tcase_add_test(errors, config_syntax_error_line);
	tcase_add_test(errors, config_key_inside_earlier_string);
	tcase_add_test(errors, config_empty_path_rejected);
	tcase_add_test(errors, config_missing_file);
	tcase_add_test(errors, config_root_not_object);
	suite_add_tcase(suite, errors);

	tcase_add_test(position, config_position_lines);
	tcase_add_test(position, config_position_invalid_text);
	tcase_add_test(position, config_position_deep_nesting);
	suite_add_tcase(suite, position);

	tcase_add_checked_fixture(module, config_test_setup,
	    config_test_teardown);
	tcase_add_test(module, config_module_section_checked);
	tcase_add_test(module, config_error_at_module_relation);
	suite_add_tcase(suite, module);
	return suite;
}
