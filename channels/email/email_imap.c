/*
 * IMAP polling with libcurl. Every imap.poll_seconds one poll runs as a
 * chain of worker jobs, each one IMAP command on one easy handle (its
 * connection is kept between commands):
 *
 *   SELECT the mailbox for its UIDVALIDITY, UID SEARCH UID LAST+1:*,
 *   then per new UID, in order: UID FETCH n BODY.PEEK[], parse and submit
 *   (email_intake.c), UID STORE n +FLAGS (\Seen), and last UID := n.
 *
 * BODY.PEEK[] leaves \Seen alone, so a message is marked seen only after
 * it is stored or dropped on purpose. A failure ends the poll and leaves
 * the message for the next one; a message fetched twice is stored once by
 * the pipeline's dedupe. A new UIDVALIDITY starts again from UID 0.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "email_imap.h"

/* UIDs taken from one SEARCH, beyond imap.batch. */
#define EMAIL_IMAP_UIDS_MAX 1000

struct email_imap {
	struct email *email;
	struct event *timer;
	CURL *curl;
	char *server_url;	/* "imap://host:port/" */
	char *mailbox_url;	/* "imap://host:port/MAILBOX" */
	char *mailbox;		/* decoded, for SELECT */
	bool busy;		/* a poll is running */
	bool stopping;

	/* The poll in progress. */
	uint64_t uidvalidity;
	uint64_t last_uid;
	uint64_t uids[EMAIL_IMAP_UIDS_MAX];
	int uid_count;
	int uid_next;		/* index of the UID being taken */

	/* The job in progress (worker thread while it runs). */
	char *url;
	char command[128];
	char *response;
	size_t response_length;
	size_t response_max;
	bool response_too_large;
	CURLcode result;
	void (*then)(struct email_imap *imap);
};

static void email_imap_take_next(struct email_imap *imap);

static size_t
email_imap_collect(char *data, size_t size, size_t count, void *arg)
{
	struct email_imap *imap = arg;
	size_t length = size * count;
	char *grown;

	if (imap->response_length + length > imap->response_max) {
		imap->response_too_large = true;
		return 0;
	}
	grown = realloc(imap->response, imap->response_length + length + 1);
	if (grown == NULL)
		return 0;
	imap->response = grown;
	memcpy(imap->response + imap->response_length, data, length);
	imap->response_length += length;
	imap->response[imap->response_length] = '\0';
	return length;
}

static size_t
email_imap_discard(char *data, size_t size, size_t count, void *arg)
{
	(void)data;
	(void)arg;
	return size * count;
}

/* Worker: one command. The server's whole response reaches the header
 * function line by line, literals included, because libcurl passes every
 * line of a custom command's response to it. */
static void
email_imap_run(void *arg)
{
	struct email_imap *imap = arg;
	CURL *curl = imap->curl;

	curl_easy_setopt(curl, CURLOPT_URL, imap->url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, imap->command);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, email_imap_collect);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, imap);
	/* The untagged lines come to the body too: the copy in the header
	 * function is the one read. */
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, email_imap_discard);
	curl_easy_setopt(curl, CURLOPT_NOBODY, 0L);
	imap->result = curl_easy_perform(curl);
}

static void
email_imap_finish(struct email_imap *imap, const char *why)
{
	if (why != NULL)
		log_warn(EMAIL_LOG, "imap poll ended: %s", why);
	imap->busy = false;
	free(imap->response);
	imap->response = NULL;
}

static void email_imap_advance(struct email_imap *imap);
static void email_imap_fetched(struct email_imap *imap);

