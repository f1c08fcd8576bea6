/*
 * The SMS channel module's own interface: its configuration, its gateways
 * and the outbound messages on their way to one.
 *
 * Inbound messages (MO) arrive from Kannel's smsbox (an sms-service whose
 * get-url or post-url points at the hub). Outbound messages go out through
 * a list of gateways: Kannel's /cgi-bin/sendsms, or a carrier's HTTP API
 * described in the config. Everything runs on the main thread.
 */
#ifndef SMS_MODULE_H
#define SMS_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "channel.h"
#include "sms_keyword.h"

#define SMS_GATEWAYS_MAX 8
#define SMS_PREFIXES_MAX 16
#define SMS_HEADERS_MAX 16
#define SMS_STATUSES_MAX 16
#define SMS_ANSWERED_MAX 64
#define SMS_ANSWERED_KEY_SIZE 96

enum sms_gateway_type {
	SMS_GATEWAY_KANNEL,
	SMS_GATEWAY_HTTP,
};

/* The format of the recipient's number that a gateway takes. */
enum sms_number_format {
	SMS_NUMBER_E164,		/* "+84912345678" */
	SMS_NUMBER_INTERNATIONAL,	/* "84912345678" */
	SMS_NUMBER_NATIONAL,		/* "0912345678"; other countries
					 * stay international */
};

/* The escaping of the placeholders in a generic gateway's body. */
enum sms_body_encoding {
	SMS_BODY_JSON,		/* inside a JSON string */
	SMS_BODY_FORM,		/* application/x-www-form-urlencoded */
	SMS_BODY_RAW,		/* as they are (XML, plain text: the template
				 * escapes nothing) */
};

/* A generic gateway's request and its rule of success. Every string may
 * hold placeholders: {{to}}, {{from}}, {{text}}, {{reference}},
 * {{coding}} ("gsm7" or "ucs2"), {{unicode}} ("0" or "1"),
 * {{parts}}, {{username}} and {{password}}. */
struct sms_http_config {
	char *url;
	char *method;		/* "GET" or "POST" */
	char *header_names[SMS_HEADERS_MAX];
	char *header_values[SMS_HEADERS_MAX];
	size_t header_count;
	char *body;		/* NULL for none */
	enum sms_body_encoding body_encoding;
	/* Success: an HTTP status in success_statuses (2xx when empty),
	 * and, when set, the body contains success_contains, and the JSON
	 * member at success_json_field ("a.b" for nested objects) equals
	 * success_json_value (compared as text, so 100 and "100" match).
	 * A status in temporary_statuses (429 and 5xx when empty) or a
	 * network error is a failure for now; any other outcome is a failure
	 * for good, with the response's first bytes as the reason. */
	int success_statuses[SMS_STATUSES_MAX];
	size_t success_status_count;
	char *success_contains;
	char *success_json_field;
	char *success_json_value;
	int temporary_statuses[SMS_STATUSES_MAX];
	size_t temporary_status_count;
	/* The JSON member holding the gateway's id of the message, logged
	 * with the hub's id; NULL for none. */
	char *message_id_field;
};

struct sms_kannel_config {
	char *sendsms_url;	/* "http://127.0.0.1:13013/cgi-bin/sendsms" */
	char *smsc;		/* Kannel's smsc-id to route through, or NULL */
	int dlr_mask;		/* 0 asks for no delivery reports */
	/* The hub as Kannel reaches it, for the dlr-url:
	 * "http://127.0.0.1:8080". */
	char *callback_url;
};

struct sms_gateway_config {
	char *name;
	enum sms_gateway_type type;
	char *from;		/* the short code or brandname sent as sender */
	char *username;		/* NULL for none */
	char *password;		/* from password_file, NULL for none */
	/* Recipients this gateway serves, as E.164 prefixes ("+84"); none
	 * means every number. */
	char *prefixes[SMS_PREFIXES_MAX];
	size_t prefix_count;
	enum sms_number_format number_format;
	bool unaccented;	/* strip diacritics before sending */
	int max_parts;		/* longer texts are cut at a word */
	double rate_per_second;	/* 0: no limit */
	int max_in_flight;	/* requests waiting for their answer */
	int timeout_seconds;
	struct sms_kannel_config kannel;
	struct sms_http_config http;
};

