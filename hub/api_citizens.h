/*
 * The desk API of citizens, contacts and the audit trail, mounted on the
 * shared server under the channel label "core":
 *
 *   GET    /api/v1/citizens?phone=|email=|q=   find citizens
 *   GET    /api/v1/citizens/ID                 one citizen
 *   POST   /api/v1/citizens/ID/merge           merge another into it
 *   GET    /api/v1/citizens/ID/export          everything held (admin)
 *   POST   /api/v1/citizens/ID/erase           anonymize (admin)
 *   POST   /api/v1/contacts/ID/block           block a contact
 *   DELETE /api/v1/contacts/ID/block           unblock it
 *   GET    /api/v1/audit                       the audit trail (admin)
 *
 * Every read of a citizen's data records an audit event in a store job, and
 * the reply is sent only after that job committed, so no read goes
 * unrecorded. The helpers below are shared by api_citizens.c,
 * api_audit.c and privacy_api.c.
 */
#ifndef HUB_API_CITIZENS_H
#define HUB_API_CITIZENS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "auth.h"

struct api_context;
struct evhttp_request;

/* Mounts /api/v1/citizens, /api/v1/citizens/ID/... and
 * /api/v1/contacts/ID/block. Returns 0, or -1 with a message in err when a
 * path is taken. */
int api_citizens_mount(struct api_context *api, char *err, size_t err_size);

/* Mounts /api/v1/audit. Returns 0, or -1 with a message in err. */
int api_audit_mount(struct api_context *api, char *err, size_t err_size);

/* Mounts /api/v1/calls (admins only). Returns 0, or -1 with a message in
 * err. */
int api_calls_mount(struct api_context *api, char *err, size_t err_size);

/* The departments agent may see, as the scope of store_citizen.h: NULL for
 * an admin, else a JSON array as text (caller frees). *failed is set when
 * the text could not be built. */
char *api_citizens_scope(const struct auth_agent *agent, bool *failed);

/* Parses a positive decimal id of at most 18 digits. */
bool api_citizens_parse_id(const char *text, int64_t *id);

/* The id that starts the next page of a list ordered by id: the last id of
 * a full page of limit items, else JSON null. Returns a new reference. */
json_t *api_page_next_id(json_t *items, int limit);

/* Sends 405 unless the request's method is one of allowed (a
 * NULL-terminated list of EVHTTP_REQ_* values as int), with Allow: allow. */
bool api_citizens_method(struct evhttp_request *req, const int *allowed,
    const char *allow);

/* A reply that waits for its audit events to commit. */
struct api_citizens_audited;

/* Starts a reply of status with body (reference stolen) for req, which is
 * sent once the audit events added with api_citizens_audit_add have
 * committed. Returns NULL after sending 500 when out of memory. */
struct api_citizens_audited *api_citizens_audited_new(
    struct api_context *api, struct evhttp_request *req,
    const struct auth_agent *agent, int status, json_t *body);

/* Adds an audit event of action about citizen_id (and ticket_id, 0 for
 * none) with detail, a JSON object (reference stolen, NULL for none).
 * Returns 0, or -1 when out of memory. */
int api_citizens_audit_add(struct api_citizens_audited *reply,
    const char *action, int64_t citizen_id, int64_t ticket_id,
    json_t *detail);

/* Adds a header sent with the reply. Returns 0 or -1. */
int api_citizens_audited_header(struct api_citizens_audited *reply,
    const char *name, const char *value);

/* Sends 500 instead of the reply, for an audit event or a header that
 * could not be added, so that no personal data goes out unrecorded. Frees
 * reply. */
void api_citizens_audited_fail(struct api_citizens_audited *reply);

/* Submits the audit job; the reply follows its commit, or 503 when the
 * store does not take the job and 500 when the commit fails. Frees reply. */
void api_citizens_audited_send(struct api_citizens_audited *reply);

/* privacy_api.c: GET /api/v1/citizens/ID/export and POST .../erase, after
 * the method was checked. */
void privacy_api_export(struct api_context *api, struct evhttp_request *req,
    int64_t citizen_id);
void privacy_api_erase(struct api_context *api, struct evhttp_request *req,
    int64_t citizen_id);

#endif
