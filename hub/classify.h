/*
 * The rules matcher of the classify and route stages. Text and keywords are
 * compared folded (text_fold: no case, no diacritics, đ as d, NFC and NFD
 * alike) and as whole words: "rac" matches "Rác thải" but not "Trắc
 * nghiệm", and a phrase matches only its words in a row.
 */
#ifndef HUB_CLASSIFY_H
#define HUB_CLASSIFY_H

#include <stddef.h>

#include "desk.h"

/* Returns a new string: text folded, every run of characters other than
 * letters and digits turned into one space, with a space at each end.
 * "Rác thải, đầy!" becomes " rac thai day ". Text without a letter or digit
 * becomes " ". Returns NULL on allocation failure. Caller frees. */
char *classify_words(const char *text);

/* Counts the occurrences of phrase in words, both made by classify_words;
 * occurrences may share no word. */
size_t classify_count(const char *words, const char *phrase);

/* Picks the category of a new ticket. An explicit hint equal to a
 * configured category id wins. Otherwise the category whose keywords occur
 * most often in subject and body wins, a tie going to the category listed
 * first; no occurrence at all leaves *category NULL. subject and hint may
 * be NULL. Returns 0, or -1 on allocation failure. */
int classify_category(const struct hub_config_desk *desk, const char *hint,
    const char *subject, const char *body,
    const struct desk_category **category);

/* Finds the first configured commune whose name occurs in address as whole
 * words. address may be NULL; *commune is NULL when none matches. Returns
 * 0, or -1 on allocation failure. */
int classify_commune(const struct hub_config_desk *desk, const char *address,
    const struct desk_commune **commune);

#endif
