/*
 * Delivery to the smarthost with libesmtp: STARTTLS as configured, AUTH
 * through libesmtp's SASL client with the configured user and password,
 * and the outcome taken from the replies to RCPT and to the message.
 */
#include <stdio.h>
#include <string.h>

#include <auth-client.h>
#include <libesmtp.h>

#include "email_smtp.h"

/* Supplies the user name and the password to libesmtp's SASL client. */
static int
email_smtp_interact(auth_client_request_t request, char **result, int fields,
    void *arg)
{
	const struct email_config *config = arg;
	int i;

	for (i = 0; i < fields; i++) {
		if (request[i].flags & AUTH_USER)
			result[i] = config->smtp_username;
		else if (request[i].flags & AUTH_PASS)
			result[i] = config->smtp_password;
		else
			return 0;
	}
	return 1;
}

/* Records why the session could not start TLS, for the detail. Other
 * events change nothing; a certificate libesmtp rejects stays rejected. */
static void
email_smtp_event(smtp_session_t session, int event, void *arg, ...)
{
	struct email_smtp_request *request = arg;

	(void)session;
	switch (event) {
	case SMTP_EV_EXTNA_STARTTLS:
		request->tls_problem = "the smarthost offers no STARTTLS "
		    "and smtp.starttls is required";
		break;
	case SMTP_EV_INVALID_PEER_CERTIFICATE:
	case SMTP_EV_NO_PEER_CERTIFICATE:
	case SMTP_EV_WRONG_PEER_CERTIFICATE:
	case SMTP_EV_UNUSABLE_CA_LIST:
		request->tls_problem = "the smarthost's TLS certificate "
		    "was not accepted";
		break;
	default:
		break;
	}
}

static void
email_smtp_timeouts(smtp_session_t session, int seconds)
{
	static const int which[] = { Timeout_GREETING, Timeout_ENVELOPE,
		Timeout_DATA, Timeout_TRANSFER, Timeout_DATA2 };
	size_t i;

	for (i = 0; i < sizeof which / sizeof which[0]; i++)
		smtp_set_timeout(session, which[i] |
		    Timeout_OVERRIDE_RFC2822_MINIMUM, (long)seconds * 1000);
}

/* Sets status from an SMTP reply code: 2xx accepted, 5xx failed for good,
 * anything else (4xx, no reply) failed for now. */
static void
email_smtp_status(struct email_smtp_request *request, const smtp_status_t *reply,
    const char *stage)
{
	int code = reply != NULL ? reply->code : 0;
	const char *text = reply != NULL && reply->text != NULL ? reply->text :
	    "no reply";

	request->status = code >= 200 && code < 300 ? 0 :
	    code >= 500 && code < 600 ? -1 : 1;
	snprintf(request->detail, sizeof request->detail, "%s: %d %.*s", stage,
	    code, (int)strcspn(text, "\r\n"), text);
}

static int
email_smtp_session_setup(smtp_session_t session, auth_context_t *auth,
    const struct email_config *config, char *detail, size_t size)
{
	static const enum starttls_option starttls[] = {
		[EMAIL_STARTTLS_NO] = Starttls_DISABLED,
		[EMAIL_STARTTLS_OPTIONAL] = Starttls_ENABLED,
		[EMAIL_STARTTLS_REQUIRED] = Starttls_REQUIRED,
	};
	char server[300];

	snprintf(server, sizeof server, "%s:%d", config->smtp_host,
	    config->smtp_port);
	if (!smtp_set_server(session, server) ||
	    !smtp_set_hostname(session, config->domain)) {
		snprintf(detail, size, "invalid smarthost %.200s", server);
		return -1;
	}
	if (config->smtp_starttls != EMAIL_STARTTLS_NO &&
	    !smtp_starttls_enable(session, starttls[config->smtp_starttls])) {
		snprintf(detail, size, "STARTTLS is not available in libesmtp");
		return -1;
	}
	email_smtp_timeouts(session, config->smtp_timeout_seconds);
	if (config->smtp_username == NULL)
		return 0;
	*auth = auth_create_context();
	if (*auth == NULL) {
		snprintf(detail, size, "out of memory for AUTH");
		return -1;
	}
	/* PLAIN and LOGIN send the password as it is; with starttls "no"
	 * they are allowed on a connection without TLS too. */
	auth_set_mechanism_flags(*auth, AUTH_PLUGIN_PLAIN, 0);
	auth_set_interact_cb(*auth, email_smtp_interact, (void *)config);
	smtp_auth_set_context(session, *auth);
	return 0;
}

void
email_smtp_deliver(struct email_smtp_request *request)
{
	smtp_session_t session = smtp_create_session();
	auth_context_t auth = NULL;
	smtp_message_t message;
	smtp_recipient_t recipient;
	char error[160];

	request->status = 1;
	if (session == NULL) {
		snprintf(request->detail, sizeof request->detail,
		    "out of memory for the SMTP session");
		return;
	}
	if (email_smtp_session_setup(session, &auth, request->config,
	    request->detail, sizeof request->detail) != 0)
		goto done;
	smtp_set_eventcb(session, email_smtp_event, request);
	message = smtp_add_message(session);
	recipient = message != NULL ? smtp_add_recipient(message,
	    request->to) : NULL;
	if (recipient == NULL ||
	    !smtp_set_reverse_path(message, request->from) ||
	    !smtp_set_message_str(message, (void *)request->message)) {
		snprintf(request->detail, sizeof request->detail,
		    "the message cannot be prepared: %s",
		    smtp_strerror(smtp_errno(), error, sizeof error));
		goto done;
	}
	if (!smtp_start_session(session)) {
		snprintf(request->detail, sizeof request->detail,
		    "smarthost %s:%d: %s", request->config->smtp_host,
		    request->config->smtp_port, request->tls_problem != NULL ?
		    request->tls_problem :
		    smtp_strerror(smtp_errno(), error, sizeof error));
		goto done;
	}
	email_smtp_status(request, smtp_reverse_path_status(message),
	    "MAIL FROM");
	if (request->status == 0)
		email_smtp_status(request, smtp_recipient_status(recipient),
		    "RCPT TO");
	if (request->status == 0)
		email_smtp_status(request,
		    smtp_message_transfer_status(message), "DATA");
	if (request->status != 0 && request->tls_problem != NULL)
		snprintf(request->detail, sizeof request->detail, "%s",
		    request->tls_problem);
done:
	smtp_destroy_session(session);
	if (auth != NULL)
		auth_destroy_context(auth);
}
