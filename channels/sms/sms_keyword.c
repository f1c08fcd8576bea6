/*
 * Keywords at the start of a citizen's SMS.
 *
 * The text is read through a cursor that folds one code point at a time:
 * its canonical decomposition's first code point, đ and Đ as D, ASCII
 * letters in upper case, combining marks skipped. Folding each code point
 * alone keeps every position a byte offset of the original text, so rest
 * can point into it, and reads NFC and NFD text alike.
 */
#include <stdint.h>
#include <string.h>

#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "sms_keyword.h"

#define SMS_KEYWORD_SMALL_D_STROKE 0x0111
#define SMS_KEYWORD_CAPITAL_D_STROKE 0x0110

/* A position in the parsed text. */
struct sms_keyword_cursor {
	const uint8_t *text;
	size_t len;
	size_t offset;		/* of the next code point */
};

/* A folded code point of the text: the folded value, and the byte offsets
 * of the original code point and of the one after it. */
struct sms_keyword_char {
	ucs4_t folded;
	size_t start;
	size_t end;
};

static ucs4_t
sms_keyword_fold(ucs4_t c)
{
	ucs4_t decomposition[UC_DECOMPOSITION_MAX_LENGTH];

	if (c == SMS_KEYWORD_SMALL_D_STROKE ||
	    c == SMS_KEYWORD_CAPITAL_D_STROKE)
		return 'D';
	/* The mapping is one level deep: ắ gives ă and a mark, ă gives a. */
	while (uc_canonical_decomposition(c, decomposition) > 0)
		c = decomposition[0];
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 'A';
	return c;
}

/* Reads the next code point that is not a combining mark without moving
 * the cursor. Returns false at the end of the text. */
static bool
sms_keyword_peek(const struct sms_keyword_cursor *cursor,
    struct sms_keyword_char *next)
{
	size_t offset = cursor->offset;

	while (offset < cursor->len) {
		ucs4_t c;
		int step = u8_mbtouc(&c, cursor->text + offset,
		    cursor->len - offset);

		if (!uc_is_general_category(c, UC_CATEGORY_M)) {
			next->folded = sms_keyword_fold(c);
			next->start = offset;
			next->end = offset + (size_t)step;
			return true;
		}
		offset += (size_t)step;
	}
	return false;
}

/* Moves the cursor past a character read by sms_keyword_peek. */
static void
sms_keyword_advance(struct sms_keyword_cursor *cursor,
    const struct sms_keyword_char *next)
{
	cursor->offset = next->end;
}

static bool
sms_keyword_is_space(ucs4_t c)
{
	return uc_is_property_white_space(c);
}

static bool
sms_keyword_is_punctuation(ucs4_t c)
{
	return uc_is_general_category(c, UC_CATEGORY_P);
}

static bool
sms_keyword_is_digit(ucs4_t c)
{
	return c >= '0' && c <= '9';
}

/* Skips white space, and punctuation too when with_punctuation is set. */
static void
sms_keyword_skip(struct sms_keyword_cursor *cursor, bool with_punctuation)
{
	struct sms_keyword_char next;

	while (sms_keyword_peek(cursor, &next) &&
	    (sms_keyword_is_space(next.folded) ||
	    (with_punctuation && sms_keyword_is_punctuation(next.folded))))
		sms_keyword_advance(cursor, &next);
}

/* Whether the text ends at the cursor, white space and punctuation aside. */
static bool
sms_keyword_at_end(struct sms_keyword_cursor cursor)
{
	struct sms_keyword_char next;

	sms_keyword_skip(&cursor, true);
	return !sms_keyword_peek(&cursor, &next);
}

/*
 * Matches word (ASCII, its words separated by spaces) at the cursor: each
 * letter against one folded character, each run of spaces in word against a
 * run of white space in the text. Moves the cursor past the word on a match.
 * What follows is left to the rule of each kind, and none of them accepts a
 * letter right after the word, so "MAI" never matches "MA".
 */
static bool
sms_keyword_match_word(struct sms_keyword_cursor *cursor, const char *word)
{
	struct sms_keyword_cursor at = *cursor;
	struct sms_keyword_char next;
	const char *w = word;

	while (*w == ' ')
		w++;
	if (*w == '\0')
		return false;
	while (*w != '\0') {
		ucs4_t expected;

		if (*w == ' ') {
			while (*w == ' ')
				w++;
			if (*w == '\0')
				break;
			if (!sms_keyword_peek(&at, &next) ||
			    !sms_keyword_is_space(next.folded))
				return false;
			sms_keyword_skip(&at, false);
			continue;
		}

		expected = sms_keyword_fold((unsigned char)*w);
		if (!sms_keyword_peek(&at, &next) || next.folded != expected)
			return false;
		sms_keyword_advance(&at, &next);
		w++;
	}
	*cursor = at;
	return true;
}

/* What may follow a keyword of one kind. Fills in match and returns true
 * when the text after the keyword (at cursor) is of that kind. */
