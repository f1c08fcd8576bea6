/*
 * Agents' passwords: NFC normalization and length rules, and argon2id
 * hashes in libsodium's string form ("$argon2id$v=19$m=...").
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "auth_internal.h"
#include "text.h"

static unsigned long long auth_password_opslimit =
    crypto_pwhash_OPSLIMIT_INTERACTIVE;
static size_t auth_password_memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;

/* Set once at start-up and read-only afterwards, so workers read it
 * without a lock. */
static char auth_password_dummy[AUTH_PASSWORD_HASH_SIZE];

void
auth_password_set_cost(bool moderate)
{
	auth_password_opslimit = moderate ? crypto_pwhash_OPSLIMIT_MODERATE :
	    crypto_pwhash_OPSLIMIT_INTERACTIVE;
	auth_password_memlimit = moderate ? crypto_pwhash_MEMLIMIT_MODERATE :
	    crypto_pwhash_MEMLIMIT_INTERACTIVE;
}

int
auth_password_setup(bool moderate)
{
	char password[AUTH_TOKEN_TEXT_SIZE];
	int result;

	auth_password_set_cost(moderate);

	/* The password is random and discarded, because the dummy hash
	 * exists only to spend the time of one verification. */
	auth_token_generate(password);
	result = auth_password_hash(password, auth_password_dummy);
	sodium_memzero(password, sizeof password);
	return result;
}

/* Returns password in NFC as a new string. Unlike text_normalize it keeps
 * spaces at either end, which are part of a password. */
static char *
auth_password_nfc(const char *password, size_t length)
{
	size_t nfc_length = 0;
	uint8_t *nfc;
	char *text;

	nfc = u8_normalize(UNINORM_NFC, (const uint8_t *)password, length,
	    NULL, &nfc_length);
	if (nfc == NULL)
		return NULL;
	text = malloc(nfc_length + 1);
	if (text != NULL) {
		memcpy(text, nfc, nfc_length);
		text[nfc_length] = '\0';
	}
	sodium_memzero(nfc, nfc_length);
	free(nfc);
	return text;
}

char *
auth_password_prepare(const char *password, size_t length,
    enum hub_error_code *error, long *limit)
{
	char *normalized;
	size_t chars;

	*error = HUB_ERR_INVALID_FIELD;
	*limit = AUTH_PASSWORD_MIN_CHARS;
	if (memchr(password, '\0', length) != NULL ||
	    !text_valid_utf8(password, length))
		return NULL;

	normalized = auth_password_nfc(password, length);
	if (normalized == NULL)
		return NULL;
	chars = text_length(normalized);
	if (chars >= AUTH_PASSWORD_MIN_CHARS && chars <= AUTH_PASSWORD_MAX_CHARS)
		return normalized;
	if (chars > AUTH_PASSWORD_MAX_CHARS) {
		*error = HUB_ERR_FIELD_TOO_LONG;
		*limit = AUTH_PASSWORD_MAX_CHARS;
	}
	auth_password_free(normalized);
	return NULL;
}

bool
auth_password_blank(const char *password)
{
	const uint8_t *s = (const uint8_t *)password;
	size_t length = strlen(password);
	size_t offset = 0;

	while (offset < length) {
		ucs4_t uc;
		int step = u8_mbtouc(&uc, s + offset, length - offset);

		if (!uc_is_property_white_space(uc))
			return false;
		offset += (size_t)step;
	}
	return true;
}

void
auth_password_free(char *password)
{
	if (password == NULL)
		return;
	sodium_memzero(password, strlen(password));
	free(password);
}

int
auth_password_hash(const char *password, char hash[AUTH_PASSWORD_HASH_SIZE])
{
	return crypto_pwhash_str(hash, password, strlen(password),
	    auth_password_opslimit, auth_password_memlimit);
}

bool
auth_password_verify(const char *hash, const char *password)
{
	bool dummy = hash == NULL;

	if (dummy)
		hash = auth_password_dummy;
	if (crypto_pwhash_str_verify(hash, password, strlen(password)) != 0)
		return false;
	return !dummy;
}
