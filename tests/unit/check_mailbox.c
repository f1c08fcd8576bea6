#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include <event2/event.h>

#include "check_loop.h"
#include "check_suites.h"
#include "mailbox.h"

#define CHECK_MAILBOX_PRODUCERS 4
#define CHECK_MAILBOX_PER_PRODUCER 50000
#define CHECK_MAILBOX_BURST 5000

/* One message: who posted it and its place in that producer's sequence. */
struct check_mailbox_message {
	int	producer;
	int	sequence;
};

/* Receiver state, touched only on the loop thread. */
struct check_mailbox_receiver {
	pthread_t		 loop_thread;
	struct mailbox		*mailbox;
	int			 next[CHECK_MAILBOX_PRODUCERS];
	int			 total;
	int			 expected;
	int			 out_of_order;
	int			 wrong_thread;
	int			 free_after;	/* frees the mailbox at this count */
	struct check_mailbox_message *repost;	/* posted one by one */
	int			 depth;
	int			 nested;
	bool			 done;
};

struct check_mailbox_producer {
	struct mailbox			*mailbox;
	pthread_barrier_t		*start;
	struct check_mailbox_message	*messages;
	int				 failed_posts;
};

static struct event_base		*check_mailbox_base;
static struct check_mailbox_receiver	 check_mailbox_receiver;
static int				 check_mailbox_discarded;

static void
check_mailbox_count_discard(void *message)
{
	(void)message;
	check_mailbox_discarded++;
}

static void
check_mailbox_setup(void)
{
	check_mailbox_base = event_base_new();
	ck_assert_ptr_nonnull(check_mailbox_base);
	check_mailbox_receiver = (struct check_mailbox_receiver){
		.loop_thread = pthread_self(),
	};
}

static void
check_mailbox_teardown(void)
{
	event_base_free(check_mailbox_base);
}

static void
check_mailbox_handle(void *message, void *arg)
{
	struct check_mailbox_receiver	*receiver = arg;
	struct check_mailbox_message	*m = message;

	if (receiver->depth++ > 0)
		receiver->nested++;
	if (!pthread_equal(pthread_self(), receiver->loop_thread))
		receiver->wrong_thread++;
	if (m->sequence != receiver->next[m->producer])
		receiver->out_of_order++;
	receiver->next[m->producer] = m->sequence + 1;
	receiver->total++;
	if (receiver->total == receiver->expected)
		receiver->done = true;
	if (receiver->repost != NULL && receiver->total < receiver->expected)
		mailbox_post(receiver->mailbox, &receiver->repost[m->sequence + 1]);
	receiver->depth--;
	if (receiver->total == receiver->free_after)
		mailbox_free(receiver->mailbox, check_mailbox_count_discard);
}

static struct check_mailbox_message *
check_mailbox_messages(int producer, int count)
{
	struct check_mailbox_message	*messages;

	messages = calloc((size_t)count, sizeof(*messages));
	ck_assert_ptr_nonnull(messages);
	for (int i = 0; i < count; i++) {
		messages[i].producer = producer;
		messages[i].sequence = i;
	}
	return messages;
}

static struct mailbox *
check_mailbox_open(int expected)
{
	struct check_mailbox_receiver	*receiver = &check_mailbox_receiver;

	receiver->expected = expected;
	receiver->mailbox = mailbox_new(check_mailbox_base, check_mailbox_handle,
	    receiver);
	ck_assert_ptr_nonnull(receiver->mailbox);
	return receiver->mailbox;
}

START_TEST(mailbox_single_producer_order)
{
	struct check_mailbox_receiver	*receiver = &check_mailbox_receiver;
	struct check_mailbox_message	*messages;
	struct mailbox			*mailbox;

	messages = check_mailbox_messages(0, 1000);
	mailbox = check_mailbox_open(1000);
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(mailbox_post(mailbox, &messages[i]), 0);

	ck_assert(check_loop_run(check_mailbox_base, &receiver->done, 2000));
	ck_assert_int_eq(receiver->total, 1000);
	ck_assert_int_eq(receiver->out_of_order, 0);
	ck_assert_int_eq(receiver->wrong_thread, 0);
	ck_assert_int_eq(receiver->next[0], 1000);
	ck_assert_uint_eq(mailbox_pending(mailbox), 0);

	mailbox_free(mailbox, NULL);
	free(messages);
}
END_TEST

static void *
check_mailbox_produce(void *arg)
{
	struct check_mailbox_producer	*producer = arg;

	pthread_barrier_wait(producer->start);
	for (int i = 0; i < CHECK_MAILBOX_PER_PRODUCER; i++) {
		if (mailbox_post(producer->mailbox, &producer->messages[i]) != 0)
			producer->failed_posts++;
	}
	return NULL;
}

