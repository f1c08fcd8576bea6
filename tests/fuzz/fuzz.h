/*
 * Shared helpers of the libFuzzer targets in tests/fuzz.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The entry point that libFuzzer calls with each input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Returns a NUL-terminated copy of the input, or aborts when out of memory
 * so that libFuzzer reports it. Caller frees. */
static inline char *
fuzz_string(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1);

	if (copy == NULL)
		abort();
	memcpy(copy, data, size);
	copy[size] = '\0';
	return copy;
}

#endif
