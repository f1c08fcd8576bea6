/*
 * The IVR's main-thread side (see ivr.h): it looks tickets up for the
 * media thread, opens the ticket of a voice report and stores the record
 * of every call, using only the hub's channel interface.
 *
 * A voice report takes two steps off the media thread: a blocking job
 * reads the WAV file and stores it as a blob, then the pipeline opens the
 * ticket. The call may end meanwhile, so its record waits for the report
 * to finish and then carries the recording's hash and the new ticket.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "contact.h"
#include "ivr_hub.h"
#include "mailbox.h"
#include "media_thread.h"

#define IVR_HUB_LOG "sip"

/* Room above the samples for the WAV header and any chunks before the
 * data: 8 kHz 16-bit mono is 16000 bytes a second. */
#define IVR_HUB_WAV_BYTES_PER_SECOND 16000
#define IVR_HUB_WAV_HEADER_MAX 4096

#define IVR_HUB_CONTENT_TYPE "audio/wav"
/* "call-20261205-081500.wav" and its NUL. */
#define IVR_HUB_FILENAME_SIZE 32
/* Vietnam is UTC+07:00 all year. */
#define IVR_HUB_VIETNAM_OFFSET_SECONDS (7 * 3600)

enum ivr_hub_report_state {
	IVR_HUB_REPORT_RUNNING,		/* reading, storing or submitting */
	IVR_HUB_REPORT_FINISHED,	/* answered; waiting for the record */
};

/* One voice report, from its REPORT message to the call's record. */
struct ivr_hub_report {
	struct ivr_hub *hub;
	struct ivr_hub_report *next;
	struct ivr_hub_msg *request;	/* the REPORT message */
	enum ivr_hub_report_state state;

	/* Set by the blocking job. */
	bool stored;
	size_t size;
	char sha256[65];

	/* Set from the pipeline's hub_answer. */
	int status;			/* 0: ticket opened, -1: nothing */
	char code[TICKET_CODE_PLAIN_SIZE];

	struct ivr_hub_msg *record;	/* CALL_DONE that came early, or NULL */
};

struct ivr_hub {
	struct ivr *ivr;
	struct mailbox *mailbox;	/* NULL once stopped */
	struct ivr_hub_report *reports;
};

static void ivr_hub_record(struct ivr_hub *hub, struct ivr_hub_msg *record);

/* --- Lookups ----------------------------------------------------------------- */

/* Parses an ISO 8601 member of view into ms; null or absent gives 0. */
static int64_t
ivr_hub_time(const json_t *view, const char *name)
{
	const char *text = json_string_value(json_object_get(view, name));
	int64_t ms = 0;

	if (text != NULL && clock_parse_iso8601(text, &ms) != 0)
		ms = 0;
	return ms;
}

static void
ivr_hub_status_fill(const json_t *view, struct ivr_ticket_status *ticket)
{
	const char *status = json_string_value(json_object_get(view, "status"));
	const char *merged = json_string_value(json_object_get(view,
	    "merged_into"));

	ticket->found = 1;
	snprintf(ticket->status, sizeof(ticket->status), "%s",
	    status != NULL ? status : "");
	ticket->due_at_ms = ivr_hub_time(view, "due_at");
	ticket->resolved_at_ms = ivr_hub_time(view, "resolved_at");
	snprintf(ticket->merged_into, sizeof(ticket->merged_into), "%s",
	    merged != NULL ? merged : "");
}

/* Posts message to the media thread, or drops it when the thread is gone
 * (shutdown) or stopping. */
static void
ivr_hub_to_media(struct ivr_hub *hub, struct ivr_media_msg *message)
{
	/* media_thread_post frees message when it fails. */
	uint64_t call = message->call;

	if (hub->ivr->media == NULL) {
		free(message);
		return;
	}
	if (media_thread_post(hub->ivr->media, message) != 0)
		log_debug(IVR_HUB_LOG, "media thread stopping, answer dropped "
		    "call=%llu", (unsigned long long)call);
}

static void
ivr_hub_lookup(struct ivr_hub *hub, const struct ivr_hub_msg *request)
{
	struct ivr_media_msg *answer;
	json_t *view;

	if (hub->ivr->media == NULL)
		return;
	answer = ivr_msg_new(sizeof(*answer), IVR_MEDIA_LOOKUP);
	if (answer == NULL) {
		log_error(IVR_HUB_LOG, "lookup not answered: out of memory "
		    "call=%llu", (unsigned long long)request->call);
		return;
	}
	answer->call = request->call;
	view = hub_ticket_public(hub->ivr->channel, request->code);
	if (view != NULL)
		ivr_hub_status_fill(view, &answer->ticket);
	else
		answer->ticket.found = errno == ENOENT ? 0 : -1;
	json_decref(view);
	log_info(IVR_HUB_LOG, "ticket looked up call=%llu code=%s found=%d",
	    (unsigned long long)request->call, request->code,
	    answer->ticket.found);
	ivr_hub_to_media(hub, answer);
}

