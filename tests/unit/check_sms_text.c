#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistr.h>

#include "channel.h"
#include "check_suites.h"
#include "sms_text.h"

#define CHECK_SMS_SEGMENT_CASES TEST_CASES_DIR "/sms/segments.tsv"
#define CHECK_SMS_LINE_MAX 1024
#define CHECK_SMS_ELLIPSIS_UCS2 "\u2026"
#define CHECK_SMS_ELLIPSIS_GSM "..."
#define CHECK_SMS_CODE "3805-1729-61"

/* GSM 03.38: the basic table without the escape, then the extension table.
 * The tests' own copy, independent of the hub's tables. */
static const char check_sms_gsm_alphabet[] =
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    "\f^{}\\[~]|€";

/* Whether every character of text is in GSM 03.38. */
static bool
check_sms_is_gsm(const char *text)
{
	const uint8_t *s = (const uint8_t *)text;

	while (*s != '\0') {
		char character[8];
		ucs4_t c;
		int length = u8_mbtouc(&c, s, strlen((const char *)s));

		memcpy(character, s, (size_t)length);
		character[length] = '\0';
		if (strstr(check_sms_gsm_alphabet, character) == NULL)
			return false;
		s += length;
	}
	return true;
}

static void
check_sms_segment_row(int line, char *const fields[5])
{
	struct hub_sms_size size;
	char *unaccented;

	hub_sms_measure(fields[0], &size);
	ck_assert_msg(strcmp(fields[1], "gsm7") == 0 ||
	    strcmp(fields[1], "ucs2") == 0,
	    "line %d: encoding \"%s\" is neither gsm7 nor ucs2", line,
	    fields[1]);
	ck_assert_msg(size.ucs2 == (strcmp(fields[1], "ucs2") == 0),
	    "line %d: expected %s, measured %s", line, fields[1],
	    size.ucs2 ? "ucs2" : "gsm7");
	ck_assert_msg(size.units == strtoul(fields[2], NULL, 10),
	    "line %d: expected %s units, measured %zu", line, fields[2],
	    size.units);
	ck_assert_msg(size.parts == strtoul(fields[3], NULL, 10),
	    "line %d: expected %s segments, measured %zu", line, fields[3],
	    size.parts);

	unaccented = sms_text_unaccent(fields[0]);
	ck_assert_msg(unaccented != NULL, "line %d: unaccent failed", line);
	ck_assert_msg(strcmp(unaccented, fields[4]) == 0,
	    "line %d: expected \"%s\", got \"%s\"", line, fields[4],
	    unaccented);
	if (check_sms_is_gsm(fields[4])) {
		hub_sms_measure(unaccented, &size);
		ck_assert_msg(!size.ucs2,
		    "line %d: unaccented text measures as ucs2", line);
	}
	free(unaccented);
}

START_TEST(segments_cases_file)
{
	FILE *file = fopen(CHECK_SMS_SEGMENT_CASES, "r");
	char line[CHECK_SMS_LINE_MAX];
	int number = 0, rows = 0;

	ck_assert_msg(file != NULL, "cannot open %s", CHECK_SMS_SEGMENT_CASES);
	while (fgets(line, sizeof(line), file) != NULL) {
		char *rest = line, *fields[5];

		number++;
		ck_assert_msg(strchr(line, '\n') != NULL || feof(file),
		    "line %d: longer than %d bytes", number,
		    CHECK_SMS_LINE_MAX - 1);
		line[strcspn(line, "\r\n")] = '\0';
		if (number == 1 || line[0] == '\0')
			continue;

		for (int i = 0; i < 5; i++)
			fields[i] = strsep(&rest, "\t");
		ck_assert_msg(fields[4] != NULL && rest == NULL,
		    "line %d: expected five tab-separated fields", number);
		check_sms_segment_row(number, fields);
		rows++;
	}
	fclose(file);
	ck_assert_int_ge(rows, 6);
}
END_TEST

