/*
 * The "channels.email" section: checked with the hub's field tables, then
 * loaded with defaults meant for production (LMTP on loopback only, no
 * outbound mail without an smtp section, STARTTLS required by default).
 * Secrets come only from files named in the section.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "email_module.h"


static const char *
email_check_address(const json_t *value)
{
	const char *text = json_string_value(value);
	const char *at = strchr(text, '@');
	size_t length = strlen(text);

	if (length == 0 || length > EMAIL_ADDRESS_MAX || at == NULL ||
	    at == text || at[1] == '\0' || strchr(at + 1, '@') != NULL ||
	    strpbrk(text, " \t\r\n<>()[],;:\"\\") != NULL)
		return "an email address such as hotline@example.gov.vn";
	return NULL;
}

static const char *
email_check_domain(const json_t *value)
{
	const char *text = json_string_value(value);
	size_t length = strlen(text);

	if (length == 0 || length > 253 || strspn(text,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
	    != length || text[0] == '.' || text[0] == '-')
		return "a domain name such as example.gov.vn";
	return NULL;
}

static const char *
email_check_starttls(const json_t *value)
{
	const char *text = json_string_value(value);

	if (strcmp(text, "no") != 0 && strcmp(text, "optional") != 0 &&
	    strcmp(text, "required") != 0)
		return "\"no\", \"optional\" or \"required\"";
	return NULL;
}

static const char *
email_check_imap_url(const json_t *value)
{
	const char *text = json_string_value(value);

	if (strncmp(text, "imap://", 7) != 0 && strncmp(text, "imaps://", 8) != 0)
		return "an IMAP URL such as imap://127.0.0.1:143/INBOX";
	if (strchr(text, '@') != NULL)
		return "an IMAP URL without user or password "
		    "(use username and password_file)";
	return NULL;
}

static const struct config_field email_fields[] = {
	{ "address", CONFIG_STRING, 0, 0, email_check_address, NULL },
	{ "addresses", CONFIG_STRING_ARRAY, 0, 32, email_check_address,
	    "a list of at most 32 email addresses" },
	{ "domain", CONFIG_STRING, 0, 0, email_check_domain, NULL },
	{ "from_name", CONFIG_OBJECT, 0, 0, NULL,
	    "an object {\"vi\": NAME, \"en\": NAME}" },
	{ "lmtp", CONFIG_OBJECT, 0, 0, NULL, NULL },
	{ "limits", CONFIG_OBJECT, 0, 0, NULL, NULL },
	{ "smtp", CONFIG_OBJECT, 0, 0, NULL, NULL },
	{ "imap", CONFIG_OBJECT, 0, 0, NULL, NULL },
	{ NULL, 0, 0, 0, NULL, NULL }
};

static const struct config_field email_from_name_fields[] = {
	{ "vi", CONFIG_STRING, 1, 100, NULL, NULL },
	{ "en", CONFIG_STRING, 1, 100, NULL, NULL },
	{ NULL, 0, 0, 0, NULL, NULL }
};

static const struct config_field email_lmtp_fields[] = {
	{ "listen", CONFIG_STRING, 1, 300, NULL, "an address as ADDR:PORT" },
	{ "socket", CONFIG_STRING, 1, 100, NULL, "a Unix socket path" },
	{ "max_connections", CONFIG_INTEGER, 1, 10000, NULL, NULL },
	{ "timeout_seconds", CONFIG_INTEGER, 1, 3600, NULL, NULL },
	{ "data_timeout_seconds", CONFIG_INTEGER, 1, 3600, NULL, NULL },
	{ "max_recipients", CONFIG_INTEGER, 1, 1000, NULL, NULL },
	{ NULL, 0, 0, 0, NULL, NULL }
};

static const struct config_field email_limits_fields[] = {
	{ "max_message_bytes", CONFIG_INTEGER, 1024, 1073741824, NULL, NULL },
	{ "max_attachment_bytes", CONFIG_INTEGER, 0, 1073741824, NULL, NULL },
	{ "max_attachments", CONFIG_INTEGER, 0, HUB_MESSAGE_ATTACHMENTS_MAX,
	    NULL, NULL },
	{ "max_text_bytes", CONFIG_INTEGER, 100, 1048576, NULL, NULL },
	{ "html_max_bytes", CONFIG_INTEGER, 0, 67108864, NULL, NULL },
	{ "html_max_depth", CONFIG_INTEGER, 1, 1000, NULL, NULL },
	{ NULL, 0, 0, 0, NULL, NULL }
};

static const struct config_field email_smtp_fields[] = {
	{ "host", CONFIG_STRING, 1, 253, NULL, "a host name or address" },
	{ "port", CONFIG_INTEGER, 1, 65535, NULL, NULL },
	{ "starttls", CONFIG_STRING, 0, 0, email_check_starttls, NULL },
	{ "username", CONFIG_STRING, 1, 256, NULL, NULL },
	{ "password_file", CONFIG_STRING, 1, 4096, NULL, "a file path" },
	{ "timeout_seconds", CONFIG_INTEGER, 1, 3600, NULL, NULL },
	{ NULL, 0, 0, 0, NULL, NULL }
};

static const struct config_field email_imap_fields[] = {
	{ "url", CONFIG_STRING, 0, 0, email_check_imap_url, NULL },
	{ "username", CONFIG_STRING, 1, 256, NULL, NULL },
	{ "password_file", CONFIG_STRING, 1, 4096, NULL, "a file path" },
	{ "poll_seconds", CONFIG_INTEGER, 5, 86400, NULL, NULL },
	{ "batch", CONFIG_INTEGER, 1, 1000, NULL, NULL },
	{ NULL, 0, 0, 0, NULL, NULL }
};

static int
email_config_check(const struct hub_config *hub_config, const json_t *section,
    struct config_error *err)
{
	static const struct {
		const char *key;
		const char *path;
		const struct config_field *fields;
	} parts[] = {
		{ "from_name", "channels.email.from_name", email_from_name_fields },
		{ "lmtp", "channels.email.lmtp", email_lmtp_fields },
		{ "limits", "channels.email.limits", email_limits_fields },
		{ "smtp", "channels.email.smtp", email_smtp_fields },
		{ "imap", "channels.email.imap", email_imap_fields },
	};
	size_t i;

	if (section == NULL)
		return config_error_at(hub_config, "channels.email", err,
		    "an object with at least \"address\"");
	if (config_check_section(hub_config, "channels.email", section,
	    email_fields, err) != 0)
		return -1;
	if (json_object_get(section, "address") == NULL)
		return config_error_problem(hub_config, "channels.email.address",
		    err, "missing", "the hub's email address");
	for (i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		const json_t *part = json_object_get(section, parts[i].key);

		if (part != NULL && config_check_section(hub_config,
		    parts[i].path, part, parts[i].fields, err) != 0)
			return -1;
	}
	return 0;
}

static long long
email_config_integer(const json_t *object, const char *key, long long fallback)
{
	const json_t *value = json_object_get(object, key);

	return value != NULL ? json_integer_value(value) : fallback;
}

/* A copy of the string at key, or of fallback (which may be NULL). Sets
 * *failed on allocation failure. */
