/*
 * POST, GET and DELETE /api/v1/session: logging in with a username and a
 * password, the caller's identity, and logging out.
 *
 * A login runs in three steps. A store job checks the lockout and counts
 * the attempt as a failure. A worker verifies the password, because
 * argon2id costs tens of milliseconds and 64 MiB of memory, too much for
 * the event loop. For a good password a second store job takes the
 * failure back and stores the session. Each reply goes out after the job
 * before it committed, so a failure counts before the client can try
 * again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/http.h>
#include <sodium.h>

#include "api.h"
#include "api_auth.h"
#include "auth_internal.h"
#include "clock.h"
#include "config.h"
#include "http_server.h"
#include "log.h"
#include "store_auth.h"
#include "text.h"
#include "worker.h"

#define API_SESSION_PATH "/api/v1/session"
#define API_SESSION_ALLOW "GET, HEAD, POST, DELETE"
/* Old sessions and lockout rows are deleted at most this often. */
#define API_SESSION_PRUNE_INTERVAL_MS (10 * 60 * 1000)
/* Revoked and expired sessions are kept this long, so that their tokens
 * get session_expired rather than unauthorized. */
#define API_SESSION_KEEP_MS (24 * 3600 * 1000LL)
#define API_SESSION_COOKIE_MAX 256

struct api_login {
	struct api_context *api;
	struct evhttp_request *req;
	struct store_job job;
	int64_t now;
	bool bearer;
	bool prune;

	/* The account: agent_id is 0 for an unknown username. */
	int64_t agent_id;
	bool disabled;
	bool has_hash;
	char hash[AUTH_PASSWORD_HASH_SIZE];
	char *password;
	bool verified;		/* set by the worker */
	int64_t locked_user;	/* seconds left of a lock, 0 for none */
	int64_t locked_address;
	/* The address's row before and after the attempt counted it. */
	struct auth_lockout_state address_before;
	struct auth_lockout_state address_counted;

	char user_key[AUTH_LOCKOUT_KEY_SIZE];
	char address_key[AUTH_LOCKOUT_KEY_SIZE];
	char address[HTTP_ADDRESS_SIZE];

	/* A successful login's tokens. */
	char token[AUTH_TOKEN_TEXT_SIZE];
	char csrf[AUTH_TOKEN_TEXT_SIZE];
	uint8_t token_hash[AUTH_TOKEN_HASH_BYTES];
	uint8_t csrf_hash[AUTH_TOKEN_HASH_BYTES];
	struct store_session_new session;
	char actor[AUTH_USERNAME_MAX + 32];
};

static int64_t api_session_pruned_at;

static void
api_login_free(struct api_login *login)
{
	auth_password_free(login->password);
	sodium_memzero(login, sizeof *login);
	free(login);
}

/* --- Policies ------------------------------------------------------------- */

static struct auth_lockout_policy
api_session_policy(const struct hub_config_auth *auth, bool address)
{
	return (struct auth_lockout_policy){
		.failures = address ? auth->lockout_address_failures :
		    auth->lockout_failures,
		.window_ms = (int64_t)auth->lockout_window_seconds * 1000,
		.lock_ms = (int64_t)auth->lockout_seconds * 1000,
	};
}

/* The lifetime of a new session or token, in milliseconds. */
static int64_t
api_session_lifetime(const struct hub_config_auth *auth, bool bearer)
{
	if (bearer)
		return (int64_t)auth->bearer_days * 24 * 3600 * 1000;
	return (int64_t)auth->session_max_hours * 3600 * 1000;
}

/* --- Replies -------------------------------------------------------------- */

/* The caller as JSON: the bootstrap admin token has no row. */
static json_t *
api_session_agent_json(struct api_context *api, const struct auth_agent *agent)
{
	struct store_agent row;

	if (agent->id == 0)
		return json_pack("{s:i, s:s, s:s, s:s, s:[], s:b, s:b, s:s}",
		    "id", 0, "username", agent->username,
		    "display_name", agent->username, "role", "admin",
		    "departments", "available", 0, "disabled", 0,
		    "language", "vi");
	if (store_agent_get(api->store, agent->id, &row) != 1)
		return NULL;
	return store_agent_json(&row);
}

static json_t *
api_session_time(int64_t ms)
{
	char text[CLOCK_ISO8601_SIZE];

	if (ms == 0 || clock_format_vietnam(ms, text) != 0)
		return json_null();
	return json_string(text);
}

