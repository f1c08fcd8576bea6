/*
 * The menu loader's state, shared by ivr_menu.c (the file, its nodes and
 * their prompts) and ivr_menu_choice.c (the key choices and actions).
 */
#ifndef IVR_MENU_INTERNAL_H
#define IVR_MENU_INTERNAL_H

#include "ivr_menu.h"

#define IVR_MENU_PATH_MAX 128	/* bytes of a JSON path in an error */

struct ivr_menu {
	struct ivr_menu_node *nodes;
	size_t node_count;
	size_t start;
};

/* One load in progress. */
struct ivr_menu_loader {
	const char *file;
	char *text;
	const json_t *nodes;		/* the "nodes" object */
	ivr_menu_prompt_fn has_prompt;
	void *arg;
	const json_t *categories;
	struct config_error *err;
	struct ivr_menu *menu;
};

/* Fills the loader's err as "FILE:LINE: PATH: PROBLEM; expected FORM".
 * Always returns -1. */
int ivr_menu_error(const struct ivr_menu_loader *loader, const char *path,
    const char *expected, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Writes "PATH.KEY" (or PATH when key is NULL) to out. A path too long
 * for out is cut, and its line is then not found. */
void ivr_menu_path_join(char out[IVR_MENU_PATH_MAX], const char *path,
    const char *key);

/* Resolves the node name in value (at path) to its index. */
int ivr_menu_node_ref(const struct ivr_menu_loader *loader, const char *path,
    const json_t *value, size_t *index);

/* Fills node's choices from value, the object at path. */
int ivr_menu_parse_choices(const struct ivr_menu_loader *loader,
    const char *path, const json_t *value, struct ivr_menu_node *node);

#endif
