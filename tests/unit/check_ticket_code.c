#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "ticket_code.h"

#define CHECK_TICKET_CODE_DISTINCT 200000

/* A valid code: the Damm check digit of 380517296 is 1. */
#define CHECK_TICKET_CODE_VALID "3805172961"

static uint8_t check_ticket_code_key_a[TICKET_CODE_KEY_BYTES];
static uint8_t check_ticket_code_key_b[TICKET_CODE_KEY_BYTES];

static void
check_ticket_code_setup(void)
{
	for (int i = 0; i < TICKET_CODE_KEY_BYTES; i++) {
		check_ticket_code_key_a[i] = (uint8_t)i;
		check_ticket_code_key_b[i] = (uint8_t)(0xa5 ^ (i * 7));
	}
}

static void
check_ticket_code_encode(const uint8_t *key, uint64_t counter,
    char code[TICKET_CODE_PLAIN_SIZE])
{
	ck_assert_msg(ticket_code_encode(key, counter, code) == 0,
	    "counter %llu not encoded", (unsigned long long)counter);
	ck_assert_uint_eq(strlen(code), TICKET_CODE_DIGITS);
	ck_assert_uint_eq(strspn(code, "0123456789"), TICKET_CODE_DIGITS);
}

START_TEST(damm_known_values)
{
	ck_assert_int_eq(ticket_code_damm("572"), 4);
	ck_assert_int_eq(ticket_code_damm("5724"), 0);
	ck_assert_int_eq(ticket_code_damm("380517296"), 1);
	ck_assert_int_eq(ticket_code_damm(""), 0);
	ck_assert_int_eq(ticket_code_damm("12a"), -1);
}
END_TEST

static void
check_ticket_code_round_trip(const uint8_t *key, uint64_t counter)
{
	char code[TICKET_CODE_PLAIN_SIZE];
	uint64_t decoded = 0;

	check_ticket_code_encode(key, counter, code);
	ck_assert_int_eq(ticket_code_damm(code), 0);
	ck_assert_msg(ticket_code_decode(key, code, &decoded) == 0,
	    "code %s of counter %llu not decoded", code,
	    (unsigned long long)counter);
	ck_assert_msg(decoded == counter, "code %s: counter %llu decoded as %llu",
	    code, (unsigned long long)counter, (unsigned long long)decoded);
}

START_TEST(encode_decode_round_trip)
{
	const uint8_t *keys[] = {
		check_ticket_code_key_a, check_ticket_code_key_b,
	};

	for (size_t k = 0; k < 2; k++) {
		for (uint64_t counter = 1; counter <= 20000; counter++)
			check_ticket_code_round_trip(keys[k], counter);
		for (uint64_t counter = 20000; counter <= TICKET_CODE_COUNTER_MAX;
		    counter += 999983)
			check_ticket_code_round_trip(keys[k], counter);
		check_ticket_code_round_trip(keys[k], TICKET_CODE_COUNTER_MAX);
		check_ticket_code_round_trip(keys[k],
		    TICKET_CODE_COUNTER_MAX - 1);
	}
}
END_TEST

START_TEST(encode_rejects_out_of_range)
{
	char code[TICKET_CODE_PLAIN_SIZE];

	ck_assert_int_eq(ticket_code_encode(check_ticket_code_key_a, 0, code),
	    -1);
	ck_assert_int_eq(ticket_code_encode(check_ticket_code_key_a,
	    TICKET_CODE_COUNTER_MAX + 1, code), -1);
}
END_TEST

START_TEST(decode_rejects_malformed)
{
	uint64_t counter;

	ck_assert_int_eq(ticket_code_decode(check_ticket_code_key_a,
	    "3805172965", &counter), -1);
	ck_assert_int_eq(ticket_code_decode(check_ticket_code_key_a,
	    "380517296", &counter), -1);
	ck_assert_int_eq(ticket_code_decode(check_ticket_code_key_a,
	    "38051729610", &counter), -1);
	ck_assert_int_eq(ticket_code_decode(check_ticket_code_key_a,
	    "3805-1729-61", &counter), -1);
	ck_assert_int_eq(ticket_code_decode(check_ticket_code_key_a, "",
	    &counter), -1);
}
END_TEST