/* Sets the session cookie; an empty token with max_age 0 deletes it. */
static void
api_session_cookie(struct api_context *api, struct evhttp_request *req,
    const char *token, int64_t max_age)
{
	const char *url = api->config->public_url;
	bool secure = url != NULL && strncasecmp(url, "https://", 8) == 0;
	char cookie[API_SESSION_COOKIE_MAX];

	snprintf(cookie, sizeof cookie, "%s=%s; HttpOnly; SameSite=Strict; "
	    "Path=/; Max-Age=%lld%s", AUTH_COOKIE_NAME, token,
	    (long long)max_age, secure ? "; Secure" : "");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Set-Cookie",
	    cookie);
}

static void
api_session_no_store(struct evhttp_request *req)
{
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cache-Control", "no-store");
}

/* --- Login: replies ------------------------------------------------------- */

static void
api_login_reply_created(struct api_login *login)
{
	struct auth_agent agent = { .id = login->agent_id };
	json_t *agent_json = api_session_agent_json(login->api, &agent);
	json_t *body;

	if (agent_json == NULL) {
		api_auth_error(login->req, HUB_ERR_INTERNAL, NULL, 0);
		return;
	}
	/* "o" steals agent_json and the time. */
	body = json_pack("{s:o, s:s, s:o}", "agent", agent_json,
	    login->bearer ? "token" : "csrf_token",
	    login->bearer ? login->token : login->csrf,
	    "expires_at", api_session_time(login->session.expires_at));
	if (!login->bearer)
		api_session_cookie(login->api, login->req, login->token,
		    api_session_lifetime(&login->api->config->auth, false) /
		    1000);
	api_session_no_store(login->req);
	http_send_json(login->req, 201, body);
}

/* --- Login: the session, after a verified password ------------------------ */

/*
 * Clears the username's counter and takes back the failure that the
 * attempt counted for the address, so that successful logins from one
 * office do not lock it. A lock of the address set since the attempt
 * counted goes too (auth_lockout_forgive), so that a success never leaves
 * a lock that it did not find.
 */
static int
api_login_success_apply(struct store_tx *tx, void *arg)
{
	struct api_login *login = arg;
	struct auth_lockout_state state;
	char detail[64];
	int found;

	if (store_tx_lockout_clear(tx, login->user_key) != 0)
		return -1;
	if (login->address_key[0] != '\0') {
		if ((found = store_tx_lockout_get(tx, login->address_key,
		    &state)) < 0)
			return -1;
		if (found == 1 && auth_lockout_forgive(&state,
		    &login->address_before, &login->address_counted) &&
		    store_tx_lockout_put(tx, login->address_key, &state) != 0)
			return -1;
	}
	if (store_tx_session_create(tx, &login->session) != 0)
		return -1;
	snprintf(detail, sizeof detail, "{\"kind\":\"%s\",\"session_id\":%lld}",
	    login->bearer ? "bearer" : "cookie", (long long)login->session.id);
	return store_tx_agent_audit(tx, login->agent_id, login->actor,
	    "session.created", detail);
}

static void
api_login_stored(int result, void *arg)
{
	struct api_login *login = arg;

	if (result != 0) {
		log_error("auth", "storing a login failed agent=%lld",
		    (long long)login->agent_id);
		api_auth_error(login->req, HUB_ERR_INTERNAL, NULL, 0);
	} else {
		log_info("auth", "login agent=%lld kind=%s session=%lld",
		    (long long)login->agent_id,
		    login->bearer ? "bearer" : "cookie",
		    (long long)login->session.id);
		api_login_reply_created(login);
	}
	api_login_free(login);
}

/* Makes the tokens of a verified login and their hashes. */
static void
api_login_prepare_session(struct api_login *login)
{
	const uint8_t *key = store_session_key(login->api->store);

	auth_token_generate(login->token);
	auth_token_hash(key, login->token, strlen(login->token),
	    login->token_hash);
	if (!login->bearer) {
		auth_token_generate(login->csrf);
		auth_token_hash(key, login->csrf, strlen(login->csrf),
		    login->csrf_hash);
	}
	login->session = (struct store_session_new){
		.agent_id = login->agent_id,
		.bearer = login->bearer,
		.token_hash = login->token_hash,
		.csrf_hash = login->bearer ? NULL : login->csrf_hash,
		.address = login->address[0] != '\0' ? login->address : NULL,
		.now = login->now,
		.expires_at = login->now + api_session_lifetime(
		    &login->api->config->auth, login->bearer),
	};
}

