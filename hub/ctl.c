#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "clock.h"
#include "config.h"
#include "ctl.h"
#include "log.h"
#include "store.h"

/* Asia/Ho_Chi_Minh has been UTC+7 without daylight saving since 1975
 * (tz database). */
#define CTL_VIETNAM_OFFSET_SECONDS (CLOCK_VIETNAM_OFFSET_MS / 1000)

static const struct ctl_command *const ctl_commands[] = {
	&ctl_init_command,
	&ctl_check_config_command,
	&ctl_tickets_command,
	&ctl_stats_command,
	&ctl_backup_command,
	&ctl_restore_command,
	&ctl_agent_command,
};

#define CTL_COMMAND_COUNT (sizeof(ctl_commands) / sizeof(ctl_commands[0]))

static void
ctl_usage_print(FILE *out)
{
	fprintf(out,
	    "usage: citizenhubctl [-c CONFIG] [--data-dir DIR] COMMAND [ARGS]\n"
	    "\n"
	    "Administers the data directory of the Citizen Hub daemon.\n"
	    "\n"
	    "Options:\n"
	    "  -d, --data-dir DIR   the data directory to work on; wins over"
	    " the config's\n"
	    "                       data_dir, as in citizenhubd\n"
	    "  -c, --config FILE    take the data directory from this config"
	    " file\n"
	    "  -h, --help           print this help\n"
	    "  -V, --version        print the version\n"
	    "\n"
	    "Commands:\n");
	for (size_t i = 0; i < CTL_COMMAND_COUNT; i++)
		fprintf(out, "  %-14s %s\n", ctl_commands[i]->name,
		    ctl_commands[i]->summary);
	fprintf(out,
	    "\n"
	    "Run 'citizenhubctl help COMMAND' for a command's options.\n"
	    "Exit status: 0 success, 1 error, 2 wrong usage.\n");
}

