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
#include "api_error.h"
#include "config.h"
#include "http_server.h"
#include "log.h"
#include "store.h"
#include "text.h"
#include "ticket_code.h"

#define API_TICKETS_PATH "/api/v1/tickets"
#define API_TICKETS_DETAIL_PATH "/api/v1/tickets/"
#define API_TICKETS_TOKEN_FILE_MAX 4096
#define API_TICKETS_SEGMENT_MAX 32
#define API_TICKETS_CHANNEL_MAX 32
#define API_TICKETS_ID_DIGITS_MAX 9	/* longer digit strings are codes */

static const char *const api_tickets_statuses[] = {
	"new", "assigned", "in_progress", "waiting", "resolved", "closed",
};

/* --- Replies ------------------------------------------------------------ */

static void
api_tickets_error(struct evhttp_request *req, enum hub_error_code code,
    const char *field, long limit)
{
	struct hub_error error;

	hub_error_set(&error, code, field, limit);
	http_send_error(req, &error);
}

static void
api_tickets_not_configured(struct evhttp_request *req, void *arg)
{
	json_t *body = json_pack("{s:{s:s, s:s, s:{s:s, s:s}}}", "error",
	    "code", api_error_name(HUB_ERR_NOT_FOUND),
	    "field", "admin.token_file",
	    "message",
	    "vi", "API đọc dành cho người vận hành chưa bật vì "
	    "admin.token_file chưa được đặt trong tệp cấu hình. Hãy đặt "
	    "admin.token_file rồi khởi động lại dịch vụ.",
	    "en", "The operators' read API is off because admin.token_file is "
	    "not set in the config file. Set admin.token_file and restart the "
	    "daemon.");

	http_send_json(req, 404, body);
}

/* Sends 405 unless the request is a GET or a HEAD. */
static bool
api_tickets_read_only(struct evhttp_request *req)
{
	enum evhttp_cmd_type method = evhttp_request_get_command(req);

	if (method == EVHTTP_REQ_GET || method == EVHTTP_REQ_HEAD)
		return true;
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
	    "GET, HEAD");
	api_tickets_error(req, HUB_ERR_METHOD_NOT_ALLOWED, NULL, 0);
	return false;
}

/* --- Bearer token ------------------------------------------------------- */

/* Checks Authorization: Bearer TOKEN against the configured token by hash,
 * in constant time. Sends 401 and returns false when it does not match. */
static bool
api_tickets_authorized(struct api_context *api, struct evhttp_request *req)
{
	const char *header = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Authorization");
	uint8_t hash[API_TOKEN_HASH_BYTES];
	const char *token;
	size_t length;

	if (header != NULL && strncasecmp(header, "Bearer ", 7) == 0) {
		token = header + 7;
		while (*token == ' ')
			token++;
		length = strlen(token);
		while (length > 0 && token[length - 1] == ' ')
			length--;
		crypto_generichash(hash, sizeof hash,
		    (const unsigned char *)token, length, NULL, 0);
		if (length > 0 && sodium_memcmp(hash, api->admin_token_hash,
		    sizeof hash) == 0)
			return true;
	}

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "WWW-Authenticate", "Bearer realm=\"citizenhub\"");
	api_tickets_error(req, HUB_ERR_UNAUTHORIZED, "Authorization", 0);
	return false;
}

/* --- GET /api/v1/tickets ------------------------------------------------ */

static bool
api_tickets_parse_count(const char *text, int64_t min, int64_t max,
    int64_t *value)
{
	char *end;
	long long number;

	if (text[0] < '0' || text[0] > '9')
		return false;
	errno = 0;
	number = strtoll(text, &end, 10);
	if (errno != 0 || *end != '\0' || number < min || number > max)
		return false;
	*value = number;
	return true;
}

static bool
api_tickets_valid_status(const char *value)
{
	size_t count = sizeof api_tickets_statuses /
	    sizeof api_tickets_statuses[0];

	for (size_t i = 0; i < count; i++) {
		if (strcmp(value, api_tickets_statuses[i]) == 0)
			return true;
	}
	return false;
}

static bool
api_tickets_valid_channel(const char *value)
{
	size_t length = strlen(value);

	if (length == 0 || length > API_TICKETS_CHANNEL_MAX)
		return false;
	return strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789_-") ==
	    length;
}

static bool
api_tickets_valid_search(const char *value)
{
	return text_valid_utf8(value, strlen(value)) &&
	    text_length(value) <= STORE_SEARCH_QUERY_MAX;
}

/* Applies one query parameter to filter. Returns NULL when it is valid,
 * else the parameter's name for the error. */
static const char *
api_tickets_apply_parameter(const struct evkeyval *parameter,
    struct store_ticket_filter *filter)
{
	const char *key = parameter->key;
	const char *value = parameter->value;
	int64_t number;

