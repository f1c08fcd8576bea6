/*
 * Inbound SMS inside the module: the reports handed to the pipeline and
 * the answers the module gives itself (status, rating, opt-out).
 */
#ifndef SMS_INTAKE_H
#define SMS_INTAKE_H

#include <stdbool.h>

#include "sms_module.h"

#define SMS_OPTOUT_KEY_SIZE (CONTACT_E164_MAX + 8)

/* One inbound text, its number already in E.164. */
struct sms_intake_text {
	char number[CONTACT_E164_MAX];
	const char *text;
	const char *external_id;
	const char *client_address;
	const char *language;	/* "vi" or "en", guessed from the text */
};

/* "vi", or "en" for a text without Vietnamese letters (letters beyond
 * ASCII or combining marks) that comes from a number outside Vietnam
 * (number not NULL and not +84) or has at least two common English
 * words. */
const char *sms_intake_language(const char *text, const char *number);

/* The channel state key that marks number as opted out. */
void sms_intake_optout_key(const char *number, char key[SMS_OPTOUT_KEY_SIZE]);

/* Whether number asked for no acknowledgements and notices. */
bool sms_intake_opted_out(struct sms_module *module, const char *number);

/* Hands body to the pipeline as a report from in->number (a new ticket
 * when new_ticket). Returns 0 when done will be called, -1 when the hub is
 * shutting down or out of memory. */
int sms_intake_report(struct sms_module *module,
    const struct sms_intake_text *in, const char *body, bool new_ticket,
    sms_intake_done_fn done, void *arg);

/* --- Answers (sms_answer.c) --- */

/* Whether a lone digit from number rates: its newest ticket was resolved
 * within the rating window. */
bool sms_answer_rating_open(struct sms_module *module, const char *number);

/* Each answers the citizen by SMS and calls done (maybe before returning).
 * Returns 0, or -1 when nothing could start (done is not called then). */
int sms_answer_status(struct sms_module *module,
    const struct sms_intake_text *in, const char *digits,
    sms_intake_done_fn done, void *arg);
int sms_answer_rate(struct sms_module *module, const struct sms_intake_text *in,
    int rating, sms_intake_done_fn done, void *arg);
int sms_answer_stop(struct sms_module *module, const struct sms_intake_text *in,
    sms_intake_done_fn done, void *arg);

/* Turns acknowledgements and notices back on for in->number (a new
 * report). Returns 0 or -1. */
int sms_answer_resume(struct sms_module *module,
    const struct sms_intake_text *in);

#endif
