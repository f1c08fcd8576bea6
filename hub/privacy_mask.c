/*
 * Masked contact values: enough for an auditor to tell two contacts apart,
 * too little to contact the person.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "privacy.h"

#define PRIVACY_MASK_STARS "***"
/* A phone number shorter than this is masked whole. */
#define PRIVACY_MASK_PHONE_MIN 8
#define PRIVACY_MASK_PHONE_KEPT 3
/* A run of this many digits or more in free text is masked. */
#define PRIVACY_MASK_DIGITS_MIN 6

static void
privacy_mask_phone(const char *value, char *out)
{
	size_t length = strlen(value);

	if (length < PRIVACY_MASK_PHONE_MIN || length >= PRIVACY_MASKED_SIZE) {
		snprintf(out, PRIVACY_MASKED_SIZE, "%s", PRIVACY_MASK_STARS);
		return;
	}
	memcpy(out, value, length + 1);
	for (size_t i = PRIVACY_MASK_PHONE_KEPT;
	    i < length - PRIVACY_MASK_PHONE_KEPT; i++)
		out[i] = '*';
}

/* Keeps the first character of the local part when it is ASCII and the
 * local part has more than one character. A single-character local part
 * would be kept whole, and a multibyte first character is masked too, so
 * that no partial UTF-8 sequence is written. */
static void
privacy_mask_email(const char *value, char *out)
{
	const char *at = strrchr(value, '@');
	unsigned char first = (unsigned char)value[0];

	if (at == NULL || at == value || strlen(at) + 5 > PRIVACY_MASKED_SIZE) {
		snprintf(out, PRIVACY_MASKED_SIZE, "%s", PRIVACY_MASK_STARS);
		return;
	}
	if (first < 0x80 && first > 0x20 && at - value > 1)
		snprintf(out, PRIVACY_MASKED_SIZE, "%c%s%s", first,
		    PRIVACY_MASK_STARS, at);
	else
		snprintf(out, PRIVACY_MASKED_SIZE, "%s%s", PRIVACY_MASK_STARS,
		    at);
}

/* "zalo:12345678" keeps "zalo:" and the last two characters when they are
 * ASCII. */
static void
privacy_mask_platform(const char *value, char *out)
{
	const char *colon = strchr(value, ':');
	size_t length = strlen(value);
	size_t prefix = colon != NULL ? (size_t)(colon - value) + 1 : 0;
	bool tail_ascii = length >= prefix + 6 &&
	    (unsigned char)value[length - 1] < 0x80 &&
	    (unsigned char)value[length - 2] < 0x80;

	if (prefix + 8 > PRIVACY_MASKED_SIZE)
		prefix = 0;
	snprintf(out, PRIVACY_MASKED_SIZE, "%.*s%s%s", (int)prefix, value,
	    PRIVACY_MASK_STARS, tail_ascii ? value + length - 2 : "");
}

void
privacy_mask_contact(enum contact_kind kind, const char *value,
    char out[PRIVACY_MASKED_SIZE])
{
	if (value == NULL) {
		snprintf(out, PRIVACY_MASKED_SIZE, "%s", PRIVACY_MASK_STARS);
		return;
	}
	switch (kind) {
	case CONTACT_PHONE:
		privacy_mask_phone(value, out);
		break;
	case CONTACT_EMAIL:
		privacy_mask_email(value, out);
		break;
	default:
		privacy_mask_platform(value, out);
		break;
	}
}

/* --- Free text ------------------------------------------------------------ */

static bool
privacy_mask_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Length in bytes of the digit run at text, single separators between
 * digits included, and its number of digits. */
static size_t
privacy_mask_digit_run(const char *text, size_t *digits)
{
	size_t at = 0;

	*digits = 0;
	while (privacy_mask_digit(text[at]) || (*digits > 0 &&
	    strchr(" .-", text[at]) != NULL && text[at] != '\0' &&
	    privacy_mask_digit(text[at + 1]))) {
		if (privacy_mask_digit(text[at]))
			(*digits)++;
		at++;
	}
	return at;
}

/* Masks the digits of the run in place, all but the last three. */
static void
privacy_mask_digits(char *run, size_t length, size_t digits)
{
	for (size_t i = 0; i < length && digits > PRIVACY_MASK_PHONE_KEPT;
	    i++) {
		if (privacy_mask_digit(run[i])) {
			run[i] = '*';
			digits--;
		}
	}
}

static bool
privacy_mask_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Masks the local part of the word that starts at start and contains '@'
 * at at: the first character stays when it is ASCII and not the only one,
 * and the other bytes become '*'. A multibyte character is never split. */
static void
privacy_mask_local_part(char *text, size_t start, size_t at)
{
	for (size_t i = start + 1; i < at; i++)
		text[i] = '*';
	if ((unsigned char)text[start] >= 0x80 || at - start == 1)
		text[start] = '*';
}

char *
privacy_mask_text(const char *text)
{
	char *masked = strdup(text != NULL ? text : "");
	size_t at = 0, digits, length;

	if (masked == NULL)
		return NULL;
	while (masked[at] != '\0') {
		if (privacy_mask_digit(masked[at])) {
			length = privacy_mask_digit_run(masked + at, &digits);
			if (digits >= PRIVACY_MASK_DIGITS_MIN)
				privacy_mask_digits(masked + at, length, digits);
			at += length;
			continue;
		}
		if (masked[at] == '@') {
			size_t start = at;

			while (start > 0 && !privacy_mask_space(masked[start - 1]))
				start--;
			if (start < at)
				privacy_mask_local_part(masked, start, at);
		}
		at++;
	}
	return masked;
}
