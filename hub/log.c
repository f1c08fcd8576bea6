/*
 * Logging: formats one line per call into a bounded buffer and writes it
 * with a single write(2) under a mutex, so lines from several threads never
 * interleave.
 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"

/* Maximum line length, newline included. Longer messages are cut and end
 * with LOG_TRUNCATED. */
#define LOG_LINE_MAX 4096
#define LOG_TRUNCATED "..."

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = STDERR_FILENO;	/* guarded by log_lock */
static bool log_errors_to_stderr;	/* guarded by log_lock */
static char *log_path;			/* NULL for standard error; log_lock */
static bool log_libevent_routed;	/* log_lock */

static atomic_int log_level_current = LOG_LEVEL_INFO;
static atomic_uint log_trace_mask;

static const char *const log_level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

static const struct {
	const char *name;
	unsigned int flag;
} log_trace_table[] = {
	{ "http", LOG_TRACE_HTTP },
	{ "store", LOG_TRACE_STORE },
	{ "pipeline", LOG_TRACE_PIPELINE },
	{ "module", LOG_TRACE_MODULE },
	{ "loop", LOG_TRACE_LOOP },
	{ "curl", LOG_TRACE_CURL },
	{ "libevent", LOG_TRACE_LIBEVENT },
	{ "channel", LOG_TRACE_CHANNEL },
	{ "all", LOG_TRACE_ALL },
};

#define LOG_TRACE_COUNT (sizeof(log_trace_table) / sizeof(log_trace_table[0]))

