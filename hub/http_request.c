#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "api_error.h"
#include "http_internal.h"
#include "log.h"
#include "ratelimit.h"

#define HTTP_FORWARDED_HEADERS_MAX 16
#define HTTP_FORWARDED_ENTRY_MAX 64

static const uint8_t http_mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

int
http_address_parse(const char *text, struct http_address *address)
{
	struct in_addr v4;

	if (inet_pton(AF_INET, text, &v4) == 1) {
		memcpy(address->bytes, http_mapped_prefix, 12);
		memcpy(address->bytes + 12, &v4, 4);
		return 0;
	}
	if (inet_pton(AF_INET6, text, address->bytes) == 1)
		return 0;
	return -1;
}

static bool
http_address_is_mapped(const struct http_address *address)
{
	return memcmp(address->bytes, http_mapped_prefix, 12) == 0;
}

void
http_address_format(const struct http_address *address,
    char out[HTTP_ADDRESS_SIZE])
{
	if (http_address_is_mapped(address))
		inet_ntop(AF_INET, address->bytes + 12, out, HTTP_ADDRESS_SIZE);
	else
		inet_ntop(AF_INET6, address->bytes, out, HTTP_ADDRESS_SIZE);
}

bool
http_address_in(const struct http_address *address,
    const struct http_address *list, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (memcmp(address->bytes, list[i].bytes, 16) == 0)
			return true;
	}
	return false;
}

/* Parses one X-Forwarded-For entry: spaces around it and brackets around an
 * IPv6 address are allowed. Returns 0 or -1. */
static int
http_forwarded_entry_parse(const char *start, const char *end,
    struct http_address *address)
{
	char entry[HTTP_FORWARDED_ENTRY_MAX];
	size_t length;

	while (start < end && isspace((unsigned char)*start))
		start++;
	while (end > start && isspace((unsigned char)end[-1]))
		end--;
	if (end - start >= 2 && *start == '[' && end[-1] == ']') {
		start++;
		end--;
	}
	length = (size_t)(end - start);
	if (length == 0 || length >= sizeof entry)
		return -1;
	memcpy(entry, start, length);
	entry[length] = '\0';
	return http_address_parse(entry, address);
}

/* The X-Forwarded-For header values of req in order, at most max. */
static size_t
http_forwarded_headers(struct evhttp_request *req, const char **values,
    size_t max)
{
	struct evkeyvalq *headers = evhttp_request_get_input_headers(req);
	struct evkeyval *header;
	size_t count = 0;

	TAILQ_FOREACH(header, headers, next) {
		if (count < max &&
		    strcasecmp(header->key, "X-Forwarded-For") == 0)
			values[count++] = header->value;
	}
	return count;
}

/*
 * Walks the X-Forwarded-For entries from the right, across repeated headers,
 * and stores the first one that is not a trusted proxy in client. When every
 * entry is a trusted proxy, the leftmost one is the client. Returns 0, or -1
 * when an entry to be used is malformed or there is none.
 */
static int
http_forwarded_client(struct http_server *server, struct evhttp_request *req,
    struct http_address *client)
{
	const char *values[HTTP_FORWARDED_HEADERS_MAX];
	size_t count = http_forwarded_headers(req, values,
	    HTTP_FORWARDED_HEADERS_MAX);
	bool found = false;

	for (size_t i = count; i-- > 0;) {
		const char *value = values[i];
		const char *end = value + strlen(value);

		for (;;) {
			const char *start = end;

			while (start > value && start[-1] != ',')
				start--;
			if (http_forwarded_entry_parse(start, end, client) != 0)
				return -1;
			found = true;
			if (!http_address_in(client, server->trusted_proxies,
			    server->trusted_proxy_count))
				return 0;
			if (start == value)
				break;
			end = start - 1;
		}
	}
	return found ? 0 : -1;
}

/* The peer of req in binary. Returns 0, or -1 when it is unknown. */
static int
http_peer_address(struct evhttp_request *req, struct http_address *peer)
{
	struct evhttp_connection *connection = evhttp_request_get_connection(req);
	char *text = NULL;
	uint16_t port = 0;

	if (connection == NULL)
		return -1;
	evhttp_connection_get_peer(connection, &text, &port);
	if (text == NULL)
		return -1;
	return http_address_parse(text, peer);
}

static int
http_client_binary(struct http_server *server, struct evhttp_request *req,
    struct http_address *client)
{
	struct http_address peer, forwarded;

	if (http_peer_address(req, &peer) != 0)
		return -1;
	*client = peer;
	if (!http_address_in(&peer, server->trusted_proxies,
	    server->trusted_proxy_count))
		return 0;
	if (http_forwarded_client(server, req, &forwarded) == 0)
		*client = forwarded;
	return 0;
}

const char *
http_client_address(struct http_server *server, struct evhttp_request *req,
    char out[HTTP_ADDRESS_SIZE])
{
	struct http_address client;

	if (http_client_binary(server, req, &client) != 0)
		snprintf(out, HTTP_ADDRESS_SIZE, "unknown");
	else
		http_address_format(&client, out);
	return out;
}

/* The rate-limit key of client: the address, or for IPv6 its /64 network,
 * because providers usually give one IPv6 subscriber a whole /64. */
static void
http_limit_key(const struct http_address *client, char out[HTTP_ADDRESS_SIZE + 4])
{
	struct http_address network = *client;

	if (http_address_is_mapped(client)) {
		http_address_format(client, out);
		return;
	}
	memset(network.bytes + 8, 0, 8);
	http_address_format(&network, out);
	strcat(out, "/64");
}

