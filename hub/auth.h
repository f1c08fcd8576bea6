/*
 * Who is calling the desk API: agents with a role (agent, supervisor,
 * admin) and the departments they belong to, identified by a session cookie
 * with a CSRF token (browsers), a bearer token (API clients), or the
 * bootstrap admin token of admin.token_file.
 *
 * Session and bearer tokens are random; the store keeps only their keyed
 * BLAKE2b hash under the store's session key, so a request costs one hash
 * and one indexed read, never a password hash.
 */
#ifndef HUB_AUTH_H
#define HUB_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct api_context;
struct evhttp_request;

enum auth_role {
	AUTH_ROLE_AGENT,
	AUTH_ROLE_SUPERVISOR,
	AUTH_ROLE_ADMIN,
};

#define AUTH_USERNAME_MAX 64		/* bytes, without the NUL */
#define AUTH_DEPARTMENTS_MAX 32
#define AUTH_DEPARTMENT_ID_MAX 64	/* bytes, without the NUL */

/* The caller of one request. */
struct auth_agent {
	int64_t id;		/* 0 for the bootstrap admin token */
	char username[AUTH_USERNAME_MAX + 1];	/* "admin-token" for it */
	enum auth_role role;
	size_t department_count;
	char departments[AUTH_DEPARTMENTS_MAX][AUTH_DEPARTMENT_ID_MAX + 1];
	bool via_cookie;	/* a browser session: writes need CSRF */
};

/* Identifies the caller of req from its session cookie, its bearer token
 * or the admin token. A request other than GET or HEAD on a cookie session
 * must carry the session's CSRF token in X-CSRF-Token. On failure it sends
 * 401 (no, expired or revoked credential) or 403 (missing or wrong CSRF
 * token, disabled agent) and returns false. The caller then sends nothing
 * else. */
bool auth_request(struct api_context *api, struct evhttp_request *req,
    struct auth_agent *agent);

/* Whether agent may see tickets of department (NULL: a ticket with no
 * department, which only admins see). Admins see every department;
 * agents and supervisors the departments they belong to. */
bool auth_sees_department(const struct auth_agent *agent,
    const char *department);

/* Whether agent has at least role. */
bool auth_has_role(const struct auth_agent *agent, enum auth_role role);

/* Sends 403 saying that the caller's role or departments do not allow the
 * action, and returns false, so handlers can "return auth_forbid(req);". */
bool auth_forbid(struct evhttp_request *req);

/* The actor written in audit events: "agent:ID:USERNAME", or
 * "admin-token" for the bootstrap token. */
void auth_actor(const struct auth_agent *agent, char *out, size_t size);

/* "agent", "supervisor" or "admin"; auth_role_parse returns 0 and sets role,
 * or -1 for another text. */
const char *auth_role_name(enum auth_role role);
int auth_role_parse(const char *text, enum auth_role *role);

#endif
