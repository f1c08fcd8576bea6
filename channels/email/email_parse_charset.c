/*
 * Text of mail to UTF-8: labelled charsets through iconv, mislabelled and
 * unlabelled 8-bit text through a fixed order of guesses, then control
 * characters removed.
 */
#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>

#include "email_parse_internal.h"

/* Tried in this order when the label is missing or wrong. Vietnamese legacy
 * mail is windows-1258; iso-8859-1 maps every byte, so the last guess
 * always succeeds. */
static const char *const email_charset_fallbacks[] = {
	"WINDOWS-1258", "WINDOWS-1252", "ISO-8859-1",
};

static bool
email_charset_is_ascii_or_utf8(const char *charset)
{
	static const char *const names[] = {
		"us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "utf-8",
		"utf8", "x-unknown", "unknown-8bit",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
		if (g_ascii_strcasecmp(charset, names[i]) == 0)
			return true;
	return false;
}

static iconv_t
email_charset_open(const char *charset)
{
	iconv_t cd = iconv_open("UTF-8", charset);

	if (cd == (iconv_t)-1)
		cd = iconv_open("UTF-8", g_mime_charset_iconv_name(charset));
	return cd;
}

/* Removes NUL bytes, which no stored text may hold, in place. */
static void
email_charset_drop_nul(char *text, size_t length)
{
	size_t kept = 0;

	for (size_t i = 0; i < length; i++)
		if (text[i] != '\0')
			text[kept++] = text[i];
	text[kept] = '\0';
}

/* Converts strictly: any byte the charset does not define fails the whole
 * conversion, so that the caller can try the next guess. The final call
 * with no input flushes a character that windows-1258 holds back to
 * combine it with a following tone mark. */
static char *
email_charset_convert(const char *data, size_t size, const char *charset)
{
	iconv_t cd = email_charset_open(charset);
	size_t capacity = size * 3 + 16, used = 0;
	char *out, *in = (char *)data, *next;
	size_t in_left = size, out_left, rc;

	if (cd == (iconv_t)-1)
		return NULL;
	out = g_malloc(capacity);
	for (;;) {
		next = out + used;
		out_left = capacity - used - 1;
		rc = iconv(cd, in_left > 0 ? &in : NULL, &in_left, &next,
		    &out_left);
		used = (size_t)(next - out);
		if (rc != (size_t)-1 && in_left == 0) {
			next = out + used;
			out_left = capacity - used - 1;
			rc = iconv(cd, NULL, NULL, &next, &out_left);
			used = (size_t)(next - out);
			if (rc != (size_t)-1)
				break;
		}
		if (errno != E2BIG) {
			g_free(out);
			iconv_close(cd);
			return NULL;
		}
		capacity *= 2;
		out = g_realloc(out, capacity);
	}
	iconv_close(cd);
	out[used] = '\0';
	email_charset_drop_nul(out, used);
	if (!g_utf8_validate(out, -1, NULL)) {
		g_free(out);
		return NULL;
	}
	return out;
}

char *
email_charset_to_utf8(const char *data, size_t size, const char *charset)
{
	bool labelled = charset != NULL && *charset != '\0' &&
	    !email_charset_is_ascii_or_utf8(charset);
	char *text = NULL, *copy;

	if (labelled)
		text = email_charset_convert(data, size, charset);
	if (text != NULL)
		return text;

	/* The guesses run on a copy without NUL bytes, which g_utf8_validate
	 * rejects. */
	copy = g_malloc(size + 1);
	/* A part without content comes with data NULL and size 0. */
	if (size > 0)
		memcpy(copy, data, size);
	copy[size] = '\0';
	email_charset_drop_nul(copy, size);
	if (g_utf8_validate(copy, -1, NULL))
		return copy;
	for (size_t i = 0; text == NULL &&
	    i < G_N_ELEMENTS(email_charset_fallbacks); i++)
		text = email_charset_convert(copy, strlen(copy),
		    email_charset_fallbacks[i]);
	if (text == NULL)
		text = g_utf8_make_valid(copy, -1);
	g_free(copy);
	return text;
}

void
email_text_clean(char *text, bool keep_lines)
{
	unsigned char *in = (unsigned char *)text, *out = in;

	while (*in != '\0') {
		if (*in == '\r') {
			*out++ = keep_lines ? '\n' : ' ';
			in += in[1] == '\n' ? 2 : 1;
		} else if (*in == '\n') {
			*out++ = keep_lines ? '\n' : ' ';
			in++;
		} else if (*in == '\t') {
			*out++ = keep_lines ? '\t' : ' ';
			in++;
		} else if (*in < 0x20 || *in == 0x7f) {
			in++;
		} else if (*in == 0xc2 && in[1] >= 0x80 && in[1] <= 0x9f) {
			in += 2;	/* C1 control, U+0080 to U+009F */
		} else {
			*out++ = *in++;
		}
	}
	*out = '\0';
}

void
email_text_squeeze(char *text)
{
	char *in = text, *out = text;
	bool space = false;

	while (*in == ' ' || *in == '\t')
		in++;
	for (; *in != '\0'; in++) {
		if (*in == ' ' || *in == '\t' || *in == '\n') {
			space = true;
			continue;
		}
		if (space)
			*out++ = ' ';
		space = false;
		*out++ = *in;
	}
	*out = '\0';
}

size_t
email_text_cut(const char *text, size_t length, size_t max)
{
	if (length <= max)
		return length;
	while (max > 0 && ((unsigned char)text[max] & 0xc0) == 0x80)
		max--;
	return max;
}
