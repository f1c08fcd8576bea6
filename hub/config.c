/*
 * Loading the config file: read it, decode it with jansson, check it against
 * the field tables (config_schema.c), then copy every value, or its default,
 * into struct hub_config with relative paths resolved.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_internal.h"
#include "log.h"

/* Maximum size of the config file, in bytes. */
#define CONFIG_FILE_MAX (1024 * 1024)

#define CONFIG_DEFAULT_LISTEN "127.0.0.1:8080"

static int
config_read_error(struct hub_config *config, struct config_error *err,
    const char *problem)
{
	char text[CONFIG_ERROR_MAX];

	snprintf(text, sizeof(text), "%s: %s", problem, strerror(errno));
	config_error_set(config, NULL, err, text, NULL);
	return -1;
}

/* Reads the file into config->text, NUL-terminated, and its size into
 * *length. */
static int
config_read(struct hub_config *config, size_t *length,
    struct config_error *err)
{
	FILE *file = fopen(config->path, "r");

	if (file == NULL)
		return config_read_error(config, err, "cannot open the file");
	config->text = malloc(CONFIG_FILE_MAX + 1);
	if (config->text == NULL) {
		fclose(file);
		return config_read_error(config, err, "cannot read the file");
	}
	*length = fread(config->text, 1, CONFIG_FILE_MAX + 1, file);
	int failed = ferror(file);
	int saved = errno;
	fclose(file);

	if (failed) {
		errno = saved;
		return config_read_error(config, err, "cannot read the file");
	}
	if (*length > CONFIG_FILE_MAX) {
		config_error_set(config, NULL, err, "file too large",
		    "at most 1048576 bytes");
		return -1;
	}
	config->text[*length] = '\0';

	/* Return the unused part of the buffer, keeping it if realloc fails. */
	char *shrunk = realloc(config->text, *length + 1);
	if (shrunk != NULL)
		config->text = shrunk;
	return 0;
}

static void
config_syntax_error(const struct hub_config *config, const json_error_t *error,
    struct config_error *err)
{
	snprintf(err->file, sizeof(err->file), "%s", config->path);
	err->path[0] = '\0';
	err->line = error->line > 0 ? error->line : 0;
	if (error->line > 0)
		snprintf(err->message, sizeof(err->message),
		    "%s:%d:%d: invalid JSON: %s", config->path, error->line,
		    error->column, error->text);
	else
		snprintf(err->message, sizeof(err->message),
		    "%s: invalid JSON: %s", config->path, error->text);
}

/* Decodes config->text. Returns the root (caller releases it) or NULL with
 * err filled in, naming the key's path for a duplicate key. */
static json_t *
config_parse(struct hub_config *config, size_t length,
    struct config_error *err)
{
	json_error_t error;
	char path[sizeof(err->path)];

	json_t *root = json_loadb(config->text, length, JSON_REJECT_DUPLICATES,
	    &error);
	if (root != NULL)
		return root;

	if (json_error_code(&error) == json_error_duplicate_key &&
	    error.position > 0 && config_position_path_at(config->text,
	    (size_t)error.position, path, sizeof(path)) == 0) {
		config_error_set_line(config, path, error.line, err,
		    "duplicate key", "each key at most once in an object");
		return NULL;
	}
	config_syntax_error(config, &error, err);
	return NULL;
}

static int
config_no_memory(struct hub_config *config, struct config_error *err)
{
	config_error_set(config, NULL, err, "out of memory", NULL);
	return -1;
}

static long long
config_integer(const json_t *section, const char *key, long long fallback)
{
	const json_t *value = json_object_get(section, key);

	return value != NULL ? json_integer_value(value) : fallback;
}

static const char *
config_string(const json_t *section, const char *key, const char *fallback)
{
	const json_t *value = json_object_get(section, key);

	return value != NULL ? json_string_value(value) : fallback;
}

