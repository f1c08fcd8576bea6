/*
 * The commands of an LMTP session (RFC 2033): LHLO, MAIL, RCPT, DATA,
 * RSET, NOOP, QUIT and VRFY. Each handler checks the command against the
 * session's state and queues its reply.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "email_lmtp_session.h"

static void
email_lmtp_lhlo(struct email_lmtp_session *session, const char *argument)
{
	struct evbuffer *out = bufferevent_get_output(session->bev);
	const struct email_config *config = &session->lmtp->email->config;

	if (*argument == '\0') {
		email_lmtp_reply(session, "501 5.5.4 Syntax: LHLO hostname");
		return;
	}
	email_lmtp_transaction_reset(session);
	session->greeted = true;
	evbuffer_add_printf(out, "250-%s\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n250 SIZE %zu\r\n", config->domain,
	    config->max_message_bytes);
}

static void
email_lmtp_mail(struct email_lmtp_session *session, const char *argument)
{
	const struct email_config *config = &session->lmtp->email->config;
	struct email_lmtp_path path;
	const char *problem;

	if (!session->greeted) {
		email_lmtp_reply(session, "503 5.5.1 Send LHLO first");
		return;
	}
	if (session->has_sender) {
		email_lmtp_reply(session, "503 5.5.1 MAIL already given");
		return;
	}
	problem = email_lmtp_path_parse(argument, "FROM:", &path);
	if (problem != NULL) {
		email_lmtp_reply(session, problem);
		return;
	}
	if (path.has_size && path.size > config->max_message_bytes) {
		email_lmtp_reply(session,
		    "552 5.3.4 The message is larger than the SIZE limit");
		return;
	}
	session->sender = strdup(path.address);
	if (session->sender == NULL) {
		email_lmtp_reply(session, "451 4.3.0 Out of memory");
		return;
	}
	session->has_sender = true;
	email_lmtp_reply(session, "250 2.1.0 Sender OK");
}

static void
email_lmtp_rcpt(struct email_lmtp_session *session, const char *argument)
{
	const struct email_config *config = &session->lmtp->email->config;
	struct email_lmtp_path path;
	const char *problem;

	if (!session->has_sender) {
		email_lmtp_reply(session, "503 5.5.1 Send MAIL first");
		return;
	}
	problem = email_lmtp_path_parse(argument, "TO:", &path);
	if (problem != NULL) {
		email_lmtp_reply(session, problem);
		return;
	}
	if (path.has_size) {
		email_lmtp_reply(session, "555 5.5.4 Unsupported parameter");
		return;
	}
	if (!email_config_is_own(config, path.address)) {
		email_lmtp_reply(session, "550 5.1.1 No such mailbox here");
		return;
	}
	if (session->recipient_count >= config->lmtp_max_recipients) {
		email_lmtp_reply(session, "452 4.5.3 Too many recipients");
		return;
	}
	session->recipient_count++;
	email_lmtp_reply(session, "250 2.1.5 Recipient OK");
}

static void
email_lmtp_data(struct email_lmtp_session *session, const char *argument)
{
	if (*argument != '\0') {
		email_lmtp_reply(session, "501 5.5.4 Syntax: DATA");
		return;
	}
	if (!session->has_sender) {
		email_lmtp_reply(session, "503 5.5.1 Send MAIL first");
		return;
	}
	if (session->recipient_count == 0) {
		email_lmtp_reply(session, "503 5.5.1 No valid recipients");
		return;
	}
	email_lmtp_data_begin(&session->data,
	    session->lmtp->email->config.max_message_bytes);
	session->state = EMAIL_LMTP_IN_DATA;
	email_lmtp_reply(session, "354 Start mail input; end with <CRLF>.<CRLF>");
}

void
email_lmtp_command(struct email_lmtp_session *session, const char *line)
{
	struct email_lmtp_command command;

	email_lmtp_command_parse(line, &command);
	if (session->lmtp->stopping && command.verb != EMAIL_LMTP_QUIT) {
		email_lmtp_close_after_reply(session,
		    "421 4.3.2 The hub is shutting down, try again later");
		return;
	}
	switch (command.verb) {
	case EMAIL_LMTP_LHLO:
		email_lmtp_lhlo(session, command.argument);
		break;
	case EMAIL_LMTP_HELO:
		email_lmtp_reply(session, "500 5.5.1 This is LMTP: use LHLO");
		break;
	case EMAIL_LMTP_MAIL:
		email_lmtp_mail(session, command.argument);
		break;
	case EMAIL_LMTP_RCPT:
		email_lmtp_rcpt(session, command.argument);
		break;
	case EMAIL_LMTP_DATA:
		email_lmtp_data(session, command.argument);
		break;
	case EMAIL_LMTP_RSET:
		email_lmtp_transaction_reset(session);
		email_lmtp_reply(session, "250 2.0.0 OK");
		break;
	case EMAIL_LMTP_NOOP:
		email_lmtp_reply(session, "250 2.0.0 OK");
		break;
	case EMAIL_LMTP_QUIT:
		email_lmtp_close_after_reply(session, "221 2.0.0 Bye");
		break;
	case EMAIL_LMTP_VRFY:
		email_lmtp_reply(session,
		    "252 2.5.0 Cannot verify, send a message to find out");
		break;
	case EMAIL_LMTP_UNKNOWN:
	default:
		email_lmtp_reply(session, "500 5.5.2 Unknown command");
		break;
	}
}
