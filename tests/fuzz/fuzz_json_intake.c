/*
 * Fuzzes the web module's JSON body decoding, web_json_decode of
 * channels/web/web.h, and the intake check that follows it in the module.
 * On failure the error must name a known code, and its field must be a
 * NUL-terminated string.
 */
#include <stdio.h>

#include "web.h"

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct web_intake intake = { 0 };
	struct hub_error error = { 0 };

	if (web_json_decode((const char *)data, size, &intake, &error) == 0)
		(void)web_intake_check(&intake, &error);
	else if (error.code == HUB_OK ||
	    memchr(error.field, '\0', sizeof(error.field)) == NULL) {
		fprintf(stderr, "fuzz_json_intake: decoding failed without "
		    "a valid error\n");
		abort();
	}
	web_intake_clear(&intake);
	return 0;
}
