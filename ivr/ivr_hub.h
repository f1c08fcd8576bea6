/*
 * The IVR's main-thread side: ticket lookups, voice reports and call
 * records, asked for by the other two threads through a mailbox.
 */
#ifndef IVR_HUB_H
#define IVR_HUB_H

#include "ivr.h"
#include "ivr_msg.h"

/* Creates the mailbox on the hub's event base. Main thread. Returns NULL
 * on allocation failure. */
struct ivr_hub *ivr_hub_new(struct ivr *ivr);

/* Hands message to the main thread (ownership taken, also on failure).
 * Safe from any thread. Returns 0, or -1 once stopped. */
int ivr_hub_post(struct ivr_hub *hub, struct ivr_hub_msg *message);

/* Messages queued and voice reports not yet answered by the store: the
 * work the hub's shutdown waits for. Main thread. */
size_t ivr_hub_busy(struct ivr_hub *hub);

/* Handles what is still queued (call records are stored, lookups
 * answered to nobody) and refuses later posts. Main thread, after both
 * threads have stopped. */
void ivr_hub_stop(struct ivr_hub *hub);

void ivr_hub_free(struct ivr_hub *hub);

#endif
