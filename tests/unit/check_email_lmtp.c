/* The LMTP protocol pieces of the email module: command lines, MAIL and
 * RCPT paths with their parameters, and the DATA stream. */
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "email_lmtp.h"

START_TEST(command_verbs_any_case)
{
	static const struct {
		const char *line;
		enum email_lmtp_verb verb;
		const char *argument;
	} cases[] = {
		{ "LHLO mx.example.com", EMAIL_LMTP_LHLO, "mx.example.com" },
		{ "lhlo  mx", EMAIL_LMTP_LHLO, "mx" },
		{ "EHLO mx", EMAIL_LMTP_HELO, "mx" },
		{ "HELO mx", EMAIL_LMTP_HELO, "mx" },
		{ "Mail FROM:<a@b>", EMAIL_LMTP_MAIL, "FROM:<a@b>" },
		{ "RCPT TO:<x@y>", EMAIL_LMTP_RCPT, "TO:<x@y>" },
		{ "DATA", EMAIL_LMTP_DATA, "" },
		{ "rset", EMAIL_LMTP_RSET, "" },
		{ "NOOP", EMAIL_LMTP_NOOP, "" },
		{ "QUIT", EMAIL_LMTP_QUIT, "" },
		{ "VRFY postmaster", EMAIL_LMTP_VRFY, "postmaster" },
		{ "DATAX", EMAIL_LMTP_UNKNOWN, "" },
		{ "STARTTLS", EMAIL_LMTP_UNKNOWN, "" },
		{ "", EMAIL_LMTP_UNKNOWN, "" },
		{ "MAI", EMAIL_LMTP_UNKNOWN, "" },
	};
	struct email_lmtp_command command;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		email_lmtp_command_parse(cases[i].line, &command);
		ck_assert_msg(command.verb == cases[i].verb,
		    "line \"%s\": verb %d, expected %d", cases[i].line,
		    command.verb, cases[i].verb);
		ck_assert_str_eq(command.argument, cases[i].argument);
	}
}
END_TEST

START_TEST(path_mail_from_with_parameters)
{
	struct email_lmtp_path path;

	ck_assert_ptr_null(email_lmtp_path_parse(
	    "FROM:<An.Nguyen@Example.com> SIZE=12345 BODY=8BITMIME", "FROM:",
	    &path));
	ck_assert_str_eq(path.address, "An.Nguyen@Example.com");
	ck_assert(path.has_size);
	ck_assert_uint_eq(path.size, 12345);

	ck_assert_ptr_null(email_lmtp_path_parse("from: <a@b>", "FROM:",
	    &path));
	ck_assert_str_eq(path.address, "a@b");
	ck_assert(!path.has_size);
}
END_TEST

START_TEST(path_null_sender)
{
	struct email_lmtp_path path;

	ck_assert_ptr_null(email_lmtp_path_parse("FROM:<>", "FROM:", &path));
	ck_assert_str_eq(path.address, "");
}
END_TEST

START_TEST(path_source_route_dropped)
{
	struct email_lmtp_path path;

	ck_assert_ptr_null(email_lmtp_path_parse(
	    "TO:<@relay.example,@b.example:hotline@hub.example>", "TO:", &path));
	ck_assert_str_eq(path.address, "hotline@hub.example");
}
END_TEST

START_TEST(path_errors_are_replies)
{
	static const struct {
		const char *argument;
		const char *keyword;
		const char *reply_start;
	} cases[] = {
		{ "FROM:a@b", "FROM:", "501 5.5.4" },
		{ "TO:<a@b>", "FROM:", "501 5.5.4 Syntax: MAIL" },
		{ "FROM:<a@b>", "TO:", "501 5.5.4 Syntax: RCPT" },
		{ "FROM:<a@b", "FROM:", "501 5.5.4" },
		{ "FROM:<a b@c>", "FROM:", "501 5.1.3" },
		{ "FROM:<a@b>x", "FROM:", "501 5.5.4" },
		{ "FROM:<a@b> SIZE=", "FROM:", "555 5.5.4" },
		{ "FROM:<a@b> SIZE=12x", "FROM:", "501 5.5.4 Invalid SIZE" },
		{ "FROM:<a@b> SIZE=99999999999999999999999", "FROM:",
		    "501 5.5.4 Invalid SIZE" },
		{ "FROM:<a@b> SMTPUTF8", "FROM:", "555 5.5.4" },
		{ "FROM:<a@b> BODY=BINARYMIME", "FROM:", "555 5.5.4" },
	};
	struct email_lmtp_path path;
	const char *reply;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		reply = email_lmtp_path_parse(cases[i].argument,
		    cases[i].keyword, &path);
		ck_assert_msg(reply != NULL, "\"%s\" accepted",
		    cases[i].argument);
		ck_assert_msg(strncmp(reply, cases[i].reply_start,
		    strlen(cases[i].reply_start)) == 0,
		    "\"%s\": reply \"%s\", expected \"%s...\"",
		    cases[i].argument, reply, cases[i].reply_start);
	}
}
END_TEST

