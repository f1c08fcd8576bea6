#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "pipeline_stages.h"
#include "template.h"
#include "ticket_code.h"

#define ACCESS_TOKEN_BYTES 16
#define ACCESS_TOKEN_CONTEXT "citizenhub ticket access v1:"

void
pipeline_access_token(const uint8_t key[32], const char *code,
    char token[PIPELINE_TOKEN_SIZE])
{
	crypto_generichash_state state;
	unsigned char hash[ACCESS_TOKEN_BYTES];

	crypto_generichash_init(&state, key, 32, sizeof(hash));
	crypto_generichash_update(&state,
	    (const unsigned char *)ACCESS_TOKEN_CONTEXT,
	    strlen(ACCESS_TOKEN_CONTEXT));
	crypto_generichash_update(&state, (const unsigned char *)code,
	    strlen(code));
	crypto_generichash_final(&state, hash, sizeof(hash));
	sodium_bin2hex(token, PIPELINE_TOKEN_SIZE, hash, sizeof(hash));
}

char *
pipeline_acknowledge(const struct templates *templates, const char *language,
    const char *code, const char *status_url, bool sms)
{
	char grouped[TICKET_CODE_GROUPED_SIZE];
	json_t *vars;
	char *text;

	ticket_code_group(code, grouped);
	vars = json_pack("{s:s, s:s, s:s*}", "code", code,
	    "code_display", grouped, "status_url", status_url);
	if (vars == NULL)
		return NULL;
	text = templates_render(templates, language,
	    sms ? "ack.sms" : "ack.txt", vars);
	json_decref(vars);
	if (text != NULL) {
		/* A template file ends with a newline that is not part of
		 * the message. */
		size_t length = strlen(text);

		while (length > 0 && (text[length - 1] == '\n' ||
		    text[length - 1] == '\r'))
			text[--length] = '\0';
	}
	return text;
}

char *
pipeline_status_url(const char *public_url, const char *code,
    const char *token, const char *language)
{
	char *url = NULL;
	bool english = language != NULL && strcmp(language, "en") == 0;

	if (asprintf(&url, "%s%s?code=%s%s%s%s", public_url,
	    PIPELINE_STATUS_PAGE, code, token != NULL ? "&token=" : "",
	    token != NULL ? token : "", english ? "&lang=en" : "") < 0)
		return NULL;
	return url;
}
