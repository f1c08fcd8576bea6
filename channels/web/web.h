/*
 * The web channel: the citizens' report form (Vietnamese, switchable to
 * English), the JSON intake API, and the status lookup page and API.
 *
 * Routes:
 *   GET  /                        the report form
 *   POST /api/v1/requests         intake, JSON or a form post
 *   GET  /api/v1/requests/{code}  a ticket's public status, JSON
 *   POST /api/v1/requests/{code}/satisfaction
 *                                 the citizen's rating of a resolved ticket
 *   GET  /lookup                  the lookup page and the status page
 *   POST /lookup                  the lookup form's fields, as a form post,
 *                                 and the status page's rating form
 *   GET  /static/site.css         the stylesheet
 *
 * Everything here runs on the main thread. The module reaches the hub only
 * through channel.h.
 */
#ifndef WEB_H
#define WEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <sodium.h>

#include "channel.h"

struct evhttp_request;

#define WEB_ROUTE_SUBMIT "POST /api/v1/requests"
#define WEB_PATH_SUBMIT "/api/v1/requests"
#define WEB_PATH_TICKET "/api/v1/requests/"
#define WEB_PATH_LOOKUP "/lookup"
#define WEB_PATH_CSS "/static/site.css"
#define WEB_PATH_SATISFACTION "/satisfaction"	/* after the code */

/* The channels.web section of the config. */
struct web_config {
	int min_fill_seconds;
	char *honeypot_field;
	int form_max_age_hours;
	char *authority_name_vi;
	char *authority_name_en;
	int retention_months;
	int factor_table_size;	/* entries of the factor lockout table */
};

/* One ticket's recent wrong second factors. */
struct web_guard_slot {
	char code[TICKET_CODE_PLAIN_SIZE];	/* empty when the slot is free */
	int failures;
	time_t window_start;
	time_t locked_until;
};

/* Wrong second factors per ticket, in a fixed number of slots. */
struct web_guard {
	struct web_guard_slot *slots;
	size_t slot_count;
};

struct web {
	struct hub_channel *channel;
	struct web_config config;
	uint8_t form_key[crypto_auth_KEYBYTES];
	struct web_guard guard;
	bool stopped;
	size_t submissions_in_flight;
};

/* --- Parameters of a query string or a form body (web_query.c) ----------- */

#define WEB_PARAMS_MAX 32
#define WEB_PARAM_KEY_MAX 64

struct web_param {
	char key[WEB_PARAM_KEY_MAX];
	char *value;		/* percent-decoded, NUL-terminated */
	size_t value_len;	/* may be past a NUL decoded from %00 */
};

struct web_params {
	struct web_param items[WEB_PARAMS_MAX];
	size_t count;
};

/* Parses application/x-www-form-urlencoded text of len bytes into params
 * ('+' is a space, %XX a byte). Returns 0, or -1 with error filled in: a
 * key repeated or longer than WEB_PARAM_KEY_MAX - 1 (invalid_field naming
 * it), more than WEB_PARAMS_MAX parameters, or a bad escape. */
int web_query_parse(const char *text, size_t len, struct web_params *params,
    struct hub_error *error);

/* Parses the query string of req as web_query_parse does. On -1, params
 * is empty. */
int web_query_parse_request(struct evhttp_request *req,
    struct web_params *params, struct hub_error *error);

/* The value of key, or NULL when absent. */
const char *web_query_get(const struct web_params *params, const char *key);

/* The value of key, or NULL when absent or empty. */
const char *web_query_get_nonempty(const struct web_params *params,
    const char *key);

/* Whether the value of key contains a NUL byte (from %00). */
bool web_query_has_nul(const struct web_params *params, const char *key);

void web_query_clear(struct web_params *params);

/* Decodes %XX escapes of len bytes of text into out (size bytes), '+' as a
 * space when plus_is_space. Returns the decoded length, or -1 on a bad
 * escape or when out is too small. */
long web_query_decode(const char *text, size_t len, bool plus_is_space,
    char *out, size_t size);

/* --- What a citizen sent (web_intake.c, web_json.c) ----------------------- */

enum web_field {
	WEB_FIELD_NAME,
	WEB_FIELD_PHONE,
	WEB_FIELD_EMAIL,
	WEB_FIELD_SUBJECT,
	WEB_FIELD_DESCRIPTION,
	WEB_FIELD_CATEGORY,
	WEB_FIELD_ADDRESS,
	WEB_FIELD_LATITUDE,	/* text as typed in the form */
	WEB_FIELD_LONGITUDE,
	WEB_FIELD_LANGUAGE,
	WEB_FIELD_EXTERNAL_ID,	/* JSON only */
	WEB_FIELD_COUNT
};

struct web_intake {
	char *values[WEB_FIELD_COUNT];	/* owned, NULL when absent */
	bool has_location;
	double latitude;
	double longitude;
	bool consent;
};

