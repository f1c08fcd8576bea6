/*
 * Helpers of the agents and session API: errors, methods and JSON bodies.
 */
#include <stdio.h>
#include <string.h>

#include <event2/http.h>

#include "api.h"
#include "api_auth.h"
#include "api_error.h"
#include "config.h"
#include "http_server.h"

#define API_AUTH_CONTENT_TYPE_MAX 128
#define API_AUTH_FIELD_MAX 48	/* longer member names are not echoed */

void
api_auth_error(struct evhttp_request *req, enum hub_error_code code,
    const char *field, long limit)
{
	struct hub_error error;

	hub_error_set(&error, code, field, limit);
	http_send_error(req, &error);
}

void
api_auth_method_not_allowed(struct evhttp_request *req, const char *allow)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
	    allow);
	api_auth_error(req, HUB_ERR_METHOD_NOT_ALLOWED, NULL, 0);
}

json_t *
api_auth_body(struct api_context *api, struct evhttp_request *req)
{
	char type[API_AUTH_CONTENT_TYPE_MAX];
	json_error_t json_error;
	const char *data;
	size_t length;
	json_t *root;

	http_content_type(req, type, sizeof type);
	if (strcmp(type, "application/json") != 0) {
		api_auth_error(req, HUB_ERR_CONTENT_TYPE, NULL,
		    HUB_ERROR_JSON_ONLY);
		return NULL;
	}
	if (http_request_body(api->http, req, &data, &length) != 0) {
		api_auth_error(req, HUB_ERR_BODY_TOO_LARGE, NULL,
		    (long)api->config->http_max_body_bytes);
		return NULL;
	}
	root = json_loadb(data, length, JSON_REJECT_DUPLICATES, &json_error);
	if (root == NULL) {
		api_auth_error(req, HUB_ERR_INVALID_JSON, NULL, 0);
		return NULL;
	}
	if (!json_is_object(root)) {
		api_auth_error(req, HUB_ERR_INVALID_JSON, NULL,
		    HUB_ERROR_NOT_OBJECT);
		json_decref(root);
		return NULL;
	}
	return root;
}

bool
api_auth_known_members(struct evhttp_request *req, json_t *object,
    const char *const *names)
{
	const char *key;
	json_t *value;

	json_object_foreach(object, key, value) {
		size_t i;

		for (i = 0; names[i] != NULL; i++) {
			if (strcmp(key, names[i]) == 0)
				break;
		}
		if (names[i] != NULL)
			continue;
		/* Only a short name of plain characters is echoed back. */
		if (strlen(key) <= API_AUTH_FIELD_MAX && strspn(key,
		    "abcdefghijklmnopqrstuvwxyz_") == strlen(key))
			api_auth_error(req, HUB_ERR_INVALID_FIELD, key, 0);
		else
			api_auth_error(req, HUB_ERR_INVALID_FIELD, "body", 0);
		return false;
	}
	return true;
}

void
api_auth_locked(struct evhttp_request *req, const char *field, long seconds)
{
	char retry[24];

	snprintf(retry, sizeof retry, "%ld", seconds);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Retry-After", retry);
	api_auth_error(req, HUB_ERR_LOGIN_LOCKED, field, seconds);
}
