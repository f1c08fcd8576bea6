/*
 * Mailbox: a mutex-protected singly linked queue and an eventfd that wakes the
 * receiving event_base.
 *
 * A post writes to the eventfd only when it finds the queue empty, so a burst
 * of posts costs one system call. The receiver reads the eventfd first and then
 * takes the whole queue in one swap under the lock. A post that lands after
 * the swap finds the queue empty again and writes the eventfd, so no wake-up
 * is lost. Handlers run outside the lock.
 *
 * Taken messages wait in the receiver-only list "batch". One callback handles
 * at most MAILBOX_BATCH_MAX messages and then schedules itself again through a
 * zero timeout, so that libevent polls other sockets between batches.
 */
#include <sys/eventfd.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "mailbox.h"

#define MAILBOX_BATCH_MAX 1024

struct mailbox_entry {
	struct mailbox_entry	*next;
	void			*message;
};

struct mailbox {
	pthread_mutex_t		 lock;
	struct mailbox_entry	*head;		/* under lock */
	struct mailbox_entry	*tail;		/* under lock */
	bool			 closed;	/* under lock */
	atomic_size_t		 pending;

	int			 eventfd;
	struct event		*wakeup;
	struct event		*resume;
	mailbox_handler_fn	 handler;
	void			*arg;

	/* Receiving thread only. */
	struct mailbox_entry	*batch;
	int			 delivering;
	bool			 free_deferred;
	void			(*discard)(void *);
};

static void	mailbox_wakeup_cb(evutil_socket_t, short, void *);
static void	mailbox_resume_cb(evutil_socket_t, short, void *);
static void	mailbox_destroy(struct mailbox *);

static int
mailbox_open_events(struct mailbox *mailbox, struct event_base *base)
{
	mailbox->eventfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (mailbox->eventfd == -1)
		return -1;

	mailbox->wakeup = event_new(base, mailbox->eventfd, EV_READ | EV_PERSIST,
	    mailbox_wakeup_cb, mailbox);
	mailbox->resume = evtimer_new(base, mailbox_resume_cb, mailbox);
	if (mailbox->wakeup == NULL || mailbox->resume == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (event_add(mailbox->wakeup, NULL) == -1) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static void
mailbox_close_events(struct mailbox *mailbox)
{
	if (mailbox->wakeup != NULL)
		event_free(mailbox->wakeup);
	if (mailbox->resume != NULL)
		event_free(mailbox->resume);
	if (mailbox->eventfd != -1)
		close(mailbox->eventfd);
}

struct mailbox *
mailbox_new(struct event_base *base, mailbox_handler_fn handler, void *arg)
{
	struct mailbox	*mailbox;
	int		 saved_errno;

	mailbox = calloc(1, sizeof(*mailbox));
	if (mailbox == NULL)
		return NULL;

	mailbox->eventfd = -1;
	mailbox->handler = handler;
	mailbox->arg = arg;
	atomic_init(&mailbox->pending, 0);

	errno = pthread_mutex_init(&mailbox->lock, NULL);
	if (errno != 0) {
		free(mailbox);
		return NULL;
	}
	if (mailbox_open_events(mailbox, base) == -1) {
		saved_errno = errno;
		log_error("mailbox", "creating the wake-up failed: %s",
		    strerror(saved_errno));
		mailbox_close_events(mailbox);
		pthread_mutex_destroy(&mailbox->lock);
		free(mailbox);
		errno = saved_errno;
		return NULL;
	}
	return mailbox;
}

static void
mailbox_signal(struct mailbox *mailbox)
{
	uint64_t	one = 1;

	/*
	 * EAGAIN means the counter is at its maximum, so the receiver is woken
	 * anyway.
	 */
	if (write(mailbox->eventfd, &one, sizeof(one)) == -1 && errno != EAGAIN)
		log_error("mailbox", "writing the eventfd failed: fd=%d: %s",
		    mailbox->eventfd, strerror(errno));
}

int
mailbox_post(struct mailbox *mailbox, void *message)
{
	struct mailbox_entry	*entry;
	bool			 was_empty;

	entry = malloc(sizeof(*entry));
	if (entry == NULL)
		return -1;
	entry->next = NULL;
	entry->message = message;

	pthread_mutex_lock(&mailbox->lock);
	if (mailbox->closed) {
		pthread_mutex_unlock(&mailbox->lock);
		free(entry);
		errno = EPIPE;
		return -1;
	}
	was_empty = mailbox->head == NULL;
	if (was_empty)
		mailbox->head = entry;
	else
		mailbox->tail->next = entry;
	mailbox->tail = entry;
	atomic_fetch_add_explicit(&mailbox->pending, 1, memory_order_relaxed);
	pthread_mutex_unlock(&mailbox->lock);

	if (was_empty)
		mailbox_signal(mailbox);
	return 0;
}

size_t
mailbox_pending(struct mailbox *mailbox)
{
	return atomic_load_explicit(&mailbox->pending, memory_order_relaxed);
}

/* Moves the whole queue to the batch list. Returns false if it was empty. */
static bool
mailbox_take(struct mailbox *mailbox)
{
	struct mailbox_entry	*entries;

	pthread_mutex_lock(&mailbox->lock);
	entries = mailbox->head;
	mailbox->head = NULL;
	mailbox->tail = NULL;
	pthread_mutex_unlock(&mailbox->lock);

	mailbox->batch = entries;
	return entries != NULL;
}

/*
 * Handles up to limit messages, refilling the batch from the queue at most
 * refills times. Entries are popped from mailbox->batch one at a time, so a
 * handler that calls mailbox_drain continues the same list in order. Returns
 * the number of messages handled.
 */
static size_t
mailbox_deliver(struct mailbox *mailbox, size_t limit, int refills)
{
	struct mailbox_entry	*entry;
	size_t			 handled = 0;

	mailbox->delivering++;
	while (handled < limit && !mailbox->free_deferred) {
		if (mailbox->batch == NULL) {
			if (refills-- == 0 || !mailbox_take(mailbox))
				break;
		}
		entry = mailbox->batch;
		mailbox->batch = entry->next;

		mailbox->handler(entry->message, mailbox->arg);
		free(entry);
		atomic_fetch_sub_explicit(&mailbox->pending, 1,
		    memory_order_relaxed);
		handled++;
	}
	mailbox->delivering--;
	return handled;
}

/*
 * Runs one bounded batch. Returns true when the mailbox was freed by one of
 * the handlers, so the caller must not touch it again.
 */
static bool
mailbox_run_batch(struct mailbox *mailbox)
{
	size_t	handled;

	handled = mailbox_deliver(mailbox, MAILBOX_BATCH_MAX, -1);
	if (mailbox->free_deferred && mailbox->delivering == 0) {
		mailbox_destroy(mailbox);
		return true;
	}

	/*
	 * The batch may have consumed the wake-up of messages still queued, so
	 * a full batch always schedules another round.
	 */
	if (handled == MAILBOX_BATCH_MAX && !mailbox->free_deferred) {
		static const struct timeval	now = { 0, 0 };

		evtimer_add(mailbox->resume, &now);
	}
	return false;
}

static void
mailbox_wakeup_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mailbox	*mailbox = arg;
	uint64_t	 count;

	(void)what;
	if (read(fd, &count, sizeof(count)) == -1 && errno != EAGAIN)
		log_error("mailbox", "reading the eventfd failed: fd=%d: %s",
		    (int)fd, strerror(errno));

	mailbox_run_batch(mailbox);
}

static void
mailbox_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	mailbox_run_batch(arg);
}

