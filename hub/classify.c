#include "classify.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unictype.h>
#include <unistr.h>

#include "text.h"

char *
classify_words(const char *text)
{
	char *folded = text_fold(text);
	char *words;
	size_t length, out = 0;
	bool gap = true;

	if (folded == NULL)
		return NULL;
	length = strlen(folded);
	words = malloc(length + 3);
	if (words == NULL) {
		free(folded);
		return NULL;
	}
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

/* Joins subject and body into one text of words. */
static char *
classify_message_words(const char *subject, const char *body)
{
	char *text, *words;

	if (asprintf(&text, "%s\n%s", subject != NULL ? subject : "",
	    body != NULL ? body : "") < 0)
		return NULL;
	words = classify_words(text);
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
    const char *subject, const char *body,
    const struct desk_category **category)
{
	size_t best_hits = 0;
	char *words;

	*category = hint != NULL ? desk_category_find(desk, hint) : NULL;
	if (*category != NULL || desk->category_count == 0)
		return 0;
	if ((words = classify_message_words(subject, body)) == NULL)
		return -1;
	for (size_t i = 0; i < desk->category_count; i++) {
		size_t hits = classify_hits(&desk->categories[i], words);

		if (hits > best_hits) {
			best_hits = hits;
			*category = &desk->categories[i];
		}
	}
	free(words);
	return 0;
}

int
classify_commune(const struct hub_config_desk *desk, const char *address,
    const struct desk_commune **commune)
{
	char *words;

	*commune = NULL;
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
