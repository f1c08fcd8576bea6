/*
 * ivr_menu_load: the menu checked against the loaded prompts. Kept apart
 * from ivr_menu.c so that the menu's parser and engine link without the
 * prompts (the unit tests give a prompt check of their own).
 */
#include "ivr_menu.h"

static bool
ivr_menu_load_has_prompt(void *arg, const char *language, const char *name)
{
	const struct ivr_prompts *prompts = arg;

	return ivr_prompts_get(prompts, language, name) != NULL;
}

struct ivr_menu *
ivr_menu_load(const char *path, const struct ivr_prompts *prompts,
    const json_t *categories, struct config_error *err)
{
	return ivr_menu_parse(path, ivr_menu_load_has_prompt, (void *)prompts,
	    categories, err);
}