static void
check_sms_unaccent_is(const char *text, const char *expected)
{
	char *unaccented = sms_text_unaccent(text);

	ck_assert_msg(unaccented != NULL, "unaccent \"%s\" failed", text);
	ck_assert_msg(strcmp(unaccented, expected) == 0,
	    "unaccent \"%s\": expected \"%s\", got \"%s\"", text, expected,
	    unaccented);
	free(unaccented);
}

START_TEST(unaccent_vietnamese_letters)
{
	check_sms_unaccent_is("ắằẳẵặ ấầẩẫậ ư ứ ơ ợ", "aaaaa aaaaa u u o o");
	check_sms_unaccent_is("ĐẮK LẮK, Đà Nẵng", "DAK LAK, Da Nang");
	check_sms_unaccent_is("đường", "duong");
	check_sms_unaccent_is("Phở Hà Nội", "Pho Ha Noi");
	check_sms_unaccent_is("HUỶ Hủy", "HUY Huy");
	/* NFD input: o, horn, dot below. */
	check_sms_unaccent_is("Pho\xcc\x9b\xcc\xa3 ", "Pho ");
	check_sms_unaccent_is("", "");
}
END_TEST

START_TEST(unaccent_other_characters)
{
	/* Every mark of a Latin letter goes, but other scripts keep theirs. */
	check_sms_unaccent_is("Façade naïve", "Facade naive");
	check_sms_unaccent_is("й ά", "й ά");
	check_sms_unaccent_is("0€ {} [~] 😀 \n", "0€ {} [~] 😀 \n");
	/* A mark with no letter before it is not a diacritic of a letter. */
	check_sms_unaccent_is(" \xcc\x81", " \xcc\x81");
	ck_assert_ptr_null(sms_text_unaccent("bad \xff byte"));
	ck_assert_ptr_null(sms_text_unaccent("\xc4"));
}
END_TEST

/* --- sms_text_fit ------------------------------------------------------- */

/* Appends copies of word, each followed by a space, until text has at least
 * length bytes. */
static void
check_sms_repeat(char *text, size_t size, const char *word, size_t length)
{
	size_t used = 0, word_len = strlen(word);

	while (used < length) {
		ck_assert(used + word_len + 2 <= size);
		memcpy(text + used, word, word_len);
		used += word_len;
		text[used++] = ' ';
	}
	text[used] = '\0';
}

static bool
check_sms_is_separator(char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == ',' || c == ';' ||
	    c == ':';
}

/* The parts that body takes with the ellipsis of its encoding. */
static size_t
check_sms_parts_with_ellipsis(const char *body, size_t body_len)
{
	struct hub_sms_size size;
	char *candidate = malloc(body_len + 4);

	ck_assert_ptr_nonnull(candidate);
	memcpy(candidate, body, body_len);
	candidate[body_len] = '\0';
	hub_sms_measure(candidate, &size);
	strcpy(candidate + body_len, size.ucs2 ? CHECK_SMS_ELLIPSIS_UCS2 :
	    CHECK_SMS_ELLIPSIS_GSM);
	hub_sms_measure(candidate, &size);
	free(candidate);
	return size.parts;
}

/*
 * Checks a result cut at a word. It takes at most max_parts parts and ends
 * with the ellipsis of its encoding after a prefix of text that ends a word.
 * No code is split, and the next whole word would not have fitted. Returns
 * the prefix's length.
 */
