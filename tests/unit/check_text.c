#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unictype.h>
#include <unistr.h>

#include "check_suites.h"
#include "check_util.h"
#include "text.h"

#define CHECK_TEXT_FOLDING_CASES TEST_CASES_DIR "/text/search-folding.tsv"
#define CHECK_TEXT_LINE_MAX 1024
#define CHECK_TEXT_WORDS_MAX 64

/* "Nguyễn" precomposed (U+1EC5) and decomposed (e, U+0302, U+0303). */
#define NGUYEN_NFC "Nguy\xe1\xbb\x85n"
#define NGUYEN_NFD "Nguye\xcc\x82\xcc\x83n"

/* "Đường Nguyễn Huệ" decomposed. Đ has no decomposition and stays whole. */
#define STREET_NFD "\xc4\x90u\xcc\x9bo\xcc\x9b\xcc\x80ng " NGUYEN_NFD \
	" Hue\xcc\xa3\xcc\x82"

static const struct check_text_bytes {
	const char	*name;
	const char	*bytes;
	size_t		 len;
} check_text_invalid[] = {
	{ "truncated two-byte sequence", "ab\xc3", 3 },
	{ "truncated three-byte sequence", "\xe1\xbb", 2 },
	{ "truncated four-byte sequence", "x\xf0\x9f\x98", 4 },
	{ "truncated sequence before ASCII", "\xe1\xbb" "a", 3 },
	{ "overlong slash", "\xc0\xaf", 2 },
	{ "overlong three-byte slash", "\xe0\x80\xaf", 3 },
	{ "overlong four-byte", "\xf0\x80\x80\xaf", 4 },
	{ "UTF-16 high surrogate", "\xed\xa0\x80", 3 },
	{ "UTF-16 low surrogate", "\xed\xbf\xbf", 3 },
	{ "above U+10FFFF", "\xf4\x90\x80\x80", 4 },
	{ "five-byte form", "\xf8\x88\x80\x80\x80", 5 },
	{ "stray continuation byte", "\x80", 1 },
	{ "continuation byte inside text", "a\xbf" "b", 3 },
	{ "byte 0xff", "\xff", 1 },
	{ "embedded NUL", "ab\0cd", 5 },
	{ "NUL alone", "\0", 1 },
};

