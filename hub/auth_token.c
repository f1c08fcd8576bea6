/*
 * Tokens, their hashes, usernames and the keys of the login lockout.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <unicase.h>
#include <uninorm.h>

#include "auth_internal.h"
#include "text.h"

#define AUTH_TOKEN_VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING

void
auth_token_generate(char text[AUTH_TOKEN_TEXT_SIZE])
{
	uint8_t bytes[AUTH_TOKEN_BYTES];

	randombytes_buf(bytes, sizeof bytes);
	sodium_bin2base64(text, AUTH_TOKEN_TEXT_SIZE, bytes, sizeof bytes,
	    AUTH_TOKEN_VARIANT);
	sodium_memzero(bytes, sizeof bytes);
}

void
auth_token_hash(const uint8_t *key, const char *token, size_t length,
    uint8_t hash[AUTH_TOKEN_HASH_BYTES])
{
	crypto_generichash(hash, AUTH_TOKEN_HASH_BYTES,
	    (const unsigned char *)token, length, key,
	    crypto_generichash_KEYBYTES);
}

bool
auth_token_well_formed(const char *text, size_t length)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";

	if (length != AUTH_TOKEN_TEXT_SIZE - 1)
		return false;
	for (size_t i = 0; i < length; i++) {
		if (text[i] == '\0' || strchr(alphabet, text[i]) == NULL)
			return false;
	}
	return true;
}

int
auth_username_normalize(const char *username, char *out)
{
	size_t length = strlen(username);

	if (length == 0 || length > AUTH_USERNAME_MAX)
		return -1;
	for (size_t i = 0; i < length; i++) {
		char c = username[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-'))
			return -1;
		out[i] = c;
	}
	out[length] = '\0';
	return 0;
}

int
auth_lockout_username_key(const char *username,
    char out[AUTH_LOCKOUT_KEY_SIZE])
{
	size_t length = strlen(username);
	size_t folded_length = 0;
	uint8_t *folded;
	char *text;

	if (!text_valid_utf8(username, length) ||
	    text_length(username) > AUTH_USERNAME_MAX)
		return -1;
	folded = u8_casefold((const uint8_t *)username, length, NULL,
	    UNINORM_NFC, NULL, &folded_length);
	if (folded == NULL)
		return -1;
	/* u8_casefold does not end its result with a NUL. */
	text = malloc(folded_length + 1);
	if (text == NULL) {
		free(folded);
		return -1;
	}
	memcpy(text, folded, folded_length);
	text[folded_length] = '\0';
	free(folded);

	/* Case folding can lengthen a text (ß to ss), so the result is cut
	 * at the buffer; two names that differ only past the cut share a
	 * counter, which is harmless. */
	memcpy(out, "user:", 5);
	text_truncate(text, out + 5, AUTH_LOCKOUT_KEY_SIZE - 5);
	free(text);
	return 0;
}

void
auth_lockout_address_key(const char *address, char out[AUTH_LOCKOUT_KEY_SIZE])
{
	memcpy(out, "addr:", 5);
	text_truncate(address, out + 5, AUTH_LOCKOUT_KEY_SIZE - 5);
}
