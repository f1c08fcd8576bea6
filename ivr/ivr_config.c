/*
 * The channels.sip section: where the IVR listens, which numbers it
 * answers, its RTP ports, limits, files and transfer target.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ivr.h"
#include "ivr_msg.h"
#include "media_net.h"

#ifndef IVR_MENU_FILE
#define IVR_MENU_FILE "/usr/local/share/citizenhub/ivr/menu.json"
#endif

#define IVR_CONFIG_PATH "channels.sip"
#define IVR_CONFIG_RESOLV_CONF "/etc/resolv.conf"

static const char *
ivr_config_check_listen(const json_t *value)
{
	char host[INET6_ADDRSTRLEN];
	int port;

	return ivr_config_split_address(json_string_value(value), host,
	    sizeof host, &port) == 0 ? NULL :
	    "a numeric address and port, \"127.0.0.1:5060\" or \"[::1]:5060\"";
}

static const char *
ivr_config_check_address(const json_t *value)
{
	unsigned char binary[sizeof(struct in6_addr)];
	const char *text = json_string_value(value);

	return inet_pton(AF_INET, text, binary) == 1 ||
	    inet_pton(AF_INET6, text, binary) == 1 ? NULL :
	    "a numeric IPv4 or IPv6 address";
}

/* Request-URI users: digits as dialled, or a SIP user name. */
static const char *
ivr_config_check_number(const json_t *value)
{
	const char *text = json_string_value(value);
	size_t length = strlen(text);

	if (length == 0 || length >= IVR_PARTY_SIZE ||
	    strspn(text, "0123456789+*#.-_abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != length)
		return "numbers of up to 63 digits, letters and + * # . - _";
	return NULL;
}

static const char *
ivr_config_check_network(const json_t *value)
{
	struct media_net net;

	return media_net_parse(json_string_value(value), &net) == 0 ? NULL :
	    "networks as ADDRESS/PREFIX with no bits set past the prefix, "
	    "such as \"10.20.0.0/16\", or single addresses";
}

static const char *
ivr_config_check_even(const json_t *value)
{
	return json_integer_value(value) % 2 == 0 ? NULL :
	    "an even port number (RTP uses even ports, RTCP the odd ones)";
}

static const char *
ivr_config_check_domain(const json_t *value)
{
	const char *text = json_string_value(value);

	return strspn(text, "abcdefghijklmnopqrstuvwxyz0123456789.-:[]"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == strlen(text) ? NULL :
	    "a host name or address, such as \"hotline.example.gov.vn\"";
}

/* A sip: or sips: URI with a host, without spaces, brackets or quotes, so
 * that it fits a Refer-To header as it is. */
static const char *
ivr_config_check_transfer(const json_t *value)
{
	const char *text = json_string_value(value);
	const char *rest = strncmp(text, "sip:", 4) == 0 ? text + 4 :
	    strncmp(text, "sips:", 5) == 0 ? text + 5 : NULL;

	if (rest == NULL || rest[0] == '\0' || rest[0] == '@' ||
	    rest[strlen(rest) - 1] == '@')
		return "a sip: or sips: URI, such as \"sip:desk@127.0.0.1:5080\"";
	for (const char *p = rest; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    strchr("<>\"\\,", *p) != NULL)
			return "a sip: or sips: URI without spaces, quotes, "
			    "commas or angle brackets";
	return NULL;
}

static const struct config_field ivr_config_fields[] = {
	{ "listen", CONFIG_STRING, 1, 64, ivr_config_check_listen, NULL },
	{ "domain", CONFIG_STRING, 1, 253, ivr_config_check_domain, NULL },
	{ "numbers", CONFIG_STRING_ARRAY, 0, 64, ivr_config_check_number,
	    NULL },
	{ "rtp_address", CONFIG_STRING, 1, 45, ivr_config_check_address,
	    NULL },
	{ "media_networks", CONFIG_STRING_ARRAY, 0, 64,
	    ivr_config_check_network, NULL },
	{ "rtp_port_min", CONFIG_INTEGER, 1024, 65534, ivr_config_check_even,
	    NULL },
	{ "rtp_port_max", CONFIG_INTEGER, 1024, 65535, NULL, NULL },
	{ "user_agent", CONFIG_STRING, 1, 128, NULL, NULL },
	{ "resolv_conf", CONFIG_STRING, 1, 4096, NULL, "a file path" },
	{ "max_calls", CONFIG_INTEGER, 1, 10000, NULL, NULL },
	{ "retry_after_seconds", CONFIG_INTEGER, 1, 3600, NULL, NULL },
	{ "invites_per_minute", CONFIG_INTEGER, 0, 100000, NULL, NULL },
	{ "ring_ms", CONFIG_INTEGER, 0, 60000, NULL, NULL },
	{ "max_call_seconds", CONFIG_INTEGER, 10, 86400, NULL, NULL },
	{ "max_recording_seconds", CONFIG_INTEGER, 1, 3600, NULL, NULL },
	{ "media_timeout_seconds", CONFIG_INTEGER, 1, 3600, NULL, NULL },
	{ "no_input_seconds", CONFIG_INTEGER, 1, 120, NULL, NULL },
	{ "tcp_idle_seconds", CONFIG_INTEGER, 1, 3600, NULL, NULL },
	{ "media_priority", CONFIG_INTEGER, 0, 99, NULL, NULL },
	{ "menu_file", CONFIG_STRING, 1, 4096, NULL, "a file path" },
	{ "prompts_dir", CONFIG_STRING, 1, 4096, NULL, "a folder path" },
	{ "prompts_override_dir", CONFIG_STRING, 1, 4096, NULL,
	    "a folder path" },
	{ "transfer_uri", CONFIG_STRING, 5, IVR_URI_SIZE - 1,
	    ivr_config_check_transfer, NULL },
	{ "transfer_timeout_seconds", CONFIG_INTEGER, 1, 300, NULL, NULL },
	{ "recordings_dir", CONFIG_STRING, 1, 4096, NULL, "a folder path" },
	{ "trace", CONFIG_BOOLEAN, 0, 0, NULL, NULL },
	{ NULL, 0, 0, 0, NULL, NULL }
};

int
ivr_config_split_address(const char *text, char *host, size_t host_size,
    int *port)
{
	unsigned char binary[sizeof(struct in6_addr)];
	const char *colon, *start = text, *end;
	char *digits_end;
	long value;

	if (text[0] == '[') {
		start = text + 1;
		end = strchr(start, ']');
		if (end == NULL || end[1] != ':')
			return -1;
		colon = end + 1;
	} else {
		colon = strrchr(text, ':');
		end = colon;
		if (colon == NULL || strchr(text, ':') != colon)
			return -1;
	}
	if ((size_t)(end - start) >= host_size || end == start)
		return -1;
	memcpy(host, start, (size_t)(end - start));
	host[end - start] = '\0';
	if (inet_pton(text[0] == '[' ? AF_INET6 : AF_INET, host, binary) != 1)
		return -1;
	errno = 0;
	value = strtol(colon + 1, &digits_end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *digits_end != '\0' ||
	    errno != 0 || value < 1 || value > 65535)
		return -1;
	*port = (int)value;
	return 0;
}

static int
ivr_config_integer(const json_t *section, const char *key, int fallback)
{
	const json_t *value = json_object_get(section, key);

	return value != NULL ? (int)json_integer_value(value) : fallback;
}

/* A copy of the string at key, or of fallback when the key is absent. Sets
 * *missing when neither exists, and returns -1 only when out of memory. */
static int
ivr_config_string(const json_t *section, const char *key,
    const char *fallback, char **out)
{
	const char *value = json_string_value(json_object_get(section, key));

	if (value == NULL)
		value = fallback;
	if (value == NULL) {
		*out = NULL;
		return 0;
	}
	*out = strdup(value);
	return *out == NULL ? -1 : 0;
}

/* The path at key resolved against the config file's folder, or a copy of
 * fallback (already absolute, or NULL for none). */
static int
ivr_config_path(const struct hub_config *hub, const json_t *section,
    const char *key, const char *fallback, char **out)
{
	const char *value = json_string_value(json_object_get(section, key));

	if (value != NULL)
		*out = config_resolve_path(hub, value);
	else if (fallback != NULL)
		*out = strdup(fallback);
	else
		return *out = NULL, 0;
	return *out == NULL ? -1 : 0;
}

static int
ivr_config_numbers(const json_t *section, struct ivr_config *config)
{
	const json_t *numbers = json_object_get(section, "numbers");
	size_t index;
	json_t *item;

	if (numbers == NULL || json_array_size(numbers) == 0)
		return 0;
	config->numbers = calloc(json_array_size(numbers), sizeof(char *));
	if (config->numbers == NULL)
		return -1;
	json_array_foreach(numbers, index, item) {
		config->numbers[index] = strdup(json_string_value(item));
		if (config->numbers[index] == NULL)
			return -1;
		config->number_count++;
	}
	return 0;
}

/* Parses media_networks, which config_check_section has checked. */
static int
ivr_config_networks(const json_t *section, struct ivr_config *config)
{
	const json_t *networks = json_object_get(section, "media_networks");
	size_t index;
	json_t *item;

	if (networks == NULL || json_array_size(networks) == 0)
		return 0;
	config->media_networks = calloc(json_array_size(networks),
	    sizeof *config->media_networks);
	if (config->media_networks == NULL)
		return -1;
	json_array_foreach(networks, index, item) {
		if (media_net_parse(json_string_value(item),
		    &config->media_networks[index]) != 0)
			return -1;
		config->media_network_count++;
	}
	return 0;
}

/* Creates path and its missing parents with mode 0700, as mkdir -p. */
static int
ivr_config_mkdir(const char *path)
{
	char buffer[PATH_MAX];

	if (snprintf(buffer, sizeof buffer, "%s", path) >= (int)sizeof buffer) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = buffer + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buffer, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buffer, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int
ivr_config_strings(const struct hub_channel *channel, const json_t *section,
    struct ivr_config *config, const char *listen_host)
{
	const struct hub_config *hub = hub_channel_config(channel);
	char recordings[PATH_MAX];

	snprintf(recordings, sizeof recordings, "%s/recordings",
	    hub->data_dir != NULL ? hub->data_dir : ".");
	if (ivr_config_string(section, "domain", listen_host,
	    &config->domain) != 0 ||
	    ivr_config_string(section, "rtp_address", listen_host,
	    &config->rtp_address) != 0 ||
	    ivr_config_string(section, "user_agent", "Citizen Hub",
	    &config->user_agent) != 0 ||
	    ivr_config_string(section, "transfer_uri", NULL,
	    &config->transfer_uri) != 0 ||
	    ivr_config_numbers(section, config) != 0 ||
	    ivr_config_networks(section, config) != 0)
		return -1;
	if (ivr_config_path(hub, section, "resolv_conf",
	    IVR_CONFIG_RESOLV_CONF, &config->resolv_conf) != 0 ||
	    ivr_config_path(hub, section, "menu_file", IVR_MENU_FILE,
	    &config->menu_file) != 0 ||
	    ivr_config_path(hub, section, "prompts_dir", hub->prompts_dir,
	    &config->prompts_dir) != 0 ||
	    ivr_config_path(hub, section, "prompts_override_dir", NULL,
	    &config->prompts_override_dir) != 0 ||
	    ivr_config_path(hub, section, "recordings_dir", recordings,
	    &config->recordings_dir) != 0)
		return -1;
	return 0;
}

static void
ivr_config_integers(const json_t *section, struct ivr_config *config)
{
	config->rtp_port_min = ivr_config_integer(section, "rtp_port_min",
	    20000);
	config->rtp_port_max = ivr_config_integer(section, "rtp_port_max",
	    20999);
	config->max_calls = ivr_config_integer(section, "max_calls", 100);
	config->retry_after_seconds = ivr_config_integer(section,
	    "retry_after_seconds", 30);
	config->invites_per_minute = ivr_config_integer(section,
	    "invites_per_minute", 60);
	config->ring_ms = ivr_config_integer(section, "ring_ms", 0);
	config->max_call_seconds = ivr_config_integer(section,
	    "max_call_seconds", 900);
	config->max_recording_seconds = ivr_config_integer(section,
	    "max_recording_seconds", 120);
	config->media_timeout_seconds = ivr_config_integer(section,
	    "media_timeout_seconds", 30);
	config->no_input_seconds = ivr_config_integer(section,
	    "no_input_seconds", 6);
	config->tcp_idle_seconds = ivr_config_integer(section,
	    "tcp_idle_seconds", 60);
	config->media_priority = ivr_config_integer(section,
	    "media_priority", 0);
	config->transfer_timeout_seconds = ivr_config_integer(section,
	    "transfer_timeout_seconds", 20);
	config->trace = json_is_true(json_object_get(section, "trace"));
}

static bool
ivr_config_unspecified(const char *address)
{
	return strcmp(address, "0.0.0.0") == 0 || strcmp(address, "::") == 0;
}

/* Checks what one key alone cannot show: relations between keys, and the
 * files and folders named. */
static int
ivr_config_check_values(const struct hub_config *hub, const json_t *section,
    const struct ivr_config *config, struct config_error *err)
{
	if (config->rtp_port_min > config->rtp_port_max)
		return config_error_at(hub, IVR_CONFIG_PATH ".rtp_port_max",
		    err, "a port not below rtp_port_min (%d)",
		    config->rtp_port_min);
	if (ivr_config_unspecified(config->rtp_address))
		return config_error_problem(hub, IVR_CONFIG_PATH
		    ".rtp_address", err, json_object_get(section,
		    "rtp_address") != NULL ? "the unspecified address" :
		    "missing while listen is the unspecified address",
		    "the address callers send RTP to, such as \"192.0.2.10\"");
	if (access(config->resolv_conf, R_OK) != 0)
		return config_error_at(hub, IVR_CONFIG_PATH ".resolv_conf", err,
		    "a readable resolver file for sofia-sip, such as one "
		    "holding \"nameserver 127.0.0.1\" (%s: %s)",
		    config->resolv_conf, strerror(errno));
	if (ivr_config_mkdir(config->recordings_dir) != 0)
		return config_error_at(hub, IVR_CONFIG_PATH ".recordings_dir",
		    err, "a folder the hub can create and write (%s: %s)",
		    config->recordings_dir, strerror(errno));
	return 0;
}

int
ivr_config_parse(struct hub_channel *channel, const json_t *section,
    struct ivr_config *config, struct config_error *err)
{
	const struct hub_config *hub = hub_channel_config(channel);
	char host[INET6_ADDRSTRLEN];
	int port;

	if (config_check_section(hub, IVR_CONFIG_PATH, section,
	    ivr_config_fields, err) != 0)
		return -1;
	if (json_object_get(section, "listen") == NULL)
		return config_error_problem(hub, IVR_CONFIG_PATH ".listen", err,
		    "missing", "the SIP address and port, \"127.0.0.1:5060\"");
	ivr_config_integers(section, config);
	if (ivr_config_split_address(json_string_value(json_object_get(section,
	    "listen")), host, sizeof host, &port) != 0 ||
	    ivr_config_string(section, "listen", NULL, &config->listen) != 0 ||
	    ivr_config_strings(channel, section, config, host) != 0) {
		ivr_config_free(config);
		return config_error_at(hub, IVR_CONFIG_PATH, err,
		    "memory for the SIP settings");
	}
	if (ivr_config_check_values(hub, section, config, err) != 0) {
		ivr_config_free(config);
		return -1;
	}
	return 0;
}

void
ivr_config_free(struct ivr_config *config)
{
	for (int i = 0; i < config->number_count; i++)
		free(config->numbers[i]);
	free(config->numbers);
	free(config->media_networks);
	free(config->listen);
	free(config->domain);
	free(config->rtp_address);
	free(config->user_agent);
	free(config->resolv_conf);
	free(config->menu_file);
	free(config->prompts_dir);
	free(config->prompts_override_dir);
	free(config->transfer_uri);
	free(config->recordings_dir);
	memset(config, 0, sizeof *config);
}
