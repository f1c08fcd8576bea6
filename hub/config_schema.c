/*
 * The core's config keys: one field table per section, the checks of values
 * with a form of their own (addresses, URLs, level and trace names) and the
 * rule for channel names. The defaults live in config.c, where the values
 * are copied into struct hub_config.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config_internal.h"
#include "log.h"

/* Maximum length of a path or URL in the config, in bytes. */
#define CONFIG_SCHEMA_PATH_MAX 4095
#define CONFIG_SCHEMA_URL_MAX 2048
/* Maximum number of addresses in trusted_proxies or exempt. */
#define CONFIG_SCHEMA_ADDRESSES_MAX 256
#define CONFIG_SCHEMA_CHANNEL_NAME_MAX 32

#define CONFIG_SCHEMA_LISTEN_FORM \
	"an address as ADDR:PORT, e.g. 127.0.0.1:8080 or [::1]:8080"
#define CONFIG_SCHEMA_ADDRESS_FORM \
	"a numeric IPv4 or IPv6 address, e.g. 192.0.2.10 or 2001:db8::1"

static int
config_schema_port(const char *text, uint16_t *port)
{
	unsigned long value = 0;
	size_t length = strlen(text);

	if (length == 0 || length > 5 || text[0] == '0')
		return -1;
	for (size_t i = 0; i < length; i++) {
		if (!isdigit((unsigned char)text[i]))
			return -1;
		value = value * 10 + (unsigned long)(text[i] - '0');
	}
	if (value < 1 || value > 65535)
		return -1;
	*port = (uint16_t)value;
	return 0;
}

int
config_schema_split_listen(const char *listen, char *address, uint16_t *port)
{
	const char *colon = strrchr(listen, ':');
	unsigned char binary[sizeof(struct in6_addr)];

	if (colon == NULL || config_schema_port(colon + 1, port) == -1)
		return -1;

	const char *start = listen;
	size_t length = (size_t)(colon - listen);
	int family = AF_INET;
	if (length >= 2 && listen[0] == '[' && colon[-1] == ']') {
		start++;
		length -= 2;
		family = AF_INET6;
	}
	if (length == 0 || length >= CONFIG_ADDRESS_MAX)
		return -1;
	memcpy(address, start, length);
	address[length] = '\0';
	return inet_pton(family, address, binary) == 1 ? 0 : -1;
}

static const char *
config_schema_check_listen(const json_t *value)
{
	char address[CONFIG_ADDRESS_MAX];
	uint16_t port;

	if (config_schema_split_listen(json_string_value(value), address,
	    &port) == -1)
		return CONFIG_SCHEMA_LISTEN_FORM;
	return NULL;
}

static const char *
config_schema_check_address(const json_t *value)
{
	const char *text = json_string_value(value);
	unsigned char binary[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, text, binary) == 1 ||
	    inet_pton(AF_INET6, text, binary) == 1)
		return NULL;
	return CONFIG_SCHEMA_ADDRESS_FORM;
}

/* Accepts an absolute http or https URL with a host, without query or
 * fragment because paths are appended to it, and without the characters
 * that RFC 3986 leaves out of URLs (spaces, controls, quotes, <>\^`{|}). */
static const char *
config_schema_check_url(const json_t *value)
{
	const char *url = json_string_value(value);
	const char *host;

	if (strncasecmp(url, "http://", 7) == 0)
		host = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		host = url + 8;
	else
		host = NULL;

	bool valid = host != NULL && *host != '\0' && *host != '/' &&
	    strlen(url) <= CONFIG_SCHEMA_URL_MAX;
	for (const char *c = url; valid && *c != '\0'; c++) {
		unsigned char byte = (unsigned char)*c;
		if (byte <= 0x20 || byte == 0x7f || strchr("?#\"<>\\^`{|}",
		    byte) != NULL)
			valid = false;
	}
	if (!valid)
		return "an http:// or https:// URL without query or fragment, "
		    "e.g. https://hub.example.org";
	return NULL;
}

static const char *
config_schema_check_level(const json_t *value)
{
	enum log_level level;

	if (log_level_parse(json_string_value(value), &level) == -1)
		return "one of error, warn, info, debug";
	return NULL;
}

/* The returned text lives in a static buffer, which is enough because the
 * config is loaded once, at start-up, on the main thread. */
static const char *
config_schema_check_trace(const json_t *value)
{
	static char expected[256];
	unsigned int flag;

	if (log_trace_parse(json_string_value(value), &flag) == 0)
		return NULL;
	snprintf(expected, sizeof(expected), "one of %s", log_trace_names());
	return expected;
}

