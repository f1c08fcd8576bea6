/*
 * Admission of new calls: the cap on concurrent calls and the INVITE rate
 * of each source address. The table is bounded: a source pushed out of it
 * starts again from zero, which lets through at most a few more INVITEs.
 * Not locked: the SIP thread owns it.
 */
#ifndef IVR_SIP_LIMIT_H
#define IVR_SIP_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

/* Sources tracked at once. */
#define SIP_LIMIT_SOURCES 256
/* Window of the INVITE rate. */
#define SIP_LIMIT_WINDOW_MS 60000

enum sip_limit_result {
	SIP_LIMIT_ADMITTED,
	SIP_LIMIT_CALLS,	/* max_calls calls in progress */
	SIP_LIMIT_RATE,		/* the source sent invites_per_minute */
};

struct sip_limit_source {
	char address[48];
	int64_t window_start_ms;
	int count;
};

/* Sources whose rejected INVITEs are counted for the log at once. */
#define SIP_LIMIT_LOG_SOURCES 64

/* The log of rejected INVITEs from one source. */
struct sip_limit_logged {
	char address[48];
	int64_t window_start_ms;
	unsigned long quiet;		/* rejections not logged */
};

struct sip_limit {
	int max_calls;
	int invites_per_minute;		/* 0: no rate limit */
	int retry_after_seconds;	/* Retry-After when calls are full */
	struct sip_limit_source sources[SIP_LIMIT_SOURCES];
	struct sip_limit_logged logged[SIP_LIMIT_LOG_SOURCES];
};

/* Sets the limits and empties the table. */
void sip_limit_init(struct sip_limit *limit, int max_calls,
    int invites_per_minute, int retry_after_seconds);

/* Decides on an INVITE from source (a numeric address) at now_ms while
 * calls are in progress. Only an admitted INVITE counts against the
 * source's window.
 * *retry_after_seconds gets the Retry-After of a refusal: the configured
 * one for the cap, the time until the source's window ends for the rate. */
enum sip_limit_result sip_limit_admit(struct sip_limit *limit,
    const char *source, int calls, int64_t now_ms, int *retry_after_seconds);

/* Decides whether a rejected INVITE from source at now_ms is logged: the
 * first rejection of the source in each one-minute window is, and the rest
 * are counted. Returns true to log it, with *quiet_count set to the
 * rejections of the source's previous window that were not logged (0
 * when the source was pushed out of the table in between). */
bool sip_limit_log_reject(struct sip_limit *limit, const char *source,
    int64_t now_ms, unsigned long *quiet_count);

#endif