/* Copies a string array into a new NULL-terminated array (caller frees). */
static char **
config_string_array(const json_t *section, const char *key)
{
	const json_t *array = json_object_get(section, key);
	size_t count = array != NULL ? json_array_size(array) : 0;
	char **copy = calloc(count + 1, sizeof(*copy));

	if (copy == NULL)
		return NULL;
	for (size_t i = 0; i < count; i++) {
		copy[i] = strdup(json_string_value(json_array_get(array, i)));
		if (copy[i] == NULL) {
			for (size_t j = 0; j < i; j++)
				free(copy[j]);
			free(copy);
			return NULL;
		}
	}
	return copy;
}

static void
config_string_array_free(char **array)
{
	if (array == NULL)
		return;
	for (char **item = array; *item != NULL; item++)
		free(*item);
	free(array);
}

/* Resolves value (or fallback) against the config's folder into *target.
 * A NULL value and fallback leave *target NULL. */
static int
config_set_path(struct hub_config *config, const json_t *section,
    const char *key, const char *fallback, char **target)
{
	const char *value = config_string(section, key, fallback);

	if (value == NULL)
		return 0;
	*target = config_resolve_path(config, value);
	return *target != NULL ? 0 : -1;
}

/*
 * The default of a folder key: the installed folder, or, when the program
 * runs from its build tree where nothing is installed, the folder of that
 * name beside the program ("templates", "channels"). Returns installed
 * when neither exists, so that the error names the installed path.
 */
static const char *
config_default_dir(const char *installed, const char *name, char *buffer,
    size_t size)
{
	char program[PATH_MAX];
	ssize_t length;
	char *slash;

	if (access(installed, R_OK) == 0)
		return installed;
	length = readlink("/proc/self/exe", program, sizeof(program) - 1);
	if (length <= 0)
		return installed;
	program[length] = '\0';
	if ((slash = strrchr(program, '/')) == NULL)
		return installed;
	*slash = '\0';
	if (snprintf(buffer, size, "%s/%s", program, name) >= (int)size ||
	    access(buffer, R_OK) != 0)
		return installed;
	return buffer;
}

static int
config_apply_paths(struct hub_config *config, const json_t *root)
{
	char modules[PATH_MAX], templates[PATH_MAX], prompts[PATH_MAX];

	const json_t *admin = json_object_get(root, "admin");

	if (config_set_path(config, root, "data_dir", "data",
	    &config->data_dir) == -1 ||
	    config_set_path(config, root, "modules_dir",
	    config_default_dir(HUB_MODULE_DIR, "channels", modules,
	    sizeof(modules)), &config->modules_dir) == -1 ||
	    config_set_path(config, root, "templates_dir",
	    config_default_dir(HUB_TEMPLATE_DIR, "templates", templates,
	    sizeof(templates)), &config->templates_dir) == -1 ||
	    config_set_path(config, root, "prompts_dir",
	    config_default_dir(HUB_PROMPT_DIR, "prompts", prompts,
	    sizeof(prompts)), &config->prompts_dir) == -1 ||
	    config_set_path(config, admin, "token_file", NULL,
	    &config->admin_token_file) == -1)
		return -1;
	config->workers = (int)config_integer(root, "workers", 2);
	config->io_workers = (int)config_integer(root, "io_workers", 4);
	return 0;
}

static int
config_apply_log(struct hub_config *config, const json_t *log)
{
	const char *file = config_string(log, "file", "-");
	const json_t *trace = json_object_get(log, "trace");

	config->log_file = strcmp(file, "-") == 0 ? strdup(file) :
	    config_resolve_path(config, file);
	if (config->log_file == NULL)
		return -1;

	config->log_level = LOG_LEVEL_INFO;
	log_level_parse(config_string(log, "level", "info"), &config->log_level);

	config->log_trace = 0;
	for (size_t i = 0; i < json_array_size(trace); i++) {
		unsigned int flag = 0;
		log_trace_parse(json_string_value(json_array_get(trace, i)), &flag);
		config->log_trace |= flag;
	}
	return 0;
}

