/*
 * citizenhubctl agent: add, passwd, disable, enable and list agents.
 *
 * Changes are written to the database directly, in one transaction each,
 * on a connection of this program (store_auth_direct). That is safe while
 * the daemon runs, because SQLite in WAL mode makes this writer wait for
 * the daemon's commits (busy timeout). The daemon reads agents and sessions
 * from the database on every request, so a change applies from the next
 * request on without a restart.
 *
 * NOTE: the daemon receives no notice of these writes, so disabling an
 * agent here publishes no agent.availability event. The API's PATCH does.
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "auth_internal.h"
#include "clock.h"
#include "config.h"
#include "ctl.h"
#include "desk_edit.h"
#include "store_assign.h"
#include "store_auth.h"
#include "text.h"

/* Bytes of a password line read from standard input, newline included. */
#define CTL_AGENT_LINE_MAX 4096
#define CTL_AGENT_BUSY_TIMEOUT_MS 10000
#define CTL_AGENT_ACTOR_SIZE 96

static int ctl_agent_run(struct ctl *, int, char **);

const struct ctl_command ctl_agent_command = {
	.name = "agent",
	.usage = "agent add USERNAME --role ROLE --department ID"
	    " [--department ID ...]\n"
	    "                 [--name \"DISPLAY NAME\"] [--language vi|en]\n"
	    "       citizenhubctl agent passwd USERNAME\n"
	    "       citizenhubctl agent disable USERNAME\n"
	    "       citizenhubctl agent enable USERNAME\n"
	    "       citizenhubctl agent list [--json]",
	.summary = "add, change and list the agents of the service desk",
	.help =
	    "agent add creates an agent. USERNAME is 1 to 64 of a-z, 0-9, '.',"
	    " '_' and '-'\n(upper case is lowered).\n"
	    "  --role ROLE       agent, supervisor or admin\n"
	    "  --department ID   a department of the desk; repeat it for"
	    " several; required\n                    except for admins\n"
	    "  --name NAME       the name shown to others (default: USERNAME)\n"
	    "  --language LANG   vi (default) or en\n"
	    "agent passwd sets a new password and ends the agent's sessions.\n"
	    "agent disable stops the agent from logging in, marks the agent"
	    " unavailable,\nends the agent's sessions and hands the agent's"
	    " assigned and in-progress\ntickets to other available agents of"
	    " their department by its policy, or back\nto new; agent enable"
	    " undoes the first.\n"
	    "agent list prints every agent; --json prints JSON.\n"
	    "\n"
	    "add and passwd read the password from standard input: one line, at"
	    " least 10\ncharacters. On a terminal they ask for it twice without"
	    " echo. A password\nis never taken from the command line, where"
	    " other users could see it.\n"
	    "\n"
	    "Department ids are checked against the config file's departments,"
	    " or those\nedited through the admin API when the database holds"
	    " any, so give -c CONFIG.\nEvery command is safe while the daemon"
	    " runs, and the daemon applies the\nchange from its next request"
	    " on.\n",
	.run = ctl_agent_run,
};

/* --- Passwords from standard input ---------------------------------------- */

/* Reads one line into line without its newline. Returns 0, or -1 at the
 * end of input or when the line is too long. */
static int
ctl_agent_read_line(FILE *in, char *line, size_t size)
{
	size_t length;

	if (fgets(line, (int)size, in) == NULL)
		return -1;
	length = strlen(line);
	if (length > 0 && line[length - 1] == '\n')
		line[--length] = '\0';
	else if (!feof(in))
		return -1;
	if (length > 0 && line[length - 1] == '\r')
		line[--length] = '\0';
	return 0;
}

/* Prompts on the terminal with echo off and reads one line. */
static int
ctl_agent_prompt(const char *prompt, char *line, size_t size)
{
	struct termios saved, quiet;
	int result;

	fputs(prompt, stderr);
	fflush(stderr);
	if (tcgetattr(STDIN_FILENO, &saved) != 0)
		return -1;
	quiet = saved;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0)
		return -1;
	result = ctl_agent_read_line(stdin, line, size);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	fputc('\n', stderr);
	return result;
}

/* Reads the new password and hashes it into hash. Returns an exit
 * status. */
