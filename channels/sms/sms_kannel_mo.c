/*
 * Inbound messages from smsbox's sms-service. A get-url sends everything in
 * the query:
 *   /sms/kannel/mo?secret=S&from=%p&to=%P&text=%b&charset=%C&coding=%c&id=%I
 * A post-url sends the same query without text, and the text as the body
 * (its Content-Type names the charset; X-Kannel-From, X-Kannel-To and
 * X-Kannel-Coding stand in for missing parameters).
 *
 * The answer is sent after the text is stored or answered: 200 with an
 * empty body (the sms-service is set up to send no reply of its own), 4xx
 * when the request is wrong, 503 when the hub cannot store it now.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/http.h>
#include <sodium.h>

#include "sms_kannel.h"

#define SMS_LOG "sms"

struct sms_mo {
	struct evhttp_request *req;
};

/* Compares the secret in constant time whatever the lengths. */
static bool
sms_mo_secret_valid(const struct sms_module *module, const char *given)
{
	unsigned char expected_hash[32], given_hash[32];
	const char *expected = module->config.inbound_secret;

	if (given == NULL)
		return false;
	crypto_generichash(expected_hash, sizeof expected_hash,
	    (const unsigned char *)expected, strlen(expected), NULL, 0);
	crypto_generichash(given_hash, sizeof given_hash,
	    (const unsigned char *)given, strlen(given), NULL, 0);
	return sodium_memcmp(expected_hash, given_hash,
	    sizeof expected_hash) == 0;
}

static void
sms_mo_reply(struct evhttp_request *req, int status, const char *text)
{
	http_send_text(req, status, "text/plain; charset=utf-8", text,
	    strlen(text));
}

static void
sms_mo_done(int http_status, const char *body, void *arg)
{
	struct sms_mo *mo = arg;

	sms_mo_reply(mo->req, http_status, body != NULL ? body : "");
	free(mo);
}

/* The charset parameter of the request's Content-Type, in out. */
static void
sms_mo_body_charset(struct evhttp_request *req, char *out, size_t size)
{
	const char *type = evhttp_find_header(evhttp_request_get_input_headers(
	    req), "Content-Type");
	const char *charset = type != NULL ? strcasestr(type, "charset=") : NULL;
	size_t length;

	out[0] = '\0';
	if (charset == NULL)
		return;
	charset += 8;
	if (*charset == '"')
		charset++;
	length = strcspn(charset, "\"; \t");
	if (length < size)
		memcpy(out, charset, length), out[length] = '\0';
}

/* A parameter, or for a post-url its X-Kannel header. */
static const char *
sms_mo_field(struct evhttp_request *req, const struct sms_query *query,
    const char *name, const char *header)
{
	const char *value = sms_query_get(query, name);

	if (value == NULL && header != NULL)
		value = evhttp_find_header(evhttp_request_get_input_headers(req),
		    header);
	return value;
}

/* Whether the message is 8-bit data (coding 1: a ringtone, a WAP push, an
 * operator's setting), which no citizen writes. */
static bool
sms_mo_binary(struct evhttp_request *req, const struct sms_query *query)
{
	const char *coding = sms_mo_field(req, query, "coding",
	    "X-Kannel-Coding");

	return coding != NULL && strcmp(coding, "1") == 0;
}

/* The text of the message, decoded. Sets *status and *reason on
 * failure. */
static char *
sms_mo_text(struct sms_module *module, struct evhttp_request *req,
    const struct sms_query *query, int *status, const char **reason)
{
	const struct sms_query_param *param = sms_query_find(query, "text");
	const char *coding = sms_mo_field(req, query, "coding",
	    "X-Kannel-Coding");
	const char *charset = sms_query_get(query, "charset");
	const char *bytes;
	char body_charset[64];
	size_t len;
	char *text;

	if (param != NULL) {
		bytes = param->value;
		len = param->length;
	} else if (evhttp_request_get_command(req) == EVHTTP_REQ_POST) {
		if (http_request_body(hub_channel_http(module->channel), req,
		    &bytes, &len) != 0) {
			*status = 413;
			*reason = "text: the body is over the size limit";
			return NULL;
		}
		sms_mo_body_charset(req, body_charset, sizeof body_charset);
		if (body_charset[0] != '\0')
			charset = body_charset;
	} else {
		*reason = "text: missing; give text=%b (get-url) or the text "
		    "as the body (post-url)";
		return NULL;
	}
	/* UCS-2 takes up to twice the bytes of the same text in UTF-8. */
	if (len > module->config.max_text_bytes * 2) {
		*status = 413;
		*reason = "text: longer than channels.sms.inbound.max_text_bytes";
		return NULL;
	}
	text = sms_text_decode(bytes, len, charset, coding);
	if (text == NULL)
		*reason = errno == EILSEQ ? "text: not valid in its charset; "
		    "give charset=%C and coding=%c" : "out of memory";
	return text;
}

void
sms_kannel_mo(struct evhttp_request *req, void *arg)
{
	struct sms_module *module = arg;
	struct sms_query query;
	struct sms_inbound inbound;
	char address[HTTP_ADDRESS_SIZE];
	const char *reason = NULL;
	struct sms_mo *mo;
	char *text = NULL;
	int status = 400;

	if (!sms_kannel_method_allowed(req))
		return;
	if (sms_query_parse(req, &query) != 0) {
		sms_mo_reply(req, 400, "the query is not valid "
		    "x-www-form-urlencoded\n");
		return;
	}
	if (!sms_mo_secret_valid(module, sms_query_get(&query, "secret"))) {
		sms_query_clear(&query);
		log_info(SMS_LOG, "inbound message rejected: wrong secret");
		sms_mo_reply(req, 403, "secret: wrong or missing\n");
		return;
	}
	inbound = (struct sms_inbound){
		.from = sms_mo_field(req, &query, "from", "X-Kannel-From"),
		.to = sms_mo_field(req, &query, "to", "X-Kannel-To"),
		.external_id = sms_query_get(&query, "id"),
		.client_address = http_client_address(hub_channel_http(
		    module->channel), req, address),
	};
	if (sms_mo_binary(req, &query)) {
		sms_query_clear(&query);
		log_info(SMS_LOG, "inbound message dropped: 8-bit data, not "
		    "text");
		sms_mo_reply(req, 200, "");
		return;
	}
	text = sms_mo_text(module, req, &query, &status, &reason);
	mo = text != NULL ? calloc(1, sizeof *mo) : NULL;
	if (mo != NULL) {
		mo->req = req;
		inbound.text = text;
		if (sms_intake(module, &inbound, sms_mo_done, mo, &status,
		    &reason) != 0) {
			free(mo);
			mo = NULL;
		}
	} else if (text != NULL) {
		status = 503;
		reason = "out of memory";
	}
	if (mo == NULL) {
		char line[256];

		snprintf(line, sizeof line, "%s\n", reason != NULL ? reason :
		    "not taken");
		log_info(SMS_LOG, "inbound message rejected status=%d "
		    "reason=\"%s\"", status, reason != NULL ? reason : "-");
		sms_mo_reply(req, status, line);
	}
	free(text);
	sms_query_clear(&query);
}