/* The key of field in JSON bodies and forms ("description"). */
const char *web_intake_field_key(enum web_field field);

/* Finds the field of key. Returns 0 and sets *field, or -1. */
int web_intake_field_find(const char *key, enum web_field *field);

/* Replaces the value of field with a copy of value. Returns 0 or -1. */
int web_intake_set(struct web_intake *intake, enum web_field field,
    const char *value);

/* Checks what the module checks: description present, language "vi" or
 * "en", coordinates both or neither and in range, consent when personal
 * data is given. Lengths, UTF-8 and contact formats are checked by the
 * pipeline. Returns 0, or -1 with error filled in. */
int web_intake_check(const struct web_intake *intake, struct hub_error *error);

/* Builds the pipeline's message of intake. Returns NULL on allocation
 * failure. */
struct hub_message *web_intake_message(const struct web_intake *intake);

void web_intake_clear(struct web_intake *intake);

/* Decodes a JSON body into intake (types and known keys only). Returns 0,
 * or -1 with error filled in. */
int web_json_decode(const char *body, size_t len, struct web_intake *intake,
    struct hub_error *error);

/* --- Form tokens (web_token.c) ---------------------------------------------- */

#define WEB_TOKEN_NONCE_BYTES 16
#define WEB_TOKEN_TEXT_SIZE \
	(2 * (8 + WEB_TOKEN_NONCE_BYTES + crypto_auth_BYTES) + 1)

struct web_token {
	int64_t issued_at;	/* seconds on the monotonic clock */
	uint8_t nonce[WEB_TOKEN_NONCE_BYTES];
};

/* Seconds on the monotonic clock, for form ages and factor lockouts. */
time_t web_token_now(void);

/* Issues a token stamped issued_at with a new nonce, as hex text in out. */
void web_token_issue(const struct web *web, int64_t issued_at,
    char out[WEB_TOKEN_TEXT_SIZE]);

/* Checks text's MAC and age (at most form_max_age_hours, not from the
 * future). Returns 0 and fills token, or -1. */
int web_token_verify(const struct web *web, const char *text,
    struct web_token *token);

/* The idempotency key of a form post made with token. */
void web_token_idempotency_key(const struct web_token *token, char *out,
    size_t size);

/* --- Second factor lockout (web_guard.c) ---------------------------------- */

#define WEB_GUARD_SLOTS_DEFAULT 4096
#define WEB_GUARD_SLOTS_MIN 16
#define WEB_GUARD_SLOTS_MAX 1000000
#define WEB_GUARD_FAILURES_MAX 5
#define WEB_GUARD_WINDOW_SECONDS (15 * 60)
#define WEB_GUARD_LOCK_SECONDS (15 * 60)

int web_guard_init(struct web_guard *guard, size_t slot_count);

/* Returns the seconds until factor checks for code are allowed again, 0
 * when they are allowed now. While every entry has an active lock, a code
 * without an entry is refused too, because its wrong factors could not be
 * counted. Then *table_full is set and the seconds run to the end of the
 * first lock. */
long web_guard_locked(const struct web_guard *guard, const char *code,
    time_t now, bool *table_full);

/* Records a wrong factor for code; the WEB_GUARD_FAILURES_MAX-th within
 * WEB_GUARD_WINDOW_SECONDS locks code for WEB_GUARD_LOCK_SECONDS. An entry
 * with an active lock is never dropped to make room. Returns 1 when this
 * failure locked code, 0 when it was counted, or -1 when code has no entry
 * and every entry has an active lock. */
int web_guard_fail(struct web_guard *guard, const char *code, time_t now);

void web_guard_free(struct web_guard *guard);

/* --- Looking a ticket up (web_lookup.c) ----------------------------------- */

struct web_lookup {
	char code[TICKET_CODE_PLAIN_SIZE];
	json_t *ticket;		/* owned; NULL when not found */
	json_t *messages;	/* owned; NULL unless a factor was valid */
	const char *factor_param;	/* the valid factor's parameter
					 * ("token", ...), NULL for none */
	struct hub_error error;	/* code HUB_OK when none; with
				 * HUB_ERR_RATE_LIMITED, limit is the minutes
				 * to wait */
	long retry_after;	/* seconds, with HUB_ERR_RATE_LIMITED */
};

/* Looks up the ticket of code_text (separators allowed) and, when query
 * carries one of token, phone_last4 or email, checks it and fetches the
 * messages. More than one of them is invalid_field naming the second, and
 * no ticket is fetched then. Wrong phone_last4 and email values count
 * toward the ticket's lock (web_guard.c), and a lock refuses only them.
 * The access token is always checked and never counted, because it cannot
 * be guessed and a lock on it would let anyone who knows a code shut the
 * citizen out. client_address is logged when a lock starts and when a
 * factor check is refused. Fills lookup; lookup->error says what failed. */
void web_lookup_run(struct web *web, const char *code_text,
    const struct web_params *query, const char *client_address,
    struct web_lookup *lookup);