static int
ctl_agent_password(char hash[AUTH_PASSWORD_HASH_SIZE])
{
	char line[CTL_AGENT_LINE_MAX], again[CTL_AGENT_LINE_MAX];
	enum hub_error_code code;
	char *password;
	long limit;
	int status = CTL_EXIT_OK;

	if (isatty(STDIN_FILENO)) {
		if (ctl_agent_prompt("New password: ", line, sizeof line) != 0 ||
		    ctl_agent_prompt("Repeat the password: ", again,
		    sizeof again) != 0)
			status = ctl_error("cannot read the password");
		else if (strcmp(line, again) != 0)
			status = ctl_error("the two passwords differ");
	} else if (ctl_agent_read_line(stdin, line, sizeof line) != 0) {
		status = ctl_error("no password on standard input: give one"
		    " line of at most %d bytes", CTL_AGENT_LINE_MAX - 2);
	}
	sodium_memzero(again, sizeof again);
	if (status != CTL_EXIT_OK) {
		sodium_memzero(line, sizeof line);
		return status;
	}

	password = auth_password_prepare(line, strlen(line), &code, &limit);
	sodium_memzero(line, sizeof line);
	if (password == NULL)
		return ctl_error("invalid password: it must have %d to %d"
		    " characters of valid UTF-8", AUTH_PASSWORD_MIN_CHARS,
		    AUTH_PASSWORD_MAX_CHARS);
	if (auth_password_blank(password))
		status = ctl_error("invalid password: it holds only white"
		    " space");
	else if (auth_password_hash(password, hash) != 0)
		status = ctl_error("hashing the password failed: out of memory");
	auth_password_free(password);
	return status;
}

/* --- Changes -------------------------------------------------------------- */

enum ctl_agent_change {
	CTL_AGENT_ADD,
	CTL_AGENT_PASSWD,
	CTL_AGENT_DISABLE,
	CTL_AGENT_ENABLE,
};

struct ctl_agent_job {
	enum ctl_agent_change change;
	struct store_agent agent;	/* add: the new agent */
	char hash[AUTH_PASSWORD_HASH_SIZE];
	char actor[CTL_AGENT_ACTOR_SIZE];
	const char *failure;	/* why apply returned 1 */
	/* disable: the desk's assignment policies, and the count of tickets
	 * handed on */
	struct store_assign_policy *policies;
	size_t policy_count;
	size_t handed_on;
};

static const char *const ctl_agent_actions[] = {
	[CTL_AGENT_ADD] = "agent.created",
	[CTL_AGENT_PASSWD] = "agent.password_changed",
	[CTL_AGENT_DISABLE] = "agent.disabled",
	[CTL_AGENT_ENABLE] = "agent.enabled",
};

/* Hands the disabled agent's assigned and in-progress tickets to other
 * agents by their department's policy, or back to new, as the daemon does
 * for an agent who becomes unavailable. */
static int
ctl_agent_hand_on(struct store_tx *tx, struct ctl_agent_job *job)
{
	struct store_assign_changes changes = { 0 };
	int rc;

	rc = store_tx_assign_release(tx, job->agent.id, job->policies,
	    job->policy_count, &changes);
	job->handed_on = changes.count;
	store_assign_changes_clear(&changes);
	return rc;
}

/* Changes the existing agent job->agent.username. */
static int
ctl_agent_change(struct store_tx *tx, struct ctl_agent_job *job)
{
	struct store_agent agent;
	int found = store_tx_agent_find(tx, job->agent.username, &agent);

	if (found <= 0) {
		job->failure = "no agent has this username";
		return found < 0 ? -1 : 1;
	}
	if (job->change == CTL_AGENT_DISABLE) {
		agent.disabled = true;
		agent.available = false;
	} else if (job->change == CTL_AGENT_ENABLE) {
		agent.disabled = false;
	}
	if (store_tx_agent_update(tx, &agent, job->change == CTL_AGENT_PASSWD ?
	    job->hash : NULL, store_tx_now(tx)) != 0)
		return -1;
	if (job->change != CTL_AGENT_ENABLE &&
	    store_tx_sessions_revoke_agent(tx, agent.id, store_tx_now(tx)) != 0)
		return -1;
	job->agent.id = agent.id;
	return job->change == CTL_AGENT_DISABLE ?
	    ctl_agent_hand_on(tx, job) : 0;
}

