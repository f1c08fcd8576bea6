/*
 * The generic HTTP gateway's pure parts: its templates, the request built
 * from them and the judgment of the gateway's response. None of these
 * touches the event loop, so the unit tests call them directly;
 * sms_http_ops (sms_module.h) puts them together.
 */
#ifndef SMS_HTTP_H
#define SMS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "sms_module.h"

/* Where an expanded placeholder lands, which decides its escaping. */
enum sms_http_escape {
	SMS_HTTP_ESCAPE_URL,	/* percent-encoded, RFC 3986 unreserved
				 * characters kept, space as %20 */
	SMS_HTTP_ESCAPE_HEADER,	/* as it is; a control character other
				 * than tab fails the expansion */
	SMS_HTTP_ESCAPE_JSON,	/* inside a JSON string, without quotes */
	SMS_HTTP_ESCAPE_FORM,	/* application/x-www-form-urlencoded:
				 * percent-encoded, space as + */
	SMS_HTTP_ESCAPE_RAW,	/* as it is */
};

/* The values of the placeholders for one message. A NULL value expands to
 * the empty string. */
struct sms_http_values {
	const char *to;
	const char *from;
	const char *text;
	const char *reference;
	const char *coding;	/* "gsm7" or "ucs2" */
	const char *unicode;	/* "0" or "1" */
	const char *parts;	/* decimal */
	const char *username;
	const char *password;
};

/* Checks that every "{{" of template opens a known placeholder closed by
 * "}}". Returns 0, or -1 with problem filled in ("unknown placeholder
 * {{phone}}"). */
int sms_http_template_check(const char *template, char *problem,
    size_t problem_size);

/* Expands the placeholders of template, a template that passed
 * sms_http_template_check, escaping each value for escape; the template's
 * own text is copied as it is. Returns 0 with *out a new string (caller
 * frees), or -1 with errno EINVAL when a value cannot stand in a header
 * (control characters) or ENOMEM. */
int sms_http_expand(const char *template, enum sms_http_escape escape,
    const struct sms_http_values *values, char **out);

/* The escaping of the body's placeholders for encoding. */
enum sms_http_escape sms_http_body_escape(enum sms_body_encoding encoding);

/* A request ready for the HTTP client. */
struct sms_http_request {
	const char *method;
	char *url;
	/* "Name: value" lines, NULL ended. */
	char *headers[SMS_HEADERS_MAX + 2];
	char *body;		/* NULL for none */
	size_t body_length;
};

/* Builds the request of gateway for prepared. A json or form body gets a
 * Content-Type header when the config names none. Returns 0, or -1 with
 * errno EINVAL and reason filled in (the message can never go out this
 * way), or ENOMEM. */
int sms_http_request_build(const struct sms_gateway_config *gateway,
    const struct sms_prepared *prepared, struct sms_http_request *request,
    char *reason, size_t reason_size);
void sms_http_request_free(struct sms_http_request *request);

/* Judges a response of status with body by the rule of config (see struct
 * sms_http_config). Returns 0 accepted, 1 failed for now, -1 failed for
 * good. */
int sms_http_judge(const struct sms_http_config *config, int status,
    const char *body, size_t body_length);

/* The value at path in the JSON text body: path names object members
 * separated by dots ("result.code"), and a member made only of digits
 * also indexes an array ("messages.0.id"). A string gives its text, a
 * number its decimal form, true, false and null their names. Returns a
 * new string, or NULL when body is not JSON, the value is missing or is
 * an object or array, or on allocation failure. */
char *sms_http_json_text(const char *body, size_t body_length,
    const char *path);

/* The text of a scalar JSON value as sms_http_json_text gives it, as a
 * new string; NULL for an object or array, or on allocation failure. */
char *sms_http_json_scalar(const json_t *value);

/* Writes "HTTP STATUS: BODY" to out, the body cut to its first 200 bytes
 * at a character's boundary, invalid UTF-8 replaced with U+FFFD and
 * control characters with spaces, so an agent can read it. */
void sms_http_detail(int status, const char *body, size_t body_length,
    char *out, size_t out_size);

/* Writes the scheme, host and port of url to out, without user info,
 * path or query, for logs that must not show credentials. */
void sms_http_url_origin(const char *url, char *out, size_t out_size);

#endif
