/*
 * The media thread: an event_base with precise timers, a mailbox that
 * brings it struct ivr_media_msg, and the table of its calls by id.
 *
 * Every call of ivr_call.c runs here, so calls need no locks. Other
 * threads reach them only with media_thread_post. A message for an id the
 * table does not hold (the call ended meanwhile) is dropped.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "ivr_call.h"
#include "log.h"
#include "mailbox.h"
#include "media_thread.h"

#define MEDIA_LOG "media"
#define MEDIA_BUCKETS 256		/* a power of two */

struct media_entry {
	uint64_t id;
	struct ivr_call *call;
	struct media_entry *next;
};

struct media_thread {
	struct ivr *ivr;
	struct event_base *base;
	struct mailbox *mailbox;
	pthread_t thread;
	struct ivr_media_msg *stop_message;	/* made at start, so stopping
						 * needs no allocation */
	struct media_stats stats;

	/* Posts take the lock, so that none reaches the mailbox after
	 * media_thread_stop has closed it. */
	pthread_mutex_t post_lock;
	bool closed;

	/* Media thread only. */
	bool stopping;
	struct media_entry *buckets[MEDIA_BUCKETS];
};

static struct media_entry **
media_thread_slot(struct media_thread *media, uint64_t id)
{
	struct media_entry **slot = &media->buckets[id & (MEDIA_BUCKETS - 1)];

	while (*slot != NULL && (*slot)->id != id)
		slot = &(*slot)->next;
	return slot;
}

static struct ivr_call *
media_thread_find(struct media_thread *media, uint64_t id)
{
	struct media_entry *entry = *media_thread_slot(media, id);

	return entry != NULL ? entry->call : NULL;
}

static int
media_thread_insert(struct media_thread *media, uint64_t id,
    struct ivr_call *call)
{
	struct media_entry **slot = media_thread_slot(media, id);
	struct media_entry *entry = malloc(sizeof(*entry));

	if (entry == NULL)
		return -1;
	entry->id = id;
	entry->call = call;
	entry->next = NULL;
	*slot = entry;
	__atomic_fetch_add(&media->stats.calls, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&media->stats.active, 1, __ATOMIC_RELAXED);
	return 0;
}

void
media_thread_forget(struct media_thread *media, uint64_t id)
{
	struct media_entry **slot = media_thread_slot(media, id);
	struct media_entry *entry = *slot;

	if (entry == NULL)
		return;
	*slot = entry->next;
	free(entry);
	__atomic_fetch_sub(&media->stats.active, 1, __ATOMIC_RELAXED);
}

struct ivr *
media_thread_ivr(struct media_thread *media)
{
	return media->ivr;
}

struct event_base *
media_thread_base(struct media_thread *media)
{
	return media->base;
}

struct media_stats *
media_thread_counters(struct media_thread *media)
{
	return &media->stats;
}

/* Frees a message that no call will handle, closing a START's socket. */
static void
media_thread_discard(void *message)
{
	struct ivr_media_msg *msg = message;

	if (msg->type == IVR_MEDIA_START && msg->rtp_fd >= 0)
		close(msg->rtp_fd);
	free(msg);
}

static void
media_thread_start_call(struct media_thread *media,
    const struct ivr_media_msg *start)
{
	struct ivr_call *call;

	if (media_thread_find(media, start->call) != NULL) {
		log_error(MEDIA_LOG, "call started twice call=%llu",
		    (unsigned long long)start->call);
		close(start->rtp_fd);
		return;
	}
	if ((call = ivr_call_start(media, start)) == NULL)
		return;
	if (media_thread_insert(media, start->call, call) != 0) {
		log_error(MEDIA_LOG, "no memory for the call call=%llu",
		    (unsigned long long)start->call);
		ivr_call_end(call, "error");
	}
}

/* Ends every call. Each ends by media_thread_forget; one that does not is
 * taken out of the table here, so the loop always ends. */
static void
media_thread_end_all(struct media_thread *media)
{
	for (size_t i = 0; i < MEDIA_BUCKETS; i++) {
		while (media->buckets[i] != NULL) {
			uint64_t id = media->buckets[i]->id;

			ivr_call_end(media->buckets[i]->call, "shutdown");
			if (media->buckets[i] != NULL &&
			    media->buckets[i]->id == id) {
				log_error(MEDIA_LOG, "call not forgotten at its "
				    "end call=%llu", (unsigned long long)id);
				media_thread_forget(media, id);
			}
		}
	}
}

static void
media_thread_dispatch(struct media_thread *media,
    const struct ivr_media_msg *msg)
{
	struct ivr_call *call = media_thread_find(media, msg->call);

	if (call == NULL) {
		log_debug(MEDIA_LOG, "message for an ended call dropped "
		    "call=%llu type=%d", (unsigned long long)msg->call,
		    (int)msg->type);
		return;
	}
	if (msg->type == IVR_MEDIA_DIGIT)
		__atomic_fetch_add(&media->stats.digits[1], 1,
		    __ATOMIC_RELAXED);
	ivr_call_handle(call, msg);
}

/* The mailbox handler: owns message. */
static void
media_thread_receive(void *message, void *arg)
{
	struct media_thread *media = arg;
	struct ivr_media_msg *msg = message;

	if (media->stopping) {
		media_thread_discard(msg);
		return;
	}
	switch (msg->type) {
	case IVR_MEDIA_STOP:
		media->stopping = true;
		media_thread_end_all(media);
		event_base_loopbreak(media->base);
		break;
	case IVR_MEDIA_START:
		media_thread_start_call(media, msg);
		break;
	default:
		media_thread_dispatch(media, msg);
		break;
	}
	free(msg);
}

