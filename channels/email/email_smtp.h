/*
 * One message handed to the smarthost with libesmtp. Blocking: it runs on
 * the worker pool.
 */
#ifndef HUB_EMAIL_SMTP_H
#define HUB_EMAIL_SMTP_H

#include <stddef.h>

#include "email_module.h"

struct email_smtp_request {
	const struct email_config *config;
	const char *from;		/* envelope sender */
	const char *to;
	const char *message;		/* NUL-terminated, CRLF line ends */
	/* Filled in: 0 when the smarthost accepted the recipient and the
	 * message, 1 for a connection error or a 4xx reply (try again),
	 * -1 for a 5xx reply; detail holds the server's reply or the
	 * error. */
	int status;
	char detail[256];
	/* Set by libesmtp's events: why TLS failed, or NULL. */
	const char *tls_problem;
};

/* Sends request->message and fills in status and detail. Any thread. */
void email_smtp_deliver(struct email_smtp_request *request);

#endif
