/*
 * One request of the HTTP client: argument checks, the libcurl easy handle
 * and its options, the bounded response buffer, and the outcome passed to
 * the caller's done callback.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_client_internal.h"
#include "log.h"

#define HTTP_CLIENT_METHOD_MAX 16
#define HTTP_CLIENT_URL_MAX 8192
/* Maximum length of a libcurl message line in the log, in bytes. */
#define HTTP_CLIENT_DEBUG_LINE_MAX 512

static bool
http_client_request_method_valid(const char *method)
{
	size_t	length;

	if (method == NULL)
		return false;
	length = strlen(method);
	if (length == 0 || length > HTTP_CLIENT_METHOD_MAX)
		return false;
	return strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == length;
}

static bool
http_client_request_has_control(const char *text)
{
	for (; *text != '\0'; text++) {
		if ((unsigned char)*text < 0x20 || *text == 0x7f)
			return true;
	}
	return false;
}

static bool
http_client_request_url_valid(const char *url)
{
	if (url == NULL || strnlen(url, HTTP_CLIENT_URL_MAX + 1) >
	    HTTP_CLIENT_URL_MAX)
		return false;
	if (strncasecmp(url, "http://", 7) != 0 &&
	    strncasecmp(url, "https://", 8) != 0)
		return false;
	return !http_client_request_has_control(url);
}

/* A header is "Name: value", or "Name;" for an empty value. */
static bool
http_client_request_header_valid(const char *header)
{
	size_t	name_length;

	if (strnlen(header, HTTP_CLIENT_HEADER_LENGTH_MAX + 1) >
	    HTTP_CLIENT_HEADER_LENGTH_MAX)
		return false;
	if (strpbrk(header, "\r\n") != NULL)
		return false;
	name_length = strcspn(header, ":;");
	return name_length > 0 && header[name_length] != '\0';
}

static bool
http_client_request_headers_valid(const char *const *headers)
{
	size_t	count;

	if (headers == NULL)
		return true;
	for (count = 0; headers[count] != NULL; count++) {
		if (count == HTTP_CLIENT_HEADERS_MAX ||
		    !http_client_request_header_valid(headers[count]))
			return false;
	}
	return true;
}

static bool
http_client_request_takes_body(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

int
http_client_request_check(const struct http_client_options *options)
{
	if (!http_client_request_method_valid(options->method) ||
	    !http_client_request_url_valid(options->url) ||
	    !http_client_request_headers_valid(options->headers))
		return -1;
	if (options->body == NULL && options->body_len > 0)
		return -1;
	if (options->body_len > 0 &&
	    !http_client_request_takes_body(options->method))
		return -1;
	if (options->timeout_ms <= 0)
		return -1;
	return 0;
}

/* CURLOPT_WRITEFUNCTION: appends to the response buffer within its bound. */
static size_t
http_client_request_write_cb(char *data, size_t size, size_t count, void *userp)
{
	struct http_client_request	*request = userp;
	size_t				 length = size * count;
	size_t				 needed, grown;
	char				*body;

	if (length > request->max_response - request->body_len) {
		request->too_large = true;
		return 0;
	}
	needed = request->body_len + length + 1;
	if (needed > request->body_size) {
		grown = request->body_size * 2;
		if (grown < 4096)
			grown = 4096;
		if (grown < needed)
			grown = needed;
		if (grown > request->max_response + 1)
			grown = request->max_response + 1;

		body = realloc(request->body, grown);
		if (body == NULL) {
			request->out_of_memory = true;
			return 0;
		}
		request->body = body;
		request->body_size = grown;
	}
	memcpy(request->body + request->body_len, data, length);
	request->body_len += length;
	request->body[request->body_len] = '\0';
	return length;
}

/*
 * CURLOPT_DEBUGFUNCTION: logs libcurl's informational text, one line per
 * call with control characters replaced. Headers and data never reach the
 * log because they may carry tokens.
 */
static int
http_client_request_debug_cb(CURL *easy, curl_infotype type, char *data,
    size_t size, void *userp)
{
	struct http_client_request	*request = userp;
	char				 line[HTTP_CLIENT_DEBUG_LINE_MAX + 1];
	size_t				 length = 0;

	(void)easy;
	if (type != CURLINFO_TEXT || !log_tracing(LOG_TRACE_CURL))
		return 0;

	while (size > 0 && (data[size - 1] == '\n' || data[size - 1] == '\r'))
		size--;
	for (; length < size && length < HTTP_CLIENT_DEBUG_LINE_MAX; length++) {
		unsigned char	c = (unsigned char)data[length];

		line[length] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	line[length] = '\0';

	log_trace(LOG_TRACE_CURL, "curl", "%s request=%" PRIu64, line,
	    request->id);
	return 0;
}

static int
http_client_request_set_headers(struct http_client_request *request,
    const char *const *headers)
{
	struct curl_slist	*list = NULL, *appended;
	bool			 has_expect = false;

	for (size_t i = 0; headers != NULL && headers[i] != NULL; i++) {
		if (strncasecmp(headers[i], "Expect:", 7) == 0)
			has_expect = true;
		appended = curl_slist_append(list, headers[i]);
		if (appended == NULL)
			goto fail;
		list = appended;
	}

	/* An empty Expect stops libcurl waiting for "100 Continue". */
	if (!has_expect) {
		appended = curl_slist_append(list, "Expect:");
		if (appended == NULL)
			goto fail;
		list = appended;
	}
	request->headers = list;
	return curl_easy_setopt(request->easy, CURLOPT_HTTPHEADER, list) ==
	    CURLE_OK ? 0 : -1;

fail:
	curl_slist_free_all(list);
	return -1;
}

static int
http_client_request_set_method(struct http_client_request *request,
    const struct http_client_options *options)
{
	CURL		*easy = request->easy;
	const char	*body = options->body != NULL ? options->body : "";

	if (strcmp(options->method, "GET") == 0)
		return curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L) == CURLE_OK ?
		    0 : -1;
	if (strcmp(options->method, "HEAD") == 0)
		return curl_easy_setopt(easy, CURLOPT_NOBODY, 1L) == CURLE_OK ?
		    0 : -1;

	/* Every other method sends a body, empty with Content-Length: 0. */
	if (curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)options->body_len) != CURLE_OK ||
	    curl_easy_setopt(easy, CURLOPT_COPYPOSTFIELDS, body) != CURLE_OK)
		return -1;
	if (strcmp(options->method, "POST") == 0)
		return 0;
	return curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, options->method) ==
	    CURLE_OK ? 0 : -1;
}