static size_t
check_sms_word_cut(const char *text, int max_parts, const char *code,
    const char *result)
{
	struct hub_sms_size size;
	const char *ellipsis;
	size_t body_len, next;

	hub_sms_measure(result, &size);
	ck_assert_uint_le(size.parts, (size_t)max_parts);
	ellipsis = size.ucs2 ? CHECK_SMS_ELLIPSIS_UCS2 : CHECK_SMS_ELLIPSIS_GSM;
	ck_assert_uint_gt(strlen(result), strlen(ellipsis));
	body_len = strlen(result) - strlen(ellipsis);
	ck_assert_str_eq(result + body_len, ellipsis);
	ck_assert_msg(strncmp(result, text, body_len) == 0,
	    "result is no prefix of the text: %s", result);
	ck_assert_msg(check_sms_is_separator(text[body_len]),
	    "cut inside a word: %s", result);
	ck_assert_msg(!check_sms_is_separator(text[body_len - 1]),
	    "separator before the ellipsis: %s", result);

	if (code != NULL) {
		const char *found = strstr(text, code);

		ck_assert_ptr_nonnull(found);
		ck_assert_msg((size_t)(found - text) >= body_len ||
		    (size_t)(found - text) + strlen(code) <= body_len,
		    "code split: %s", result);
	}

	/* The end of the next word, where the next cut would be. */
	next = body_len;
	while (text[next] != '\0' && check_sms_is_separator(text[next]))
		next++;
	while (text[next] != '\0' && !check_sms_is_separator(text[next]))
		next++;
	if (code == NULL || strstr(text, code) == NULL ||
	    strstr(text, code) + strlen(code) <= text + next ||
	    strstr(text, code) >= text + next)
		ck_assert_msg(check_sms_parts_with_ellipsis(text, next) >
		    (size_t)max_parts, "the next word fits too: %s", result);
	return body_len;
}

START_TEST(fit_unchanged)
{
	char text[400];
	bool cut = true;
	char *result;

	result = sms_text_fit("Cảm ơn bạn.", 1, NULL, &cut);
	ck_assert_str_eq(result, "Cảm ơn bạn.");
	ck_assert(!cut);
	free(result);

	/* 160 septets and 70 UCS-2 units still make one part. */
	memset(text, 'a', 160);
	text[160] = '\0';
	result = sms_text_fit(text, 1, NULL, &cut);
	ck_assert_str_eq(result, text);
	ck_assert(!cut);
	free(result);

	text[0] = '\0';
	for (int i = 0; i < 70; i++)
		strcat(text, "ư");
	result = sms_text_fit(text, 1, CHECK_SMS_CODE, &cut);
	ck_assert_str_eq(result, text);
	ck_assert(!cut);
	free(result);

	result = sms_text_fit("", 1, NULL, &cut);
	ck_assert_str_eq(result, "");
	ck_assert(!cut);
	free(result);

	result = sms_text_fit("ok", 3, NULL, NULL);
	ck_assert_str_eq(result, "ok");
	free(result);
}
END_TEST

START_TEST(fit_gsm_word_cut)
{
	static const char *const words[] = { "Cam", "on", "ban,", "da",
	    "gui", "phan", "anh:", "xe", "rac", "{tuyen}", "so", "12" };
	char text[1200];

	text[0] = '\0';
	while (strlen(text) < 1000)
		for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
			strcat(text, words[i]);
			strcat(text, " ");
		}

	for (int parts = 1; parts <= 3; parts++) {
		struct hub_sms_size size;
		bool cut = false;
		char *result = sms_text_fit(text, parts, NULL, &cut);

		ck_assert_ptr_nonnull(result);
		ck_assert(cut);
		hub_sms_measure(result, &size);
		ck_assert(!size.ucs2);
		ck_assert_uint_eq(size.parts, (size_t)parts);
		check_sms_word_cut(text, parts, NULL, result);
		free(result);
	}
}
END_TEST

START_TEST(fit_drops_trailing_comma)
{
	/* "Nang," ends at 153 septets, and the next word would not fit. */
	char text[400], expected[200];
	bool cut = false;
	char *result;

	memset(text, 'x', 140);
	for (int i = 9; i < 140; i += 10)
		text[i] = ' ';
	text[140] = '\0';
	memcpy(expected, text, 140);
	strcat(text, "Hue, Da Nang, khong con gi nua.");
	strcpy(expected + 140, "Hue, Da Nang...");

	result = sms_text_fit(text, 1, NULL, &cut);
	ck_assert(cut);
	ck_assert_str_eq(result, expected);
	free(result);
}
END_TEST

