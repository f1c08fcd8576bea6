/* The SIP thread's pure parts: keys of INFO requests, the admission of
 * INVITEs by the call cap and the rate per source, and the outcome of a
 * REFER transfer from its NOTIFY requests. */
#include <stdio.h>
#include <string.h>

#include "check_suites.h"
#include "sip_info.h"
#include "sip_limit.h"
#include "sip_refer.h"

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

static int
check_ua_sipfrag(const char *body)
{
	return sip_refer_sipfrag_status(body, strlen(body));
}

START_TEST(refer_sipfrag_status)
{
	ck_assert_int_eq(check_ua_sipfrag("SIP/2.0 200 OK\r\n"), 200);
	ck_assert_int_eq(check_ua_sipfrag("SIP/2.0 100 Trying"), 100);
	ck_assert_int_eq(check_ua_sipfrag("sip/2.0 486 Busy Here\r\n"), 486);
	ck_assert_int_eq(check_ua_sipfrag("SIP/2.0 603 Decline"), 603);
	ck_assert_int_eq(check_ua_sipfrag(""), 0);
	ck_assert_int_eq(check_ua_sipfrag("SIP/2.0 99 Low"), 0);
	ck_assert_int_eq(check_ua_sipfrag("SIP/2.0 700 High"), 0);
	ck_assert_int_eq(check_ua_sipfrag("SIP/1.0 200 OK"), 0);
	ck_assert_int_eq(check_ua_sipfrag("INVITE sip:a@b SIP/2.0"), 0);
	ck_assert_int_eq(sip_refer_sipfrag_status(NULL, 0), 0);
	/* The length bounds the body: it need not end with a NUL. */
	ck_assert_int_eq(sip_refer_sipfrag_status("SIP/2.0 200 OK", 9), 0);
}
END_TEST

START_TEST(refer_notify_while_waiting)
{
	ck_assert_int_eq(sip_refer_notify_step(true, false, 100, false),
	    SIP_REFER_PROGRESS);
	ck_assert_int_eq(sip_refer_notify_step(true, false, 180, false),
	    SIP_REFER_PROGRESS);
	ck_assert_int_eq(sip_refer_notify_step(true, false, 200, true),
	    SIP_REFER_DONE);
	ck_assert_int_eq(sip_refer_notify_step(true, false, 202, false),
	    SIP_REFER_DONE);
	ck_assert_int_eq(sip_refer_notify_step(true, false, 302, true),
	    SIP_REFER_FAILED);
	ck_assert_int_eq(sip_refer_notify_step(true, false, 486, true),
	    SIP_REFER_FAILED);
	ck_assert_int_eq(sip_refer_notify_step(true, false, 603, false),
	    SIP_REFER_FAILED);
	/* A subscription ended without a final status line. */
	ck_assert_int_eq(sip_refer_notify_step(true, false, 0, true),
	    SIP_REFER_FAILED);
	ck_assert_int_eq(sip_refer_notify_step(true, false, 0, false),
	    SIP_REFER_PROGRESS);
}
END_TEST

START_TEST(refer_notify_after_timeout)
{
	/* The operator picked up after transfer_timeout_seconds. */
	ck_assert_int_eq(sip_refer_notify_step(false, true, 200, true),
	    SIP_REFER_DONE_LATE);
	ck_assert_int_eq(sip_refer_notify_step(false, true, 100, false),
	    SIP_REFER_IGNORE);
	ck_assert_int_eq(sip_refer_notify_step(false, true, 486, true),
	    SIP_REFER_IGNORE);
	ck_assert_int_eq(sip_refer_notify_step(false, true, 0, true),
	    SIP_REFER_IGNORE);
	/* No REFER sent, or its outcome already taken. */
	ck_assert_int_eq(sip_refer_notify_step(false, false, 200, true),
	    SIP_REFER_IGNORE);
	ck_assert_int_eq(sip_refer_notify_step(false, false, 486, true),
	    SIP_REFER_IGNORE);
}
END_TEST

Suite *
sip_ua_suite(void)
{
	Suite *suite = suite_create("sip_ua");
	TCase *info = tcase_create("info");
	TCase *limit = tcase_create("limit");
	TCase *refer = tcase_create("refer");

	tcase_add_test(info, info_dtmf_relay_keys);
	tcase_add_test(info, info_dtmf_relay_invalid);
	tcase_add_test(info, info_dtmf_body);
	tcase_add_test(limit, limit_call_cap);
	tcase_add_test(limit, limit_rate_per_source);
	tcase_add_test(limit, limit_table_bounded);
	tcase_add_test(limit, limit_log_once_per_minute);
	suite_add_tcase(suite, info);
	tcase_add_test(refer, refer_sipfrag_status);
	tcase_add_test(refer, refer_notify_while_waiting);
	tcase_add_test(refer, refer_notify_after_timeout);
	suite_add_tcase(suite, limit);
	suite_add_tcase(suite, refer);
	return suite;
}
