/*
 * The ticket desk API's routing and its ticket detail: GET /api/v1/tickets
 * (api_tickets_list.c), GET /api/v1/tickets/ID, and the changes below it
 * (api_ticket_actions.c). Every request names its caller through auth.h;
 * the bootstrap admin token of admin.token_file counts as an admin.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sodium.h>

#include "api.h"
#include "api_tickets_internal.h"
#include "api_error.h"
#include "auth.h"
#include "clock.h"
#include "config.h"
#include "http_server.h"
#include "log.h"
#include "store.h"
#include "store_casework.h"
#include "ticket_code.h"

#define API_TICKETS_PATH "/api/v1/tickets"
#define API_TICKETS_TOKEN_FILE_MAX 4096
#define API_TICKETS_SEGMENT_MAX 32
#define API_TICKETS_TAG_BYTES_MAX 512	/* a tag segment before decoding */
#define API_TICKETS_ID_DIGITS_MAX 9	/* longer digit strings are codes */

/* A request path below /api/v1/tickets/, split at its slashes and
 * decoded. */
struct tickets_path {
	char *ticket;	/* id or code */
	char *action;	/* NULL for the ticket itself */
	char *tag;	/* the TAG of .../tags/TAG or the ATTACHMENT_ID of
			 * .../attachments/ATTACHMENT_ID, else NULL */
};

/* The methods each kind of path takes. */
static const struct {
	const char *action;	/* NULL: the ticket; "tags/": a tag */
	int methods;		/* enum evhttp_cmd_type flags */
	const char *allow;
} api_tickets_methods[] = {
	{ NULL, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, "GET, HEAD" },
	{ "replies", EVHTTP_REQ_POST, "POST" },
	{ "notes", EVHTTP_REQ_POST, "POST" },
	{ "status", EVHTTP_REQ_POST, "POST" },
	{ "assign", EVHTTP_REQ_POST, "POST" },
	{ "claim", EVHTTP_REQ_POST, "POST" },
	{ "merge", EVHTTP_REQ_POST, "POST" },
	{ "tags", EVHTTP_REQ_PUT, "PUT" },
	{ "tags/", EVHTTP_REQ_DELETE, "DELETE" },
	{ "attachments/", EVHTTP_REQ_GET | EVHTTP_REQ_HEAD, "GET, HEAD" },
};

void
api_tickets_error(struct evhttp_request *req, enum hub_error_code code,
    const char *field, long limit)
{
	struct hub_error error;

	hub_error_set(&error, code, field, limit);
	http_send_error(req, &error);
}

static bool
api_tickets_parse_id(const char *text, int64_t *value)
{
	char *end;
	long long number;

	if (text[0] < '0' || text[0] > '9')
		return false;
	errno = 0;
	number = strtoll(text, &end, 10);
	if (errno != 0 || *end != '\0' || number < 1)
		return false;
	*value = number;
	return true;
}

int
api_tickets_resolve(struct api_context *api, const char *segment,
    int64_t *ticket_id)
{
	char code[TICKET_CODE_PLAIN_SIZE];
	struct store_ticket ticket;
	size_t digits = strspn(segment, "0123456789");
	int found;

	if (digits > 0 && digits <= API_TICKETS_ID_DIGITS_MAX &&
	    segment[digits] == '\0')
		return api_tickets_parse_id(segment, ticket_id) ? 1 : 0;
	if (ticket_code_parse(segment, code) != 0)
		return -1;

	memset(&ticket, 0, sizeof ticket);
	found = store_ticket_get_code(api->store, code, &ticket);
	if (found == 1)
		*ticket_id = ticket.id;
	store_ticket_clear(&ticket);
	return found < 0 ? -2 : found;
}

/* --- Paths ---------------------------------------------------------------- */

/* Whether the decoded segment of length bytes fits and has neither a slash
 * nor a control character. A decoded NUL ("%00") would otherwise end the
 * segment early as a C string, and "1%00" would read as ticket 1. */
static bool
api_tickets_segment_valid(const char *segment, size_t length, size_t max)
{
	if (length == 0 || length > max)
		return false;
	for (size_t i = 0; i < length; i++) {
		unsigned char c = (unsigned char)segment[i];

		if (c < 0x20 || c == 0x7f || c == '/')
			return false;
	}
	return true;
}

/* Decodes the raw segment of raw_length bytes into a new string, or NULL
 * when it is invalid or longer than max bytes once decoded. */
static char *
api_tickets_decode(const char *raw, size_t raw_length, size_t max)
{
	char *copy, *segment;
	size_t length = 0;

	if (raw_length == 0 || raw_length > 3 * max ||
	    (copy = strndup(raw, raw_length)) == NULL)
		return NULL;
	segment = evhttp_uridecode(copy, 0, &length);
	free(copy);
	if (segment != NULL && !api_tickets_segment_valid(segment, length,
	    max)) {
		free(segment);
		return NULL;
	}
	return segment;
}

