#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "store.h"
#include "text.h"
#include "ticket_code.h"

/* Tickets fetched from the store per query when listing. */
#define CTL_TICKETS_PAGE 200
#define CTL_TICKETS_LIMIT_DEFAULT 50
#define CTL_TICKETS_LIMIT_MAX 100000
/* Code points of a subject shown in a list row. */
#define CTL_SUBJECT_CHARS 48

static const char *const ctl_ticket_statuses[] = {
	"new", "assigned", "in_progress", "waiting", "resolved", "closed",
};

struct ctl_list_options {
	struct store_ticket_filter filter;
	long limit;
	bool json;
};

static int ctl_tickets_run(struct ctl *, int, char **);
static int ctl_stats_run(struct ctl *, int, char **);

const struct ctl_command ctl_tickets_command = {
	.name = "tickets",
	.usage = "tickets list [--status STATUS] [--channel NAME]"
	    " [--search TEXT] [--limit N] [--json]\n"
	    "       citizenhubctl tickets show CODE [--json]",
	.summary = "list tickets or show one ticket",
	.help =
	    "tickets list prints the newest tickets first, one a line: code,"
	    " status,\nchannel, time of creation in Vietnam time (UTC+7) and"
	    " subject.\n"
	    "  --status STATUS  only tickets in STATUS: new, assigned,"
	    " in_progress,\n                   waiting, resolved or closed\n"
	    "  --channel NAME   only tickets that came in through channel NAME"
	    " (web, ...)\n"
	    "  --search TEXT    only tickets whose subject or messages (not"
	    " internal notes)\n                   contain every word of TEXT,"
	    " ignoring case and diacritics;\n                   at most 200"
	    " characters\n"
	    "  --limit N        print at most N tickets (default 50)\n"
	    "  --json           print the full records as a JSON array\n"
	    "\n"
	    "tickets show CODE prints one ticket with its messages. CODE is the"
	    " ten-digit\nticket code, with or without separators"
	    " (3805-1729-61 or 3805172961).\n"
	    "  --json           print the ticket with its citizen, contacts,"
	    " messages\n                   and audit events as JSON\n"
	    "\n"
	    "Both read the store read-only and are safe while the daemon"
	    " runs.\n",
	.run = ctl_tickets_run,
};

const struct ctl_command ctl_stats_command = {
	.name = "stats",
	.usage = "stats [--json]",
	.summary = "print counts of tickets, citizens, messages and the outbox",
	.help =
	    "Prints the number of tickets (all and open), citizens, contacts,"
	    " messages,\nattachments, outbox rows waiting for delivery and"
	    " audit events, and the\nschema version of the database. Safe while"
	    " the daemon runs.\n"
	    "  --json   print the counts as a JSON object\n",
	.run = ctl_stats_run,
};

static bool
ctl_status_valid(const char *status)
{
	for (size_t i = 0; i < sizeof(ctl_ticket_statuses) /
	    sizeof(ctl_ticket_statuses[0]); i++) {
		if (strcmp(ctl_ticket_statuses[i], status) == 0)
			return true;
	}
	return false;
}

/* Copies at most chars code points of a UTF-8 text into out, with "..."
 * when it was cut. out has room for 4 * chars + 4 bytes. */
static void
ctl_text_cut(const char *text, size_t chars, char *out)
{
	size_t bytes = 0, count = 0;

	while (text[bytes] != '\0' && count < chars) {
		bytes++;
		while (((unsigned char)text[bytes] & 0xc0) == 0x80)
			bytes++;
		count++;
	}
	memcpy(out, text, bytes);
	strcpy(out + bytes, text[bytes] != '\0' ? "..." : "");
	for (size_t i = 0; i < bytes; i++) {
		if (out[i] == '\n' || out[i] == '\r' || out[i] == '\t')
			out[i] = ' ';
	}
}

static void
ctl_ticket_row(const struct store_ticket *ticket)
{
	char grouped[TICKET_CODE_GROUPED_SIZE];
	char created[CTL_TIME_SIZE];
	char subject[4 * CTL_SUBJECT_CHARS + 4];

	ticket_code_group(ticket->code, grouped);
	ctl_time_format(ticket->created_at, created);
	ctl_text_cut(ticket->subject != NULL ? ticket->subject : "-",
	    CTL_SUBJECT_CHARS, subject);
	printf("%-12s  %-11s  %-8s  %-19s  %s\n", grouped, ticket->status,
	    ticket->channel, created, subject);
}