static int
ctl_agent_apply(struct store_tx *tx, void *arg)
{
	struct ctl_agent_job *job = arg;
	int rc;

	if (job->change == CTL_AGENT_ADD) {
		rc = store_tx_agent_create(tx, &job->agent, job->hash, store_tx_now(tx));
		if (rc == 1)
			job->failure = "the username is taken";
	} else {
		rc = ctl_agent_change(tx, job);
	}
	if (rc != 0)
		return rc;
	return store_tx_agent_audit(tx, job->agent.id, job->actor,
	    ctl_agent_actions[job->change], NULL) != 0 ? -1 : 0;
}

/* Runs job on the data directory and prints the outcome. */
static int
ctl_agent_commit(struct ctl *ctl, struct ctl_agent_job *job)
{
	const char *dir = ctl_data_dir(ctl);
	struct passwd *user = getpwuid(getuid());
	char err[512] = "";
	int rc;

	if (dir == NULL)
		return CTL_EXIT_ERROR;
	snprintf(job->actor, sizeof job->actor, "citizenhubctl:%s",
	    user != NULL ? user->pw_name : "unknown");
	rc = store_auth_direct(dir, CTL_AGENT_BUSY_TIMEOUT_MS, ctl_agent_apply,
	    job, err, sizeof err);
	if (rc == 1)
		return ctl_error("%s: %s", job->agent.username, job->failure);
	if (rc != 0)
		return ctl_error("changing agent %s failed%s%s",
		    job->agent.username, err[0] != '\0' ? ": " : "", err);
	printf("agent %s (id %lld): %s\n", job->agent.username,
	    (long long)job->agent.id, ctl_agent_actions[job->change] + 6);
	if (job->change == CTL_AGENT_DISABLE)
		printf("tickets handed on: %zu\n", job->handed_on);
	return CTL_EXIT_OK;
}

/* --- agent add ------------------------------------------------------------ */

/* Puts the desk sections edited through the admin API in place of the
 * config file's, as the daemon does at start-up, so that department ids
 * are checked against the desk in force. A data directory without a
 * database has none. */
static int
ctl_agent_load_desk(struct ctl *ctl)
{
	char err[CONFIG_ERROR_MAX + 256];
	struct store *store;
	int rc;

	store = store_open_readonly(ctl_data_dir(ctl), err, sizeof err);
	if (store == NULL)
		return CTL_EXIT_OK;
	rc = desk_edit_load_stored(ctl->config, store, err, sizeof err);
	store_close(store);
	return rc == 0 ? CTL_EXIT_OK : ctl_error("%s", err);
}

static int
ctl_agent_add_department(const struct ctl_command *command, struct ctl *ctl,
    struct store_agent *agent, const char *id)
{
	if (ctl->config == NULL)
		return ctl_usage_error(command, "checking department \"%s\""
		    " needs the config file: give -c CONFIG before the"
		    " command", id);
	if (desk_department_find(desk_current(ctl->config), id) == NULL)
		return ctl_usage_error(command, "unknown department \"%s\":"
		    " it is not in the departments of %s nor in those edited"
		    " through the admin API", id, ctl->config_path);
	for (size_t i = 0; i < agent->department_count; i++) {
		if (strcmp(agent->departments[i], id) == 0)
			return CTL_EXIT_OK;
	}
	if (agent->department_count == AUTH_DEPARTMENTS_MAX)
		return ctl_usage_error(command, "at most %d departments",
		    AUTH_DEPARTMENTS_MAX);
	snprintf(agent->departments[agent->department_count++],
	    AUTH_DEPARTMENT_ID_MAX + 1, "%s", id);
	return CTL_EXIT_OK;
}