static void
email_imap_ran(void *arg)
{
	struct email_imap *imap = arg;

	if (imap->result != CURLE_OK && imap->response_too_large &&
	    imap->then == email_imap_fetched) {
		/* Skipped for good but left unseen in the mailbox, where a
		 * person can still read it. */
		log_warn(EMAIL_LOG, "imap message larger than "
		    "limits.max_message_bytes left unseen uid=%" PRIu64,
		    imap->uids[imap->uid_next]);
		email_imap_advance(imap);
		return;
	}
	if (imap->stopping) {
		email_imap_finish(imap, NULL);
		return;
	}
	if (imap->result != CURLE_OK) {
		log_warn(EMAIL_LOG, "imap command failed command=\"%.*s\" "
		    "error=\"%s\"%s", (int)strcspn(imap->command, " "),
		    imap->command, curl_easy_strerror(imap->result),
		    imap->response_too_large ? " (response too large)" : "");
		email_imap_finish(imap, "command failed");
		return;
	}
	imap->then(imap);
}

static void
email_imap_command(struct email_imap *imap, const char *url,
    void (*then)(struct email_imap *imap), const char *format, ...)
	__attribute__((format(printf, 4, 5)));

static void
email_imap_command(struct email_imap *imap, const char *url,
    void (*then)(struct email_imap *imap), const char *format, ...)
{
	va_list args;

	free(imap->response);
	imap->response = NULL;
	imap->response_length = 0;
	imap->response_too_large = false;
	imap->url = (char *)url;
	imap->then = then;
	va_start(args, format);
	vsnprintf(imap->command, sizeof imap->command, format, args);
	va_end(args);
	if (hub_channel_run_blocking(imap->email->channel, email_imap_run,
	    email_imap_ran, imap) != 0)
		email_imap_finish(imap, "the worker pool did not take the job");
}

static void
email_imap_advance(struct email_imap *imap)
{
	uint64_t uid = imap->uids[imap->uid_next];
	char value[24];

	imap->last_uid = uid;
	snprintf(value, sizeof value, "%" PRIu64, uid);
	if (hub_channel_state_set(imap->email->channel, "imap.last_uid", value,
	    NULL, NULL) != 0) {
		email_imap_finish(imap, "the last UID cannot be stored");
		return;
	}
	imap->uid_next++;
	email_imap_take_next(imap);
}

static void
email_imap_taken(const struct email_outcome *outcome, void *arg)
{
	struct email_imap *imap = arg;
	uint64_t uid = imap->uids[imap->uid_next];

	log_info(EMAIL_LOG, "imap message taken uid=%" PRIu64 " reply=\"%s\"",
	    uid, outcome->reply);
	if (imap->stopping) {
		email_imap_finish(imap, NULL);
		return;
	}
	if (outcome->kind == EMAIL_OUTCOME_RETRY) {
		email_imap_finish(imap, "the message is left for the next poll");
		return;
	}
	email_imap_command(imap, imap->mailbox_url, email_imap_advance,
	    "UID STORE %" PRIu64 " +FLAGS (\\Seen)", uid);
}

static void
email_imap_fetched(struct email_imap *imap)
{
	uint64_t uid = imap->uids[imap->uid_next];
	const char *literal;
	char *raw, *sender;
	size_t size;

	literal = email_imap_literal(imap->response, imap->response_length,
	    &size);
	if (literal == NULL) {
		/* Expunged since the search: nothing to take. */
		log_info(EMAIL_LOG, "imap message gone uid=%" PRIu64, uid);
		email_imap_advance(imap);
		return;
	}
	raw = malloc(size + 1);
	if (raw == NULL) {
		email_imap_finish(imap, "out of memory");
		return;
	}
	memcpy(raw, literal, size);
	raw[size] = '\0';
	free(imap->response);
	imap->response = NULL;
	sender = email_imap_sender(raw, size);
	if (email_intake_start(imap->email, raw, size, sender, "imap",
	    email_imap_taken, imap) != 0) {
		free(raw);
		email_imap_finish(imap, "the intake did not start");
	}
	free(sender);
}