	if (strcmp(key, "status") == 0 && api_tickets_valid_status(value))
		filter->status = value;
	else if (strcmp(key, "channel") == 0 &&
	    api_tickets_valid_channel(value))
		filter->channel = value;
	else if (strcmp(key, "before") == 0 &&
	    api_tickets_parse_count(value, 1, INT64_MAX, &number))
		filter->before_id = number;
	else if (strcmp(key, "limit") == 0 &&
	    api_tickets_parse_count(value, 1, API_TICKETS_LIMIT_MAX, &number))
		filter->limit = (int)number;
	else if (strcmp(key, "q") == 0 && api_tickets_valid_search(value))
		filter->search = value;
	else if (strcmp(key, "lang") != 0)
		return strlen(key) < 32 && strspn(key,
		    "abcdefghijklmnopqrstuvwxyz_") == strlen(key) ? key : "query";
	return NULL;
}

/* Whether a parameter before parameter has the same name. */
static bool
api_tickets_repeated(const struct evkeyvalq *params,
    const struct evkeyval *parameter)
{
	const struct evkeyval *earlier;

	for (earlier = params->tqh_first; earlier != parameter;
	    earlier = earlier->next.tqe_next) {
		if (strcmp(earlier->key, parameter->key) == 0)
			return true;
	}
	return false;
}

/* Sends 422 naming the bad parameter, with its bound when it has one. A q
 * of valid UTF-8 can only have been rejected for its length. */
static void
api_tickets_reject(struct evhttp_request *req, const char *bad,
    const char *value)
{
	if (strcmp(bad, "q") == 0 && text_valid_utf8(value, strlen(value)))
		api_tickets_error(req, HUB_ERR_FIELD_TOO_LONG, bad,
		    STORE_SEARCH_QUERY_MAX);
	else if (strcmp(bad, "limit") == 0)
		api_tickets_error(req, HUB_ERR_INVALID_FIELD, bad,
		    API_TICKETS_LIMIT_MAX);
	else
		api_tickets_error(req, HUB_ERR_INVALID_FIELD, bad, 0);
}

/* Fills filter from the query. Sends 422 naming the first bad parameter
 * and returns -1 when one is unknown, repeated or out of range. The filter's
 * strings point into params, which the caller clears. */
static int
api_tickets_parse_query(struct evhttp_request *req, struct evkeyvalq *params,
    struct store_ticket_filter *filter)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	const struct evkeyval *parameter;
	const char *bad;

	TAILQ_INIT(params);
	memset(filter, 0, sizeof *filter);
	filter->limit = API_TICKETS_LIMIT_DEFAULT;
	if (query == NULL)
		return 0;
	if (evhttp_parse_query_str(query, params) != 0) {
		api_tickets_error(req, HUB_ERR_INVALID_FIELD, "query", 0);
		return -1;
	}
	for (parameter = params->tqh_first; parameter != NULL;
	    parameter = parameter->next.tqe_next) {
		bad = api_tickets_apply_parameter(parameter, filter);
		/* A known parameter has a short lower-case name, safe to echo. */
		if (bad == NULL && api_tickets_repeated(params, parameter)) {
			api_tickets_error(req, HUB_ERR_INVALID_FIELD,
			    parameter->key, 0);
			return -1;
		}
		if (bad != NULL) {
			api_tickets_reject(req, bad, parameter->value);
			return -1;
		}
	}
	return 0;
}

static json_t *
api_tickets_next_before(json_t *tickets, int limit)
{
	size_t count = json_array_size(tickets);
	json_t *id;

	if (count == 0 || count < (size_t)limit)
		return json_null();
	id = json_object_get(json_array_get(tickets, count - 1), "id");
	return json_is_integer(id) ? json_incref(id) : json_null();
}

static void
api_tickets_list(struct evhttp_request *req, void *arg)
{
	struct api_context *api = arg;
	struct store_ticket_filter filter;
	struct evkeyvalq params;
	json_t *tickets;

	if (!api_tickets_read_only(req) || !api_tickets_authorized(api, req))
		return;
	if (api_tickets_parse_query(req, &params, &filter) != 0) {
		evhttp_clear_headers(&params);
		return;
	}

	tickets = store_tickets_json(api->store, &filter);
	if (tickets == NULL) {
		log_error("http", "listing tickets for the read API failed");
		api_tickets_error(req, HUB_ERR_INTERNAL, NULL, 0);
	} else {
		/* "o" steals both values. */
		http_send_json(req, 200, json_pack("{s:o, s:o}", "tickets",
		    tickets, "next_before",
		    api_tickets_next_before(tickets, filter.limit)));
	}
	evhttp_clear_headers(&params);
}

/* --- GET /api/v1/tickets/ID --------------------------------------------- */

