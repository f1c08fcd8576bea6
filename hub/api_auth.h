/*
 * The desk API of agents and sessions, mounted on the shared server under
 * the channel label "core":
 *
 *   POST   /api/v1/session        log in: a cookie session or a bearer token
 *   GET    /api/v1/session        the caller
 *   DELETE /api/v1/session        log out (revokes the session or token)
 *   GET    /api/v1/agents         agents the caller may see
 *   POST   /api/v1/agents         create an agent (admin)
 *   GET    /api/v1/agents/ID      one agent
 *   PATCH  /api/v1/agents/ID      change an agent
 *
 * The helpers below are shared by api_session.c and api_agents.c.
 */
#ifndef HUB_API_AUTH_H
#define HUB_API_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "message.h"

struct api_context;
struct evhttp_request;

/* Mounts /api/v1/session, and sets up password hashing (the dummy hash of
 * unknown usernames costs one argon2id hash at start-up). Returns 0, or -1
 * with a message in err. */
int api_session_mount(struct api_context *api, char *err, size_t err_size);

/* Mounts /api/v1/agents and /api/v1/agents/ID. Returns 0, or -1 with a
 * message in err when a path is taken. */
int api_agents_mount(struct api_context *api, char *err, size_t err_size);

/* Sends the error of code, naming field (NULL for none) and limit (0 for
 * none). */
void api_auth_error(struct evhttp_request *req, enum hub_error_code code,
    const char *field, long limit);

/* Sends 405 with Allow: allow. */
void api_auth_method_not_allowed(struct evhttp_request *req,
    const char *allow);

/* Reads the request body as a JSON object. Returns a new reference, or
 * NULL when an error was sent (415, 413, 400). */
json_t *api_auth_body(struct api_context *api, struct evhttp_request *req);

/* Checks that every member of object is in names (NULL-terminated).
 * Returns true, or sends 422 naming the first other member and returns
 * false. */
bool api_auth_known_members(struct evhttp_request *req, json_t *object,
    const char *const *names);

/* Sends a 429 login_locked for seconds more, naming field (NULL for
 * none), with Retry-After. */
void api_auth_locked(struct evhttp_request *req, const char *field,
    long seconds);

#endif
