/*
 * citizenhubctl: the operator's tool for a data directory. It creates the
 * store, checks config files, lists and shows tickets, prints counts, and
 * takes and restores backups.
 *
 * Commands that read open the store read-only, so a running daemon stays the
 * only writer. Commands that replace or create the database (init, restore)
 * take the data directory's lock first, so they refuse to run while a daemon
 * holds it and keep a daemon from starting while they work.
 */
#ifndef HUB_CTL_H
#define HUB_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define CTL_EXIT_OK 0
#define CTL_EXIT_ERROR 1
#define CTL_EXIT_USAGE 2

/* Size of a time formatted by ctl_time_format, NUL included. */
#define CTL_TIME_SIZE 32

struct hub_config;
struct store;

/* Global options of one run. */
struct ctl {
	const char *data_dir;		/* --data-dir, else the config's */
	const char *config_path;	/* -c */
	struct hub_config *config;	/* loaded from config_path */
};

/* One command: its name, a one-line usage, a help paragraph and its
 * implementation. run gets the arguments after the command name, with
 * argv[0] set to the command name, and returns an exit status. */
struct ctl_command {
	const char *name;
	const char *usage;
	const char *summary;
	const char *help;
	int (*run)(struct ctl *ctl, int argc, char **argv);
};

extern const struct ctl_command ctl_init_command;
extern const struct ctl_command ctl_check_config_command;
extern const struct ctl_command ctl_tickets_command;
extern const struct ctl_command ctl_stats_command;
extern const struct ctl_command ctl_backup_command;
extern const struct ctl_command ctl_restore_command;
extern const struct ctl_command ctl_agent_command;

/* Prints "citizenhubctl: MESSAGE" on standard error. Returns
 * CTL_EXIT_ERROR so that callers can return it. */
int ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints the message, the command's usage line and where to find its help
 * on standard error. Returns CTL_EXIT_USAGE. */
int ctl_usage_error(const struct ctl_command *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prints a command's usage and help on standard output. Returns
 * CTL_EXIT_OK. */
int ctl_help(const struct ctl_command *command);

/* Returns the data directory chosen by --data-dir or -c, or prints what is
 * missing and returns NULL. */
const char *ctl_data_dir(struct ctl *ctl);

/* Opens the store of the data directory read-only, or prints why it failed
 * and returns NULL. The caller closes it with store_close. */
struct store *ctl_store_open(struct ctl *ctl);

/* Formats a UTC time in Unix milliseconds as Vietnam time (UTC+7, no
 * daylight saving), "2025-07-01 14:05:09". Writes "-" for 0. */
void ctl_time_format(int64_t ms, char out[CTL_TIME_SIZE]);

/* Prints value as indented JSON with a final newline on standard output.
 * Returns CTL_EXIT_OK, or CTL_EXIT_ERROR when writing fails. */
int ctl_json_print(const json_t *value);

/* Parses a decimal integer within min..max. Returns 0, or -1 when text is
 * not one. */
int ctl_parse_int(const char *text, long min, long max, long *value);

#endif
