/*
 * The LMTP listener (RFC 2033) for an MTA and for citizenhub-mailgate, on
 * the main loop. Commands of a session are carried out in the order they
 * arrive, so a pipelining client may send several at once. While a
 * message is parsed and stored the session reads nothing more, and after
 * DATA it gets one reply per accepted recipient.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "email_lmtp_session.h"

static void email_lmtp_read(struct bufferevent *bev, void *arg);

/* Ends the session seconds from now unless the deadline is set again or
 * cleared before then. */
static void
email_lmtp_deadline_set(struct email_lmtp_session *session, int seconds)
{
	struct timeval timeout = { seconds, 0 };

	evtimer_add(session->deadline, &timeout);
}

/* Starts the wait for the next command, after a reply or the greeting. */
static void
email_lmtp_wait_command(struct email_lmtp_session *session)
{
	session->command_started = false;
	email_lmtp_deadline_set(session,
	    session->lmtp->email->config.lmtp_timeout_seconds);
}

void
email_lmtp_reply(struct email_lmtp_session *session, const char *line)
{
	evbuffer_add_printf(bufferevent_get_output(session->bev), "%s\r\n",
	    line);
}

void
email_lmtp_transaction_reset(struct email_lmtp_session *session)
{
	free(session->sender);
	session->sender = NULL;
	session->has_sender = false;
	session->recipient_count = 0;
	email_lmtp_data_clear(&session->data);
}

static void
email_lmtp_session_free(struct email_lmtp_session *session)
{
	struct email_lmtp *lmtp = session->lmtp;
	struct email_lmtp_session **link;

	for (link = &lmtp->sessions; *link != NULL; link = &(*link)->next) {
		if (*link == session) {
			*link = session->next;
			break;
		}
	}
	lmtp->session_count--;
	log_debug(EMAIL_LOG, "lmtp session closed session=%lu", session->id);
	email_lmtp_transaction_reset(session);
	if (session->deadline != NULL)
		event_free(session->deadline);
	if (session->bev != NULL)
		bufferevent_free(session->bev);
	free(session);
}

/* Closes now, unless a message of the session is being stored: then the
 * session is freed when that is done. */
static void
email_lmtp_session_close(struct email_lmtp_session *session)
{
	if (session->state == EMAIL_LMTP_BUSY) {
		session->peer_gone = true;
		evtimer_del(session->deadline);
		bufferevent_disable(session->bev, EV_READ | EV_WRITE);
		return;
	}
	email_lmtp_session_free(session);
}

static void
email_lmtp_written(struct bufferevent *bev, void *arg)
{
	struct email_lmtp_session *session = arg;

	(void)bev;
	if (session->state == EMAIL_LMTP_CLOSING)
		email_lmtp_session_free(session);
}

static void
email_lmtp_event(struct bufferevent *bev, short events, void *arg)
{
	struct email_lmtp_session *session = arg;

	(void)bev;
	/* Only writes have a bufferevent timeout: the peer reads none of the
	 * replies, so a 421 would not reach it either. */
	if (events & BEV_EVENT_TIMEOUT)
		log_info(EMAIL_LOG, "lmtp session timed out writing a reply "
		    "session=%lu", session->id);
	email_lmtp_session_close(session);
}

static void
email_lmtp_deadline_expired(evutil_socket_t fd, short events, void *arg)
{
	struct email_lmtp_session *session = arg;
	const char *reply;

	(void)fd;
	(void)events;
	if (session->state == EMAIL_LMTP_IN_DATA) {
		log_info(EMAIL_LOG, "lmtp message not complete in time, "
		    "nothing stored session=%lu bytes=%zu data_timeout=%d",
		    session->id, session->data.total,
		    session->lmtp->email->config.lmtp_data_timeout_seconds);
		reply = "421 4.4.2 Message not received in time, closing the "
		    "connection";
	} else if (session->state == EMAIL_LMTP_READY) {
		log_info(EMAIL_LOG, "lmtp command not complete in time "
		    "session=%lu started=%s timeout=%d", session->id,
		    session->command_started ? "yes" : "no",
		    session->lmtp->email->config.lmtp_timeout_seconds);
		reply = "421 4.4.2 Command not received in time, closing the "
		    "connection";
	} else {
		return;	/* BUSY clears the deadline, CLOSING needs none */
	}
	email_lmtp_transaction_reset(session);
	email_lmtp_close_after_reply(session, reply);
	bufferevent_enable(session->bev, EV_WRITE);
}

void
email_lmtp_close_after_reply(struct email_lmtp_session *session,
    const char *line)
{
	email_lmtp_reply(session, line);
	session->state = EMAIL_LMTP_CLOSING;
	bufferevent_disable(session->bev, EV_READ);
}


static void
email_lmtp_replies(struct email_lmtp_session *session, const char *line)
{
	int i;

	for (i = 0; i < session->recipient_count; i++)
		email_lmtp_reply(session, line);
}

