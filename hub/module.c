#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "module.h"

struct module_set {
	struct hub_channel *channels;
	size_t count;
};

/* Finds NAME.so in dir, then in dir/.libs where libtool leaves modules in a
 * build tree. Returns 0 with the path in out, or -1. */
static int
module_find(const char *dir, const char *name, char *out, size_t size)
{
	const char *const subdirs[] = { "", "/.libs" };

	for (size_t i = 0; i < 2; i++) {
		if (snprintf(out, size, "%s%s/%s.so", dir, subdirs[i], name) >=
		    (int)size)
			return -1;
		if (access(out, R_OK) == 0)
			return 0;
	}
	return -1;
}

/* Fills err for the section at path with problem; returns -1. */
static int
module_error(const struct hub_config *config, const char *path,
    struct config_error *err, const char *expected, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int
module_error(const struct hub_config *config, const char *path,
    struct config_error *err, const char *expected, const char *fmt, ...)
{
	char problem[CONFIG_ERROR_MAX / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(problem, sizeof(problem), fmt, ap);
	va_end(ap);
	return config_error_problem(config, path, err, problem, expected);
}

static int
module_open(struct hub_channel *channel, const struct hub_config *config,
    struct config_error *err)
{
	char path_name[64], path[4096];

	snprintf(path_name, sizeof(path_name), "channels.%s", channel->name);
	if (module_find(config->modules_dir, channel->name, path,
	    sizeof(path)) != 0)
		return module_error(config, path_name, err, "the name of a "
		    "module in modules_dir", "unknown channel module \"%s\": "
		    "no %s/%s.so", channel->name, config->modules_dir,
		    channel->name);
	channel->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (channel->handle == NULL)
		return module_error(config, path_name, err, "a module built "
		    "for this hub", "channel module \"%s\" failed to load: %s",
		    channel->name, dlerror());
	channel->module = dlsym(channel->handle, HUB_CHANNEL_MODULE_SYMBOL);
	if (channel->module == NULL)
		return module_error(config, path_name, err, "a channel module",
		    "%s has no symbol %s", path, HUB_CHANNEL_MODULE_SYMBOL);
	if (channel->module->abi_version != HUB_CHANNEL_ABI_VERSION)
		return module_error(config, path_name, err, "a module built "
		    "with this hub's channel.h", "channel module \"%s\" has ABI "
		    "version %u but this hub needs %u", channel->name,
		    channel->module->abi_version, HUB_CHANNEL_ABI_VERSION);
	if (strcmp(channel->module->name, channel->name) != 0)
		return module_error(config, path_name, err, NULL, "module file "
		    "for \"%s\" declares the name \"%s\"", channel->name,
		    channel->module->name);
	log_info("module", "channel module opened name=%s file=%s",
	    channel->name, path);
	return 0;
}

static int
module_create(struct hub_channel *channel, const json_t *section,
    struct config_error *err)
{
	if (module_open(channel, channel->host->config, err) != 0)
		return -1;
	channel->state = channel->module->create(channel, section, err);
	return channel->state != NULL ? 0 : -1;
}

struct module_set *
module_load_all(struct hub_host *host, struct config_error *err)
{
	const json_t *channels = host->config->channels;
	struct module_set *set = calloc(1, sizeof(*set));
	const char *name;
	json_t *section;

	if (set == NULL)
		return NULL;
	set->channels = calloc(json_object_size(channels) + 1,
	    sizeof(*set->channels));
	if (set->channels == NULL) {
		free(set);
		return NULL;
	}
	json_object_foreach((json_t *)channels, name, section) {
		struct hub_channel *channel = &set->channels[set->count++];

		channel->host = host;
		channel->name = strdup(name);
		if (channel->name == NULL || module_create(channel, section,
		    err) != 0) {
			module_free_all(set);
			return NULL;
		}
	}
	return set;
}

int
module_start_all(struct module_set *set, char *err, size_t err_size)
{
	for (size_t i = 0; i < set->count; i++) {
		struct hub_channel *channel = &set->channels[i];

		if (channel->module->start(channel->state) != 0) {
			snprintf(err, err_size, "channel \"%s\" failed to start",
			    channel->name);
			return -1;
		}
		channel->started = true;
	}
	return 0;
}

void
module_stop_all(struct module_set *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->count; i++) {
		struct hub_channel *channel = &set->channels[i];

		if (channel->started && channel->module->stop != NULL)
			channel->module->stop(channel->state);
		channel->started = false;
	}
}

void
module_drain_all(struct module_set *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->count; i++) {
		struct hub_channel *channel = &set->channels[i];

		if (channel->started && channel->module->drain != NULL)
			channel->module->drain(channel->state);
	}
}

size_t
module_busy_all(struct module_set *set)
{
	size_t busy = 0;

	if (set == NULL)
		return 0;
	for (size_t i = 0; i < set->count; i++) {
		struct hub_channel *channel = &set->channels[i];

		if (channel->started && channel->module->busy != NULL)
			busy += channel->module->busy(channel->state);
	}
	return busy;
}

void
module_free_all(struct module_set *set)
{
	if (set == NULL)
		return;
	module_stop_all(set);
	for (size_t i = 0; i < set->count; i++) {
		struct hub_channel *channel = &set->channels[i];

		if (channel->state != NULL)
			channel->module->free(channel->state);
		if (channel->handle != NULL)
			dlclose(channel->handle);
		free(channel->name);
	}
	free(set->channels);
	free(set);
}

struct hub_channel *
module_channel_find(struct module_set *set, const char *name)
{
	if (set == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < set->count; i++)
		if (strcmp(set->channels[i].name, name) == 0)
			return &set->channels[i];
	return NULL;
}
