/*
 * Masked contact values: enough for an auditor to tell two contacts apart,
 * too little to contact the person.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "privacy.h"

#define PRIVACY_MASK_STARS "***"
/* A phone number shorter than this is masked whole. */
#define PRIVACY_MASK_PHONE_MIN 8
#define PRIVACY_MASK_PHONE_KEPT 3

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

/* Keeps one ASCII character of the local part; a multibyte first character
 * is masked too, so that no partial UTF-8 sequence is written. */
static void
privacy_mask_email(const char *value, char *out)
{
	const char *at = strrchr(value, '@');
	unsigned char first = (unsigned char)value[0];

	if (at == NULL || at == value || strlen(at) + 5 > PRIVACY_MASKED_SIZE) {
		snprintf(out, PRIVACY_MASKED_SIZE, "%s", PRIVACY_MASK_STARS);
		return;
	}
	if (first < 0x80 && first > 0x20)
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