static void
email_lmtp_stored(const struct email_outcome *outcome, void *arg)
{
	struct email_lmtp_session *session = arg;

	if (session->peer_gone) {
		log_info(EMAIL_LOG, "lmtp peer left before the reply "
		    "session=%lu reply=\"%s\"", session->id, outcome->reply);
		session->state = EMAIL_LMTP_READY;
		email_lmtp_session_free(session);
		return;
	}
	email_lmtp_replies(session, outcome->reply);
	email_lmtp_transaction_reset(session);
	session->state = EMAIL_LMTP_READY;
	email_lmtp_wait_command(session);
	bufferevent_enable(session->bev, EV_READ);
	/* Commands that came in while the message was stored. */
	email_lmtp_read(session->bev, session);
}

static void
email_lmtp_data_done(struct email_lmtp_session *session)
{
	size_t length;
	char *text;

	if (session->data.too_large) {
		log_info(EMAIL_LOG, "lmtp message too large session=%lu "
		    "bytes=%zu", session->id, session->data.total);
		email_lmtp_replies(session,
		    "552 5.3.4 The message is larger than the SIZE limit");
		email_lmtp_transaction_reset(session);
		session->state = EMAIL_LMTP_READY;
		email_lmtp_wait_command(session);
		return;
	}
	text = email_lmtp_data_take(&session->data, &length);
	session->state = EMAIL_LMTP_BUSY;
	evtimer_del(session->deadline);
	bufferevent_disable(session->bev, EV_READ);
	if (text == NULL || email_intake_start(session->lmtp->email, text,
	    length, session->sender, "lmtp", email_lmtp_stored,
	    session) != 0) {
		free(text);
		session->state = EMAIL_LMTP_READY;
		email_lmtp_wait_command(session);
		bufferevent_enable(session->bev, EV_READ);
		email_lmtp_replies(session,
		    "451 4.3.0 The hub cannot take the message now, try again later");
		email_lmtp_transaction_reset(session);
	}
}

/* Feeds the input to the DATA stream. Returns -1 when out of memory. */
static int
email_lmtp_read_data(struct email_lmtp_session *session, struct evbuffer *in)
{
	struct evbuffer_iovec chunk;
	bool done = false;
	long used;

	while (!done && evbuffer_peek(in, -1, NULL, &chunk, 1) > 0) {
		used = email_lmtp_data_feed(&session->data, chunk.iov_base,
		    chunk.iov_len, &done);
		if (used < 0)
			return -1;
		evbuffer_drain(in, (size_t)used);
	}
	if (done)
		email_lmtp_data_done(session);
	return 0;
}

static void
email_lmtp_read(struct bufferevent *bev, void *arg)
{
	struct email_lmtp_session *session = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t length;
	char *line;

	while (session->state == EMAIL_LMTP_READY ||
	    session->state == EMAIL_LMTP_IN_DATA) {
		if (session->state == EMAIL_LMTP_IN_DATA) {
			if (evbuffer_get_length(in) == 0)
				return;
			if (email_lmtp_read_data(session, in) != 0) {
				email_lmtp_close_after_reply(session,
				    "421 4.3.0 Out of memory, closing");
				return;
			}
			continue;
		}
		line = evbuffer_readln(in, &length, EVBUFFER_EOL_CRLF);
		if (line == NULL) {
			if (evbuffer_get_length(in) >= EMAIL_LMTP_LINE_MAX) {
				email_lmtp_close_after_reply(session,
				    "500 5.5.2 Line too long");
			} else if (evbuffer_get_length(in) > 0 &&
			    !session->command_started) {
				/* The command's own bound starts with its
				 * first byte. */
				session->command_started = true;
				email_lmtp_deadline_set(session, session->lmtp->
				    email->config.lmtp_timeout_seconds);
			}
			return;
		}
		if (length + 2 > EMAIL_LMTP_LINE_MAX)
			email_lmtp_close_after_reply(session,
			    "500 5.5.2 Line too long");
		else
			email_lmtp_command(session, line);
		free(line);
		if (session->state == EMAIL_LMTP_READY)
			email_lmtp_wait_command(session);
		else if (session->state == EMAIL_LMTP_IN_DATA)
			email_lmtp_deadline_set(session, session->lmtp->
			    email->config.lmtp_data_timeout_seconds);
	}
}

static void
email_lmtp_accept(struct evconnlistener *listener, evutil_socket_t fd,
    struct sockaddr *address, int address_length, void *arg)
{
	struct email_lmtp *lmtp = arg;
	const struct email_config *config = &lmtp->email->config;
	struct email_lmtp_session *session;
	struct timeval write_timeout = { config->lmtp_timeout_seconds, 0 };
	struct event_base *base = evconnlistener_get_base(listener);

