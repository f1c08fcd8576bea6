#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "api.h"
#include "daemon_internal.h"
#include "log.h"
#include "module.h"
#include "template.h"

#define DAEMON_CHECK_ERROR_MAX (CONFIG_ERROR_MAX + 256)

/* Whether the log file can be opened for appending: it exists and is
 * writable, or its folder exists and is writable. Creates nothing. */
static int
daemon_check_log_file(const struct hub_config *config, char *err,
    size_t err_size)
{
	const char *path = config->log_file;
	char *copy;
	int rc;

	if (path == NULL || strcmp(path, "-") == 0 || access(path, W_OK) == 0)
		return 0;
	if (errno != ENOENT || (copy = strdup(path)) == NULL) {
		snprintf(err, err_size, "%s: log.file: %s is not writable: %s",
		    config->path, path, strerror(errno));
		return -1;
	}
	rc = access(dirname(copy), W_OK);
	if (rc != 0)
		snprintf(err, err_size, "%s: log.file: the folder of %s is "
		    "missing or not writable: %s", config->path, path,
		    strerror(errno));
	free(copy);
	return rc == 0 ? 0 : -1;
}

static int
daemon_check_admin_token(const struct hub_config *config, char *err,
    size_t err_size)
{
	uint8_t hash[API_TOKEN_HASH_BYTES];
	char detail[512];

	if (config->admin_token_file == NULL)
		return 0;
	if (sodium_init() < 0) {
		snprintf(err, err_size, "libsodium failed to start");
		return -1;
	}
	if (api_admin_token_load(config->admin_token_file, hash, detail,
	    sizeof(detail)) != 0) {
		snprintf(err, err_size, "%s: %s", config->path, detail);
		return -1;
	}
	sodium_memzero(hash, sizeof(hash));
	return 0;
}

/* Loads the templates and every channel module with its section. */
static int
daemon_check_parts(const struct hub_config *config, char *err,
    size_t err_size)
{
	struct hub_host host = { .config = config };
	struct config_error config_err;
	struct module_set *modules;
	char detail[512];

	host.templates = templates_load(config->templates_dir, detail,
	    sizeof(detail));
	if (host.templates == NULL) {
		snprintf(err, err_size, "%s: templates_dir: %s", config->path,
		    detail);
		return -1;
	}
	modules = module_load_all(&host, &config_err);
	if (modules == NULL)
		snprintf(err, err_size, "%s", config_err.message);
	module_free_all(modules);
	templates_free(host.templates);
	return modules != NULL ? 0 : -1;
}

int
daemon_check(const struct daemon_options *options, char *err, size_t err_size)
{
	struct hub_config *config;
	enum log_level level = log_get_level();
	int rc;

	if (daemon_load_config(options, &config, err, err_size) != 0)
		return -1;
	/* Loading modules and templates logs at info level: not wanted in
	 * the output of a check. */
	log_set_level(LOG_LEVEL_WARN);
	rc = daemon_check_parts(config, err, err_size);
	log_set_level(level);
	if (rc == 0)
		rc = daemon_check_admin_token(config, err, err_size);
	if (rc == 0)
		rc = daemon_check_log_file(config, err, err_size);
	config_free(config);
	return rc;
}

int
daemon_check_config(const struct daemon_options *options)
{
	char err[DAEMON_CHECK_ERROR_MAX];

	if (daemon_check(options, err, sizeof(err)) != 0) {
		fprintf(stderr, "citizenhubd: %s\n", err);
		return 1;
	}
	printf("%s: configuration OK\n", options->config_path);
	return 0;
}