static void *
media_thread_run(void *arg)
{
	struct media_thread *media = arg;

	log_info(MEDIA_LOG, "media thread started method=%s",
	    event_base_get_method(media->base));
	event_base_loop(media->base, EVLOOP_NO_EXIT_ON_EMPTY);
	log_info(MEDIA_LOG, "media thread stopped");
	return NULL;
}

static struct event_base *
media_thread_new_base(void)
{
	struct event_config *config = event_config_new();
	struct event_base *base = NULL;

	if (config == NULL)
		return NULL;
	/* Precise timers: CLOCK_MONOTONIC, and with epoll a timerfd, where
	 * the default is the coarse monotonic clock (about 4 ms steps on
	 * Linux) and millisecond epoll_wait timeouts. No lock: only this
	 * thread touches the base, and the mailbox wakes it with an
	 * eventfd. */
	if (event_config_set_flag(config, EVENT_BASE_FLAG_PRECISE_TIMER) == 0 &&
	    event_config_set_flag(config, EVENT_BASE_FLAG_NOLOCK) == 0)
		base = event_base_new_with_config(config);
	event_config_free(config);
	return base;
}

void
media_thread_free(struct media_thread *media)
{
	if (media->mailbox != NULL)
		mailbox_free(media->mailbox, media_thread_discard);
	if (media->base != NULL)
		event_base_free(media->base);
	free(media->stop_message);
	pthread_mutex_destroy(&media->post_lock);
	free(media);
}

/* Starts the thread with every signal blocked, so that signals go to the
 * main thread's handlers. */
static int
media_thread_spawn(struct media_thread *media)
{
	sigset_t all, saved;
	int error;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &saved);
	error = pthread_create(&media->thread, NULL, media_thread_run, media);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (error == 0)
		pthread_setname_np(media->thread, "media");
	return error;
}

/* Runs the media thread under SCHED_FIFO when media_priority asks for it.
 * On a busy machine other processes preempt the thread for a few
 * milliseconds at a time, which delays packets past their 20 ms slot; a
 * real-time priority keeps the pacing. It needs CAP_SYS_NICE (or an
 * RLIMIT_RTPRIO that allows the priority); without it the thread keeps
 * normal scheduling and a warning says why. */
static void
media_thread_set_priority(struct media_thread *media, int priority)
{
	struct sched_param param = { .sched_priority = priority };
	int error;

	if (priority <= 0)
		return;
	error = pthread_setschedparam(media->thread, SCHED_FIFO, &param);
	if (error != 0)
		log_warn(MEDIA_LOG, "media thread keeps normal scheduling: "
		    "SCHED_FIFO priority %d refused: %s", priority,
		    strerror(error));
	else
		log_info(MEDIA_LOG, "media thread runs SCHED_FIFO priority=%d",
		    priority);
}

struct media_thread *
media_thread_start(struct ivr *ivr, struct config_error *err)
{
	struct media_thread *media = calloc(1, sizeof(*media));
	int error;

	if (media == NULL) {
		snprintf(err->message, sizeof(err->message),
		    "no memory for the media thread");
		return NULL;
	}
	media->ivr = ivr;
	pthread_mutex_init(&media->post_lock, NULL);
	media->stop_message = ivr_msg_new(sizeof(*media->stop_message),
	    IVR_MEDIA_STOP);
	media->base = media_thread_new_base();
	if (media->base != NULL)
		media->mailbox = mailbox_new(media->base, media_thread_receive,
		    media);
	if (media->stop_message == NULL || media->mailbox == NULL) {
		snprintf(err->message, sizeof(err->message),
		    "cannot create the media thread's event loop: %s",
		    strerror(errno));
		media_thread_free(media);
		return NULL;
	}
	if ((error = media_thread_spawn(media)) != 0) {
		snprintf(err->message, sizeof(err->message),
		    "cannot start the media thread: %s", strerror(error));
		media_thread_free(media);
		return NULL;
	}
	media_thread_set_priority(media, ivr->config.media_priority);
	return media;
}

int
media_thread_post(struct media_thread *media, struct ivr_media_msg *message)
{
	int status = -1;

	if (media == NULL) {
		media_thread_discard(message);
		return -1;
	}
	pthread_mutex_lock(&media->post_lock);
	if (!media->closed)
		status = mailbox_post(media->mailbox, message);
	pthread_mutex_unlock(&media->post_lock);
	if (status != 0)
		media_thread_discard(message);
	return status;
}

void
media_thread_stats(const struct media_thread *media, struct media_stats *stats)
{
	const uint64_t *from = (const uint64_t *)&media->stats;
	uint64_t *to = (uint64_t *)stats;

	/* struct media_stats is made of uint64_t only. */
	for (size_t i = 0; i < sizeof(*stats) / sizeof(uint64_t); i++)
		to[i] = __atomic_load_n(&from[i], __ATOMIC_RELAXED);
}

void
media_thread_stop(struct media_thread *media)
{
	struct ivr_media_msg *stop = media->stop_message;

	media->stop_message = NULL;
	/* The post fails only when the queue entry cannot be allocated, and
	 * the base has no lock for a loopbreak from this thread: wait for
	 * memory. */
	while (mailbox_post(media->mailbox, stop) != 0) {
		log_error(MEDIA_LOG, "posting the stop message failed, "
		    "retrying: %s", strerror(errno));
		usleep(100 * 1000);
	}
	pthread_join(media->thread, NULL);

	pthread_mutex_lock(&media->post_lock);
	media->closed = true;
	pthread_mutex_unlock(&media->post_lock);
}
