#include <stdlib.h>

#include "events.h"

struct events_subscriber {
	int id;
	events_handler_fn handler;
	void *arg;
	struct events_subscriber *next;
};

struct events {
	struct events_subscriber *subscribers;	/* in subscription order */
	int last_id;
};

struct events *
events_new(void)
{
	return calloc(1, sizeof(struct events));
}

void
events_free(struct events *events)
{
	struct events_subscriber *subscriber, *next;

	if (events == NULL)
		return;
	for (subscriber = events->subscribers; subscriber != NULL;
	    subscriber = next) {
		next = subscriber->next;
		free(subscriber);
	}
	free(events);
}

int
events_subscribe(struct events *events, events_handler_fn handler, void *arg)
{
	struct events_subscriber *subscriber, **tail;

	subscriber = calloc(1, sizeof(*subscriber));
	if (subscriber == NULL)
		return -1;
	subscriber->id = ++events->last_id;
	subscriber->handler = handler;
	subscriber->arg = arg;

	tail = &events->subscribers;
	while (*tail != NULL)
		tail = &(*tail)->next;
	*tail = subscriber;
	return subscriber->id;
}

void
events_unsubscribe(struct events *events, int id)
{
	struct events_subscriber **link, *subscriber;

	for (link = &events->subscribers; *link != NULL; link = &(*link)->next) {
		subscriber = *link;
		if (subscriber->id == id) {
			*link = subscriber->next;
			free(subscriber);
			return;
		}
	}
}

void
events_publish(struct events *events, const char *event, const json_t *payload)
{
	struct events_subscriber *subscriber, *next;

	if (events == NULL)
		return;
	/* A handler may unsubscribe itself, so the next link is read first. */
	for (subscriber = events->subscribers; subscriber != NULL;
	    subscriber = next) {
		next = subscriber->next;
		subscriber->handler(event, payload, subscriber->arg);
	}
}
