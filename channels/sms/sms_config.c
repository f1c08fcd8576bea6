/*
 * The channels.sms section: inbound secret and bounds, conversation and
 * rating windows, keywords, and the list of gateways.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sms_module.h"

#define SMS_DAY_MS (24LL * 3600 * 1000)
#define SMS_HOUR_MS (3600LL * 1000)

static const char *
sms_check_type(const json_t *value)
{
	const char *text = json_string_value(value);

	return strcmp(text, "kannel") == 0 || strcmp(text, "http") == 0 ? NULL :
	    "\"kannel\" (smsbox's sendsms) or \"http\" (a carrier's API)";
}

static const char *
sms_check_number_format(const json_t *value)
{
	const char *text = json_string_value(value);

	return strcmp(text, "e164") == 0 ||
	    strcmp(text, "international") == 0 ||
	    strcmp(text, "national") == 0 ? NULL :
	    "\"e164\" (+84912345678), \"international\" (84912345678) or "
	    "\"national\" (0912345678)";
}

static const char *
sms_check_prefix(const json_t *value)
{
	const char *text = json_string_value(value);

	if (text[0] != '+' || text[1] == '\0' ||
	    strspn(text + 1, "0123456789") != strlen(text + 1))
		return "prefixes of E.164 numbers, such as \"+84\"";
	return NULL;
}

static const char *
sms_check_http_url(const json_t *value)
{
	const char *text = json_string_value(value);

	return strncmp(text, "http://", 7) == 0 ||
	    strncmp(text, "https://", 8) == 0 ? NULL :
	    "an http:// or https:// address";
}

static const char *
sms_check_keyword(const json_t *value)
{
	const char *text = json_string_value(value);

	for (const char *p = text; *p != '\0'; p++)
		if (!isalpha((unsigned char)*p) && *p != ' ')
			return "keywords of ASCII letters and spaces, written "
			    "without diacritics (\"TRA CUU\")";
	return text[0] == '\0' || text[0] == ' ' ? "a keyword that starts "
	    "with a letter" : NULL;
}

static const struct config_field sms_fields[] = {
	{ "inbound", CONFIG_OBJECT, 0, 0, NULL, NULL },
	{ "conversation_days", CONFIG_INTEGER, 0, 365, NULL, NULL },
	{ "rating_window_hours", CONFIG_INTEGER, 0, 8760, NULL, NULL },
	{ "keywords", CONFIG_OBJECT, 0, 0, NULL, NULL },
	{ "answers", CONFIG_OBJECT, 0, 0, NULL, NULL },
	{ "gateways", CONFIG_ARRAY, 0, 0, NULL, "an array of gateway objects" },
	{ NULL, 0, 0, 0, NULL, NULL }
};

static const struct config_field sms_inbound_fields[] = {
	{ "secret_file", CONFIG_STRING, 1, 4096, NULL, "a file path" },
	{ "max_text_bytes", CONFIG_INTEGER, 160, 65536, NULL, NULL },
	{ "new_reports_per_hour", CONFIG_INTEGER, 0, 10000, NULL, NULL },
	{ NULL, 0, 0, 0, NULL, NULL }
};

static const struct config_field sms_keyword_fields[] = {
	{ "status", CONFIG_STRING_ARRAY, 0, SMS_KEYWORD_WORDS_MAX,
	    sms_check_keyword, NULL },
	{ "new", CONFIG_STRING_ARRAY, 0, SMS_KEYWORD_WORDS_MAX,
	    sms_check_keyword, NULL },
	{ "rate", CONFIG_STRING_ARRAY, 0, SMS_KEYWORD_WORDS_MAX,
	    sms_check_keyword, NULL },
	{ "stop", CONFIG_STRING_ARRAY, 0, SMS_KEYWORD_WORDS_MAX,
	    sms_check_keyword, NULL },
	{ NULL, 0, 0, 0, NULL, NULL }
};

static const struct config_field sms_answer_fields[] = {
	{ "attempts", CONFIG_INTEGER, 1, 100, NULL, NULL },
	{ "retry_seconds", CONFIG_INTEGER, 1, 86400, NULL, NULL },
	{ "per_number_per_hour", CONFIG_INTEGER, 0, 10000, NULL, NULL },
	{ NULL, 0, 0, 0, NULL, NULL }
};

/* The keys every gateway takes, and Kannel's. */
static const struct config_field sms_gateway_fields[] = {
	{ "name", CONFIG_STRING, 1, 64, NULL, NULL },
	{ "type", CONFIG_STRING, 0, 0, sms_check_type, NULL },
	{ "from", CONFIG_STRING, 1, 20, NULL, "a short code, or a brandname "
	    "of at most 11 characters (the hub takes up to 20)" },
	{ "username", CONFIG_STRING, 1, 256, NULL, NULL },
	{ "password_file", CONFIG_STRING, 1, 4096, NULL, "a file path" },
	{ "prefixes", CONFIG_STRING_ARRAY, 0, SMS_PREFIXES_MAX,
	    sms_check_prefix, NULL },
	{ "number_format", CONFIG_STRING, 0, 0, sms_check_number_format, NULL },
	{ "unaccented", CONFIG_BOOLEAN, 0, 0, NULL, NULL },
	{ "max_parts", CONFIG_INTEGER, 1, 10, NULL, NULL },
	{ "rate_per_second", CONFIG_INTEGER, 0, 100000, NULL, NULL },
	{ "max_in_flight", CONFIG_INTEGER, 1, 1024, NULL, NULL },
	{ "timeout_seconds", CONFIG_INTEGER, 1, 300, NULL, NULL },
	{ "sendsms_url", CONFIG_STRING, 0, 0, sms_check_http_url, NULL },
	{ "smsc", CONFIG_STRING, 1, 64, NULL, NULL },
	{ "dlr_mask", CONFIG_INTEGER, 0, 31, NULL, NULL },
	{ "callback_url", CONFIG_STRING, 0, 0, sms_check_http_url, NULL },
	{ NULL, 0, 0, 0, NULL, NULL }
};

