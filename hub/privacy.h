/*
 * Personal data: masking contact values for the audit trail, and the
 * retention timer that anonymizes closed tickets once privacy.retention_days
 * have passed since they were closed.
 *
 * Vietnam's Law No. 91/2025/QH15 on Personal Data Protection applies since
 * 1 January 2026. The citizens API (api_citizens.c) gives admins the export
 * and the erasure of a citizen's data; the store side is store_citizen.h.
 */
#ifndef HUB_PRIVACY_H
#define HUB_PRIVACY_H

#include <stddef.h>

#include "contact.h"

struct event_base;
struct hub_config;
struct store;

/* Room for a masked contact value with its NUL. */
#define PRIVACY_MASKED_SIZE 64

/* Writes value masked into out, for audit events. A phone keeps its first
 * three and last three characters ("+84******678"). An email keeps the first
 * character of the local part and the domain ("a***@example.org"). A
 * platform id keeps its platform and last two characters ("zalo:***78").
 * Short or unexpected values are masked whole ("***"). out is always
 * NUL-terminated. */
void privacy_mask_contact(enum contact_kind kind, const char *value,
    char out[PRIVACY_MASKED_SIZE]);

/* Returns text with what looks like a contact masked, for free text kept
 * in the audit trail (the reason of a block). In every run of six or more
 * digits, which single spaces, dots or dashes may split, all digits but the
 * last three become '*'. In every word with an '@', the local part keeps
 * only its first character. Returns a new string (caller frees), or NULL
 * when out of memory. */
char *privacy_mask_text(const char *text);

/* The retention timer. */
struct privacy_retention;

/* Starts the timer of config->privacy_*: every check interval it submits a
 * job that anonymizes closed tickets whose closed_at is older than
 * retention_days on clock_now_ms(), a bounded number per job, and runs
 * again at once while a job finds a full batch. Each ticket is marked in its
 * own transaction's rows (anonymized_at), so a restart neither loses nor
 * repeats work. Returns NULL without a timer when retention_days is 0, or
 * on allocation failure (errno set). */
struct privacy_retention *privacy_retention_start(struct event_base *base,
    struct store *store, const struct hub_config *config);

/* Frees the timer. Call it after store_close, which runs the completion
 * of a job still queued, and before event_base_free. NULL is ignored. */
void privacy_retention_free(struct privacy_retention *retention);

#endif
