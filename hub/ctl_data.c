#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "ctl.h"
#include "daemon.h"
#include "datadir.h"
#include "store.h"

#define CTL_PROGRESS_WIDTH 10

/* State of the progress bar of a backup or a restore. */
struct ctl_progress {
	bool terminal;		/* redraw in place on a terminal */
	int last_percent;	/* last printed, -100 before the first */
};

static int ctl_init_run(struct ctl *, int, char **);
static int ctl_check_config_run(struct ctl *, int, char **);
static int ctl_backup_run(struct ctl *, int, char **);
static int ctl_restore_run(struct ctl *, int, char **);

const struct ctl_command ctl_init_command = {
	.name = "init",
	.usage = "init",
	.summary = "create the data directory and its database",
	.help =
	    "Creates the data directory (mode 0700) and the database in it,"
	    " applies the\nschema migrations and creates the keys of ticket"
	    " codes and access tokens.\nRunning it again on an existing data"
	    " directory only applies new migrations.\nRefuses to run while a"
	    " daemon holds the data directory's lock.\n",
	.run = ctl_init_run,
};

const struct ctl_command ctl_check_config_command = {
	.name = "check-config",
	.usage = "check-config [FILE]",
	.summary = "validate a config file",
	.help =
	    "Checks FILE (by default the file given with -c) as citizenhubd"
	    " -t does: every\nkey, the channel sections (their modules are"
	    " loaded), the templates, the\nadmin token file and the log file."
	    " Prints OK and exits 0 when all is valid;\notherwise prints the"
	    " first problem, as FILE:LINE: PATH: PROBLEM for a key,\nand"
	    " exits 1.\n",
	.run = ctl_check_config_run,
};

const struct ctl_command ctl_backup_command = {
	.name = "backup",
	.usage = "backup [--force] FILE",
	.summary = "copy the database to FILE (safe while the daemon runs)",
	.help =
	    "Copies the database to FILE with SQLite's online backup, which is"
	    " safe while\nthe daemon writes: the copy is the database as it"
	    " was when the copy ended.\nThe copy carries the keys of ticket"
	    " codes and access tokens, so keep it as\nsecret as the data"
	    " directory. Prints a progress bar on standard error.\n"
	    "  --force   replace FILE when it exists\n",
	.run = ctl_backup_run,
};

const struct ctl_command ctl_restore_command = {
	.name = "restore",
	.usage = "restore FILE",
	.summary = "replace the database with a backup (daemon stopped)",
	.help =
	    "Replaces the database of the data directory with the backup in"
	    " FILE, after\nchecking that FILE is a Citizen Hub database. The"
	    " data directory is created\nwhen missing. Refuses to run while a"
	    " daemon holds the data directory's\nlock: stop the daemon first."
	    " Prints a progress bar on standard error.\n",
	.run = ctl_restore_run,
};

/* Parses a command that takes only --help and at most max_arguments
 * arguments. Returns -1 to go on, or an exit status. */