static char *
sms_config_string(const json_t *object, const char *key)
{
	const char *value = json_string_value(json_object_get(object, key));

	return value != NULL ? strdup(value) : NULL;
}

static int64_t
sms_config_integer(const json_t *object, const char *key, int64_t fallback)
{
	const json_t *value = json_object_get(object, key);

	return value != NULL ? (int64_t)json_integer_value(value) : fallback;
}

/* Fills one kind of keywords from its array, or keeps the defaults when the
 * key is absent. The words are kept in upper case. */
static int
sms_config_keyword_kind(struct sms_config *config, const json_t *keywords,
    const char *key, const char **words, size_t *count, size_t *stored)
{
	const json_t *array = json_object_get(keywords, key);
	size_t index;
	json_t *item;

	if (array == NULL)
		return 0;
	*count = 0;
	json_array_foreach(array, index, item) {
		char *word = strdup(json_string_value(item));

		if (word == NULL)
			return -1;
		for (char *p = word; *p != '\0'; p++)
			*p = (char)toupper((unsigned char)*p);
		config->keyword_storage[(*stored)++] = word;
		words[(*count)++] = word;
	}
	return 0;
}

/* Returns whether two keywords match the same texts: equal once each run of
 * spaces counts as one space and spaces at the ends are ignored. */
static bool
sms_config_keyword_equal(const char *a, const char *b)
{
	for (;;) {
		bool a_gap = false, b_gap = false;

		while (*a == ' ') {
			a++;
			a_gap = true;
		}
		while (*b == ' ') {
			b++;
			b_gap = true;
		}
		if (*a == '\0' || *b == '\0')
			return *a == *b;
		if (a_gap != b_gap || *a != *b)
			return false;
		a++;
		b++;
	}
}

/* One kind of keywords as sms_config_keywords_distinct compares them. */
struct sms_config_keyword_list {
	const char *key;
	const char *const *words;
	size_t count;
	bool configured;	/* set in the config, not the defaults */
};

/* Returns a word that is in both lists, or NULL. */
static const char *
sms_config_keyword_shared(const struct sms_config_keyword_list *first,
    const struct sms_config_keyword_list *second)
{
	for (size_t a = 0; a < first->count; a++)
		for (size_t b = 0; b < second->count; b++)
			if (sms_config_keyword_equal(first->words[a],
			    second->words[b]))
				return first->words[a];
	return NULL;
}

/* Rejects a word that is in two kinds, because a text starting with it
 * would be read as one kind only. The error names the kind that the config
 * sets, the later one when both are set. */
