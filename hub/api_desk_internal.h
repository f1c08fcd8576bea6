/*
 * Shared by the files of the desk configuration API (api_desk.c,
 * api_desk_edit.c). Nothing else includes this.
 */
#ifndef HUB_API_DESK_INTERNAL_H
#define HUB_API_DESK_INTERNAL_H

#include <stdbool.h>

#include <jansson.h>

#include "api.h"
#include "auth.h"
#include "desk_edit.h"

struct evhttp_request;

/* Ids follow the config file's rule: 1 to 32 of a-z, 0-9, _ and -. */
#define API_DESK_ID_MAX 32

/* The section and the id that a request under /api/v1/desk/ names. */
struct api_desk_target {
	enum desk_section section;
	char id[API_DESK_ID_MAX + 1];	/* "" for a single-value section */
};

/* Sends the error of a rejected edit: 422 invalid_field or missing_field,
 * 404 not_found, 409 conflict or 500, with the full path in "field" and
 * the checker's explanation in "detail". */
void api_desk_send_error(struct evhttp_request *req,
    const struct desk_edit_error *error);

/* The reply body of one element: {"category": {...}}, for the triage
 * department {"triage_department": ID or null}, and for the default
 * categories {"channel_categories": {...}}. element is borrowed.
 * Returns a new reference or NULL. */
json_t *api_desk_element_json(enum desk_section section,
    const json_t *element);

/* Queues an edit of target by agent: a put of body (reference stolen), or
 * a delete when body is NULL. Edits are applied one at a time in arrival
 * order, each to the desk that the one before left, and each request is
 * answered when its edit is stored and in force, or rejected. */
void api_desk_edit_submit(struct api_context *api,
    struct evhttp_request *req, const struct api_desk_target *target,
    json_t *body, const struct auth_agent *agent);

/* Tells whether a delete of department id is queued or being stored, so
 * that an agent's change does not add the department meanwhile. */
bool api_desk_department_deleting(const char *id);

#endif