static int64_t
http_monotonic_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Sends the 429 of error, with a message that gives retry_after in
 * seconds. */
static void
http_rate_limit_reply(struct evhttp_request *req, const struct hub_error *error,
    int retry_after)
{
	json_t *detail = api_error_json_retry(error, retry_after);
	json_t *body = NULL;

	/* json_pack's "o" steals detail, also when packing fails. */
	if (detail != NULL)
		body = json_pack("{s:o}", "error", detail);
	if (body == NULL) {
		http_send_error(req, error);
		return;
	}
	http_send_json(req, api_error_status(error->code), body);
}

bool
http_rate_limit(struct http_server *server, struct evhttp_request *req,
    enum http_limit_kind kind)
{
	struct http_address client;
	char key[HTTP_ADDRESS_SIZE + 4];
	char retry_text[16];
	struct hub_error error;
	int retry_after = 1;

	if (server->per_minute[kind] == 0)
		return true;
	if (http_client_binary(server, req, &client) != 0)
		return true;	/* the client already went away */
	if (http_address_in(&client, server->rate_exempt,
	    server->rate_exempt_count))
		return true;

	http_limit_key(&client, key);
	if (ratelimit_take(server->limits[kind], key, http_monotonic_ms(),
	    &retry_after))
		return true;

	log_trace(LOG_TRACE_HTTP, "http", "rate limited client=%s kind=%s "
	    "retry_after=%d", key, kind == HTTP_LIMIT_SUBMIT ? "submit" :
	    "lookup", retry_after);
	snprintf(retry_text, sizeof retry_text, "%d", retry_after);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Retry-After", retry_text);
	hub_error_set(&error, HUB_ERR_RATE_LIMITED, NULL,
	    server->per_minute[kind]);
	http_rate_limit_reply(req, &error, retry_after);
	return false;
}

/* The value of the lang query parameter when it is "en" or "vi". */
static const char *
http_query_language(struct evhttp_request *req)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyvalq params;
	const char *value, *language = NULL;

	if (query == NULL || evhttp_parse_query_str(query, &params) != 0)
		return NULL;
	value = evhttp_find_header(&params, "lang");
	if (value != NULL && strcmp(value, "en") == 0)
		language = "en";
	else if (value != NULL && strcmp(value, "vi") == 0)
		language = "vi";
	evhttp_clear_headers(&params);
	return language;
}

const char *
http_request_language(struct evhttp_request *req)
{
	const char *language = http_query_language(req);

	/* Citizens read Vietnamese unless they pick English: a browser's
	 * Accept-Language is not followed, because many phones in Vietnam
	 * run with an English interface. */
	return language != NULL ? language : "vi";
}

int
http_request_body(struct http_server *server, struct evhttp_request *req,
    const char **data, size_t *len)
{
	struct evbuffer *body = evhttp_request_get_input_buffer(req);
	size_t length = evbuffer_get_length(body);

	if (length > server->max_body_bytes)
		return -1;
	*data = length > 0 ? (const char *)evbuffer_pullup(body, -1) : "";
	*len = length;
	if (*data == NULL) {
		*data = "";
		*len = 0;
		return -1;
	}
	return 0;
}

/* Counts the headers of req named name and stores the first value in
 * first. */
static size_t
http_header_count(struct evhttp_request *req, const char *name,
    const char **first)
{
	struct evkeyvalq *headers = evhttp_request_get_input_headers(req);
	struct evkeyval *header;
	size_t count = 0;

	*first = NULL;
	TAILQ_FOREACH(header, headers, next) {
		if (strcasecmp(header->key, name) != 0)
			continue;
		if (count == 0)
			*first = header->value;
		count++;
	}
	return count;
}

/*
 * libevent 2.1.12 frames a request body by the first Content-Length header
 * and ignores any later one, and it reads a chunked body whenever the first
 * Transfer-Encoding is "chunked", whatever Content-Length says. A proxy in
 * front may pick another of these headers, and then the two disagree on
 * where the next request starts.
 */
const char *
http_request_framing_error(struct evhttp_request *req)
{
	const char *length, *coding;
	size_t lengths = http_header_count(req, "Content-Length", &length);
	size_t codings = http_header_count(req, "Transfer-Encoding", &coding);

	if (lengths > 1 || (lengths == 1 && codings > 0))
		return "Content-Length";
	if (codings > 1 || (codings == 1 && strcasecmp(coding, "chunked") != 0))
		return "Transfer-Encoding";
	if (lengths == 1 && (length[0] == '\0' ||
	    strspn(length, "0123456789") != strlen(length)))
		return "Content-Length";
	return NULL;
}

void
http_content_type(struct evhttp_request *req, char *out, size_t size)
{
	const char *value = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Content-Type");
	size_t length = 0;

	if (size == 0)
		return;
	if (value != NULL) {
		while (isspace((unsigned char)*value))
			value++;
		while (value[length] != '\0' && value[length] != ';')
			length++;
		while (length > 0 && isspace((unsigned char)value[length - 1]))
			length--;
	}
	if (length >= size)
		length = 0;	/* too long to be a media type we accept */
	for (size_t i = 0; i < length; i++)
		out[i] = (char)tolower((unsigned char)value[i]);
	out[length] = '\0';
}