#define CONFIG_SCHEMA_PATH(name) { \
	.key = (name), .type = CONFIG_STRING, \
	.min = 1, .max = CONFIG_SCHEMA_PATH_MAX, \
	.expected = "a non-empty path of at most 4095 bytes", \
}
#define CONFIG_SCHEMA_INTEGER(name, low, high) { \
	.key = (name), .type = CONFIG_INTEGER, .min = (low), .max = (high), \
}
#define CONFIG_SCHEMA_SECTION(name) { .key = (name), .type = CONFIG_OBJECT }
#define CONFIG_SCHEMA_ADDRESSES(name) { \
	.key = (name), .type = CONFIG_STRING_ARRAY, \
	.max = CONFIG_SCHEMA_ADDRESSES_MAX, \
	.check = config_schema_check_address, \
	.expected = "an array of numeric IPv4 or IPv6 addresses", \
}

static const struct config_field config_schema_root[] = {
	CONFIG_SCHEMA_PATH("data_dir"),
	CONFIG_SCHEMA_PATH("modules_dir"),
	CONFIG_SCHEMA_PATH("templates_dir"),
	CONFIG_SCHEMA_PATH("prompts_dir"),
	CONFIG_SCHEMA_INTEGER("workers", 1, 64),
	CONFIG_SCHEMA_INTEGER("io_workers", 1, 256),
	CONFIG_SCHEMA_SECTION("log"),
	CONFIG_SCHEMA_SECTION("http"),
	CONFIG_SCHEMA_SECTION("store"),
	CONFIG_SCHEMA_SECTION("limits"),
	CONFIG_SCHEMA_SECTION("dedupe"),
	CONFIG_SCHEMA_SECTION("outbox"),
	CONFIG_SCHEMA_SECTION("rate_limits"),
	CONFIG_SCHEMA_SECTION("admin"),
	CONFIG_SCHEMA_SECTION("channels"),
	{ .key = "departments", .type = CONFIG_ARRAY,
	  .expected = "an array of departments" },
	{ .key = "categories", .type = CONFIG_ARRAY,
	  .expected = "an array of categories" },
	{ .key = "communes", .type = CONFIG_ARRAY,
	  .expected = "an array of communes" },
	{ .key = "triage_department", .type = CONFIG_STRING,
	  .expected = "the id of a department in departments" },
	{ .key = "channel_categories", .type = CONFIG_OBJECT,
	  .expected = "an object of channel names and category ids" },
	CONFIG_SCHEMA_SECTION("calendar"),
	CONFIG_SCHEMA_SECTION("auth"),
	CONFIG_SCHEMA_SECTION("privacy"),
	CONFIG_SCHEMA_SECTION("desk"),
	CONFIG_SCHEMA_SECTION("deadlines"),
	CONFIG_SCHEMA_SECTION("replies"),
	{ .key = NULL },
};

static const struct config_field config_schema_log[] = {
	CONFIG_SCHEMA_PATH("file"),
	{ .key = "level", .type = CONFIG_STRING,
	  .check = config_schema_check_level,
	  .expected = "one of error, warn, info, debug" },
	{ .key = "trace", .type = CONFIG_STRING_ARRAY, .max = 16,
	  .check = config_schema_check_trace,
	  .expected = "an array of trace names" },
	{ .key = NULL },
};

static const struct config_field config_schema_http[] = {
	{ .key = "listen", .type = CONFIG_STRING,
	  .check = config_schema_check_listen,
	  .expected = CONFIG_SCHEMA_LISTEN_FORM },
	{ .key = "public_url", .type = CONFIG_STRING,
	  .check = config_schema_check_url,
	  .expected = "an http:// or https:// URL" },
	CONFIG_SCHEMA_INTEGER("max_body_bytes", 1024, 16777216),
	CONFIG_SCHEMA_INTEGER("max_header_bytes", 1024, 65536),
	CONFIG_SCHEMA_INTEGER("timeout_seconds", 1, 600),
	CONFIG_SCHEMA_ADDRESSES("trusted_proxies"),
	{ .key = NULL },
};

static const struct config_field config_schema_store[] = {
	CONFIG_SCHEMA_INTEGER("batch_max", 1, 100000),
	CONFIG_SCHEMA_INTEGER("busy_timeout_ms", 0, 600000),
	{ .key = NULL },
};

