/* The IMAP poller's reading of FETCH responses and of Return-Path. */
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "email_imap.h"

static const char check_email_imap_message[] =
    "Return-Path: <an.ho@example.com>\r\n"
    "From: An Ho\r\n"
    "Subject: test\r\n"
    "\r\n"
    "Return-Path: <not-a-header@example.com>\r\n";

START_TEST(header_found_any_case)
{
	char *value = email_imap_header(check_email_imap_message,
	    strlen(check_email_imap_message), "subject");

	ck_assert_str_eq(value, "test");
	free(value);
}
END_TEST

START_TEST(header_not_read_from_body)
{
	static const char message[] = "From: a@b\r\n\r\nX-Tag: body\r\n";

	ck_assert_ptr_null(email_imap_header(message, strlen(message),
	    "X-Tag"));
}
END_TEST

START_TEST(sender_from_return_path)
{
	char *sender = email_imap_sender(check_email_imap_message,
	    strlen(check_email_imap_message));

	ck_assert_str_eq(sender, "an.ho@example.com");
	free(sender);
}
END_TEST

START_TEST(sender_null_path_and_none)
{
	static const char bounce[] = "Return-Path: <>\r\nFrom: x\r\n\r\nbody";
	static const char plain[] = "From: x\r\n\r\nReturn-Path: <a@b>\r\n";
	char *sender = email_imap_sender(bounce, strlen(bounce));

	ck_assert_str_eq(sender, "");
	free(sender);
	ck_assert_ptr_null(email_imap_sender(plain, strlen(plain)));
}
END_TEST

START_TEST(literal_of_fetch_response)
{
	static const char response[] = "* OK ready\r\n"
	    "* 3 FETCH (UID 7 BODY[] {11}\r\nHello\r\nabc\r\n)\r\n"
	    "A004 OK Fetch completed.\r\n";
	size_t size = 0;
	const char *literal = email_imap_literal(response, strlen(response),
	    &size);

	ck_assert_ptr_nonnull(literal);
	ck_assert_uint_eq(size, 11);
	ck_assert_mem_eq(literal, "Hello\r\nabc\r", 11);
}
END_TEST

START_TEST(literal_missing_or_cut)
{
	static const char *const responses[] = {
		"A003 OK Fetch completed.\r\n",
		"* 3 FETCH (UID 7 BODY[] {50}\r\nshort\r\n",
		"* 3 FETCH (UID 7 BODY[] {x}\r\nshort\r\n",
		"* 3 FETCH (UID 7 BODY[] {5}short",
	};
	size_t i, size;

	for (i = 0; i < sizeof responses / sizeof responses[0]; i++)
		ck_assert_msg(email_imap_literal(responses[i],
		    strlen(responses[i]), &size) == NULL,
		    "literal found in \"%s\"", responses[i]);
}
END_TEST

Suite *
email_imap_suite(void)
{
	Suite *suite = suite_create("email_imap");
	TCase *message = tcase_create("message");

	tcase_add_test(message, header_found_any_case);
	tcase_add_test(message, header_not_read_from_body);
	tcase_add_test(message, sender_from_return_path);
	tcase_add_test(message, sender_null_path_and_none);
	tcase_add_test(message, literal_of_fetch_response);
	tcase_add_test(message, literal_missing_or_cut);
	suite_add_tcase(suite, message);
	return suite;
}
