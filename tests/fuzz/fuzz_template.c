/*
 * Fuzzes the template renderer of hub/template_internal.h with templates
 * from the input and a fixed context. The first byte of the input picks the
 * kind: odd renders as HTML (values escaped), even as plain text. A syntax
 * error and a rendering past the renderer's bounds are valid outcomes, but a
 * crash, a leak or a timeout is not.
 */
#include <errno.h>
#include <stdio.h>

#include "template_internal.h"

#include "fuzz.h"

/* Variables of every JSON type, HTML special characters and Vietnamese text,
 * with a section list and a nested object, as the hub's templates use. */
static const char fuzz_template_context[] =
    "{\"code\": \"3805172961\", \"code_display\": \"3805-1729-61\","
    " \"status_url\": \"http://127.0.0.1:8080/lookup?c=1&d=<2>\","
    " \"name\": \"Nguy\xe1\xbb\x85n V\xc4\x83n \\\"A\\\" <b>'&'</b>\","
    " \"empty\": \"\", \"zero\": 0, \"count\": 42, \"ratio\": 0.5,"
    " \"yes\": true, \"no\": false, \"none\": null,"
    " \"items\": [{\"label\": \"m\xe1\xbb\x99t\", \"n\": 1},"
    " {\"label\": \"<hai>\", \"n\": 2}, {}],"
    " \"empty_list\": [],"
    " \"ticket\": {\"status\": \"open\", \"desk\": {\"name\": \"X&Y\"}}}";

static json_t *fuzz_template_vars;

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	json_error_t error;

	fuzz_template_vars = json_loads(fuzz_template_context, 0, &error);
	if (fuzz_template_vars == NULL) {
		fprintf(stderr, "fuzz_template: invalid context: %s\n",
		    error.text);
		abort();
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *name;
	char *text, *output;

	if (size == 0)
		return 0;
	name = (data[0] & 1) ? "fuzz.html" : "fuzz.txt";
	text = fuzz_string(data + 1, size - 1);
	errno = 0;
	output = template_render_text(text, name, fuzz_template_vars);
	if (output == NULL && errno != EINVAL && errno != E2BIG &&
	    errno != ENOMEM) {
		fprintf(stderr, "fuzz_template: rendering failed with "
		    "errno %d instead of EINVAL or E2BIG; template \"%s\"\n",
		    errno, text);
		abort();
	}
	free(output);
	free(text);
	return 0;
}
