/*
 * The sip channel module: the hotline's IVR (see ivr.h for its threads).
 *
 * create checks the config, loads the prompts and the menu; start runs
 * the media thread, then the SIP thread, and mounts the status route; stop
 * ends the calls in the reverse order, so that every call's hangup and
 * record still have a thread to go to.
 */
#include <event2/http.h>
#include <stdlib.h>
#include <string.h>

#include "ivr.h"
#include "ivr_hub.h"
#include "ivr_menu.h"
#include "ivr_prompt.h"
#include "media_thread.h"
#include "sip_thread.h"

#define SIP_LOG "sip"
#define SIP_STATUS_PATH "/sip/status"

static void
sip_free(void *state)
{
	struct ivr *ivr = state;

	if (ivr == NULL)
		return;
	if (ivr->hub != NULL)
		ivr_hub_free(ivr->hub);
	ivr_menu_free((struct ivr_menu *)ivr->menu);
	ivr_prompts_free((struct ivr_prompts *)ivr->prompts);
	ivr_config_free(&ivr->config);
	free(ivr);
}

static int
sip_load_menu(struct ivr *ivr, struct config_error *err)
{
	json_t *categories = hub_desk_categories(ivr->channel);

	if (categories == NULL)
		return config_error_at(hub_channel_config(ivr->channel),
		    "channels.sip.menu_file", err, "memory for the categories");
	ivr->menu = ivr_menu_load(ivr->config.menu_file, ivr->prompts,
	    categories, err);
	json_decref(categories);
	return ivr->menu == NULL ? -1 : 0;
}

static void *
sip_create(struct hub_channel *channel, const json_t *section,
    struct config_error *err)
{
	struct ivr *ivr = calloc(1, sizeof *ivr);

	if (ivr == NULL) {
		config_error_at(hub_channel_config(channel), "channels.sip", err,
		    "memory for the SIP channel");
		return NULL;
	}
	ivr->channel = channel;
	if (ivr_config_parse(channel, section, &ivr->config, err) != 0)
		goto fail;
	ivr->prompts = ivr_prompts_load(ivr->config.prompts_dir,
	    ivr->config.prompts_override_dir, err);
	if (ivr->prompts == NULL || sip_load_menu(ivr, err) != 0)
		goto fail;
	return ivr;
fail:
	sip_free(ivr);
	return NULL;
}

/* GET /sip/status: calls and media counters, for monitoring. */
static void
sip_status(struct evhttp_request *req, void *arg)
{
	struct ivr *ivr = arg;
	struct media_stats stats;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_send_reply(req, 405, "Method Not Allowed", NULL);
		return;
	}
	if (ivr->media == NULL || ivr->sip == NULL) {
		evhttp_send_reply(req, 503, "Service Unavailable", NULL);
		return;
	}
	media_thread_stats(ivr->media, &stats);
	/* http_send_json steals the object. */
	http_send_json(req, 200, json_pack(
	    "{s:i, s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I}, "
	    "s:{s:I, s:I, s:I}}",
	    "sip_calls", sip_thread_calls(ivr->sip),
	    "media_calls", (json_int_t)stats.active,
	    "calls_started", (json_int_t)stats.calls,
	    "packets_sent", (json_int_t)stats.packets_sent,
	    "packets_received", (json_int_t)stats.packets_received,
	    "packets_skipped", (json_int_t)stats.packets_skipped,
	    "spacing",
	    "within_1ms", (json_int_t)stats.spacing_within_1ms,
	    "within_2ms", (json_int_t)stats.spacing_within_2ms,
	    "beyond_2ms", (json_int_t)stats.spacing_beyond_2ms,
	    "max_us", (json_int_t)stats.spacing_max_us,
	    "digits",
	    "rfc4733", (json_int_t)stats.digits[0],
	    "info", (json_int_t)stats.digits[1],
	    "inband", (json_int_t)stats.digits[2]));
}

static int
sip_start(void *state)
{
	struct ivr *ivr = state;
	struct config_error err = { 0 };

	/* The mailboxes need the hub's event loop, which a configuration
	 * check (citizenhubd -t) does not have, so they are made here. */
	if ((ivr->hub = ivr_hub_new(ivr)) == NULL) {
		log_error(SIP_LOG, "cannot start: out of memory");
		return -1;
	}
	if ((ivr->media = media_thread_start(ivr, &err)) == NULL ||
	    (ivr->sip = sip_thread_start(ivr, &err)) == NULL) {
		log_error(SIP_LOG, "cannot start: %s", err.message);
		if (ivr->media != NULL) {
			media_thread_stop(ivr->media);
			media_thread_free(ivr->media);
		}
		ivr->media = NULL;
		return -1;
	}
	if (hub_channel_route(ivr->channel, SIP_STATUS_PATH, HTTP_ROUTE_EXACT,
	    sip_status, ivr) != 0)
		return -1;
	log_info(SIP_LOG, "listening address=%s domain=%s max_calls=%d",
	    ivr->config.listen, ivr->config.domain, ivr->config.max_calls);
	return 0;
}

/* The hub is shutting down and its loop still runs: the calls end now
 * (each gets its BYE), so that their reports and records are stored. A
 * call that arrives later is refused by the SIP thread, since the media
 * thread takes no more calls. */
static void
sip_drain(void *state)
{
	struct ivr *ivr = state;

	if (ivr->media != NULL && !ivr->media_stopped) {
		media_thread_stop(ivr->media);
		ivr->media_stopped = true;
	}
}

static size_t
sip_busy(void *state)
{
	struct ivr *ivr = state;

	return ivr_hub_busy(ivr->hub);
}

static void
sip_stop(void *state)
{
	struct ivr *ivr = state;

	/* The media thread stops first, so that each call's hangup reaches
	 * the SIP thread, but is freed last, since the SIP thread may post
	 * to it (and is refused) until it stops. */
	sip_drain(ivr);
	if (ivr->sip != NULL)
		sip_thread_stop(ivr->sip);
	ivr->sip = NULL;
	if (ivr->media != NULL)
		media_thread_free(ivr->media);
	ivr->media = NULL;
	if (ivr->hub != NULL)
		ivr_hub_stop(ivr->hub);
}

const struct hub_channel_module hub_channel_module = {
	.abi_version = HUB_CHANNEL_ABI_VERSION,
	.name = "sip",
	.capabilities = HUB_CHANNEL_INBOUND | HUB_CHANNEL_ATTACHMENTS,
	.create = sip_create,
	.start = sip_start,
	.stop = sip_stop,
	.send = NULL,
	.free = sip_free,
	.drain = sip_drain,
	.busy = sip_busy,
};
