/*
 * The IVR menu: a JSON file of nodes, each with a prompt, its key choices,
 * a timeout and a retry count, and the actions a key leads to. Loaded and
 * checked once at start, then shared read-only by every call.
 *
 * The engine that walks a call through it (ivr_session_*) is declared
 * below this loader.
 */
#ifndef IVR_MENU_H
#define IVR_MENU_H

#include <jansson.h>

#include "config.h"
#include "ivr_prompt.h"

struct ivr_menu;

/* Loads path. Every prompt it names must exist in prompts in both
 * languages, and every category must be one of categories (the desk's
 * array of {id, ...}). Returns NULL with err naming the file and the
 * node's key. */
struct ivr_menu *ivr_menu_load(const char *path,
    const struct ivr_prompts *prompts, const json_t *categories,
    struct config_error *err);

void ivr_menu_free(struct ivr_menu *menu);

#endif