static void
api_tickets_path_clear(struct tickets_path *path)
{
	free(path->ticket);
	free(path->action);
	free(path->tag);
	memset(path, 0, sizeof(*path));
}

/* Splits the request path into ID, ID/ACTION, ID/tags/TAG or
 * ID/attachments/ATTACHMENT_ID. Returns 0, or
 * -1 for any other form (the caller sends 404). */
static int
api_tickets_path_parse(struct evhttp_request *req, struct tickets_path *path)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *raw = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	const char *action, *tag;
	size_t length = 0;

	memset(path, 0, sizeof(*path));
	if (raw == NULL || strncmp(raw, API_TICKETS_TICKET_PATH,
	    strlen(API_TICKETS_TICKET_PATH)) != 0)
		return -1;
	raw += strlen(API_TICKETS_TICKET_PATH);
	action = strchr(raw, '/');
	path->ticket = api_tickets_decode(raw, action != NULL ?
	    (size_t)(action - raw) : strlen(raw), API_TICKETS_SEGMENT_MAX);
	if (path->ticket == NULL)
		return -1;
	if (action == NULL)
		return 0;
	action++;
	tag = strchr(action, '/');
	path->action = api_tickets_decode(action, tag != NULL ?
	    (size_t)(tag - action) : strlen(action), API_TICKETS_SEGMENT_MAX);
	if (path->action == NULL)
		return -1;
	if (tag == NULL)
		return 0;
	if (strcmp(path->action, "tags") != 0 &&
	    strcmp(path->action, "attachments") != 0)
		return -1;
	/* A tag may hold a slash only percent-encoded. A decoded NUL would
	 * cut the tag short, so it makes the path invalid. */
	tag++;
	if (tag[0] == '\0' || strchr(tag, '/') != NULL ||
	    strlen(tag) > API_TICKETS_TAG_BYTES_MAX)
		return -1;
	path->tag = evhttp_uridecode(tag, 0, &length);
	if (path->tag == NULL || strlen(path->tag) != length)
		return -1;
	return 0;
}

/* Checks the method against the path's kind. Sends 404 for an unknown
 * action or 405 for another method, and returns false. */
static bool
api_tickets_method_allowed(struct evhttp_request *req,
    const struct tickets_path *path)
{
	const char *kind = path->action;

	if (path->tag != NULL)
		kind = strcmp(path->action, "tags") == 0 ? "tags/" :
		    "attachments/";
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	size_t count = sizeof(api_tickets_methods) /
	    sizeof(api_tickets_methods[0]);

	for (size_t i = 0; i < count; i++) {
		const char *known = api_tickets_methods[i].action;

		if ((known == NULL) != (kind == NULL) ||
		    (known != NULL && strcmp(known, kind) != 0))
			continue;
		if ((method & api_tickets_methods[i].methods) != 0)
			return true;
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", api_tickets_methods[i].allow);
		api_tickets_error(req, HUB_ERR_METHOD_NOT_ALLOWED, NULL, 0);
		return false;
	}
	api_tickets_error(req, HUB_ERR_NOT_FOUND, NULL, 0);
	return false;
}

/* --- GET /api/v1/tickets/ID ----------------------------------------------- */

/* Reads the ticket's detail for agent and hands it to a store job that
 * records the read as an audit event. The detail is sent only after that
 * event has committed. A ticket of a department the caller may not see is
 * 403 before anything of it is read. */
static void
api_tickets_detail(struct api_context *api, struct evhttp_request *req,
    const struct auth_agent *agent, int64_t ticket_id)
{
	struct store_ticket ticket;
	struct api_ticket_job *job;
	json_t *detail;
	int found;

	memset(&ticket, 0, sizeof(ticket));
	found = store_ticket_get(api->store, ticket_id, &ticket);
	if (found == 1 && !auth_sees_department(agent, ticket.department)) {
		store_ticket_clear(&ticket);
		auth_forbid(req);
		return;
	}
	store_ticket_clear(&ticket);
	detail = found == 1 ? store_casework_ticket_detail_json(api->store,
	    ticket_id, clock_now_ms()) : NULL;
	if (detail == NULL) {
		if (found == 0 || (found == 1 && errno == ENOENT))
			api_tickets_error(req, HUB_ERR_NOT_FOUND, "id", 0);
		else
			api_tickets_error(req, HUB_ERR_INTERNAL, NULL, 0);
		return;
	}
	job = api_ticket_job_new(api, req, agent, API_TICKET_READ, ticket_id);
	if (job == NULL) {
		json_decref(detail);
		api_tickets_error(req, HUB_ERR_INTERNAL, NULL, 0);
		return;
	}
	job->detail = detail;
	api_ticket_job_submit(job);
}

/* --- Routes ------------------------------------------------------------------ */

static void
api_tickets_list_route(struct evhttp_request *req, void *arg)
{
	struct api_context *api = arg;
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	struct auth_agent agent;

	if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD");
		api_tickets_error(req, HUB_ERR_METHOD_NOT_ALLOWED, NULL, 0);
		return;
	}
	if (auth_request(api, req, &agent))
		api_tickets_list(api, req, &agent);
}

