/*
 * Outbound SMS: each gateway's queue, rate limit and request slots; the
 * text prepared for the gateway (diacritics, parts); failing over to the
 * next gateway that serves the number; and the module's own answers,
 * retried in memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sms_module.h"
#include "sms_text.h"

#define SMS_LOG "sms"

static int64_t
sms_monotonic_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

void
sms_outbound_free(struct sms_outbound *out)
{
	if (out == NULL)
		return;
	if (out->retry != NULL)
		event_free(out->retry);
	free(out->to);
	free(out->text);
	free(out->code);
	free(out);
}

static bool
sms_gateway_serves(const struct sms_gateway_config *config, const char *to)
{
	if (config->prefix_count == 0)
		return true;
	for (size_t i = 0; i < config->prefix_count; i++)
		if (strncmp(to, config->prefixes[i],
		    strlen(config->prefixes[i])) == 0)
			return true;
	return false;
}

/* The index of the first gateway from first on that serves to, or
 * gateway_count. */
static size_t
sms_gateway_find(const struct sms_module *module, size_t first, const char *to)
{
	for (size_t i = first; i < module->config.gateway_count; i++)
		if (sms_gateway_serves(&module->config.gateways[i], to))
			return i;
	return module->config.gateway_count;
}

/* Reports the final outcome of out and frees it. */
static void sms_outbound_finish(struct sms_outbound *out, int status,
    const char *detail);

/* Prepares out for the gateway and starts its request. */
static void
sms_gateway_start(struct sms_gateway *gateway, struct sms_outbound *out)
{
	const struct sms_gateway_config *config = gateway->config;
	char to[32], reference[HUB_REFERENCE_TOKEN_SIZE] = "";
	char *plain = NULL, *fitted;
	struct hub_sms_size size;
	struct sms_prepared prepared;
	bool cut = false;

	/* Counted from here, since every failure below reports through
	 * sms_gateway_done, which frees the slot. */
	gateway->in_flight++;
	if (config->unaccented && (plain = sms_text_unaccent(out->text)) ==
	    NULL) {
		sms_gateway_done(gateway, out, 1, "out of memory");
		return;
	}
	fitted = sms_text_fit(plain != NULL ? plain : out->text,
	    config->max_parts, out->code, &cut);
	free(plain);
	if (fitted == NULL || sms_number_format(config->number_format, out->to,
	    to, sizeof to) != 0 || (out->message_id != 0 &&
	    hub_channel_reference(gateway->module->channel, out->ticket_id,
	    out->message_id, reference) != 0)) {
		free(fitted);
		sms_gateway_done(gateway, out, 1, "out of memory");
		return;
	}
	out->cut_to_parts = cut ? config->max_parts : 0;
	if (cut)
		log_info(SMS_LOG, "text cut to %d parts gateway=%s message=%lld",
		    config->max_parts, config->name,
		    (long long)out->message_id);
	hub_sms_measure(fitted, &size);
	prepared = (struct sms_prepared){
		.to = to,
		.text = fitted,
		.ucs2 = size.ucs2,
		.parts = size.parts,
		.reference = reference,
	};
	if (gateway->ops->send(gateway, out, &prepared) != 0) {
		free(fitted);
		sms_gateway_done(gateway, out, 1, "request not started");
		return;
	}
	free(fitted);
}

/* Refills the bucket and returns whether a send may start now; when not,
 * arms the drain timer for the next token. */
