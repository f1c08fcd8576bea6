/*
 * Fuzzes the SMS channel's input code that needs no event loop. It covers
 * the query strings smsbox sends (sms_query_parse_text) and inbound texts
 * in their charset and coding (sms_text_decode). It covers the keywords at
 * the start of a text (sms_keyword_parse with the default words), the text
 * without diacritics and cut to parts (sms_text_unaccent, sms_text_fit),
 * and the generic gateway's placeholders (sms_http_expand).
 *
 * The first byte picks the function; the rest is its input. For the decoder
 * the input is "charset\ncoding\ntext bytes"; for the fitter the second
 * byte picks max_parts (1 to 4) and the code (a part of the text); for the
 * templates it is "template\nvalue" with the third byte picking the
 * escaping.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include <unistr.h>

#include "channel.h"
#include "sms_http.h"
#include "sms_kannel.h"
#include "sms_keyword.h"
#include "sms_text.h"

#include "fuzz.h"

enum fuzz_sms_mode {
	FUZZ_SMS_QUERY,
	FUZZ_SMS_DECODE,
	FUZZ_SMS_KEYWORD,
	FUZZ_SMS_TEXT,
	FUZZ_SMS_TEMPLATE,
	FUZZ_SMS_MODES,
};

/* Prints the failed invariant and aborts, so that libFuzzer saves the input
 * as a crash. */
static void
fuzz_sms_fail(const char *what)
{
	fprintf(stderr, "fuzz_sms: %s\n", what);
	abort();
}

static bool
fuzz_sms_valid_utf8(const char *text)
{
	return u8_check((const uint8_t *)text, strlen(text)) == NULL;
}

/* Splits the first line (at most max bytes) off *data into a new string. */
static char *
fuzz_sms_line(const uint8_t **data, size_t *size, size_t max)
{
	const uint8_t *end = memchr(*data, '\n', *size < max ? *size : max);
	size_t length = end != NULL ? (size_t)(end - *data) :
	    (*size < max ? *size : max);
	char *line = fuzz_string(*data, length);

	*data += length + (end != NULL ? 1 : 0);
	*size -= length + (end != NULL ? 1 : 0);
	return line;
}

static void
fuzz_sms_query(const uint8_t *data, size_t size)
{
	struct sms_query query;

	if (sms_query_parse_text((const char *)data, size, &query) != 0) {
		if (query.count != 0)
			fuzz_sms_fail("a failed parse left parameters");
		return;
	}
	if (query.count > SMS_QUERY_PARAMS_MAX)
		fuzz_sms_fail("more parameters than the query holds");
	for (size_t i = 0; i < query.count; i++) {
		const struct sms_query_param *param = &query.params[i];
		const char *value;

		if (param->value[param->length] != '\0')
			fuzz_sms_fail("a value is not NUL-terminated");
		if (param->length > size)
			fuzz_sms_fail("a value is longer than the query");
		if (sms_query_find(&query, param->name) == NULL)
			fuzz_sms_fail("a parameter is not found by its name");
		value = sms_query_get(&query, param->name);
		if (value != NULL && strlen(value) !=
		    sms_query_find(&query, param->name)->length)
			fuzz_sms_fail("sms_query_get returned a value with a NUL");
	}
	sms_query_clear(&query);
	if (query.count != 0)
		fuzz_sms_fail("sms_query_clear left parameters");
}

static void
fuzz_sms_decode(const uint8_t *data, size_t size)
{
	char *charset = fuzz_sms_line(&data, &size, 40);
	char *coding = fuzz_sms_line(&data, &size, 4);
	char *text;

	/* An empty charset line stands for a request without one. */
	text = sms_text_decode((const char *)data, size,
	    charset[0] != '\0' ? charset : NULL,
	    coding[0] != '\0' ? coding : NULL);
	if (text == NULL) {
		if (errno != EILSEQ && errno != ENOMEM && errno != EINVAL)
			fuzz_sms_fail("a failed decode set no error");
	} else if (!fuzz_sms_valid_utf8(text)) {
		fuzz_sms_fail("sms_text_decode returned invalid UTF-8");
	}
	free(text);
	free(coding);
	free(charset);
}