/* --- Voice reports: finishing -------------------------------------------------- */

static struct ivr_hub_report *
ivr_hub_report_find(struct ivr_hub *hub, uint64_t call)
{
	struct ivr_hub_report *report;

	for (report = hub->reports; report != NULL; report = report->next)
		if (report->request->call == call)
			return report;
	return NULL;
}

static void
ivr_hub_report_remove(struct ivr_hub *hub, struct ivr_hub_report *report)
{
	struct ivr_hub_report **link;

	for (link = &hub->reports; *link != NULL; link = &(*link)->next)
		if (*link == report) {
			*link = report->next;
			break;
		}
	free(report->request);
	free(report->record);
	free(report);
}

/* Gives record the report's recording and ticket when the call's own
 * record lacks them. */
static void
ivr_hub_report_merge(const struct ivr_hub_report *report,
    struct ivr_hub_msg *record)
{
	if (report->status != 0)
		return;
	if (record->recording_sha256[0] == '\0')
		snprintf(record->recording_sha256,
		    sizeof(record->recording_sha256), "%s", report->sha256);
	if (record->recording_ms == 0)
		record->recording_ms = report->request->recording_ms;
	if (record->code[0] == '\0')
		snprintf(record->code, sizeof(record->code), "%s",
		    report->code);
}

/* Posts the outcome to the media thread, then stores the call's record
 * when it came already; otherwise the report keeps waiting for it. */
static void
ivr_hub_report_finish(struct ivr_hub_report *report, int status,
    const char *code)
{
	struct ivr_hub *hub = report->hub;
	struct ivr_media_msg *answer;
	struct ivr_hub_msg *record;

	report->status = status;
	snprintf(report->code, sizeof(report->code), "%s",
	    code != NULL ? code : "");
	report->state = IVR_HUB_REPORT_FINISHED;
	answer = ivr_msg_new(sizeof(*answer), IVR_MEDIA_REPORT);
	if (answer != NULL) {
		answer->call = report->request->call;
		answer->report_status = status;
		snprintf(answer->code, sizeof(answer->code), "%s",
		    report->code);
		ivr_hub_to_media(hub, answer);
	}
	if (report->record == NULL)
		return;
	record = report->record;
	report->record = NULL;
	ivr_hub_report_merge(report, record);
	ivr_hub_report_remove(hub, report);
	ivr_hub_record(hub, record);
}

static void
ivr_hub_report_answered(const struct hub_answer *answer, void *arg)
{
	struct ivr_hub_report *report = arg;
	const char *call_id = report->request->call_id;

	if (answer->status == HUB_ANSWER_CREATED ||
	    answer->status == HUB_ANSWER_JOINED) {
		log_info(IVR_HUB_LOG, "voice report stored call_id=%s code=%s "
		    "ticket=%lld duplicate=%d", call_id, answer->code,
		    (long long)answer->ticket_id, (int)answer->duplicate);
		ivr_hub_report_finish(report, 0, answer->code);
		return;
	}
	log_error(IVR_HUB_LOG, "voice report not stored call_id=%s status=%d "
	    "error=%s field=%s", call_id, (int)answer->status,
	    api_error_name(answer->error.code), answer->error.field);
	ivr_hub_report_finish(report, -1, NULL);
}

/* --- Voice reports: the message ------------------------------------------------ */

/* The recording's length in whole seconds, rounded; at least 1 for any
 * sound at all. */
static long
ivr_hub_seconds(int64_t ms)
{
	long seconds = (long)((ms + 500) / 1000);

	return seconds == 0 && ms > 0 ? 1 : seconds;
}

static bool
ivr_hub_english(const struct ivr_hub_msg *request)
{
	return strcmp(request->language, "en") == 0;
}

/* Sets subject and body in the caller's language: a report under a
 * category, or a voicemail (no category). */