START_TEST(fit_ucs2_word_cut)
{
	char text[2000];

	check_sms_repeat(text, sizeof(text),
	    "Phản ánh: đèn đường hỏng, khu phố 3, phường Mỹ Tho.", 1500);

	for (int parts = 1; parts <= 3; parts++) {
		struct hub_sms_size size;
		bool cut = false;
		char *result = sms_text_fit(text, parts, NULL, &cut);

		ck_assert_ptr_nonnull(result);
		ck_assert(cut);
		hub_sms_measure(result, &size);
		ck_assert(size.ucs2);
		ck_assert_uint_eq(size.parts, (size_t)parts);
		check_sms_word_cut(text, parts, NULL, result);
		free(result);
	}
}
END_TEST

START_TEST(fit_code_not_split)
{
	/* 146 GSM characters, then a code written with spaces: a cut after
	 * "1729" would fit (146 + 10 + 3 septets) but split the code. */
	static const char code[] = "3805 1729 61";
	char text[400], expected[200];
	bool cut = false;
	char *result;

	memset(text, 'x', 146);
	for (int i = 9; i < 146; i += 10)
		text[i] = ' ';
	text[146] = '\0';
	strcat(text, " 3805 1729 61 va them chu de qua mot tin nhan.");

	result = sms_text_fit(text, 1, NULL, &cut);
	ck_assert(cut);
	ck_assert_msg(strstr(result, "3805 1729...") != NULL,
	    "without the code the cut falls inside it: %s", result);
	free(result);

	result = sms_text_fit(text, 1, code, &cut);
	ck_assert(cut);
	memcpy(expected, text, 146);
	strcpy(expected + 146, "...");
	ck_assert_str_eq(result, expected);
	check_sms_word_cut(text, 1, code, result);
	free(result);

	/* A word cut never splits a code without spaces, but a cut inside a
	 * long word could: 60 letters, the code, 30 letters in one word. */
	text[0] = '\0';
	expected[0] = '\0';
	for (int i = 0; i < 60; i++) {
		strcat(text, "ư");
		strcat(expected, "ư");
	}
	strcat(text, CHECK_SMS_CODE);
	for (int i = 0; i < 30; i++)
		strcat(text, "ư");
	strcat(expected, CHECK_SMS_ELLIPSIS_UCS2);
	result = sms_text_fit(text, 1, CHECK_SMS_CODE, &cut);
	ck_assert(cut);
	ck_assert_str_eq(result, expected);
	free(result);
}
END_TEST

START_TEST(fit_switches_to_gsm)
{
	/* The only UCS-2 character lies past the cut: the result is GSM-7,
	 * ends with "..." and contains far more than 70 characters. */
	char text[400], expected[200];
	struct hub_sms_size size;
	bool cut = false;
	char *result;

	check_sms_repeat(text, sizeof(text), "Duong", 145);
	text[strlen(text) - 1] = '\0';
	ck_assert_uint_eq(strlen(text), 149);
	memcpy(expected, text, 149);
	strcpy(expected + 149, "...");
	strcat(text, " Huế");

	hub_sms_measure(text, &size);
	ck_assert(size.ucs2);
	ck_assert_uint_eq(size.parts, 3);

	result = sms_text_fit(text, 1, NULL, &cut);
	ck_assert(cut);
	ck_assert_str_eq(result, expected);
	hub_sms_measure(result, &size);
	ck_assert(!size.ucs2);
	ck_assert_uint_eq(size.units, 152);
	free(result);
}
END_TEST

