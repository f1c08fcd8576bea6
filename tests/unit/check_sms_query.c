#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "sms_intake.h"
#include "sms_kannel.h"

START_TEST(query_keeps_nul_bytes)
{
	static const char text[] = "from=%2B84912345678&text=%01%10%00e&"
	    "charset=UTF-16BE&empty=&flag&a+b=c+d";
	struct sms_query query;
	const struct sms_query_param *param;

	ck_assert_int_eq(sms_query_parse_text(text, strlen(text), &query), 0);
	ck_assert_uint_eq(query.count, 6);
	ck_assert_str_eq(sms_query_get(&query, "from"), "+84912345678");
	param = sms_query_find(&query, "text");
	ck_assert_ptr_nonnull(param);
	ck_assert_uint_eq(param->length, 4);
	ck_assert_mem_eq(param->value, "\x01\x10\x00" "e", 4);
	/* A value with a NUL byte is not handed out as a C string. */
	ck_assert_ptr_null(sms_query_get(&query, "text"));
	ck_assert_str_eq(sms_query_get(&query, "empty"), "");
	ck_assert_str_eq(sms_query_get(&query, "flag"), "");
	ck_assert_str_eq(sms_query_get(&query, "a b"), "c d");
	ck_assert_ptr_null(sms_query_get(&query, "missing"));
	sms_query_clear(&query);
}
END_TEST

START_TEST(query_refuses_bad_escapes)
{
	static const char *const bad[] = { "text=%", "text=%4", "text=%zz",
	    "a=%4g&b=1" };
	struct sms_query query;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_int_eq(sms_query_parse_text(bad[i], strlen(bad[i]),
		    &query), -1);
		ck_assert_uint_eq(query.count, 0);
	}
}
END_TEST

START_TEST(query_bounds_parameter_count)
{
	char text[SMS_QUERY_PARAMS_MAX * 4 + 8] = "";
	struct sms_query query;

	for (int i = 0; i <= SMS_QUERY_PARAMS_MAX; i++)
		strcat(text, "a=1&");
	ck_assert_int_eq(sms_query_parse_text(text, strlen(text), &query), -1);
}
END_TEST

/* "Đường" in UTF-16BE. */
static const char check_duong_utf16[] = "\x01\x10\x01\xb0\x1e\xdd\x00n\x00g";
static const char check_duong_utf8[] = "\xc4\x90\xc6\xb0\xe1\xbb\x9dng";

START_TEST(decode_utf16_by_charset_or_coding)
{
	char *text;

	text = sms_text_decode(check_duong_utf16, 10, "UTF-16BE", "2");
	ck_assert_str_eq(text, check_duong_utf8);
	free(text);
	text = sms_text_decode(check_duong_utf16, 10, "UCS-2", NULL);
	ck_assert_str_eq(text, check_duong_utf8);
	free(text);
	/* coding 2 without a charset and bytes that are not UTF-8. */
	text = sms_text_decode(check_duong_utf16, 10, NULL, "2");
	ck_assert_str_eq(text, check_duong_utf8);
	free(text);
	/* coding 2 with text already converted to UTF-8 stays as it is. */
	text = sms_text_decode(check_duong_utf8, strlen(check_duong_utf8),
	    "UTF-8", "2");
	ck_assert_str_eq(text, check_duong_utf8);
	free(text);
}
END_TEST

START_TEST(decode_refuses_broken_text)
{
	/* An odd number of UTF-16 bytes, a lone surrogate, bad UTF-8. */
	errno = 0;
	ck_assert_ptr_null(sms_text_decode("\x01\x10\x01", 3, "UTF-16BE", "2"));
	ck_assert_int_eq(errno, EILSEQ);
	ck_assert_ptr_null(sms_text_decode("\xd8\x00\x00\x41", 4, "UTF-16BE",
	    NULL));
	ck_assert_ptr_null(sms_text_decode("a\xc3(", 3, "UTF-8", "0"));
	ck_assert_ptr_null(sms_text_decode("a\0b", 3, NULL, "0"));
	ck_assert_ptr_null(sms_text_decode("abc", 3, "NO-SUCH-CHARSET", "0"));
}
END_TEST

START_TEST(decode_other_charsets)
{
	char *text = sms_text_decode("Caf\xe9", 4, "ISO-8859-1", "0");

	ck_assert_str_eq(text, "Caf\xc3\xa9");
	free(text);
	text = sms_text_decode("Xin chao", 8, NULL, NULL);
	ck_assert_str_eq(text, "Xin chao");
	free(text);
}
END_TEST

START_TEST(decode_keeps_the_last_character)
{
	/* Windows-1258 and TCVN 5712 hold a letter back until they see
	 * whether a tone mark follows it. */
	static const char *const charsets[] = { "CP1258", "TCVN5712-1" };

	for (size_t i = 0; i < sizeof charsets / sizeof charsets[0]; i++) {
		char *text = sms_text_decode("Xin chao ba", 11, charsets[i],
		    "0");

		ck_assert_str_eq(text, "Xin chao ba");
		free(text);
	}
}
END_TEST