START_TEST(path_too_long)
{
	struct email_lmtp_path path;
	char argument[400];

	strcpy(argument, "FROM:<");
	memset(argument + 6, 'a', 300);
	strcpy(argument + 306, "@b>");
	ck_assert_str_eq(email_lmtp_path_parse(argument, "FROM:", &path),
	    "501 5.1.3 The address is too long");
}
END_TEST

/* Feeds text to a fresh DATA stream in pieces of step bytes. Returns the
 * bytes consumed before the end line, or -1 when no end came. */
static long
check_email_lmtp_feed(struct email_lmtp_data *data, const char *text,
    size_t max, size_t step)
{
	size_t length = strlen(text), offset = 0;
	bool done = false;

	email_lmtp_data_begin(data, max);
	while (offset < length && !done) {
		size_t piece = length - offset < step ? length - offset : step;
		long used = email_lmtp_data_feed(data, text + offset, piece,
		    &done);

		ck_assert_int_ge(used, 0);
		offset += (size_t)used;
	}
	return done ? (long)offset : -1;
}

START_TEST(data_unstuffs_and_ends)
{
	static const char stream[] = "Subject: a\r\n\r\n..leading dot\r\n"
	    ".\r\nNOOP\r\n";
	static const char expected[] = "Subject: a\r\n\r\n.leading dot\r\n";
	struct email_lmtp_data data = { 0 };
	size_t step, length;
	long used;
	char *text;

	/* Every split of the stream gives the same text and end. */
	for (step = 1; step <= sizeof stream; step++) {
		used = check_email_lmtp_feed(&data, stream, 1000, step);
		ck_assert_int_eq(used, (long)strlen(stream) - 6);
		text = email_lmtp_data_take(&data, &length);
		ck_assert_uint_eq(length, strlen(expected));
		ck_assert_mem_eq(text, expected, length);
		free(text);
	}
	email_lmtp_data_clear(&data);
}
END_TEST

START_TEST(data_bare_lf_end)
{
	struct email_lmtp_data data = { 0 };
	size_t length;
	char *text;

	ck_assert_int_eq(check_email_lmtp_feed(&data, "a\n.\nQUIT\n", 100, 64),
	    4);
	text = email_lmtp_data_take(&data, &length);
	ck_assert_uint_eq(length, 2);
	ck_assert_mem_eq(text, "a\n", 2);
	free(text);
}
END_TEST

START_TEST(data_dot_inside_line_kept)
{
	struct email_lmtp_data data = { 0 };
	size_t length;
	char *text;

	ck_assert_int_eq(check_email_lmtp_feed(&data,
	    "a.\r\nb .\r\n.\r\n", 100, 3), 12);
	text = email_lmtp_data_take(&data, &length);
	ck_assert_uint_eq(length, 9);
	ck_assert_mem_eq(text, "a.\r\nb .\r\n", 9);
	free(text);
}
END_TEST

START_TEST(data_no_end_yet)
{
	struct email_lmtp_data data = { 0 };

	ck_assert_int_eq(check_email_lmtp_feed(&data, "a\r\n.x\r\n..\r\n",
	    100, 5), -1);
	ck_assert_uint_eq(data.length, 9);
	ck_assert_mem_eq(data.text, "a\r\nx\r\n.\r\n", 9);
	email_lmtp_data_clear(&data);
}
END_TEST

START_TEST(data_over_limit_counted)
{
	struct email_lmtp_data data = { 0 };
	char stream[5000];

	memset(stream, 'x', 4000);
	strcpy(stream + 4000, "\r\n.\r\n");
	ck_assert_int_eq(check_email_lmtp_feed(&data, stream, 1024, 700),
	    4005);
	ck_assert(data.too_large);
	ck_assert_uint_eq(data.total, 4002);
	ck_assert_uint_le(data.length, 1024);
	email_lmtp_data_clear(&data);
}
END_TEST

START_TEST(data_empty_message)
{
	struct email_lmtp_data data = { 0 };
	size_t length;
	char *text;

	ck_assert_int_eq(check_email_lmtp_feed(&data, ".\r\n", 100, 1), 3);
	text = email_lmtp_data_take(&data, &length);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(length, 0);
	free(text);
}
END_TEST

Suite *
email_lmtp_suite(void)
{
	Suite *suite = suite_create("email_lmtp");
	TCase *commands = tcase_create("commands");
	TCase *data = tcase_create("data");

	tcase_add_test(commands, command_verbs_any_case);
	tcase_add_test(commands, path_mail_from_with_parameters);
	tcase_add_test(commands, path_null_sender);
	tcase_add_test(commands, path_source_route_dropped);
	tcase_add_test(commands, path_errors_are_replies);
	tcase_add_test(commands, path_too_long);
	suite_add_tcase(suite, commands);

	tcase_add_test(data, data_unstuffs_and_ends);
	tcase_add_test(data, data_bare_lf_end);
	tcase_add_test(data, data_dot_inside_line_kept);
	tcase_add_test(data, data_no_end_yet);
	tcase_add_test(data, data_over_limit_counted);
	tcase_add_test(data, data_empty_message);
	suite_add_tcase(suite, data);
	return suite;
}