/* Copies url without trailing slashes. The URL check has made sure that a
 * host remains. */
static char *
config_trim_url(const char *url)
{
	size_t length = strlen(url);

	while (length > 0 && url[length - 1] == '/')
		length--;
	return strndup(url, length);
}

static int
config_apply_http(struct hub_config *config, const json_t *http)
{
	const char *listen = config_string(http, "listen", CONFIG_DEFAULT_LISTEN);
	const char *url = config_string(http, "public_url", NULL);
	char address[CONFIG_ADDRESS_MAX];

	/* The schema check has already accepted listen. */
	if (config_schema_split_listen(listen, address, &config->http_port) == -1)
		return -1;
	config->http_address = strdup(address);
	if (url != NULL)
		config->public_url = config_trim_url(url);
	else if (asprintf(&config->public_url, "http://%s", listen) == -1)
		config->public_url = NULL;

	config->http_max_body_bytes =
	    (size_t)config_integer(http, "max_body_bytes", 65536);
	config->http_max_header_bytes =
	    (size_t)config_integer(http, "max_header_bytes", 8192);
	config->http_timeout_seconds =
	    (int)config_integer(http, "timeout_seconds", 30);
	config->trusted_proxies = config_string_array(http, "trusted_proxies");

	if (config->http_address == NULL || config->public_url == NULL ||
	    config->trusted_proxies == NULL)
		return -1;
	return 0;
}

static void
config_apply_limits(struct hub_config *config, const json_t *limits)
{
	struct hub_config_limits *to = &config->limits;

	to->name_chars = (int)config_integer(limits, "name_chars", 120);
	to->subject_chars = (int)config_integer(limits, "subject_chars", 200);
	to->description_chars =
	    (int)config_integer(limits, "description_chars", 4000);
	to->address_chars = (int)config_integer(limits, "address_chars", 300);
	to->email_chars = (int)config_integer(limits, "email_chars", 254);
	to->category_chars = (int)config_integer(limits, "category_chars", 64);
	to->external_id_chars =
	    (int)config_integer(limits, "external_id_chars", 200);
}

/* Copies the integer settings of store, dedupe, outbox, rate_limits, desk
 * and deadlines. */
static int
config_apply_numbers(struct hub_config *config, const json_t *root)
{
	const json_t *store = json_object_get(root, "store");
	const json_t *dedupe = json_object_get(root, "dedupe");
	const json_t *outbox = json_object_get(root, "outbox");
	const json_t *rate = json_object_get(root, "rate_limits");

	config->store_batch_max = (int)config_integer(store, "batch_max", 1024);
	config->store_busy_timeout_ms =
	    (int)config_integer(store, "busy_timeout_ms", 5000);
	config_apply_limits(config, json_object_get(root, "limits"));
	config->idempotency_hours =
	    (int)config_integer(dedupe, "idempotency_hours", 24);
	config->outbox_retention_hours =
	    (int)config_integer(outbox, "retention_hours", 168);
	config->outbox_prune_interval_seconds =
	    (int)config_integer(outbox, "prune_interval_seconds", 300);
	config->rate_submit_per_minute =
	    (int)config_integer(rate, "submit_per_minute", 10);
	config->rate_lookup_per_minute =
	    (int)config_integer(rate, "lookup_per_minute", 60);
	config->rate_exempt = config_string_array(rate, "exempt");
	config->desk_reopen_days = (int)config_integer(
	    json_object_get(root, "desk"), "reopen_days", 7);
	config->deadline_remind_before_minutes = (int)config_integer(
	    json_object_get(root, "deadlines"), "remind_before_minutes", 120);
	config->deadline_scan_interval_seconds = (int)config_integer(
	    json_object_get(root, "deadlines"), "scan_interval_seconds", 60);
	return config->rate_exempt != NULL ? 0 : -1;
}

