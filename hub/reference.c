#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "reference.h"

#define REFERENCE_CONTEXT "citizenhub message reference v1"
#define REFERENCE_MAC_BYTES 8
#define REFERENCE_MAC_HEX (REFERENCE_MAC_BYTES * 2)
/* "chub." + two 19-digit ids + two dots + the hash + NUL. */
#define REFERENCE_TOKEN_MAX (5 + 19 + 1 + 19 + 1 + REFERENCE_MAC_HEX + 1)

void
reference_key_derive(const uint8_t *token_key, uint8_t key[REFERENCE_KEY_BYTES])
{
	crypto_generichash(key, REFERENCE_KEY_BYTES,
	    (const unsigned char *)REFERENCE_CONTEXT, strlen(REFERENCE_CONTEXT),
	    token_key, 32);
}

static void
reference_mac(const uint8_t key[REFERENCE_KEY_BYTES], int64_t ticket_id,
    int64_t message_id, char hex[REFERENCE_MAC_HEX + 1])
{
	unsigned char mac[REFERENCE_MAC_BYTES];
	char ids[48];
	int length;

	length = snprintf(ids, sizeof ids, "%lld.%lld", (long long)ticket_id,
	    (long long)message_id);
	crypto_generichash(mac, sizeof mac, (const unsigned char *)ids,
	    (size_t)length, key, REFERENCE_KEY_BYTES);
	sodium_bin2hex(hex, REFERENCE_MAC_HEX + 1, mac, sizeof mac);
}

int
reference_make(const uint8_t key[REFERENCE_KEY_BYTES], int64_t ticket_id,
    int64_t message_id, char *out, size_t size)
{
	char hex[REFERENCE_MAC_HEX + 1];
	int length;

	if (ticket_id <= 0 || message_id <= 0)
		return -1;
	reference_mac(key, ticket_id, message_id, hex);
	length = snprintf(out, size, REFERENCE_PREFIX "%lld.%lld.%s",
	    (long long)ticket_id, (long long)message_id, hex);
	return length > 0 && (size_t)length < size ? 0 : -1;
}

/* Reads a positive decimal id without sign or leading zero from *text up to
 * the next dot, and moves *text past the dot. Returns 0 or -1. */
static int
reference_read_id(const char **text, int64_t *id)
{
	const char *p = *text;
	int64_t value = 0;

	if (*p < '1' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (value > (INT64_MAX - (*p - '0')) / 10)
			return -1;
		value = value * 10 + (*p - '0');
	}
	if (*p != '.')
		return -1;
	*text = p + 1;
	*id = value;
	return 0;
}

int
reference_parse(const uint8_t key[REFERENCE_KEY_BYTES], const char *id,
    int64_t *ticket_id, int64_t *message_id)
{
	char token[REFERENCE_TOKEN_MAX], expected[REFERENCE_MAC_HEX + 1];
	const char *p;
	size_t length;
	int64_t ticket, message;

	if (id == NULL)
		return 0;
	while (*id == ' ' || *id == '\t' || *id == '<')
		id++;
	length = strcspn(id, "@> \t");
	if (length == 0 || length >= sizeof token)
		return 0;
	memcpy(token, id, length);
	token[length] = '\0';
	/* Whatever follows the token must be "@domain", then at most one
	 * closing bracket and white space. */
	p = id + length;
	if (*p == '@')
		p += strcspn(p, "> \t");
	if (*p == '>')
		p++;
	p += strspn(p, " \t");
	if (*p != '\0')
		return 0;

	if (strncmp(token, REFERENCE_PREFIX, strlen(REFERENCE_PREFIX)) != 0)
		return 0;
	p = token + strlen(REFERENCE_PREFIX);
	if (reference_read_id(&p, &ticket) != 0 ||
	    reference_read_id(&p, &message) != 0 ||
	    strlen(p) != REFERENCE_MAC_HEX)
		return 0;
	reference_mac(key, ticket, message, expected);
	if (sodium_memcmp(expected, p, REFERENCE_MAC_HEX) != 0)
		return 0;
	*ticket_id = ticket;
	*message_id = message;
	return 1;
}
