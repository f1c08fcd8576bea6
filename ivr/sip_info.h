/*
 * Keys sent in SIP INFO requests: the application/dtmf-relay body
 * ("Signal=5\r\nDuration=160\r\n") and application/dtmf ("5"). Pure.
 */
#ifndef IVR_SIP_INFO_H
#define IVR_SIP_INFO_H

#include <stddef.h>

/* The key of a Signal value: "0"-"9", "*", "#", "A"-"D" in either case, or
 * the RFC 4733 event numbers 10 to 15 (*, #, A-D). Returns the key as
 * '0'-'9', '*', '#' or 'A'-'D', or 0 when value is none of these. */
char sip_info_signal_key(const char *value, size_t length);

/* The key of an application/dtmf-relay body: its Signal line, the name
 * matched without regard to case and spaces around '=' ignored. Returns 0
 * when the body has no valid Signal. */
char sip_info_dtmf_relay_key(const char *body, size_t length);

#endif
