/*
 * The SIP thread: sofia-sip's su_root and nua, the calls' SIP legs.
 */
#ifndef IVR_SIP_THREAD_H
#define IVR_SIP_THREAD_H

#include "ivr.h"
#include "ivr_msg.h"

/* Starts the thread, binds ivr->config.listen over UDP and TCP and returns
 * once the stack is ready. Main thread. Returns NULL with err filled in (an
 * address in use, a bad resolver file). */
struct sip_thread *sip_thread_start(struct ivr *ivr, struct config_error *err);

/* Hands message to the SIP thread (ownership taken, also on failure).
 * Safe from any thread. Returns 0, or -1 once the thread is stopping. */
int sip_thread_post(struct sip_thread *sip, struct ivr_sip_msg *message);

/* Calls in progress on the SIP side (answered or ringing). Any thread. */
int sip_thread_calls(const struct sip_thread *sip);

/* Ends the remaining calls with BYE (or 503 while ringing), shuts nua down,
 * joins the thread and frees it. Main thread, after media_thread_stop. */
void sip_thread_stop(struct sip_thread *sip);

#endif
