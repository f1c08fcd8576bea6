/*
 * The satisfaction statistics of the desk API:
 *
 *   GET /api/v1/stats/satisfaction[?from=YYYY-MM-DD&to=YYYY-MM-DD
 *       &department=ID]
 *
 * 200 {from, to, overall, departments, agents} as store_satisfaction_json
 * describes them; 401 without a valid credential, 403 for an agent or a
 * department the caller does not see, 422 naming a bad parameter.
 */
#ifndef HUB_API_SATISFACTION_H
#define HUB_API_SATISFACTION_H

#include <stddef.h>
#include <stdint.h>

struct api_context;

/* Mounts the route. Returns 0, or -1 with a message in err when the path
 * is taken. */
int api_satisfaction_mount(struct api_context *api, char *err,
    size_t err_size);

/* Parses a date "YYYY-MM-DD" into the Unix milliseconds of its midnight in
 * Vietnam time. Returns 0, or -1 for another form or a day that does not
 * exist. */
int api_satisfaction_parse_date(const char *text, int64_t *ms);

#endif
