/*
 * Fuzzes the UTF-8 text functions of hub/text.h. Only input that
 * text_valid_utf8 accepts reaches the others, as in the hub. The target
 * checks that text_normalize returns valid UTF-8 and is idempotent, that
 * text_fold is idempotent, and that text_truncate cuts at a code point
 * boundary.
 */
#include <stdbool.h>
#include <stdio.h>

#include "text.h"

#include "fuzz.h"

/* Prints the failed invariant with the input and aborts, so that libFuzzer
 * saves the input as a crash. */
static void
fuzz_text_fail(const char *what, const char *input)
{
	fprintf(stderr, "fuzz_text: %s; input \"%s\"\n", what, input);
	abort();
}

static void
fuzz_text_check_normalize(const char *input, size_t size)
{
	char *once, *twice;

	once = text_normalize(input, size);
	if (once == NULL)
		abort();
	if (!text_valid_utf8(once, strlen(once)))
		fuzz_text_fail("text_normalize returned invalid UTF-8", input);
	twice = text_normalize(once, strlen(once));
	if (twice == NULL)
		abort();
	if (strcmp(once, twice) != 0)
		fuzz_text_fail("text_normalize is not idempotent", input);
	free(twice);
	free(once);
}

static void
fuzz_text_check_fold(const char *input)
{
	char *once, *twice;

	once = text_fold(input);
	if (once == NULL)
		abort();
	if (!text_valid_utf8(once, strlen(once)))
		fuzz_text_fail("text_fold returned invalid UTF-8", input);
	twice = text_fold(once);
	if (twice == NULL)
		abort();
	if (strcmp(once, twice) != 0)
		fuzz_text_fail("text_fold is not idempotent", input);
	free(twice);
	free(once);
}

/* Truncates to sizes from 1 to the input's length plus one: every size up
 * to 16, then in steps that grow with the size to keep long inputs fast. */
static void
fuzz_text_check_truncate(const char *input, size_t size)
{
	char *out = malloc(size + 2);
	size_t limit, written;

	if (out == NULL)
		abort();
	for (limit = 1; limit <= size + 1; limit += 1 + limit / 16) {
		written = text_truncate(input, out, limit);
		if (written >= limit || strlen(out) != written)
			fuzz_text_fail("text_truncate overran its buffer",
			    input);
		if (memcmp(out, input, written) != 0)
			fuzz_text_fail("text_truncate changed the text", input);
		if (!text_valid_utf8(out, written))
			fuzz_text_fail("text_truncate cut a code point", input);
	}
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *input = fuzz_string(data, size);

	if (text_valid_utf8(input, size)) {
		fuzz_text_check_normalize(input, size);
		fuzz_text_check_fold(input);
		fuzz_text_check_truncate(input, size);
		(void)text_length(input);
	}
	free(input);
	return 0;
}
