#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "ticket_code.h"

/* The permuted part of a code: nine digits. */
#define TICKET_CODE_DOMAIN 1000000000ULL

/*
 * The Feistel network runs on pairs (left, right) of numbers below
 * TICKET_CODE_HALF, a domain of 31623^2 = 1,000,014,129 values. Cycle walking
 * applies it again until the result is below TICKET_CODE_DOMAIN, which ends
 * because the cycle through a value below the domain returns to that value.
 */
#define TICKET_CODE_HALF 31623U
#define TICKET_CODE_ROUNDS 8

/* Damm's totally anti-symmetric quasigroup of order 10. */
static const unsigned char ticket_code_damm_table[10][10] = {
	{ 0, 3, 1, 7, 5, 9, 8, 6, 4, 2 },
	{ 7, 0, 9, 2, 1, 5, 4, 8, 6, 3 },
	{ 4, 2, 0, 6, 8, 7, 1, 3, 5, 9 },
	{ 1, 7, 5, 0, 9, 8, 3, 4, 2, 6 },
	{ 6, 1, 2, 3, 0, 4, 5, 9, 7, 8 },
	{ 3, 6, 7, 4, 2, 0, 9, 5, 8, 1 },
	{ 5, 8, 6, 9, 7, 2, 0, 1, 3, 4 },
	{ 8, 9, 4, 5, 3, 6, 2, 0, 1, 7 },
	{ 9, 4, 3, 8, 6, 1, 7, 2, 0, 5 },
	{ 2, 5, 8, 1, 4, 3, 6, 7, 9, 0 },
};

static bool
ticket_code_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
ticket_code_is_separator(char c)
{
	return c == ' ' || c == '-' || c == '.';
}

int
ticket_code_damm(const char *digits)
{
	int interim = 0;

	for (const char *p = digits; *p != '\0'; p++) {
		if (!ticket_code_is_digit(*p))
			return -1;
		interim = ticket_code_damm_table[interim][*p - '0'];
	}
	return interim;
}

/* Whether code is ten digits whose Damm check comes to 0. */
static bool
ticket_code_valid(const char *code)
{
	return strlen(code) == TICKET_CODE_DIGITS &&
	    ticket_code_damm(code) == 0;
}

/* Keyed BLAKE2b of the round number and one half, reduced below the half's
 * range. The reduction of a 64-bit value is biased by less than 2^-48. */
static uint32_t
ticket_code_round(const uint8_t key[TICKET_CODE_KEY_BYTES], int round,
    uint32_t half)
{
	unsigned char input[5], hash[crypto_generichash_BYTES_MIN];
	uint64_t value = 0;

	input[0] = (unsigned char)round;
	for (int i = 0; i < 4; i++)
		input[1 + i] = (unsigned char)(half >> (8 * i));
	crypto_generichash(hash, sizeof(hash), input, sizeof(input), key,
	    TICKET_CODE_KEY_BYTES);

	for (int i = 0; i < 8; i++)
		value |= (uint64_t)hash[i] << (8 * i);
	return (uint32_t)(value % TICKET_CODE_HALF);
}

static uint64_t
ticket_code_feistel_forward(const uint8_t key[TICKET_CODE_KEY_BYTES],
    uint64_t value)
{
	uint32_t left = (uint32_t)(value / TICKET_CODE_HALF);
	uint32_t right = (uint32_t)(value % TICKET_CODE_HALF);

	for (int round = 0; round < TICKET_CODE_ROUNDS; round++) {
		uint32_t mixed = (left + ticket_code_round(key, round, right)) %
		    TICKET_CODE_HALF;

		left = right;
		right = mixed;
	}
	return (uint64_t)left * TICKET_CODE_HALF + right;
}

static uint64_t
ticket_code_feistel_backward(const uint8_t key[TICKET_CODE_KEY_BYTES],
    uint64_t value)
{
	uint32_t left = (uint32_t)(value / TICKET_CODE_HALF);
	uint32_t right = (uint32_t)(value % TICKET_CODE_HALF);

	for (int round = TICKET_CODE_ROUNDS - 1; round >= 0; round--) {
		uint32_t mixed = (right + TICKET_CODE_HALF -
		    ticket_code_round(key, round, left)) % TICKET_CODE_HALF;

		right = left;
		left = mixed;
	}
	return (uint64_t)left * TICKET_CODE_HALF + right;
}