START_TEST(valid_utf8_accepts_valid_text)
{
	static const char *const texts[] = {
		"", "plain ASCII", NGUYEN_NFC, NGUYEN_NFD, STREET_NFD,
		"\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf", "\xef\xbb\xbf",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		ck_assert_msg(text_valid_utf8(texts[i], strlen(texts[i])),
		    "text %zu rejected", i);
}
END_TEST

START_TEST(valid_utf8_rejects_invalid_bytes)
{
	const struct check_text_bytes *invalid = &check_text_invalid[_i];

	ck_assert_msg(!text_valid_utf8(invalid->bytes, invalid->len),
	    "%s accepted", invalid->name);
}
END_TEST

START_TEST(valid_utf8_checks_only_len_bytes)
{
	ck_assert(text_valid_utf8("ab\xc3\xa0", 2));
	ck_assert(!text_valid_utf8("ab\xc3\xa0", 3));
	ck_assert(text_valid_utf8("ab\xc3\xa0", 4));
}
END_TEST

START_TEST(normalize_composes_nfd)
{
	char *nfc = text_normalize(NGUYEN_NFD, strlen(NGUYEN_NFD));

	ck_assert_ptr_nonnull(nfc);
	ck_assert_str_eq(nfc, NGUYEN_NFC);
	free(nfc);

	nfc = text_normalize(STREET_NFD, strlen(STREET_NFD));
	ck_assert_ptr_nonnull(nfc);
	ck_assert_str_eq(nfc, "Đường Nguyễn Huệ");
	free(nfc);
}
END_TEST

START_TEST(normalize_keeps_nfc)
{
	const char *text = "Phường Mỹ Tho, tỉnh Đồng Tháp";
	char *nfc = text_normalize(text, strlen(text));

	ck_assert_ptr_nonnull(nfc);
	ck_assert_str_eq(nfc, text);
	free(nfc);
}
END_TEST

/* A precomposed letter followed by a combining mark must still compose or
 * reorder: the quick path for text that is already NFC may not take it. */
START_TEST(normalize_mixes_precomposed_and_marks)
{
	static const struct {
		const char *input;
		const char *expected;
	} cases[] = {
		/* ê (U+00EA) + combining dot below (U+0323) -> ệ (U+1EC7) */
		{ "\xc3\xaa\xcc\xa3", "\xe1\xbb\x87" },
		/* ư (U+01B0) + combining acute (U+0301) -> ứ (U+1EE9) */
		{ "\xc6\xb0\xcc\x81", "\xe1\xbb\xa9" },
		/* ạ (U+1EA1) + combining circumflex (U+0302) -> ậ (U+1EAD) */
		{ "\xe1\xba\xa1\xcc\x82", "\xe1\xba\xad" },
		/* a + combining acute -> á */
		{ "a\xcc\x81", "\xc3\xa1" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *nfc = text_normalize(cases[i].input,
		    strlen(cases[i].input));

		ck_assert_ptr_nonnull(nfc);
		ck_assert_msg(strcmp(nfc, cases[i].expected) == 0,
		    "case %zu: not composed", i);
		free(nfc);
	}
}
END_TEST

START_TEST(normalize_trims_white_space)
{
	static const struct {
		const char	*input;
		const char	*expected;
	} cases[] = {
		{ "  " NGUYEN_NFC "  ", NGUYEN_NFC },
		{ "\t\n" NGUYEN_NFC "\r\n", NGUYEN_NFC },
		{ "\xc2\xa0" NGUYEN_NFC "\xc2\xa0", NGUYEN_NFC },
		{ "\xe3\x80\x80" NGUYEN_NFC "\xe3\x80\x80", NGUYEN_NFC },
		{ "\xe2\x80\xa8\xc2\xa0 \t" NGUYEN_NFD "\xe3\x80\x80\n",
		    NGUYEN_NFC },
		{ " a \xc2\xa0 b\t", "a \xc2\xa0 b" },
		{ " \t\xc2\xa0\xe3\x80\x80\n", "" },
		{ "", "" },
		{ "x", "x" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *result = text_normalize(cases[i].input,
		    strlen(cases[i].input));

		ck_assert_ptr_nonnull(result);
		ck_assert_msg(strcmp(result, cases[i].expected) == 0,
		    "case %zu: expected \"%s\", got \"%s\"", i,
		    cases[i].expected, result);
		free(result);
	}
}
END_TEST

START_TEST(normalize_reads_only_len_bytes)
{
	char *result = text_normalize(" abc def", 4);

	ck_assert_ptr_nonnull(result);
	ck_assert_str_eq(result, "abc");
	free(result);
}
END_TEST

START_TEST(length_counts_code_points)
{
	ck_assert_uint_eq(text_length(""), 0);
	ck_assert_uint_eq(text_length("abc"), 3);
	ck_assert_uint_eq(text_length(NGUYEN_NFC), 6);
	ck_assert_uint_eq(text_length(NGUYEN_NFD), 8);
	ck_assert_uint_eq(text_length("Đường"), 5);
	ck_assert_uint_eq(text_length("a\xf0\x9f\x98\x80" "b"), 3);
}
END_TEST

static void
check_text_fold_is(const char *input, const char *expected)
{
	char *folded = text_fold(input);

	ck_assert_ptr_nonnull(folded);
	ck_assert_msg(strcmp(folded, expected) == 0,
	    "fold of \"%s\": expected \"%s\", got \"%s\"", input, expected,
	    folded);
	free(folded);
}

START_TEST(fold_vietnamese_street_name)
{
	check_text_fold_is("Đường Nguyễn Huệ", "duong nguyen hue");
	check_text_fold_is(STREET_NFD, "duong nguyen hue");
}
END_TEST

START_TEST(fold_maps_d_with_stroke)
{
	check_text_fold_is("Đ", "d");
	check_text_fold_is("đ", "d");
	check_text_fold_is("ĐĐđđ", "dddd");
	check_text_fold_is("Đồng Tháp", "dong thap");
}
END_TEST

START_TEST(fold_all_vietnamese_vowels)
{
	check_text_fold_is("ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ", "aaaaaaaaaaaaaaaaa");
	check_text_fold_is("èéẻẽẹêềếểễệ", "eeeeeeeeeee");
	check_text_fold_is("ÌÍỈĨỊ", "iiiii");
	check_text_fold_is("òóỏõọôồốổỗộơờớởỡợ", "ooooooooooooooooo");
	check_text_fold_is("ÙÚỦŨỤƯỪỨỬỮỰ", "uuuuuuuuuuu");
	check_text_fold_is("ỳýỷỹỵ", "yyyyy");
}
END_TEST

START_TEST(fold_other_scripts)
{
	check_text_fold_is("Straße", "strasse");
	check_text_fold_is("ÉCOLE", "ecole");
	/* Hangul syllables decompose into letters that are not marks, and
	 * recomposition brings them back. */
	check_text_fold_is("한국", "한국");
	check_text_fold_is("", "");
	check_text_fold_is("số 5, hẻm 12/3", "so 5, hem 12/3");
}
END_TEST

START_TEST(truncate_keeps_whole_characters)
{
	const char *text = "aĐường😀x Huệ";
	size_t len = strlen(text);
	char out[64];

	for (size_t size = 1; size <= len + 2; size++) {
		size_t written = text_truncate(text, out, size);

		ck_assert_msg(written < size, "size %zu: wrote %zu", size,
		    written);
		ck_assert_uint_eq(strlen(out), written);
		ck_assert_msg(memcmp(out, text, written) == 0,
		    "size %zu: not a prefix", size);
		ck_assert_msg(text_valid_utf8(out, written),
		    "size %zu: split a character", size);
		if (written < len) {
			/* The next character does not fit. */
			ck_assert_msg(written + u8_mblen((const uint8_t *)
			    text + written, len - written) > size - 1,
			    "size %zu: stopped early at %zu", size, written);
		}
	}
}
END_TEST

START_TEST(truncate_zero_size)
{
	char out[1] = { 'z' };

	ck_assert_uint_eq(text_truncate("abc", out, 0), 0);
	ck_assert_int_eq(out[0], 'z');
}
END_TEST

/* Splits folded text into words of letters and digits. Returns the count. */
static size_t
check_text_words(char *text, char *words[CHECK_TEXT_WORDS_MAX])
{
	uint8_t *p = (uint8_t *)text;
	size_t count = 0;
	bool in_word = false;

	while (*p != '\0') {
		ucs4_t uc;
		int step = u8_strmbtouc(&uc, p);

		ck_assert_int_gt(step, 0);
		if (uc_is_alnum(uc)) {
			if (!in_word) {
				ck_assert_uint_lt(count, CHECK_TEXT_WORDS_MAX);
				words[count++] = (char *)p;
			}
			in_word = true;
		} else {
			if (in_word)
				*p = '\0';
			in_word = false;
		}
		p += step;
	}
	return count;
}

/* Whether every word of the folded query is a whole word of the folded
 * document. */
static bool
check_text_words_match(const char *query, const char *document)
{
	char *query_folded = text_fold(query);
	char *document_folded = text_fold(document);
	char *query_words[CHECK_TEXT_WORDS_MAX];
	char *document_words[CHECK_TEXT_WORDS_MAX];
	size_t query_count, document_count;
	bool match = true;

	ck_assert_ptr_nonnull(query_folded);
	ck_assert_ptr_nonnull(document_folded);
	query_count = check_text_words(query_folded, query_words);
	document_count = check_text_words(document_folded, document_words);

	for (size_t i = 0; i < query_count && match; i++) {
		bool found = false;

		for (size_t j = 0; j < document_count && !found; j++)
			found = strcmp(query_words[i], document_words[j]) == 0;
		match = found;
	}
	free(query_folded);
	free(document_folded);
	return match && query_count > 0;
}

static void
check_text_folding_row(int line, const char *query, const char *document,
    const char *expected)
{
	bool want = strcmp(expected, "match") == 0;
	char *query_nfd = check_nfd(query);
	char *document_nfd = check_nfd(document);

	ck_assert_msg(want || strcmp(expected, "no match") == 0,
	    "line %d: unknown expectation \"%s\"", line, expected);
	ck_assert_msg(check_text_words_match(query, document) == want,
	    "line %d: \"%s\" in \"%s\": expected %s", line, query, document,
	    expected);
	ck_assert_msg(check_text_words_match(query_nfd, document_nfd) == want,
	    "line %d: \"%s\" in \"%s\" written in NFD: expected %s", line,
	    query, document, expected);
	free(query_nfd);
	free(document_nfd);
}

START_TEST(fold_search_cases)
{
	FILE *file = fopen(CHECK_TEXT_FOLDING_CASES, "r");
	char line[CHECK_TEXT_LINE_MAX];
	int number = 0, rows = 0;

	ck_assert_msg(file != NULL, "cannot open %s", CHECK_TEXT_FOLDING_CASES);
	while (fgets(line, sizeof(line), file) != NULL) {
		char *query, *document, *expected, *rest = line;

		number++;
		line[strcspn(line, "\r\n")] = '\0';
		if (number == 1 || line[0] == '\0')
			continue;

		query = strsep(&rest, "\t");
		document = strsep(&rest, "\t");
		expected = strsep(&rest, "\t");
		ck_assert_msg(expected != NULL && rest == NULL,
		    "line %d: expected three tab-separated fields", number);
		check_text_folding_row(number, query, document, expected);
		rows++;
	}
	fclose(file);
	ck_assert_int_gt(rows, 10);
}
END_TEST

Suite *
text_suite(void)
{
	Suite *suite = suite_create("text");
	TCase *utf8 = tcase_create("utf8");
	TCase *normalize = tcase_create("normalize");
	TCase *fold = tcase_create("fold");
	TCase *truncate = tcase_create("truncate");

	tcase_add_test(utf8, valid_utf8_accepts_valid_text);
	tcase_add_loop_test(utf8, valid_utf8_rejects_invalid_bytes, 0,
	    sizeof(check_text_invalid) / sizeof(check_text_invalid[0]));
	tcase_add_test(utf8, valid_utf8_checks_only_len_bytes);
	suite_add_tcase(suite, utf8);

	tcase_add_test(normalize, normalize_composes_nfd);
	tcase_add_test(normalize, normalize_keeps_nfc);
	tcase_add_test(normalize, normalize_mixes_precomposed_and_marks);
	tcase_add_test(normalize, normalize_trims_white_space);
	tcase_add_test(normalize, normalize_reads_only_len_bytes);
	tcase_add_test(normalize, length_counts_code_points);
	suite_add_tcase(suite, normalize);

	tcase_add_test(fold, fold_vietnamese_street_name);
	tcase_add_test(fold, fold_maps_d_with_stroke);
	tcase_add_test(fold, fold_all_vietnamese_vowels);
	tcase_add_test(fold, fold_other_scripts);
	tcase_add_test(fold, fold_search_cases);
	suite_add_tcase(suite, fold);

	tcase_add_test(truncate, truncate_keeps_whole_characters);
	tcase_add_test(truncate, truncate_zero_size);
	suite_add_tcase(suite, truncate);
	return suite;
}
