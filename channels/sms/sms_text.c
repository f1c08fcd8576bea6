/*
 * The text of an SMS without diacritics, and cut to a number of parts.
 *
 * The cut is measured with hub_sms_measure on the whole result, ellipsis
 * included, so that the size rules live in one place. Whether a prefix and
 * its ellipsis fit is monotone in the prefix's length. Within one encoding a
 * longer prefix takes at least as many units. A UCS-2 result extends a
 * GSM-7 prefix of n characters by at least the character that needs UCS-2
 * and the ellipsis, so it takes at least n + 2 units at 67 a part (70 for
 * one). The GSM-7 result of that prefix takes at most 2n + 3 septets at 153
 * a part (160 for one), so it fits wherever the UCS-2 result fits. A binary
 * search over the cuts therefore finds the last one that fits with O(log n)
 * measures.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unictype.h>
#include <unigbrk.h>
#include <uninorm.h>
#include <unistr.h>

#include "channel.h"
#include "sms_text.h"

#define SMS_TEXT_SMALL_D_STROKE 0x0111
#define SMS_TEXT_CAPITAL_D_STROKE 0x0110
#define SMS_TEXT_ELLIPSIS_UCS2 "\u2026"
#define SMS_TEXT_ELLIPSIS_GSM "..."
#define SMS_TEXT_ELLIPSIS_MAX 3

/* Whether c is a combining mark of the Combining Diacritical Marks block,
 * where the marks of Latin letters (Vietnamese tones and vowel marks among
 * them) sit once a text is in NFD. */
static bool
sms_text_is_latin_mark(ucs4_t c)
{
	return c >= 0x0300 && c <= 0x036f;
}

