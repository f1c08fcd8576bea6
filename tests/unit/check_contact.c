#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "contact.h"

#define CHECK_CONTACT_PHONE_CASES TEST_CASES_DIR "/sms/phone-numbers.tsv"
#define CHECK_CONTACT_LINE_MAX 256

static void
check_contact_phone_is(const char *input, const char *expected)
{
	char out[CONTACT_E164_MAX];
	int rc = contact_phone_e164(input, out);

	if (strcmp(expected, "invalid") == 0) {
		ck_assert_msg(rc == -1, "phone \"%s\": expected invalid, got %s",
		    input, out);
		return;
	}
	ck_assert_msg(rc == 0, "phone \"%s\": expected %s, got invalid", input,
	    expected);
	ck_assert_msg(strcmp(out, expected) == 0,
	    "phone \"%s\": expected %s, got %s", input, expected, out);
}

START_TEST(phone_cases_file)
{
	FILE *file = fopen(CHECK_CONTACT_PHONE_CASES, "r");
	char line[CHECK_CONTACT_LINE_MAX];
	int number = 0, rows = 0;

	ck_assert_msg(file != NULL, "cannot open %s",
	    CHECK_CONTACT_PHONE_CASES);
	while (fgets(line, sizeof(line), file) != NULL) {
		char *rest = line, *input, *expected;

		number++;
		line[strcspn(line, "\r\n")] = '\0';
		if (number == 1)
			continue;

		input = strsep(&rest, "\t");
		expected = strsep(&rest, "\t");
		ck_assert_msg(expected != NULL && rest == NULL,
		    "line %d: expected two tab-separated fields", number);
		check_contact_phone_is(input, expected);
		rows++;
	}
	fclose(file);
	ck_assert_int_gt(rows, 15);
}
END_TEST

START_TEST(phone_retired_prefixes)
{
	static const char *const prefixes[][2] = {
		{ "0162", "+8432" }, { "0163", "+8433" }, { "0164", "+8434" },
		{ "0165", "+8435" }, { "0166", "+8436" }, { "0167", "+8437" },
		{ "0168", "+8438" }, { "0169", "+8439" },
		{ "0120", "+8470" }, { "0121", "+8479" }, { "0122", "+8477" },
		{ "0126", "+8476" }, { "0128", "+8478" },
		{ "0123", "+8483" }, { "0124", "+8484" }, { "0125", "+8485" },
		{ "0127", "+8481" }, { "0129", "+8482" },
		{ "0186", "+8456" }, { "0188", "+8458" },
		{ "0199", "+8459" },
	};

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		char input[32], expected[32];

		snprintf(input, sizeof(input), "%s 765 4321", prefixes[i][0]);
		snprintf(expected, sizeof(expected), "%s7654321",
		    prefixes[i][1]);
		check_contact_phone_is(input, expected);

		snprintf(input, sizeof(input), "+84 %s7654321",
		    prefixes[i][0] + 1);
		check_contact_phone_is(input, expected);
	}
}
END_TEST

START_TEST(phone_unknown_eleven_digit_prefixes)
{
	check_contact_phone_is("01307654321", "invalid");
	check_contact_phone_is("01617654321", "invalid");
	check_contact_phone_is("01877654321", "invalid");
	check_contact_phone_is("01987654321", "invalid");
}
END_TEST

START_TEST(phone_vietnamese_forms)
{
	check_contact_phone_is("0387654321", "+84387654321");
	check_contact_phone_is("0567654321", "+84567654321");
	check_contact_phone_is("0707654321", "+84707654321");
	check_contact_phone_is("0867654321", "+84867654321");
	check_contact_phone_is("84 867 654 321", "+84867654321");
	check_contact_phone_is("867654321", "+84867654321");
	check_contact_phone_is("0084 0912 345 678", "+84912345678");
	check_contact_phone_is("840912345678", "+84912345678");
	check_contact_phone_is("(028) 3822 1234", "+842838221234");
	check_contact_phone_is("+84 28 3822 1234", "+842838221234");
	check_contact_phone_is("0084 28.3822.1234", "+842838221234");
	check_contact_phone_is("+84 (0) 912 345 678", "+84912345678");
}
END_TEST

START_TEST(phone_invalid_vietnamese_numbers)
{
	check_contact_phone_is("0412345678", "invalid");
	check_contact_phone_is("0612345678", "invalid");
	check_contact_phone_is("0112345678", "invalid");
	check_contact_phone_is("09123456789", "invalid");
	check_contact_phone_is("04123456789", "invalid");
	check_contact_phone_is("+84 91234567", "invalid");
	check_contact_phone_is("+84 9123456789", "invalid");
	check_contact_phone_is("2838221234", "invalid");
	check_contact_phone_is("412345678", "invalid");
	check_contact_phone_is("00912345678", "invalid");
	check_contact_phone_is("0084", "invalid");
	check_contact_phone_is("+840", "invalid");
}
END_TEST

START_TEST(phone_other_countries)
{
	check_contact_phone_is("+44 20 7946 0958", "+442079460958");
	check_contact_phone_is("+33 (1) 23.45.67.89", "+33123456789");
	check_contact_phone_is("+1234567", "invalid");
	check_contact_phone_is("+12345678", "+12345678");
	check_contact_phone_is("+123456789012345", "+123456789012345");
	check_contact_phone_is("+1234567890123456", "invalid");
	check_contact_phone_is("+0123456789", "invalid");
	check_contact_phone_is("001 202 555 0143", "invalid");
}
END_TEST

