/*
 * The loaded prompts: every DIR/LANG/NAME.wav of the rendered folder, then
 * of the override folder, decoded once into 8 kHz linear samples and kept
 * in an array sorted by language and name for lookups from any thread.
 *
 * Recorded prompts: a file in override_dir/vi/ or override_dir/en/ named
 * like a rendered one (welcome.wav, num_5.wav, ...) replaces it, and a new
 * name is added. It must be a RIFF WAVE file of 8000 Hz mono audio, either
 * 16-bit linear PCM or 8-bit G.711 μ-law or A-law. Any other file is
 * rejected with its name and the sox command that converts it. Names use
 * a-z, 0-9 and _.
 * A language folder may be missing from the override folder, and a name
 * may exist in one language only: the menu checks the names it needs.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ivr_prompt.h"
#include "ivr_wav.h"

#define PROMPT_NAME_MAX 64		/* with the NUL */
#define PROMPT_LANGUAGE_SIZE 3		/* "vi", "en" with the NUL */

static const char *const prompt_languages[] = { "vi", "en" };

struct prompt_entry {
	char language[PROMPT_LANGUAGE_SIZE];
	char name[PROMPT_NAME_MAX];
	struct ivr_audio audio;
	int16_t *samples;		/* owned; audio.samples points here */
};

struct ivr_prompts {
	struct prompt_entry *entries;
	size_t count;
	size_t capacity;
};

/* Fills err with "FILE: PROBLEM", both cut to fit. Returns -1. */
static int
prompt_error(struct config_error *err, const char *file, const char *problem)
{
	snprintf(err->file, sizeof(err->file), "%.255s", file);
	err->path[0] = '\0';
	err->line = 0;
	snprintf(err->message, sizeof(err->message), "%.250s: %.250s", file,
	    problem);
	return -1;
}

static int
prompt_compare(const void *a, const void *b)
{
	const struct prompt_entry *x = a, *y = b;
	int order = strcmp(x->language, y->language);

	return order != 0 ? order : strcmp(x->name, y->name);
}

/* Finds an entry once prompts->entries is sorted. */
static struct prompt_entry *
prompt_find(const struct ivr_prompts *prompts, const char *language,
    const char *name)
{
	struct prompt_entry key;

	if (strlen(language) >= sizeof(key.language) ||
	    strlen(name) >= sizeof(key.name))
		return NULL;
	strcpy(key.language, language);
	strcpy(key.name, name);
	return bsearch(&key, prompts->entries, prompts->count,
	    sizeof(*prompts->entries), prompt_compare);
}

/* The prompt name of a directory entry "NAME.wav", or false for a file
 * that is not a prompt (no .wav suffix, a dot file). *valid is false for a
 * .wav file whose name has other characters than a-z, 0-9 and _. */
static bool
prompt_file_name(const char *file, char name[PROMPT_NAME_MAX], bool *valid)
{
	size_t length = strlen(file);

	*valid = true;
	if (file[0] == '.' || length <= 4 ||
	    strcmp(file + length - 4, ".wav") != 0)
		return false;
	length -= 4;
	if (length >= PROMPT_NAME_MAX)
		*valid = false;
	for (size_t i = 0; i < length && *valid; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyz0123456789_",
		    file[i]) == NULL)
			*valid = false;
	if (*valid) {
		memcpy(name, file, length);
		name[length] = '\0';
	}
	return true;
}

/* Stores samples under language/name, replacing an entry of the same name
 * when replace is set. Takes samples, also on failure. */
static int
prompt_store(struct ivr_prompts *prompts, const char *language,
    const char *name, int16_t *samples, size_t count, bool replace)
{
	struct prompt_entry *entry = NULL;

	/* A linear search, because entries appended by this folder are not
	 * sorted yet. */
	for (size_t i = 0; replace && entry == NULL && i < prompts->count; i++)
		if (strcmp(prompts->entries[i].language, language) == 0 &&
		    strcmp(prompts->entries[i].name, name) == 0)
			entry = &prompts->entries[i];
	if (entry == NULL) {
		if (prompts->count == prompts->capacity) {
			size_t capacity = prompts->capacity * 2 + 64;
			struct prompt_entry *grown = realloc(prompts->entries,
			    capacity * sizeof(*grown));

			if (grown == NULL) {
				free(samples);
				return -1;
			}
			prompts->entries = grown;
			prompts->capacity = capacity;
		}
		entry = &prompts->entries[prompts->count++];
		snprintf(entry->language, sizeof(entry->language), "%s",
		    language);
		snprintf(entry->name, sizeof(entry->name), "%s", name);
	} else {
		free(entry->samples);
	}
	entry->samples = samples;
	entry->audio.samples = samples;
	entry->audio.count = count;
	return 0;
}

