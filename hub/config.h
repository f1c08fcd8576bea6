/*
 * Configuration: one JSON file, validated in full before the daemon starts.
 *
 * An unknown key, a value of the wrong type or a value out of range stops
 * start-up with an error naming the file, the key's path ("http.listen",
 * "http.trusted_proxies[1]"), the line where the key stands and the expected
 * form. Duplicate keys are rejected. Relative paths in the file are resolved
 * against the folder that holds the config file.
 *
 * Channel sections ("channels.NAME") are validated by their module with the
 * same field tables (config_check_section), so their errors carry lines too.
 */
#ifndef HUB_CONFIG_H
#define HUB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "desk.h"
#include "log.h"

#define CONFIG_ERROR_MAX 512

/* One validation failure. line is 0 when the position is unknown. */
struct config_error {
	char file[256];
	char path[128];
	int line;
	char message[CONFIG_ERROR_MAX];	/* full text, ready to print */
};

struct hub_config_limits {
	int name_chars;
	int subject_chars;
	int description_chars;
	int address_chars;
	int email_chars;
	int category_chars;
	int external_id_chars;
};

/* The send queue of outbound messages and the notices to citizens
 * ("replies" section). */
struct hub_config_replies {
	int poll_interval_seconds;	/* the longest wait between two scans */
	int max_in_flight;		/* sends waiting for their outcome */
	int max_attempts;		/* sends of one message before "failed" */
	int retry_base_seconds;		/* wait after the first failure */
	int retry_max_seconds;		/* the longest wait between attempts */
	int send_timeout_seconds;	/* wait for a channel's outcome */
	bool paused;			/* keep messages queued, send nothing */
	bool show_agent_names;		/* citizens see who replied */
	char **notice_statuses;		/* statuses announced to the citizen,
					 * NULL-terminated, never NULL itself */
	/* Queued acknowledgements (HUB_ACK_QUEUE) within the window: to one
	 * contact, and on one ticket; 0 queues none. */
	int ack_limit_per_recipient;
	int ack_limit_per_ticket;
	int ack_limit_window_minutes;
};

/* Agents' sessions and the login lockout: the "auth" section. */
struct hub_config_auth {
	int session_idle_seconds;	/* cookie sessions end unused this long */
	int session_max_hours;		/* and this long after login at most */
	int bearer_days;		/* lifetime of a bearer token */
	int lockout_failures;		/* per username, within the window */
	int lockout_address_failures;	/* per client address */
	int lockout_window_seconds;
	int lockout_seconds;		/* how long a lock lasts */
	bool password_moderate;		/* argon2id cost: moderate, else
					 * interactive */
};

/* Personal data: the "privacy" section. */
struct hub_config_privacy {
	int retention_days;		/* closed tickets are anonymized this
					 * many days after closed_at; 0 keeps
					 * them */
	int check_interval_seconds;	/* how often the retention runs */
	bool hold_open_tickets;		/* erasure refused while a ticket of
					 * the citizen is not resolved or
					 * closed */
	int hold_closed_days;		/* and while one was resolved or
					 * closed fewer days ago; 0 for none */
};

struct hub_config {
	char *path;		/* the file as given */
	char *text;		/* its raw text, for positions of module keys */

	char *data_dir;		/* absolute or relative to the working folder */
	char *modules_dir;
	char *templates_dir;
	/* The IVR's rendered prompts: prompts_dir/{vi,en}/NAME.wav. */
	char *prompts_dir;
	int workers;
	int io_workers;		/* threads for jobs that wait on the network */

	char *log_file;		/* NULL or "-" for standard error */
	enum log_level log_level;
	unsigned int log_trace;

	char *http_address;	/* "127.0.0.1", "::1", "0.0.0.0" */
	uint16_t http_port;
	char *public_url;	/* no trailing slash */
	size_t http_max_body_bytes;
	size_t http_max_header_bytes;
	int http_timeout_seconds;
	char **trusted_proxies;	/* numeric addresses, NULL-terminated,
				 * never NULL itself */

	int store_batch_max;
	int store_busy_timeout_ms;

	struct hub_config_limits limits;
	int idempotency_hours;

	int outbox_retention_hours;
	int outbox_prune_interval_seconds;

