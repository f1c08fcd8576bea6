/*
 * Contact addresses: phone numbers in E.164 and email addresses.
 */
#ifndef HUB_CONTACT_H
#define HUB_CONTACT_H

#include <stddef.h>

enum contact_kind {
	CONTACT_PHONE = 1,
	CONTACT_EMAIL,
	CONTACT_PLATFORM,	/* a social platform's user id: "zalo:12345" */
};

const char *contact_kind_name(enum contact_kind kind);

#define CONTACT_E164_MAX 17	/* '+', at most 15 digits, NUL */

/* Converts a phone number as a citizen or a gateway writes it into E.164.
 * Vietnamese forms (0..., 84..., +84..., 0084..., a bare 9-digit mobile) go
 * to +84; the 11-digit mobile numbers retired in 2018 map to their 10-digit
 * replacements; a number with + and another country code is kept. Spaces,
 * dots, dashes and brackets are ignored. Returns 0 and fills out
 * (CONTACT_E164_MAX bytes), or -1 when the number is invalid. */
int contact_phone_e164(const char *input, char out[CONTACT_E164_MAX]);

/* Checks an email address (one local part, one '@', a domain with a dot and
 * valid labels) and returns a new string with the domain in lower case, or
 * NULL when it is invalid (errno EINVAL) or on allocation failure. Quoted
 * local parts and address literals count as invalid. */
char *contact_email_normalize(const char *input);

#endif
