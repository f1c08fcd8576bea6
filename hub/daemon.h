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

/* Checks the configuration, its channel sections and the templates without
 * starting anything. Prints the first error. Returns the exit status. */
int daemon_check_config(const struct daemon_options *options);

/* Runs the daemon until SIGTERM or SIGINT. Returns the exit status: 0 after
 * an orderly shutdown, 1 when start-up failed. */
int daemon_run(const struct daemon_options *options);

#endif
