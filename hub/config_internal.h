/*
 * Declarations shared by the config loader's files (config.c, config_check.c,
 * config_schema.c, config_position.c, config_desk*.c) and the desk's own
 * files (desk.c, desk_edit.c). Not for the rest of the daemon.
 */
#ifndef HUB_CONFIG_INTERNAL_H
#define HUB_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "config.h"

/* Maximum size of the address of "ADDR:PORT" with its NUL, brackets
 * excluded (INET6_ADDRSTRLEN). */
#define CONFIG_ADDRESS_MAX 46

/* Fills err with "FILE:LINE: PATH: PROBLEM; expected EXPECTED". A line of 0
 * leaves out ":LINE", an empty path leaves out "PATH: " and a NULL expected
 * leaves out "; expected EXPECTED". */
void config_error_set_line(const struct hub_config *config, const char *path,
    int line, struct config_error *err, const char *problem,
    const char *expected);

/* Like config_error_set_line, with the line of path in config->text. */
void config_error_set(const struct hub_config *config, const char *path,
    struct config_error *err, const char *problem, const char *expected);

/* Writes a JSON value for an error message into buffer: strings quoted and
 * escaped, cut at size with "..." at the end. */
void config_error_quote(const json_t *value, char *buffer, size_t size);

/* Returns the JSON type of value as a word for messages ("integer"). */
const char *config_check_type_name(const json_t *value);

/* Checks the whole document against the core's field tables, channel names
 * included. Returns 0, or -1 with err filled in. */
int config_schema_check(const struct hub_config *config, const json_t *root,
    struct config_error *err);

/* Splits "ADDR:PORT" (numeric IPv4, or bracketed numeric IPv6) into address
 * (at least CONFIG_ADDRESS_MAX bytes) and port. Returns 0 or -1. */
int config_schema_split_listen(const char *listen, char *address,
    uint16_t *port);

/* Tests whether name has the form of a channel module's name:
 * [a-z][a-z0-9_]{0,31}. */
bool config_schema_channel_name_valid(const char *name);

/* Calls visit for every object key and array element of text, in order, with
 * its path ("http.trusted_proxies[1]"), the line it starts on and its byte
 * offset. visit returns non-zero to stop the walk. Keys whose path does not
 * fit the path buffer are walked but not visited. */
typedef int (*config_position_visit_fn)(const char *path, int line,
    size_t offset, void *arg);
void config_position_walk(const char *text, config_position_visit_fn visit,
    void *arg);

/* Copies into path (size bytes) the path of the last key or element that
 * starts before offset. Returns 0, or -1 when there is none. */
int config_position_path_at(const char *text, size_t offset, char *path,
    size_t size);

/* Checks the service desk sections (config_desk.c): each element, required
 * keys, unique ids, department references and office hours. Returns 0, or
 * -1 with err filled in. */
int config_desk_check(const struct hub_config *config, const json_t *root,
    struct config_error *err);

/* Returns the number of points of a checked commune area, not counting a
 * last point equal to the first (config_desk.c). */
int config_desk_area_points(const json_t *area);

/* Builds a desk from the checked desk sections of root, or their defaults
 * (config_desk_apply.c). Returns a desk for desk_free, or NULL on
 * allocation failure. */
struct hub_config_desk *config_desk_build(const json_t *root);

/* Builds the desk of the config file into config->desk. Returns 0, or -1
 * on allocation failure. */
int config_desk_apply(struct hub_config *config, const json_t *root);

/* Frees what desk owns and zeroes it; desk itself is the caller's. */
void config_desk_free(struct hub_config_desk *desk);

#endif
