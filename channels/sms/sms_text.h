/*
 * The text of an SMS: its form without diacritics and its fit into a
 * number of parts. Pure functions on valid UTF-8, safe on any thread.
 *
 * The size of a text (GSM-7 or UCS-2, units, parts) is the hub's
 * hub_sms_measure (channel.h).
 */
#ifndef SMS_TEXT_H
#define SMS_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* The text without Vietnamese diacritics: tone marks and vowel marks go
 * (ắ to a, ư to u, ơ to o), đ becomes d and Đ becomes D; other characters
 * are kept as they are. Returns a new NFC string, or NULL on allocation
 * failure or invalid UTF-8. */
char *sms_text_unaccent(const char *text);

/* Cuts text so that it takes at most max_parts SMS parts (max_parts >= 1).
 * A text that fits is copied as it is. A longer one is cut after the last
 * whole word that still fits with an ellipsis appended ("…" when the result
 * is sent in UCS-2, "..." in GSM-7), and never inside the ticket code:
 * code is the code as the text writes it ("3805-1729-61"), or NULL. When
 * the cut would fall inside the code, the text is cut before the code.
 * Sets *cut when the text was cut. Returns a new string, or NULL on
 * allocation failure. */
char *sms_text_fit(const char *text, int max_parts, const char *code,
    bool *cut);

#endif