/* Copies the replies section: the send queue's bounds and the notices. */
static int
config_apply_replies(struct hub_config *config, const json_t *replies)
{
	static const char *const default_statuses[] = {
		"in_progress", "waiting", "resolved", "closed", NULL,
	};
	struct hub_config_replies *to = &config->replies;
	const json_t *paused = json_object_get(replies, "paused");
	const json_t *names = json_object_get(replies, "show_agent_names");
	size_t count = 0;

	to->poll_interval_seconds =
	    (int)config_integer(replies, "poll_interval_seconds", 30);
	to->max_in_flight = (int)config_integer(replies, "max_in_flight", 16);
	to->max_attempts = (int)config_integer(replies, "max_attempts", 8);
	to->retry_base_seconds =
	    (int)config_integer(replies, "retry_base_seconds", 30);
	to->retry_max_seconds =
	    (int)config_integer(replies, "retry_max_seconds", 3600);
	to->send_timeout_seconds =
	    (int)config_integer(replies, "send_timeout_seconds", 120);
	to->ack_limit_per_recipient =
	    (int)config_integer(replies, "ack_limit_per_recipient", 5);
	to->ack_limit_per_ticket =
	    (int)config_integer(replies, "ack_limit_per_ticket", 3);
	to->ack_limit_window_minutes =
	    (int)config_integer(replies, "ack_limit_window_minutes", 60);
	to->paused = paused != NULL && json_is_true(paused);
	to->show_agent_names = names == NULL || json_is_true(names);
	if (json_object_get(replies, "notice_statuses") != NULL) {
		to->notice_statuses = config_string_array(replies,
		    "notice_statuses");
		return to->notice_statuses != NULL ? 0 : -1;
	}
	to->notice_statuses = calloc(sizeof default_statuses /
	    sizeof default_statuses[0], sizeof(char *));
	if (to->notice_statuses == NULL)
		return -1;
	for (; default_statuses[count] != NULL; count++)
		if ((to->notice_statuses[count] =
		    strdup(default_statuses[count])) == NULL)
			return -1;
	return 0;
}

/* Keeps a reference to the channels object, or builds the default
 * {"web": {}}. */
static int
config_apply_channels(struct hub_config *config, const json_t *root)
{
	json_t *channels = json_object_get(root, "channels");

	if (channels != NULL)
		config->channels = json_incref(channels);
	else
		config->channels = json_pack("{s:{}}", "web");
	return config->channels != NULL ? 0 : -1;
}

/* Copies the auth section, or its defaults. */
static void
config_apply_auth(struct hub_config *config, const json_t *auth)
{
	struct hub_config_auth *to = &config->auth;
	const json_t *cost = json_object_get(auth, "password_cost");

	to->session_idle_seconds =
	    (int)config_integer(auth, "session_idle_seconds", 1800);
	to->session_max_hours = (int)config_integer(auth, "session_max_hours",
	    12);
	to->bearer_days = (int)config_integer(auth, "bearer_days", 30);
	to->lockout_failures = (int)config_integer(auth, "lockout_failures", 5);
	to->lockout_address_failures =
	    (int)config_integer(auth, "lockout_address_failures", 50);
	to->lockout_window_seconds =
	    (int)config_integer(auth, "lockout_window_seconds", 900);
	to->lockout_seconds = (int)config_integer(auth, "lockout_seconds", 900);
	to->password_moderate = cost != NULL &&
	    strcmp(json_string_value(cost), "moderate") == 0;
}

/* Copies the privacy section, or its defaults. */
static void
config_apply_privacy(struct hub_config *config, const json_t *privacy)
{
	struct hub_config_privacy *to = &config->privacy;
	const json_t *hold = json_object_get(privacy, "hold_open_tickets");

	to->retention_days = (int)config_integer(privacy, "retention_days", 0);
	to->check_interval_seconds =
	    (int)config_integer(privacy, "check_interval_seconds", 3600);
	to->hold_open_tickets = hold == NULL || json_is_true(hold);
	to->hold_closed_days =
	    (int)config_integer(privacy, "hold_closed_days", 0);
}

