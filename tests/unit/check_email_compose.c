/* Outbound mail of the email module: Subject and References, and the
 * composed message read back with GMime's parser. */
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "check_suites.h"
#include "email_compose.h"

static const char check_email_text[] =
    "Kính gửi Nguyễn Văn An,\n\nĐội sửa chữa sẽ đến đường Lê Lợi "
    "trong hai ngày.\n.Dòng bắt đầu bằng dấu chấm\n\nTrân trọng,\n";

static struct email_compose
check_email_compose_input(void)
{
	struct email_compose compose = {
		.from_name = "Đường dây nóng tỉnh",
		.from_address = "hotline@hub.example",
		.to = "an.nguyen@example.com",
		.subject = "[#3805172961] Re: Phản ánh: đèn đường hỏng",
		.message_id = "chub.12.34.0123456789abcdef@hub.example",
		.in_reply_to = "CAF=abc@mail.example.com",
		.references = "first@mail.example.com chub.12.30.aaaa@hub.example",
		.language = "vi",
		.text = check_email_text,
		.html = "<p>Kính gửi Nguyễn Văn An,</p>",
		.automatic = false,
		.date_ms = 1735959600000LL,	/* 2025-01-04T03:00:00Z */
	};

	return compose;
}

static void
check_email_compose_setup(void)
{
	g_mime_init();
}

static void
check_email_compose_teardown(void)
{
	g_mime_shutdown();
}

/* Composes and parses back. The caller unrefs the message and frees
 * *raw. */
static GMimeMessage *
check_email_compose_parse(const struct email_compose *compose, char **raw)
{
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *message;
	size_t size = 0;

	*raw = email_compose_message(compose, &size);
	ck_assert_ptr_nonnull(*raw);
	ck_assert_uint_eq(size, strlen(*raw));
	stream = g_mime_stream_mem_new_with_buffer(*raw, size);
	parser = g_mime_parser_new_with_stream(stream);
	message = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(stream);
	ck_assert_ptr_nonnull(message);
	return message;
}

static const char *
check_email_header(GMimeMessage *message, const char *name)
{
	return g_mime_object_get_header(GMIME_OBJECT(message), name);
}

/* Whether the header block of raw has the line "NAME: VALUE". */
static bool
check_email_raw_header(const char *raw, const char *line)
{
	const char *end = strstr(raw, "\r\n\r\n");
	const char *found = strstr(raw, line);

	return found != NULL && found < end &&
	    (found == raw || found[-1] == '\n') &&
	    strncmp(found + strlen(line), "\r\n", 2) == 0;
}

/* Replaces CRLF by LF and folding white space by one space, in place. */
static char *
check_email_unfold(char *text)
{
	char *from = text, *to = text;

	for (; *from != '\0'; from++) {
		if (*from == '\r')
			continue;
		*to++ = *from == '\t' ? ' ' : *from;
	}
	*to = '\0';
	return text;
}

START_TEST(subject_with_and_without_ticket_subject)
{
	char *subject = email_compose_subject("3805172961", "Nước bị đục",
	    "Phản ánh của ông/bà");

	ck_assert_str_eq(subject, "[#3805172961] Re: Nước bị đục");
	free(subject);
	subject = email_compose_subject("3805172961", NULL, "Your request");
	ck_assert_str_eq(subject, "[#3805172961] Your request");
	free(subject);
	subject = email_compose_subject("3805172961", "", "Your request");
	ck_assert_str_eq(subject, "[#3805172961] Your request");
	free(subject);
}
END_TEST

START_TEST(references_append_in_reply_to_once)
{
	char *references = email_compose_references("a@x b@x", "c@x");

	ck_assert_str_eq(references, "<a@x> <b@x> <c@x>");
	free(references);
	references = email_compose_references("a@x <b@x>", "<b@x>");
	ck_assert_str_eq(references, "<a@x> <b@x>");
	free(references);
	references = email_compose_references(NULL, NULL);
	ck_assert_str_eq(references, "");
	free(references);
	references = email_compose_references(NULL, "only@x");
	ck_assert_str_eq(references, "<only@x>");
	free(references);
}
END_TEST

START_TEST(references_keep_last_ten)
{
	char *references = email_compose_references(
	    "1@x 2@x 3@x 4@x 5@x 6@x 7@x 8@x 9@x 10@x 11@x", "12@x");

	ck_assert_str_eq(references, "<3@x> <4@x> <5@x> <6@x> <7@x> <8@x> "
	    "<9@x> <10@x> <11@x> <12@x>");
	free(references);
}
END_TEST

