/*
 * Kannel's side of the SMS module: the routes smsbox calls and the query
 * strings it sends, which may carry binary text (UCS-2 has NUL bytes).
 */
#ifndef SMS_KANNEL_H
#define SMS_KANNEL_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/http.h>

#include "sms_module.h"

/* smsbox's sms-service calls this with each inbound message (get-url, or
 * post-url with the text as the body). */
#define SMS_KANNEL_MO_PATH "/sms/kannel/mo"
/* smsbox calls the dlr-url of each sent message here. */
#define SMS_KANNEL_DLR_PATH "/sms/kannel/dlr"

#define SMS_QUERY_PARAMS_MAX 32

struct sms_query_param {
	char *name;
	char *value;		/* percent-decoded, NUL-terminated, and may
				 * hold NUL bytes before length */
	size_t length;
};

struct sms_query {
	struct sms_query_param params[SMS_QUERY_PARAMS_MAX];
	size_t count;
};

/* Parses text (an application/x-www-form-urlencoded query of len bytes)
 * into query; '+' is a space. Returns 0, or -1 on bad percent-encoding, too
 * many parameters or allocation failure (query is then empty). */
int sms_query_parse_text(const char *text, size_t len, struct sms_query *query);

/* Parses the request's URI query. Returns 0 or -1. */
int sms_query_parse(struct evhttp_request *req, struct sms_query *query);

/* The first parameter called name, or NULL. */
const struct sms_query_param *sms_query_find(const struct sms_query *query,
    const char *name);

/* The value of the first parameter called name, or NULL (also when it
 * contains a NUL byte). */
const char *sms_query_get(const struct sms_query *query, const char *name);

void sms_query_clear(struct sms_query *query);

/* Decodes an inbound text of len bytes to a new valid UTF-8 string: from
 * UTF-16BE when charset names UTF-16 or UCS-2, or when coding is "2" and
 * the bytes are not UTF-8; from charset through iconv when it names
 * another one; else checked as UTF-8. A decoded U+0000 becomes a space.
 * Returns NULL when the bytes do not decode (errno EILSEQ) or on
 * allocation failure. */
char *sms_text_decode(const char *bytes, size_t len, const char *charset,
    const char *coding);

/* Replaces control characters with spaces and cuts text at its first byte
 * that is not valid UTF-8, in place. */
void sms_text_sanitize(char *text);

/* Whether the request's method is GET or POST; otherwise answers 405 with
 * Allow and returns false. */
bool sms_kannel_method_allowed(struct evhttp_request *req);

/* The route handler of SMS_KANNEL_MO_PATH; arg is the module. */
void sms_kannel_mo(struct evhttp_request *req, void *arg);

#endif