static int
ctl_agent_add_option(const struct ctl_command *command, struct ctl *ctl,
    struct store_agent *agent, int option, bool *has_role)
{
	switch (option) {
	case 'r':
		*has_role = auth_role_parse(optarg, &agent->role) == 0;
		if (!*has_role)
			return ctl_usage_error(command, "invalid --role \"%s\":"
			    " use agent, supervisor or admin", optarg);
		return CTL_EXIT_OK;
	case 'D':
		return ctl_agent_add_department(command, ctl, agent, optarg);
	case 'n':
		if (!text_valid_utf8(optarg, strlen(optarg)) ||
		    text_length(optarg) == 0 ||
		    text_length(optarg) > AUTH_DISPLAY_NAME_MAX_CHARS)
			return ctl_usage_error(command, "invalid --name: use 1"
			    " to %d characters of UTF-8",
			    AUTH_DISPLAY_NAME_MAX_CHARS);
		snprintf(agent->display_name, sizeof agent->display_name, "%s",
		    optarg);
		return CTL_EXIT_OK;
	case 'l':
		if (strcmp(optarg, "vi") != 0 && strcmp(optarg, "en") != 0)
			return ctl_usage_error(command, "invalid --language"
			    " \"%s\": use vi or en", optarg);
		snprintf(agent->language, sizeof agent->language, "%s", optarg);
		return CTL_EXIT_OK;
	default:
		return ctl_usage_error(command, "invalid option");
	}
}

