/*
 * Identifies the caller of a desk API request: the bootstrap admin token,
 * a bearer token or a session cookie, each checked against the store on
 * every request, so that a change made by citizenhubctl or another request
 * (a disabled agent, a revoked session) applies to the next request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sodium.h>

#include "api.h"
#include "auth_internal.h"
#include "clock.h"
#include "config.h"
#include "http_server.h"
#include "log.h"
#include "store_auth.h"

/* last_seen_at is written at most this often for one session. */
#define AUTH_TOUCH_INTERVAL_MS 60000
/* Sessions whose last write of last_seen_at is remembered, so that
 * concurrent requests of one session submit one write. */
#define AUTH_TOUCH_RECENT 32

static const char *const auth_role_names[] = {
	[AUTH_ROLE_AGENT] = "agent",
	[AUTH_ROLE_SUPERVISOR] = "supervisor",
	[AUTH_ROLE_ADMIN] = "admin",
};

const char *
auth_role_name(enum auth_role role)
{
	if ((unsigned int)role > AUTH_ROLE_ADMIN)
		return "agent";
	return auth_role_names[role];
}

int
auth_role_parse(const char *text, enum auth_role *role)
{
	for (int i = AUTH_ROLE_AGENT; i <= AUTH_ROLE_ADMIN; i++) {
		if (strcmp(text, auth_role_names[i]) == 0) {
			*role = (enum auth_role)i;
			return 0;
		}
	}
	return -1;
}

bool
auth_has_role(const struct auth_agent *agent, enum auth_role role)
{
	return agent->role >= role;
}

bool
auth_sees_department(const struct auth_agent *agent, const char *department)
{
	if (agent->role == AUTH_ROLE_ADMIN)
		return true;
	if (department == NULL)
		return false;
	for (size_t i = 0; i < agent->department_count; i++) {
		if (strcmp(agent->departments[i], department) == 0)
			return true;
	}
	return false;
}

static void
auth_error(struct evhttp_request *req, enum hub_error_code code,
    const char *field)
{
	struct hub_error error;

	if (code == HUB_ERR_UNAUTHORIZED || code == HUB_ERR_SESSION_EXPIRED)
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "WWW-Authenticate", "Bearer realm=\"citizenhub\"");
	hub_error_set(&error, code, field, 0);
	http_send_error(req, &error);
}

bool
auth_forbid(struct evhttp_request *req)
{
	auth_error(req, HUB_ERR_FORBIDDEN, NULL);
	return false;
}

void
auth_actor(const struct auth_agent *agent, char *out, size_t size)
{
	if (agent->id == 0)
		snprintf(out, size, "%s", AUTH_ADMIN_TOKEN_USERNAME);
	else
		snprintf(out, size, "agent:%lld:%s", (long long)agent->id,
		    agent->username);
}

void
auth_agent_bootstrap(struct auth_agent *agent)
{
	memset(agent, 0, sizeof *agent);
	agent->id = 0;
	snprintf(agent->username, sizeof agent->username, "%s",
	    AUTH_ADMIN_TOKEN_USERNAME);
	agent->role = AUTH_ROLE_ADMIN;
}

/* --- Credentials ---------------------------------------------------------- */

/* Finds the value of the session cookie in the Cookie headers. */
static const char *
auth_cookie_find(struct evhttp_request *req, size_t *length)
{
	struct evkeyvalq *headers = evhttp_request_get_input_headers(req);
	size_t name_length = strlen(AUTH_COOKIE_NAME);
	struct evkeyval *header;

	TAILQ_FOREACH(header, headers, next) {
		const char *pair = header->value;

		if (strcasecmp(header->key, "Cookie") != 0)
			continue;
		while (*pair != '\0') {
			pair += strspn(pair, " \t;");
			if (strncmp(pair, AUTH_COOKIE_NAME, name_length) == 0 &&
			    pair[name_length] == '=') {
				pair += name_length + 1;
				*length = strcspn(pair, "; \t");
				return pair;
			}
			pair += strcspn(pair, ";");
		}
	}
	return NULL;
}

/* Whether token is the bootstrap admin token, compared by hash in
 * constant time as api_tickets.c does. */