START_TEST(keys_give_different_codes)
{
	int same = 0;

	for (uint64_t counter = 1; counter <= 1000; counter++) {
		char code_a[TICKET_CODE_PLAIN_SIZE], code_b[TICKET_CODE_PLAIN_SIZE];
		uint64_t decoded = 0;

		check_ticket_code_encode(check_ticket_code_key_a, counter,
		    code_a);
		check_ticket_code_encode(check_ticket_code_key_b, counter,
		    code_b);
		if (strcmp(code_a, code_b) == 0)
			same++;
		else if (ticket_code_decode(check_ticket_code_key_b, code_a,
		    &decoded) == 0)
			ck_assert_uint_ne(decoded, counter);
	}
	ck_assert_int_le(same, 1);
}
END_TEST

static int
check_ticket_code_compare(const void *a, const void *b)
{
	uint32_t left = *(const uint32_t *)a, right = *(const uint32_t *)b;

	return (left > right) - (left < right);
}

START_TEST(first_counters_distinct)
{
	uint32_t *codes = calloc(CHECK_TICKET_CODE_DISTINCT, sizeof(*codes));

	ck_assert_ptr_nonnull(codes);
	for (uint32_t i = 0; i < CHECK_TICKET_CODE_DISTINCT; i++) {
		char code[TICKET_CODE_PLAIN_SIZE];

		check_ticket_code_encode(check_ticket_code_key_a, i + 1, code);
		code[TICKET_CODE_DIGITS - 1] = '\0';
		codes[i] = (uint32_t)strtoul(code, NULL, 10);
	}
	qsort(codes, CHECK_TICKET_CODE_DISTINCT, sizeof(*codes),
	    check_ticket_code_compare);
	for (uint32_t i = 1; i < CHECK_TICKET_CODE_DISTINCT; i++)
		ck_assert_msg(codes[i - 1] != codes[i], "code %09u repeats",
		    codes[i]);
	free(codes);
}
END_TEST

static int
check_ticket_code_differing_digits(const char *a, const char *b)
{
	int count = 0;

	for (int i = 0; i < TICKET_CODE_DIGITS - 1; i++)
		count += a[i] != b[i];
	return count;
}

START_TEST(neighbours_not_sequential)
{
	char previous[TICKET_CODE_PLAIN_SIZE], code[TICKET_CODE_PLAIN_SIZE];
	int total = 0, pairs = 2000;

	check_ticket_code_encode(check_ticket_code_key_a, 1, previous);
	for (uint64_t counter = 2; counter <= (uint64_t)pairs + 1; counter++) {
		int differing;

		check_ticket_code_encode(check_ticket_code_key_a, counter, code);
		differing = check_ticket_code_differing_digits(previous, code);
		ck_assert_msg(differing >= 3,
		    "counters %llu and %llu: %s and %s differ in %d digits",
		    (unsigned long long)counter - 1, (unsigned long long)counter,
		    previous, code, differing);
		total += differing;
		memcpy(previous, code, sizeof(code));
	}
	/* Random digits differ in 9 * 0.9 = 8.1 positions on average. */
	ck_assert_msg(total >= pairs * 7, "%d differing digits in %d pairs",
	    total, pairs);
}
END_TEST

START_TEST(single_substitutions_rejected)
{
	for (uint64_t counter = 1; counter <= 300; counter++) {
		char code[TICKET_CODE_PLAIN_SIZE], out[TICKET_CODE_PLAIN_SIZE];
		uint64_t decoded;

		check_ticket_code_encode(check_ticket_code_key_a,
		    counter * 3331, code);
		for (int i = 0; i < TICKET_CODE_DIGITS; i++) {
			char original = code[i];

			for (char digit = '0'; digit <= '9'; digit++) {
				if (digit == original)
					continue;
				code[i] = digit;
				ck_assert_msg(ticket_code_parse(code, out) == -1,
				    "%s accepted", code);
				ck_assert_int_eq(ticket_code_decode(
				    check_ticket_code_key_a, code, &decoded), -1);
			}
			code[i] = original;
		}
	}
}
END_TEST