static int
ivr_hub_report_texts(struct hub_message *message,
    const struct ivr_hub_msg *request)
{
	bool voicemail = request->category[0] == '\0';
	long seconds = ivr_hub_seconds(request->recording_ms);
	const char *subject;
	char body[160];

	if (ivr_hub_english(request)) {
		subject = voicemail ? "Voicemail by phone" :
		    "Voice report by phone";
		snprintf(body, sizeof(body), "%s: recording of %ld seconds.",
		    subject, seconds);
	} else {
		subject = voicemail ? "Lời nhắn thoại qua tổng đài" :
		    "Phản ánh qua tổng đài";
		snprintf(body, sizeof(body), "%s: ghi âm %ld giây.", subject,
		    seconds);
	}
	if (hub_message_set(&message->subject, subject) != 0 ||
	    hub_message_set(&message->body, body) != 0)
		return -1;
	return 0;
}

/* "call-YYYYMMDD-HHMMSS.wav" at now_ms, in Vietnam time. */
static void
ivr_hub_filename(int64_t now_ms, char name[IVR_HUB_FILENAME_SIZE])
{
	time_t seconds = (time_t)(now_ms / 1000) +
	    IVR_HUB_VIETNAM_OFFSET_SECONDS;
	struct tm tm;

	if (gmtime_r(&seconds, &tm) == NULL ||
	    strftime(name, IVR_HUB_FILENAME_SIZE, "call-%Y%m%d-%H%M%S.wav",
	    &tm) == 0)
		snprintf(name, IVR_HUB_FILENAME_SIZE, "call.wav");
}

/* The caller as an unverified phone contact, when the From user is a phone
 * number: caller ID can be forged, so it never proves who called. */
static int
ivr_hub_report_contact(struct hub_message *message, const char *caller)
{
	char e164[CONTACT_E164_MAX];

	if (contact_phone_e164(caller, e164) != 0)
		return 0;
	return hub_message_add_contact(message, CONTACT_PHONE, e164, false);
}

/* Writes the message's channel id of a voice report: "CALL-ID;START" with
 * the call's start in ms. Returns 0, or -1 when it does not fit. */
static int
ivr_hub_external_id(const struct ivr_hub_msg *request, char *out, size_t size)
{
	int length = snprintf(out, size, "%s;%lld", request->call_id,
	    (long long)request->started_at_ms);

	return length >= 0 && (size_t)length < size ? 0 : -1;
}

static struct hub_message *
ivr_hub_report_message(struct ivr_hub_report *report)
{
	const struct ivr_hub_msg *request = report->request;
	const struct hub_config *config = hub_channel_config(
	    report->hub->ivr->channel);
	struct hub_message *message = hub_message_new("sip");
	int64_t now = clock_now_ms();
	char filename[IVR_HUB_FILENAME_SIZE];
	char external_id[IVR_CALL_ID_SIZE + 24];

	if (message == NULL)
		return NULL;
	ivr_hub_filename(now, filename);
	message->ack = HUB_ACK_NONE;
	message->received_at_ms = now;
	/* The Call-ID with the call's start makes a repeated report of the
	 * same call a duplicate, and keeps apart another call that reused the
	 * Call-ID. One longer than the hub keeps is left out, and then a
	 * repeat would open a second ticket. */
	if ((ivr_hub_external_id(request, external_id, sizeof(external_id)) ==
	    0 && strlen(external_id) <= (size_t)config->limits.external_id_chars &&
	    hub_message_set(&message->external_id, external_id) != 0) ||
	    hub_message_set(&message->language, ivr_hub_english(request) ?
	    "en" : "vi") != 0 ||
	    (request->category[0] != '\0' && hub_message_set(
	    &message->category_hint, request->category) != 0) ||
	    ivr_hub_report_contact(message, request->caller) != 0 ||
	    ivr_hub_report_texts(message, request) != 0 ||
	    hub_message_add_attachment(message, report->sha256, filename,
	    IVR_HUB_CONTENT_TYPE, (int64_t)report->size) != 0) {
		hub_message_free(message);
		return NULL;
	}
	return message;
}

/* --- Voice reports: the blocking job -------------------------------------------- */

/* Reads the whole regular file at path into a new buffer of at most max
 * bytes. Returns the buffer, or NULL with errno set (EFBIG when larger,
 * EINVAL when empty or not a regular file). */
static void *
ivr_hub_read_file(const char *path, size_t max, size_t *size)
{
	struct stat st;
	size_t done = 0, length;
	char *data = NULL;
	ssize_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), saved;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0)
		goto fail;
	errno = !S_ISREG(st.st_mode) || st.st_size <= 0 ? EINVAL :
	    (uintmax_t)st.st_size > max ? EFBIG : 0;
	if (errno != 0)
		goto fail;
	length = (size_t)st.st_size;
	if ((data = malloc(length)) == NULL)
		goto fail;
	while (done < length && (got = read(fd, data + done,
	    length - done)) > 0)
		done += (size_t)got;
	if (done != length) {
		errno = got < 0 ? errno : EIO;
		goto fail;
	}
	close(fd);
	*size = length;
	return data;