static int
sms_config_keywords_distinct(const struct hub_config *hub_config,
    const json_t *keywords, const struct sms_keywords *k,
    struct config_error *err)
{
	const struct sms_config_keyword_list lists[] = {
		{ "status", k->status, k->status_count,
		    json_object_get(keywords, "status") != NULL },
		{ "new", k->new_report, k->new_report_count,
		    json_object_get(keywords, "new") != NULL },
		{ "rate", k->rate, k->rate_count,
		    json_object_get(keywords, "rate") != NULL },
		{ "stop", k->stop, k->stop_count,
		    json_object_get(keywords, "stop") != NULL },
	};
	const size_t list_count = sizeof lists / sizeof lists[0];

	for (size_t i = 0; i < list_count; i++) {
		for (size_t j = i + 1; j < list_count; j++) {
			const char *word = sms_config_keyword_shared(&lists[i],
			    &lists[j]);
			const struct sms_config_keyword_list *named, *other;
			char path[64], problem[192];

			if (word == NULL)
				continue;
			named = lists[j].configured ? &lists[j] : &lists[i];
			other = named == &lists[j] ? &lists[i] : &lists[j];
			snprintf(path, sizeof path, "channels.sms.keywords.%s",
			    named->key);
			snprintf(problem, sizeof problem, "keyword \"%s\" is "
			    "also a%s %s keyword", word, other->configured ?
			    "" : " default", other->key);
			return config_error_problem(hub_config, path, err,
			    problem, "each word in one kind only");
		}
	}
	return 0;
}

static int
sms_config_keywords(const struct hub_config *hub_config, const json_t *section,
    struct sms_config *config, struct config_error *err)
{
	const json_t *keywords = json_object_get(section, "keywords");
	struct sms_keywords *k = &config->keywords;
	size_t stored = 0;

	sms_keyword_defaults(k);
	if (keywords == NULL)
		return 0;
	if (config_check_section(hub_config, "channels.sms.keywords", keywords,
	    sms_keyword_fields, err) != 0)
		return -1;
	if (sms_config_keyword_kind(config, keywords, "status", k->status,
	    &k->status_count, &stored) != 0 ||
	    sms_config_keyword_kind(config, keywords, "new", k->new_report,
	    &k->new_report_count, &stored) != 0 ||
	    sms_config_keyword_kind(config, keywords, "rate", k->rate,
	    &k->rate_count, &stored) != 0 ||
	    sms_config_keyword_kind(config, keywords, "stop", k->stop,
	    &k->stop_count, &stored) != 0)
		return config_error_at(hub_config, "channels.sms.keywords", err,
		    "memory for the keywords");
	return sms_config_keywords_distinct(hub_config, keywords, k, err);
}

/* Checks the common and Kannel keys of a gateway: the generic gateway's own
 * keys are left for sms_http_config_load. */
static int
sms_config_gateway_check(const struct hub_config *hub_config,
    const json_t *object, const char *path, struct config_error *err)
{
	json_t *common = json_deep_copy(object);
	int rc;

	if (common == NULL)
		return config_error_at(hub_config, path, err, "memory");
	for (size_t i = 0; sms_http_config_keys[i] != NULL; i++)
		json_object_del(common, sms_http_config_keys[i]);
	rc = config_check_section(hub_config, path, common, sms_gateway_fields,
	    err);
	json_decref(common);
	return rc;
}

static enum sms_number_format
sms_config_number_format(const char *name, enum sms_number_format fallback)
{
	if (name == NULL)
		return fallback;
	if (strcmp(name, "international") == 0)
		return SMS_NUMBER_INTERNATIONAL;
	if (strcmp(name, "national") == 0)
		return SMS_NUMBER_NATIONAL;
	return SMS_NUMBER_E164;
}

static int
sms_config_kannel(const struct hub_config *hub_config, const json_t *object,
    const char *path, struct sms_gateway_config *gateway,
    struct config_error *err)
{
	char key[128];