START_TEST(adjacent_transpositions_rejected)
{
	int tested = 0;

	for (uint64_t counter = 1; counter <= 1000; counter++) {
		char code[TICKET_CODE_PLAIN_SIZE], out[TICKET_CODE_PLAIN_SIZE];

		check_ticket_code_encode(check_ticket_code_key_b, counter, code);
		for (int i = 0; i + 1 < TICKET_CODE_DIGITS; i++) {
			char swapped[TICKET_CODE_PLAIN_SIZE];

			if (code[i] == code[i + 1])
				continue;
			memcpy(swapped, code, sizeof(swapped));
			swapped[i] = code[i + 1];
			swapped[i + 1] = code[i];
			ck_assert_msg(ticket_code_parse(swapped, out) == -1,
			    "%s accepted as a swap of %s", swapped, code);
			tested++;
		}
	}
	ck_assert_int_gt(tested, 7000);
}
END_TEST

START_TEST(group_formats_four_four_two)
{
	char grouped[TICKET_CODE_GROUPED_SIZE];

	ticket_code_group(CHECK_TICKET_CODE_VALID, grouped);
	ck_assert_str_eq(grouped, "3805-1729-61");
}
END_TEST

static void
check_ticket_code_parse_is(const char *input, const char *expected)
{
	char out[TICKET_CODE_PLAIN_SIZE];
	int rc = ticket_code_parse(input, out);

	if (expected == NULL) {
		ck_assert_msg(rc == -1, "\"%s\" accepted as %s", input, out);
		return;
	}
	ck_assert_msg(rc == 0, "\"%s\" rejected", input);
	ck_assert_msg(strcmp(out, expected) == 0, "\"%s\" parsed as %s",
	    input, out);
}

START_TEST(parse_accepts_groupings)
{
	static const char *const inputs[] = {
		"3805172961", "3805-1729-61", "3805 1729 61", "3805.1729.61",
		"380 517 296 1", "38-05-17-29-61", "3805-1729 61",
		"3 8 0 5 1 7 2 9 6 1",
	};

	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
		check_ticket_code_parse_is(inputs[i], CHECK_TICKET_CODE_VALID);
}
END_TEST

START_TEST(parse_accepts_encoded_codes)
{
	for (uint64_t counter = 1; counter <= 100; counter++) {
		char code[TICKET_CODE_PLAIN_SIZE];
		char grouped[TICKET_CODE_GROUPED_SIZE];

		check_ticket_code_encode(check_ticket_code_key_a, counter, code);
		ticket_code_group(code, grouped);
		check_ticket_code_parse_is(code, code);
		check_ticket_code_parse_is(grouped, code);
	}
}
END_TEST

START_TEST(parse_rejects_malformed)
{
	static const char *const inputs[] = {
		"", "3805-1729-65", "380517296", "38051729615", "3805-1729-6",
		"3805-1729-615", "3805--1729-61", "3805  1729 61",
		"3805-.1729-61", "-3805-1729-61", "3805-1729-61-",
		" 3805172961", "3805172961 ", "3805a1729-61", "38O5172961",
		"3805_1729_61", "3805/1729/61", "3805\t1729\t61", "#3805172961",
		"３８０５１７２９６５", "abcdefghij",
	};

	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
		check_ticket_code_parse_is(inputs[i], NULL);
}
END_TEST

