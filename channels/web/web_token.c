#include <stdio.h>
#include <string.h>

#include "web.h"

/*
 * A form token is hex text of: the issue time (8 bytes, big endian, seconds
 * on the monotonic clock), a random nonce, and a crypto_auth MAC of both
 * under the per-process form key. A restart changes the key, so forms
 * issued before it are rendered again with a new token.
 */
#define WEB_TOKEN_SIGNED_BYTES (8 + WEB_TOKEN_NONCE_BYTES)
#define WEB_TOKEN_BYTES (WEB_TOKEN_SIGNED_BYTES + crypto_auth_BYTES)
#define WEB_TOKEN_SKEW_SECONDS 5

time_t
web_token_now(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec;
}

static void
web_token_pack(int64_t issued_at, uint8_t out[8])
{
	uint64_t value = (uint64_t)issued_at;
	int i;

	for (i = 7; i >= 0; i--) {
		out[i] = (uint8_t)(value & 0xff);
		value >>= 8;
	}
}

static int64_t
web_token_unpack(const uint8_t in[8])
{
	uint64_t value = 0;
	int i;

	for (i = 0; i < 8; i++)
		value = value << 8 | in[i];
	return (int64_t)value;
}

void
web_token_issue(const struct web *web, int64_t issued_at,
    char out[WEB_TOKEN_TEXT_SIZE])
{
	uint8_t raw[WEB_TOKEN_BYTES];

	web_token_pack(issued_at, raw);
	randombytes_buf(raw + 8, WEB_TOKEN_NONCE_BYTES);
	crypto_auth(raw + WEB_TOKEN_SIGNED_BYTES, raw, WEB_TOKEN_SIGNED_BYTES,
	    web->form_key);
	sodium_bin2hex(out, WEB_TOKEN_TEXT_SIZE, raw, sizeof raw);
}

int
web_token_verify(const struct web *web, const char *text,
    struct web_token *token)
{
	uint8_t raw[WEB_TOKEN_BYTES];
	size_t raw_len;
	int64_t age;

	if (text == NULL || strlen(text) != 2 * WEB_TOKEN_BYTES)
		return -1;
	if (sodium_hex2bin(raw, sizeof raw, text, strlen(text), NULL,
	    &raw_len, NULL) != 0 || raw_len != sizeof raw)
		return -1;
	if (crypto_auth_verify(raw + WEB_TOKEN_SIGNED_BYTES, raw,
	    WEB_TOKEN_SIGNED_BYTES, web->form_key) != 0)
		return -1;

	token->issued_at = web_token_unpack(raw);
	memcpy(token->nonce, raw + 8, WEB_TOKEN_NONCE_BYTES);
	age = (int64_t)web_token_now() - token->issued_at;
	if (age < -WEB_TOKEN_SKEW_SECONDS ||
	    age > (int64_t)web->config.form_max_age_hours * 3600)
		return -1;
	return 0;
}

void
web_token_idempotency_key(const struct web_token *token, char *out,
    size_t size)
{
	char hex[2 * WEB_TOKEN_NONCE_BYTES + 1];

	sodium_bin2hex(hex, sizeof hex, token->nonce, sizeof token->nonce);
	snprintf(out, size, "form-%s", hex);
}