static bool
auth_is_admin_token(struct api_context *api, const char *token, size_t length)
{
	uint8_t hash[API_TOKEN_HASH_BYTES];

	if (!api->admin_enabled || length == 0)
		return false;
	crypto_generichash(hash, sizeof hash, (const unsigned char *)token,
	    length, NULL, 0);
	return sodium_memcmp(hash, api->admin_token_hash, sizeof hash) == 0;
}

/* Finds the bearer token of the Authorization header, trimmed. Returns
 * false when the header is there without the Bearer scheme. */
static bool
auth_bearer_find(const char *header, const char **token, size_t *length)
{
	if (strncasecmp(header, "Bearer ", 7) != 0)
		return false;
	header += 7;
	while (*header == ' ')
		header++;
	*token = header;
	*length = strlen(header);
	while (*length > 0 && header[*length - 1] == ' ')
		(*length)--;
	return true;
}

/* --- last_seen_at ----------------------------------------------------------- */

struct auth_touch {
	struct store_job job;
	int64_t session_id;
	int64_t now;
};

static struct {
	int64_t session_id;
	int64_t at;
} auth_touch_recent[AUTH_TOUCH_RECENT];

static int
auth_touch_apply(struct store_tx *tx, void *arg)
{
	struct auth_touch *touch = arg;

	return store_tx_session_touch(tx, touch->session_id, touch->now);
}

static void
auth_touch_done(int result, void *arg)
{
	struct auth_touch *touch = arg;

	if (result != 0)
		log_warn("auth", "updating last_seen_at failed session=%lld",
		    (long long)touch->session_id);
	free(touch);
}

/* Whether a write of last_seen_at for session_id was submitted since
 * since; remembers now as its time otherwise. */
static bool
auth_touch_recently(int64_t session_id, int64_t since, int64_t now)
{
	size_t slot = (size_t)session_id % AUTH_TOUCH_RECENT;

	if (auth_touch_recent[slot].session_id == session_id &&
	    auth_touch_recent[slot].at > since)
		return true;
	auth_touch_recent[slot].session_id = session_id;
	auth_touch_recent[slot].at = now;
	return false;
}

/* How often last_seen_at of session is written at most: a minute, or a
 * quarter of the idle timeout when that is shorter. */
static int64_t
auth_touch_interval(struct api_context *api,
    const struct store_session *session)
{
	int64_t idle_ms = (int64_t)api->config->auth.session_idle_seconds * 1000;

	if (!session->bearer && idle_ms / 4 < AUTH_TOUCH_INTERVAL_MS)
		return idle_ms / 4;
	return AUTH_TOUCH_INTERVAL_MS;
}

/* Moves the session's last_seen_at forward through a store job, without
 * waiting for it, once per interval. */
static void
auth_touch(struct api_context *api, const struct store_session *session,
    int64_t now)
{
	int64_t interval = auth_touch_interval(api, session);
	struct auth_touch *touch;

	if (now - session->last_seen_at < interval ||
	    auth_touch_recently(session->id, now - interval, now))
		return;

	touch = calloc(1, sizeof *touch);
	if (touch == NULL)
		return;
	touch->session_id = session->id;
	touch->now = now;
	touch->job = (struct store_job){ .apply = auth_touch_apply,
	    .done = auth_touch_done, .arg = touch };
	if (store_submit(api->store, &touch->job) != 0)
		free(touch);
}

/* --- Identification ------------------------------------------------------- */

static bool
auth_csrf_valid(struct api_context *api, struct evhttp_request *req,
    const struct store_session *session)
{
	const char *token = evhttp_find_header(
	    evhttp_request_get_input_headers(req), AUTH_CSRF_HEADER);
	uint8_t hash[AUTH_TOKEN_HASH_BYTES];

	if (token == NULL || !session->has_csrf ||
	    !auth_token_well_formed(token, strlen(token)))
		return false;
	auth_token_hash(store_session_key(api->store), token, strlen(token),
	    hash);
	return sodium_memcmp(hash, session->csrf_hash, sizeof hash) == 0;
}

/*
 * Whether the session has ended. last_seen_at lags the last request by up
 * to the touch interval, so a cookie session ends after between the idle
 * timeout and the idle timeout plus that interval without requests.
 */