START_TEST(fit_long_single_word)
{
	char text[800], expected[400];
	bool cut = false;
	char *result;

	/* A link longer than a part is cut inside it. */
	strcpy(text, "https://hub.example/");
	memset(text + 20, 'a', 280);
	text[300] = '\0';
	memcpy(expected, text, 157);
	strcpy(expected + 157, "...");
	result = sms_text_fit(text, 1, NULL, &cut);
	ck_assert(cut);
	ck_assert_str_eq(result, expected);
	free(result);

	/* UCS-2: 69 letters and the ellipsis. */
	text[0] = '\0';
	for (int i = 0; i < 100; i++)
		strcat(text, "ư");
	expected[0] = '\0';
	for (int i = 0; i < 69; i++)
		strcat(expected, "ư");
	strcat(expected, CHECK_SMS_ELLIPSIS_UCS2);
	result = sms_text_fit(text, 1, NULL, &cut);
	ck_assert(cut);
	ck_assert_str_eq(result, expected);
	free(result);

	/* NFD letters (e and a combining acute, two units each) keep their
	 * mark: 34 letters and the ellipsis make 69 units. */
	text[0] = '\0';
	for (int i = 0; i < 100; i++)
		strcat(text, "e\xcc\x81");
	expected[0] = '\0';
	for (int i = 0; i < 34; i++)
		strcat(expected, "e\xcc\x81");
	strcat(expected, CHECK_SMS_ELLIPSIS_UCS2);
	result = sms_text_fit(text, 1, NULL, &cut);
	ck_assert_str_eq(result, expected);
	free(result);
}
END_TEST

START_TEST(fit_code_first)
{
	char text[600];
	struct hub_sms_size size;
	bool cut = false;
	char *result;

	strcpy(text, CHECK_SMS_CODE " ");
	check_sms_repeat(text + strlen(text), sizeof(text) - strlen(text),
	    "phản ánh đã được chuyển đến phường xử lý", 400);

	result = sms_text_fit(text, 1, CHECK_SMS_CODE, &cut);
	ck_assert(cut);
	ck_assert_msg(strncmp(result, CHECK_SMS_CODE " ",
	    strlen(CHECK_SMS_CODE) + 1) == 0, "code lost: %s", result);
	hub_sms_measure(result, &size);
	ck_assert_uint_eq(size.parts, 1);
	check_sms_word_cut(text, 1, CHECK_SMS_CODE, result);
	free(result);

	/* A code longer than the part cannot be kept whole, so the result is
	 * the ellipsis alone rather than a part of the code. */
	memset(text, '7', 200);
	text[200] = '\0';
	result = sms_text_fit(text, 1, text, &cut);
	ck_assert(cut);
	ck_assert_str_eq(result, "...");
	free(result);
}
END_TEST

START_TEST(fit_few_kilobytes)
{
	static char text[40000];
	bool cut = false;
	char *result;

	check_sms_repeat(text, sizeof(text), "Tổ dân phố 5 báo nước ngập",
	    30000);
	result = sms_text_fit(text, 3, NULL, &cut);
	ck_assert(cut);
	check_sms_word_cut(text, 3, NULL, result);
	free(result);

	memset(text, 'z', 30000);
	text[30000] = '\0';
	result = sms_text_fit(text, 2, NULL, &cut);
	ck_assert(cut);
	ck_assert_uint_eq(strlen(result), 306);
	ck_assert_str_eq(result + 303, CHECK_SMS_ELLIPSIS_GSM);
	free(result);
}
END_TEST

Suite *
sms_text_suite(void)
{
	Suite *suite = suite_create("sms_text");
	TCase *measure = tcase_create("measure");
	TCase *unaccent = tcase_create("unaccent");
	TCase *fit = tcase_create("fit");

	tcase_add_test(measure, segments_cases_file);
	suite_add_tcase(suite, measure);

	tcase_add_test(unaccent, unaccent_vietnamese_letters);
	tcase_add_test(unaccent, unaccent_other_characters);
	suite_add_tcase(suite, unaccent);

	tcase_add_test(fit, fit_unchanged);
	tcase_add_test(fit, fit_gsm_word_cut);
	tcase_add_test(fit, fit_drops_trailing_comma);
	tcase_add_test(fit, fit_ucs2_word_cut);
	tcase_add_test(fit, fit_code_not_split);
	tcase_add_test(fit, fit_switches_to_gsm);
	tcase_add_test(fit, fit_long_single_word);
	tcase_add_test(fit, fit_code_first);
	tcase_add_test(fit, fit_few_kilobytes);
	suite_add_tcase(suite, fit);
	return suite;
}