START_TEST(mailbox_four_producers)
{
	struct check_mailbox_receiver	*receiver = &check_mailbox_receiver;
	struct check_mailbox_producer	 producers[CHECK_MAILBOX_PRODUCERS];
	pthread_t			 threads[CHECK_MAILBOX_PRODUCERS];
	pthread_barrier_t		 start;
	struct mailbox			*mailbox;
	const int			 total = CHECK_MAILBOX_PRODUCERS *
					    CHECK_MAILBOX_PER_PRODUCER;

	mailbox = check_mailbox_open(total);
	pthread_barrier_init(&start, NULL, CHECK_MAILBOX_PRODUCERS);
	for (int p = 0; p < CHECK_MAILBOX_PRODUCERS; p++) {
		producers[p] = (struct check_mailbox_producer){
			.mailbox = mailbox,
			.start = &start,
			.messages = check_mailbox_messages(p,
			    CHECK_MAILBOX_PER_PRODUCER),
		};
		ck_assert_int_eq(pthread_create(&threads[p], NULL,
		    check_mailbox_produce, &producers[p]), 0);
	}

	ck_assert(check_loop_run(check_mailbox_base, &receiver->done, 10000));
	for (int p = 0; p < CHECK_MAILBOX_PRODUCERS; p++) {
		pthread_join(threads[p], NULL);
		ck_assert_int_eq(producers[p].failed_posts, 0);
		ck_assert_int_eq(receiver->next[p], CHECK_MAILBOX_PER_PRODUCER);
		free(producers[p].messages);
	}
	ck_assert_int_eq(receiver->total, total);
	ck_assert_int_eq(receiver->out_of_order, 0);
	ck_assert_int_eq(receiver->wrong_thread, 0);
	ck_assert_uint_eq(mailbox_pending(mailbox), 0);

	pthread_barrier_destroy(&start);
	mailbox_free(mailbox, NULL);
}
END_TEST

/* Discard callback state: the mailbox being freed, and what discard saw. */
static struct mailbox	*check_mailbox_closing;
static int		 check_mailbox_discard_order_errors;
static int		 check_mailbox_post_errno;

static void
check_mailbox_discard(void *message)
{
	struct check_mailbox_message	*m = message;
	static struct check_mailbox_message extra = { 0, -1 };

	if (m->sequence != check_mailbox_discarded)
		check_mailbox_discard_order_errors++;
	check_mailbox_discarded++;

	errno = 0;
	if (mailbox_post(check_mailbox_closing, &extra) == -1)
		check_mailbox_post_errno = errno;
}

START_TEST(mailbox_post_after_free_epipe)
{
	struct check_mailbox_message	*messages;
	struct mailbox			*mailbox;

	messages = check_mailbox_messages(0, 3);
	mailbox = check_mailbox_open(3);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(mailbox_post(mailbox, &messages[i]), 0);

	check_mailbox_closing = mailbox;
	check_mailbox_discarded = 0;
	check_mailbox_discard_order_errors = 0;
	check_mailbox_post_errno = 0;
	mailbox_free(mailbox, check_mailbox_discard);

	ck_assert_int_eq(check_mailbox_discarded, 3);
	ck_assert_int_eq(check_mailbox_discard_order_errors, 0);
	ck_assert_int_eq(check_mailbox_post_errno, EPIPE);
	ck_assert_int_eq(check_mailbox_receiver.total, 0);
	free(messages);
}
END_TEST

START_TEST(mailbox_pending_count)
{
	struct check_mailbox_receiver	*receiver = &check_mailbox_receiver;
	struct check_mailbox_message	*messages;
	struct mailbox			*mailbox;

	messages = check_mailbox_messages(0, 5);
	mailbox = check_mailbox_open(5);
	ck_assert_uint_eq(mailbox_pending(mailbox), 0);
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(mailbox_post(mailbox, &messages[i]), 0);
		ck_assert_uint_eq(mailbox_pending(mailbox), (size_t)i + 1);
	}

	ck_assert(check_loop_run(check_mailbox_base, &receiver->done, 2000));
	ck_assert_uint_eq(mailbox_pending(mailbox), 0);

	mailbox_free(mailbox, NULL);
	free(messages);
}
END_TEST