/* Resolves the path segment to a ticket id: up to nine digits are the
 * internal id, anything else must be a ticket code. Returns 1 found, 0 not
 * found, -1 malformed, -2 on a store error. */
static int
api_tickets_resolve(struct api_context *api, const char *segment,
    int64_t *ticket_id)
{
	char code[TICKET_CODE_PLAIN_SIZE];
	struct store_ticket ticket;
	size_t digits = strspn(segment, "0123456789");
	int found;

	if (digits > 0 && digits <= API_TICKETS_ID_DIGITS_MAX &&
	    segment[digits] == '\0')
		return api_tickets_parse_count(segment, 1, INT64_MAX,
		    ticket_id) ? 1 : 0;
	if (ticket_code_parse(segment, code) != 0)
		return -1;

	memset(&ticket, 0, sizeof ticket);
	found = store_ticket_get_code(api->store, code, &ticket);
	if (found == 1)
		*ticket_id = ticket.id;
	store_ticket_clear(&ticket);
	return found < 0 ? -2 : found;
}

/* Whether the decoded segment of length bytes fits and has neither a slash
 * nor a control character. A decoded NUL ("%00") would otherwise end the
 * segment early as a C string, and "1%00" would read as ticket 1. */
static bool
api_tickets_segment_valid(const char *segment, size_t length)
{
	if (length > API_TICKETS_SEGMENT_MAX)
		return false;
	for (size_t i = 0; i < length; i++) {
		unsigned char c = (unsigned char)segment[i];

		if (c < 0x20 || c == 0x7f || c == '/')
			return false;
	}
	return true;
}

/* The decoded ID segment of the request path, or NULL when it is empty,
 * too long, or has another slash or a control character. Caller frees. */
static char *
api_tickets_segment(struct evhttp_request *req)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	const char *raw;
	char *segment;
	size_t length = 0;

	if (path == NULL || strncmp(path, API_TICKETS_DETAIL_PATH,
	    strlen(API_TICKETS_DETAIL_PATH)) != 0)
		return NULL;
	raw = path + strlen(API_TICKETS_DETAIL_PATH);
	if (raw[0] == '\0' || strchr(raw, '/') != NULL ||
	    strlen(raw) > 3 * API_TICKETS_SEGMENT_MAX)
		return NULL;
	segment = evhttp_uridecode(raw, 0, &length);
	if (segment != NULL && !api_tickets_segment_valid(segment, length)) {
		free(segment);
		return NULL;
	}
	return segment;
}

static void
api_tickets_send_detail(struct api_context *api, struct evhttp_request *req,
    int64_t ticket_id)
{
	json_t *ticket = store_ticket_detail_json(api->store, ticket_id);

	if (ticket == NULL && errno == ENOENT) {
		api_tickets_error(req, HUB_ERR_NOT_FOUND, "id", 0);
		return;
	}
	if (ticket == NULL) {
		log_error("http", "reading a ticket for the read API failed "
		    "ticket=%lld", (long long)ticket_id);
		api_tickets_error(req, HUB_ERR_INTERNAL, NULL, 0);
		return;
	}
	http_send_json(req, 200, json_pack("{s:o}", "ticket", ticket));
}

static void
api_tickets_detail(struct evhttp_request *req, void *arg)
{
	struct api_context *api = arg;
	int64_t ticket_id = 0;
	char *segment;
	int found;

	if (!api_tickets_read_only(req) || !api_tickets_authorized(api, req))
		return;
	segment = api_tickets_segment(req);
	if (segment == NULL) {
		api_tickets_error(req, HUB_ERR_NOT_FOUND, NULL, 0);
		return;
	}
	found = api_tickets_resolve(api, segment, &ticket_id);
	free(segment);

	if (found == -1)
		api_tickets_error(req, HUB_ERR_INVALID_FIELD, "id", 0);
	else if (found == -2)
		api_tickets_error(req, HUB_ERR_INTERNAL, NULL, 0);
	else if (found == 0)
		api_tickets_error(req, HUB_ERR_NOT_FOUND, "id", 0);
	else
		api_tickets_send_detail(api, req, ticket_id);
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
	http_handler_fn list = api_tickets_list;
	http_handler_fn detail = api_tickets_detail;
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
	} else {
		list = detail = api_tickets_not_configured;
	}

	if (http_server_route(api->http, "core", API_TICKETS_PATH,
	    HTTP_ROUTE_EXACT, list, api) != 0 ||
	    http_server_route(api->http, "core", API_TICKETS_DETAIL_PATH,
	    HTTP_ROUTE_PREFIX, detail, api) != 0) {
		snprintf(err, err_size, "cannot mount %s: the path is taken",
		    API_TICKETS_PATH);
		return -1;
	}
	return 0;
}
