/*
 * The outcome of a call transfer, read from the NOTIFY requests of the
 * REFER's implicit subscription (RFC 3515). Their message/sipfrag body is
 * the status line of the call that the caller's side placed to the
 * Refer-To target. Pure, so that the unit tests run it without a SIP stack.
 */
#ifndef IVR_SIP_REFER_H
#define IVR_SIP_REFER_H

#include <stdbool.h>
#include <stddef.h>

enum sip_refer_step {
	SIP_REFER_IGNORE,	/* no transfer of this leg waits for it */
	SIP_REFER_PROGRESS,	/* provisional status: the wait goes on */
	SIP_REFER_DONE,		/* final 2xx: the caller is with the target */
	SIP_REFER_FAILED,	/* final 3xx to 6xx, or ended without one */
	SIP_REFER_DONE_LATE,	/* final 2xx after the wait timed out */
};

/* Parses the status code of a message/sipfrag body ("SIP/2.0 200 OK").
 * Returns 100 to 699, or 0 when body does not start with such a status
 * line. */
int sip_refer_sipfrag_status(const char *body, size_t length);

/* Decides what a NOTIFY with Event: refer means for a leg. pending: the
 * leg waits for the final status of its REFER. expired: that wait timed
 * out and the caller went on to voicemail. status: the sipfrag status (0:
 * none). terminated: the NOTIFY's Subscription-State is "terminated". A
 * late final 2xx still counts, because the caller's side is then in a call
 * with the target. */
enum sip_refer_step sip_refer_notify_step(bool pending, bool expired,
    int status, bool terminated);

#endif