fail:
	saved = errno;
	free(data);
	close(fd);
	errno = saved;
	return NULL;
}

/* Worker thread: reads the recording, stores it as a blob and removes the
 * file whatever the outcome, so that no recording stays in
 * recordings_dir. */
static void
ivr_hub_report_store(void *arg)
{
	struct ivr_hub_report *report = arg;
	const struct ivr_config *config = &report->hub->ivr->config;
	const char *path = report->request->recording_path;
	size_t max = (size_t)config->max_recording_seconds *
	    IVR_HUB_WAV_BYTES_PER_SECOND + IVR_HUB_WAV_HEADER_MAX;
	void *data;

	data = ivr_hub_read_file(path, max, &report->size);
	if (data == NULL)
		log_error(IVR_HUB_LOG, "recording not read call_id=%s path=%s "
		    "max_bytes=%zu: %s", report->request->call_id, path, max,
		    strerror(errno));
	else
		report->stored = hub_channel_store_blob(report->hub->ivr->channel,
		    data, report->size, report->sha256) == 0;
	free(data);
	if (unlink(path) != 0 && errno != ENOENT)
		log_error(IVR_HUB_LOG, "recording not removed call_id=%s "
		    "path=%s: %s", report->request->call_id, path,
		    strerror(errno));
}

/* Main thread: submits the stored recording as a new ticket. */
static void
ivr_hub_report_stored(void *arg)
{
	struct ivr_hub_report *report = arg;
	struct hub_message *message;

	if (!report->stored) {
		ivr_hub_report_finish(report, -1, NULL);
		return;
	}
	message = ivr_hub_report_message(report);
	if (message == NULL) {
		log_error(IVR_HUB_LOG, "voice report not built: out of memory "
		    "call_id=%s", report->request->call_id);
		ivr_hub_report_finish(report, -1, NULL);
		return;
	}
	/* done is not called when submit fails. */
	if (hub_channel_submit(report->hub->ivr->channel, message,
	    ivr_hub_report_answered, report) != 0) {
		log_error(IVR_HUB_LOG, "voice report not submitted: the hub is "
		    "stopping call_id=%s", report->request->call_id);
		ivr_hub_report_finish(report, -1, NULL);
	}
}

static void
ivr_hub_report(struct ivr_hub *hub, struct ivr_hub_msg *request)
{
	struct ivr_hub_report *report = calloc(1, sizeof(*report));

	if (report == NULL) {
		log_error(IVR_HUB_LOG, "voice report dropped: out of memory "
		    "call_id=%s", request->call_id);
		unlink(request->recording_path);
		free(request);
		return;
	}
	report->hub = hub;
	report->request = request;
	report->next = hub->reports;
	hub->reports = report;
	if (hub_channel_run_blocking(hub->ivr->channel, ivr_hub_report_store,
	    ivr_hub_report_stored, report) != 0) {
		log_error(IVR_HUB_LOG, "voice report not started: %s "
		    "call_id=%s", strerror(errno), request->call_id);
		unlink(request->recording_path);
		ivr_hub_report_finish(report, -1, NULL);
	}
}

/* --- Call records ---------------------------------------------------------------- */

static void
ivr_hub_recorded(int status, void *arg)
{
	char *call_id = arg;

	if (status != 0)
		log_error(IVR_HUB_LOG, "call record not stored call_id=%s",
		    call_id);
	free(call_id);
}

static const char *
ivr_hub_text_or_null(const char *text)
{
	return text[0] != '\0' ? text : NULL;
}

/* Stores record (freed here). */
static void
ivr_hub_record(struct ivr_hub *hub, struct ivr_hub_msg *record)
{
	char methods[32];
	char *call_id = strdup(record->call_id);
	struct hub_call call = {
		.call_id = record->call_id,
		.caller = ivr_hub_text_or_null(record->caller),
		.callee = ivr_hub_text_or_null(record->callee),
		.started_at_ms = record->started_at_ms,
		.answered_at_ms = record->answered_at_ms,
		.ended_at_ms = record->ended_at_ms,
		.language = ivr_hub_text_or_null(record->language),
		.path = ivr_hub_text_or_null(record->path),
		.dtmf_methods = ivr_hub_text_or_null(ivr_dtmf_methods_text(
		    record->dtmf_methods, methods, sizeof(methods))),
		.end_reason = ivr_hub_text_or_null(record->end_reason),
		.ticket_code = ivr_hub_text_or_null(record->code),
		.recording_sha256 = ivr_hub_text_or_null(
		    record->recording_sha256),
		.recording_ms = record->recording_ms,
	};

	if (call_id == NULL || hub_call_record(hub->ivr->channel, &call,
	    ivr_hub_recorded, call_id) != 0) {
		log_error(IVR_HUB_LOG, "call record not stored call_id=%s "
		    "ticket=%s", record->call_id, record->code);
		free(call_id);
	}
	free(record);
}