/* --- Login: the password check on a worker -------------------------------- */

static void
api_login_verify(void *arg)
{
	struct api_login *login = arg;

	login->verified = auth_password_verify(login->has_hash ? login->hash :
	    NULL, login->password) && !login->disabled && login->agent_id != 0;
}

static void
api_login_verified(void *arg)
{
	struct api_login *login = arg;

	auth_password_free(login->password);
	login->password = NULL;
	if (!login->verified) {
		/* The attempt already counted as a failure. */
		api_auth_error(login->req, HUB_ERR_LOGIN_FAILED, NULL, 0);
		api_login_free(login);
		return;
	}
	/* The clock moves while the worker runs. */
	login->now = clock_now_ms();
	api_login_prepare_session(login);
	login->job = (struct store_job){ .apply = api_login_success_apply,
	    .done = api_login_stored, .arg = login };
	if (store_submit(login->api->store, &login->job) != 0) {
		api_auth_error(login->req, HUB_ERR_UNAVAILABLE, NULL, 0);
		api_login_free(login);
	}
}

/* --- Login: the lockout, before the password check -------------------------- */

/* Counts a failure in state, which belongs to key. */
static int
api_login_count(struct store_tx *tx, const char *key,
    const struct auth_lockout_policy *policy,
    struct auth_lockout_state *state, int64_t now)
{
	if (auth_lockout_record(policy, state, now))
		log_info("auth", "login locked key_kind=%.4s failures=%lld",
		    key, (long long)state->failures);
	return store_tx_lockout_put(tx, key, state);
}

/*
 * Checks the locks of the username and of the address. Unless one holds,
 * counts the attempt as a failure of both before the password is checked,
 * and a success takes the failures back later. Jobs run one at a time on
 * the store thread, so attempts sent in parallel cannot pass the threshold
 * while their passwords are being checked. The reply is the same whether
 * or not the username exists.
 */
static int
api_login_attempt_apply(struct store_tx *tx, void *arg)
{
	struct api_login *login = arg;
	const struct hub_config_auth *auth = &login->api->config->auth;
	struct auth_lockout_policy user = api_session_policy(auth, false);
	struct auth_lockout_policy address = api_session_policy(auth, true);
	struct auth_lockout_state user_state, address_state;
	bool has_address = login->address_key[0] != '\0';

	if (login->prune && (store_tx_lockout_prune(tx, user.window_ms,
	    login->now) != 0 || store_tx_sessions_prune(tx,
	    login->now - API_SESSION_KEEP_MS) != 0))
		return -1;

	memset(&address_state, 0, sizeof address_state);
	if (store_tx_lockout_get(tx, login->user_key, &user_state) < 0 ||
	    (has_address && store_tx_lockout_get(tx, login->address_key,
	    &address_state) < 0))
		return -1;
	login->locked_user = auth_lockout_remaining(&user_state, login->now);
	login->locked_address = auth_lockout_remaining(&address_state,
	    login->now);
	if (login->locked_user > 0 || login->locked_address > 0)
		return 0;

	if (api_login_count(tx, login->user_key, &user, &user_state,
	    login->now) != 0)
		return -1;
	if (!has_address)
		return 0;
	login->address_before = address_state;
	if (api_login_count(tx, login->address_key, &address, &address_state,
	    login->now) != 0)
		return -1;
	login->address_counted = address_state;
	return 0;
}

static void
api_login_attempted(int result, void *arg)
{
	struct api_login *login = arg;

	if (result != 0) {
		log_error("auth", "counting a login attempt failed");
		api_auth_error(login->req, HUB_ERR_INTERNAL, NULL, 0);
	} else if (login->locked_user > 0) {
		api_auth_locked(login->req, "username",
		    (long)login->locked_user);
	} else if (login->locked_address > 0) {
		api_auth_locked(login->req, "address",
		    (long)login->locked_address);
	} else if (worker_pool_submit(login->api->workers, api_login_verify,
	    api_login_verified, login) != 0) {
		api_auth_error(login->req, HUB_ERR_UNAVAILABLE, NULL, 0);
	} else {
		return;
	}
	api_login_free(login);
}

