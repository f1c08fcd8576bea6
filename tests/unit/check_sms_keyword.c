#include <string.h>

#include "check_suites.h"
#include "sms_keyword.h"

enum check_keyword_set {
	CHECK_KEYWORDS_DEFAULT,
	CHECK_KEYWORDS_OFF,
	CHECK_KEYWORDS_CUSTOM,
	CHECK_KEYWORDS_SHORT_FIRST,
};

struct check_keyword_case {
	enum check_keyword_set set;
	const char *text;
	enum sms_keyword_kind kind;
	const char *rest;	/* expected text from match.rest on, or NULL */
	const char *digits;
	int rating;
	bool lone_digit;
};

#define NONE SMS_KEYWORD_NONE
#define STATUS SMS_KEYWORD_STATUS
#define NEW SMS_KEYWORD_NEW
#define RATE SMS_KEYWORD_RATE
#define STOP SMS_KEYWORD_STOP
#define D CHECK_KEYWORDS_DEFAULT
#define OFF CHECK_KEYWORDS_OFF
#define CUSTOM CHECK_KEYWORDS_CUSTOM
#define SHORT_FIRST CHECK_KEYWORDS_SHORT_FIRST

static const struct check_keyword_case check_keyword_cases[] = {
	/* Status: both words, any case, with or without diacritics. */
	{ D, "MA 3805172961", STATUS, "3805172961", "3805172961", 0,
	    false },
	{ D, "MA:3805-1729-61", STATUS, "3805-1729-61", "3805172961", 0,
	    false },
	{ D, "ma 3805 1729 61", STATUS, "3805 1729 61", "3805172961", 0,
	    false },
	{ D, "Mã 3805172961", STATUS, "3805172961", "3805172961", 0, false },
	{ D, "MÃ   3805.1729.61", STATUS, "3805.1729.61", "3805172961", 0,
	    false },
	{ D, "MA3805172961", STATUS, "3805172961", "3805172961", 0, false },
	{ D, "Tra cứu 3805 1729 61", STATUS, "3805 1729 61", "3805172961", 0,
	    false },
	{ D, "TRA CUU 3805172961", STATUS, "3805172961", "3805172961", 0,
	    false },
	{ D, "tra   cuu:3805172961", STATUS, "3805172961", "3805172961", 0,
	    false },
	{ D, "Tra Cứu - 3805172961", STATUS, "3805172961", "3805172961", 0,
	    false },
	{ D, "  MA 3805172961 cảm ơn", STATUS, "3805172961 cảm ơn",
	    "3805172961", 0, false },
	{ D, "MA 123", STATUS, "123", "123", 0, false },
	{ D, "MA 3805–1729–61", STATUS, "3805–1729–61", "3805172961", 0,
	    false },
	/* NFD text (a and a combining tilde), and a no-break space. */
	{ D, "Ma\xcc\x83 3805172961", STATUS, "3805172961", "3805172961", 0,
	    false },
	{ D, "MA\xc2\xa0" "3805172961", STATUS, "3805172961", "3805172961",
	    0, false },
	/* Sentences that start like a status word. */
	{ D, "Mà sao chưa sửa?", NONE, NULL, "", 0, false },
	{ D, "Mã số của tôi là gì", NONE, NULL, "", 0, false },
	{ D, "MAI 3805172961", NONE, NULL, "", 0, false },
	{ D, "Tra cứu giúp tôi", NONE, NULL, "", 0, false },
	/* The acknowledgement's own wording: "Mã số: 6731-6456-70". */
	{ D, "Mã số: 6731-6456-70", STATUS, "6731-6456-70", "6731645670", 0,
	    false },
	{ D, "MA SO 6731645670", STATUS, "6731645670", "6731645670", 0,
	    false },
	{ D, "ma so6731645670", STATUS, "6731645670", "6731645670", 0,
	    false },
	{ D, "Mã 6731645670", STATUS, "6731645670", "6731645670", 0, false },
	{ D, "TRACUU 3805172961", STATUS, "3805172961", "3805172961", 0,
	    false },
	{ D, "tracứu:3805172961", STATUS, "3805172961", "3805172961", 0,
	    false },
	{ D, "Mã số nhà tôi là 12", NONE, NULL, "", 0, false },
	{ D, "MASO 6731645670", NONE, NULL, "", 0, false },
	/* New report. */
	{ D, "PA đèn hỏng", NEW, "đèn hỏng", "", 0, false },
	{ D, "pa: đèn hỏng", NEW, "đèn hỏng", "", 0, false },
	{ D, "Pa   đường ngập ở 12 Lê Lợi", NEW, "đường ngập ở 12 Lê Lợi", "",
	    0, false },
	{ D, "PA, 3 cây đổ", NEW, "3 cây đổ", "", 0, false },
	{ D, "PA", NONE, NULL, "", 0, false },
	{ D, "PA   ", NONE, NULL, "", 0, false },
	{ D, "PA ...", NONE, NULL, "", 0, false },
	{ D, "PAN đèn", NONE, NULL, "", 0, false },
	{ D, "PA5 đèn", NONE, NULL, "", 0, false },
	{ D, "Phản ánh đèn hỏng", NONE, NULL, "", 0, false },
	/* Rating with the keyword. */
	{ D, "DG 5", RATE, NULL, "", 5, false },
	{ D, "đg5", RATE, NULL, "", 5, false },
	{ D, "Đg: 4", RATE, NULL, "", 4, false },
	{ D, "DG 1 cảm ơn", RATE, NULL, "", 1, false },
	{ D, "DG 9", RATE, NULL, "", 0, false },
	{ D, "DG 0", RATE, NULL, "", 0, false },
	{ D, "DG 55", RATE, NULL, "", 0, false },
	{ D, "DG", RATE, NULL, "", 0, false },
	{ D, "dg .", RATE, NULL, "", 0, false },
	{ D, "DG :3", RATE, NULL, "", 3, false },
	{ D, "DG 5.", RATE, NULL, "", 5, false },
	{ D, "DG 5, cảm ơn", RATE, NULL, "", 5, false },
	{ D, "Đánh giá 5", RATE, NULL, "", 5, false },
	{ D, "danh gia: 2", RATE, NULL, "", 2, false },
	{ D, "Đánh giá", RATE, NULL, "", 0, false },
	/* A sign, punctuation or a symbol before the number gives the help
	 * answer, and so does a number other than one digit. */
	{ D, "DG -1", RATE, NULL, "", 0, false },
	{ D, "DG-5", RATE, NULL, "", 0, false },
	{ D, "DG +5", RATE, NULL, "", 0, false },
	{ D, "DG #5", RATE, NULL, "", 0, false },
	{ D, "DG: -3", RATE, NULL, "", 0, false },
	{ D, "DG .5", RATE, NULL, "", 0, false },
	{ D, "DG 4.5", RATE, NULL, "", 0, false },
	{ D, "DG 4,5", RATE, NULL, "", 0, false },
	{ D, "Đánh giá -2", RATE, NULL, "", 0, false },
	{ D, "DG bao giờ xong?", NONE, NULL, "", 0, false },
	{ D, "DG - bao giờ xong?", NONE, NULL, "", 0, false },
	{ D, "Đánh giá của tôi là tốt", NONE, NULL, "", 0, false },
	/* A lone digit. */
	{ D, "5", RATE, NULL, "", 5, true },
	{ D, " 5 ", RATE, NULL, "", 5, true },
	{ D, "5.", RATE, NULL, "", 5, true },
	{ D, "1 !", RATE, NULL, "", 1, true },
	{ D, "6", NONE, NULL, "", 0, false },
	{ D, "0", NONE, NULL, "", 0, false },
	{ D, "55", NONE, NULL, "", 0, false },
	{ D, "5..", NONE, NULL, "", 0, false },
	{ D, "5 sao", NONE, NULL, "", 0, false },
	/* Stop: only the whole text. */
	{ D, "STOP.", STOP, NULL, "", 0, false },
	{ D, "stop", STOP, NULL, "", 0, false },
	{ D, "huy", STOP, NULL, "", 0, false },
	{ D, "Hủy", STOP, NULL, "", 0, false },
	{ D, "Hu\xcc\x89y", STOP, NULL, "", 0, false },
	{ D, "HUỶ!!", STOP, NULL, "", 0, false },
	{ D, " tc  ", STOP, NULL, "", 0, false },
	{ D, "Huy đây, đường ngập", NONE, NULL, "", 0, false },
	{ D, "Stop the noise please", NONE, NULL, "", 0, false },
	{ D, "TCN", NONE, NULL, "", 0, false },
	/* Ordinary messages. */
	{ D, "Xin chào", NONE, NULL, "", 0, false },
	{ D, "", NONE, NULL, "", 0, false },
	{ D, "   ", NONE, NULL, "", 0, false },
	/* Every kind turned off, the lone digit with rating. */
	{ OFF, "MA 3805172961", NONE, NULL, "", 0, false },
	{ OFF, "PA đèn hỏng", NONE, NULL, "", 0, false },
	{ OFF, "DG 5", NONE, NULL, "", 0, false },
	{ OFF, "5", NONE, NULL, "", 0, false },
	{ OFF, "STOP", NONE, NULL, "", 0, false },
	/* Custom words, some of several words. */
	{ CUSTOM, "kt 3805172961", STATUS, "3805172961", "3805172961", 0,
	    false },
	{ CUSTOM, "Tra cứu hồ sơ 3805-1729-61", STATUS, "3805-1729-61",
	    "3805172961", 0, false },
	{ CUSTOM, "MA 3805172961", NONE, NULL, "", 0, false },
	{ CUSTOM, "Phản ánh: cống tràn", NEW, "cống tràn", "", 0, false },
	{ CUSTOM, "Phản ánhxyz", NONE, NULL, "", 0, false },
	{ CUSTOM, "PA cống tràn", NONE, NULL, "", 0, false },
	{ CUSTOM, "Đánh giá 5", RATE, NULL, "", 5, false },
	{ CUSTOM, "DG 5", NONE, NULL, "", 0, false },
	{ CUSTOM, "4", RATE, NULL, "", 4, true },
	{ CUSTOM, "Hủy ĐK", STOP, NULL, "", 0, false },
	{ CUSTOM, "huy", NONE, NULL, "", 0, false },
	/* Words configured shortest first: the longest that matches wins. */
	{ SHORT_FIRST, "PA MOI cống tràn", NEW, "cống tràn", "", 0, false },
	{ SHORT_FIRST, "PA cống tràn", NEW, "cống tràn", "", 0, false },
	{ SHORT_FIRST, "PA MOI", NEW, "MOI", "", 0, false },
	{ SHORT_FIRST, "MA SO 123", STATUS, "123", "123", 0, false },
	{ SHORT_FIRST, "MA 123", STATUS, "123", "123", 0, false },
};