	gateway->kannel.sendsms_url = sms_config_string(object, "sendsms_url");
	gateway->kannel.callback_url = sms_config_string(object,
	    "callback_url");
	gateway->kannel.smsc = sms_config_string(object, "smsc");
	/* Delivered, failed and rejected by the SMSC: the reports the hub
	 * acts on. Buffered (4) and accepted by the SMSC (8) change nothing
	 * and would cost a callback each. */
	gateway->kannel.dlr_mask = (int)sms_config_integer(object, "dlr_mask",
	    19);
	if (gateway->kannel.sendsms_url == NULL) {
		snprintf(key, sizeof key, "%s.sendsms_url", path);
		return config_error_at(hub_config, key, err, "smsbox's sendsms "
		    "address, such as \"http://127.0.0.1:13013/cgi-bin/sendsms\"");
	}
	if (gateway->kannel.callback_url == NULL &&
	    gateway->kannel.dlr_mask != 0) {
		snprintf(key, sizeof key, "%s.callback_url", path);
		return config_error_at(hub_config, key, err, "the hub's address "
		    "as Kannel reaches it (\"http://127.0.0.1:8080\"), for "
		    "delivery reports; or dlr_mask 0 for none");
	}
	if (gateway->username == NULL && gateway->password == NULL)
		return config_error_problem(hub_config, path, err, "missing "
		    "username and password_file", "the sendsms-user's username "
		    "and a file holding its password");
	if (gateway->username == NULL || gateway->password == NULL) {
		snprintf(key, sizeof key, "%s.%s", path, gateway->username ==
		    NULL ? "username" : "password_file");
		return config_error_problem(hub_config, key, err, "missing",
		    gateway->username == NULL ? "the sendsms-user's username" :
		    "a file holding the sendsms-user's password");
	}
	return 0;
}

static int
sms_config_gateway(const struct hub_config *hub_config, const json_t *object,
    size_t index, struct sms_config *config, struct config_error *err)
{
	struct sms_gateway_config *gateway = &config->gateways[index];
	const json_t *prefixes;
	char path[64], key[128];
	size_t i;
	json_t *item;

	snprintf(path, sizeof path, "channels.sms.gateways[%zu]", index);
	if (!json_is_object(object))
		return config_error_at(hub_config, path, err, "a gateway object "
		    "with name, type and its settings");
	if (sms_config_gateway_check(hub_config, object, path, err) != 0)
		return -1;
	gateway->name = sms_config_string(object, "name");
	gateway->from = sms_config_string(object, "from");
	gateway->username = sms_config_string(object, "username");
	if (gateway->name == NULL || json_object_get(object, "type") == NULL) {
		snprintf(key, sizeof key, "%s.%s", path,
		    gateway->name == NULL ? "name" : "type");
		return config_error_at(hub_config, key, err, "a gateway's name "
		    "and type (\"kannel\" or \"http\")");
	}
	for (i = 0; i < index; i++)
		if (strcmp(config->gateways[i].name, gateway->name) == 0) {
			snprintf(key, sizeof key, "%s.name", path);
			return config_error_at(hub_config, key, err, "a name no "
			    "other gateway has");
		}
	if (json_object_get(object, "password_file") != NULL) {
		snprintf(key, sizeof key, "%s.password_file", path);
		if (config_read_secret(hub_config, json_string_value(
		    json_object_get(object, "password_file")), key,
		    &gateway->password, err) != 0)
			return -1;
	}
	prefixes = json_object_get(object, "prefixes");
	json_array_foreach(prefixes, i, item)
		if ((gateway->prefixes[gateway->prefix_count++] =
		    strdup(json_string_value(item))) == NULL)
			return config_error_at(hub_config, path, err, "memory");
	gateway->type = strcmp(json_string_value(json_object_get(object,
	    "type")), "kannel") == 0 ? SMS_GATEWAY_KANNEL : SMS_GATEWAY_HTTP;
	gateway->number_format = sms_config_number_format(json_string_value(
	    json_object_get(object, "number_format")),
	    gateway->type == SMS_GATEWAY_KANNEL ? SMS_NUMBER_E164 :
	    SMS_NUMBER_INTERNATIONAL);
	gateway->unaccented = json_is_true(json_object_get(object,
	    "unaccented"));
	gateway->max_parts = (int)sms_config_integer(object, "max_parts", 3);
	gateway->rate_per_second = (double)sms_config_integer(object,
	    "rate_per_second", 0);
	gateway->max_in_flight = (int)sms_config_integer(object,
	    "max_in_flight", 32);
	gateway->timeout_seconds = (int)sms_config_integer(object,
	    "timeout_seconds", 10);
	if (gateway->type == SMS_GATEWAY_KANNEL)
		return sms_config_kannel(hub_config, object, path, gateway, err);
	return sms_http_config_load(hub_config, object, path, &gateway->http,
	    err);
}