void
mailbox_drain(struct mailbox *mailbox)
{
	/* The batch left by an earlier round, then one swap of the queue. */
	mailbox_deliver(mailbox, SIZE_MAX, 1);
	if (mailbox->free_deferred && mailbox->delivering == 0)
		mailbox_destroy(mailbox);
}

static void
mailbox_discard_list(struct mailbox_entry *entry, void (*discard)(void *))
{
	struct mailbox_entry	*next;

	for (; entry != NULL; entry = next) {
		next = entry->next;
		if (discard != NULL)
			discard(entry->message);
		free(entry);
	}
}

static void
mailbox_destroy(struct mailbox *mailbox)
{
	struct mailbox_entry	*queued;

	pthread_mutex_lock(&mailbox->lock);
	queued = mailbox->head;
	mailbox->head = NULL;
	mailbox->tail = NULL;
	pthread_mutex_unlock(&mailbox->lock);

	/* The batch was posted before anything still in the queue. */
	mailbox_discard_list(mailbox->batch, mailbox->discard);
	mailbox->batch = NULL;
	mailbox_discard_list(queued, mailbox->discard);

	mailbox_close_events(mailbox);
	pthread_mutex_destroy(&mailbox->lock);
	free(mailbox);
}

void
mailbox_free(struct mailbox *mailbox, void (*discard)(void *message))
{
	if (mailbox == NULL)
		return;

	pthread_mutex_lock(&mailbox->lock);
	mailbox->closed = true;
	pthread_mutex_unlock(&mailbox->lock);

	/*
	 * Inside one of this mailbox's handlers, the delivery loop further up
	 * the stack still uses the mailbox, so that loop frees it on return.
	 */
	mailbox->discard = discard;
	if (mailbox->delivering > 0) {
		mailbox->free_deferred = true;
		return;
	}
	mailbox_destroy(mailbox);
}