START_TEST(message_headers_decode_back)
{
	struct email_compose compose = check_email_compose_input();
	InternetAddressList *list;
	InternetAddress *from;
	GMimeMessage *message;
	char *raw, *references;

	message = check_email_compose_parse(&compose, &raw);
	ck_assert_str_eq(g_mime_message_get_subject(message), compose.subject);
	ck_assert_str_eq(g_mime_message_get_message_id(message),
	    compose.message_id);
	list = g_mime_message_get_from(message);
	ck_assert_int_eq(internet_address_list_length(list), 1);
	from = internet_address_list_get_address(list, 0);
	ck_assert_str_eq(internet_address_get_name(from), compose.from_name);
	ck_assert_str_eq(internet_address_mailbox_get_addr(
	    INTERNET_ADDRESS_MAILBOX(from)), compose.from_address);
	ck_assert_str_eq(check_email_header(message, "In-Reply-To"),
	    "<CAF=abc@mail.example.com>");
	references = strdup(check_email_header(message, "References"));
	ck_assert_str_eq(check_email_unfold(references),
	    "<first@mail.example.com> <chub.12.30.aaaa@hub.example> "
	    "<CAF=abc@mail.example.com>");
	free(references);
	ck_assert(check_email_raw_header(raw, "Content-Language: vi"));
	ck_assert(check_email_raw_header(raw, "MIME-Version: 1.0"));
	ck_assert_ptr_nonnull(check_email_header(message, "Date"));
	ck_assert_ptr_null(check_email_header(message, "Auto-Submitted"));
	ck_assert_ptr_null(check_email_header(message,
	    "X-Auto-Response-Suppress"));
	g_object_unref(message);
	free(raw);
}
END_TEST

START_TEST(message_headers_ascii_crlf)
{
	struct email_compose compose = check_email_compose_input();
	GMimeMessage *message;
	char *raw, *end_of_headers, *p;

	message = check_email_compose_parse(&compose, &raw);
	end_of_headers = strstr(raw, "\r\n\r\n");
	ck_assert_ptr_nonnull(end_of_headers);
	for (p = raw; p < end_of_headers; p++)
		ck_assert_msg((unsigned char)*p < 0x80,
		    "8-bit byte in the headers at offset %td", p - raw);
	ck_assert_ptr_nonnull(strstr(raw, "=?"));
	for (p = strchr(raw, '\n'); p != NULL; p = strchr(p + 1, '\n'))
		ck_assert_msg(p > raw && p[-1] == '\r',
		    "bare LF at offset %td", p - raw);
	g_object_unref(message);
	free(raw);
}
END_TEST

START_TEST(message_alternative_parts)
{
	struct email_compose compose = check_email_compose_input();
	GMimeObject *body, *plain, *html;
	GMimeMessage *message;
	char *raw, *text;

	message = check_email_compose_parse(&compose, &raw);
	body = g_mime_message_get_mime_part(message);
	ck_assert(GMIME_IS_MULTIPART(body));
	ck_assert(g_mime_content_type_is_type(
	    g_mime_object_get_content_type(body), "multipart", "alternative"));
	ck_assert_int_eq(g_mime_multipart_get_count(GMIME_MULTIPART(body)), 2);
	plain = g_mime_multipart_get_part(GMIME_MULTIPART(body), 0);
	html = g_mime_multipart_get_part(GMIME_MULTIPART(body), 1);
	ck_assert(g_mime_content_type_is_type(
	    g_mime_object_get_content_type(plain), "text", "plain"));
	ck_assert(g_mime_content_type_is_type(
	    g_mime_object_get_content_type(html), "text", "html"));
	ck_assert_str_eq(g_mime_object_get_content_type_parameter(plain,
	    "charset"), "utf-8");
	ck_assert_int_eq(g_mime_part_get_content_encoding(GMIME_PART(plain)),
	    GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	text = g_mime_text_part_get_text(GMIME_TEXT_PART(plain));
	ck_assert_str_eq(check_email_unfold(text), check_email_text);
	g_free(text);
	text = g_mime_text_part_get_text(GMIME_TEXT_PART(html));
	ck_assert_str_eq(text, compose.html);
	g_free(text);
	g_object_unref(message);
	free(raw);
}
END_TEST

START_TEST(message_automatic_marked)
{
	struct email_compose compose = check_email_compose_input();
	GMimeMessage *message;
	char *raw;

	compose.automatic = true;
	compose.html = NULL;
	compose.in_reply_to = NULL;
	compose.references = NULL;
	compose.language = "en";
	message = check_email_compose_parse(&compose, &raw);
	ck_assert_str_eq(check_email_header(message, "Auto-Submitted"),
	    "auto-replied");
	ck_assert_str_eq(check_email_header(message,
	    "X-Auto-Response-Suppress"), "All");
	ck_assert(check_email_raw_header(raw, "Content-Language: en"));
	ck_assert_ptr_null(check_email_header(message, "In-Reply-To"));
	ck_assert_ptr_null(check_email_header(message, "References"));
	ck_assert(GMIME_IS_TEXT_PART(g_mime_message_get_mime_part(message)));
	g_object_unref(message);
	free(raw);
}
END_TEST

Suite *
email_compose_suite(void)
{
	Suite *suite = suite_create("email_compose");
	TCase *headers = tcase_create("headers");
	TCase *message = tcase_create("message");

	tcase_add_test(headers, subject_with_and_without_ticket_subject);
	tcase_add_test(headers, references_append_in_reply_to_once);
	tcase_add_test(headers, references_keep_last_ten);
	suite_add_tcase(suite, headers);

	tcase_add_checked_fixture(message, check_email_compose_setup,
	    check_email_compose_teardown);
	tcase_add_test(message, message_headers_decode_back);
	tcase_add_test(message, message_headers_ascii_crlf);
	tcase_add_test(message, message_alternative_parts);
	tcase_add_test(message, message_automatic_marked);
	suite_add_tcase(suite, message);
	return suite;
}