static char *
email_config_string(const json_t *object, const char *key,
    const char *fallback, bool *failed)
{
	const json_t *value = json_object_get(object, key);
	const char *text = value != NULL ? json_string_value(value) : fallback;
	char *copy;

	if (text == NULL)
		return NULL;
	copy = strdup(text);
	if (copy == NULL)
		*failed = true;
	return copy;
}

static char *
email_lower(const char *text)
{
	char *copy = strdup(text);
	char *p;

	for (p = copy; p != NULL && *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return copy;
}

/* Reads the password file named at object's "password_file". */
static int
email_config_secret(const struct hub_config *hub_config, const json_t *object,
    const char *path, char **secret, struct config_error *err)
{
	return config_read_secret(hub_config, json_string_value(
	    json_object_get(object, "password_file")), path, secret, err);
}

static int
email_config_addresses(struct email_config *config, const json_t *section)
{
	const json_t *more = json_object_get(section, "addresses");
	size_t count = 1 + json_array_size(more);
	size_t i;

	config->own_addresses = calloc(count + 1, sizeof *config->own_addresses);
	if (config->own_addresses == NULL)
		return -1;
	config->own_addresses[0] = email_lower(json_string_value(
	    json_object_get(section, "address")));
	for (i = 1; i < count; i++)
		config->own_addresses[i] = email_lower(json_string_value(
		    json_array_get(more, i - 1)));
	for (i = 0; i < count; i++)
		if (config->own_addresses[i] == NULL)
			return -1;
	return 0;
}

static int
email_config_defaults(struct email_config *config, const json_t *section,
    const struct hub_config *hub_config)
{
	const json_t *names = json_object_get(section, "from_name");
	const json_t *lmtp = json_object_get(section, "lmtp");
	const json_t *limits = json_object_get(section, "limits");
	const char *domain = strchr(config->own_addresses[0], '@') + 1;
	bool failed = false;

	config->domain = email_config_string(section, "domain", domain, &failed);
	config->from_name_vi = email_config_string(names, "vi",
	    "Đường dây nóng", &failed);
	config->from_name_en = email_config_string(names, "en", "Hotline",
	    &failed);
	if (json_object_get(lmtp, "socket") != NULL) {
		/* Relative to the config file's folder, as mailgate reads it. */
		config->lmtp_socket = config_resolve_path(hub_config,
		    json_string_value(json_object_get(lmtp, "socket")));
		failed = config->lmtp_socket == NULL;
	}
	config->lmtp_listen = email_config_string(lmtp, "listen",
	    config->lmtp_socket != NULL ? NULL : "127.0.0.1:2424", &failed);
	config->lmtp_max_connections = (int)email_config_integer(lmtp,
	    "max_connections", 32);
	config->lmtp_timeout_seconds = (int)email_config_integer(lmtp,
	    "timeout_seconds", 300);
	config->lmtp_data_timeout_seconds = (int)email_config_integer(lmtp,
	    "data_timeout_seconds", 600);
	config->lmtp_max_recipients = (int)email_config_integer(lmtp,
	    "max_recipients", 100);

	config->max_message_bytes = (size_t)email_config_integer(limits,
	    "max_message_bytes", 26214400);
	config->max_attachment_bytes = (size_t)email_config_integer(limits,
	    "max_attachment_bytes", 10485760);
	config->max_attachments = (int)email_config_integer(limits,
	    "max_attachments", 10);
	/* A text beyond the hub's description limit would be rejected by
	 * the pipeline, so the default cut keeps it within that many bytes
	 * (a character takes at least one). */
	config->max_text_bytes = (size_t)email_config_integer(limits,
	    "max_text_bytes", hub_config->limits.description_chars);
	config->html_max_bytes = (size_t)email_config_integer(limits,
	    "html_max_bytes", 2097152);
	config->html_max_depth = (int)email_config_integer(limits,
	    "html_max_depth", 64);
	return failed ? -1 : 0;
}

static int
email_config_smtp(struct email_config *config, const json_t *smtp,
    const struct hub_config *hub_config, struct config_error *err)
{
	const char *starttls;
	bool failed = false;

	if (smtp == NULL)
		return 0;
	if (json_object_get(smtp, "host") == NULL)
		return config_error_problem(hub_config, "channels.email.smtp.host",
		    err, "missing", "the smarthost's host name or address");
	config->smtp_enabled = true;
	config->smtp_host = email_config_string(smtp, "host", NULL, &failed);
	config->smtp_port = (int)email_config_integer(smtp, "port", 25);
	config->smtp_timeout_seconds = (int)email_config_integer(smtp,
	    "timeout_seconds", 60);
	starttls = json_string_value(json_object_get(smtp, "starttls"));
	config->smtp_starttls = starttls == NULL ||
	    strcmp(starttls, "required") == 0 ? EMAIL_STARTTLS_REQUIRED :
	    strcmp(starttls, "optional") == 0 ? EMAIL_STARTTLS_OPTIONAL :
	    EMAIL_STARTTLS_NO;
	config->smtp_username = email_config_string(smtp, "username", NULL,
	    &failed);
	if (failed)
		return config_error_at(hub_config, "channels.email.smtp", err,
		    "memory for the section");
	if ((config->smtp_username != NULL) !=
	    (json_object_get(smtp, "password_file") != NULL))
		return config_error_at(hub_config, "channels.email.smtp", err,
		    "both username and password_file, or neither");
	if (config->smtp_username != NULL)
		return email_config_secret(hub_config, smtp,
		    "channels.email.smtp.password_file", &config->smtp_password,
		    err);
	return 0;
}

static int
email_config_imap(struct email_config *config, const json_t *imap,
    const struct hub_config *hub_config, struct config_error *err)
{
	bool failed = false;

	if (imap == NULL)
		return 0;
	if (json_object_get(imap, "url") == NULL ||
	    json_object_get(imap, "username") == NULL ||
	    json_object_get(imap, "password_file") == NULL)
		return config_error_at(hub_config, "channels.email.imap", err,
		    "url, username and password_file");
	config->imap_enabled = true;
	config->imap_url = email_config_string(imap, "url", NULL, &failed);
	config->imap_username = email_config_string(imap, "username", NULL,
	    &failed);
	config->imap_poll_seconds = (int)email_config_integer(imap,
	    "poll_seconds", 60);
	config->imap_batch = (int)email_config_integer(imap, "batch", 20);
	if (failed)
		return config_error_at(hub_config, "channels.email.imap", err,
		    "memory for the section");
	return email_config_secret(hub_config, imap,
	    "channels.email.imap.password_file", &config->imap_password, err);
}

int
email_config_load(struct email_config *config,
    const struct hub_config *hub_config, const json_t *section,
    struct config_error *err)
{
	memset(config, 0, sizeof *config);
	if (email_config_check(hub_config, section, err) != 0)
		return -1;
	if (email_config_addresses(config, section) != 0 ||
	    email_config_defaults(config, section, hub_config) != 0)
		return config_error_at(hub_config, "channels.email", err,
		    "memory for the section");
	if (email_config_smtp(config, json_object_get(section, "smtp"),
	    hub_config, err) != 0 ||
	    email_config_imap(config, json_object_get(section, "imap"),
	    hub_config, err) != 0)
		return -1;
	return 0;
}

static void
email_config_free_secret(char *secret)
{
	if (secret != NULL)
		explicit_bzero(secret, strlen(secret));
	free(secret);
}

void
email_config_clear(struct email_config *config)
{
	char **address;

	for (address = config->own_addresses;
	    address != NULL && *address != NULL; address++)
		free(*address);
	free(config->own_addresses);
	free(config->domain);
	free(config->from_name_vi);
	free(config->from_name_en);
	free(config->lmtp_listen);
	free(config->lmtp_socket);
	free(config->smtp_host);
	free(config->smtp_username);
	email_config_free_secret(config->smtp_password);
	free(config->imap_url);
	free(config->imap_username);
	email_config_free_secret(config->imap_password);
	memset(config, 0, sizeof *config);
}

bool
email_config_is_own(const struct email_config *config, const char *address)
{
	char **own;

	for (own = config->own_addresses; own != NULL && *own != NULL; own++)
		if (strcasecmp(*own, address) == 0)
			return true;
	return false;
}