static void
check_keyword_set(enum check_keyword_set set, struct sms_keywords *keywords)
{
	sms_keyword_defaults(keywords);
	if (set == CHECK_KEYWORDS_OFF) {
		keywords->status_count = 0;
		keywords->new_report_count = 0;
		keywords->rate_count = 0;
		keywords->stop_count = 0;
	} else if (set == CHECK_KEYWORDS_CUSTOM) {
		memset(keywords, 0, sizeof(*keywords));
		keywords->status[0] = "KT";
		keywords->status[1] = "TRA CUU HO SO";
		keywords->status_count = 2;
		keywords->new_report[0] = "PHAN ANH";
		keywords->new_report_count = 1;
		keywords->rate[0] = "DANH GIA";
		keywords->rate_count = 1;
		keywords->stop[0] = "HUY DK";
		keywords->stop_count = 1;
	} else if (set == CHECK_KEYWORDS_SHORT_FIRST) {
		memset(keywords, 0, sizeof(*keywords));
		keywords->status[0] = "MA";
		keywords->status[1] = "MA SO";
		keywords->status_count = 2;
		keywords->new_report[0] = "PA";
		keywords->new_report[1] = "PA MOI";
		keywords->new_report_count = 2;
	}
}

START_TEST(keyword_cases)
{
	const struct check_keyword_case *test = &check_keyword_cases[_i];
	struct sms_keywords keywords;
	struct sms_keyword_match match;
	enum sms_keyword_kind kind;

	check_keyword_set(test->set, &keywords);
	kind = sms_keyword_parse(&keywords, test->text, &match);

	ck_assert_msg(kind == test->kind, "\"%s\": expected kind %d, got %d",
	    test->text, test->kind, kind);
	ck_assert_msg(match.kind == kind, "\"%s\": match.kind %d, returned %d",
	    test->text, match.kind, kind);
	if (test->rest == NULL) {
		ck_assert_msg(match.rest == NULL, "\"%s\": rest \"%s\"",
		    test->text, match.rest);
	} else {
		ck_assert_msg(match.rest != NULL, "\"%s\": rest is NULL",
		    test->text);
		ck_assert_msg(match.rest >= test->text && match.rest <=
		    test->text + strlen(test->text),
		    "\"%s\": rest outside the text", test->text);
		ck_assert_msg(strcmp(match.rest, test->rest) == 0,
		    "\"%s\": expected rest \"%s\", got \"%s\"", test->text,
		    test->rest, match.rest);
	}
	ck_assert_msg(strcmp(match.digits, test->digits) == 0,
	    "\"%s\": expected digits \"%s\", got \"%s\"", test->text,
	    test->digits, match.digits);
	ck_assert_msg(match.rating == test->rating,
	    "\"%s\": expected rating %d, got %d", test->text, test->rating,
	    match.rating);
	ck_assert_msg(match.lone_digit == test->lone_digit,
	    "\"%s\": expected lone_digit %d, got %d", test->text,
	    test->lone_digit, match.lone_digit);
}
END_TEST