static bool
sms_gateway_may_send(struct sms_gateway *gateway)
{
	double rate = gateway->config->rate_per_second;
	int64_t now;

	if (gateway->in_flight >= gateway->config->max_in_flight)
		return false;
	if (rate <= 0)
		return true;
	now = sms_monotonic_ms();
	gateway->tokens += (double)(now - gateway->refilled_at_ms) * rate /
	    1000.0;
	if (gateway->tokens > rate)
		gateway->tokens = rate;
	gateway->refilled_at_ms = now;
	if (gateway->tokens >= 1.0) {
		gateway->tokens -= 1.0;
		return true;
	}
	if (!evtimer_pending(gateway->drain, NULL)) {
		double wait_ms = (1.0 - gateway->tokens) * 1000.0 / rate;
		struct timeval delay = {
			.tv_sec = (time_t)(wait_ms / 1000.0),
			.tv_usec = (suseconds_t)((long)wait_ms % 1000 * 1000 + 1000),
		};

		evtimer_add(gateway->drain, &delay);
	}
	return false;
}

/* Starts queued texts while the limit and the slots allow. A send that
 * ends at once (a text refused before any request) calls
 * sms_gateway_done inside this loop, which then does not drain again, so
 * the stack stays flat however many texts fail in a row. */
static void
sms_gateway_drain(struct sms_gateway *gateway)
{
	if (gateway->draining)
		return;
	gateway->draining = true;
	while (gateway->queue_head != NULL && !gateway->module->stopping &&
	    sms_gateway_may_send(gateway)) {
		struct sms_outbound *out = gateway->queue_head;

		gateway->queue_head = out->next;
		if (gateway->queue_head == NULL)
			gateway->queue_tail = NULL;
		out->next = NULL;
		gateway->queued--;
		sms_gateway_start(gateway, out);
	}
	gateway->draining = false;
}

static void
sms_gateway_on_drain(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sms_gateway_drain(arg);
}

static void
sms_gateway_enqueue(struct sms_gateway *gateway, struct sms_outbound *out)
{
	out->next = NULL;
	if (gateway->queue_tail != NULL)
		gateway->queue_tail->next = out;
	else
		gateway->queue_head = out;
	gateway->queue_tail = out;
	gateway->queued++;
	sms_gateway_drain(gateway);
}

void
sms_gateway_done(struct sms_gateway *gateway, struct sms_outbound *out,
    int status, const char *detail)
{
	char cut_detail[96];
	struct sms_module *module = gateway->module;
	size_t next;

	gateway->in_flight--;
	if (status == 1 && !module->stopping) {
		next = sms_gateway_find(module, out->gateway_index + 1, out->to);
		if (next < module->config.gateway_count) {
			log_info(SMS_LOG, "gateway failed for now, trying the "
			    "next gateway=%s next=%s message=%lld reason=\"%s\"",
			    gateway->config->name,
			    module->config.gateways[next].name,
			    (long long)out->message_id,
			    detail != NULL ? detail : "-");
			out->gateway_index = next;
			sms_gateway_enqueue(&module->gateways[next], out);
			sms_gateway_drain(gateway);
			return;
		}
	}
	/* Agents see the whole reply on the desk, so the detail records what
	 * the citizen received. */
	if (status == 0 && detail == NULL && out->cut_to_parts > 0) {
		snprintf(cut_detail, sizeof cut_detail, "sent cut at a word to "
		    "%d SMS parts (the gateway's max_parts)", out->cut_to_parts);
		detail = cut_detail;
	}
	sms_outbound_finish(out, status, detail);
	sms_gateway_drain(gateway);
}

bool
sms_send_served(const struct sms_module *module, const char *to)
{
	return sms_gateway_find(module, 0, to) < module->config.gateway_count;
}

int
sms_send_start(struct sms_module *module, struct sms_outbound *out)
{
	size_t index = sms_gateway_find(module, 0, out->to);

	out->module = module;
	if (index == module->config.gateway_count) {
		log_info(SMS_LOG, "no gateway serves the number message=%lld",
		    (long long)out->message_id);
		sms_outbound_free(out);
		return -1;
	}
	out->gateway_index = index;
	sms_gateway_enqueue(&module->gateways[index], out);
	return 0;
}

/* --- The module's own answers ------------------------------------------- */