static void
fuzz_sms_keyword(const char *text)
{
	struct sms_keywords keywords;
	struct sms_keyword_match match;
	enum sms_keyword_kind kind;
	size_t len = strlen(text);

	sms_keyword_defaults(&keywords);
	kind = sms_keyword_parse(&keywords, text, &match);
	if (kind != match.kind)
		fuzz_sms_fail("the kind returned differs from match.kind");
	switch (kind) {
	case SMS_KEYWORD_STATUS:
		if (match.rest == NULL || match.rest < text ||
		    match.rest > text + len || match.digits[0] == '\0')
			fuzz_sms_fail("a status match without its code");
		if (strspn(match.digits, "0123456789") != strlen(match.digits))
			fuzz_sms_fail("a code with characters other than digits");
		break;
	case SMS_KEYWORD_NEW:
		if (match.rest == NULL || match.rest <= text ||
		    match.rest >= text + len || !fuzz_sms_valid_utf8(match.rest))
			fuzz_sms_fail("a new report without its text");
		break;
	case SMS_KEYWORD_RATE:
		if (match.rating < 0 || match.rating > 5 ||
		    (match.lone_digit && match.rating == 0))
			fuzz_sms_fail("a rating out of range");
		break;
	case SMS_KEYWORD_NONE:
	case SMS_KEYWORD_STOP:
		if (match.rest != NULL)
			fuzz_sms_fail("rest set for a kind without one");
		break;
	}
}

/* Checks that result is text cut to max_parts parts: valid UTF-8 that fits,
 * the text itself when not cut, else a prefix of it and an ellipsis. */
static void
fuzz_sms_check_fit(const char *text, const char *result, int max_parts,
    bool cut)
{
	struct hub_sms_size size;
	size_t prefix_len;

	if (!fuzz_sms_valid_utf8(result))
		fuzz_sms_fail("sms_text_fit returned invalid UTF-8");
	hub_sms_measure(result, &size);
	if (size.parts > (size_t)max_parts)
		fuzz_sms_fail("sms_text_fit returned more parts than allowed");
	if (!cut) {
		if (strcmp(result, text) != 0)
			fuzz_sms_fail("a text not cut was changed");
		return;
	}
	prefix_len = strlen(result);
	if (prefix_len >= 3 && strcmp(result + prefix_len - 3, "...") == 0)
		prefix_len -= 3;
	else if (prefix_len >= 3 &&
	    strcmp(result + prefix_len - 3, "\u2026") == 0)
		prefix_len -= 3;
	else
		fuzz_sms_fail("a cut text has no ellipsis");
	if (strncmp(result, text, prefix_len) != 0)
		fuzz_sms_fail("a cut text is not a prefix of the text");
}

/* Checks that no cut falls strictly inside an occurrence of code, for a
 * code like a ticket's: printable ASCII without spaces that does not end
 * with a comma, semicolon or colon (the cut drops those before the
 * ellipsis). */