static void
api_tickets_ticket_route(struct evhttp_request *req, void *arg)
{
	struct api_context *api = arg;
	struct tickets_path path;
	struct auth_agent agent;
	int64_t ticket_id = 0;
	int found;

	if (api_tickets_path_parse(req, &path) != 0) {
		api_tickets_error(req, HUB_ERR_NOT_FOUND, NULL, 0);
		api_tickets_path_clear(&path);
		return;
	}
	if (!api_tickets_method_allowed(req, &path) ||
	    !auth_request(api, req, &agent)) {
		api_tickets_path_clear(&path);
		return;
	}
	found = api_tickets_resolve(api, path.ticket, &ticket_id);
	if (found == -1)
		api_tickets_error(req, HUB_ERR_INVALID_FIELD, "id", 0);
	else if (found == -2)
		api_tickets_error(req, HUB_ERR_INTERNAL, NULL, 0);
	else if (found == 0)
		api_tickets_error(req, HUB_ERR_NOT_FOUND, "id", 0);
	else if (path.action == NULL)
		api_tickets_detail(api, req, &agent, ticket_id);
	else if (path.tag != NULL && strcmp(path.action, "attachments") == 0)
		api_ticket_attachment(api, req, &agent, ticket_id, path.tag);
	else
		api_ticket_action(api, req, &agent, ticket_id, path.action,
		    path.tag);
	api_tickets_path_clear(&path);
}

/* --- Mounting ----------------------------------------------------------- */

/* Reads the first line of the open token file into token, trimmed. */
static int
api_tickets_read_line(int fd, const char *path, char *token, size_t size,
    char *err, size_t err_size)
{
	ssize_t length = read(fd, token, size - 1);
	size_t start = 0, end;

	if (length < 0) {
		snprintf(err, err_size, "admin.token_file: cannot read %s: %s",
		    path, strerror(errno));
		return -1;
	}
	token[length] = '\0';
	end = strcspn(token, "\r\n");
	while (start < end && (token[start] == ' ' || token[start] == '\t'))
		start++;
	while (end > start && (token[end - 1] == ' ' || token[end - 1] == '\t'))
		end--;
	if (end == start) {
		snprintf(err, err_size, "admin.token_file: %s has no token on "
		    "its first line", path);
		return -1;
	}
	memmove(token, token + start, end - start);
	token[end - start] = '\0';
	return 0;
}

/* Checks that the open token file is a regular file closed to group and
 * others, as a secret must be. */
static int
api_tickets_check_mode(int fd, const char *path, char *err, size_t err_size)
{
	struct stat status;

	if (fstat(fd, &status) != 0) {
		snprintf(err, err_size, "admin.token_file: cannot stat %s: %s",
		    path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(status.st_mode)) {
		snprintf(err, err_size, "admin.token_file: %s is not a regular "
		    "file", path);
		return -1;
	}
	if ((status.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		snprintf(err, err_size, "admin.token_file: %s has mode %04o and "
		    "is open to group or others; run chmod 600 on it", path,
		    (unsigned int)(status.st_mode & 07777));
		return -1;
	}
	return 0;
}

int
api_admin_token_load(const char *path, uint8_t hash[API_TOKEN_HASH_BYTES],
    char *err, size_t err_size)
{
	char token[API_TICKETS_TOKEN_FILE_MAX];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int result = -1;

	if (fd < 0) {
		snprintf(err, err_size, "admin.token_file: cannot open %s: %s",
		    path, strerror(errno));
		return -1;
	}
	if (api_tickets_check_mode(fd, path, err, err_size) == 0 &&
	    api_tickets_read_line(fd, path, token, sizeof token, err,
	    err_size) == 0) {
		crypto_generichash(hash, API_TOKEN_HASH_BYTES,
		    (const unsigned char *)token, strlen(token), NULL, 0);
		result = 0;
	}
	sodium_memzero(token, sizeof token);
	close(fd);
	return result;
}

int
api_tickets_mount(struct api_context *api, char *err, size_t err_size)
{
	const char *path = api->config->admin_token_file;

	api->admin_enabled = false;
	if (path != NULL) {
		if (sodium_init() < 0) {
			snprintf(err, err_size, "libsodium failed to start");
			return -1;
		}
		if (api_admin_token_load(path, api->admin_token_hash, err,
		    err_size) != 0)
			return -1;
		api->admin_enabled = true;
	}

	if (http_server_route(api->http, "core", API_TICKETS_PATH,
	    HTTP_ROUTE_EXACT, api_tickets_list_route, api) != 0 ||
	    http_server_route(api->http, "core", API_TICKETS_TICKET_PATH,
	    HTTP_ROUTE_PREFIX, api_tickets_ticket_route, api) != 0) {
		snprintf(err, err_size, "cannot mount %s: the path is taken",
		    API_TICKETS_PATH);
		return -1;
	}
	return 0;
}
