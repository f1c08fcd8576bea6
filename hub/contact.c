#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unictype.h>
#include <unistr.h>

#include "contact.h"
#include "text.h"

/* Maximum digits read from one phone number. The longest valid input,
 * "0084 0" and a retired 11-digit mobile number, has 15. */
#define CONTACT_PHONE_DIGITS_MAX 16

#define CONTACT_E164_DIGITS_MIN 8
#define CONTACT_E164_DIGITS_MAX 15

/* National significant numbers of Vietnam, after the trunk prefix 0. */
#define CONTACT_VN_MOBILE_DIGITS 9
#define CONTACT_VN_LANDLINE_DIGITS 10

/*
 * Mobile prefixes retired in 2018, without the trunk prefix: the 11-digit
 * number 0162 xxx xxxx became 032 xxx xxxx.
 */
static const struct contact_retired_prefix {
	const char	*old;
	const char	*new;
} contact_retired_prefixes[] = {
	{ "162", "32" }, { "163", "33" }, { "164", "34" }, { "165", "35" },
	{ "166", "36" }, { "167", "37" }, { "168", "38" }, { "169", "39" },
	{ "120", "70" }, { "121", "79" }, { "122", "77" }, { "126", "76" },
	{ "128", "78" },
	{ "123", "83" }, { "124", "84" }, { "125", "85" }, { "127", "81" },
	{ "129", "82" },
	{ "186", "56" }, { "188", "58" },
	{ "199", "59" },
};

const char *
contact_kind_name(enum contact_kind kind)
{
	switch (kind) {
	case CONTACT_PHONE:
		return "phone";
	case CONTACT_EMAIL:
		return "email";
	case CONTACT_PLATFORM:
		return "platform";
	}
	return "unknown";
}

static bool
contact_phone_is_separator(char c)
{
	return c == ' ' || c == '.' || c == '-' || c == '(' || c == ')';
}

/*
 * Copies the digits of input into digits, skipping separators, and sets
 * plus when a '+' comes before the first digit. Returns the number of digits,
 * or -1 on any other character, a misplaced '+' or too many digits.
 */
static int
contact_phone_digits(const char *input, char digits[CONTACT_PHONE_DIGITS_MAX + 1],
    bool *plus)
{
	int count = 0;

	*plus = false;
	for (const char *p = input; *p != '\0'; p++) {
		if (*p >= '0' && *p <= '9') {
			if (count == CONTACT_PHONE_DIGITS_MAX)
				return -1;
			digits[count++] = *p;
		} else if (*p == '+') {
			if (*plus || count > 0)
				return -1;
			*plus = true;
		} else if (!contact_phone_is_separator(*p))
			return -1;
	}
	digits[count] = '\0';
	return count;
}

/*
 * Writes the E.164 form of a retired mobile number given without its trunk
 * prefix (10 digits), with its 2018 replacement prefix. Returns -1 for an
 * unknown prefix.
 */
static int
contact_phone_renumber(const char *national, char out[CONTACT_E164_MAX])
{
	size_t count = sizeof(contact_retired_prefixes) /
	    sizeof(contact_retired_prefixes[0]);

	for (size_t i = 0; i < count; i++) {
		const struct contact_retired_prefix *prefix =
		    &contact_retired_prefixes[i];

		if (strncmp(national, prefix->old, 3) == 0) {
			snprintf(out, CONTACT_E164_MAX, "+84%s%s", prefix->new,
			    national + 3);
			return 0;
		}
	}
	return -1;
}

/*
 * Writes the E.164 form of a Vietnamese national significant number (the
 * digits after the trunk prefix 0). A bare number, written without any
 * prefix, may only be a mobile number.
 */
static int
contact_phone_vietnam(const char *national, bool bare,
    char out[CONTACT_E164_MAX])
{
	size_t len = strlen(national);

	if (len == CONTACT_VN_MOBILE_DIGITS &&
	    strchr("35789", national[0]) != NULL) {
		snprintf(out, CONTACT_E164_MAX, "+84%s", national);
		return 0;
	}
	if (bare || len != CONTACT_VN_LANDLINE_DIGITS)
		return -1;
	if (national[0] == '2') {
		snprintf(out, CONTACT_E164_MAX, "+84%s", national);
		return 0;
	}
	if (national[0] == '1')
		return contact_phone_renumber(national, out);
	return -1;
}

