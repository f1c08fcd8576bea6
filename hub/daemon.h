/*
 * citizenhubd's life: start-up as a list of steps, the event loop, the
 * signals, and an orderly shutdown that answers every request in flight.
 */
#ifndef HUB_DAEMON_H
#define HUB_DAEMON_H

#include <stdbool.h>

struct daemon_options {
	const char *config_path;
	const char *http_listen;	/* --http, overrides http.listen */
	const char *data_dir;		/* --data-dir, overrides data_dir */
	int verbose;			/* each -v: debug level, then all traces */
};

/* Checks what start-up would check, without starting anything: the config
 * file, the channel sections (their modules are loaded), the templates, the
 * admin token file and that the log file can be written. Returns 0, or -1
 * with the first problem in err. */
int daemon_check(const struct daemon_options *options, char *err,
    size_t err_size);

/* Runs daemon_check and prints "FILE: configuration OK" or the problem.
 * Returns the exit status. */
int daemon_check_config(const struct daemon_options *options);

/* Runs the daemon until SIGTERM or SIGINT. Returns the exit status: 0 after
 * an orderly shutdown, 1 when start-up failed. */
int daemon_run(const struct daemon_options *options);

#endif