/* Copies the checked document into config. Every value has passed
 * config_schema_check, so only allocation can fail here. */
static int
config_apply(struct hub_config *config, const json_t *root,
    struct config_error *err)
{
	config_apply_auth(config, json_object_get(root, "auth"));
	config_apply_privacy(config, json_object_get(root, "privacy"));
	if (config_apply_paths(config, root) == -1 ||
	    config_apply_log(config, json_object_get(root, "log")) == -1 ||
	    config_apply_http(config, json_object_get(root, "http")) == -1 ||
	    config_apply_numbers(config, root) == -1 ||
	    config_apply_replies(config, json_object_get(root,
	    "replies")) == -1 ||
	    config_apply_channels(config, root) == -1 ||
	    config_desk_apply(config, root) == -1)
		return config_no_memory(config, err);
	return 0;
}

int
config_load(const char *path, struct hub_config **out,
    struct config_error *err)
{
	struct hub_config *config = calloc(1, sizeof(*config));
	json_t *root = NULL;
	size_t length = 0;

	memset(err, 0, sizeof(*err));
	*out = NULL;
	if (config == NULL || (config->path = strdup(path)) == NULL) {
		free(config);
		snprintf(err->file, sizeof(err->file), "%s", path);
		snprintf(err->message, sizeof(err->message), "%s: out of memory",
		    path);
		return -1;
	}

	if (config_read(config, &length, err) == -1 ||
	    (root = config_parse(config, length, err)) == NULL ||
	    config_schema_check(config, root, err) == -1 ||
	    config_apply(config, root, err) == -1) {
		json_decref(root);
		config_free(config);
		return -1;
	}
	json_decref(root);
	*out = config;
	return 0;
}

void
config_free(struct hub_config *config)
{
	if (config == NULL)
		return;
	free(config->path);
	free(config->text);
	free(config->data_dir);
	free(config->modules_dir);
	free(config->templates_dir);
	free(config->prompts_dir);
	free(config->log_file);
	free(config->http_address);
	free(config->public_url);
	config_string_array_free(config->trusted_proxies);
	config_string_array_free(config->rate_exempt);
	free(config->admin_token_file);
	config_string_array_free(config->replies.notice_statuses);
	json_decref(config->channels);
	desk_state_free(config->desk);
	free(config);
}

char *
config_resolve_path(const struct hub_config *config, const char *path)
{
	const char *slash = config != NULL && config->path != NULL ?
	    strrchr(config->path, '/') : NULL;
	char *resolved;

	if (path[0] == '/' || slash == NULL)
		return strdup(path);
	int folder = (int)(slash - config->path);
	if (asprintf(&resolved, "%.*s/%s", folder, config->path, path) == -1)
		return NULL;
	return resolved;
}

int
config_read_secret(const struct hub_config *config, const char *file,
    const char *path, char **secret, struct config_error *err)
{
	char buffer[CONFIG_SECRET_MAX + 2];
	char *resolved;
	FILE *stream;
	size_t length;

	resolved = config_resolve_path(config, file);
	stream = resolved != NULL ? fopen(resolved, "re") : NULL;
	if (stream == NULL) {
		config_error_at(config, path, err, "a readable file (%s: %s)",
		    resolved != NULL ? resolved : file, strerror(errno));
		free(resolved);
		return -1;
	}
	if (fgets(buffer, sizeof buffer, stream) == NULL)
		buffer[0] = '\0';
	fclose(stream);
	length = strcspn(buffer, "\r\n");
	buffer[length] = '\0';
	if (length == 0 || length > CONFIG_SECRET_MAX) {
		config_error_at(config, path, err, "a file whose first line is a "
		    "secret of 1 to %d bytes (%s)", CONFIG_SECRET_MAX, resolved);
		free(resolved);
		return -1;
	}
	free(resolved);
	*secret = strdup(buffer);
	explicit_bzero(buffer, sizeof buffer);
	return *secret != NULL ? 0 : config_error_at(config, path, err,
	    "memory for the secret");
}
