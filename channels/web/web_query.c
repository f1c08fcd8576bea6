#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "web.h"

static int
web_query_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long
web_query_decode(const char *text, size_t len, bool plus_is_space, char *out,
    size_t size)
{
	size_t i, n = 0;
	int high, low;

	for (i = 0; i < len; i++) {
		if (n + 1 >= size)
			return -1;
		if (text[i] == '%') {
			if (len - i < 3)
				return -1;
			high = web_query_hex(text[i + 1]);
			low = web_query_hex(text[i + 2]);
			if (high < 0 || low < 0)
				return -1;
			out[n++] = (char)(high << 4 | low);
			i += 2;
		} else if (text[i] == '+' && plus_is_space)
			out[n++] = ' ';
		else
			out[n++] = text[i];
	}
	out[n] = '\0';
	return (long)n;
}

static struct web_param *
web_query_find(const struct web_params *params, const char *key)
{
	size_t i;

	for (i = 0; i < params->count; i++) {
		if (strcmp(params->items[i].key, key) == 0)
			return (struct web_param *)&params->items[i];
	}
	return NULL;
}

static int
web_query_add(struct web_params *params, const char *pair, size_t len,
    struct hub_error *error)
{
	const char *equals = memchr(pair, '=', len);
	size_t key_len = equals != NULL ? (size_t)(equals - pair) : len;
	struct web_param *param = &params->items[params->count];
	long key_len_decoded, value_len;

	if (params->count == WEB_PARAMS_MAX) {
		hub_error_set(error, HUB_ERR_INVALID_FIELD, "", WEB_PARAMS_MAX);
		return -1;
	}
	key_len_decoded = web_query_decode(pair, key_len, true, param->key,
	    sizeof param->key);
	if (key_len_decoded <= 0 ||
	    strlen(param->key) != (size_t)key_len_decoded) {
		hub_error_set(error, HUB_ERR_INVALID_FIELD, "", 0);
		return -1;
	}
	if (web_query_find(params, param->key) != NULL) {
		hub_error_set(error, HUB_ERR_INVALID_FIELD, param->key,
		    HUB_ERROR_REPEATED);
		return -1;
	}

	len = equals != NULL ? len - key_len - 1 : 0;
	param->value = malloc(len + 1);
	if (param->value == NULL) {
		hub_error_set(error, HUB_ERR_INTERNAL, "", 0);
		return -1;
	}
	value_len = web_query_decode(equals != NULL ? equals + 1 : "", len,
	    true, param->value, len + 1);
	if (value_len < 0) {
		free(param->value);
		hub_error_set(error, HUB_ERR_INVALID_FIELD, param->key, 0);
		return -1;
	}
	param->value_len = (size_t)value_len;
	params->count++;
	return 0;
}

int
web_query_parse(const char *text, size_t len, struct web_params *params,
    struct hub_error *error)
{
	const char *end = text + len, *amp;

	params->count = 0;
	while (text < end) {
		amp = memchr(text, '&', (size_t)(end - text));
		if (amp == NULL)
			amp = end;
		if (amp > text && web_query_add(params, text,
		    (size_t)(amp - text), error) != 0) {
			web_query_clear(params);
			return -1;
		}
		text = amp + 1;
	}
	return 0;
}

int
web_query_parse_request(struct evhttp_request *req, struct web_params *params,
    struct hub_error *error)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;

	params->count = 0;
	if (query == NULL)
		return 0;
	return web_query_parse(query, strlen(query), params, error);
}

const char *
web_query_get(const struct web_params *params, const char *key)
{
	const struct web_param *param = web_query_find(params, key);

	return param != NULL ? param->value : NULL;
}

const char *
web_query_get_nonempty(const struct web_params *params, const char *key)
{
	const char *value = web_query_get(params, key);

	return value != NULL && *value != '\0' ? value : NULL;
}

bool
web_query_has_nul(const struct web_params *params, const char *key)
{
	const struct web_param *param = web_query_find(params, key);

	return param != NULL && strlen(param->value) != param->value_len;
}

void
web_query_clear(struct web_params *params)
{
	size_t i;

	for (i = 0; i < params->count; i++)
		free(params->items[i].value);
	params->count = 0;
}