START_TEST(phone_invalid_characters)
{
	check_contact_phone_is("0912345678x", "invalid");
	check_contact_phone_is("0912/345/678", "invalid");
	check_contact_phone_is("0912_345_678", "invalid");
	check_contact_phone_is("0912\t345678", "invalid");
	check_contact_phone_is("09123+45678", "invalid");
	check_contact_phone_is("++84912345678", "invalid");
	check_contact_phone_is("84+912345678", "invalid");
	check_contact_phone_is("０９１２３４５６７８", "invalid");
	check_contact_phone_is(" ", "invalid");
	check_contact_phone_is("+", "invalid");
	check_contact_phone_is("-().", "invalid");
	check_contact_phone_is("091234567891234567890", "invalid");
}
END_TEST

static void
check_contact_email_is(const char *input, const char *expected)
{
	char *result = contact_email_normalize(input);

	ck_assert_msg(result != NULL, "email \"%s\": rejected", input);
	ck_assert_msg(strcmp(result, expected) == 0,
	    "email \"%s\": expected %s, got %s", input, expected, result);
	free(result);
}

static void
check_contact_email_rejected(const char *input)
{
	char *result;

	errno = 0;
	result = contact_email_normalize(input);
	ck_assert_msg(result == NULL, "email \"%s\": accepted as %s", input,
	    result);
	ck_assert_msg(errno == EINVAL, "email \"%s\": errno %d", input, errno);
}

START_TEST(email_lowercases_domain_only)
{
	check_contact_email_is("Nguyen.Van.A@Example.COM.VN",
	    "Nguyen.Van.A@example.com.vn");
	check_contact_email_is("a@b.co", "a@b.co");
	check_contact_email_is("an.nguyen@b.co", "an.nguyen@b.co");
	check_contact_email_is("x+tag@Sub-1.Mail.XN--P1AI",
	    "x+tag@sub-1.mail.xn--p1ai");
	check_contact_email_is("o'brien!#$%&*/=?^_`{|}~@example.org",
	    "o'brien!#$%&*/=?^_`{|}~@example.org");
	check_contact_email_is("trần@Example.vn", "trần@example.vn");
}
END_TEST

START_TEST(email_rejects_invalid_forms)
{
	static const char *const inputs[] = {
		"", "@", "plain", "@example.com", "a@", "a@localhost",
		"a@@example.com", "a@b@example.com", "a b@example.com",
		" a@example.com", "a@example.com ", "a\t@example.com",
		"a\x01@example.com", "a\x7f@example.com", "a@exa mple.com",
		"a@-example.com", "a@example-.com", "a@example..com",
		"a@.example.com", "a@example.com.", "a@exa_mple.com",
		"a@ví.vn", "\"a b\"@example.com", "<a@example.com>",
		"a,b@example.com", "a@[127.0.0.1]", "a\xc2\xa0" "b@example.com",
		"a\xc3@example.com", ".a@b.co", "a.@b.co", "a..b@c.co",
	};

	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
		check_contact_email_rejected(inputs[i]);
}
END_TEST

/* Fills buffer with len copies of c and a NUL. */
static char *
check_contact_repeat(char *buffer, char c, size_t len)
{
	memset(buffer, c, len);
	buffer[len] = '\0';
	return buffer;
}

START_TEST(email_length_limits)
{
	char local[80], label[80], tail[80], address[400];

	/* 64 + 1 + 63 + 1 + 63 + 1 + 61 = 254 bytes in all. */
	check_contact_repeat(local, 'l', 64);
	check_contact_repeat(label, 'd', 63);
	check_contact_repeat(tail, 't', 61);
	snprintf(address, sizeof(address), "%s@%s.%s.%s", local, label, label,
	    tail);
	ck_assert_uint_eq(strlen(address), 254);
	check_contact_email_is(address, address);

	check_contact_repeat(tail, 't', 62);
	snprintf(address, sizeof(address), "%s@%s.%s.%s", local, label, label,
	    tail);
	check_contact_email_rejected(address);

	check_contact_repeat(local, 'l', 65);
	snprintf(address, sizeof(address), "%s@example.com", local);
	check_contact_email_rejected(address);

	check_contact_repeat(label, 'd', 64);
	snprintf(address, sizeof(address), "a@%s.com", label);
	check_contact_email_rejected(address);

	check_contact_repeat(label, 'd', 63);
	snprintf(address, sizeof(address), "a@%s.com", label);
	check_contact_email_is(address, address);
}
END_TEST

START_TEST(kind_names)
{
	ck_assert_str_eq(contact_kind_name(CONTACT_PHONE), "phone");
	ck_assert_str_eq(contact_kind_name(CONTACT_EMAIL), "email");
	ck_assert_str_eq(contact_kind_name(CONTACT_PLATFORM), "platform");
	ck_assert_str_eq(contact_kind_name((enum contact_kind)0), "unknown");
}
END_TEST

Suite *
contact_suite(void)
{
	Suite *suite = suite_create("contact");
	TCase *phone = tcase_create("phone");
	TCase *email = tcase_create("email");

	tcase_add_test(phone, phone_cases_file);
	tcase_add_test(phone, phone_retired_prefixes);
	tcase_add_test(phone, phone_unknown_eleven_digit_prefixes);
	tcase_add_test(phone, phone_vietnamese_forms);
	tcase_add_test(phone, phone_invalid_vietnamese_numbers);
	tcase_add_test(phone, phone_other_countries);
	tcase_add_test(phone, phone_invalid_characters);
	tcase_add_test(phone, kind_names);
	suite_add_tcase(suite, phone);

	tcase_add_test(email, email_lowercases_domain_only);
	tcase_add_test(email, email_rejects_invalid_forms);
	tcase_add_test(email, email_length_limits);
	suite_add_tcase(suite, email);
	return suite;
}