static int
log_open_file(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

/* Installs fd and path (ownership taken) and closes the previous file. */
static void
log_swap(int fd, char *path)
{
	int saved = errno;

	pthread_mutex_lock(&log_lock);
	int old_fd = log_fd;
	char *old_path = log_path;
	log_fd = fd;
	log_path = path;
	pthread_mutex_unlock(&log_lock);

	if (old_fd != STDERR_FILENO && old_fd != fd)
		close(old_fd);
	free(old_path);
	errno = saved;
}

int
log_open(const char *path)
{
	if (path == NULL || strcmp(path, "-") == 0) {
		log_swap(STDERR_FILENO, NULL);
		return 0;
	}

	char *copy = strdup(path);
	if (copy == NULL)
		return -1;
	int fd = log_open_file(path);
	if (fd == -1) {
		int saved = errno;
		free(copy);
		errno = saved;
		return -1;
	}
	log_swap(fd, copy);
	return 0;
}

int
log_reopen(void)
{
	int saved = errno;

	pthread_mutex_lock(&log_lock);
	char *path = log_path != NULL ? strdup(log_path) : NULL;
	bool to_stderr = log_path == NULL;
	pthread_mutex_unlock(&log_lock);

	if (to_stderr) {
		errno = saved;
		return 0;
	}
	if (path == NULL)
		return -1;

	int fd = log_open_file(path);
	if (fd == -1) {
		saved = errno;
		free(path);
		errno = saved;
		return -1;
	}
	log_swap(fd, path);
	return 0;
}

void
log_close(void)
{
	log_swap(STDERR_FILENO, NULL);
}

void
log_set_level(enum log_level level)
{
	atomic_store(&log_level_current, (int)level);
}

enum log_level
log_get_level(void)
{
	return (enum log_level)atomic_load(&log_level_current);
}

/* Also switches libevent's debug output on or off once it is routed here,
 * because libevent formats debug lines only after event_enable_debug_logging. */
void
log_set_trace(unsigned int mask)
{
	atomic_store(&log_trace_mask, mask);

	pthread_mutex_lock(&log_lock);
	bool routed = log_libevent_routed;
	pthread_mutex_unlock(&log_lock);
	if (routed)
		event_enable_debug_logging((mask & LOG_TRACE_LIBEVENT) ?
		    EVENT_DBG_ALL : EVENT_DBG_NONE);
}

bool
log_tracing(unsigned int flag)
{
	return (atomic_load(&log_trace_mask) & flag) != 0;
}

int
log_level_parse(const char *name, enum log_level *level)
{
	for (size_t i = 0; i < sizeof(log_level_names) / sizeof(log_level_names[0]); i++) {
		if (strcmp(name, log_level_names[i]) == 0) {
			*level = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

int
log_trace_parse(const char *name, unsigned int *flag)
{
	for (size_t i = 0; i < LOG_TRACE_COUNT; i++) {
		if (strcmp(name, log_trace_table[i].name) == 0) {
			*flag = log_trace_table[i].flag;
			return 0;
		}
	}
	return -1;
}

const char *
log_trace_names(void)
{
	return "http, store, pipeline, module, loop, curl, libevent, channel, all";
}

/* Writes "2026-12-04T20:15:25.123Z " into buffer and returns its length. */
static size_t
log_format_time(char *buffer, size_t size)
{
	struct timespec now;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);

	size_t length = strftime(buffer, size, "%Y-%m-%dT%H:%M:%S", &tm);
	int written = snprintf(buffer + length, size - length, ".%03ldZ ",
	    now.tv_nsec / 1000000);
	if (written > 0 && (size_t)written < size - length)
		length += (size_t)written;
	return length;
}

/* Replaces control characters in a message so that one call stays one line
 * and input quoted into a message cannot forge a line of its own. */
static void
log_sanitize(char *text, size_t length)
{
	for (size_t i = 0; i < length; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c < 0x20 || c == 0x7f)
			text[i] = '?';
	}
}

/* Formats the whole line, newline included, into line (LOG_LINE_MAX bytes).
 * Returns its length. */
static size_t
log_format_line(char *line, enum log_level level, const char *subsystem,
    const char *fmt, va_list ap)
{
	const size_t tail = sizeof(LOG_TRUNCATED) - 1 + 1;	/* marker, '\n' */
	const size_t room = LOG_LINE_MAX - tail;
	size_t length = log_format_time(line, room);

	int written = snprintf(line + length, room - length, "%s %s: ",
	    log_level_names[level], subsystem != NULL ? subsystem : "hub");
	if (written > 0)
		length += (size_t)written < room - length ?
		    (size_t)written : room - length - 1;

	size_t message_start = length;
	written = vsnprintf(line + length, room - length, fmt, ap);
	bool truncated = written > 0 && (size_t)written >= room - length;
	if (written > 0)
		length += truncated ? room - length - 1 : (size_t)written;
	log_sanitize(line + message_start, length - message_start);

	if (truncated) {
		memcpy(line + length, LOG_TRUNCATED, sizeof(LOG_TRUNCATED) - 1);
		length += sizeof(LOG_TRUNCATED) - 1;
	}
	line[length++] = '\n';
	return length;
}

/* Writes all of line; a failed write is dropped because there is no other
 * place to report it. */
static void
log_emit_fd(int fd, const char *line, size_t length)
{
	while (length > 0) {
		ssize_t n = write(fd, line, length);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		line += n;
		length -= (size_t)n;
	}
}

static void
log_emit(enum log_level level, const char *line, size_t length)
{
	pthread_mutex_lock(&log_lock);
	log_emit_fd(log_fd, line, length);
	if (log_errors_to_stderr && level == LOG_LEVEL_ERROR &&
	    log_fd != STDERR_FILENO)
		log_emit_fd(STDERR_FILENO, line, length);
	pthread_mutex_unlock(&log_lock);
}

void
log_copy_errors_to_stderr(bool on)
{
	pthread_mutex_lock(&log_lock);
	log_errors_to_stderr = on;
	pthread_mutex_unlock(&log_lock);
}

static void
log_write_line(enum log_level level, const char *subsystem, const char *fmt,
    va_list ap)
{
	char line[LOG_LINE_MAX];
	int saved = errno;

	size_t length = log_format_line(line, level, subsystem, fmt, ap);
	log_emit(level, line, length);
	errno = saved;
}

void
log_vwrite(enum log_level level, const char *subsystem, const char *fmt,
    va_list ap)
{
	if (level > log_get_level())
		return;
	log_write_line(level, subsystem, fmt, ap);
}

/* Writes one line at level, whatever the configured level. */
static void
log_write_level(enum log_level level, const char *subsystem,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
log_write_level(enum log_level level, const char *subsystem,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_write_line(level, subsystem, fmt, ap);
	va_end(ap);
}

void
log_error(const char *subsystem, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, subsystem, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *subsystem, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_WARN, subsystem, fmt, ap);
	va_end(ap);
}

void
log_info(const char *subsystem, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_INFO, subsystem, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *subsystem, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_DEBUG, subsystem, fmt, ap);
	va_end(ap);
}

void
log_trace(unsigned int flag, const char *subsystem, const char *fmt, ...)
{
	va_list ap;

	if (!log_tracing(flag))
		return;
	va_start(ap, fmt);
	log_write_line(LOG_LEVEL_DEBUG, subsystem, fmt, ap);
	va_end(ap);
}

void
log_fatal(const char *subsystem, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_write_line(LOG_LEVEL_ERROR, subsystem, fmt, ap);
	va_end(ap);
	exit(1);
}

/* --- Repeated library lines ----------------------------------------------- */

/* A library in a failing loop (libevent's listener when accept() keeps
 * failing with EMFILE) logged 21 million identical lines in two minutes. */
#define LOG_REPEAT_WINDOW_MS 1000
#define LOG_REPEAT_SLOTS 8
#define LOG_REPEAT_TEXT 256

struct log_repeat {
	enum log_level level;
	char subsystem[32];
	char text[LOG_REPEAT_TEXT];	/* the message's start */
	int64_t written_ms;		/* 0: slot free */
	unsigned long suppressed;
};

static pthread_mutex_t log_repeat_lock = PTHREAD_MUTEX_INITIALIZER;
static struct log_repeat log_repeats[LOG_REPEAT_SLOTS];	/* log_repeat_lock */

static int64_t
log_monotonic_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Writes the count of slot's suppressed repeats, if any. */
static void
log_repeat_flush(struct log_repeat *slot)
{
	if (slot->suppressed == 0)
		return;
	log_write_level(slot->level, slot->subsystem, "%lu repeated messages "
	    "suppressed: %s", slot->suppressed, slot->text);
	slot->suppressed = 0;
}

/* Returns the slot of level, subsystem and message, or the slot to reuse
 * (free, or the one written longest ago) with *found false. */
static struct log_repeat *
log_repeat_find(enum log_level level, const char *subsystem,
    const char *message, bool *found)
{
	struct log_repeat *oldest = &log_repeats[0];

	for (size_t i = 0; i < LOG_REPEAT_SLOTS; i++) {
		struct log_repeat *slot = &log_repeats[i];

		if (slot->written_ms != 0 && slot->level == level &&
		    strcmp(slot->subsystem, subsystem) == 0 &&
		    strncmp(slot->text, message, LOG_REPEAT_TEXT - 1) == 0) {
			*found = true;
			return slot;
		}
		if (slot->written_ms < oldest->written_ms)
			oldest = slot;
	}
	*found = false;
	return oldest;
}

void
log_library(enum log_level level, const char *subsystem, const char *message)
{
	int64_t now_ms = log_monotonic_ms();
	struct log_repeat *slot;
	bool found, write = true;

	if (level > log_get_level())
		return;
	pthread_mutex_lock(&log_repeat_lock);
	for (size_t i = 0; i < LOG_REPEAT_SLOTS; i++)
		if (now_ms - log_repeats[i].written_ms >= LOG_REPEAT_WINDOW_MS)
			log_repeat_flush(&log_repeats[i]);
	slot = log_repeat_find(level, subsystem, message, &found);
	if (found && now_ms - slot->written_ms < LOG_REPEAT_WINDOW_MS) {
		slot->suppressed++;
		write = false;
	} else {
		log_repeat_flush(slot);
		slot->level = level;
		snprintf(slot->subsystem, sizeof slot->subsystem, "%s", subsystem);
		snprintf(slot->text, sizeof slot->text, "%s", message);
		slot->written_ms = now_ms;
	}
	pthread_mutex_unlock(&log_repeat_lock);
	if (write)
		log_write_level(level, subsystem, "%s", message);
}

/* Receives libevent's messages. libevent must not be called from here. */
static void
log_libevent_callback(int severity, const char *message)
{
	switch (severity) {
	case EVENT_LOG_DEBUG:
		log_trace(LOG_TRACE_LIBEVENT, "libevent", "%s", message);
		break;
	case EVENT_LOG_MSG:
		log_library(LOG_LEVEL_INFO, "libevent", message);
		break;
	case EVENT_LOG_WARN:
		log_library(LOG_LEVEL_WARN, "libevent", message);
		break;
	default:
		log_library(LOG_LEVEL_ERROR, "libevent", message);
		break;
	}
}

void
log_route_libevent(void)
{
	event_set_log_callback(log_libevent_callback);

	pthread_mutex_lock(&log_lock);
	log_libevent_routed = true;
	pthread_mutex_unlock(&log_lock);

	log_set_trace(atomic_load(&log_trace_mask));
}