/* Prints one row per ticket of page, reading each by its id. Returns the
 * number printed, or -1 on a store error. */
static int
ctl_tickets_print_page(struct store *store, json_t *page)
{
	size_t index;
	json_t *record;
	int printed = 0;

	json_array_foreach(page, index, record) {
		struct store_ticket ticket = { 0 };
		json_int_t id = json_integer_value(json_object_get(record,
		    "id"));

		if (store_ticket_get(store, id, &ticket) != 1) {
			ctl_error("cannot read ticket id %" JSON_INTEGER_FORMAT,
			    id);
			return -1;
		}
		ctl_ticket_row(&ticket);
		store_ticket_clear(&ticket);
		printed++;
	}
	return printed;
}

/* Fetches the tickets of options page by page, newest first. Returns a new
 * array of at most options->limit records, or NULL on a store error. */
static json_t *
ctl_tickets_fetch(struct store *store, struct ctl_list_options *options)
{
	json_t *all = json_array();
	struct store_ticket_filter filter = options->filter;

	while (all != NULL && (long)json_array_size(all) < options->limit) {
		long left = options->limit - (long)json_array_size(all);
		json_t *page, *last;

		filter.limit = left < CTL_TICKETS_PAGE ? (int)left :
		    CTL_TICKETS_PAGE;
		page = store_tickets_json(store, &filter);
		if (page == NULL) {
			json_decref(all);
			return NULL;
		}
		last = json_array_get(page, json_array_size(page) - 1);
		json_array_extend(all, page);
		if ((int)json_array_size(page) < filter.limit || last == NULL) {
			json_decref(page);
			break;
		}
		filter.before_id = json_integer_value(json_object_get(last,
		    "id"));
		json_decref(page);
	}
	return all;
}

static int
ctl_tickets_list_print(struct store *store, struct ctl_list_options *options)
{
	json_t *tickets = ctl_tickets_fetch(store, options);
	int status = CTL_EXIT_OK;

	if (tickets == NULL)
		return ctl_error("cannot read the tickets from the store");
	if (options->json)
		status = ctl_json_print(tickets);
	else if (json_array_size(tickets) == 0)
		printf("No tickets match.\n");
	else {
		printf("%-12s  %-11s  %-8s  %-19s  %s\n", "CODE", "STATUS",
		    "CHANNEL", "CREATED (UTC+7)", "SUBJECT");
		if (ctl_tickets_print_page(store, tickets) < 0)
			status = CTL_EXIT_ERROR;
	}
	json_decref(tickets);
	return status;
}