static int
ctl_agent_add(struct ctl *ctl, int argc, char **argv)
{
	static const struct option options[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "department", required_argument, NULL, 'D' },
		{ "name", required_argument, NULL, 'n' },
		{ "language", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_agent_job job = { .change = CTL_AGENT_ADD };
	bool has_role = false;
	int option, status;

	snprintf(job.agent.language, sizeof job.agent.language, "vi");
	/* The config is loaded first, to check department ids. */
	if (ctl->config_path != NULL && (ctl_data_dir(ctl) == NULL ||
	    (ctl->config != NULL &&
	    ctl_agent_load_desk(ctl) != CTL_EXIT_OK)))
		return CTL_EXIT_ERROR;
	while ((option = getopt_long(argc, argv, "r:D:n:l:", options,
	    NULL)) != -1) {
		status = ctl_agent_add_option(&ctl_agent_command, ctl,
		    &job.agent, option, &has_role);
		if (status != CTL_EXIT_OK)
			return status;
	}
	if (optind + 1 != argc)
		return ctl_usage_error(&ctl_agent_command, "give one USERNAME");
	if (auth_username_normalize(argv[optind], job.agent.username) != 0)
		return ctl_usage_error(&ctl_agent_command, "invalid username"
		    " \"%s\": use 1 to %d of a-z, 0-9, '.', '_' and '-'",
		    argv[optind], AUTH_USERNAME_MAX);
	if (!has_role)
		return ctl_usage_error(&ctl_agent_command, "--role is missing");
	if (job.agent.department_count == 0 &&
	    job.agent.role != AUTH_ROLE_ADMIN)
		return ctl_usage_error(&ctl_agent_command, "--department is"
		    " missing: agents and supervisors need at least one");
	if (job.agent.display_name[0] == '\0')
		snprintf(job.agent.display_name, sizeof job.agent.display_name,
		    "%s", job.agent.username);

	auth_password_set_cost(ctl->config != NULL &&
	    ctl->config->auth.password_moderate);
	if ((status = ctl_agent_password(job.hash)) != CTL_EXIT_OK)
		return status;
	status = ctl_agent_commit(ctl, &job);
	sodium_memzero(job.hash, sizeof job.hash);
	return status;
}

/* --- agent passwd, disable, enable ---------------------------------------- */

/* Reads the assignment policies of the desk in force into job.
 * Without a config file there are none, and the tickets of a disabled
 * agent go back to new. */
static int
ctl_agent_policies(struct ctl *ctl, struct ctl_agent_job *job)
{
	const struct hub_config_desk *desk;

	if (ctl->config == NULL)
		return CTL_EXIT_OK;
	if (ctl_agent_load_desk(ctl) != CTL_EXIT_OK)
		return CTL_EXIT_ERROR;
	desk = desk_current(ctl->config);
	if (desk->department_count == 0)
		return CTL_EXIT_OK;
	job->policies = calloc(desk->department_count,
	    sizeof(job->policies[0]));
	if (job->policies == NULL)
		return ctl_error("out of memory");
	for (size_t i = 0; i < desk->department_count; i++) {
		job->policies[i] = (struct store_assign_policy){
			.department = desk->departments[i].id,
			.assignment = desk->departments[i].assignment,
		};
	}
	job->policy_count = desk->department_count;
	return CTL_EXIT_OK;
}

static int
ctl_agent_modify(struct ctl *ctl, int argc, char **argv,
    enum ctl_agent_change change)
{
	struct ctl_agent_job job = { .change = change };
	int status;

	if (argc != 2)
		return ctl_usage_error(&ctl_agent_command, "give one USERNAME");
	if (auth_username_normalize(argv[1], job.agent.username) != 0)
		return ctl_usage_error(&ctl_agent_command, "invalid username"
		    " \"%s\"", argv[1]);
	if (ctl_data_dir(ctl) == NULL)
		return CTL_EXIT_ERROR;
	if (change == CTL_AGENT_DISABLE &&
	    (status = ctl_agent_policies(ctl, &job)) != CTL_EXIT_OK)
		return status;
	if (change == CTL_AGENT_PASSWD) {
		auth_password_set_cost(ctl->config != NULL &&
		    ctl->config->auth.password_moderate);
		if ((status = ctl_agent_password(job.hash)) != CTL_EXIT_OK)
			return status;
	}
	status = ctl_agent_commit(ctl, &job);
	sodium_memzero(job.hash, sizeof job.hash);
	free(job.policies);
	return status;
}

/* --- agent list ------------------------------------------------------------- */

static int
ctl_agent_print(const struct store_agent *agent, void *arg)
{
	json_t *list = arg;
	char departments[AUTH_DEPARTMENTS_MAX * (AUTH_DEPARTMENT_ID_MAX + 1)];
	size_t used = 0;

	if (list != NULL)
		return json_array_append_new(list, store_agent_json(agent)) != 0;

	departments[0] = '\0';
	for (size_t i = 0; i < agent->department_count; i++)
		used += (size_t)snprintf(departments + used,
		    sizeof departments - used, "%s%s", i > 0 ? "," : "",
		    agent->departments[i]);
	printf("%-6lld  %-20s  %-10s  %-9s  %-8s  %-24s  %s\n",
	    (long long)agent->id, agent->username, auth_role_name(agent->role),
	    agent->disabled ? "disabled" : agent->available ? "available" :
	    "away", agent->language, departments[0] != '\0' ? departments : "-",
	    agent->display_name);
	return 0;
}

static int
ctl_agent_list(struct ctl *ctl, int argc, char **argv)
{
	bool json = argc == 2 && strcmp(argv[1], "--json") == 0;
	json_t *list = NULL;
	struct store *store;
	int rc, status = CTL_EXIT_OK;

	if (argc > 2 || (argc == 2 && !json))
		return ctl_usage_error(&ctl_agent_command, "agent list takes"
		    " only --json");
	if ((store = ctl_store_open(ctl)) == NULL)
		return CTL_EXIT_ERROR;
	if (json && (list = json_array()) == NULL) {
		store_close(store);
		return ctl_error("out of memory");
	}
	if (!json)
		printf("%-6s  %-20s  %-10s  %-9s  %-8s  %-24s  %s\n", "ID",
		    "USERNAME", "ROLE", "STATE", "LANGUAGE", "DEPARTMENTS",
		    "NAME");
	rc = store_agents_each(store, ctl_agent_print, list);
	if (rc != 0)
		status = ctl_error("reading the agents failed");
	else if (json)
		status = ctl_json_print(list);
	json_decref(list);
	store_close(store);
	return status;
}

static int
ctl_agent_run(struct ctl *ctl, int argc, char **argv)
{
	const char *action = argc >= 2 ? argv[1] : "";

	if (sodium_init() < 0)
		return ctl_error("libsodium failed to start");
	if (strcmp(action, "add") == 0)
		return ctl_agent_add(ctl, argc - 1, argv + 1);
	if (strcmp(action, "passwd") == 0)
		return ctl_agent_modify(ctl, argc - 1, argv + 1,
		    CTL_AGENT_PASSWD);
	if (strcmp(action, "disable") == 0)
		return ctl_agent_modify(ctl, argc - 1, argv + 1,
		    CTL_AGENT_DISABLE);
	if (strcmp(action, "enable") == 0)
		return ctl_agent_modify(ctl, argc - 1, argv + 1,
		    CTL_AGENT_ENABLE);
	if (strcmp(action, "list") == 0)
		return ctl_agent_list(ctl, argc - 1, argv + 1);
	if (strcmp(action, "--help") == 0 || strcmp(action, "-h") == 0)
		return ctl_help(&ctl_agent_command);
	return ctl_usage_error(&ctl_agent_command, "unknown or missing action"
	    " \"%s\": use add, passwd, disable, enable or list", action);
}