struct sms_config {
	struct sms_gateway_config gateways[SMS_GATEWAYS_MAX];
	size_t gateway_count;
	/* Shared secret that smsbox's get-url or post-url carries as the
	 * "secret" query parameter; from inbound.secret_file. */
	char *inbound_secret;
	size_t max_text_bytes;		/* of an inbound text */
	int64_t conversation_window_ms;	/* an SMS joins an open ticket of
					 * its number changed within it */
	int64_t rating_window_ms;	/* a lone digit rates within it */
	struct sms_keywords keywords;
	char *keyword_storage[4 * SMS_KEYWORD_WORDS_MAX];
	/* Retries of the module's own answers (status, rating, opt-out),
	 * which are not stored as messages. */
	int answer_attempts;
	int answer_retry_seconds;
	int answers_per_hour;		/* to one number; 0: no limit */
	int new_reports_per_hour;	/* PA from one number; past it a PA
					 * text is an ordinary message */
};

/* Checks section (channels.sms) and fills config. Returns 0, or -1 with
 * err filled in naming the key. */
int sms_config_load(const struct hub_config *hub_config, const json_t *section,
    struct sms_config *config, struct config_error *err);
void sms_config_free(struct sms_config *config);

/* A count per number over an hour (sms_limit.c). */
#define SMS_LIMIT_ENTRIES 512

struct sms_limit_entry {
	char number[CONTACT_E164_MAX];
	int64_t window_start;	/* Unix ms */
	int count;
};

struct sms_limit {
	int max;		/* per number and hour; 0: no limit */
	struct sms_limit_entry entries[SMS_LIMIT_ENTRIES];
};

/* Counts one more for number at now_ms. Returns false, counting nothing,
 * when number has reached the limit within the hour. */
bool sms_limit_take(struct sms_limit *limit, const char *number,
    int64_t now_ms);

struct sms_module;
struct sms_gateway;

/* An outbound text on its way to a gateway. */
struct sms_outbound {
	struct sms_module *module;
	int64_t ticket_id;
	int64_t message_id;	/* 0 for the module's own answers */
	char *to;		/* E.164 */
	char *text;		/* as the hub rendered it */
	char *code;		/* ticket code as written in text, or NULL */
	hub_send_done_fn done;	/* NULL for the module's own answers */
	int attempts;		/* of a module's own answer */
	int cut_to_parts;	/* the parts the text was cut to, 0 if whole */
	size_t gateway_index;	/* the gateway trying it now */
	struct event *retry;	/* a module's own answer waiting to retry */
	struct sms_outbound *next;	/* in a gateway's queue */
};

/* The outbound text prepared for a gateway. */
struct sms_prepared {
	const char *to;		/* in the gateway's number format */
	const char *text;	/* unaccented and cut as configured */
	bool ucs2;
	size_t parts;
	/* The hub's reference of the message ("chub.T.M.MAC"), for a
	 * delivery report to find it; "" for the module's own answers. */
	const char *reference;
};

/* The outcome of one send: 0 accepted, 1 failed for now, -1 failed for
 * good; detail is the reason (the gateway's answer) or NULL. */
void sms_gateway_done(struct sms_gateway *gateway, struct sms_outbound *out,
    int status, const char *detail);

/* Per-type operations of a gateway. */
struct sms_gateway_ops {
	/* Starts the request for out, prepared as prepared (valid during the
	 * call only). The outcome arrives through sms_gateway_done, later or,
	 * for a text refused before any request, from inside send. Returns
	 * 0, or -1 when the request could not start (then sms_gateway_done
	 * is not called and the caller treats it as a failure for now). */
	int (*send)(struct sms_gateway *gateway, struct sms_outbound *out,
	    const struct sms_prepared *prepared);
};

