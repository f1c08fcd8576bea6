/*
 * Wire formats of gateways: query strings (percent-decoding that keeps NUL
 * bytes), texts in their charsets, and phone numbers in their formats.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unictype.h>
#include <unistr.h>

#include "sms_intake.h"
#include "sms_kannel.h"

static int
sms_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes len bytes of a query component into a new string. */
static char *
sms_query_decode(const char *text, size_t len, size_t *out_len)
{
	char *out = malloc(len + 1);
	size_t n = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '+') {
			out[n++] = ' ';
		} else if (text[i] == '%') {
			int high = i + 2 < len ? sms_hex(text[i + 1]) : -1;
			int low = i + 2 < len ? sms_hex(text[i + 2]) : -1;

			if (high < 0 || low < 0) {
				free(out);
				return NULL;
			}
			out[n++] = (char)(high << 4 | low);
			i += 2;
		} else {
			out[n++] = text[i];
		}
	}
	out[n] = '\0';
	*out_len = n;
	return out;
}

int
sms_query_parse_text(const char *text, size_t len, struct sms_query *query)
{
	size_t start = 0;

	query->count = 0;
	while (start < len) {
		const char *item = text + start;
		const char *end = memchr(item, '&', len - start);
		size_t item_len = end != NULL ? (size_t)(end - item) :
		    len - start;
		const char *equals = memchr(item, '=', item_len);
		struct sms_query_param *param;
		size_t name_len;

		start += item_len + 1;
		if (item_len == 0)
			continue;
		if (query->count == SMS_QUERY_PARAMS_MAX)
			goto fail;
		param = &query->params[query->count];
		name_len = equals != NULL ? (size_t)(equals - item) : item_len;
		param->name = sms_query_decode(item, name_len, &param->length);
		param->value = equals != NULL ? sms_query_decode(equals + 1,
		    item_len - name_len - 1, &param->length) :
		    sms_query_decode("", 0, &param->length);
		if (param->name == NULL || param->value == NULL) {
			free(param->name);
			free(param->value);
			goto fail;
		}
		query->count++;
	}
	return 0;
fail:
	sms_query_clear(query);
	return -1;
}

int
sms_query_parse(struct evhttp_request *req, struct sms_query *query)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *text = uri != NULL ? evhttp_uri_get_query(uri) : NULL;

	query->count = 0;
	return text != NULL ? sms_query_parse_text(text, strlen(text), query) :
	    0;
}

const struct sms_query_param *
sms_query_find(const struct sms_query *query, const char *name)
{
	for (size_t i = 0; i < query->count; i++)
		if (strcmp(query->params[i].name, name) == 0)
			return &query->params[i];
	return NULL;
}

const char *
sms_query_get(const struct sms_query *query, const char *name)
{
	const struct sms_query_param *param = sms_query_find(query, name);

	if (param == NULL || strlen(param->value) != param->length)
		return NULL;
	return param->value;
}

void
sms_query_clear(struct sms_query *query)
{
	for (size_t i = 0; i < query->count; i++) {
		free(query->params[i].name);
		free(query->params[i].value);
	}
	query->count = 0;
}

/* --- Texts ----------------------------------------------------------------- */

static bool
sms_charset_utf16(const char *charset)
{
	return charset != NULL && (strncasecmp(charset, "UTF-16", 6) == 0 ||
	    strncasecmp(charset, "UCS-2", 5) == 0 ||
	    strncasecmp(charset, "UCS2", 4) == 0);
}

static bool
sms_charset_utf8(const char *charset)
{
	return charset == NULL || charset[0] == '\0' ||
	    strcasecmp(charset, "UTF-8") == 0 || strcasecmp(charset, "UTF8") == 0;
}

/* Writes a space for each U+0000 of a decoded text of len bytes, which
 * would otherwise end the string and cut the text short. */
static void
sms_text_replace_nul(char *text, size_t len)
{
	for (char *nul = memchr(text, '\0', len); nul != NULL;
	    nul = memchr(nul, '\0', len - (size_t)(nul - text)))
		*nul = ' ';
}

/* UTF-16BE to UTF-8; surrogates must pair. */
static char *
sms_text_from_utf16(const char *bytes, size_t len)
{
	size_t units = len / 2, out_len = 0;
	uint16_t *wide;
	uint8_t *out;

	if (len % 2 != 0) {
		errno = EILSEQ;
		return NULL;
	}
	wide = malloc(units > 0 ? units * sizeof *wide : 1);
	if (wide == NULL)
		return NULL;
	for (size_t i = 0; i < units; i++)
		wide[i] = (uint16_t)((unsigned char)bytes[2 * i] << 8 |
		    (unsigned char)bytes[2 * i + 1]);
	if (u16_check(wide, units) != NULL) {
		free(wide);
		errno = EILSEQ;
		return NULL;
	}
	out = u16_to_u8(wide, units, NULL, &out_len);
	free(wide);
	if (out == NULL)
		return NULL;
	out = realloc(out, out_len + 1);
	if (out != NULL) {
		out[out_len] = '\0';
		sms_text_replace_nul((char *)out, out_len);
	}
	return (char *)out;
}

