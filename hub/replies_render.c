/*
 * The texts that replies send: variables from the ticket and the citizen,
 * and the template of each kind and output.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "config.h"
#include "desk.h"
#include "module.h"
#include "pipeline_stages.h"
#include "replies.h"
#include "store.h"
#include "store_sendq.h"
#include "ticket_code.h"

#define REPLIES_TEMPLATE_NAME_MAX 64

enum template_output
replies_output(const struct hub_channel *channel)
{
	if (channel != NULL &&
	    (channel->module->capabilities & HUB_CHANNEL_SMS_TEXT) != 0)
		return TEMPLATE_OUTPUT_SMS;
	return TEMPLATE_OUTPUT_TEXT;
}

static bool
replies_english(const struct store_sendq_addressee *addressee)
{
	return addressee->language != NULL &&
	    strcmp(addressee->language, "en") == 0;
}

/* The configured name of the ticket's department in the citizen's
 * language, or NULL. */
static const char *
replies_department_name(const struct replies_context *context,
    const struct store_sendq_addressee *addressee)
{
	const struct desk_department *department;

	if (addressee->department == NULL)
		return NULL;
	department = desk_department_find(desk_current(context->config),
	    addressee->department);
	if (department == NULL)
		return NULL;
	return replies_english(addressee) ? department->name_en :
	    department->name_vi;
}

/* The citizen's status page with the ticket's access token. Caller frees;
 * NULL when out of memory. */
static char *
replies_status_url(const struct replies_context *context,
    const struct store_sendq_addressee *addressee)
{
	char token[PIPELINE_TOKEN_SIZE];

	pipeline_access_token(store_token_key(context->store), addressee->code,
	    token);
	return pipeline_status_url(context->config->public_url,
	    addressee->code, token, addressee->language);
}

/* Sets vars[key][value] = true, so that a template can pick a text with
 * {{#key.value}}. */
static int
replies_flag(json_t *vars, const char *key, const char *value)
{
	json_t *flags = json_object_get(vars, key);

	if (value == NULL)
		return 0;
	if (flags == NULL) {
		flags = json_object();
		if (json_object_set_new(vars, key, flags) != 0)
			return -1;
	}
	return json_object_set_new(flags, value, json_true());
}

/* The variables every reply template gets: name, code, code_display,
 * department_name, status_url, channel_is.CHANNEL and status_is.STATUS.
 * Returns a new object or NULL. */
static json_t *
replies_vars(const struct replies_context *context,
    const struct store_sendq_addressee *addressee, const char *channel)
{
	char grouped[TICKET_CODE_GROUPED_SIZE];
	char *status_url = replies_status_url(context, addressee);
	json_t *vars;

	if (status_url == NULL)
		return NULL;
	ticket_code_group(addressee->code, grouped);
	vars = json_pack("{s:s?, s:s, s:s, s:s?, s:s}",
	    "name", addressee->name,
	    "code", addressee->code,
	    "code_display", grouped,
	    "department_name", replies_department_name(context, addressee),
	    "status_url", status_url);
	free(status_url);
	if (vars != NULL && (replies_flag(vars, "channel_is", channel) != 0 ||
	    replies_flag(vars, "status_is", addressee->status) != 0)) {
		json_decref(vars);
		return NULL;
	}
	return vars;
}

/* Renders replies/BASE.txt or replies/BASE.sms, without the newline that
 * ends a template file. */
static char *
replies_render(const struct replies_context *context, const char *base,
    enum template_output output, const char *language, const json_t *vars)
{
	char name[REPLIES_TEMPLATE_NAME_MAX];
	char *text;
	size_t length;

	snprintf(name, sizeof name, "replies/%s.%s", base,
	    output == TEMPLATE_OUTPUT_SMS ? "sms" : "txt");
	text = templates_render(context->templates, language, name, vars);
	if (text == NULL)
		return NULL;
	length = strlen(text);
	while (length > 0 && (text[length - 1] == '\n' ||
	    text[length - 1] == '\r'))
		text[--length] = '\0';
	return text;
}

char *
replies_render_message(const struct replies_context *context,
    const struct store_sendq_message *message, enum template_output output)
{
	const struct store_sendq_addressee *addressee = &message->addressee;
	bool names = context->config->replies.show_agent_names;
	json_t *vars;
	char *text;

	if (strcmp(message->kind, "reply") != 0) {
		text = strdup(message->body);
		if (text == NULL)
			errno = ENOMEM;
		return text;
	}
	vars = replies_vars(context, addressee, message->channel);
	if (vars == NULL || json_object_set_new(vars, "text",
	    json_string(message->body)) != 0 || (names &&
	    message->agent_name != NULL && json_object_set_new(vars,
	    "agent_name", json_string(message->agent_name)) != 0)) {
		json_decref(vars);
		errno = ENOMEM;
		return NULL;
	}
	text = replies_render(context, "reply", output, addressee->language,
	    vars);
	json_decref(vars);
	return text;
}

char *
replies_render_notice(const struct replies_context *context,
    const struct store_sendq_addressee *addressee, const char *channel,
    const char *to, enum template_output output)
{
	json_t *vars = replies_vars(context, addressee, channel);
	char *text;

	if (vars == NULL || replies_flag(vars, "to_is", to) != 0) {
		json_decref(vars);
		errno = ENOMEM;
		return NULL;
	}
	text = replies_render(context, strcmp(to, "resolved") == 0 ?
	    "resolved" : "status", output, addressee->language, vars);
	json_decref(vars);
	return text;
}
