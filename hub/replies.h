/*
 * Replies to citizens: what the send queue (sendq.c) and the notices of
 * status changes (notice.c) share, and the rendering of the texts they
 * send (replies_render.c).
 *
 * When texts are rendered: an agent's reply is stored as the agent wrote
 * it and wrapped in replies/reply.txt (or .sms) when it is sent, in the
 * citizen's language of that moment. The stored body thus stays the
 * agent's own words for the console and for search. A notice of the hub
 * has no words of an agent, so it is rendered when it is queued
 * (replies/status.txt, replies/resolved.txt, or .sms) and stored as sent.
 */
#ifndef HUB_REPLIES_H
#define HUB_REPLIES_H

#include <jansson.h>

#include "template.h"

struct event_base;
struct events;
struct hub_channel;
struct hub_config;
struct metrics;
struct store;
struct store_sendq_addressee;
struct store_sendq_message;
struct templates;

/* The loaded channel called name, or NULL when none is. */
typedef struct hub_channel *(*replies_find_channel_fn)(const char *name,
    void *arg);

/* The daemon's parts that replies use; they outlive the users. */
struct replies_context {
	struct event_base *base;
	struct store *store;
	struct templates *templates;
	struct events *events;		/* NULL: nothing is published */
	struct metrics *metrics;	/* NULL: nothing is counted */
	const struct hub_config *config;
	replies_find_channel_fn find_channel;
	void *find_channel_arg;
};

/* The output kind of texts for channel: SMS for a channel with
 * HUB_CHANNEL_SMS_TEXT, plain text for any other or for NULL. */
enum template_output replies_output(const struct hub_channel *channel);

/* The text sent for message through a channel of output: a reply wrapped
 * in replies/reply, any other kind as stored. Returns a new string, or
 * NULL with errno set as templates_render sets it. */
char *replies_render_message(const struct replies_context *context,
    const struct store_sendq_message *message, enum template_output output);

/* Renders the notice of a ticket's move to status to: replies/resolved
 * (with the satisfaction question) for "resolved", else replies/status.
 * channel names the channel it goes through. Returns a new string, or NULL
 * with errno set. */
char *replies_render_notice(const struct replies_context *context,
    const struct store_sendq_addressee *addressee, const char *channel,
    const char *to, enum template_output output);

#endif
