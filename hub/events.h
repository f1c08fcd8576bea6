/*
 * In-process events: every change the pipeline commits is published here
 * for subscribers in the daemon (the live console, metrics). The durable
 * copy for platform services is the outbox row written in the same
 * transaction.
 */
#ifndef HUB_EVENTS_H
#define HUB_EVENTS_H

#include <jansson.h>

struct events;

/* payload is borrowed for the call. */
typedef void (*events_handler_fn)(const char *event, const json_t *payload,
    void *arg);

struct events *events_new(void);
void events_free(struct events *events);

/* Returns a subscription id (> 0) or -1. */
int events_subscribe(struct events *events, events_handler_fn handler, void *arg);
void events_unsubscribe(struct events *events, int id);

/* Calls every subscriber, in subscription order, on the calling thread. */
void events_publish(struct events *events, const char *event,
    const json_t *payload);

#endif