static const struct config_field config_schema_limits[] = {
	CONFIG_SCHEMA_INTEGER("name_chars", 1, 1000),
	CONFIG_SCHEMA_INTEGER("subject_chars", 1, 2000),
	CONFIG_SCHEMA_INTEGER("description_chars", 1, 100000),
	CONFIG_SCHEMA_INTEGER("address_chars", 1, 2000),
	CONFIG_SCHEMA_INTEGER("email_chars", 6, 254),
	CONFIG_SCHEMA_INTEGER("category_chars", 1, 200),
	CONFIG_SCHEMA_INTEGER("external_id_chars", 1, 1000),
	{ .key = NULL },
};

static const struct config_field config_schema_dedupe[] = {
	CONFIG_SCHEMA_INTEGER("idempotency_hours", 1, 720),
	{ .key = NULL },
};

static const struct config_field config_schema_outbox[] = {
	CONFIG_SCHEMA_INTEGER("retention_hours", 1, 8760),
	CONFIG_SCHEMA_INTEGER("prune_interval_seconds", 1, 86400),
	{ .key = NULL },
};

static const struct config_field config_schema_rate_limits[] = {
	CONFIG_SCHEMA_INTEGER("submit_per_minute", 0, 100000),
	CONFIG_SCHEMA_INTEGER("lookup_per_minute", 0, 100000),
	CONFIG_SCHEMA_ADDRESSES("exempt"),
	{ .key = NULL },
};

static const struct config_field config_schema_admin[] = {
	CONFIG_SCHEMA_PATH("token_file"),
	{ .key = NULL },
};

static const struct config_field config_schema_deadlines[] = {
	CONFIG_SCHEMA_INTEGER("remind_before_minutes", 0, 43200),
	CONFIG_SCHEMA_INTEGER("scan_interval_seconds", 1, 3600),
	{ .key = NULL },
};

/* A status that a notice may announce: the statuses a ticket can move to. */
static const char *
config_schema_check_notice_status(const json_t *value)
{
	static const char *const statuses[] = {
		"new", "assigned", "in_progress", "waiting", "resolved",
		"closed",
	};
	const char *text = json_string_value(value);

	for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
		if (strcmp(text, statuses[i]) == 0)
			return NULL;
	return "one of new, assigned, in_progress, waiting, resolved, closed";
}

static const struct config_field config_schema_replies[] = {
	CONFIG_SCHEMA_INTEGER("poll_interval_seconds", 1, 3600),
	CONFIG_SCHEMA_INTEGER("max_in_flight", 1, 1024),
	CONFIG_SCHEMA_INTEGER("max_attempts", 1, 100),
	CONFIG_SCHEMA_INTEGER("retry_base_seconds", 1, 86400),
	CONFIG_SCHEMA_INTEGER("retry_max_seconds", 1, 604800),
	CONFIG_SCHEMA_INTEGER("send_timeout_seconds", 1, 3600),
	CONFIG_SCHEMA_INTEGER("ack_limit_per_recipient", 0, 1000),
	CONFIG_SCHEMA_INTEGER("ack_limit_per_ticket", 0, 1000),
	CONFIG_SCHEMA_INTEGER("ack_limit_window_minutes", 1, 10080),
	{ .key = "paused", .type = CONFIG_BOOLEAN },
	{ .key = "show_agent_names", .type = CONFIG_BOOLEAN },
	{ .key = "notice_statuses", .type = CONFIG_STRING_ARRAY, .max = 6,
	  .check = config_schema_check_notice_status,
	  .expected = "an array of ticket statuses" },
	{ .key = NULL },
};

static const char *
config_schema_check_password_cost(const json_t *value)
{
	const char *text = json_string_value(value);

	if (strcmp(text, "interactive") == 0 || strcmp(text, "moderate") == 0)
		return NULL;
	return "\"interactive\" or \"moderate\"";
}

static const struct config_field config_schema_auth[] = {
	CONFIG_SCHEMA_INTEGER("session_idle_seconds", 1, 604800),
	CONFIG_SCHEMA_INTEGER("session_max_hours", 1, 8760),
	CONFIG_SCHEMA_INTEGER("bearer_days", 1, 3650),
	CONFIG_SCHEMA_INTEGER("lockout_failures", 1, 1000),
	CONFIG_SCHEMA_INTEGER("lockout_address_failures", 1, 100000),
	CONFIG_SCHEMA_INTEGER("lockout_window_seconds", 1, 86400),
	CONFIG_SCHEMA_INTEGER("lockout_seconds", 1, 86400),
	{ .key = "password_cost", .type = CONFIG_STRING,
	  .check = config_schema_check_password_cost,
	  .expected = "\"interactive\" or \"moderate\"" },
	{ .key = NULL },
};

