/*
 * Internal to the HTTP client: one request's libcurl easy handle and response
 * buffer, shared by http_client.c (the multi handle and the event loop) and
 * http_client_request.c (building a request and reporting its outcome).
 */
#ifndef HUB_HTTP_CLIENT_INTERNAL_H
#define HUB_HTTP_CLIENT_INTERNAL_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>

#include "http_client.h"

/* Arguments of http_client_request, checked before any allocation. */
struct http_client_options {
	const char		*method;
	const char		*url;
	const char *const	*headers;
	const void		*body;
	size_t			 body_len;
	long			 timeout_ms;
	size_t			 max_response;
};

struct http_client_request {
	LIST_ENTRY(http_client_request)	 entry;
	CURL				*easy;
	struct curl_slist		*headers;
	uint64_t			 id;
	http_client_done_fn		 done;
	void				*arg;

	char				*body;		/* NUL-terminated */
	size_t				 body_len;
	size_t				 body_size;	/* allocated bytes */
	size_t				 max_response;
	bool				 too_large;
	bool				 out_of_memory;
	bool				 cancelled;
	char				 error[CURL_ERROR_SIZE];
};

/* Returns 0 when options are valid for a request, or -1. */
int http_client_request_check(const struct http_client_options *options);

/* Creates the easy handle for checked options, with the returned request as
 * its CURLOPT_PRIVATE. Returns NULL with errno set. */
struct http_client_request *http_client_request_new(
    const struct http_client_options *options, uint64_t id,
    http_client_done_fn done, void *arg);

/* Calls the request's done with the outcome of its transfer (result), or with
 * HTTP_CLIENT_ERROR_CANCELLED when request->cancelled is set. The easy handle
 * must already be out of the multi handle. */
void http_client_request_complete(struct http_client_request *request,
    CURLcode result);

void http_client_request_free(struct http_client_request *request);

#endif
