#include <string.h>

#include "web.h"

#define WEB_LOOKUP_CODE_TEXT_MAX 32
#define WEB_LOOKUP_FACTOR_MAX 320

static const struct {
	const char *param;
	enum hub_factor_kind kind;
} web_lookup_factors[] = {
	{ "token", HUB_FACTOR_TOKEN },
	{ "phone_last4", HUB_FACTOR_PHONE_SUFFIX },
	{ "email", HUB_FACTOR_EMAIL },
};

static bool
web_lookup_factor_shape(const struct web_params *query, const char *param,
    enum hub_factor_kind kind, const char *value)
{
	size_t len = strlen(value), i;

	if (web_query_has_nul(query, param) || len > WEB_LOOKUP_FACTOR_MAX)
		return false;
	if (kind == HUB_FACTOR_PHONE_SUFFIX)
		return len == 4 && strspn(value, "0123456789") == 4;
	for (i = 0; i < len; i++) {
		if ((unsigned char)value[i] <= ' ' ||
		    (kind == HUB_FACTOR_TOKEN && (unsigned char)value[i] > '~'))
			return false;
	}
	return true;
}

/* Sets the error of a refused factor check: rate_limited on param, with
 * the minutes to wait, rounded up, as its limit. */
static void
web_lookup_refuse(struct web_lookup *lookup, const char *param)
{
	long minutes = (lookup->retry_after + 59) / 60;

	hub_error_set(&lookup->error, HUB_ERR_RATE_LIMITED, param, minutes);
}

/* Checks the lock of lookup->code before a guessable factor. Returns 0
 * when checks are allowed, -1 with the error filled in when not. */
static int
web_lookup_guard_check(struct web *web, const char *param, time_t now,
    const char *client_address, struct web_lookup *lookup)
{
	bool table_full;

	lookup->retry_after = web_guard_locked(&web->guard, lookup->code, now,
	    &table_full);
	if (lookup->retry_after <= 0)
		return 0;
	if (table_full)
		log_warn("web", "factor lockout table full of locks, factor "
		    "check refused code=%s client=%s retry_after=%ld",
		    lookup->code, client_address, lookup->retry_after);
	web_lookup_refuse(lookup, param);
	return -1;
}

/* Counts a wrong guessable factor toward the lock of lookup->code. */
static void
web_lookup_guard_fail(struct web *web, time_t now, const char *client_address,
    struct web_lookup *lookup)
{
	int rc = web_guard_fail(&web->guard, lookup->code, now);

	if (rc < 0)
		log_warn("web", "factor lockout table full of locks, wrong "
		    "factor not counted code=%s client=%s", lookup->code,
		    client_address);
	else if (rc > 0)
		log_warn("web", "second factor locked code=%s client=%s "
		    "seconds=%d", lookup->code, client_address,
		    WEB_GUARD_LOCK_SECONDS);
}

/* Checks one factor. Returns 1 when valid, 0 when absent, -1 on an error
 * (filled in lookup). Only phone_last4 and email are subject to the lock. */
static int
web_lookup_factor(struct web *web, const struct web_params *query,
    size_t index, const char *client_address, struct web_lookup *lookup)
{
	const char *param = web_lookup_factors[index].param;
	enum hub_factor_kind kind = web_lookup_factors[index].kind;
	const char *value = web_query_get_nonempty(query, param);
	bool guessable = kind != HUB_FACTOR_TOKEN;
	time_t now = web_token_now();

	if (value == NULL)
		return 0;
	if (!web_lookup_factor_shape(query, param, kind, value)) {
		hub_error_set(&lookup->error, HUB_ERR_INVALID_FIELD, param, 0);
		return -1;
	}
	if (guessable && web_lookup_guard_check(web, param, now,
	    client_address, lookup) != 0)
		return -1;
	if (!hub_ticket_factor_valid(web->channel, lookup->code, kind, value)) {
		if (guessable)
			web_lookup_guard_fail(web, now, client_address, lookup);
		log_info("web", "wrong second factor code=%s param=%s client=%s",
		    lookup->code, param, client_address);
		hub_error_set(&lookup->error, HUB_ERR_FORBIDDEN, param, 0);
		return -1;
	}
	return 1;
}

/* Checks that query carries at most one factor with a value. Returns 0, or
 * -1 with invalid_field naming the second one in query order. */
static int
web_lookup_one_factor(const struct web_params *query,
    struct web_lookup *lookup)
{
	const struct web_param *param;
	size_t i, j, count = 0;

	for (i = 0; i < query->count; i++) {
		param = &query->items[i];
		if (param->value_len == 0)
			continue;
		for (j = 0; j < sizeof web_lookup_factors /
		    sizeof web_lookup_factors[0]; j++) {
			if (strcmp(param->key, web_lookup_factors[j].param) != 0)
				continue;
			if (++count > 1) {
				hub_error_set(&lookup->error,
				    HUB_ERR_INVALID_FIELD, param->key,
				    HUB_ERROR_ONE_FACTOR);
				return -1;
			}
		}
	}
	return 0;
}

static void
web_lookup_messages(struct web *web, const struct web_params *query,
    const char *client_address, struct web_lookup *lookup)
{
	bool valid = false;
	size_t i;
	int rc;

	for (i = 0; i < sizeof web_lookup_factors /
	    sizeof web_lookup_factors[0]; i++) {
		rc = web_lookup_factor(web, query, i, client_address, lookup);
		if (rc < 0)
			return;
		if (rc > 0) {
			valid = true;
			lookup->factor_param = web_lookup_factors[i].param;
		}
	}
	if (!valid)
		return;
	lookup->messages = hub_ticket_messages(web->channel, lookup->code);
	if (lookup->messages == NULL) {
		log_error("web", "failed to read the messages code=%s",
		    lookup->code);
		lookup->messages = json_array();
	}
}

void
web_lookup_run(struct web *web, const char *code_text,
    const struct web_params *query, const char *client_address,
    struct web_lookup *lookup)
{
	memset(lookup, 0, sizeof *lookup);
	hub_error_set(&lookup->error, HUB_OK, "", 0);

	if (code_text == NULL ||
	    strlen(code_text) > WEB_LOOKUP_CODE_TEXT_MAX ||
	    ticket_code_parse(code_text, lookup->code) != 0) {
		lookup->code[0] = '\0';
		hub_error_set(&lookup->error, HUB_ERR_NOT_FOUND, "code", 0);
		return;
	}
	if (web_lookup_one_factor(query, lookup) != 0)
		return;
	lookup->ticket = hub_ticket_public(web->channel, lookup->code);
	if (lookup->ticket == NULL) {
		hub_error_set(&lookup->error, HUB_ERR_NOT_FOUND, "code", 0);
		return;
	}
	web_lookup_messages(web, query, client_address, lookup);
}

void
web_lookup_clear(struct web_lookup *lookup)
{
	json_decref(lookup->ticket);
	json_decref(lookup->messages);
	lookup->ticket = NULL;
	lookup->messages = NULL;
}