static void
check_ticket_code_find_is(const char *text, const char *expected)
{
	char out[TICKET_CODE_PLAIN_SIZE];
	int rc = ticket_code_find(text, out);

	if (expected == NULL) {
		ck_assert_msg(rc == -1, "found %s in \"%s\"", out, text);
		return;
	}
	ck_assert_msg(rc == 0, "nothing found in \"%s\"", text);
	ck_assert_msg(strcmp(out, expected) == 0, "found %s in \"%s\"", out,
	    text);
}

START_TEST(find_in_vietnamese_sentences)
{
	static const char *const texts[] = {
		"Cho tôi hỏi hồ sơ mã 3805-1729-61 đã xử lý chưa?",
		"Mã phản ánh: 3805172961. Xin cảm ơn",
		"#3805172961",
		"ma 3805 1729 61 gui tu Dong Thap",
		"Phản ánh số 3805.1729.61, đường Nguyễn Huệ bị ngập",
		"(3805-1729-61)",
		"mã3805172961",
		"3805172961",
		"Sáng 12/3 tôi gọi 0912 345 678 về mã 3805-1729-61",
		"Mã 3805172965 sai, mã đúng là 3805-1729-61",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		check_ticket_code_find_is(texts[i], CHECK_TICKET_CODE_VALID);
}
END_TEST

START_TEST(find_skips_longer_numbers)
{
	/* 0912345670 and 3805172961 are valid codes on their own (the Damm
	 * check digit of 091234567 is 0), and each text writes one of them
	 * inside a longer number or after '+'. */
	static const char *const texts[] = {
		"Gọi lại cho tôi theo số +84 0912345670 nhé",
		"Số điện thoại: 840912345670",
		"SĐT 0084 0912 345 670",
		"+84 0912 345 670",
		"Tài khoản 09123456700 ở ngân hàng",
		"Mã 13805172961 không đúng",
		"Mã 38051729610 không đúng",
		"Tổng 3805172961.5 đồng",
		"3805-1729-61-1",
		"+3805172961",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		check_ticket_code_find_is(texts[i], NULL);
}
END_TEST

START_TEST(find_nothing_without_code)
{
	check_ticket_code_find_is("Mã 3805172965 có số kiểm tra sai", NULL);
	check_ticket_code_find_is("Mã 3805-1729-6 thiếu một số", NULL);
	check_ticket_code_find_is("Không có mã nào ở đây", NULL);
	check_ticket_code_find_is("", NULL);
}
END_TEST

Suite *
ticket_code_suite(void)
{
	Suite *suite = suite_create("ticket_code");
	TCase *permutation = tcase_create("permutation");
	TCase *check_digit = tcase_create("check_digit");
	TCase *text = tcase_create("text");

	tcase_add_unchecked_fixture(permutation, check_ticket_code_setup, NULL);
	tcase_set_timeout(permutation, 30);
	tcase_add_test(permutation, encode_decode_round_trip);
	tcase_add_test(permutation, encode_rejects_out_of_range);
	tcase_add_test(permutation, decode_rejects_malformed);
	tcase_add_test(permutation, keys_give_different_codes);
	tcase_add_test(permutation, first_counters_distinct);
	tcase_add_test(permutation, neighbours_not_sequential);
	suite_add_tcase(suite, permutation);

	tcase_add_unchecked_fixture(check_digit, check_ticket_code_setup, NULL);
	tcase_add_test(check_digit, damm_known_values);
	tcase_add_test(check_digit, single_substitutions_rejected);
	tcase_add_test(check_digit, adjacent_transpositions_rejected);
	suite_add_tcase(suite, check_digit);

	tcase_add_unchecked_fixture(text, check_ticket_code_setup, NULL);
	tcase_add_test(text, group_formats_four_four_two);
	tcase_add_test(text, parse_accepts_groupings);
	tcase_add_test(text, parse_accepts_encoded_codes);
	tcase_add_test(text, parse_rejects_malformed);
	tcase_add_test(text, find_in_vietnamese_sentences);
	tcase_add_test(text, find_skips_longer_numbers);
	tcase_add_test(text, find_nothing_without_code);
	suite_add_tcase(suite, text);
	return suite;
}