typedef bool (*sms_keyword_rule)(struct sms_keyword_cursor cursor,
    struct sms_keyword_match *match);

/* One configured word with the rule of its kind. */
struct sms_keyword_candidate {
	const char *word;
	sms_keyword_rule rule;
	size_t length;
};

#define SMS_KEYWORD_CANDIDATES_MAX (4 * SMS_KEYWORD_WORDS_MAX)

/* The length of word as it is matched: its letters, and one for each run of
 * spaces between two of its words. */
static size_t
sms_keyword_word_length(const char *word)
{
	size_t length = 0;
	bool gap = false;

	while (*word == ' ')
		word++;
	for (; *word != '\0'; word++) {
		if (*word == ' ') {
			gap = true;
			continue;
		}
		if (gap)
			length++;
		gap = false;
		length++;
	}
	return length;
}

/* Appends the words of one kind to candidates, keeping them ordered by
 * length, longest first. A word goes after the words of the same length
 * already there, so kinds and words keep their order among equals. */
static void
sms_keyword_add(struct sms_keyword_candidate *candidates, size_t *count,
    const char *const *words, size_t word_count, sms_keyword_rule rule)
{
	if (word_count > SMS_KEYWORD_WORDS_MAX)
		word_count = SMS_KEYWORD_WORDS_MAX;
	for (size_t i = 0; i < word_count; i++) {
		struct sms_keyword_candidate candidate = {
			.word = words[i],
			.rule = rule,
		};
		size_t at = *count;

		if (words[i] == NULL)
			continue;
		candidate.length = sms_keyword_word_length(words[i]);
		while (at > 0 && candidates[at - 1].length < candidate.length) {
			candidates[at] = candidates[at - 1];
			at--;
		}
		candidates[at] = candidate;
		(*count)++;
	}
}

/* STATUS: optional punctuation or spaces, then a digit. The digits, spaces,
 * dots and dashes from there make the code. */
static bool
sms_keyword_status_rule(struct sms_keyword_cursor cursor,
    struct sms_keyword_match *match)
{
	struct sms_keyword_char next;
	size_t count = 0;

	sms_keyword_skip(&cursor, true);
	if (!sms_keyword_peek(&cursor, &next) ||
	    !sms_keyword_is_digit(next.folded))
		return false;

	match->kind = SMS_KEYWORD_STATUS;
	match->rest = (const char *)cursor.text + next.start;
	while (sms_keyword_peek(&cursor, &next)) {
		ucs4_t c = next.folded;

		if (sms_keyword_is_digit(c)) {
			/* NOTE: digits past the buffer are dropped, because
			 * a code that long is invalid anyway. */
			if (count < sizeof(match->digits) - 1)
				match->digits[count++] = (char)c;
		} else if (!sms_keyword_is_space(c) && c != '.' &&
		    !uc_is_general_category(c, UC_CATEGORY_Pd)) {
			break;
		}
		sms_keyword_advance(&cursor, &next);
	}
	match->digits[count] = '\0';
	match->text_after_code = !sms_keyword_at_end(cursor);
	return true;
}

/* NEW: at least one space or punctuation character, then the report, which
 * contains at least one letter or digit. */
static bool
sms_keyword_new_rule(struct sms_keyword_cursor cursor,
    struct sms_keyword_match *match)
{
	struct sms_keyword_char next;
	const char *rest;

	if (!sms_keyword_peek(&cursor, &next) ||
	    !(sms_keyword_is_space(next.folded) ||
	    sms_keyword_is_punctuation(next.folded)))
		return false;
	sms_keyword_skip(&cursor, true);
	if (!sms_keyword_peek(&cursor, &next))
		return false;
	rest = (const char *)cursor.text + next.start;

	while (sms_keyword_peek(&cursor, &next)) {
		if (uc_is_alnum(next.folded)) {
			match->kind = SMS_KEYWORD_NEW;
			match->rest = rest;
			return true;
		}
		sms_keyword_advance(&cursor, &next);
	}
	return false;
}

/* RATE: nothing, or optional spaces, an optional colon and spaces, and then
 * a number, which rates when it is one digit 1 to 5 ("DG 5", "DG: 5").
 * Any other number ("DG 55", "DG 4.5"), or a sign, punctuation or a symbol
 * before the number ("DG -1", "DG #5"), gives rating 0. A letter after the
 * word makes an ordinary message ("DG bao giờ xong?"). */
static bool
sms_keyword_rate_rule(struct sms_keyword_cursor cursor,
    struct sms_keyword_match *match)
{
	struct sms_keyword_char next;
	ucs4_t digit;