static char *
sms_text_from_charset(const char *bytes, size_t len, const char *charset)
{
	iconv_t cd = iconv_open("UTF-8", charset);
	size_t out_size = len * 4 + 1, in_left = len, out_left;
	char *out, *in = (char *)bytes, *cursor;

	if (cd == (iconv_t)-1) {
		errno = EILSEQ;
		return NULL;
	}
	out = malloc(out_size);
	if (out == NULL) {
		iconv_close(cd);
		return NULL;
	}
	cursor = out;
	out_left = out_size - 1;
	/* The second call writes what the converter still holds: Windows-1258
	 * and TCVN 5712 keep the last letter back for a tone mark that might
	 * follow it. */
	if (iconv(cd, &in, &in_left, &cursor, &out_left) == (size_t)-1 ||
	    iconv(cd, NULL, NULL, &cursor, &out_left) == (size_t)-1) {
		iconv_close(cd);
		free(out);
		errno = EILSEQ;
		return NULL;
	}
	iconv_close(cd);
	*cursor = '\0';
	/* glibc writes code points past U+10FFFF (from UCS-4, say) as five-
	 * or six-byte sequences, which are not UTF-8. */
	if (u8_check((const uint8_t *)out, (size_t)(cursor - out)) != NULL) {
		free(out);
		errno = EILSEQ;
		return NULL;
	}
	sms_text_replace_nul(out, (size_t)(cursor - out));
	return out;
}

char *
sms_text_decode(const char *bytes, size_t len, const char *charset,
    const char *coding)
{
	bool utf8 = u8_check((const uint8_t *)bytes, len) == NULL &&
	    memchr(bytes, '\0', len) == NULL;
	char *out;

	if (sms_charset_utf16(charset) ||
	    (!utf8 && coding != NULL && strcmp(coding, "2") == 0))
		return sms_text_from_utf16(bytes, len);
	if (!sms_charset_utf8(charset))
		return sms_text_from_charset(bytes, len, charset);
	if (!utf8) {
		errno = EILSEQ;
		return NULL;
	}
	out = malloc(len + 1);
	if (out != NULL) {
		memcpy(out, bytes, len);
		out[len] = '\0';
	}
	return out;
}

void
sms_text_sanitize(char *text)
{
	const uint8_t *bad = u8_check((const uint8_t *)text, strlen(text));

	if (bad != NULL)
		text[(const char *)bad - text] = '\0';
	for (char *p = text; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
}

/* --- The language of a text ---------------------------------------------- */

/* English words common in short reports; two of them in a text without
 * Vietnamese letters make it English. */
static const char *const sms_english_words[] = {
	"the", "is", "are", "and", "my", "please", "there", "not", "no",
	"street", "road", "light", "broken", "water", "help", "report",
	"thank", "thanks", "you", "in", "on", "of", "for", "status", "hello",
	NULL,
};

const char *
sms_intake_language(const char *text, const char *number)
{
	int english = 0;
	const char *p = text;

	/* A letter beyond ASCII, or a combining mark (a tone written apart),
	 * is taken for Vietnamese; punctuation and symbols beyond ASCII (a
	 * phone's typographic apostrophe, a euro sign) are not. */
	for (const uint8_t *c = (const uint8_t *)text; *c != '\0';) {
		ucs4_t code_point;
		int step = u8_strmbtouc(&code_point, c);

		if (step <= 0)
			break;
		if (code_point >= 0x80 && (uc_is_alpha(code_point) ||
		    uc_is_general_category(code_point, UC_CATEGORY_M)))
			return "vi";
		c += step;
	}
	/* A foreign number writing without Vietnamese letters ("MA 0676895060"
	 * from +1...) gets English. */
	if (number != NULL && strncmp(number, "+84", 3) != 0)
		return "en";
	while (*p != '\0') {
		char word[16];
		size_t length = 0;

		while (*p != '\0' && !isalpha((unsigned char)*p))
			p++;
		while (isalpha((unsigned char)*p)) {
			if (length + 1 < sizeof word)
				word[length++] = (char)tolower(
				    (unsigned char)*p);
			p++;
		}
		word[length] = '\0';
		for (size_t i = 0; length > 0 && sms_english_words[i] != NULL;
		    i++)
			if (strcmp(word, sms_english_words[i]) == 0) {
				english++;
				break;
			}
	}
	return english >= 2 ? "en" : "vi";
}

/* --- Numbers --------------------------------------------------------------- */

int
sms_number_format(enum sms_number_format format, const char *e164, char *out,
    size_t out_size)
{
	int written;

	if (format == SMS_NUMBER_NATIONAL && strncmp(e164, "+84", 3) == 0)
		written = snprintf(out, out_size, "0%s", e164 + 3);
	else if (format == SMS_NUMBER_E164)
		written = snprintf(out, out_size, "%s", e164);
	else
		written = snprintf(out, out_size, "%s",
		    e164[0] == '+' ? e164 + 1 : e164);
	return written < 0 || (size_t)written >= out_size ? -1 : 0;
}
