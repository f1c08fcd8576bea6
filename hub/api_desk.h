/*
 * The desk configuration API: departments, categories, communes, the
 * channels' default categories and the triage department, read by every
 * agent and edited by admins without a restart (desk_edit.h):
 *
 *   GET    /api/v1/desk                        the whole desk, calendar too
 *   GET    /api/v1/desk/SECTION/ID             one element
 *   PUT    /api/v1/desk/SECTION/ID             create or replace it
 *   DELETE /api/v1/desk/SECTION/ID             delete it
 *   GET, PUT, DELETE /api/v1/desk/triage_department
 *   GET, PUT, DELETE /api/v1/desk/channel_categories   the whole object
 *
 * SECTION is departments, categories or communes. An edit is stored in
 * desk_settings with an audit event, then swapped in and published as
 * desk.changed, before the reply.
 */
#ifndef HUB_API_DESK_H
#define HUB_API_DESK_H

#include <stddef.h>

#include "api.h"

/* Mounts /api/v1/desk and /api/v1/desk/. Call after api_tickets_mount,
 * which loads the admin token that auth_request accepts. Returns 0, or -1
 * with a message in err when a path is taken. */
int api_desk_mount(struct api_context *api, char *err, size_t err_size);

#endif