/* --- Login: the request ---------------------------------------------------- */

/* Reads the members of the login body into login. Returns false when an
 * error was sent. */
static bool
api_login_parse(struct api_login *login, json_t *body, const char **username)
{
	static const char *const members[] = { "username", "password",
	    "token", NULL };
	json_t *user = json_object_get(body, "username");
	json_t *password = json_object_get(body, "password");
	json_t *token = json_object_get(body, "token");
	enum hub_error_code code;
	long limit;

	if (!api_auth_known_members(login->req, body, members))
		return false;
	if (user == NULL || password == NULL) {
		api_auth_error(login->req, HUB_ERR_MISSING_FIELD,
		    user == NULL ? "username" : "password", 0);
		return false;
	}
	if (!json_is_string(user) || !json_is_string(password) ||
	    (token != NULL && !json_is_string(token))) {
		api_auth_error(login->req, HUB_ERR_INVALID_FIELD,
		    !json_is_string(user) ? "username" :
		    !json_is_string(password) ? "password" : "token", 0);
		return false;
	}
	if (token != NULL && strcmp(json_string_value(token), "cookie") != 0 &&
	    strcmp(json_string_value(token), "bearer") != 0) {
		api_auth_error(login->req, HUB_ERR_INVALID_FIELD, "token", 0);
		return false;
	}
	login->bearer = token != NULL &&
	    strcmp(json_string_value(token), "bearer") == 0;

	*username = json_string_value(user);
	if (auth_lockout_username_key(*username, login->user_key) != 0) {
		api_auth_error(login->req, HUB_ERR_FIELD_TOO_LONG, "username",
		    AUTH_USERNAME_MAX);
		return false;
	}
	/* A password that no account can have still costs one verification,
	 * so its reply takes as long as any other failure. */
	login->password = auth_password_prepare(json_string_value(password),
	    json_string_length(password), &code, &limit);
	if (login->password == NULL)
		login->password = strdup("");
	if (login->password == NULL) {
		api_auth_error(login->req, HUB_ERR_INTERNAL, NULL, 0);
		return false;
	}
	return true;
}

/* Looks the account up; an unknown or malformed username leaves agent_id
 * at 0. Returns false when an error was sent. */
static bool
api_login_find(struct api_login *login, const char *username)
{
	char normalized[AUTH_USERNAME_MAX + 1];
	struct store_agent agent;
	int found;

	if (auth_username_normalize(username, normalized) != 0)
		return true;
	found = store_agent_find(login->api->store, normalized, &agent,
	    login->hash);
	if (found < 0) {
		api_auth_error(login->req, HUB_ERR_INTERNAL, NULL, 0);
		return false;
	}
	if (found == 1) {
		login->agent_id = agent.id;
		login->disabled = agent.disabled;
		login->has_hash = true;
		snprintf(login->actor, sizeof login->actor, "agent:%lld:%s",
		    (long long)agent.id, agent.username);
	}
	return true;
}

static void
api_session_login(struct api_context *api, struct evhttp_request *req)
{
	struct api_login *login;
	const char *username;
	json_t *body;

	if ((body = api_auth_body(api, req)) == NULL)
		return;
	login = calloc(1, sizeof *login);
	if (login == NULL) {
		json_decref(body);
		api_auth_error(req, HUB_ERR_INTERNAL, NULL, 0);
		return;
	}
	login->api = api;
	login->req = req;
	login->now = clock_now_ms();
	if (http_client_address(api->http, req, login->address) != NULL)
		auth_lockout_address_key(login->address, login->address_key);
	else
		login->address[0] = '\0';

	if (!api_login_parse(login, body, &username) ||
	    !api_login_find(login, username)) {
		json_decref(body);
		api_login_free(login);
		return;
	}
	json_decref(body);

	if (login->now - api_session_pruned_at >= API_SESSION_PRUNE_INTERVAL_MS) {
		login->prune = true;
		api_session_pruned_at = login->now;
	}
	login->job = (struct store_job){ .apply = api_login_attempt_apply,
	    .done = api_login_attempted, .arg = login };
	if (store_submit(api->store, &login->job) != 0) {
		api_auth_error(req, HUB_ERR_UNAVAILABLE, NULL, 0);
		api_login_free(login);
	}
}

