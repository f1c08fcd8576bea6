/*
 * The SMS channel module: citizens' texts from Kannel's smsbox become
 * tickets, and the hub's texts go out through the configured gateways.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sms_intake.h"

#define SMS_LOG "sms"

static void *
sms_create(struct hub_channel *channel, const json_t *section,
    struct config_error *err)
{
	struct sms_module *module = calloc(1, sizeof *module);

	if (module == NULL) {
		config_error_at(hub_channel_config(channel), "channels.sms", err,
		    "memory for the SMS channel");
		return NULL;
	}
	module->channel = channel;
	if (sms_config_load(hub_channel_config(channel), section,
	    &module->config, err) != 0) {
		sms_config_free(&module->config);
		free(module);
		return NULL;
	}
	module->answer_limit.max = module->config.answers_per_hour;
	module->new_report_limit.max = module->config.new_reports_per_hour;
	return module;
}

static int
sms_start(void *state)
{
	struct sms_module *module = state;

	if (sms_gateways_start(module) != 0 || sms_kannel_mount(module) != 0)
		return -1;
	for (size_t i = 0; i < module->config.gateway_count; i++) {
		const struct sms_gateway_config *gateway =
		    &module->config.gateways[i];

		log_info(SMS_LOG, "gateway ready name=%s type=%s max_parts=%d "
		    "unaccented=%d rate_per_second=%g", gateway->name,
		    gateway->type == SMS_GATEWAY_KANNEL ? "kannel" : "http",
		    gateway->max_parts, gateway->unaccented,
		    gateway->rate_per_second);
	}
	return 0;
}

static void
sms_stop(void *state)
{
	sms_gateways_stop(state);
}

static int
sms_send(void *state, const struct hub_outbound *out, hub_send_done_fn done)
{
	struct sms_module *module = state;
	char number[CONTACT_E164_MAX], grouped[TICKET_CODE_GROUPED_SIZE];
	struct sms_outbound *sms;

	if (out->to == NULL || contact_phone_e164(out->to, number) != 0) {
		log_info(SMS_LOG, "reply not sent: no phone number message=%lld",
		    (long long)out->message_id);
		return -1;
	}
	if (!sms_send_served(module, number)) {
		log_info(SMS_LOG, "reply not sent: no gateway serves the number "
		    "message=%lld", (long long)out->message_id);
		done(module->channel, out->message_id, -1, "not sent: no SMS "
		    "gateway serves this number (see the gateways' prefixes)");
		return 0;
	}
	if (out->automatic && sms_intake_opted_out(module, number)) {
		done(module->channel, out->message_id, -1, "not sent: the "
		    "citizen turned notices off by SMS");
		return 0;
	}
	sms = calloc(1, sizeof *sms);
	if (sms == NULL)
		return -1;
	sms->ticket_id = out->ticket_id;
	sms->message_id = out->message_id;
	sms->done = done;
	sms->to = strdup(number);
	sms->text = strdup(out->text);
	if (out->code != NULL) {
		ticket_code_group(out->code, grouped);
		sms->code = strdup(grouped);
	}
	if (sms->to == NULL || sms->text == NULL ||
	    (out->code != NULL && sms->code == NULL)) {
		sms_outbound_free(sms);
		return -1;
	}
	return sms_send_start(module, sms);
}

static void
sms_free(void *state)
{
	struct sms_module *module = state;

	if (module == NULL)
		return;
	sms_config_free(&module->config);
	free(module);
}

const struct hub_channel_module hub_channel_module = {
	.abi_version = HUB_CHANNEL_ABI_VERSION,
	.name = "sms",
	.capabilities = HUB_CHANNEL_INBOUND | HUB_CHANNEL_OUTBOUND |
	    HUB_CHANNEL_DELIVERY_REPORTS | HUB_CHANNEL_SMS_TEXT,
	.create = sms_create,
	.start = sms_start,
	.stop = sms_stop,
	.send = sms_send,
	.free = sms_free,
};