static bool
auth_session_expired(struct api_context *api,
    const struct store_session *session, int64_t now)
{
	int64_t idle_ms = (int64_t)api->config->auth.session_idle_seconds * 1000;

	if (session->revoked_at != 0 || now >= session->expires_at)
		return true;
	return !session->bearer && now - session->last_seen_at >
	    idle_ms + auth_touch_interval(api, session);
}

/* Fills agent from the agents row of the session. Returns false (error
 * sent) when the row cannot be read. */
static bool
auth_agent_load(struct api_context *api, struct evhttp_request *req,
    int64_t agent_id, struct auth_agent *agent)
{
	struct store_agent row;

	if (store_agent_get(api->store, agent_id, &row) != 1) {
		log_error("auth", "reading the agent of a session failed "
		    "agent=%lld", (long long)agent_id);
		auth_error(req, HUB_ERR_INTERNAL, NULL);
		return false;
	}
	agent->id = row.id;
	memcpy(agent->username, row.username, sizeof agent->username);
	agent->role = row.role;
	agent->department_count = row.department_count;
	memcpy(agent->departments, row.departments, sizeof agent->departments);
	return true;
}

static bool
auth_method_reads(struct evhttp_request *req)
{
	enum evhttp_cmd_type method = evhttp_request_get_command(req);

	return method == EVHTTP_REQ_GET || method == EVHTTP_REQ_HEAD;
}

/* Checks the session of a token found in the request. */
static bool
auth_session_check(struct api_context *api, struct evhttp_request *req,
    const char *token, size_t length, bool via_cookie,
    struct auth_agent *agent, struct store_session *session)
{
	const char *field = via_cookie ? "Cookie" : "Authorization";
	uint8_t hash[AUTH_TOKEN_HASH_BYTES];
	int64_t now = clock_now_ms();
	int found;

	if (!auth_token_well_formed(token, length)) {
		auth_error(req, HUB_ERR_UNAUTHORIZED, field);
		return false;
	}
	auth_token_hash(store_session_key(api->store), token, length, hash);
	found = store_session_find(api->store, hash, session);
	if (found < 0) {
		auth_error(req, HUB_ERR_INTERNAL, NULL);
		return false;
	}
	/* A cookie session's token works only as a cookie, because only
	 * there is it covered by the CSRF check, and a bearer token only in
	 * Authorization. */
	if (found == 0 || session->bearer == via_cookie) {
		auth_error(req, HUB_ERR_UNAUTHORIZED, field);
		return false;
	}
	if (auth_session_expired(api, session, now)) {
		auth_error(req, HUB_ERR_SESSION_EXPIRED, NULL);
		return false;
	}
	if (session->agent_disabled)
		return auth_forbid(req);
	if (via_cookie && !auth_method_reads(req) &&
	    !auth_csrf_valid(api, req, session)) {
		auth_error(req, HUB_ERR_CSRF, AUTH_CSRF_HEADER);
		return false;
	}
	if (!auth_agent_load(api, req, session->agent_id, agent))
		return false;
	agent->via_cookie = via_cookie;
	auth_touch(api, session, now);
	return true;
}

bool
auth_identify(struct api_context *api, struct evhttp_request *req,
    struct auth_agent *agent, struct store_session *session)
{
	const char *header = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Authorization");
	const char *token;
	size_t length = 0;

	memset(agent, 0, sizeof *agent);
	memset(session, 0, sizeof *session);
	if (header != NULL) {
		if (!auth_bearer_find(header, &token, &length)) {
			auth_error(req, HUB_ERR_UNAUTHORIZED, "Authorization");
			return false;
		}
		if (auth_is_admin_token(api, token, length)) {
			auth_agent_bootstrap(agent);
			return true;
		}
		return auth_session_check(api, req, token, length, false,
		    agent, session);
	}

	token = auth_cookie_find(req, &length);
	if (token == NULL) {
		auth_error(req, HUB_ERR_UNAUTHORIZED, NULL);
		return false;
	}
	return auth_session_check(api, req, token, length, true, agent,
	    session);
}

bool
auth_request(struct api_context *api, struct evhttp_request *req,
    struct auth_agent *agent)
{
	struct store_session session;

	return auth_identify(api, req, agent, &session);
}
