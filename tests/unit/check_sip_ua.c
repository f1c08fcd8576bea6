/* The SIP thread's pure parts: keys of INFO requests and the admission of
 * INVITEs by the call cap and the rate per source. */
#include <stdio.h>
#include <string.h>

#include "check_suites.h"
#include "sip_info.h"
#include "sip_limit.h"

static char
check_ua_relay(const char *body)
{
	return sip_info_dtmf_relay_key(body, strlen(body));
}

START_TEST(info_dtmf_relay_keys)
{
	ck_assert_int_eq(check_ua_relay("Signal=5\r\nDuration=160\r\n"), '5');
	ck_assert_int_eq(check_ua_relay("Signal= 0\r\nDuration=160\r\n"), '0');
	ck_assert_int_eq(check_ua_relay("Duration=250\r\nsignal = *\r\n"), '*');
	ck_assert_int_eq(check_ua_relay("Signal=#\n"), '#');
	ck_assert_int_eq(check_ua_relay("Signal=10\r\n"), '*');
	ck_assert_int_eq(check_ua_relay("Signal=11\r\n"), '#');
	ck_assert_int_eq(check_ua_relay("Signal=12\r\n"), 'A');
	ck_assert_int_eq(check_ua_relay("Signal=d"), 'D');
	ck_assert_int_eq(check_ua_relay("Signal=9"), '9');
}
END_TEST

START_TEST(info_dtmf_relay_invalid)
{
	ck_assert_int_eq(check_ua_relay(""), 0);
	ck_assert_int_eq(check_ua_relay("Duration=160\r\n"), 0);
	ck_assert_int_eq(check_ua_relay("Signal=\r\n"), 0);
	ck_assert_int_eq(check_ua_relay("Signal=16\r\n"), 0);
	ck_assert_int_eq(check_ua_relay("Signal=55\r\n"), 0);
	ck_assert_int_eq(check_ua_relay("Signal=E\r\n"), 0);
	ck_assert_int_eq(check_ua_relay("Signals=5\r\n"), 0);
	ck_assert_int_eq(sip_info_dtmf_relay_key("Signal=5", 7), 0);
}
END_TEST

START_TEST(info_dtmf_body)
{
	ck_assert_int_eq(sip_info_signal_key("7", 1), '7');
	ck_assert_int_eq(sip_info_signal_key("#\r\n", 3), '#');
	ck_assert_int_eq(sip_info_signal_key("", 0), 0);
	ck_assert_int_eq(sip_info_signal_key("x", 1), 0);
}
END_TEST

START_TEST(limit_call_cap)
{
	struct sip_limit limit;
	int retry_after = 0;

	sip_limit_init(&limit, 3, 0, 30);
	ck_assert_int_eq(sip_limit_admit(&limit, "127.0.0.1", 2, 1000,
	    &retry_after), SIP_LIMIT_ADMITTED);
	ck_assert_int_eq(sip_limit_admit(&limit, "127.0.0.1", 3, 1000,
	    &retry_after), SIP_LIMIT_CALLS);
	ck_assert_int_eq(retry_after, 30);
}
END_TEST

START_TEST(limit_rate_per_source)
{
	struct sip_limit limit;
	int retry_after = 0;

	sip_limit_init(&limit, 100, 2, 30);
	ck_assert_int_eq(sip_limit_admit(&limit, "192.0.2.1", 0, 1000,
	    &retry_after), SIP_LIMIT_ADMITTED);
	ck_assert_int_eq(sip_limit_admit(&limit, "192.0.2.1", 0, 2000,
	    &retry_after), SIP_LIMIT_ADMITTED);
	ck_assert_int_eq(sip_limit_admit(&limit, "192.0.2.1", 0, 11000,
	    &retry_after), SIP_LIMIT_RATE);
	/* The window started at 1000 ms and ends at 61000 ms. */
	ck_assert_int_eq(retry_after, 50);
	ck_assert_int_eq(sip_limit_admit(&limit, "192.0.2.2", 0, 11000,
	    &retry_after), SIP_LIMIT_ADMITTED);
	ck_assert_int_eq(sip_limit_admit(&limit, "192.0.2.1", 0, 61000,
	    &retry_after), SIP_LIMIT_ADMITTED);
}
END_TEST

START_TEST(limit_log_once_per_minute)
{
	struct sip_limit limit;
	unsigned long quiet = 99;

	sip_limit_init(&limit, 1, 0, 30);
	ck_assert(sip_limit_log_reject(&limit, "192.0.2.1", 1000, &quiet));
	ck_assert_uint_eq(quiet, 0);
	for (int i = 0; i < 39; i++)
		ck_assert(!sip_limit_log_reject(&limit, "192.0.2.1", 2000 + i,
		    &quiet));
	/* Another source has its own first line. */
	ck_assert(sip_limit_log_reject(&limit, "192.0.2.2", 3000, &quiet));
	ck_assert_uint_eq(quiet, 0);
	ck_assert(!sip_limit_log_reject(&limit, "192.0.2.1", 60999, &quiet));
	ck_assert(sip_limit_log_reject(&limit, "192.0.2.1", 61000, &quiet));
	ck_assert_uint_eq(quiet, 40);
	ck_assert(!sip_limit_log_reject(&limit, "192.0.2.1", 61001, &quiet));
}
END_TEST

START_TEST(limit_table_bounded)
{
	struct sip_limit limit;
	int retry_after = 0;
	char source[32];

	sip_limit_init(&limit, 100, 1, 30);
	ck_assert_int_eq(sip_limit_admit(&limit, "10.0.0.1", 0, 1,
	    &retry_after), SIP_LIMIT_ADMITTED);
	for (int i = 0; i < SIP_LIMIT_SOURCES; i++) {
		snprintf(source, sizeof source, "10.1.%d.%d", i / 256, i % 256);
		ck_assert_int_eq(sip_limit_admit(&limit, source, 0, 2 + i,
		    &retry_after), SIP_LIMIT_ADMITTED);
	}
	/* The first source was pushed out, so it starts from zero. */
	ck_assert_int_eq(sip_limit_admit(&limit, "10.0.0.1", 0, 1000,
	    &retry_after), SIP_LIMIT_ADMITTED);
	ck_assert_int_eq(sip_limit_admit(&limit, "10.0.0.1", 0, 1001,
	    &retry_after), SIP_LIMIT_RATE);
}
END_TEST

Suite *
sip_ua_suite(void)
{
	Suite *suite = suite_create("sip_ua");
	TCase *info = tcase_create("info");
	TCase *limit = tcase_create("limit");

	tcase_add_test(info, info_dtmf_relay_keys);
	tcase_add_test(info, info_dtmf_relay_invalid);
	tcase_add_test(info, info_dtmf_body);
	tcase_add_test(limit, limit_call_cap);
	tcase_add_test(limit, limit_rate_per_source);
	tcase_add_test(limit, limit_table_bounded);
	tcase_add_test(limit, limit_log_once_per_minute);
	suite_add_tcase(suite, info);
	suite_add_tcase(suite, limit);
	return suite;
}