static int
contact_phone_foreign(const char *digits, char out[CONTACT_E164_MAX])
{
	size_t len = strlen(digits);

	if (digits[0] == '0' || len < CONTACT_E164_DIGITS_MIN ||
	    len > CONTACT_E164_DIGITS_MAX)
		return -1;
	snprintf(out, CONTACT_E164_MAX, "+%s", digits);
	return 0;
}

/* Skips the country code 84 and a trunk prefix written after it
 * ("+84 0912..."). */
static const char *
contact_phone_after_84(const char *digits)
{
	digits += 2;
	if (*digits == '0')
		digits++;
	return digits;
}

int
contact_phone_e164(const char *input, char out[CONTACT_E164_MAX])
{
	char digits[CONTACT_PHONE_DIGITS_MAX + 1];
	bool plus;
	int count = contact_phone_digits(input, digits, &plus);

	if (count <= 0)
		return -1;

	if (plus) {
		if (strncmp(digits, "84", 2) == 0)
			return contact_phone_vietnam(
			    contact_phone_after_84(digits), false, out);
		return contact_phone_foreign(digits, out);
	}
	if (strncmp(digits, "0084", 4) == 0)
		return contact_phone_vietnam(
		    contact_phone_after_84(digits + 2), false, out);
	if (digits[0] == '0')
		return contact_phone_vietnam(digits + 1, false, out);

	/* Without '+' or 00, a leading 84 is the country code only when the
	 * number is longer than a bare mobile number, which may itself start
	 * with 84. */
	if (strncmp(digits, "84", 2) == 0 &&
	    count > CONTACT_VN_MOBILE_DIGITS)
		return contact_phone_vietnam(contact_phone_after_84(digits),
		    false, out);
	return contact_phone_vietnam(digits, true, out);
}

#define CONTACT_EMAIL_MAX 254
#define CONTACT_EMAIL_LOCAL_MAX 64
#define CONTACT_EMAIL_DOMAIN_MAX 253
#define CONTACT_EMAIL_LABEL_MAX 63

/*
 * Whether the local part has no white space, no control characters and
 * none of the characters that RFC 5322 reserves outside quoted strings,
 * and its dots separate non-empty atoms (no leading, trailing or doubled
 * dot). Quoted local parts ("john doe"@example.org) are therefore
 * rejected.
 */
static bool
contact_email_local_valid(const uint8_t *local, size_t len)
{
	size_t offset = 0;

	if (len == 0 || len > CONTACT_EMAIL_LOCAL_MAX)
		return false;
	if (local[0] == '.' || local[len - 1] == '.' ||
	    memmem(local, len, "..", 2) != NULL)
		return false;

	while (offset < len) {
		ucs4_t uc;
		int step = u8_mbtouc(&uc, local + offset, len - offset);

		if (uc_is_property_white_space(uc) ||
		    uc_is_general_category(uc, UC_CATEGORY_Cc) ||
		    (uc < 0x80 && strchr("()<>[]:;,\\\"", (int)uc) != NULL))
			return false;
		offset += step;
	}
	return true;
}

static bool
contact_email_label_valid(const char *label, size_t len)
{
	if (len == 0 || len > CONTACT_EMAIL_LABEL_MAX)
		return false;
	if (label[0] == '-' || label[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = label[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && c != '-')
			return false;
	}
	return true;
}

/* Whether domain is at least two dot-separated letter-digit-hyphen labels. */
static bool
contact_email_domain_valid(const char *domain)
{
	size_t len = strlen(domain);
	const char *label = domain;
	const char *dot;

	if (len > CONTACT_EMAIL_DOMAIN_MAX || strchr(domain, '.') == NULL)
		return false;

	while ((dot = strchr(label, '.')) != NULL) {
		if (!contact_email_label_valid(label, dot - label))
			return false;
		label = dot + 1;
	}
	return contact_email_label_valid(label, strlen(label));
}

char *
contact_email_normalize(const char *input)
{
	size_t len = strnlen(input, CONTACT_EMAIL_MAX + 1);
	const char *at = strchr(input, '@');
	char *result;

	if (len > CONTACT_EMAIL_MAX || !text_valid_utf8(input, len) ||
	    at == NULL || strchr(at + 1, '@') != NULL ||
	    !contact_email_local_valid((const uint8_t *)input, at - input) ||
	    !contact_email_domain_valid(at + 1)) {
		errno = EINVAL;
		return NULL;
	}

	result = strdup(input);
	if (result == NULL)
		return NULL;
	for (char *p = result + (at - input) + 1; *p != '\0'; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p += 'a' - 'A';
	}
	return result;
}