void web_lookup_clear(struct web_lookup *lookup);

/* --- HTTP helpers (web_reply.c) --------------------------------------------- */

/* The page language: "vi" when the query has lang=vi, else
 * http_request_language. */
const char *web_reply_language(struct evhttp_request *req);

/* Whether req's method is GET or HEAD. Sends 405 when it is not. */
bool web_reply_method_get(struct evhttp_request *req);

/* Sends the error of code on field. */
void web_reply_error(struct evhttp_request *req, enum hub_error_code code,
    const char *field);

/* Renders template name in language with vars and sends it as HTML with
 * status. Sends 500 when rendering fails. */
void web_reply_page(struct web *web, struct evhttp_request *req, int status,
    const char *language, const char *name, const json_t *vars);

/* Adds the headers every HTML page carries. */
void web_reply_page_headers(struct evhttp_request *req);

/* --- Routes ------------------------------------------------------------------ */

/* POST /api/v1/requests (web_api.c). */
void web_api_submit(struct evhttp_request *req, void *arg);

/* GET /api/v1/requests/{code} (web_api.c). */
void web_api_ticket(struct evhttp_request *req, void *arg);

/* GET / (web_form.c). */
void web_form_page(struct evhttp_request *req, void *arg);

/* Checks a form post's honeypot, token and fill time and decodes its
 * fields into intake. Returns 0, or -1 with error filled in; token_text
 * receives the token to put in a re-rendered form either way. */
int web_form_decode(struct web *web, const struct web_params *params,
    struct web_intake *intake, struct web_token *token,
    char token_text[WEB_TOKEN_TEXT_SIZE], struct hub_error *error);

/* Renders the form again with the citizen's values and the error. */
void web_form_reject(struct web *web, struct evhttp_request *req,
    const char *language, const struct web_intake *intake,
    const char *token_text, const struct hub_error *error);

/* GET and POST /lookup (web_pages.c). */
void web_pages_lookup(struct evhttp_request *req, void *arg);

/* Sends the lookup form with code_text and error (either may be NULL). */
void web_pages_lookup_form(struct web *web, struct evhttp_request *req,
    const char *language, const char *code_text,
    const struct hub_error *error);

/* Sends the status page of lookup, looked up with query. error, when not
 * NULL, is shown in place of lookup's own; rated > 0 thanks the citizen
 * for that rating. */
void web_pages_status(struct web *web, struct evhttp_request *req,
    const char *language, const struct web_lookup *lookup,
    const struct web_params *query, const struct hub_error *error,
    int rated);

/* --- Satisfaction ratings (web_rating.c) ----------------------------------- */

/* Parses a rating typed as text: one digit from 1 to 5. Returns 0 and sets
 * *rating, or -1. */
int web_rating_parse_text(const char *text, int *rating);

/* POST /api/v1/requests/{code}/satisfaction with {rating, and token,
 * phone_last4 or email}: 200 {code, rating, previous}, 422 for a missing
 * or bad rating (checked first) or a missing factor, 403 or 429 for a
 * factor as for a lookup, 409 ticket_not_resolved. */
void web_rating_api(struct web *web, struct evhttp_request *req,
    const char *code_text);

/* The status page's rating form, posted to /lookup with rating, code,
 * lang and the factor that opened the page: sends the status page,
 * thanking for the rating or showing the error. Takes the parameters over
 * when it stores the rating (params is then empty). */
void web_rating_form(struct web *web, struct evhttp_request *req,
    const char *language, const char *code_text, struct web_params *params);

/* GET /static/site.css (web_pages.c). */
void web_pages_css(struct evhttp_request *req, void *arg);

/* Sends the page shown after a form post was stored (web_pages.c). */
void web_pages_submitted(struct web *web, struct evhttp_request *req,
    const char *language, const json_t *result);

/* --- Page values (web_view.c) --------------------------------------------- */

/* Formats a time of the hub (Unix milliseconds, or an RFC 3339 text) in
 * Vietnam time (UTC+7) as "dd/mm/yyyy HH:MM". Returns 0 or -1. */
int web_view_time(const json_t *value, char *out, size_t size);

/* The label of a form field in language, for error messages. */
const char *web_view_field_label(const char *field, const char *language);

/* Adds to vars the keys every page uses: lang, other_lang, authority_name,
 * retention_months. Returns 0 or -1. */
int web_view_common(const struct web *web, const char *language, json_t *vars);

/* Adds "error" values for error to vars: error_code.NAME, error_field
 * (a label), error_limit, invalid.FIELD. Returns 0 or -1. */
int web_view_error(const struct hub_error *error, const char *language,
    json_t *vars);

/* Sets vars[key][value] = true when value is a short name, so that a
 * template can select with {{#key.value}}. Returns 0 or -1. */
int web_view_flag(json_t *vars, const char *key, const char *value);

#endif
