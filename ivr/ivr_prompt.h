/*
 * Prompts: the rendered (or recorded) audio of the IVR's texts, loaded once
 * at start and shared read-only by the media thread's calls; and the
 * spoken form of codes, numbers, dates and statuses as lists of fragments.
 */
#ifndef IVR_PROMPT_H
#define IVR_PROMPT_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* 8 kHz mono linear samples. */
struct ivr_audio {
	const int16_t *samples;
	size_t count;
};

struct ivr_prompts;

/* Loads every dir/{vi,en}/NAME.wav, then every override_dir/{vi,en}/NAME.wav
 * (override_dir may be NULL) in place of the file of the same name. A file
 * must be WAV, 8000 Hz, mono, 16-bit PCM (or G.711), else err names it and
 * says how to convert it. Returns NULL with err filled in. */
struct ivr_prompts *ivr_prompts_load(const char *dir, const char *override_dir,
    struct config_error *err);

/* The audio of name in language ("vi" or "en"), or NULL when there is none.
 * Any thread. */
const struct ivr_audio *ivr_prompts_get(const struct ivr_prompts *prompts,
    const char *language, const char *name);

void ivr_prompts_free(struct ivr_prompts *prompts);

/* Spoken values as a list of prompt names (static strings), played one
 * after the other. Besides silence_300 and the status_* prompts, the names
 * are fragments of templates/{vi,en}/ivr/fragments.tsv, the same names in
 * both languages:
 *   num_0 .. num_19, num_20, num_30 .. num_90, num_hundred, num_thousand
 *   num_zero_tens ("lẻ"), num_1_after_tens ("mốt"), num_4_after_tens
 *     ("tư"), num_5_after_tens ("lăm"): spoken in Vietnamese only
 *   ordinal_1 .. ordinal_19, ordinal_20, ordinal_30: spoken in English only
 *   month_1 .. month_12 ("tháng một" .. "tháng mười hai", "January" ..)
 *   date_day ("ngày"), date_day_early ("ngày mùng", days 1 to 10),
 *     date_year ("năm"): spoken in Vietnamese only */
#define IVR_SAY_MAX 48
struct ivr_say {
	const char *names[IVR_SAY_MAX];
	size_t count;
};

/* Each appends to say. Returns 0, or -1 when the value cannot be spoken or
 * say is full, and then leaves say as it was. A code is ten digits, with
 * '-' or ' ' allowed between them; numbers go from 0 to 999999. */
int ivr_say_code(const char *language, const char *code, struct ivr_say *say);
int ivr_say_number(const char *language, long value, struct ivr_say *say);
/* A day in Asia/Ho_Chi_Minh: "ngày 5 tháng 12 năm 2026", "December 5, 2026"
 * (spoken "December fifth, twenty twenty-six"). */
int ivr_say_date(const char *language, int64_t unix_ms, struct ivr_say *say);
/* A ticket status ("in_progress") as its phrase. */
int ivr_say_status(const char *language, const char *status,
    struct ivr_say *say);

#endif