/* Sets the options every request shares, with its URL, timeout and limit. */
static int
http_client_request_set_fixed(struct http_client_request *request,
    const struct http_client_options *options)
{
	CURL	*easy = request->easy;

	curl_easy_setopt(easy, CURLOPT_PRIVATE, request);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, options->timeout_ms);
	curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)options->max_response);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, request->error);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION,
	    http_client_request_write_cb);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, request);
	curl_easy_setopt(easy, CURLOPT_USERAGENT, PACKAGE_NAME "/"
	    PACKAGE_VERSION);

	if (log_tracing(LOG_TRACE_CURL)) {
		curl_easy_setopt(easy, CURLOPT_DEBUGFUNCTION,
		    http_client_request_debug_cb);
		curl_easy_setopt(easy, CURLOPT_DEBUGDATA, request);
		curl_easy_setopt(easy, CURLOPT_VERBOSE, 1L);
	}

	if (curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK ||
	    curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK ||
	    curl_easy_setopt(easy, CURLOPT_URL, options->url) != CURLE_OK)
		return -1;
	return 0;
}

struct http_client_request *
http_client_request_new(const struct http_client_options *options, uint64_t id,
    http_client_done_fn done, void *arg)
{
	struct http_client_request	*request;

	request = calloc(1, sizeof(*request));
	if (request == NULL)
		return NULL;
	request->id = id;
	request->max_response = options->max_response;
	request->done = done;
	request->arg = arg;

	request->easy = curl_easy_init();
	if (request->easy == NULL ||
	    http_client_request_set_fixed(request, options) == -1 ||
	    http_client_request_set_method(request, options) == -1 ||
	    http_client_request_set_headers(request, options->headers) == -1) {
		log_error("http-client", "setting up a request failed: "
		    "request=%" PRIu64, id);
		http_client_request_free(request);
		errno = ENOMEM;
		return NULL;
	}
	return request;
}

static enum http_client_error
http_client_request_classify(const struct http_client_request *request,
    CURLcode result)
{
	switch (result) {
	case CURLE_OK:
		return HTTP_CLIENT_OK;
	case CURLE_OPERATION_TIMEDOUT:
		return HTTP_CLIENT_ERROR_TIMEOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return HTTP_CLIENT_ERROR_CONNECT;
	case CURLE_FILESIZE_EXCEEDED:
		return HTTP_CLIENT_ERROR_TOO_LARGE;
	case CURLE_WRITE_ERROR:
		if (request->too_large)
			return HTTP_CLIENT_ERROR_TOO_LARGE;
		return HTTP_CLIENT_ERROR_OTHER;
	default:
		return HTTP_CLIENT_ERROR_OTHER;
	}
}

/* Fills request->error with the text for a failed transfer. */
static void
http_client_request_describe(struct http_client_request *request,
    enum http_client_error error, CURLcode result)
{
	if (error == HTTP_CLIENT_ERROR_TOO_LARGE)
		snprintf(request->error, sizeof(request->error),
		    "response body exceeds the maximum of %zu bytes",
		    request->max_response);
	else if (request->out_of_memory)
		snprintf(request->error, sizeof(request->error),
		    "out of memory for the response body");
	else if (request->error[0] == '\0')
		snprintf(request->error, sizeof(request->error), "%s",
		    curl_easy_strerror(result));
}

void
http_client_request_complete(struct http_client_request *request,
    CURLcode result)
{
	struct http_client_response	 response = {
		.status = -1,
		.error = HTTP_CLIENT_ERROR_CANCELLED,
		.error_text = "request cancelled because the HTTP client was freed",
		.body = request->body != NULL ? request->body : "",
		.body_len = request->body_len,
	};
	long				 status = 0;

	if (!request->cancelled) {
		response.error = http_client_request_classify(request, result);
		response.error_text = "";
		if (response.error == HTTP_CLIENT_OK) {
			curl_easy_getinfo(request->easy, CURLINFO_RESPONSE_CODE,
			    &status);
			response.status = (int)status;
		} else {
			http_client_request_describe(request, response.error,
			    result);
			response.error_text = request->error;
		}
	}

	log_trace(LOG_TRACE_CURL, "http-client", "request done: request=%" PRIu64
	    " status=%d error=\"%s\"", request->id, response.status,
	    response.error_text);
	request->done(&response, request->arg);
}

void
http_client_request_free(struct http_client_request *request)
{
	if (request == NULL)
		return;
	if (request->easy != NULL)
		curl_easy_cleanup(request->easy);
	curl_slist_free_all(request->headers);
	free(request->body);
	free(request);
}
