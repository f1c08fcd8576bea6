/*
 * The email channel module: mail in by LMTP (email_lmtp.c, also used by the
 * pipe command citizenhub-mailgate) and by IMAP polling (email_imap.c),
 * replies out by SMTP to a smarthost (email_send.c, email_smtp.c).
 */
#include <stdlib.h>
#include <string.h>

#include <auth-client.h>
#include <event2/event.h>

#include "email_module.h"

static void
email_parse_options_fill(struct email *email)
{
	struct email_parse_options *options = &email->parse_options;
	const struct email_config *config = &email->config;

	options->max_message_bytes = config->max_message_bytes;
	options->max_attachment_bytes = config->max_attachment_bytes;
	options->max_attachments = config->max_attachments;
	options->max_text_bytes = config->max_text_bytes;
	options->html_max_bytes = config->html_max_bytes;
	options->html_max_depth = config->html_max_depth;
	options->own_addresses = config->own_addresses;
	options->limits = hub_channel_config(email->channel)->limits;
}

static bool
email_busy(const struct email *email)
{
	return email->intakes_in_flight != 0 || email->sends_in_flight != 0 ||
	    email_imap_busy(email);
}

static void
email_free(void *state)
{
	struct email *email = state;

	if (email == NULL)
		return;
	/* The hub drains the worker pool before it frees the modules. */
	if (email_busy(email))
		log_error(EMAIL_LOG, "freed with work in flight intakes=%zu "
		    "sends=%zu", email->intakes_in_flight,
		    email->sends_in_flight);
	email_lmtp_free(email);
	email_imap_free(email);
	email_config_clear(&email->config);
	free(email);
	auth_client_exit();
	email_parse_shutdown();
}

static void *
email_create(struct hub_channel *channel, const json_t *section,
    struct config_error *err)
{
	struct email *email = calloc(1, sizeof *email);

	if (email == NULL) {
		config_error_at(hub_channel_config(channel), "channels.email",
		    err, "memory for the module");
		return NULL;
	}
	if (email_config_load(&email->config, hub_channel_config(channel),
	    section, err) != 0) {
		email_config_clear(&email->config);
		free(email);
		return NULL;
	}
	/* GMime and libxml2 for parsing and composing, libesmtp's SASL
	 * client for AUTH. */
	email_parse_init();
	auth_client_init();
	email->channel = channel;
	email_parse_options_fill(email);
	return email;
}

static int
email_start(void *state)
{
	struct email *email = state;
	const struct email_config *config = &email->config;

	if (email_lmtp_start(email) != 0)
		return -1;
	if (email_imap_start(email) != 0) {
		email_lmtp_stop(email);
		return -1;
	}
	log_info(EMAIL_LOG, "started address=%s lmtp=%s smtp=%s imap=%s",
	    config->own_addresses[0],
	    config->lmtp_socket != NULL ? config->lmtp_socket :
	    config->lmtp_listen,
	    config->smtp_enabled ? config->smtp_host : "off",
	    config->imap_enabled ? config->imap_url : "off");
	return 0;
}

static void
email_stop(void *state)
{
	struct email *email = state;

	email->stopped = true;
	email_lmtp_stop(email);
	email_imap_stop(email);
	log_info(EMAIL_LOG, "stopped intakes_in_flight=%zu sends_in_flight=%zu",
	    email->intakes_in_flight, email->sends_in_flight);
}

static int
email_module_send(void *state, const struct hub_outbound *out,
    hub_send_done_fn done)
{
	return email_send(state, out, done);
}

const struct hub_channel_module hub_channel_module = {
	.abi_version = HUB_CHANNEL_ABI_VERSION,
	.name = "email",
	.capabilities = HUB_CHANNEL_INBOUND | HUB_CHANNEL_OUTBOUND |
	    HUB_CHANNEL_DELIVERY_REPORTS | HUB_CHANNEL_ATTACHMENTS,
	.create = email_create,
	.start = email_start,
	.stop = email_stop,
	.send = email_module_send,
	.free = email_free,
};