START_TEST(keyword_long_code_digits)
{
	struct sms_keywords keywords;
	struct sms_keyword_match match;

	sms_keyword_defaults(&keywords);
	ck_assert_int_eq(sms_keyword_parse(&keywords,
	    "MA 1234567890 1234567890 1234567890", &match), STATUS);
	ck_assert_uint_eq(strlen(match.digits), sizeof(match.digits) - 1);
	ck_assert_str_eq(match.digits, "12345678901234567890123");
}
END_TEST

START_TEST(keyword_status_marks_text_after_the_code)
{
	static const struct {
		const char *text;
		bool text_after_code;
	} cases[] = {
		{ "MA 3805172961", false },
		{ "MA 3805-1729-61.", false },
		{ "MA 123 !", false },
		{ "MA 3805172961 cảm ơn", true },
		/* An ordinary sentence: "But 3 days on it is still not
		 * fixed". */
		{ "Mà 3 ngày rồi vẫn chưa sửa", true },
	};
	struct sms_keywords keywords;
	struct sms_keyword_match match;

	sms_keyword_defaults(&keywords);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_int_eq(sms_keyword_parse(&keywords, cases[i].text,
		    &match), STATUS);
		ck_assert_msg(match.text_after_code == cases[i].text_after_code,
		    "\"%s\": expected text_after_code %d", cases[i].text,
		    cases[i].text_after_code);
	}
}
END_TEST