START_TEST(mailbox_drain_delivers_now)
{
	struct check_mailbox_receiver	*receiver = &check_mailbox_receiver;
	struct check_mailbox_message	*messages;
	struct mailbox			*mailbox;

	messages = check_mailbox_messages(0, 10);
	mailbox = check_mailbox_open(10);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(mailbox_post(mailbox, &messages[i]), 0);

	mailbox_drain(mailbox);
	ck_assert_int_eq(receiver->total, 10);
	ck_assert_int_eq(receiver->out_of_order, 0);
	ck_assert_uint_eq(mailbox_pending(mailbox), 0);

	/* The wake-up still pending must not deliver anything twice. */
	event_base_loop(check_mailbox_base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(receiver->total, 10);

	mailbox_free(mailbox, NULL);
	free(messages);
}
END_TEST

static void
check_mailbox_record_total(evutil_socket_t fd, short what, void *arg)
{
	int	*seen = arg;

	(void)fd;
	(void)what;
	*seen = check_mailbox_receiver.total;
}

START_TEST(mailbox_burst_yields_to_loop)
{
	struct check_mailbox_receiver	*receiver = &check_mailbox_receiver;
	struct check_mailbox_message	*messages;
	struct mailbox			*mailbox;
	struct event			*timer;
	struct timeval			 now = { 0, 0 };
	int				 seen = -1;

	messages = check_mailbox_messages(0, CHECK_MAILBOX_BURST);
	mailbox = check_mailbox_open(CHECK_MAILBOX_BURST);
	for (int i = 0; i < CHECK_MAILBOX_BURST; i++)
		ck_assert_int_eq(mailbox_post(mailbox, &messages[i]), 0);
	timer = evtimer_new(check_mailbox_base, check_mailbox_record_total,
	    &seen);
	evtimer_add(timer, &now);

	ck_assert(check_loop_run(check_mailbox_base, &receiver->done, 2000));
	ck_assert_int_gt(seen, 0);
	ck_assert_int_lt(seen, CHECK_MAILBOX_BURST);
	ck_assert_int_eq(receiver->out_of_order, 0);
	ck_assert_int_eq(receiver->total, CHECK_MAILBOX_BURST);

	event_free(timer);
	mailbox_free(mailbox, NULL);
	free(messages);
}
END_TEST

START_TEST(mailbox_free_from_handler)
{
	struct check_mailbox_receiver	*receiver = &check_mailbox_receiver;
	struct check_mailbox_message	*messages;
	struct mailbox			*mailbox;
	bool				 never = false;

	messages = check_mailbox_messages(0, 10);
	mailbox = check_mailbox_open(10);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(mailbox_post(mailbox, &messages[i]), 0);
	receiver->free_after = 3;

	/* mailbox_free runs inside the third handler. */
	check_mailbox_discarded = 0;
	check_loop_run(check_mailbox_base, &never, 100);
	ck_assert_int_eq(receiver->total, 3);
	ck_assert_int_eq(check_mailbox_discarded, 7);
	free(messages);
}
END_TEST

START_TEST(mailbox_post_from_handler)
{
	struct check_mailbox_receiver	*receiver = &check_mailbox_receiver;
	struct check_mailbox_message	*messages;
	struct mailbox			*mailbox;

	/* Each handler posts the next message to its own mailbox. */
	messages = check_mailbox_messages(0, 10);
	mailbox = check_mailbox_open(10);
	receiver->repost = messages;
	ck_assert_int_eq(mailbox_post(mailbox, &messages[0]), 0);

	ck_assert(check_loop_run(check_mailbox_base, &receiver->done, 2000));
	ck_assert_int_eq(receiver->total, 10);
	ck_assert_int_eq(receiver->out_of_order, 0);
	ck_assert_int_eq(receiver->nested, 0);
	ck_assert_uint_eq(mailbox_pending(mailbox), 0);

	check_mailbox_discarded = 0;
	mailbox_free(mailbox, check_mailbox_count_discard);
	ck_assert_int_eq(check_mailbox_discarded, 0);
	free(messages);
}
END_TEST

Suite *
mailbox_suite(void)
{
	Suite	*suite = suite_create("mailbox");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, check_mailbox_setup,
	    check_mailbox_teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, mailbox_single_producer_order);
	tcase_add_test(tc, mailbox_four_producers);
	tcase_add_test(tc, mailbox_post_after_free_epipe);
	tcase_add_test(tc, mailbox_pending_count);
	tcase_add_test(tc, mailbox_drain_delivers_now);
	tcase_add_test(tc, mailbox_burst_yields_to_loop);
	tcase_add_test(tc, mailbox_free_from_handler);
	tcase_add_test(tc, mailbox_post_from_handler);
	suite_add_tcase(suite, tc);
	return suite;
}
