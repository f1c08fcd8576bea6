/*
 * Mailbox: a locked queue of messages plus a wake-up of the receiving
 * event loop. It is the only way threads hand work to each other: the SIP
 * thread and the worker pool post to the main thread's mailboxes, and the
 * main thread posts to theirs.
 *
 * The receiver's handler runs on the thread that runs the event_base given to
 * mailbox_new(), once per message, in the order messages were posted.
 */
#ifndef HUB_MAILBOX_H
#define HUB_MAILBOX_H

#include <stddef.h>

struct event_base;
struct mailbox;

/* Called on the receiving thread; owns message from then on. */
typedef void (*mailbox_handler_fn)(void *message, void *arg);

/* Creates a mailbox delivered on base's thread. Uses an eventfd for the
 * wake-up, so base needs no evthread set-up. Returns NULL with errno set. */
struct mailbox *mailbox_new(struct event_base *base, mailbox_handler_fn handler,
    void *arg);

/* Appends message and wakes the receiver. Safe from any thread. Returns 0,
 * or -1 with errno set (ENOMEM, or EPIPE once the mailbox is closed). */
int mailbox_post(struct mailbox *mailbox, void *message);

/* Number of messages posted and not yet handled. Safe from any thread. */
size_t mailbox_pending(struct mailbox *mailbox);

/* Delivers every pending message now, on the calling (receiving) thread. */
void mailbox_drain(struct mailbox *mailbox);

/* Stops accepting posts; messages still pending are passed to discard (if
 * not NULL) and the mailbox is freed. Call on the receiving thread after the
 * posting threads have stopped. */
void mailbox_free(struct mailbox *mailbox, void (*discard)(void *message));

#endif
