#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_internal.h"

/* The public_url the loader derives when the file sets none. */
static char *
config_override_default_url(const struct hub_config *config)
{
	char *url = NULL;
	bool ipv6 = strchr(config->http_address, ':') != NULL;

	if (asprintf(&url, "http://%s%s%s:%u", ipv6 ? "[" : "",
	    config->http_address, ipv6 ? "]" : "",
	    (unsigned int)config->http_port) < 0)
		return NULL;
	return url;
}

int
config_override_listen(struct hub_config *config, const char *listen,
    struct config_error *err)
{
	char address[CONFIG_ADDRESS_MAX], *old_default, *copy;
	uint16_t port;
	bool derived;

	memset(err, 0, sizeof(*err));
	if (config_schema_split_listen(listen, address, &port) != 0) {
		snprintf(err->message, sizeof(err->message), "invalid value "
		    "\"%s\"; expected an address as ADDR:PORT, e.g. "
		    "127.0.0.1:8080 or [::1]:8080", listen);
		return -1;
	}
	old_default = config_override_default_url(config);
	derived = old_default != NULL &&
	    strcmp(old_default, config->public_url) == 0;
	free(old_default);

	if ((copy = strdup(address)) == NULL)
		return -1;
	free(config->http_address);
	config->http_address = copy;
	config->http_port = port;
	if (derived) {
		if ((copy = config_override_default_url(config)) == NULL)
			return -1;
		free(config->public_url);
		config->public_url = copy;
	}
	return 0;
}

int
config_override_data_dir(struct hub_config *config, const char *dir)
{
	char *copy = strdup(dir);

	if (copy == NULL)
		return -1;
	free(config->data_dir);
	config->data_dir = copy;
	return 0;
}