START_TEST(decode_keeps_the_text_after_a_nul_character)
{
	char *text;

	/* U+0000 would end the C string and store half the text. */
	text = sms_text_decode("\x00" "a\x00\x00\x00" "b", 6, "UTF-16BE", "2");
	ck_assert_str_eq(text, "a b");
	free(text);
	text = sms_text_decode("a\0b", 3, "ISO-8859-1", "0");
	ck_assert_str_eq(text, "a b");
	free(text);
}
END_TEST

START_TEST(decode_refuses_what_iconv_turns_into_bad_utf8)
{
	/* glibc writes code points past U+10FFFF as five- or six-byte
	 * sequences, which are not UTF-8. */
	errno = 0;
	ck_assert_ptr_null(sms_text_decode("\x29\x29\x29\x29", 4, "UCS-4",
	    "0"));
	ck_assert_int_eq(errno, EILSEQ);
}
END_TEST

START_TEST(sanitize_replaces_controls_and_cuts_bad_bytes)
{
	char text[] = "NACK\r\n/0x0b\tend\xc3";

	sms_text_sanitize(text);
	ck_assert_str_eq(text, "NACK  /0x0b end");
}
END_TEST

START_TEST(numbers_in_gateway_formats)
{
	char out[32];

	ck_assert_int_eq(sms_number_format(SMS_NUMBER_E164, "+84912345678",
	    out, sizeof out), 0);
	ck_assert_str_eq(out, "+84912345678");
	ck_assert_int_eq(sms_number_format(SMS_NUMBER_INTERNATIONAL,
	    "+84912345678", out, sizeof out), 0);
	ck_assert_str_eq(out, "84912345678");
	ck_assert_int_eq(sms_number_format(SMS_NUMBER_NATIONAL, "+84912345678",
	    out, sizeof out), 0);
	ck_assert_str_eq(out, "0912345678");
	/* A foreign number has no national form here. */
	ck_assert_int_eq(sms_number_format(SMS_NUMBER_NATIONAL, "+12025550143",
	    out, sizeof out), 0);
	ck_assert_str_eq(out, "12025550143");
	ck_assert_int_eq(sms_number_format(SMS_NUMBER_E164, "+84912345678",
	    out, 5), -1);
}
END_TEST

START_TEST(language_of_a_text)
{
	static const char vn[] = "+84912345678";

	ck_assert_str_eq(sms_intake_language("The street light is broken", vn),
	    "en");
	ck_assert_str_eq(sms_intake_language("Please help, no water", vn), "en");
	ck_assert_str_eq(sms_intake_language("Den duong hong o hem 5", vn), "vi");
	ck_assert_str_eq(sms_intake_language("\xc4\x90\xc3\xa8n is broken", vn),
	    "vi");
	ck_assert_str_eq(sms_intake_language("", vn), "vi");
	ck_assert_str_eq(sms_intake_language("the", vn), "vi");
	/* A number outside Vietnam without Vietnamese letters. */
	ck_assert_str_eq(sms_intake_language("MA 0676895060", "+12025550143"),
	    "en");
	ck_assert_str_eq(sms_intake_language("MA 0676895060", vn), "vi");
	ck_assert_str_eq(sms_intake_language("M\xc3\xa3 0676895060",
	    "+12025550143"), "vi");
	ck_assert_str_eq(sms_intake_language("MA 0676895060", NULL), "vi");
	/* A phone's typographic apostrophe or a euro sign is no Vietnamese
	 * letter. */
	ck_assert_str_eq(sms_intake_language("The street\xe2\x80\x99s light "
	    "is broken", vn), "en");
	ck_assert_str_eq(sms_intake_language("Thanks, the fee is 5 \xe2\x82\xac",
	    vn), "en");
	/* A Vietnamese letter written with a combining mark. */
	ck_assert_str_eq(sms_intake_language("The street is Le\xcc\x82 Loi", vn),
	    "vi");
}
END_TEST

Suite *
sms_query_suite(void)
{
	Suite *suite = suite_create("sms_query");
	TCase *tcase = tcase_create("wire");

	tcase_add_test(tcase, query_keeps_nul_bytes);
	tcase_add_test(tcase, query_refuses_bad_escapes);
	tcase_add_test(tcase, query_bounds_parameter_count);
	tcase_add_test(tcase, decode_utf16_by_charset_or_coding);
	tcase_add_test(tcase, decode_refuses_broken_text);
	tcase_add_test(tcase, decode_other_charsets);
	tcase_add_test(tcase, decode_keeps_the_last_character);
	tcase_add_test(tcase, decode_keeps_the_text_after_a_nul_character);
	tcase_add_test(tcase, decode_refuses_what_iconv_turns_into_bad_utf8);
	tcase_add_test(tcase, sanitize_replaces_controls_and_cuts_bad_bytes);
	tcase_add_test(tcase, numbers_in_gateway_formats);
	tcase_add_test(tcase, language_of_a_text);
	suite_add_tcase(suite, tcase);
	return suite;
}
