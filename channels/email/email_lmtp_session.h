/*
 * LMTP sessions of the email module's listener: the state shared by the
 * connection handling (email_lmtp.c) and the commands (email_lmtp_session.c).
 * Main thread only.
 */
#ifndef HUB_EMAIL_LMTP_SESSION_H
#define HUB_EMAIL_LMTP_SESSION_H

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "email_lmtp.h"

enum email_lmtp_state {
	EMAIL_LMTP_READY,	/* commands */
	EMAIL_LMTP_IN_DATA,	/* reading the message */
	EMAIL_LMTP_BUSY,	/* the message is parsed and stored */
	EMAIL_LMTP_CLOSING,	/* the last reply is written, then close */
};

struct email_lmtp_session {
	struct email_lmtp *lmtp;
	struct bufferevent *bev;
	unsigned long id;
	enum email_lmtp_state state;
	bool greeted;		/* LHLO done */
	bool has_sender;
	char *sender;
	int recipient_count;
	struct email_lmtp_data data;
	bool peer_gone;		/* closed while BUSY: free when done */
	/* Ends the session with 421 when a command or a message is not
	 * complete in time (email_lmtp_deadline_set). It is not moved by the
	 * bytes that arrive, so a client sending a byte now and then cannot
	 * hold the session. */
	struct event *deadline;
	bool command_started;	/* a part of a command line has arrived */
	struct email_lmtp_session *next;
};

struct email_lmtp {
	struct email *email;
	struct evconnlistener *listener;
	struct email_lmtp_session *sessions;
	int session_count;
	unsigned long next_id;
	bool stopping;
};

/* Queues one reply line; the CRLF is added. */
void email_lmtp_reply(struct email_lmtp_session *session, const char *line);

/* Forgets the sender, the recipients and any message text. */
void email_lmtp_transaction_reset(struct email_lmtp_session *session);

/* Queues line, then ends the session once its replies are written. */
void email_lmtp_close_after_reply(struct email_lmtp_session *session,
    const char *line);

/* Checks and carries out one command line (without its CRLF). */
void email_lmtp_command(struct email_lmtp_session *session, const char *line);

#endif