/* --- GET and DELETE ---------------------------------------------------------- */

static void
api_session_show(struct api_context *api, struct evhttp_request *req)
{
	struct store_session session;
	struct auth_agent agent;
	json_t *agent_json;

	if (!auth_identify(api, req, &agent, &session))
		return;
	agent_json = api_session_agent_json(api, &agent);
	if (agent_json == NULL) {
		api_auth_error(req, HUB_ERR_INTERNAL, NULL, 0);
		return;
	}
	api_session_no_store(req);
	http_send_json(req, 200, json_pack("{s:o, s:s, s:o}", "agent",
	    agent_json, "kind", session.id == 0 ? "admin_token" :
	    session.bearer ? "bearer" : "cookie", "expires_at",
	    api_session_time(session.expires_at)));
}

struct api_logout {
	struct api_context *api;
	struct evhttp_request *req;
	struct store_job job;
	int64_t session_id;
	int64_t agent_id;
	bool via_cookie;
	int64_t now;
	char actor[AUTH_USERNAME_MAX + 32];
};

static int
api_logout_apply(struct store_tx *tx, void *arg)
{
	struct api_logout *logout = arg;
	char detail[64];

	if (store_tx_session_revoke(tx, logout->session_id, logout->now) != 0)
		return -1;
	snprintf(detail, sizeof detail, "{\"session_id\":%lld}",
	    (long long)logout->session_id);
	return store_tx_agent_audit(tx, logout->agent_id, logout->actor,
	    "session.revoked", detail);
}

static void
api_logout_done(int result, void *arg)
{
	struct api_logout *logout = arg;

	if (result != 0) {
		api_auth_error(logout->req, HUB_ERR_INTERNAL, NULL, 0);
	} else {
		if (logout->via_cookie)
			api_session_cookie(logout->api, logout->req, "", 0);
		http_send_text(logout->req, 204, "application/json", "", 0);
	}
	free(logout);
}

static void
api_session_logout(struct api_context *api, struct evhttp_request *req)
{
	struct store_session session;
	struct auth_agent agent;
	struct api_logout *logout;

	if (!auth_identify(api, req, &agent, &session))
		return;
	if (session.id == 0) {
		/* The bootstrap token ends only when admin.token_file
		 * changes. */
		api_auth_error(req, HUB_ERR_CONFLICT, "Authorization", 0);
		return;
	}
	logout = calloc(1, sizeof *logout);
	if (logout == NULL) {
		api_auth_error(req, HUB_ERR_INTERNAL, NULL, 0);
		return;
	}
	*logout = (struct api_logout){ .api = api, .req = req,
	    .session_id = session.id, .agent_id = agent.id,
	    .via_cookie = agent.via_cookie, .now = clock_now_ms() };
	auth_actor(&agent, logout->actor, sizeof logout->actor);
	logout->job = (struct store_job){ .apply = api_logout_apply,
	    .done = api_logout_done, .arg = logout };
	if (store_submit(api->store, &logout->job) != 0) {
		api_auth_error(req, HUB_ERR_UNAVAILABLE, NULL, 0);
		free(logout);
	}
}

static void
api_session_handle(struct evhttp_request *req, void *arg)
{
	struct api_context *api = arg;

	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_POST:
		api_session_login(api, req);
		break;
	case EVHTTP_REQ_GET:
	case EVHTTP_REQ_HEAD:
		api_session_show(api, req);
		break;
	case EVHTTP_REQ_DELETE:
		api_session_logout(api, req);
		break;
	default:
		api_auth_method_not_allowed(req, API_SESSION_ALLOW);
		break;
	}
}

int
api_session_mount(struct api_context *api, char *err, size_t err_size)
{
	if (sodium_init() < 0) {
		snprintf(err, err_size, "libsodium failed to start");
		return -1;
	}
	if (auth_password_setup(api->config->auth.password_moderate) != 0) {
		snprintf(err, err_size, "computing the dummy password hash "
		    "failed: out of memory");
		return -1;
	}
	if (http_server_route(api->http, "core", API_SESSION_PATH,
	    HTTP_ROUTE_EXACT, api_session_handle, api) != 0) {
		snprintf(err, err_size, "cannot mount %s: the path is taken",
		    API_SESSION_PATH);
		return -1;
	}
	return 0;
}