static int
ctl_data_parse(const struct ctl_command *command, int argc, char **argv,
    int max_arguments, bool *force)
{
	static const struct option options[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int option;

	while ((option = getopt_long(argc, argv, "fh", options, NULL)) != -1) {
		if (option == 'h')
			return ctl_help(command);
		if (option == 'f' && force != NULL)
			*force = true;
		else
			return ctl_usage_error(command, "invalid option for %s",
			    command->name);
	}
	if (argc - optind > max_arguments)
		return ctl_usage_error(command, "unexpected argument \"%s\"",
		    argv[optind + max_arguments]);
	return -1;
}

/* Prints why a command that must not run beside a daemon cannot run, and
 * returns true, when a daemon holds the lock of dir. */
static bool
ctl_data_in_use(const char *dir, const char *command)
{
	long pid = 0;

	if (!datadir_locked(dir, &pid))
		return false;
	ctl_error("the daemon (pid %ld) is running on %s: stop it before %s",
	    pid, dir, command);
	return true;
}

/* Takes the data directory's lock for init, so that no daemon starts on
 * the database while it is created. Returns the descriptor, or -1 after
 * printing why. */
static int
ctl_data_lock(const char *dir, const char *command)
{
	char err[512];
	int fd;

	if (ctl_data_in_use(dir, command))
		return -1;
	if (datadir_prepare(dir, err, sizeof err) != 0) {
		ctl_error("cannot create the data directory %s: %s", dir, err);
		return -1;
	}
	fd = datadir_lock(dir, err, sizeof err);
	if (fd < 0)
		ctl_error("cannot lock %s for %s: %s", dir, command, err);
	return fd;
}

static int
ctl_init_run(struct ctl *ctl, int argc, char **argv)
{
	const char *dir;
	char err[512];
	int status, fd;

	if ((status = ctl_data_parse(&ctl_init_command, argc, argv, 0,
	    NULL)) != -1)
		return status;
	if ((dir = ctl_data_dir(ctl)) == NULL)
		return CTL_EXIT_ERROR;
	if ((fd = ctl_data_lock(dir, "init")) < 0)
		return CTL_EXIT_ERROR;

	if (store_init(dir, err, sizeof err) != 0)
		status = ctl_error("cannot initialize the store in %s: %s", dir,
		    err);
	else {
		printf("Initialized the data directory %s\n", dir);
		status = CTL_EXIT_OK;
	}
	close(fd);
	return status;
}

static int
ctl_check_config_run(struct ctl *ctl, int argc, char **argv)
{
	struct daemon_options options = { 0 };
	char err[CONFIG_ERROR_MAX + 256];
	int status;

	if ((status = ctl_data_parse(&ctl_check_config_command, argc, argv, 1,
	    NULL)) != -1)
		return status;
	options.config_path = optind < argc ? argv[optind] : ctl->config_path;
	if (options.config_path == NULL)
		return ctl_usage_error(&ctl_check_config_command,
		    "no config file given");

	if (daemon_check(&options, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return CTL_EXIT_ERROR;
	}
	printf("OK\n");
	return CTL_EXIT_OK;
}

/* Draws "[#####.....] 52% 1234/2360 pages" on standard error: redrawn in
 * place on a terminal, else one line per ten percent. */
static void
ctl_progress_draw(int remaining_pages, int total_pages, void *arg)
{
	struct ctl_progress *progress = arg;
	int done = total_pages - remaining_pages;
	int percent = total_pages > 0 ? (int)(100L * done / total_pages) : 100;
	int filled = percent * CTL_PROGRESS_WIDTH / 100;
	char bar[CTL_PROGRESS_WIDTH + 1];

	if (!progress->terminal && percent / 10 == progress->last_percent / 10
	    && percent != 100)
		return;
	if (percent == progress->last_percent)
		return;
	progress->last_percent = percent;

	memset(bar, '#', (size_t)filled);
	memset(bar + filled, '.', (size_t)(CTL_PROGRESS_WIDTH - filled));
	bar[CTL_PROGRESS_WIDTH] = '\0';
	fprintf(stderr, "%s[%s] %3d%% %d/%d pages%s",
	    progress->terminal ? "\r" : "", bar, percent, done, total_pages,
	    progress->terminal ? "" : "\n");
	fflush(stderr);
}

static void
ctl_progress_begin(struct ctl_progress *progress)
{
	progress->terminal = isatty(STDERR_FILENO);
	progress->last_percent = -100;
}

static void
ctl_progress_end(struct ctl_progress *progress)
{
	if (progress->terminal && progress->last_percent >= 0)
		fputc('\n', stderr);
}

static int
ctl_backup_run(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_progress progress;
	const char *dir, *path;
	char err[512];
	struct stat st;
	bool force = false;
	int status, result;

	if ((status = ctl_data_parse(&ctl_backup_command, argc, argv, 1,
	    &force)) != -1)
		return status;
	if (optind >= argc)
		return ctl_usage_error(&ctl_backup_command,
		    "backup needs the FILE to write");
	path = argv[optind];
	if ((dir = ctl_data_dir(ctl)) == NULL)
		return CTL_EXIT_ERROR;
	if (!force && stat(path, &st) == 0)
		return ctl_error("%s exists: choose another name or add"
		    " --force to replace it", path);

	ctl_progress_begin(&progress);
	result = store_backup(dir, path, ctl_progress_draw, &progress, err,
	    sizeof err);
	ctl_progress_end(&progress);
	if (result != 0)
		return ctl_error("backup of %s to %s failed: %s", dir, path,
		    err);
	printf("Backed up %s to %s\n", dir, path);
	return CTL_EXIT_OK;
}

static int
ctl_restore_run(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_progress progress;
	const char *dir, *path;
	char err[512];
	int status, result;

	if ((status = ctl_data_parse(&ctl_restore_command, argc, argv, 1,
	    NULL)) != -1)
		return status;
	if (optind >= argc)
		return ctl_usage_error(&ctl_restore_command,
		    "restore needs the backup FILE to read");
	path = argv[optind];
	if (access(path, R_OK) != 0)
		return ctl_error("cannot read the backup %s: %s", path,
		    strerror(errno));
	if ((dir = ctl_data_dir(ctl)) == NULL)
		return CTL_EXIT_ERROR;
	if (ctl_data_in_use(dir, "restore"))
		return CTL_EXIT_ERROR;

	/* store_restore holds the lock itself while it replaces the file. */
	ctl_progress_begin(&progress);
	result = store_restore(dir, path, ctl_progress_draw, &progress, err,
	    sizeof err);
	ctl_progress_end(&progress);
	if (result != 0)
		return ctl_error("restore of %s into %s failed: %s", path, dir,
		    err);
	printf("Restored %s into %s\n", path, dir);
	return CTL_EXIT_OK;
}
