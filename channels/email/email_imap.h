/*
 * Reading IMAP responses for the poller (email_imap.c), without I/O.
 */
#ifndef HUB_EMAIL_IMAP_H
#define HUB_EMAIL_IMAP_H

#include <stddef.h>

#include "email_module.h"

/* The value of header name (any case) in the header block of raw,
 * trimmed, as a new string (caller frees); NULL when there is none. */
char *email_imap_header(const char *raw, size_t size, const char *name);

/* The envelope sender of an IMAP message: its Return-Path without angle
 * brackets ("" for the null path), as a new string; NULL when it has
 * none. */
char *email_imap_sender(const char *raw, size_t size);

/* The literal of a FETCH response of length bytes (NUL-terminated):
 * "* n FETCH (UID u BODY[] {size}" and size bytes after its CRLF. Returns
 * a pointer into response and sets *size, or returns NULL when there is
 * no whole literal. */
const char *email_imap_literal(const char *response, size_t length,
    size_t *size);

#endif
