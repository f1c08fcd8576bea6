/*
 * The answers the SMS module gives itself, from templates/LANG/sms/: a
 * ticket's status (no personal data), a rating's receipt, an opt-out's
 * confirmation. They are sent through the gateways like any text but are
 * not stored as messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "sms_intake.h"

#define SMS_LOG "sms"

/* Renders templates/LANG/sms/NAME.sms with vars (reference stolen) and
 * sends it to number. Returns 0 or -1. */
static int
sms_answer_send(struct sms_module *module, const char *number,
    const char *language, const char *name, json_t *vars)
{
	char template[64];
	char *text;
	size_t length;
	int rc = -1;

	snprintf(template, sizeof template, "sms/%s.sms", name);
	text = vars != NULL ? hub_channel_render(module->channel, language,
	    template, vars) : NULL;
	json_decref(vars);
	if (text == NULL) {
		log_error(SMS_LOG, "answer not rendered template=%s language=%s",
		    template, language);
		return -1;
	}
	length = strlen(text);
	while (length > 0 && (text[length - 1] == '\n' ||
	    text[length - 1] == '\r'))
		text[--length] = '\0';
	if (!sms_limit_take(&module->answer_limit, number, clock_now_ms())) {
		log_info(SMS_LOG, "answer not sent: the number reached "
		    "answers.per_number_per_hour template=%s", template);
		free(text);
		return 0;
	}
	rc = sms_send_answer(module, number, text);
	log_info(SMS_LOG, "answer queued template=%s rc=%d", template, rc);
	free(text);
	return rc;
}

/* Sets vars[key][value] = true for a {{#key.value}} section. */
static void
sms_answer_flag(json_t *vars, const char *key, const char *value)
{
	json_t *flags = json_object();

	if (flags != NULL && value != NULL)
		json_object_set_new(flags, value, json_true());
	json_object_set_new(vars, key, flags);
}

/* "15/12/2026" from the ISO 8601 time in Vietnam ("2026-12-15T17:00:00+07:00")
 * of a public ticket view. */
static void
sms_answer_date(const json_t *view, const char *key, json_t *vars,
    const char *name)
{
	const char *iso = json_string_value(json_object_get(view, key));
	char date[16];

	if (iso == NULL || strlen(iso) < 10)
		return;
	snprintf(date, sizeof date, "%.2s/%.2s/%.4s", iso + 8, iso + 5, iso);
	json_object_set_new(vars, name, json_string(date));
}

/* The status answer's variables from the public view of a ticket. */
static json_t *
sms_answer_status_vars(const json_t *view, const char *language)
{
	const json_t *department = json_object_get(view, "department_name");
	json_t *vars = json_pack("{s:O}", "code_display",
	    json_object_get(view, "code_display"));

	if (vars == NULL)
		return NULL;
	sms_answer_flag(vars, "status_is", json_string_value(
	    json_object_get(view, "status")));
	sms_answer_date(view, "due_at", vars, "due_date");
	if (json_is_object(department))
		json_object_set(vars, "department_name",
		    json_object_get(department, language));
	if (json_is_string(json_object_get(view, "merged_into")))
		json_object_set(vars, "merged_into",
		    json_object_get(view, "merged_into"));
	return vars;
}

int
sms_answer_status(struct sms_module *module, const struct sms_intake_text *in,
    const char *digits, sms_intake_done_fn done, void *arg)
{
	char code[TICKET_CODE_PLAIN_SIZE], grouped[TICKET_CODE_GROUPED_SIZE];
	json_t *view, *vars;
	const char *name;

	if (strlen(digits) != 10 || ticket_code_parse(digits, code) != 0) {
		vars = json_pack("{s:s}", "digits", digits);
		if (vars != NULL)
			sms_answer_flag(vars, "wrong", strlen(digits) != 10 ?
			    "length" : "check_digit");
		name = "status_invalid";
	} else if ((view = hub_ticket_public(module->channel, code)) == NULL) {
		ticket_code_group(code, grouped);
		vars = json_pack("{s:s}", "code_display", grouped);
		name = "status_unknown";
	} else {
		vars = sms_answer_status_vars(view, in->language);
		json_decref(view);
		name = "status";
	}
	log_info(SMS_LOG, "status request answer=%s", name);
	if (sms_answer_send(module, in->number, in->language, name, vars) != 0)
		return -1;
	done(200, "", arg);
	return 0;
}

/* --- Ratings ----------------------------------------------------------------- */

bool
sms_answer_rating_open(struct sms_module *module, const char *number)
{
	char code[TICKET_CODE_PLAIN_SIZE];
	int64_t resolved_at = 0;

	if (hub_conversation_latest(module->channel, number, true, code,
	    &resolved_at) != 1 || resolved_at == 0)
		return false;
	return clock_now_ms() - resolved_at <= module->config.rating_window_ms;
}

struct sms_rating {
	struct sms_module *module;
	char number[CONTACT_E164_MAX];
	char language[4];
	char code[TICKET_CODE_PLAIN_SIZE];
	int rating;
	bool followed;		/* rating->code is the ticket a merge led to */
	sms_intake_done_fn done;
	void *arg;
};

static void sms_answer_rated(enum hub_rating_result result, int previous,
    void *arg);