	(void)address;
	(void)address_length;
	session = calloc(1, sizeof *session);
	if (session != NULL) {
		session->bev = bufferevent_socket_new(base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
		session->deadline = evtimer_new(base,
		    email_lmtp_deadline_expired, session);
	}
	if (session == NULL || session->bev == NULL ||
	    session->deadline == NULL) {
		log_error(EMAIL_LOG, "lmtp connection dropped: out of memory");
		if (session != NULL && session->deadline != NULL)
			event_free(session->deadline);
		if (session != NULL && session->bev != NULL)
			bufferevent_free(session->bev);
		else
			evutil_closesocket(fd);
		free(session);
		return;
	}
	session->lmtp = lmtp;
	session->id = ++lmtp->next_id;
	session->next = lmtp->sessions;
	lmtp->sessions = session;
	lmtp->session_count++;
	bufferevent_setcb(session->bev, email_lmtp_read, email_lmtp_written,
	    email_lmtp_event, session);
	/* Reads have no bufferevent timeout, because each byte would restart
	 * it: the deadline bounds them. */
	bufferevent_set_timeouts(session->bev, NULL, &write_timeout);
	if (lmtp->session_count > config->lmtp_max_connections) {
		log_warn(EMAIL_LOG, "lmtp connection refused: too many "
		    "connections max=%d", config->lmtp_max_connections);
		email_lmtp_close_after_reply(session,
		    "421 4.3.2 Too many connections, try again later");
		bufferevent_enable(session->bev, EV_WRITE);
		return;
	}
	log_debug(EMAIL_LOG, "lmtp session opened session=%lu", session->id);
	evbuffer_add_printf(bufferevent_get_output(session->bev),
	    "220 %s LMTP Citizen Hub ready\r\n", config->domain);
	email_lmtp_wait_command(session);
	bufferevent_enable(session->bev, EV_READ | EV_WRITE);
}

static struct evconnlistener *
email_lmtp_listen_unix(struct email_lmtp *lmtp, const char *path)
{
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	struct stat status;

	if (strlen(path) >= sizeof address.sun_path) {
		log_error(EMAIL_LOG, "lmtp socket path too long path=%s", path);
		return NULL;
	}
	strcpy(address.sun_path, path);
	/* A socket left by an earlier run is replaced; any other file is
	 * kept and the start fails. */
	if (lstat(path, &status) == 0 && S_ISSOCK(status.st_mode))
		unlink(path);
	return evconnlistener_new_bind(hub_channel_event_base(
	    lmtp->email->channel), email_lmtp_accept, lmtp,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 64,
	    (struct sockaddr *)&address, sizeof address);
}

static struct evconnlistener *
email_lmtp_listen_tcp(struct email_lmtp *lmtp, const char *listen)
{
	struct sockaddr_storage address;
	int length = sizeof address;

	if (evutil_parse_sockaddr_port(listen, (struct sockaddr *)&address,
	    &length) != 0) {
		log_error(EMAIL_LOG, "lmtp listen address invalid listen=%s",
		    listen);
		return NULL;
	}
	return evconnlistener_new_bind(hub_channel_event_base(
	    lmtp->email->channel), email_lmtp_accept, lmtp,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE,
	    64, (struct sockaddr *)&address, length);
}

int
email_lmtp_start(struct email *email)
{
	const struct email_config *config = &email->config;
	struct email_lmtp *lmtp = calloc(1, sizeof *lmtp);
	const char *where = config->lmtp_socket != NULL ? config->lmtp_socket :
	    config->lmtp_listen;

	if (lmtp == NULL)
		return -1;
	lmtp->email = email;
	email->lmtp = lmtp;
	lmtp->listener = config->lmtp_socket != NULL ?
	    email_lmtp_listen_unix(lmtp, config->lmtp_socket) :
	    email_lmtp_listen_tcp(lmtp, config->lmtp_listen);
	if (lmtp->listener == NULL) {
		log_error(EMAIL_LOG, "lmtp listener failed on %s: %s", where,
		    strerror(errno));
		return -1;
	}
	log_info(EMAIL_LOG, "lmtp listening on %s", where);
	return 0;
}

void
email_lmtp_stop(struct email *email)
{
	struct email_lmtp *lmtp = email->lmtp;
	struct email_lmtp_session *session, *next;

	if (lmtp == NULL || lmtp->stopping)
		return;
	lmtp->stopping = true;
	if (lmtp->listener != NULL) {
		evconnlistener_free(lmtp->listener);
		lmtp->listener = NULL;
	}
	if (email->config.lmtp_socket != NULL)
		unlink(email->config.lmtp_socket);
	/* Idle sessions get 421 now. A session storing a message gets its
	 * replies first and 421 to its next command. */
	for (session = lmtp->sessions; session != NULL; session = next) {
		next = session->next;
		if (session->state == EMAIL_LMTP_READY) {
			email_lmtp_close_after_reply(session,
			    "421 4.3.2 The hub is shutting down, try again later");
			bufferevent_enable(session->bev, EV_WRITE);
		}
	}
}

void
email_lmtp_free(struct email *email)
{
	struct email_lmtp *lmtp = email->lmtp;

	if (lmtp == NULL)
		return;
	if (lmtp->listener != NULL)
		evconnlistener_free(lmtp->listener);
	while (lmtp->sessions != NULL) {
		lmtp->sessions->state = EMAIL_LMTP_READY;
		email_lmtp_session_free(lmtp->sessions);
	}
	free(lmtp);
	email->lmtp = NULL;
}
