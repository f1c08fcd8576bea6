/*
 * Keywords at the start of a citizen's SMS. A keyword matches case
 * insensitively, with or without Vietnamese diacritics ("tra cứu",
 * "TRA CUU", "Tra Cuu" all match "TRA CUU"), and any run of spaces between
 * the words of a keyword matches one space. Pure functions, safe on any
 * thread.
 */
#ifndef SMS_KEYWORD_H
#define SMS_KEYWORD_H

#include <stdbool.h>
#include <stddef.h>

enum sms_keyword_kind {
	SMS_KEYWORD_NONE,	/* an ordinary message */
	SMS_KEYWORD_STATUS,	/* "MA 3805172961": a ticket's status */
	SMS_KEYWORD_NEW,	/* "PA text": a new report */
	SMS_KEYWORD_RATE,	/* "DG 5", "Đánh giá 5", or a lone digit 1 to 5 */
	SMS_KEYWORD_STOP,	/* "TC", "HUY", "STOP": no more notices */
};

#define SMS_KEYWORD_WORDS_MAX 8

/* The configured words of each kind, in ASCII upper case without
 * diacritics ("TRA CUU"); count 0 turns the kind off. */
struct sms_keywords {
	const char *status[SMS_KEYWORD_WORDS_MAX];
	size_t status_count;
	const char *new_report[SMS_KEYWORD_WORDS_MAX];
	size_t new_report_count;
	const char *rate[SMS_KEYWORD_WORDS_MAX];
	size_t rate_count;
	const char *stop[SMS_KEYWORD_WORDS_MAX];
	size_t stop_count;
};

/* The defaults: status MA, MA SO, TRA CUU and TRACUU, new PA, rate DG and
 * DANH GIA, stop TC, HUY and STOP. MA SO is the acknowledgement's own
 * wording ("Mã số: 6731-6456-70") and DANH GIA the Vietnamese word for a
 * rating ("Đánh giá 5"). */
void sms_keyword_defaults(struct sms_keywords *keywords);

struct sms_keyword_match {
	enum sms_keyword_kind kind;
	/* STATUS: the text after the keyword, from its first character that
	 * is not a space or punctuation (a pointer into the parsed text).
	 * NEW: the report's text after the keyword, likewise. NULL for the
	 * other kinds. */
	const char *rest;
	/* STATUS: the digits of the code as typed, separators removed (may
	 * be fewer or more than ten: the caller checks them). */
	char digits[24];
	/* STATUS: letters or digits follow the code ("MA 3805172961 cảm
	 * ơn", or an ordinary sentence such as "Mà 3 ngày rồi"), so the
	 * caller may take an invalid code for an ordinary message. */
	bool text_after_code;
	/* RATE: 1 to 5, or 0 when the keyword was followed by something
	 * else (the caller answers how to rate). */
	int rating;
	/* RATE: the text was a lone digit without a keyword, which rates
	 * only within the rating window after a resolution. */
	bool lone_digit;
};

/*
 * Classifies text (valid UTF-8). The rules, so that an ordinary Vietnamese
 * sentence is never taken for a keyword ("Mà sao chưa sửa?" starts with a
 * word that folds to MA):
 * - The words of all kinds are tried longest first ("MA SO 123" is read
 *   with MA SO, not MA), and a shorter word is still tried when what follows
 *   a longer one does not fit its kind.
 * - STATUS: a status word, then optional punctuation or spaces, then a
 *   digit: the digits, spaces, dots and dashes that follow make the code.
 * - NEW: a new-report word followed by a space or punctuation and at least
 *   one more letter or digit; the rest is the report.
 * - RATE: a rate word, then optional spaces and one optional colon, then
 *   one digit 1 to 5 ("DG 5", "DG: 5", "đg5" give 5). Rating 0 when nothing
 *   follows ("DG"), when the number is another ("DG 9", "DG 55", "DG 4.5"),
 *   or when a sign, punctuation or a symbol comes before it ("DG -1"). A
 *   letter after the word makes an ordinary message ("DG bao giờ xong?").
 *   A text that is one digit 1 to 5 (spaces and a final "." or "!"
 *   allowed) gives lone_digit.
 * - STOP: the whole text is a stop word (spaces and final punctuation
 *   allowed), since "Huy" is also a given name.
 * Returns the kind (also in match->kind).
 */
enum sms_keyword_kind sms_keyword_parse(const struct sms_keywords *keywords,
    const char *text, struct sms_keyword_match *match);

#endif