	int rate_submit_per_minute;
	int rate_lookup_per_minute;
	char **rate_exempt;	/* numeric addresses, NULL-terminated,
				 * never NULL itself */

	char *admin_token_file;	/* NULL: the admin read API is off */

	/* Deadline timers: a reminder this many minutes before a ticket's due
	 * time (0: none), and the seconds between two scans for timers. */
	int deadline_remind_before_minutes;
	int deadline_scan_interval_seconds;

	struct hub_config_replies replies;
	struct hub_config_auth auth;

	struct hub_config_privacy privacy;
	/* Ticket desk ("desk" section): days after a ticket is resolved during
	 * which a citizen's message on it reopens it; 0 turns reopening off. */
	int desk_reopen_days;

	json_t *channels;	/* object: module name -> section (owned) */

	/* Departments, categories, communes and the working calendar: read
	 * them with desk_current(config), never through this field. */
	struct desk_state *desk;
};

/* Loads and validates path. On success returns 0 and a config the caller
 * frees with config_free. On failure returns -1 and fills err. */
int config_load(const char *path, struct hub_config **config,
    struct config_error *err);

void config_free(struct hub_config *config);

/* Replaces http.listen with listen ("ADDR:PORT", as in the file); a
 * public_url that was derived from the old address follows the new one.
 * Returns 0, or -1 with err filled in. */
int config_override_listen(struct hub_config *config, const char *listen,
    struct config_error *err);

/* Replaces data_dir with dir, taken relative to the working folder.
 * Returns 0, or -1 on allocation failure. */
int config_override_data_dir(struct hub_config *config, const char *dir);

/* Resolves a path from the config file against the config file's folder.
 * Returns a new string (caller frees) or NULL on allocation failure. */
char *config_resolve_path(const struct hub_config *config, const char *path);

/* Longest secret config_read_secret takes, in bytes. */
#define CONFIG_SECRET_MAX 1024

/* Reads a secret (a password, a shared key) from the first line of file, a
 * path relative to the config file, into a new string *secret. path is the
 * key's path for the error. Returns 0, or -1 with err filled in when the
 * file cannot be read or its first line is empty or longer than
 * CONFIG_SECRET_MAX. */
int config_read_secret(const struct hub_config *config, const char *file,
    const char *path, char **secret, struct config_error *err);

/* Line of the key at path in text (1-based), or 0 when it is not found.
 * path uses dots for object keys and [N] for array elements. */
int config_position_line(const char *text, const char *path);

/* Field tables, used for the core's sections and by channel modules. */
enum config_type {
	CONFIG_STRING,
	CONFIG_INTEGER,
	CONFIG_BOOLEAN,
	CONFIG_STRING_ARRAY,
	CONFIG_OBJECT,		/* checked by its own table or by a module */
	CONFIG_ARRAY,		/* any array, its elements checked by own code */
};

/* A table of fields ends with an entry whose key is NULL. */
struct config_field {
	const char *key;
	enum config_type type;
	/* CONFIG_INTEGER: bounds, inclusive, always applied.
	 * CONFIG_STRING: when max > 0, bounds of the length in bytes.
	 * CONFIG_STRING_ARRAY: when max > 0, the most elements. */
	long long min;
	long long max;
	/* Optional extra check of a value whose type is right; for
	 * CONFIG_STRING_ARRAY it runs on each element. Returns NULL when
	 * valid, or the expected form ("an address as ADDR:PORT"). */
	const char *(*check)(const json_t *value);
	/* Expected form for type errors; NULL for one made from the type and
	 * bounds ("an integer from 1 to 64"). */
	const char *expected;
};

/* Checks that section (an object at path) has only keys of fields, each of
 * the right type, bounds and check. Returns 0, or -1 with err filled in for
 * the first failure. */
int config_check_section(const struct hub_config *config, const char *path,
    const json_t *section, const struct config_field *fields,
    struct config_error *err);

/* Fills err with "FILE:LINE: PATH: PROBLEM; expected EXPECTED" for the
 * key at path; expected may be NULL. Always returns -1. */
int config_error_problem(const struct hub_config *config, const char *path,
    struct config_error *err, const char *problem, const char *expected);

/* Fills err for a value at path; format is the expected form. For modules
 * that check relations between keys. Always returns -1. */
int config_error_at(const struct hub_config *config, const char *path,
    struct config_error *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
