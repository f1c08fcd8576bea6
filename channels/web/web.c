#include <stdlib.h>
#include <string.h>

#include "web.h"

static const char web_default_honeypot[] = "website";
static const char web_default_authority_vi[] = "Ủy ban nhân dân tỉnh";
static const char web_default_authority_en[] = "Provincial People's Committee";

static const char *
web_check_honeypot(const json_t *value)
{
	const char *name = json_string_value(value);
	enum web_field field;
	size_t len = strlen(name);

	if (len == 0 || len >= 32 ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != len)
		return "1 to 31 lower-case letters, digits or underscores";
	if (web_intake_field_find(name, &field) == 0 ||
	    strcmp(name, "consent") == 0 || strcmp(name, "form_token") == 0)
		return "a name that is not one of the form's own fields";
	return NULL;
}

static const char *
web_check_nonempty(const json_t *value)
{
	if (json_string_length(value) == 0 || json_string_length(value) > 200)
		return "a text of 1 to 200 bytes";
	return NULL;
}

static const struct config_field web_config_fields[] = {
	{ "min_fill_seconds", CONFIG_INTEGER, 0, 3600, NULL,
	    "a number of seconds from 0 to 3600" },
	{ "honeypot_field", CONFIG_STRING, 0, 0, web_check_honeypot,
	    "a form field name" },
	{ "form_max_age_hours", CONFIG_INTEGER, 1, 168, NULL,
	    "a number of hours from 1 to 168" },
	{ "authority_name_vi", CONFIG_STRING, 0, 0, web_check_nonempty,
	    "the authority's name in Vietnamese" },
	{ "authority_name_en", CONFIG_STRING, 0, 0, web_check_nonempty,
	    "the authority's name in English" },
	{ "retention_months", CONFIG_INTEGER, 1, 600, NULL,
	    "a number of months from 1 to 600" },
	{ "factor_table_size", CONFIG_INTEGER, WEB_GUARD_SLOTS_MIN,
	    WEB_GUARD_SLOTS_MAX, NULL,
	    "a number of tickets from 16 to 1000000" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

static int
web_config_integer(const json_t *section, const char *key, int fallback)
{
	const json_t *value = json_object_get(section, key);

	return value != NULL ? (int)json_integer_value(value) : fallback;
}

static char *
web_config_string(const json_t *section, const char *key, const char *fallback)
{
	const json_t *value = json_object_get(section, key);

	return strdup(value != NULL ? json_string_value(value) : fallback);
}

static int
web_config_load(struct web *web, const json_t *section)
{
	struct web_config *config = &web->config;

	config->min_fill_seconds = web_config_integer(section,
	    "min_fill_seconds", 3);
	config->form_max_age_hours = web_config_integer(section,
	    "form_max_age_hours", 24);
	config->retention_months = web_config_integer(section,
	    "retention_months", 60);
	config->factor_table_size = web_config_integer(section,
	    "factor_table_size", WEB_GUARD_SLOTS_DEFAULT);
	config->honeypot_field = web_config_string(section, "honeypot_field",
	    web_default_honeypot);
	config->authority_name_vi = web_config_string(section,
	    "authority_name_vi", web_default_authority_vi);
	config->authority_name_en = web_config_string(section,
	    "authority_name_en", web_default_authority_en);
	if (config->honeypot_field == NULL ||
	    config->authority_name_vi == NULL ||
	    config->authority_name_en == NULL)
		return -1;
	return 0;
}

static void
web_free(void *state)
{
	struct web *web = state;

	if (web == NULL)
		return;
	if (web->submissions_in_flight != 0)
		log_warn("web", "freed with submissions in flight count=%zu",
		    web->submissions_in_flight);
	web_guard_free(&web->guard);
	free(web->config.honeypot_field);
	free(web->config.authority_name_vi);
	free(web->config.authority_name_en);
	sodium_memzero(web->form_key, sizeof web->form_key);
	free(web);
}

static int
web_check(struct hub_channel *channel, const json_t *section,
    struct config_error *err)
{
	const struct hub_config *config = hub_channel_config(channel);

	if (section == NULL)
		return 0;
	return config_check_section(config, "channels.web", section,
	    web_config_fields, err);
}

static void *
web_create(struct hub_channel *channel, const json_t *section,
    struct config_error *err)
{
	struct web *web;

	if (web_check(channel, section, err) != 0)
		return NULL;
	if (sodium_init() < 0) {
		config_error_at(hub_channel_config(channel), "channels.web", err,
		    "libsodium failed to initialize");
		return NULL;
	}
	web = calloc(1, sizeof *web);
	if (web == NULL || web_config_load(web, section) != 0 ||
	    web_guard_init(&web->guard,
	    (size_t)web->config.factor_table_size) != 0) {
		web_free(web);
		config_error_at(hub_channel_config(channel), "channels.web", err,
		    "out of memory while loading the section");
		return NULL;
	}
	web->channel = channel;
	randombytes_buf(web->form_key, sizeof web->form_key);
	return web;
}

static int
web_start(void *state)
{
	struct web *web = state;
	struct hub_channel *channel = web->channel;

	if (hub_channel_route(channel, "/", HTTP_ROUTE_EXACT, web_form_page,
	    web) != 0 ||
	    hub_channel_route(channel, WEB_PATH_SUBMIT, HTTP_ROUTE_EXACT,
	    web_api_submit, web) != 0 ||
	    hub_channel_route(channel, WEB_PATH_TICKET, HTTP_ROUTE_PREFIX,
	    web_api_ticket, web) != 0 ||
	    hub_channel_route(channel, WEB_PATH_LOOKUP, HTTP_ROUTE_EXACT,
	    web_pages_lookup, web) != 0 ||
	    hub_channel_route(channel, WEB_PATH_CSS, HTTP_ROUTE_EXACT,
	    web_pages_css, web) != 0) {
		log_error("web", "failed to mount the routes");
		return -1;
	}
	log_info("web", "started min_fill_seconds=%d form_max_age_hours=%d "
	    "factor_table_size=%d", web->config.min_fill_seconds,
	    web->config.form_max_age_hours, web->config.factor_table_size);
	return 0;
}

static void
web_stop(void *state)
{
	struct web *web = state;

	web->stopped = true;
	log_info("web", "stopped submissions_in_flight=%zu",
	    web->submissions_in_flight);
}

/*
 * A reply on the web channel is the status page itself: the page shows every
 * outbound message that has left the send queue, so there is nothing to
 * store or carry here, and the message is reported delivered at once. The
 * rendered text is not used, because the page shows the agent's own words
 * with the author and department around them.
 */
static int
web_send(void *state, const struct hub_outbound *out, hub_send_done_fn done)
{
	struct web *web = state;

	log_debug("web", "reply shown on the status page code=%s message=%lld",
	    out->code != NULL ? out->code : "-", (long long)out->message_id);
	done(web->channel, out->message_id, 0, "shown on the status page");
	return 0;
}

const struct hub_channel_module hub_channel_module = {
	.abi_version = HUB_CHANNEL_ABI_VERSION,
	.name = "web",
	.capabilities = HUB_CHANNEL_INBOUND | HUB_CHANNEL_OUTBOUND |
	    HUB_CHANNEL_LOCATIONS,
	.create = web_create,
	.start = web_start,
	.stop = web_stop,
	.send = web_send,
	.free = web_free,
};