/* Days are bounded by 100 years. */
static const struct config_field config_schema_privacy[] = {
	CONFIG_SCHEMA_INTEGER("retention_days", 0, 36500),
	CONFIG_SCHEMA_INTEGER("check_interval_seconds", 1, 86400),
	{ .key = "hold_open_tickets", .type = CONFIG_BOOLEAN },
	CONFIG_SCHEMA_INTEGER("hold_closed_days", 0, 36500),
	{ .key = NULL },
};

/* The retention must not anonymize a ticket that an erasure would still
 * have to keep. */
static int
config_schema_check_privacy(const struct hub_config *config,
    const json_t *root, struct config_error *err)
{
	const json_t *privacy = json_object_get(root, "privacy");
	json_int_t retention = json_integer_value(json_object_get(privacy,
	    "retention_days"));
	json_int_t hold = json_integer_value(json_object_get(privacy,
	    "hold_closed_days"));
	char expected[128];

	if (retention == 0 || retention >= hold)
		return 0;
	snprintf(expected, sizeof(expected), "0, or at least hold_closed_days"
	    " (%lld)", (long long)hold);
	config_error_set(config, "privacy.retention_days", err,
	    "shorter than privacy.hold_closed_days", expected);
	return -1;
}

static const struct config_field config_schema_desk[] = {
	CONFIG_SCHEMA_INTEGER("reopen_days", 0, 365),
	{ .key = NULL },
};

static const struct {
	const char *key;
	const struct config_field *fields;
} config_schema_sections[] = {
	{ "log", config_schema_log },
	{ "http", config_schema_http },
	{ "store", config_schema_store },
	{ "limits", config_schema_limits },
	{ "dedupe", config_schema_dedupe },
	{ "outbox", config_schema_outbox },
	{ "rate_limits", config_schema_rate_limits },
	{ "admin", config_schema_admin },
	{ "deadlines", config_schema_deadlines },
	{ "replies", config_schema_replies },
	{ "auth", config_schema_auth },
	{ "privacy", config_schema_privacy },
	{ "desk", config_schema_desk },
};

/* Module names become file names ("web.so"), so they are kept to
 * [a-z][a-z0-9_]{0,31}. */
bool
config_schema_channel_name_valid(const char *name)
{
	size_t length = strlen(name);

	if (length == 0 || length > CONFIG_SCHEMA_CHANNEL_NAME_MAX ||
	    !islower((unsigned char)name[0]))
		return false;
	for (size_t i = 1; i < length; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!islower(c) && !isdigit(c) && c != '_')
			return false;
	}
	return true;
}

/* Checks the names of channels and that each section is an object. The
 * content of a section is checked by its module. */
static int
config_schema_check_channels(const struct hub_config *config,
    const json_t *channels, struct config_error *err)
{
	char path[128];
	char problem[64];
	const char *name;
	json_t *section;

	/* jansson has no const iteration; the loop only reads channels. */
	json_object_foreach((json_t *)channels, name, section) {
		snprintf(path, sizeof(path), "channels.%s", name);
		if (!config_schema_channel_name_valid(name)) {
			config_error_set(config, path, err,
			    "invalid module name", "a lowercase letter, then "
			    "up to 31 lowercase letters, digits or underscores");
			return -1;
		}
		if (!json_is_object(section)) {
			snprintf(problem, sizeof(problem), "invalid type (%s)",
			    config_check_type_name(section));
			config_error_set(config, path, err, problem,
			    "an object with the module's keys");
			return -1;
		}
	}
	return 0;
}

int
config_schema_check(const struct hub_config *config, const json_t *root,
    struct config_error *err)
{
	if (config_check_section(config, "", root, config_schema_root,
	    err) == -1)
		return -1;

	size_t count = sizeof(config_schema_sections) /
	    sizeof(config_schema_sections[0]);
	for (size_t i = 0; i < count; i++) {
		const char *key = config_schema_sections[i].key;
		const json_t *section = json_object_get(root, key);
		if (section != NULL && config_check_section(config, key,
		    section, config_schema_sections[i].fields, err) == -1)
			return -1;
	}

	const json_t *channels = json_object_get(root, "channels");
	if (channels != NULL &&
	    config_schema_check_channels(config, channels, err) == -1)
		return -1;
	if (config_schema_check_privacy(config, root, err) == -1)
		return -1;
	return config_desk_check(config, root, err);
}