START_TEST(keyword_defaults)
{
	struct sms_keywords keywords;

	sms_keyword_defaults(&keywords);
	ck_assert_uint_eq(keywords.status_count, 4);
	ck_assert_str_eq(keywords.status[0], "MA");
	ck_assert_str_eq(keywords.status[1], "MA SO");
	ck_assert_str_eq(keywords.status[2], "TRA CUU");
	ck_assert_str_eq(keywords.status[3], "TRACUU");
	ck_assert_uint_eq(keywords.new_report_count, 1);
	ck_assert_str_eq(keywords.new_report[0], "PA");
	ck_assert_uint_eq(keywords.rate_count, 2);
	ck_assert_str_eq(keywords.rate[0], "DG");
	ck_assert_str_eq(keywords.rate[1], "DANH GIA");
	ck_assert_uint_eq(keywords.stop_count, 3);
	ck_assert_str_eq(keywords.stop[0], "TC");
	ck_assert_str_eq(keywords.stop[1], "HUY");
	ck_assert_str_eq(keywords.stop[2], "STOP");
}
END_TEST

Suite *
sms_keyword_suite(void)
{
	Suite *suite = suite_create("sms_keyword");
	TCase *parse = tcase_create("parse");

	tcase_add_loop_test(parse, keyword_cases, 0,
	    (int)(sizeof(check_keyword_cases) /
	    sizeof(check_keyword_cases[0])));
	tcase_add_test(parse, keyword_long_code_digits);
	tcase_add_test(parse, keyword_status_marks_text_after_the_code);
	tcase_add_test(parse, keyword_defaults);
	suite_add_tcase(suite, parse);
	return suite;
}