int
ctl_error(const char *fmt, ...)
{
	va_list ap;

	fputs("citizenhubctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CTL_EXIT_ERROR;
}

int
ctl_usage_error(const struct ctl_command *command, const char *fmt, ...)
{
	va_list ap;

	fputs("citizenhubctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (command != NULL) {
		fprintf(stderr, "usage: citizenhubctl %s\n", command->usage);
		fprintf(stderr, "Run 'citizenhubctl help %s' for details.\n",
		    command->name);
	} else
		fprintf(stderr, "Run 'citizenhubctl --help' for the commands.\n");
	return CTL_EXIT_USAGE;
}

int
ctl_help(const struct ctl_command *command)
{
	printf("usage: citizenhubctl [-c CONFIG] [--data-dir DIR] %s\n\n%s",
	    command->usage, command->help);
	return CTL_EXIT_OK;
}

static int
ctl_config_load(struct ctl *ctl)
{
	struct config_error err;

	if (config_load(ctl->config_path, &ctl->config, &err) != 0)
		return ctl_error("%s", err.message);
	if (ctl->config->data_dir == NULL)
		return ctl_error("%s sets no data_dir: give --data-dir DIR",
		    ctl->config_path);
	return CTL_EXIT_OK;
}

const char *
ctl_data_dir(struct ctl *ctl)
{
	if (ctl->data_dir != NULL)
		return ctl->data_dir;
	if (ctl->config_path == NULL) {
		ctl_error("no data directory given: use --data-dir DIR or"
		    " -c CONFIG before the command");
		return NULL;
	}
	if (ctl->config == NULL && ctl_config_load(ctl) != CTL_EXIT_OK)
		return NULL;
	/* config_load has resolved it against the config file's folder. */
	return ctl->config->data_dir;
}

struct store *
ctl_store_open(struct ctl *ctl)
{
	const char *dir = ctl_data_dir(ctl);
	char err[512];
	struct store *store;

	if (dir == NULL)
		return NULL;
	store = store_open_readonly(dir, err, sizeof err);
	if (store == NULL)
		ctl_error("cannot open the store in %s: %s (run 'citizenhubctl"
		    " --data-dir %s init' to create one)", dir, err, dir);
	return store;
}

void
ctl_time_format(int64_t ms, char out[CTL_TIME_SIZE])
{
	time_t seconds;
	struct tm tm;

	if (ms == 0) {
		snprintf(out, CTL_TIME_SIZE, "-");
		return;
	}
	seconds = (time_t)(ms / 1000) + CTL_VIETNAM_OFFSET_SECONDS;
	if (gmtime_r(&seconds, &tm) == NULL ||
	    strftime(out, CTL_TIME_SIZE, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(out, CTL_TIME_SIZE, "?");
}

int
ctl_json_print(const json_t *value)
{
	if (json_dumpf(value, stdout, JSON_INDENT(2)) != 0 ||
	    fputc('\n', stdout) == EOF)
		return ctl_error("cannot write the output: %s", strerror(errno));
	return CTL_EXIT_OK;
}

int
ctl_parse_int(const char *text, long min, long max, long *value)
{
	char *end;
	long parsed;

	errno = 0;
	parsed = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || parsed < min ||
	    parsed > max)
		return -1;
	*value = parsed;
	return 0;
}

static const struct ctl_command *
ctl_command_find(const char *name)
{
	for (size_t i = 0; i < CTL_COMMAND_COUNT; i++) {
		if (strcmp(ctl_commands[i]->name, name) == 0)
			return ctl_commands[i];
	}
	return NULL;
}

/* "help" and "help COMMAND". */
static int
ctl_help_run(int argc, char **argv)
{
	const struct ctl_command *command;

	if (argc < 2) {
		ctl_usage_print(stdout);
		return CTL_EXIT_OK;
	}
	command = ctl_command_find(argv[1]);
	if (command == NULL)
		return ctl_usage_error(NULL, "unknown command \"%s\"", argv[1]);
	return ctl_help(command);
}

/* Parses the options before the command. Returns -1 to go on with the
 * command at argv[optind], or an exit status. */
static int
ctl_parse_global(struct ctl *ctl, int argc, char **argv)
{
	static const struct option options[] = {
		{ "data-dir", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int option;

	while ((option = getopt_long(argc, argv, "+d:c:hV", options,
	    NULL)) != -1) {
		switch (option) {
		case 'd':
			ctl->data_dir = optarg;
			break;
		case 'c':
			ctl->config_path = optarg;
			break;
		case 'h':
			ctl_usage_print(stdout);
			return CTL_EXIT_OK;
		case 'V':
			printf("citizenhubctl %s\n", PACKAGE_VERSION);
			return CTL_EXIT_OK;
		default:
			return ctl_usage_error(NULL, "invalid option");
		}
	}
	if (optind >= argc) {
		ctl_usage_print(stderr);
		return CTL_EXIT_USAGE;
	}
	return -1;
}

static int
ctl_run(struct ctl *ctl, int argc, char **argv)
{
	const struct ctl_command *command;
	int status = ctl_parse_global(ctl, argc, argv);

	if (status != -1)
		return status;
	argc -= optind;
	argv += optind;
	if (strcmp(argv[0], "help") == 0)
		return ctl_help_run(argc, argv);

	command = ctl_command_find(argv[0]);
	if (command == NULL)
		return ctl_usage_error(NULL, "unknown command \"%s\"", argv[0]);

	/* Each command parses its own options from a fresh start. */
	optind = 0;
	return command->run(ctl, argc, argv);
}

int
main(int argc, char **argv)
{
	struct ctl ctl = { 0 };
	int status;

	/* Backups and new databases contain personal data and the keys of
	 * ticket codes and access tokens, so only the owner may read them. */
	umask(077);
	log_open(NULL);
	log_set_level(LOG_LEVEL_WARN);

	status = ctl_run(&ctl, argc, argv);

	if (ctl.config != NULL)
		config_free(ctl.config);
	log_close();
	return status;
}