static void
email_imap_take_next(struct email_imap *imap)
{
	if (imap->stopping || imap->uid_next >= imap->uid_count) {
		email_imap_finish(imap, NULL);
		return;
	}
	email_imap_command(imap, imap->mailbox_url, email_imap_fetched,
	    "UID FETCH %" PRIu64 " BODY.PEEK[]",
	    imap->uids[imap->uid_next]);
}

static int
email_imap_uid_compare(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
email_imap_searched(struct email_imap *imap)
{
	const char *line = strstr(imap->response, "* SEARCH");
	char *end;

	imap->uid_count = 0;
	imap->uid_next = 0;
	if (line != NULL) {
		line += 8;
		while (*line == ' ' && imap->uid_count < EMAIL_IMAP_UIDS_MAX) {
			uint64_t uid = strtoull(line + 1, &end, 10);

			if (end == line + 1)
				break;
			/* "LAST+1:*" always contains the highest UID, which
			 * may be one already taken. */
			if (uid > imap->last_uid)
				imap->uids[imap->uid_count++] = uid;
			line = end;
		}
	}
	qsort(imap->uids, (size_t)imap->uid_count, sizeof imap->uids[0],
	    email_imap_uid_compare);
	if (imap->uid_count > imap->email->config.imap_batch)
		imap->uid_count = imap->email->config.imap_batch;
	log_debug(EMAIL_LOG, "imap poll found=%d last_uid=%" PRIu64,
	    imap->uid_count, imap->last_uid);
	email_imap_take_next(imap);
}

static void
email_imap_selected(struct email_imap *imap)
{
	const char *found = strstr(imap->response, "[UIDVALIDITY ");
	uint64_t uidvalidity;
	char value[24];

	if (found == NULL) {
		email_imap_finish(imap, "no UIDVALIDITY in the SELECT answer");
		return;
	}
	uidvalidity = strtoull(found + 13, NULL, 10);
	if (uidvalidity != imap->uidvalidity) {
		log_info(EMAIL_LOG, "imap mailbox UIDVALIDITY %" PRIu64
		    " (stored %" PRIu64 "): reading from UID 0", uidvalidity,
		    imap->uidvalidity);
		imap->uidvalidity = uidvalidity;
		imap->last_uid = 0;
		snprintf(value, sizeof value, "%" PRIu64, uidvalidity);
		if (hub_channel_state_set(imap->email->channel,
		    "imap.uidvalidity", value, NULL, NULL) != 0 ||
		    hub_channel_state_set(imap->email->channel, "imap.last_uid",
		    "0", NULL, NULL) != 0) {
			email_imap_finish(imap, "the mailbox state cannot be "
			    "stored");
			return;
		}
	}
	email_imap_command(imap, imap->mailbox_url, email_imap_searched,
	    "UID SEARCH UID %" PRIu64 ":*", imap->last_uid + 1);
}

static uint64_t
email_imap_state_number(struct email_imap *imap, const char *key)
{
	char *value = hub_channel_state_get(imap->email->channel, key);
	uint64_t number = value != NULL ? strtoull(value, NULL, 10) : 0;

	free(value);
	return number;
}

static void
email_imap_poll(evutil_socket_t fd, short events, void *arg)
{
	struct email_imap *imap = arg;

	(void)fd;
	(void)events;
	if (imap->busy || imap->stopping)
		return;
	imap->busy = true;
	imap->uidvalidity = email_imap_state_number(imap, "imap.uidvalidity");
	imap->last_uid = email_imap_state_number(imap, "imap.last_uid");
	/* SELECT, not EXAMINE: libcurl keeps the mailbox it selected for
	 * later commands on this connection, and UID STORE needs it
	 * read-write. */
	email_imap_command(imap, imap->server_url, email_imap_selected,
	    "SELECT \"%s\"", imap->mailbox);
}

/* Splits imap.url into the server's URL and the mailbox (INBOX when the
 * URL names none). */
static int
email_imap_urls(struct email_imap *imap, const char *url)
{
	const char *path = strchr(strstr(url, "://") + 3, '/');
	const char *name = path != NULL && path[1] != '\0' ? path + 1 : "INBOX";
	size_t server_length = path != NULL ? (size_t)(path - url) :
	    strlen(url);
	int decoded_length;
	char *decoded;

	if (asprintf(&imap->server_url, "%.*s/", (int)server_length, url) < 0) {
		imap->server_url = NULL;
		return -1;
	}
	if (asprintf(&imap->mailbox_url, "%s%s", imap->server_url, name) < 0) {
		imap->mailbox_url = NULL;
		return -1;
	}
	decoded = curl_easy_unescape(NULL, name, 0, &decoded_length);
	if (decoded == NULL)
		return -1;
	imap->mailbox = strndup(decoded, (size_t)decoded_length);
	curl_free(decoded);
	if (imap->mailbox == NULL)
		return -1;
	if (strpbrk(imap->mailbox, "\"\\\r\n") != NULL) {
		log_error(EMAIL_LOG, "imap mailbox name has a quote, backslash "
		    "or line break: %s", url);
		return -1;
	}
	return 0;
}

static int
email_imap_handle(struct email_imap *imap)
{
	const struct email_config *config = &imap->email->config;
	CURL *curl = curl_easy_init();

	if (curl == NULL)
		return -1;
	imap->curl = curl;
	curl_easy_setopt(curl, CURLOPT_USERNAME, config->imap_username);
	curl_easy_setopt(curl, CURLOPT_PASSWORD, config->imap_password);
	curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "imap,imaps");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
	/* NOTE: libcurl reads a response line by line within this buffer and
	 * cuts a longer line, which a message within RFC 5322's 998 bytes a
	 * line never has. */
	curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, (long)CURL_MAX_READ_SIZE);
	return 0;
}