static bool
sms_text_is_ascii_letter(ucs4_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * Drops the marks that follow an ASCII base letter from NFD text in place and
 * writes d and D for đ and Đ, which have no canonical decomposition. After NFD
 * every Latin letter with a diacritic is an ASCII letter and its marks, so
 * marks on other scripts (Greek, Cyrillic) stay. Returns the new length,
 * never more than len because a written letter replaces two bytes.
 */
static size_t
sms_text_strip_marks(uint8_t *s, size_t len)
{
	size_t in = 0, out = 0;
	bool after_latin = false;

	while (in < len) {
		ucs4_t c;
		int step = u8_mbtouc(&c, s + in, len - in);

		if (c == SMS_TEXT_SMALL_D_STROKE) {
			s[out++] = 'd';
			after_latin = true;
		} else if (c == SMS_TEXT_CAPITAL_D_STROKE) {
			s[out++] = 'D';
			after_latin = true;
		} else if (after_latin && sms_text_is_latin_mark(c)) {
			/* dropped */
		} else {
			memmove(s + out, s + in, (size_t)step);
			out += (size_t)step;
			after_latin = sms_text_is_ascii_letter(c) ||
			    (after_latin && uc_is_general_category(c,
			    UC_CATEGORY_M));
		}
		in += (size_t)step;
	}
	return out;
}

char *
sms_text_unaccent(const char *text)
{
	size_t len = strlen(text), nfd_len, nfc_len;
	uint8_t *nfd, *nfc;
	char *result;

	if (u8_check((const uint8_t *)text, len) != NULL)
		return NULL;
	if (len == 0)
		return strdup("");

	nfd = u8_normalize(UNINORM_NFD, (const uint8_t *)text, len, NULL,
	    &nfd_len);
	if (nfd == NULL)
		return NULL;
	nfd_len = sms_text_strip_marks(nfd, nfd_len);
	if (nfd_len == 0) {
		free(nfd);
		return strdup("");
	}

	/* Marks on other scripts recompose. */
	nfc = u8_normalize(UNINORM_NFC, nfd, nfd_len, NULL, &nfc_len);
	free(nfd);
	if (nfc == NULL)
		return NULL;
	result = strndup((const char *)nfc, nfc_len);
	free(nfc);
	return result;
}

/* --- Fitting into parts -------------------------------------------------- */

/* A text being fitted, with a buffer for the candidate results. */
struct sms_text_fitter {
	const char *text;
	size_t len;
	size_t max_parts;
	bool *in_code;		/* len + 1 flags: offset inside the code */
	char *buffer;		/* len + SMS_TEXT_ELLIPSIS_MAX + 1 bytes */
};

/* Flags the byte offsets strictly inside each occurrence of code, where
 * no cut may fall. Returns a new array of len + 1 flags, or NULL on
 * allocation failure. */
static bool *
sms_text_code_offsets(const char *text, size_t len, const char *code)
{
	bool *in_code = calloc(len + 1, sizeof(*in_code));
	size_t code_len = code != NULL ? strlen(code) : 0;
	const char *found = text;

	if (in_code == NULL || code_len == 0)
		return in_code;
	while ((found = strstr(found, code)) != NULL) {
		size_t start = (size_t)(found - text);

		for (size_t offset = start + 1; offset < start + code_len;
		    offset++)
			in_code[offset] = true;
		found++;
	}
	return in_code;
}

/* Whether a comma, semicolon or colon at the end of a cut text would read
 * badly before the ellipsis. */
static bool
sms_text_is_trailing_separator(ucs4_t c)
{
	return c == ',' || c == ';' || c == ':' ||
	    uc_is_property_white_space(c);
}

/* The length of the text's first end bytes without the white space, commas,
 * semicolons and colons at their end. */
static size_t
sms_text_trim_end(const char *text, size_t end)
{
	const uint8_t *s = (const uint8_t *)text;

	while (end > 0) {
		ucs4_t c;
		const uint8_t *previous = u8_prev(&c, s + end, s);

		if (previous == NULL || !sms_text_is_trailing_separator(c))
			break;
		end = (size_t)(previous - s);
	}
	return end;
}

/* Writes the text's first end bytes and the ellipsis of their encoding into
 * the buffer. Returns whether the result takes at most max_parts parts. */
static bool
sms_text_candidate_fits(struct sms_text_fitter *fitter, size_t end)
{
	struct hub_sms_size size;

	memcpy(fitter->buffer, fitter->text, end);
	fitter->buffer[end] = '\0';
	hub_sms_measure(fitter->buffer, &size);
	strcpy(fitter->buffer + end, size.ucs2 ? SMS_TEXT_ELLIPSIS_UCS2 :
	    SMS_TEXT_ELLIPSIS_GSM);
	hub_sms_measure(fitter->buffer, &size);
	return size.parts <= fitter->max_parts;
}

/*
 * Returns the index of the last cut in cuts[0..count) whose result fits, or
 * -1 when none does. The cuts are trimmed byte offsets of the text in
 * increasing order, so fitting is monotone in them.
 */
static long
sms_text_last_fitting(struct sms_text_fitter *fitter, const size_t *cuts,
    size_t count)
{
	size_t low = 0, high = count;

	/* Invariant: cuts before low fit, cuts from high on do not. */
	while (low < high) {
		size_t middle = low + (high - low) / 2;

		if (sms_text_candidate_fits(fitter, cuts[middle]))
			low = middle + 1;
		else
			high = middle;
	}
	return (long)low - 1;
}

/*
 * Lists the cuts after each whole word: the ends of the runs of characters
 * other than white space that white space follows, skipping those inside
 * the code. Each cut is trimmed of the separators before it. Returns the
 * number of cuts written to cuts (room for len entries).
 */
static size_t
sms_text_word_cuts(const struct sms_text_fitter *fitter, size_t *cuts)
{
	const uint8_t *s = (const uint8_t *)fitter->text;
	size_t offset = 0, count = 0;
	bool in_word = false;

	while (offset < fitter->len) {
		ucs4_t c;
		int step = u8_mbtouc(&c, s + offset, fitter->len - offset);
		bool space = uc_is_property_white_space(c);

		if (space && in_word && !fitter->in_code[offset]) {
			size_t end = sms_text_trim_end(fitter->text, offset);

			if (end > 0 && (count == 0 || cuts[count - 1] < end))
				cuts[count++] = end;
		}
		in_word = !space;
		offset += (size_t)step;
	}
	return count;
}

/* Lists the cuts between grapheme clusters (so that a letter keeps its
 * marks), skipping those inside the code, for a first word longer than the
 * parts. Returns the number of cuts, or -1 on allocation failure. */
static long
sms_text_grapheme_cuts(const struct sms_text_fitter *fitter, size_t *cuts)
{
	char *breaks = malloc(fitter->len);
	size_t count = 0;

	if (breaks == NULL)
		return -1;
	u8_grapheme_breaks((const uint8_t *)fitter->text, fitter->len, breaks);
	for (size_t offset = 1; offset < fitter->len; offset++)
		if (breaks[offset] && !fitter->in_code[offset])
			cuts[count++] = offset;
	free(breaks);
	return (long)count;
}

/* Cuts a text that does not fit: after the last whole word that fits, else
 * inside its first word, else to the ellipsis alone. */
static char *
sms_text_cut(struct sms_text_fitter *fitter)
{
	size_t *cuts = malloc(fitter->len * sizeof(*cuts));
	size_t count, end = 0;
	long found;

	if (cuts == NULL)
		return NULL;

	count = sms_text_word_cuts(fitter, cuts);
	found = sms_text_last_fitting(fitter, cuts, count);
	if (found >= 0) {
		end = cuts[found];
	} else {
		long grapheme_count = sms_text_grapheme_cuts(fitter, cuts);

		if (grapheme_count < 0) {
			free(cuts);
			return NULL;
		}
		found = sms_text_last_fitting(fitter, cuts,
		    (size_t)grapheme_count);
		if (found >= 0)
			end = cuts[found];
	}
	free(cuts);

	/* The buffer contains the last candidate tried, which may not be the
	 * chosen one, so the result is written again. */
	sms_text_candidate_fits(fitter, end);
	return strdup(fitter->buffer);
}

char *
sms_text_fit(const char *text, int max_parts, const char *code, bool *cut)
{
	struct sms_text_fitter fitter = {
		.text = text,
		.len = strlen(text),
		.max_parts = max_parts > 1 ? (size_t)max_parts : 1,
	};
	struct hub_sms_size size;
	char *result = NULL;

	if (cut != NULL)
		*cut = false;
	hub_sms_measure(text, &size);
	if (size.parts <= fitter.max_parts)
		return strdup(text);

	fitter.in_code = sms_text_code_offsets(text, fitter.len, code);
	fitter.buffer = malloc(fitter.len + SMS_TEXT_ELLIPSIS_MAX + 1);
	if (fitter.in_code != NULL && fitter.buffer != NULL)
		result = sms_text_cut(&fitter);
	free(fitter.in_code);
	free(fitter.buffer);
	if (result != NULL && cut != NULL)
		*cut = true;
	return result;
}