static int
ctl_tickets_list(struct ctl *ctl, int argc, char **argv)
{
	static const struct option options[] = {
		{ "status", required_argument, NULL, 's' },
		{ "channel", required_argument, NULL, 'C' },
		{ "search", required_argument, NULL, 'q' },
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_list_options list = { .limit = CTL_TICKETS_LIMIT_DEFAULT };
	struct store *store;
	int option, status;

	while ((option = getopt_long(argc, argv, "s:C:q:n:jh", options,
	    NULL)) != -1) {
		switch (option) {
		case 's':
			if (!ctl_status_valid(optarg))
				return ctl_usage_error(&ctl_tickets_command,
				    "invalid status \"%s\": expected new,"
				    " assigned, in_progress, waiting, resolved"
				    " or closed", optarg);
			list.filter.status = optarg;
			break;
		case 'C':
			list.filter.channel = optarg;
			break;
		case 'q':
			if (!text_valid_utf8(optarg, strlen(optarg)) ||
			    text_length(optarg) > STORE_SEARCH_QUERY_MAX)
				return ctl_usage_error(&ctl_tickets_command,
				    "invalid --search: expected UTF-8 text of at"
				    " most %d characters", STORE_SEARCH_QUERY_MAX);
			list.filter.search = optarg;
			break;
		case 'n':
			if (ctl_parse_int(optarg, 1, CTL_TICKETS_LIMIT_MAX,
			    &list.limit) != 0)
				return ctl_usage_error(&ctl_tickets_command,
				    "invalid --limit \"%s\": expected a number"
				    " from 1 to %d", optarg,
				    CTL_TICKETS_LIMIT_MAX);
			break;
		case 'j':
			list.json = true;
			break;
		case 'h':
			return ctl_help(&ctl_tickets_command);
		default:
			return ctl_usage_error(&ctl_tickets_command,
			    "invalid option for tickets list");
		}
	}
	if (optind != argc)
		return ctl_usage_error(&ctl_tickets_command,
		    "unexpected argument \"%s\"", argv[optind]);

	if ((store = ctl_store_open(ctl)) == NULL)
		return CTL_EXIT_ERROR;
	status = ctl_tickets_list_print(store, &list);
	store_close(store);
	return status;
}

static void
ctl_field_print(const char *label, const char *value)
{
	printf("%-12s %s\n", label, value != NULL && *value != '\0' ?
	    value : "-");
}

static void
ctl_ticket_print(const struct store_ticket *ticket)
{
	char grouped[TICKET_CODE_GROUPED_SIZE];
	char line[128];
	char time[CTL_TIME_SIZE];

	ticket_code_group(ticket->code, grouped);
	snprintf(line, sizeof line, "%s (%s)", grouped, ticket->code);
	ctl_field_print("Code:", line);
	snprintf(line, sizeof line, "%" PRId64, ticket->id);
	ctl_field_print("Id:", line);
	ctl_field_print("Status:", ticket->status);
	ctl_field_print("Channel:", ticket->channel);
	ctl_field_print("Subject:", ticket->subject);
	ctl_field_print("Category:", ticket->category != NULL ?
	    ticket->category : ticket->category_hint);
	ctl_field_print("Department:", ticket->department);
	ctl_field_print("Commune:", ticket->commune);
	ctl_field_print("Address:", ticket->address);
	if (ticket->has_location) {
		snprintf(line, sizeof line, "%.6f, %.6f", ticket->latitude,
		    ticket->longitude);
		ctl_field_print("Location:", line);
	}
	ctl_field_print("Language:", ticket->language);
	ctl_time_format(ticket->created_at, time);
	ctl_field_print("Created:", time);
	ctl_time_format(ticket->updated_at, time);
	ctl_field_print("Updated:", time);
	ctl_time_format(ticket->due_at, time);
	ctl_field_print("Due:", time);
}

/* A message's time comes as Unix milliseconds or as ISO 8601 text in
 * Vietnam time ("2025-07-01T14:05:09+07:00"), which is shown like the
 * other times: "2025-07-01 14:05:09". */
static void
ctl_message_time(const json_t *value, char out[CTL_TIME_SIZE])
{
	const char *text = json_string_value(value);

	if (json_is_integer(value))
		ctl_time_format(json_integer_value(value), out);
	else if (text == NULL)
		snprintf(out, CTL_TIME_SIZE, "-");
	else if (strlen(text) == 25 && text[10] == 'T' &&
	    strcmp(text + 19, "+07:00") == 0)
		snprintf(out, CTL_TIME_SIZE, "%.10s %.8s", text, text + 11);
	else
		snprintf(out, CTL_TIME_SIZE, "%s", text);
}

static int
ctl_messages_print(struct store *store, int64_t ticket_id)
{
	json_t *messages = store_ticket_messages_json(store, ticket_id, true);
	json_t *message;
	size_t index;

	if (messages == NULL)
		return ctl_error("cannot read the messages of ticket id %" PRId64,
		    ticket_id);
	printf("\nMessages (%zu):\n", json_array_size(messages));
	json_array_foreach(messages, index, message) {
		char time[CTL_TIME_SIZE];
		const char *body = json_string_value(json_object_get(message,
		    "body"));

		ctl_message_time(json_object_get(message, "created_at"), time);
		printf("\n  %s  %s %s via %s\n", time,
		    json_string_value(json_object_get(message, "direction")),
		    json_string_value(json_object_get(message, "kind")),
		    json_string_value(json_object_get(message, "channel")));
		printf("  %s\n", body != NULL ? body : "");
	}
	json_decref(messages);
	return CTL_EXIT_OK;
}

static int
ctl_ticket_show_code(struct store *store, const char *code, bool json)
{
	struct store_ticket ticket = { 0 };
	int found = store_ticket_get_code(store, code, &ticket);
	int status = CTL_EXIT_OK;

	if (found < 0)
		return ctl_error("cannot read ticket %s from the store", code);
	if (found == 0)
		return ctl_error("ticket %s not found in this data directory",
		    code);

	if (json) {
		json_t *detail = store_ticket_detail_json(store, ticket.id);

		if (detail == NULL)
			status = ctl_error("cannot read ticket %s", code);
		else
			status = ctl_json_print(detail);
		json_decref(detail);
	} else {
		ctl_ticket_print(&ticket);
		status = ctl_messages_print(store, ticket.id);
	}
	store_ticket_clear(&ticket);
	return status;
}

static int
ctl_tickets_show(struct ctl *ctl, int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char code[TICKET_CODE_PLAIN_SIZE];
	struct store *store;
	bool json = false;
	int option, status;

	while ((option = getopt_long(argc, argv, "jh", options, NULL)) != -1) {
		switch (option) {
		case 'j':
			json = true;
			break;
		case 'h':
			return ctl_help(&ctl_tickets_command);
		default:
			return ctl_usage_error(&ctl_tickets_command,
			    "invalid option for tickets show");
		}
	}
	if (argc - optind != 1)
		return ctl_usage_error(&ctl_tickets_command,
		    "tickets show takes one ticket code");
	if (ticket_code_parse(argv[optind], code) != 0)
		return ctl_error("invalid ticket code \"%s\": expected ten"
		    " digits with a valid check digit, such as 3805-1729-61",
		    argv[optind]);

	if ((store = ctl_store_open(ctl)) == NULL)
		return CTL_EXIT_ERROR;
	status = ctl_ticket_show_code(store, code, json);
	store_close(store);
	return status;
}

static int
ctl_tickets_run(struct ctl *ctl, int argc, char **argv)
{
	if (argc < 2)
		return ctl_usage_error(&ctl_tickets_command,
		    "tickets needs a subcommand: list or show");
	if (strcmp(argv[1], "list") == 0)
		return ctl_tickets_list(ctl, argc - 1, argv + 1);
	if (strcmp(argv[1], "show") == 0)
		return ctl_tickets_show(ctl, argc - 1, argv + 1);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return ctl_help(&ctl_tickets_command);
	return ctl_usage_error(&ctl_tickets_command,
	    "unknown subcommand \"%s\": expected list or show", argv[1]);
}

static json_t *
ctl_stats_json(const struct store_stats *stats)
{
	return json_pack("{sI sI sI sI sI sI sI sI si}",
	    "tickets", (json_int_t)stats->tickets,
	    "tickets_open", (json_int_t)stats->tickets_open,
	    "citizens", (json_int_t)stats->citizens,
	    "contacts", (json_int_t)stats->contacts,
	    "messages", (json_int_t)stats->messages,
	    "attachments", (json_int_t)stats->attachments,
	    "outbox_pending", (json_int_t)stats->outbox_pending,
	    "audit_events", (json_int_t)stats->audit_events,
	    "schema_version", stats->schema_version);
}

static void
ctl_stats_print(const struct store_stats *stats)
{
	printf("%-16s %" PRId64 "\n", "tickets", stats->tickets);
	printf("%-16s %" PRId64 "\n", "tickets open", stats->tickets_open);
	printf("%-16s %" PRId64 "\n", "citizens", stats->citizens);
	printf("%-16s %" PRId64 "\n", "contacts", stats->contacts);
	printf("%-16s %" PRId64 "\n", "messages", stats->messages);
	printf("%-16s %" PRId64 "\n", "attachments", stats->attachments);
	printf("%-16s %" PRId64 "\n", "outbox pending", stats->outbox_pending);
	printf("%-16s %" PRId64 "\n", "audit events", stats->audit_events);
	printf("%-16s %d\n", "schema version", stats->schema_version);
}

static int
ctl_stats_run(struct ctl *ctl, int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_stats stats = { 0 };
	struct store *store;
	bool json = false;
	int option, status = CTL_EXIT_OK;

	while ((option = getopt_long(argc, argv, "jh", options, NULL)) != -1) {
		switch (option) {
		case 'j':
			json = true;
			break;
		case 'h':
			return ctl_help(&ctl_stats_command);
		default:
			return ctl_usage_error(&ctl_stats_command,
			    "invalid option for stats");
		}
	}
	if (optind != argc)
		return ctl_usage_error(&ctl_stats_command,
		    "unexpected argument \"%s\"", argv[optind]);

	if ((store = ctl_store_open(ctl)) == NULL)
		return CTL_EXIT_ERROR;
	if (store_stats(store, &stats) != 0)
		status = ctl_error("cannot count the records of the store");
	else if (json) {
		json_t *object = ctl_stats_json(&stats);

		status = ctl_json_print(object);
		json_decref(object);
	} else
		ctl_stats_print(&stats);
	store_close(store);
	return status;
}
