/*
 * Fuzzes the contact parsers of hub/contact.h. A phone number accepted by
 * contact_phone_e164 must come out as '+' and 8 to 15 digits, and must
 * convert to itself. An email address accepted by contact_email_normalize
 * must normalize to itself.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>

#include "contact.h"

#include "fuzz.h"

#define FUZZ_CONTACT_DIGITS_MIN 8
#define FUZZ_CONTACT_DIGITS_MAX 15

static void
fuzz_contact_fail(const char *what, const char *input, const char *result)
{
	fprintf(stderr, "fuzz_contact: %s; input \"%s\", result \"%s\"\n",
	    what, input, result);
	abort();
}

static bool
fuzz_contact_is_e164(const char *number)
{
	size_t digits = strlen(number) - 1;

	if (number[0] != '+')
		return false;
	if (digits < FUZZ_CONTACT_DIGITS_MIN || digits > FUZZ_CONTACT_DIGITS_MAX)
		return false;
	for (size_t i = 1; number[i] != '\0'; i++) {
		if (!isdigit((unsigned char)number[i]))
			return false;
	}
	return true;
}

static void
fuzz_contact_check_phone(const char *input)
{
	char number[CONTACT_E164_MAX], again[CONTACT_E164_MAX];

	if (contact_phone_e164(input, number) != 0)
		return;
	if (!fuzz_contact_is_e164(number))
		fuzz_contact_fail("phone result is not E.164", input, number);
	if (contact_phone_e164(number, again) != 0)
		fuzz_contact_fail("phone result is rejected", input, number);
	if (strcmp(number, again) != 0)
		fuzz_contact_fail("phone result converts to another number",
		    input, again);
}

static void
fuzz_contact_check_email(const char *input)
{
	char *address, *again;

	address = contact_email_normalize(input);
	if (address == NULL)
		return;
	again = contact_email_normalize(address);
	if (again == NULL)
		fuzz_contact_fail("email result is rejected", input, address);
	if (strcmp(address, again) != 0)
		fuzz_contact_fail("email result normalizes to another address",
		    input, again);
	free(again);
	free(address);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *input = fuzz_string(data, size);

	fuzz_contact_check_phone(input);
	fuzz_contact_check_email(input);
	free(input);
	return 0;
}
