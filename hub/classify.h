/*
 * The rules matcher of the classify and route stages. Text and keywords are
 * compared folded (text_fold: no case, no diacritics, đ as d, NFC and NFD
 * alike) and as whole words: "rac" matches "Rác thải" but not "Trắc
 * nghiệm", and a phrase matches only its words in a row.
 */
#ifndef HUB_CLASSIFY_H
#define HUB_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "desk.h"

/* Returns a new string: text folded, every run of characters other than
 * letters and digits turned into one space, with a space at each end.
 * "Rác thải, đầy!" becomes " rac thai day ". Text without a letter or digit
 * becomes " ". Returns NULL on allocation failure. Caller frees. */
char *classify_words(const char *text);

/* classify_words of a text that text_fold has folded already. */
char *classify_words_folded(const char *folded);

/* Counts the occurrences of phrase in words, both made by classify_words;
 * occurrences may share no word. */
size_t classify_count(const char *words, const char *phrase);

/* Picks the category of a new ticket, in this order:
 *   1. an explicit hint from the channel equal to a configured category id;
 *   2. the category whose keywords occur most often in subject and body, a
 *      tie going to the category listed first;
 *   3. the default category of channel (channel_categories);
 *   4. none: *category is NULL and the ticket goes to triage.
 * hint, channel and subject may be NULL. Returns 0, or -1 on allocation
 * failure. */
int classify_category(const struct hub_config_desk *desk, const char *hint,
    const char *channel, const char *subject, const char *body,
    const struct desk_category **category);

/* classify_category of a subject and body that text_fold has folded
 * already. */
int classify_category_folded(const struct hub_config_desk *desk,
    const char *hint, const char *channel, const char *subject_folded,
    const char *body_folded, const struct desk_category **category);

/* Tests whether the point lies in the polygon area of count points (WGS 84
 * degrees, latitude and longitude taken as plane coordinates) by the
 * even-odd rule. A point on an edge or a vertex, within 1e-9 degrees
 * (about 0.1 mm), counts as inside. A polygon of fewer than 3
 * points contains nothing. */
bool classify_area_contains(const struct desk_point *area, size_t count,
    double latitude, double longitude);

/* Finds the commune of a new ticket. With a location, it is the first
 * configured commune whose area contains it. Without one, or when no area
 * contains it, it is the first commune whose name occurs in address as
 * whole words. location and address may be NULL, and *commune is NULL when
 * none matches. Returns 0, or -1 on allocation failure. */
int classify_commune(const struct hub_config_desk *desk,
    const struct desk_point *location, const char *address,
    const struct desk_commune **commune);

#endif