static int
sms_config_inbound(const struct hub_config *hub_config, const json_t *section,
    struct sms_config *config, struct config_error *err)
{
	const json_t *inbound = json_object_get(section, "inbound");

	config->max_text_bytes = 2000;
	if (inbound == NULL || json_object_get(inbound, "secret_file") == NULL)
		return config_error_at(hub_config, "channels.sms.inbound."
		    "secret_file", err, "a file holding the secret that "
		    "smsbox's get-url or post-url sends as ?secret=");
	if (config_check_section(hub_config, "channels.sms.inbound", inbound,
	    sms_inbound_fields, err) != 0)
		return -1;
	config->max_text_bytes = (size_t)sms_config_integer(inbound,
	    "max_text_bytes", 2000);
	config->new_reports_per_hour = (int)sms_config_integer(inbound,
	    "new_reports_per_hour", 5);
	if (config_read_secret(hub_config, json_string_value(json_object_get(
	    inbound, "secret_file")), "channels.sms.inbound.secret_file",
	    &config->inbound_secret, err) != 0)
		return -1;
	if (strlen(config->inbound_secret) < 16)
		return config_error_at(hub_config, "channels.sms.inbound."
		    "secret_file", err, "a secret of at least 16 characters");
	return 0;
}

int
sms_config_load(const struct hub_config *hub_config, const json_t *section,
    struct sms_config *config, struct config_error *err)
{
	const json_t *gateways, *answers, *item;
	size_t index;

	memset(config, 0, sizeof *config);
	if (config_check_section(hub_config, "channels.sms", section,
	    sms_fields, err) != 0 ||
	    sms_config_inbound(hub_config, section, config, err) != 0 ||
	    sms_config_keywords(hub_config, section, config, err) != 0)
		return -1;
	answers = json_object_get(section, "answers");
	if (answers != NULL && config_check_section(hub_config,
	    "channels.sms.answers", answers, sms_answer_fields, err) != 0)
		return -1;
	config->answer_attempts = (int)sms_config_integer(answers, "attempts",
	    5);
	config->answer_retry_seconds = (int)sms_config_integer(answers,
	    "retry_seconds", 30);
	config->answers_per_hour = (int)sms_config_integer(answers,
	    "per_number_per_hour", 10);
	config->conversation_window_ms = sms_config_integer(section,
	    "conversation_days", 3) * SMS_DAY_MS;
	config->rating_window_ms = sms_config_integer(section,
	    "rating_window_hours", 72) * SMS_HOUR_MS;
	gateways = json_object_get(section, "gateways");
	if (json_array_size(gateways) == 0 ||
	    json_array_size(gateways) > SMS_GATEWAYS_MAX)
		return config_error_at(hub_config, "channels.sms.gateways", err,
		    "an array of 1 to %d gateways", SMS_GATEWAYS_MAX);
	json_array_foreach(gateways, index, item) {
		config->gateway_count = index + 1;
		if (sms_config_gateway(hub_config, item, index, config,
		    err) != 0)
			return -1;
	}
	return 0;
}

static void
sms_config_free_secret(char *secret)
{
	if (secret != NULL)
		explicit_bzero(secret, strlen(secret));
	free(secret);
}

void
sms_config_free(struct sms_config *config)
{
	for (size_t i = 0; i < config->gateway_count; i++) {
		struct sms_gateway_config *gateway = &config->gateways[i];

		free(gateway->name);
		free(gateway->from);
		free(gateway->username);
		sms_config_free_secret(gateway->password);
		for (size_t j = 0; j < gateway->prefix_count; j++)
			free(gateway->prefixes[j]);
		free(gateway->kannel.sendsms_url);
		free(gateway->kannel.smsc);
		free(gateway->kannel.callback_url);
		if (gateway->type == SMS_GATEWAY_HTTP)
			sms_http_config_free(&gateway->http);
	}
	for (size_t i = 0; i < 4 * SMS_KEYWORD_WORDS_MAX; i++)
		free(config->keyword_storage[i]);
	sms_config_free_secret(config->inbound_secret);
	memset(config, 0, sizeof *config);
}
