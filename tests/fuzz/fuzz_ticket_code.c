/*
 * Fuzzes the ticket code parsers of hub/ticket_code.h. A code returned by
 * ticket_code_parse or ticket_code_find must be ten digits with a valid
 * Damm check digit, and must parse again to itself, plain and grouped.
 */
#include <ctype.h>
#include <stdio.h>

#include "ticket_code.h"

#include "fuzz.h"

static void
fuzz_ticket_code_fail(const char *what, const char *input, const char *code)
{
	fprintf(stderr, "fuzz_ticket_code: %s; input \"%s\", code \"%s\"\n",
	    what, input, code);
	abort();
}

static void
fuzz_ticket_code_check(const char *input, const char *code)
{
	char again[TICKET_CODE_PLAIN_SIZE];
	char grouped[TICKET_CODE_GROUPED_SIZE];

	if (strlen(code) != TICKET_CODE_DIGITS)
		fuzz_ticket_code_fail("code is not ten digits long", input,
		    code);
	for (size_t i = 0; i < TICKET_CODE_DIGITS; i++) {
		if (!isdigit((unsigned char)code[i]))
			fuzz_ticket_code_fail("code has a non-digit", input,
			    code);
	}
	if (ticket_code_damm(code) != 0)
		fuzz_ticket_code_fail("code has a wrong check digit", input,
		    code);
	if (ticket_code_parse(code, again) != 0 || strcmp(code, again) != 0)
		fuzz_ticket_code_fail("code does not parse to itself", input,
		    code);
	ticket_code_group(code, grouped);
	if (ticket_code_parse(grouped, again) != 0 || strcmp(code, again) != 0)
		fuzz_ticket_code_fail("grouped code does not parse to itself",
		    input, grouped);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *input = fuzz_string(data, size);
	char code[TICKET_CODE_PLAIN_SIZE];

	if (ticket_code_parse(input, code) == 0)
		fuzz_ticket_code_check(input, code);
	if (ticket_code_find(input, code) == 0)
		fuzz_ticket_code_check(input, code);
	free(input);
	return 0;
}