static uint64_t
ticket_code_permute(const uint8_t key[TICKET_CODE_KEY_BYTES], uint64_t value)
{
	do
		value = ticket_code_feistel_forward(key, value);
	while (value >= TICKET_CODE_DOMAIN);
	return value;
}

static uint64_t
ticket_code_unpermute(const uint8_t key[TICKET_CODE_KEY_BYTES],
    uint64_t value)
{
	do
		value = ticket_code_feistel_backward(key, value);
	while (value >= TICKET_CODE_DOMAIN);
	return value;
}

int
ticket_code_encode(const uint8_t key[TICKET_CODE_KEY_BYTES],
    uint64_t counter, char out[TICKET_CODE_PLAIN_SIZE])
{
	uint64_t permuted;

	if (counter < 1 || counter > TICKET_CODE_COUNTER_MAX)
		return -1;
	if (sodium_init() < 0)
		return -1;

	permuted = ticket_code_permute(key, counter);
	snprintf(out, TICKET_CODE_PLAIN_SIZE, "%09llu",
	    (unsigned long long)permuted);
	out[TICKET_CODE_DIGITS - 1] = (char)('0' + ticket_code_damm(out));
	out[TICKET_CODE_DIGITS] = '\0';
	return 0;
}

int
ticket_code_decode(const uint8_t key[TICKET_CODE_KEY_BYTES],
    const char *code, uint64_t *counter)
{
	uint64_t permuted = 0, value;

	if (!ticket_code_valid(code))
		return -1;
	if (sodium_init() < 0)
		return -1;

	for (int i = 0; i < TICKET_CODE_DIGITS - 1; i++)
		permuted = permuted * 10 + (uint64_t)(code[i] - '0');
	value = ticket_code_unpermute(key, permuted);
	if (value < 1)
		return -1;
	*counter = value;
	return 0;
}

int
ticket_code_parse(const char *input, char out[TICKET_CODE_PLAIN_SIZE])
{
	size_t count = 0;
	bool after_digit = false;

	for (const char *p = input; *p != '\0'; p++) {
		if (ticket_code_is_digit(*p)) {
			if (count == TICKET_CODE_DIGITS)
				return -1;
			out[count++] = *p;
			after_digit = true;
		} else if (ticket_code_is_separator(*p) && after_digit)
			after_digit = false;
		else
			return -1;
	}
	if (count != TICKET_CODE_DIGITS || !after_digit)
		return -1;

	out[count] = '\0';
	return ticket_code_damm(out) == 0 ? 0 : -1;
}

void
ticket_code_group(const char *code, char out[TICKET_CODE_GROUPED_SIZE])
{
	snprintf(out, TICKET_CODE_GROUPED_SIZE, "%.4s-%.4s-%.2s", code,
	    code + 4, code + 8);
}

/*
 * Reads the number that starts at text: digit groups joined by single
 * separators. Returns the number of digits, copies them into digits when
 * there are exactly ten, and sets *end to the first character after the
 * number.
 */
static size_t
ticket_code_read_number(const char *text, char digits[TICKET_CODE_PLAIN_SIZE],
    const char **end)
{
	size_t count = 0;
	const char *p = text;

	for (;;) {
		if (count < TICKET_CODE_DIGITS)
			digits[count] = *p;
		count++;
		p++;
		if (ticket_code_is_digit(*p))
			continue;
		if (ticket_code_is_separator(*p) && ticket_code_is_digit(p[1])) {
			p++;
			continue;
		}
		break;
	}
	*end = p;
	if (count == TICKET_CODE_DIGITS)
		digits[count] = '\0';
	return count;
}

int
ticket_code_find(const char *text, char out[TICKET_CODE_PLAIN_SIZE])
{
	const char *p = text;

	while (*p != '\0') {
		const char *end;
		char digits[TICKET_CODE_PLAIN_SIZE];

		if (!ticket_code_is_digit(*p)) {
			p++;
			continue;
		}

		/* A number after '+' is an international phone number. */
		if (ticket_code_read_number(p, digits, &end) ==
		    TICKET_CODE_DIGITS && (p == text || p[-1] != '+') &&
		    ticket_code_damm(digits) == 0) {
			memcpy(out, digits, TICKET_CODE_PLAIN_SIZE);
			return 0;
		}
		p = end;
	}
	return -1;
}
