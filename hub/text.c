#include <stdlib.h>
#include <string.h>

#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "text.h"

#define TEXT_SMALL_D_STROKE 0x0111
#define TEXT_CAPITAL_D_STROKE 0x0110

bool
text_valid_utf8(const char *s, size_t len)
{
	if (memchr(s, '\0', len) != NULL)
		return false;
	return u8_check((const uint8_t *)s, len) == NULL;
}

/* Offset of the first character of s that is not white space. */
static size_t
text_skip_leading_space(const uint8_t *s, size_t len)
{
	size_t offset = 0;

	while (offset < len) {
		ucs4_t uc;
		int step = u8_mbtouc(&uc, s + offset, len - offset);

		if (!uc_is_property_white_space(uc))
			break;
		offset += step;
	}
	return offset;
}

/* Offset just past the last character of s[start..len) that is not white
 * space. */
static size_t
text_skip_trailing_space(const uint8_t *s, size_t start, size_t len)
{
	const uint8_t *end = s + len;

	while (end > s + start) {
		ucs4_t uc;
		const uint8_t *previous = u8_prev(&uc, end, s + start);

		if (previous == NULL || !uc_is_property_white_space(uc))
			break;
		end = previous;
	}
	return end - s;
}

/* Copies len bytes of s into a new NUL-terminated string. */
static char *
text_copy(const uint8_t *s, size_t len)
{
	char *copy = malloc(len + 1);

	if (copy == NULL)
		return NULL;
	memcpy(copy, s, len);
	copy[len] = '\0';
	return copy;
}

/*
 * Whether s is in NFC because of the characters it contains alone. Every
 * code point below U+0300 (ASCII, Latin-1 and the Latin Extended blocks,
 * where Vietnamese has ơ and ư) and in U+1E00 to U+1EFF (Latin Extended
 * Additional, the other precomposed Vietnamese letters) has
 * NFC_Quick_Check=Yes and combining class 0. No canonical composition has
 * both of its parts among them, because the second part of every Latin
 * composition is a combining mark from U+0300 up. Both facts were checked
 * against the Unicode 14 data of Python's unicodedata. Returns false for any
 * other character and for invalid UTF-8, which go through u8_normalize.
 */
static bool
text_is_nfc_quick(const uint8_t *s, size_t len)
{
	size_t offset = 0;

	while (offset < len) {
		ucs4_t uc;
		int step;

		if (s[offset] < 0x80) {
			offset++;
			continue;
		}
		step = u8_mbtoucr(&uc, s + offset, len - offset);
		if (step < 0 || (uc >= 0x0300 && (uc < 0x1e00 || uc > 0x1eff)))
			return false;
		offset += (size_t)step;
	}
	return true;
}

/* Copies s without its leading and trailing white space. */
static char *
text_trim_copy(const uint8_t *s, size_t len)
{
	size_t start = text_skip_leading_space(s, len);
	size_t end = text_skip_trailing_space(s, start, len);

	return text_copy(s + start, end - start);
}

char *
text_normalize(const char *s, size_t len)
{
	uint8_t *nfc;
	size_t nfc_len;
	char *result;

	if (len == 0)
		return text_copy((const uint8_t *)"", 0);

	/* For such text u8_normalize would only return a copy. */
	if (text_is_nfc_quick((const uint8_t *)s, len))
		return text_trim_copy((const uint8_t *)s, len);

	nfc = u8_normalize(UNINORM_NFC, (const uint8_t *)s, len, NULL,
	    &nfc_len);
	if (nfc == NULL)
		return NULL;

	result = text_trim_copy(nfc, nfc_len);
	free(nfc);
	return result;
}

size_t
text_length(const char *s)
{
	return u8_mbsnlen((const uint8_t *)s, strlen(s));
}

/*
 * Drops combining marks (general category Mn) from NFD text in place and
 * writes d for đ. U+0111 and U+0110 have no canonical decomposition, so NFD
 * leaves them whole and they need their own mapping. Returns the new length,
 * which is never more than len because 'd' is shorter than the two bytes of
 * U+0111.
 */
static size_t
text_strip_marks(uint8_t *s, size_t len)
{
	size_t in = 0, out = 0;

	while (in < len) {
		ucs4_t uc;
		int step = u8_mbtouc(&uc, s + in, len - in);

		if (uc == TEXT_SMALL_D_STROKE || uc == TEXT_CAPITAL_D_STROKE)
			s[out++] = 'd';
		else if (!uc_is_general_category(uc, UC_CATEGORY_Mn)) {
			memmove(s + out, s + in, step);
			out += step;
		}
		in += step;
	}
	return out;
}

char *
text_fold(const char *s)
{
	uint8_t *folded, *nfc;
	size_t folded_len, nfc_len;
	char *result;

	if (*s == '\0')
		return text_copy((const uint8_t *)"", 0);

	folded = u8_casefold((const uint8_t *)s, strlen(s), NULL, UNINORM_NFD,
	    NULL, &folded_len);
	if (folded == NULL)
		return NULL;
	folded_len = text_strip_marks(folded, folded_len);
	if (folded_len == 0) {
		free(folded);
		return text_copy((const uint8_t *)"", 0);
	}

	/* Vietnamese text is plain ASCII once its marks are gone. */
	if (text_is_nfc_quick(folded, folded_len)) {
		result = text_copy(folded, folded_len);
		free(folded);
		return result;
	}
	nfc = u8_normalize(UNINORM_NFC, folded, folded_len, NULL, &nfc_len);
	free(folded);
	if (nfc == NULL)
		return NULL;
	result = text_copy(nfc, nfc_len);
	free(nfc);
	return result;
}

size_t
text_truncate(const char *s, char *out, size_t size)
{
	size_t len;

	if (size == 0)
		return 0;

	len = strnlen(s, size);
	if (len >= size) {
		/* s[size - 1] is the first byte that does not fit, so back up
		 * to the start of the character it belongs to. */
		len = size - 1;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	memcpy(out, s, len);
	out[len] = '\0';
	return len;
}