/* Removes out from the list of answers waiting to be sent again. */
static void
sms_answer_unlist(struct sms_outbound *out)
{
	struct sms_outbound **link = &out->module->answers_waiting;

	while (*link != NULL && *link != out)
		link = &(*link)->next;
	if (*link == out)
		*link = out->next;
	out->next = NULL;
}

static void
sms_answer_retry(evutil_socket_t fd, short what, void *arg)
{
	struct sms_outbound *out = arg;

	(void)fd;
	(void)what;
	sms_answer_unlist(out);
	if (sms_send_start(out->module, out) != 0)
		log_error(SMS_LOG, "answer not sent: no gateway");
}

static void
sms_outbound_finish(struct sms_outbound *out, int status, const char *detail)
{
	struct sms_module *module = out->module;
	struct timeval delay = { .tv_sec = module->config.answer_retry_seconds };

	if (out->done != NULL) {
		out->done(module->channel, out->message_id, status, detail);
		sms_outbound_free(out);
		return;
	}
	out->attempts++;
	if (status == 1 && !module->stopping &&
	    out->attempts < module->config.answer_attempts) {
		if (out->retry == NULL)
			out->retry = evtimer_new(hub_channel_event_base(
			    module->channel), sms_answer_retry, out);
		if (out->retry != NULL && evtimer_add(out->retry, &delay) == 0) {
			out->next = module->answers_waiting;
			module->answers_waiting = out;
			return;
		}
	}
	if (status != 0)
		log_info(SMS_LOG, "answer not sent attempts=%d reason=\"%s\"",
		    out->attempts, detail != NULL ? detail : "-");
	sms_outbound_free(out);
}

int
sms_send_answer(struct sms_module *module, const char *number,
    const char *text)
{
	struct sms_outbound *out = calloc(1, sizeof *out);

	if (out == NULL || (out->to = strdup(number)) == NULL ||
	    (out->text = strdup(text)) == NULL) {
		sms_outbound_free(out);
		return -1;
	}
	out->module = module;
	/* An answer to a number no gateway serves can never go out, so it is
	 * dropped (sms_send_start logs it) rather than reported as a failure
	 * that would make smsbox send the citizen's text again. */
	(void)sms_send_start(module, out);
	return 0;
}

/* --- Start and stop ----------------------------------------------------- */

int
sms_gateways_start(struct sms_module *module)
{
	for (size_t i = 0; i < module->config.gateway_count; i++) {
		struct sms_gateway *gateway = &module->gateways[i];

		gateway->module = module;
		gateway->config = &module->config.gateways[i];
		gateway->ops = gateway->config->type == SMS_GATEWAY_KANNEL ?
		    &sms_kannel_ops : &sms_http_ops;
		gateway->tokens = gateway->config->rate_per_second;
		gateway->refilled_at_ms = sms_monotonic_ms();
		gateway->drain = evtimer_new(hub_channel_event_base(
		    module->channel), sms_gateway_on_drain, gateway);
		if (gateway->drain == NULL)
			return -1;
	}
	return 0;
}

/* Texts still queued are reported as failed for now, so that the hub's
 * send queue sends them again after a restart; answers are dropped. */
void
sms_gateways_stop(struct sms_module *module)
{
	module->stopping = true;
	for (size_t i = 0; i < module->config.gateway_count; i++) {
		struct sms_gateway *gateway = &module->gateways[i];

		while (gateway->queue_head != NULL) {
			struct sms_outbound *out = gateway->queue_head;

			gateway->queue_head = out->next;
			gateway->queued--;
			sms_outbound_finish(out, 1, "the hub is stopping");
		}
		gateway->queue_tail = NULL;
		if (gateway->drain != NULL) {
			event_free(gateway->drain);
			gateway->drain = NULL;
		}
	}
	while (module->answers_waiting != NULL) {
		struct sms_outbound *out = module->answers_waiting;

		module->answers_waiting = out->next;
		sms_outbound_free(out);
	}
}
