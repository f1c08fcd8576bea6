/*
 * The error catalogue: for each hub_error_code a stable name for programs,
 * an HTTP status, and a message in Vietnamese and in English for people.
 */
#ifndef HUB_API_ERROR_H
#define HUB_API_ERROR_H

#include <jansson.h>

#include "message.h"

/* "field_too_long", "missing_field", ... */
const char *api_error_name(enum hub_error_code code);

int api_error_status(enum hub_error_code code);

/* The message for people in language ("vi" or "en"), naming the field and
 * the limit and saying what to do. Returns a new string; caller frees. */
char *api_error_message(const struct hub_error *error, const char *language);

/* {"code", "field", "limit", "message": {"vi", "en"}}; field and limit only
 * when set. Returns a new reference. */
json_t *api_error_json(const struct hub_error *error);

/* Builds the body of a rate_limited error whose limit is the requests
 * allowed per minute, as api_error_json does, with a message that says to
 * wait retry_seconds (the Retry-After of the reply). Returns a new
 * reference, or NULL. */
json_t *api_error_json_retry(const struct hub_error *error,
    long retry_seconds);

#endif