	sms_keyword_skip(&cursor, false);
	if (sms_keyword_peek(&cursor, &next) && next.folded == ':') {
		sms_keyword_advance(&cursor, &next);
		sms_keyword_skip(&cursor, false);
	}
	if (!sms_keyword_peek(&cursor, &next) ||
	    !sms_keyword_is_digit(next.folded)) {
		while (sms_keyword_peek(&cursor, &next) &&
		    !uc_is_alnum(next.folded))
			sms_keyword_advance(&cursor, &next);
		if (sms_keyword_peek(&cursor, &next) &&
		    !sms_keyword_is_digit(next.folded))
			return false;
		match->kind = SMS_KEYWORD_RATE;
		match->rating = 0;
		return true;
	}

	match->kind = SMS_KEYWORD_RATE;
	match->rating = 0;
	digit = next.folded;
	sms_keyword_advance(&cursor, &next);
	if (sms_keyword_peek(&cursor, &next)) {
		struct sms_keyword_cursor after = cursor;

		if (sms_keyword_is_digit(next.folded))
			return true;
		/* A decimal point or comma with a digit after it. */
		if (next.folded == '.' || next.folded == ',') {
			sms_keyword_advance(&after, &next);
			if (sms_keyword_peek(&after, &next) &&
			    sms_keyword_is_digit(next.folded))
				return true;
		}
	}
	if (digit >= '1' && digit <= '5')
		match->rating = (int)(digit - '0');
	return true;
}

/* STOP: nothing after the word but white space and punctuation, because
 * "Huy" is also a given name that starts ordinary messages. */
static bool
sms_keyword_stop_rule(struct sms_keyword_cursor cursor,
    struct sms_keyword_match *match)
{
	if (!sms_keyword_at_end(cursor))
		return false;
	match->kind = SMS_KEYWORD_STOP;
	return true;
}

/* A text that is one digit 1 to 5, with white space around it and one "."
 * or "!" after it allowed. */
static bool
sms_keyword_lone_digit(struct sms_keyword_cursor cursor,
    struct sms_keyword_match *match)
{
	struct sms_keyword_char next;
	ucs4_t digit;

	if (!sms_keyword_peek(&cursor, &next) || next.folded < '1' ||
	    next.folded > '5')
		return false;
	digit = next.folded;
	sms_keyword_advance(&cursor, &next);
	sms_keyword_skip(&cursor, false);
	if (sms_keyword_peek(&cursor, &next) &&
	    (next.folded == '.' || next.folded == '!')) {
		sms_keyword_advance(&cursor, &next);
		sms_keyword_skip(&cursor, false);
	}
	if (sms_keyword_peek(&cursor, &next))
		return false;

	match->kind = SMS_KEYWORD_RATE;
	match->rating = (int)(digit - '0');
	match->lone_digit = true;
	return true;
}

void
sms_keyword_defaults(struct sms_keywords *keywords)
{
	memset(keywords, 0, sizeof(*keywords));
	keywords->status[0] = "MA";
	keywords->status[1] = "MA SO";
	keywords->status[2] = "TRA CUU";
	keywords->status[3] = "TRACUU";
	keywords->status_count = 4;
	keywords->new_report[0] = "PA";
	keywords->new_report_count = 1;
	keywords->rate[0] = "DG";
	keywords->rate[1] = "DANH GIA";
	keywords->rate_count = 2;
	keywords->stop[0] = "TC";
	keywords->stop[1] = "HUY";
	keywords->stop[2] = "STOP";
	keywords->stop_count = 3;
}

enum sms_keyword_kind
sms_keyword_parse(const struct sms_keywords *keywords, const char *text,
    struct sms_keyword_match *match)
{
	struct sms_keyword_cursor cursor = {
		.text = (const uint8_t *)text,
		.len = strlen(text),
	};

	struct sms_keyword_candidate candidates[SMS_KEYWORD_CANDIDATES_MAX];
	size_t count = 0;

	memset(match, 0, sizeof(*match));
	match->kind = SMS_KEYWORD_NONE;
	sms_keyword_skip(&cursor, false);

	/* The longest word is tried first, so "MA SO 123" is read with MA SO
	 * rather than MA, and a shorter word is still tried when the rule
	 * after a longer one does not match. */
	sms_keyword_add(candidates, &count, keywords->status,
	    keywords->status_count, sms_keyword_status_rule);
	sms_keyword_add(candidates, &count, keywords->new_report,
	    keywords->new_report_count, sms_keyword_new_rule);
	sms_keyword_add(candidates, &count, keywords->rate,
	    keywords->rate_count, sms_keyword_rate_rule);
	sms_keyword_add(candidates, &count, keywords->stop,
	    keywords->stop_count, sms_keyword_stop_rule);
	for (size_t i = 0; i < count; i++) {
		struct sms_keyword_cursor after = cursor;

		if (sms_keyword_match_word(&after, candidates[i].word) &&
		    candidates[i].rule(after, match))
			return match->kind;
	}
	if (keywords->rate_count > 0 && sms_keyword_lone_digit(cursor, match))
		return match->kind;

	memset(match, 0, sizeof(*match));
	match->kind = SMS_KEYWORD_NONE;
	return SMS_KEYWORD_NONE;
}
