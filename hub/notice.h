/*
 * Notices to citizens: when a ticket's status changes to one of
 * replies.notice_statuses, the hub queues an automatic message (kind "ack",
 * direction "out") about it for the citizen, in their language, through
 * the channel of their latest message. The notice of "resolved" asks them to
 * rate the handling from 1 to 5 on their status page.
 *
 * The notice is rendered on the "ticket.status_changed" event {ticket_id,
 * code, from, to, agent_id}, stored, then announced with "message.queued"
 * for the send queue. A ticket merged into another gets no notice. Runs on
 * the main thread.
 */
#ifndef HUB_NOTICE_H
#define HUB_NOTICE_H

#include "replies.h"

struct notices;

/* Subscribes to "ticket.status_changed" on context->events. Returns NULL
 * when out of memory or without events. */
struct notices *notice_start(const struct replies_context *context);

/* Stops queueing notices. Jobs already submitted still complete, so call
 * it before the store closes and notice_free after. */
void notice_stop(struct notices *notices);

void notice_free(struct notices *notices);

#endif