static void
fuzz_sms_check_code(const char *text, const char *result, const char *code,
    bool cut)
{
	size_t prefix_len = strlen(result) - 3, code_len = strlen(code);

	if (!cut || code_len == 0 || strchr(",;:", code[code_len - 1]) != NULL)
		return;
	for (const char *p = code; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return;
	for (const char *found = strstr(text, code); found != NULL;
	    found = strstr(found + 1, code)) {
		size_t start = (size_t)(found - text);

		if (prefix_len > start && prefix_len < start + code_len)
			fuzz_sms_fail("sms_text_fit cut inside the code");
	}
}

static void
fuzz_sms_text(const uint8_t *data, size_t size)
{
	int max_parts;
	size_t code_start, code_len;
	char *text, *code, *plain, *again, *fitted;
	bool cut;

	if (size < 3)
		return;
	max_parts = 1 + data[0] % 4;
	text = fuzz_string(data + 3, size - 3);
	if (!fuzz_sms_valid_utf8(text) || strlen(text) != size - 3) {
		free(text);
		return;
	}
	/* The code is a part of the text, as a reply quotes its ticket's. */
	code_start = size > 3 ? data[1] % (size - 3) : 0;
	code_len = data[2] % 16;
	if (code_start + code_len > size - 3)
		code_len = size - 3 - code_start;
	while (code_len > 0 && !fuzz_sms_valid_utf8(code = fuzz_string(
	    (const uint8_t *)text + code_start, code_len))) {
		free(code);
		code_len--;
	}
	if (code_len == 0)
		code = NULL;

	plain = sms_text_unaccent(text);
	if (plain == NULL)
		fuzz_sms_fail("sms_text_unaccent failed on valid UTF-8");
	if (!fuzz_sms_valid_utf8(plain))
		fuzz_sms_fail("sms_text_unaccent returned invalid UTF-8");
	again = sms_text_unaccent(plain);
	if (again == NULL || strcmp(again, plain) != 0)
		fuzz_sms_fail("sms_text_unaccent is not idempotent");
	free(again);

	fitted = sms_text_fit(text, max_parts, data[0] & 0x80 ? NULL : code,
	    &cut);
	if (fitted == NULL)
		abort();
	fuzz_sms_check_fit(text, fitted, max_parts, cut);
	if (code != NULL && !(data[0] & 0x80))
		fuzz_sms_check_code(text, fitted, code, cut);
	free(fitted);

	fitted = sms_text_fit(plain, max_parts, NULL, &cut);
	if (fitted == NULL)
		abort();
	fuzz_sms_check_fit(plain, fitted, max_parts, cut);
	free(fitted);

	free(plain);
	free(code);
	free(text);
}

static void
fuzz_sms_template(const uint8_t *data, size_t size)
{
	static const enum sms_http_escape escapes[] = {
		SMS_HTTP_ESCAPE_URL, SMS_HTTP_ESCAPE_HEADER,
		SMS_HTTP_ESCAPE_JSON, SMS_HTTP_ESCAPE_FORM, SMS_HTTP_ESCAPE_RAW,
	};
	enum sms_http_escape escape;
	struct sms_http_values values;
	char *template, *value, *out = NULL;
	char problem[128];
	int checked, rc;

	if (size < 1)
		return;
	escape = escapes[data[0] % 5];
	data++;
	size--;
	template = fuzz_sms_line(&data, &size, size);
	value = fuzz_string(data, size);
	values = (struct sms_http_values){
		.to = "84912345678", .from = "1022", .text = value,
		.reference = value, .coding = "ucs2", .unicode = "1",
		.parts = "2", .username = "hub", .password = value,
	};
	checked = sms_http_template_check(template, problem, sizeof problem);
	if (checked != 0 && strlen(problem) >= sizeof problem)
		fuzz_sms_fail("a problem longer than its buffer");
	rc = sms_http_expand(template, escape, &values, &out);
	if (rc == 0) {
		if (out == NULL)
			fuzz_sms_fail("an expansion without a result");
		if (escape == SMS_HTTP_ESCAPE_JSON ||
		    escape == SMS_HTTP_ESCAPE_URL ||
		    escape == SMS_HTTP_ESCAPE_FORM) {
			/* The escaped value adds no control character of its
			 * own when the template has none. */
			bool template_plain = true;

			for (const char *p = template; *p != '\0'; p++)
				if ((unsigned char)*p < 0x20)
					template_plain = false;
			for (const char *p = out; template_plain && *p != '\0';
			    p++)
				if ((unsigned char)*p < 0x20)
					fuzz_sms_fail("an escaped value holds a "
					    "control character");
		}
		if (escape == SMS_HTTP_ESCAPE_HEADER)
			for (const char *p = out; *p != '\0'; p++)
				if ((*p == '\r' || *p == '\n') &&
				    strchr(template, *p) == NULL)
					fuzz_sms_fail("a header value holds a "
					    "line break");
		free(out);
	} else if (errno != EINVAL && errno != ENOMEM) {
		fuzz_sms_fail("a failed expansion set no error");
	} else if (escape != SMS_HTTP_ESCAPE_HEADER && errno == EINVAL) {
		fuzz_sms_fail("a value refused outside a header");
	}
	free(value);
	free(template);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size < 1)
		return 0;
	switch (data[0] % FUZZ_SMS_MODES) {
	case FUZZ_SMS_QUERY:
		fuzz_sms_query(data + 1, size - 1);
		break;
	case FUZZ_SMS_DECODE:
		fuzz_sms_decode(data + 1, size - 1);
		break;
	case FUZZ_SMS_KEYWORD:
		text = fuzz_string(data + 1, size - 1);
		if (strlen(text) == size - 1 && fuzz_sms_valid_utf8(text))
			fuzz_sms_keyword(text);
		free(text);
		break;
	case FUZZ_SMS_TEXT:
		fuzz_sms_text(data + 1, size - 1);
		break;
	default:
		fuzz_sms_template(data + 1, size - 1);
		break;
	}
	return 0;
}
