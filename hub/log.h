/*
 * Logging: one line per event, "TIME LEVEL SUBSYSTEM: message key=value ...".
 *
 * Every call takes the subsystem name ("store", "http", "pipeline", ...) and a
 * printf format. Messages follow the key=value convention for their fields so
 * that a line can be grepped by ticket, channel or peer. The log is written
 * under a mutex, so any thread may log. errno is preserved across every call.
 *
 * Personal data (names, phone numbers, email addresses, message texts) and
 * secrets are never logged at info level or above.
 */
#ifndef HUB_LOG_H
#define HUB_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* Trace flags: per-subsystem debug output, switched on by name in the config
 * ("log.trace") or with -v -v. */
enum log_trace {
	LOG_TRACE_HTTP = 1u << 0,
	LOG_TRACE_STORE = 1u << 1,
	LOG_TRACE_PIPELINE = 1u << 2,
	LOG_TRACE_MODULE = 1u << 3,
	LOG_TRACE_LOOP = 1u << 4,
	LOG_TRACE_CURL = 1u << 5,
	LOG_TRACE_LIBEVENT = 1u << 6,
	LOG_TRACE_CHANNEL = 1u << 7,
	LOG_TRACE_ALL = 0xffu,
};

/* Opens the log file (appending), or standard error when path is NULL or "-".
 * Returns 0, or -1 with errno set. */
int log_open(const char *path);

/* Reopens the log file after rotation (SIGHUP). Safe to call when logging to
 * standard error. Returns 0, or -1 with errno set; the old file stays open on
 * failure. */
int log_reopen(void);

void log_close(void);

/* While on, error lines also go to standard error when the log is a file,
 * so that whoever starts the daemon sees why start-up failed. */
void log_copy_errors_to_stderr(bool on);

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_set_trace(unsigned int mask);
bool log_tracing(unsigned int flag);

/* Parses a level name ("error", "warn", "info", "debug"). Returns 0 or -1. */
int log_level_parse(const char *name, enum log_level *level);

/* Parses one trace flag name ("http", "store", "pipeline", "module", "loop",
 * "curl", "libevent", "channel", "all"). Returns 0 or -1. */
int log_trace_parse(const char *name, unsigned int *flag);

/* Names of all trace flags, comma separated, for error messages. */
const char *log_trace_names(void);

void log_error(const char *subsystem, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_warn(const char *subsystem, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_info(const char *subsystem, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_debug(const char *subsystem, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Logs at debug level when the trace flag is on, whatever the level. */
void log_trace(unsigned int flag, const char *subsystem, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void log_vwrite(enum log_level level, const char *subsystem, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0)));

/* Logs at error level and exits with status 1. Only for start-up failures and
 * broken invariants. */
void log_fatal(const char *subsystem, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* Logs message, a line from a library's log callback (libevent,
 * sofia-sip). The same level, subsystem and text is written at most once
 * per second. Repeats within that second are counted and reported in one
 * line "N repeated messages suppressed: TEXT" when the text comes again
 * after the second, or when any library line comes after it. */
void log_library(enum log_level level, const char *subsystem,
    const char *message);

/* Routes libevent's own warnings and debug output into this log
 * (event_set_log_callback); debug lines appear with the "libevent" trace. */
void log_route_libevent(void);

#endif
