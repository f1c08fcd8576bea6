#include "classify.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unictype.h>
#include <unistr.h>

#include "text.h"

/* How far from an edge of an area a point still counts as on it, in
 * degrees: 1e-9 degrees is about 0.1 mm on the ground, far below the
 * precision of a phone's GPS, so it only absorbs rounding errors. */
#define CLASSIFY_EDGE_DEGREES 1e-9

char *
classify_words_folded(const char *folded)
{
	size_t length = strlen(folded);
	char *words = malloc(length + 3);
	size_t out = 0;
	bool gap = true;

	if (words == NULL)
		return NULL;
	words[out++] = ' ';
	for (size_t in = 0; in < length;) {
		ucs4_t uc;
		int step = u8_mbtouc(&uc, (const uint8_t *)folded + in,
		    length - in);

		if (uc_is_alnum(uc)) {
			memcpy(words + out, folded + in, (size_t)step);
			out += (size_t)step;
			gap = false;
		} else if (!gap) {
			words[out++] = ' ';
			gap = true;
		}
		in += (size_t)step;
	}
	if (!gap)
		words[out++] = ' ';
	words[out] = '\0';
	return words;
}

char *
classify_words(const char *text)
{
	char *folded = text_fold(text);
	char *words;

	if (folded == NULL)
		return NULL;
	words = classify_words_folded(folded);
	free(folded);
	return words;
}

size_t
classify_count(const char *words, const char *phrase)
{
	size_t count = 0, length = strlen(phrase);
	const char *at = words;

	if (length <= 1)
		return 0;
	/* Each match ends on the space before the next word, so the search
	 * goes on from that space. */
	while ((at = strstr(at, phrase)) != NULL) {
		count++;
		at += length - 1;
	}
	return count;
}

/* Joins subject and body, both folded, into one text of words. */
static char *
classify_message_words(const char *subject_folded, const char *body_folded)
{
	char *text, *words;

	if (asprintf(&text, "%s\n%s", subject_folded != NULL ?
	    subject_folded : "", body_folded != NULL ? body_folded : "") < 0)
		return NULL;
	words = classify_words_folded(text);
	free(text);
	return words;
}

static size_t
classify_hits(const struct desk_category *category, const char *words)
{
	size_t hits = 0;

	for (size_t i = 0; i < category->keyword_count; i++)
		hits += classify_count(words, category->keywords[i]);
	return hits;
}

int
classify_category(const struct hub_config_desk *desk, const char *hint,
    const char *channel, const char *subject, const char *body,
    const struct desk_category **category)
{
	char *subject_folded = subject != NULL ? text_fold(subject) : NULL;
	char *body_folded = body != NULL ? text_fold(body) : NULL;
	int rc = -1;

	if ((subject == NULL || subject_folded != NULL) &&
	    (body == NULL || body_folded != NULL))
		rc = classify_category_folded(desk, hint, channel,
		    subject_folded, body_folded, category);
	free(subject_folded);
	free(body_folded);
	return rc;
}

int
classify_category_folded(const struct hub_config_desk *desk, const char *hint,
    const char *channel, const char *subject_folded, const char *body_folded,
    const struct desk_category **category)
{
	size_t best_hits = 0;
	char *words;

	*category = hint != NULL ? desk_category_find(desk, hint) : NULL;
	if (*category != NULL || desk->category_count == 0)
		return 0;
	if ((words = classify_message_words(subject_folded, body_folded)) ==
	    NULL)
		return -1;
	for (size_t i = 0; i < desk->category_count; i++) {
		size_t hits = classify_hits(&desk->categories[i], words);

		if (hits > best_hits) {
			best_hits = hits;
			*category = &desk->categories[i];
		}
	}
	free(words);
	if (*category == NULL)
		*category = desk_channel_category_find(desk, channel);
	return 0;
}

/* Tests whether point lies on the segment from a to b, within
 * CLASSIFY_EDGE_DEGREES. */
static bool
classify_on_segment(const struct desk_point *a, const struct desk_point *b,
    double latitude, double longitude)
{
	double dx = b->longitude - a->longitude;
	double dy = b->latitude - a->latitude;
	double length2 = dx * dx + dy * dy;
	double t = 0.0;

	/* t is the position along the segment of the point nearest to the
	 * given one, 0 at a and 1 at b. */
	if (length2 > 0.0) {
		t = ((longitude - a->longitude) * dx +
		    (latitude - a->latitude) * dy) / length2;
		if (t < 0.0)
			t = 0.0;
		else if (t > 1.0)
			t = 1.0;
	}
	return hypot(longitude - (a->longitude + t * dx),
	    latitude - (a->latitude + t * dy)) <= CLASSIFY_EDGE_DEGREES;
}

bool
classify_area_contains(const struct desk_point *area, size_t count,
    double latitude, double longitude)
{
	bool inside = false;

	if (count < 3)
		return false;
	/* Even-odd rule: count the edges that a ray from the point towards
	 * growing longitude crosses. An edge counts when one end lies above
	 * the point's latitude and the other at or below it, so a ray through
	 * a vertex counts that vertex once. */
	for (size_t i = 0, j = count - 1; i < count; j = i++) {
		const struct desk_point *a = &area[j], *b = &area[i];
		double crossing;

		if (classify_on_segment(a, b, latitude, longitude))
			return true;
		if ((a->latitude > latitude) == (b->latitude > latitude))
			continue;
		crossing = a->longitude + (latitude - a->latitude) *
		    (b->longitude - a->longitude) / (b->latitude - a->latitude);
		if (longitude < crossing)
			inside = !inside;
	}
	return inside;
}

int
classify_commune(const struct hub_config_desk *desk,
    const struct desk_point *location, const char *address,
    const struct desk_commune **commune)
{
	char *words;

	*commune = NULL;
	for (size_t i = 0; location != NULL && i < desk->commune_count; i++) {
		const struct desk_commune *candidate = &desk->communes[i];

		if (classify_area_contains(candidate->area,
		    candidate->area_count, location->latitude,
		    location->longitude)) {
			*commune = candidate;
			return 0;
		}
	}
	if (address == NULL || desk->commune_count == 0)
		return 0;
	if ((words = classify_words(address)) == NULL)
		return -1;
	for (size_t i = 0; i < desk->commune_count; i++) {
		if (classify_count(words, desk->communes[i].name_folded) > 0) {
			*commune = &desk->communes[i];
			break;
		}
	}
	free(words);
	return 0;
}