/* A rating of a ticket merged into another goes to that one, once.
 * Returns 1 when the rating was handed on, 0 when not. */
static int
sms_answer_follow_merge(struct sms_rating *rating)
{
	json_t *view = hub_ticket_public(rating->module->channel, rating->code);
	const char *target = json_string_value(json_object_get(view,
	    "merged_into"));
	int followed = 0;

	if (!rating->followed && target != NULL &&
	    strlen(target) == TICKET_CODE_PLAIN_SIZE - 1) {
		memcpy(rating->code, target, TICKET_CODE_PLAIN_SIZE);
		rating->followed = true;
		followed = hub_ticket_rate(rating->module->channel,
		    rating->code, rating->rating, sms_answer_rated,
		    rating) == 0;
	}
	json_decref(view);
	return followed;
}

static void
sms_answer_rated(enum hub_rating_result result, int previous, void *arg)
{
	struct sms_rating *rating = arg;
	char grouped[TICKET_CODE_GROUPED_SIZE];
	const char *name = "rated";
	json_t *vars;

	(void)previous;
	if (result == HUB_RATING_MERGED && sms_answer_follow_merge(rating))
		return;
	if (result == HUB_RATING_FAILED) {
		rating->done(503, "the store failed; send again later\n",
		    rating->arg);
		free(rating);
		return;
	}
	if (result == HUB_RATING_NOT_FOUND)
		name = "rate_none";
	else if (result != HUB_RATING_STORED)
		name = "rate_not_resolved";
	ticket_code_group(rating->code, grouped);
	vars = json_pack("{s:s, s:i}", "code_display", grouped, "rating",
	    rating->rating);
	log_info(SMS_LOG, "rating by SMS result=%s", name);
	sms_answer_send(rating->module, rating->number, rating->language, name,
	    vars);
	rating->done(200, "", rating->arg);
	free(rating);
}

int
sms_answer_rate(struct sms_module *module, const struct sms_intake_text *in,
    int value, sms_intake_done_fn done, void *arg)
{
	struct sms_rating *rating;
	int64_t resolved_at = 0;
	char code[TICKET_CODE_PLAIN_SIZE];
	int found;

	if (value < 1 || value > 5) {
		if (sms_answer_send(module, in->number, in->language,
		    "rate_help", json_object()) != 0)
			return -1;
		done(200, "", arg);
		return 0;
	}
	/* The ticket resolved last; else the newest, whose answer then says
	 * it is not resolved yet. */
	found = hub_conversation_latest(module->channel, in->number, true, code,
	    &resolved_at);
	if (found == 0)
		found = hub_conversation_latest(module->channel, in->number,
		    false, code, &resolved_at);
	if (found < 0)
		return -1;
	if (found == 0) {
		if (sms_answer_send(module, in->number, in->language,
		    "rate_none", json_object()) != 0)
			return -1;
		done(200, "", arg);
		return 0;
	}
	rating = calloc(1, sizeof *rating);
	if (rating == NULL)
		return -1;
	*rating = (struct sms_rating){
		.module = module, .rating = value, .done = done, .arg = arg,
	};
	snprintf(rating->number, sizeof rating->number, "%s", in->number);
	snprintf(rating->language, sizeof rating->language, "%s",
	    in->language);
	memcpy(rating->code, code, sizeof code);
	if (hub_ticket_rate(module->channel, code, value, sms_answer_rated,
	    rating) != 0) {
		free(rating);
		return -1;
	}
	return 0;
}

/* --- Opt-out ------------------------------------------------------------------ */

struct sms_stop {
	struct sms_module *module;
	char number[CONTACT_E164_MAX];
	char language[4];
	sms_intake_done_fn done;
	void *arg;
};

static void
sms_answer_stopped(int status, void *arg)
{
	struct sms_stop *stop = arg;

	if (status != 0) {
		stop->done(503, "the store failed; send again later\n",
		    stop->arg);
	} else {
		log_info(SMS_LOG, "number opted out of notices");
		sms_answer_send(stop->module, stop->number, stop->language,
		    "stopped", json_object());
		stop->done(200, "", stop->arg);
	}
	free(stop);
}

int
sms_answer_stop(struct sms_module *module, const struct sms_intake_text *in,
    sms_intake_done_fn done, void *arg)
{
	struct sms_stop *stop = calloc(1, sizeof *stop);
	char key[SMS_OPTOUT_KEY_SIZE];

	if (stop == NULL)
		return -1;
	*stop = (struct sms_stop){
		.module = module, .done = done, .arg = arg,
	};
	snprintf(stop->number, sizeof stop->number, "%s", in->number);
	snprintf(stop->language, sizeof stop->language, "%s", in->language);
	sms_intake_optout_key(in->number, key);
	if (hub_channel_state_set(module->channel, key, "1",
	    sms_answer_stopped, stop) != 0) {
		free(stop);
		return -1;
	}
	return 0;
}

int
sms_answer_resume(struct sms_module *module, const struct sms_intake_text *in)
{
	char key[SMS_OPTOUT_KEY_SIZE];

	if (!sms_intake_opted_out(module, in->number))
		return 0;
	log_info(SMS_LOG, "number opted in again by a new report");
	sms_intake_optout_key(in->number, key);
	return hub_channel_state_set(module->channel, key, NULL, NULL, NULL);
}
