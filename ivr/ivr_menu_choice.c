/*
 * The menu file's key choices: each key of a node maps to {"goto": NODE}
 * or {"action": NAME} with the action's own keys (see ivr_menu.c for the
 * format).
 */
#include "ivr_menu_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool
ivr_menu_category_known(const json_t *categories, const char *id)
{
	size_t i;
	const json_t *category;

	json_array_foreach(categories, i, category) {
		const char *known = json_string_value(
		    json_object_get(category, "id"));

		if (known != NULL && strcmp(known, id) == 0)
			return true;
	}
	return false;
}

/* "traffic, lighting, ..." into buffer. */
static const char *
ivr_menu_category_list(const json_t *categories, char *buffer, size_t size)
{
	size_t used = 0;
	size_t i;
	const json_t *category;

	buffer[0] = '\0';
	json_array_foreach(categories, i, category) {
		const char *id = json_string_value(json_object_get(category, "id"));
		int written;

		if (id == NULL)
			continue;
		written = snprintf(buffer + used, size - used, "%s%s",
		    used > 0 ? ", " : "", id);
		if (written < 0 || (size_t)written >= size - used)
			break;
		used += (size_t)written;
	}
	return buffer;
}

static int
ivr_menu_parse_category(const struct ivr_menu_loader *loader, const char *path,
    const json_t *value, struct ivr_menu_action *action)
{
	char known[256];
	char expected[320];

	if (!json_is_string(value))
		return ivr_menu_error(loader, path, "a category id",
		    "not a string");
	if (!ivr_menu_category_known(loader->categories,
	    json_string_value(value))) {
		snprintf(expected, sizeof(expected), "one of the desk's categories (%s)",
		    ivr_menu_category_list(loader->categories, known,
		    sizeof(known)));
		return ivr_menu_error(loader, path, expected,
		    "category \"%s\" not found", json_string_value(value));
	}
	action->category = strdup(json_string_value(value));
	if (action->category == NULL)
		return ivr_menu_error(loader, path, NULL, "out of memory");
	return 0;
}

static int
ivr_menu_parse_language(const struct ivr_menu_loader *loader, const char *path,
    const json_t *value, struct ivr_menu_action *action)
{
	const char *language = json_string_value(value);

	if (language == NULL ||
	    (strcmp(language, "vi") != 0 && strcmp(language, "en") != 0))
		return ivr_menu_error(loader, path, "\"vi\" or \"en\"",
		    "invalid language");
	action->language = strdup(language);
	if (action->language == NULL)
		return ivr_menu_error(loader, path, NULL, "out of memory");
	return 0;
}

static const struct {
	const char *name;
	enum ivr_menu_action_type type;
} ivr_menu_action_names[] = {
	{ "record", IVR_MENU_RECORD },
	{ "status", IVR_MENU_STATUS },
	{ "language", IVR_MENU_LANGUAGE },
	{ "repeat", IVR_MENU_REPEAT },
	{ "back", IVR_MENU_BACK },
	{ "transfer", IVR_MENU_TRANSFER },
	{ "hangup", IVR_MENU_HANGUP },
};

#define IVR_MENU_ACTION_EXPECTED "one of record, status, language, repeat, " \
	"back, transfer, hangup"

static int
ivr_menu_action_type(const struct ivr_menu_loader *loader, const char *path,
    const json_t *value, enum ivr_menu_action_type *type)
{
	const char *name = json_string_value(value);

	for (size_t i = 0; name != NULL && i < sizeof(ivr_menu_action_names) /
	    sizeof(ivr_menu_action_names[0]); i++) {
		if (strcmp(name, ivr_menu_action_names[i].name) == 0) {
			*type = ivr_menu_action_names[i].type;
			return 0;
		}
	}
	return ivr_menu_error(loader, path, IVR_MENU_ACTION_EXPECTED,
	    "unknown action");
}

/* Checks the keys of an action object other than "goto" and "action". */
static int
ivr_menu_parse_action_keys(const struct ivr_menu_loader *loader,
    const char *path, const json_t *value, struct ivr_menu_action *action)
{
	const char *key;
	const json_t *item;
	char item_path[IVR_MENU_PATH_MAX];

	json_object_foreach((json_t *)value, key, item) {
		ivr_menu_path_join(item_path, path, key);
		if (strcmp(key, "goto") == 0 || strcmp(key, "action") == 0)
			continue;
		if (strcmp(key, "category") == 0 &&
		    action->type == IVR_MENU_RECORD) {
			if (ivr_menu_parse_category(loader, item_path, item,
			    action) != 0)
				return -1;
		} else if (strcmp(key, "language") == 0 &&
		    action->type == IVR_MENU_LANGUAGE) {
			if (ivr_menu_parse_language(loader, item_path, item,
			    action) != 0)
				return -1;
		} else {
			return ivr_menu_error(loader, item_path,
			    "\"category\" with record, \"language\" with language",
			    "unknown key");
		}
	}
	if (action->type == IVR_MENU_RECORD && action->category == NULL)
		return ivr_menu_error(loader, path,
		    "\"category\": a category id", "record without a category");
	return 0;
}

static int
ivr_menu_parse_action(const struct ivr_menu_loader *loader, const char *path,
    const json_t *value, struct ivr_menu_action *action)
{
	const json_t *target = json_object_get(value, "goto");
	const json_t *name = json_object_get(value, "action");
	char item_path[IVR_MENU_PATH_MAX];

	if (!json_is_object(value) || (target == NULL) == (name == NULL))
		return ivr_menu_error(loader, path,
		    "an object with \"goto\" or \"action\"", "invalid choice");
	if (target != NULL) {
		const char *key;
		const json_t *item;

		json_object_foreach((json_t *)value, key, item) {
			ivr_menu_path_join(item_path, path, key);
			if (strcmp(key, "goto") != 0)
				return ivr_menu_error(loader, item_path,
				    "only \"goto\" in a goto choice",
				    "unknown key");
		}
		action->type = IVR_MENU_GOTO;
		return ivr_menu_node_ref(loader, item_path, target, &action->node);
	}
	ivr_menu_path_join(item_path, path, "action");
	if (ivr_menu_action_type(loader, item_path, name, &action->type) != 0)
		return -1;
	return ivr_menu_parse_action_keys(loader, path, value, action);
}

int
ivr_menu_parse_choices(const struct ivr_menu_loader *loader, const char *path,
    const json_t *value, struct ivr_menu_node *node)
{
	const char *key;
	const json_t *item;
	char item_path[IVR_MENU_PATH_MAX];

	if (!json_is_object(value))
		return ivr_menu_error(loader, path,
		    "an object from keys to actions", "invalid value");
	json_object_foreach((json_t *)value, key, item) {
		int index = strlen(key) == 1 ? ivr_menu_key_index(key[0]) : -1;

		ivr_menu_path_join(item_path, path, key);
		if (index < 0)
			return ivr_menu_error(loader, item_path,
			    "a key 0-9, * or #", "invalid key \"%s\"", key);
		if (ivr_menu_parse_action(loader, item_path, item,
		    &node->choices[index]) != 0)
			return -1;
	}
	return 0;
}
