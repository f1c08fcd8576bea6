#include <stdio.h>

#include "check_suites.h"
#include "ratelimit.h"

START_TEST(burst_then_refused)
{
	struct ratelimit *limit = ratelimit_new(60, 5, 100);
	int retry_after = -1;

	ck_assert_ptr_nonnull(limit);
	for (int i = 0; i < 5; i++)
		ck_assert_msg(ratelimit_take(limit, "192.0.2.1", 0, NULL),
		    "token %d of the burst refused", i + 1);
	ck_assert(!ratelimit_take(limit, "192.0.2.1", 0, &retry_after));
	ck_assert_int_eq(retry_after, 1);
	ratelimit_free(limit);
}
END_TEST

START_TEST(refill_over_time)
{
	/* 60 a minute: one token each second. */
	struct ratelimit *limit = ratelimit_new(60, 2, 100);
	int retry_after = -1;

	ck_assert(ratelimit_take(limit, "k", 0, NULL));
	ck_assert(ratelimit_take(limit, "k", 0, NULL));
	ck_assert(!ratelimit_take(limit, "k", 0, NULL));
	ck_assert(!ratelimit_take(limit, "k", 999, &retry_after));
	ck_assert_int_eq(retry_after, 1);
	ck_assert(ratelimit_take(limit, "k", 1000, NULL));
	ck_assert(!ratelimit_take(limit, "k", 1000, NULL));

	/* A long pause refills only up to the burst. */
	ck_assert(ratelimit_take(limit, "k", 600000, NULL));
	ck_assert(ratelimit_take(limit, "k", 600000, NULL));
	ck_assert(!ratelimit_take(limit, "k", 600000, NULL));
	ratelimit_free(limit);
}
END_TEST

START_TEST(retry_after_slow_rate)
{
	/* 2 a minute: the next token comes 30 seconds after the last. */
	struct ratelimit *limit = ratelimit_new(2, 1, 100);
	int retry_after = -1;

	ck_assert(ratelimit_take(limit, "k", 1000, NULL));
	ck_assert(!ratelimit_take(limit, "k", 1000, &retry_after));
	ck_assert_int_eq(retry_after, 30);
	ck_assert(!ratelimit_take(limit, "k", 21000, &retry_after));
	ck_assert_int_eq(retry_after, 10);
	ck_assert(ratelimit_take(limit, "k", 31000, NULL));
	ratelimit_free(limit);
}
END_TEST

START_TEST(keys_independent)
{
	struct ratelimit *limit = ratelimit_new(60, 1, 100);

	ck_assert(ratelimit_take(limit, "198.51.100.1", 0, NULL));
	ck_assert(!ratelimit_take(limit, "198.51.100.1", 0, NULL));
	ck_assert(ratelimit_take(limit, "198.51.100.2", 0, NULL));
	ck_assert(!ratelimit_take(limit, "198.51.100.2", 0, NULL));
	ck_assert_uint_eq(ratelimit_size(limit), 2);
	ratelimit_free(limit);
}
END_TEST

START_TEST(zero_per_minute_no_limit)
{
	struct ratelimit *limit = ratelimit_new(0, 1, 10);

	ck_assert_ptr_nonnull(limit);
	for (int i = 0; i < 1000; i++)
		ck_assert(ratelimit_take(limit, "k", 0, NULL));
	ck_assert_uint_eq(ratelimit_size(limit), 0);
	ratelimit_free(limit);
}
END_TEST

START_TEST(map_stays_bounded)
{
	struct ratelimit *limit = ratelimit_new(1, 1, 10);
	char key[32];

	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof key, "key-%d", i);
		ck_assert(ratelimit_take(limit, key, i, NULL));
		ck_assert_uint_le(ratelimit_size(limit), 10);
	}
	ck_assert_uint_eq(ratelimit_size(limit), 10);
	ratelimit_free(limit);
}
END_TEST

START_TEST(eviction_drops_least_recent)
{
	struct ratelimit *limit = ratelimit_new(1, 1, 10);
	char key[32];

	/* Ten drained buckets, key-0 the least recently used. */
	for (int i = 0; i < 10; i++) {
		snprintf(key, sizeof key, "key-%d", i);
		ck_assert(ratelimit_take(limit, key, 0, NULL));
	}
	ck_assert(ratelimit_take(limit, "key-new", 1, NULL));
	ck_assert_uint_eq(ratelimit_size(limit), 10);

	/* key-9 kept its drained bucket, but key-0 was dropped and starts full. */
	ck_assert(!ratelimit_take(limit, "key-9", 2, NULL));
	ck_assert(ratelimit_take(limit, "key-0", 2, NULL));
	ratelimit_free(limit);
}
END_TEST

START_TEST(eviction_prefers_refilled)
{
	struct ratelimit *limit = ratelimit_new(60, 1, 10);
	char key[32];

	for (int i = 0; i < 10; i++) {
		snprintf(key, sizeof key, "key-%d", i);
		ck_assert(ratelimit_take(limit, key, 0, NULL));
	}
	/* Two minutes later every bucket has refilled and carries nothing. */
	ck_assert(ratelimit_take(limit, "key-new", 120000, NULL));
	ck_assert_uint_eq(ratelimit_size(limit), 1);
	ratelimit_free(limit);
}
END_TEST

START_TEST(new_rejects_bad_arguments)
{
	ck_assert_ptr_null(ratelimit_new(-1, 1, 10));
	ck_assert_ptr_null(ratelimit_new(60, 0, 10));
	ck_assert_ptr_null(ratelimit_new(60, 1, 0));
}
END_TEST

Suite *
ratelimit_suite(void)
{
	Suite *suite = suite_create("ratelimit");
	TCase *tcase = tcase_create("buckets");

	tcase_add_test(tcase, burst_then_refused);
	tcase_add_test(tcase, refill_over_time);
	tcase_add_test(tcase, retry_after_slow_rate);
	tcase_add_test(tcase, keys_independent);
	tcase_add_test(tcase, zero_per_minute_no_limit);
	tcase_add_test(tcase, map_stays_bounded);
	tcase_add_test(tcase, eviction_drops_least_recent);
	tcase_add_test(tcase, eviction_prefers_refilled);
	tcase_add_test(tcase, new_rejects_bad_arguments);
	suite_add_tcase(suite, tcase);
	return suite;
}