static int
prompt_load_file(struct ivr_prompts *prompts, const char *folder,
    const char *file, const char *language, bool replace,
    struct config_error *err)
{
	char path[4096], name[PROMPT_NAME_MAX];
	int16_t *samples;
	size_t count;
	bool valid;

	if (!prompt_file_name(file, name, &valid))
		return 0;
	if (snprintf(path, sizeof(path), "%s/%s", folder, file) >=
	    (int)sizeof(path))
		return prompt_error(err, folder, "path too long");
	if (!valid)
		return prompt_error(err, path, "invalid prompt name; names use "
		    "a-z, 0-9 and _ (at most 63) and end in .wav");
	if (ivr_wav_read(path, &samples, &count, err->message,
	    sizeof(err->message)) != 0) {
		snprintf(err->file, sizeof(err->file), "%.255s", path);
		return -1;
	}
	if (prompt_store(prompts, language, name, samples, count,
	    replace) != 0)
		return prompt_error(err, path, "out of memory");
	return 0;
}

/* Loads every NAME.wav of root/language. A missing folder is an error
 * unless optional is set. */
static int
prompt_load_folder(struct ivr_prompts *prompts, const char *root,
    const char *language, bool optional, bool replace,
    struct config_error *err)
{
	char folder[4096];
	char problem[256];
	struct dirent *entry;
	DIR *dir;
	int rc = 0;

	if (snprintf(folder, sizeof(folder), "%s/%s", root, language) >=
	    (int)sizeof(folder))
		return prompt_error(err, root, "path too long");
	if ((dir = opendir(folder)) == NULL) {
		if (optional && errno == ENOENT)
			return 0;
		snprintf(problem, sizeof(problem), "cannot open the prompt "
		    "folder (%s); the build renders it into prompts/, and "
		    "the prompts_dir key names where it is",
		    strerror(errno));
		return prompt_error(err, folder, problem);
	}
	while (rc == 0 && (entry = readdir(dir)) != NULL)
		rc = prompt_load_file(prompts, folder, entry->d_name, language,
		    replace, err);
	closedir(dir);
	return rc;
}

/* The override folder must exist even when its language folders may
 * not, so that a mistyped path is reported and not ignored. */
static int
prompt_check_folder(const char *folder, struct config_error *err)
{
	char problem[256];
	struct stat st;

	if (stat(folder, &st) != 0)
		snprintf(problem, sizeof(problem), "cannot open the override "
		    "prompt folder (%s)", strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		snprintf(problem, sizeof(problem), "the override prompt folder "
		    "is not a folder");
	else
		return 0;
	return prompt_error(err, folder, problem);
}

struct ivr_prompts *
ivr_prompts_load(const char *dir, const char *override_dir,
    struct config_error *err)
{
	struct ivr_prompts *prompts = calloc(1, sizeof(*prompts));
	size_t languages = sizeof(prompt_languages) /
	    sizeof(prompt_languages[0]);

	if (prompts == NULL) {
		prompt_error(err, dir, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < languages; i++)
		if (prompt_load_folder(prompts, dir, prompt_languages[i], false,
		    false, err) != 0)
			goto fail;
	qsort(prompts->entries, prompts->count, sizeof(*prompts->entries),
	    prompt_compare);
	if (override_dir != NULL && prompt_check_folder(override_dir, err) != 0)
		goto fail;
	for (size_t i = 0; override_dir != NULL && i < languages; i++) {
		if (prompt_load_folder(prompts, override_dir,
		    prompt_languages[i], true, true, err) != 0)
			goto fail;
		/* New names were appended: sort before the next lookup. */
		qsort(prompts->entries, prompts->count,
		    sizeof(*prompts->entries), prompt_compare);
	}
	if (prompts->count == 0) {
		prompt_error(err, dir, "no prompts (NAME.wav files in vi/ "
		    "and en/)");
		goto fail;
	}
	return prompts;
fail:
	ivr_prompts_free(prompts);
	return NULL;
}

const struct ivr_audio *
ivr_prompts_get(const struct ivr_prompts *prompts, const char *language,
    const char *name)
{
	const struct prompt_entry *entry;

	if (prompts == NULL || language == NULL || name == NULL)
		return NULL;
	entry = prompt_find(prompts, language, name);
	return entry != NULL ? &entry->audio : NULL;
}

void
ivr_prompts_free(struct ivr_prompts *prompts)
{
	if (prompts == NULL)
		return;
	for (size_t i = 0; i < prompts->count; i++)
		free(prompts->entries[i].samples);
	free(prompts->entries);
	free(prompts);
}