int
email_imap_start(struct email *email)
{
	const struct email_config *config = &email->config;
	struct email_imap *imap;
	struct timeval interval = { config->imap_poll_seconds, 0 };
	struct timeval first = { 0, 0 };

	if (!config->imap_enabled)
		return 0;
	imap = calloc(1, sizeof *imap);
	if (imap == NULL)
		return -1;
	imap->email = email;
	email->imap = imap;
	/* The largest response: one message and its FETCH line. */
	imap->response_max = config->max_message_bytes + 4096;
	if (email_imap_urls(imap, config->imap_url) != 0 ||
	    email_imap_handle(imap) != 0) {
		log_error(EMAIL_LOG, "imap polling cannot start url=%s",
		    config->imap_url);
		return -1;
	}
	imap->timer = event_new(hub_channel_event_base(email->channel), -1,
	    EV_PERSIST, email_imap_poll, imap);
	if (imap->timer == NULL || event_add(imap->timer, &interval) != 0)
		return -1;
	/* The first poll right after the start. */
	event_base_once(hub_channel_event_base(email->channel), -1, EV_TIMEOUT,
	    email_imap_poll, imap, &first);
	log_info(EMAIL_LOG, "imap polling %s every %d s", imap->mailbox_url,
	    config->imap_poll_seconds);
	return 0;
}

void
email_imap_stop(struct email *email)
{
	struct email_imap *imap = email->imap;

	if (imap == NULL)
		return;
	imap->stopping = true;
	if (imap->timer != NULL)
		event_del(imap->timer);
}

bool
email_imap_busy(const struct email *email)
{
	return email->imap != NULL && email->imap->busy;
}

void
email_imap_free(struct email *email)
{
	struct email_imap *imap = email->imap;

	if (imap == NULL)
		return;
	if (imap->busy)
		log_warn(EMAIL_LOG, "imap freed during a poll");
	if (imap->timer != NULL)
		event_free(imap->timer);
	if (imap->curl != NULL)
		curl_easy_cleanup(imap->curl);
	free(imap->server_url);
	free(imap->mailbox_url);
	free(imap->mailbox);
	free(imap->response);
	free(imap);
	email->imap = NULL;
}