/* A call's record: it waits when the call's report is still running. */
static void
ivr_hub_call_done(struct ivr_hub *hub, struct ivr_hub_msg *record)
{
	struct ivr_hub_report *report = ivr_hub_report_find(hub, record->call);

	if (report != NULL && report->state == IVR_HUB_REPORT_RUNNING &&
	    report->record == NULL) {
		report->record = record;
		return;
	}
	if (report != NULL && report->state == IVR_HUB_REPORT_FINISHED) {
		ivr_hub_report_merge(report, record);
		ivr_hub_report_remove(hub, report);
	}
	ivr_hub_record(hub, record);
}

/* --- Mailbox ----------------------------------------------------------------------- */

static void
ivr_hub_handle(void *message, void *arg)
{
	struct ivr_hub *hub = arg;
	struct ivr_hub_msg *request = message;

	switch (request->type) {
	case IVR_HUB_LOOKUP:
		ivr_hub_lookup(hub, request);
		free(request);
		break;
	case IVR_HUB_REPORT:
		ivr_hub_report(hub, request);
		break;
	case IVR_HUB_CALL_DONE:
		ivr_hub_call_done(hub, request);
		break;
	default:
		log_error(IVR_HUB_LOG, "unknown message to the main thread "
		    "type=%d call=%llu", (int)request->type,
		    (unsigned long long)request->call);
		free(request);
	}
}

struct ivr_hub *
ivr_hub_new(struct ivr *ivr)
{
	struct ivr_hub *hub = calloc(1, sizeof(*hub));

	if (hub == NULL)
		return NULL;
	hub->ivr = ivr;
	hub->mailbox = mailbox_new(hub_channel_event_base(ivr->channel),
	    ivr_hub_handle, hub);
	if (hub->mailbox == NULL) {
		free(hub);
		return NULL;
	}
	return hub;
}

int
ivr_hub_post(struct ivr_hub *hub, struct ivr_hub_msg *message)
{
	if (hub->mailbox == NULL || mailbox_post(hub->mailbox, message) != 0) {
		/* A report's recording is the hub's once posted, so a report
		 * that cannot be taken takes its file with it. */
		if (message->type == IVR_HUB_REPORT &&
		    message->recording_path[0] != '\0')
			unlink(message->recording_path);
		free(message);
		return -1;
	}
	return 0;
}

size_t
ivr_hub_busy(struct ivr_hub *hub)
{
	const struct ivr_hub_report *report;
	size_t busy;

	if (hub == NULL || hub->mailbox == NULL)
		return 0;
	busy = mailbox_pending(hub->mailbox);
	for (report = hub->reports; report != NULL; report = report->next)
		busy++;
	return busy;
}

void
ivr_hub_stop(struct ivr_hub *hub)
{
	struct ivr_hub_report *report;
	struct ivr_hub_msg *record;

	if (hub == NULL || hub->mailbox == NULL)
		return;
	mailbox_drain(hub->mailbox);
	mailbox_free(hub->mailbox, free);
	hub->mailbox = NULL;
	/* The hub closes its store soon after the channels stop, so a record
	 * cannot wait for its report any longer: it is stored now, without
	 * the recording and the ticket, which the report may still open. */
	for (report = hub->reports; report != NULL; report = report->next) {
		if (report->record == NULL)
			continue;
		record = report->record;
		report->record = NULL;
		log_warn(IVR_HUB_LOG, "call record stored before its voice "
		    "report finished call_id=%s", record->call_id);
		ivr_hub_record(hub, record);
	}
}

void
ivr_hub_free(struct ivr_hub *hub)
{
	struct ivr_hub_report *report;

	if (hub == NULL)
		return;
	ivr_hub_stop(hub);
	/* Reports still running here lost their worker pool or pipeline;
	 * their call records go with them. */
	while ((report = hub->reports) != NULL) {
		if (report->state == IVR_HUB_REPORT_RUNNING)
			log_error(IVR_HUB_LOG, "voice report unfinished at exit "
			    "call_id=%s", report->request->call_id);
		else if (report->record == NULL)
			log_debug(IVR_HUB_LOG, "voice report without a call "
			    "record at exit call_id=%s",
			    report->request->call_id);
		ivr_hub_report_remove(hub, report);
	}
	free(hub);
}