extern const struct sms_gateway_ops sms_kannel_ops;
extern const struct sms_gateway_ops sms_http_ops;

/* Checks the generic gateway's keys of object (at path, "channels.sms.
 * gateways[1]": url, method, headers, body, body_encoding, success,
 * temporary_statuses, message_id_field) and fills config. Returns 0, or -1
 * with err filled in naming the key. */
int sms_http_config_load(const struct hub_config *hub_config,
    const json_t *object, const char *path, struct sms_http_config *config,
    struct config_error *err);
void sms_http_config_free(struct sms_http_config *config);

/* The keys of a gateway object that sms_http_config_load reads, NULL
 * ended, so that the common loader accepts them. */
extern const char *const sms_http_config_keys[];

struct sms_gateway {
	struct sms_module *module;
	const struct sms_gateway_config *config;
	const struct sms_gateway_ops *ops;
	/* Texts waiting for the rate limit or a free request slot. */
	struct sms_outbound *queue_head, *queue_tail;
	size_t queued;
	int in_flight;
	double tokens;		/* of the rate limit's bucket */
	int64_t refilled_at_ms;
	struct event *drain;	/* runs when the bucket has a token again */
	bool draining;		/* inside sms_gateway_drain */
};

struct sms_module {
	struct hub_channel *channel;
	struct sms_config config;
	struct sms_gateway gateways[SMS_GATEWAYS_MAX];
	struct sms_limit answer_limit;
	struct sms_limit new_report_limit;
	/* The module's own answers waiting to be sent again. */
	struct sms_outbound *answers_waiting;
	/* The latest keyword texts answered, as "NUMBER ID" of the gateway's
	 * id, so that a text smsbox sends again is not answered again. */
	char answered[SMS_ANSWERED_MAX][SMS_ANSWERED_KEY_SIZE];
	size_t answered_next;
	bool stopping;
};

/* --- Outbound (sms_send.c) --- */

/* Hands out to its first gateway that serves the number. Takes ownership
 * of out. Returns 0, or -1 when no gateway serves the number (out is
 * freed). */
int sms_send_start(struct sms_module *module, struct sms_outbound *out);

/* Whether a gateway serves the number (E.164). */
bool sms_send_served(const struct sms_module *module, const char *to);

/* Sends the module's own answer text to number (E.164), retried in memory
 * up to answer_attempts times; dropped when no gateway serves the number.
 * Returns 0, or -1 when out of memory. */
int sms_send_answer(struct sms_module *module, const char *number,
    const char *text);

void sms_outbound_free(struct sms_outbound *out);

/* Starts and stops the gateways' timers. */
int sms_gateways_start(struct sms_module *module);
void sms_gateways_stop(struct sms_module *module);

/* --- Inbound (sms_intake.c, sms_kannel.c) --- */

/* A citizen's text as a gateway delivered it. */
struct sms_inbound {
	const char *from;	/* as the gateway wrote it */
	const char *to;		/* the short code, or NULL */
	const char *text;	/* valid UTF-8 */
	const char *external_id;	/* the gateway's id, or NULL */
	const char *client_address;
};

/* Called once with the HTTP status and body for the gateway's request:
 * 200 when the text was stored or answered. */
typedef void (*sms_intake_done_fn)(int http_status, const char *body,
    void *arg);

/* Applies the keywords to a citizen's text and stores it or answers it.
 * Returns 0 when done will be called, or -1 with *http_status and *reason
 * filled in for an answer now (an invalid number, a text too long). */
int sms_intake(struct sms_module *module, const struct sms_inbound *inbound,
    sms_intake_done_fn done, void *arg, int *http_status,
    const char **reason);

/* Mounts Kannel's routes: /sms/kannel/mo (get-url and post-url) and
 * /sms/kannel/dlr (delivery reports). */
int sms_kannel_mount(struct sms_module *module);

/* The number as gateway config wants it. Returns 0 or -1 (too long). */
int sms_number_format(enum sms_number_format format, const char *e164,
    char *out, size_t out_size);

#endif
