/*
 * The IVR menu file: loaded and checked once when the sip channel is
 * created, then shared read-only by every call.
 *
 * The file is one JSON object (duplicate keys are rejected):
 *
 *   {
 *     "start": "welcome",
 *     "nodes": {
 *       "welcome": { "prompt": ["welcome", "recording_notice"],
 *                    "interruptible": false, "next": "main" },
 *       "main": {
 *         "prompt": ["for_english", "main_menu"],
 *         "prompt_no_transfer": ["for_english", "main_menu_voicemail"],
 *         "choices": {
 *           "1": { "goto": "category" },
 *           "2": { "action": "status" },
 *           "0": { "action": "transfer" },
 *           "9": { "action": "language" },
 *           "*": { "action": "repeat" }
 *         }
 *       },
 *       "category": {
 *         "prompt": ["category_menu"],
 *         "choices": {
 *           "1": { "action": "record", "category": "traffic" },
 *           "#": { "action": "back" }
 *         }
 *       }
 *     }
 *   }
 *
 * "start" names the node every call begins at. "nodes" maps node names
 * (1 to 32 letters, digits, '_' or '-') to nodes. A node has:
 *
 *   prompt           array of prompt names played on entry (required)
 *   prompt_no_transfer
 *                    array played instead of prompt when the channel has
 *                    no transfer_uri (a menu that offers a message, not
 *                    an operator); default prompt
 *   choices          object from a key ("0"-"9", "*", "#") to an action
 *   next             node entered when the prompt has played to its end;
 *                    the caller cannot go back to the node left this way
 *   timeout_seconds  wait for a key after the prompt, 1-600; default the
 *                    channel's no_input_seconds
 *   retries          failed inputs allowed, 0-10, default 2: after the
 *                    last no input or wrong key the call hears "goodbye"
 *                    and is hung up (end reason "no_input")
 *   no_input_prompt  prompt name or array, played before the prompt is
 *                    replayed after a timeout; default "no_input"
 *   invalid_prompt   likewise after a key that is not a choice; default
 *                    "invalid_choice"
 *   interruptible    false: keys pressed while the prompt plays are
 *                    ignored (for a notice the caller must hear); default
 *                    true, a key stops the prompt (barge-in)
 *
 * A node needs choices, next or both. An action is one of:
 *
 *   {"goto": NODE}             enter NODE
 *   {"action": "record", "category": ID}
 *                              "record_intro" and "beep" (a key skips
 *                              them), then record until '#', the
 *                              channel's max_recording_seconds or
 *                              hang-up. Unless "recording_notice" has
 *                              been played to its end in the call's
 *                              current language, it is played first and
 *                              keys do not skip it: nothing is recorded
 *                              before the caller heard the notice in
 *                              the language they chose. A recording
 *                              with at least 1 s of the caller's voice
 *                              opens a ticket under the desk's category
 *                              ID; the caller hears "report_saved", the
 *                              code, "code_again", the code and
 *                              "goodbye" (or "report_failed"), then the
 *                              call ends. One with less voice (silence,
 *                              keys only) is removed: the caller hears
 *                              "nothing_recorded" and the node again,
 *                              and it counts as a failed input there
 *                              (choosing to record again does not reset
 *                              the count). A
 *                              caller who hangs up while recording
 *                              still gets the ticket, under the same
 *                              1 s rule.
 *   {"action": "status"}       "enter_code", then collect a ticket code
 *                              until '#', 12 keys or the timeout; '*'
 *                              clears the keys typed so far and starts
 *                              the code again. A code of the wrong
 *                              length plays "code_length", a wrong check
 *                              digit "code_invalid"; either counts as a
 *                              failed input, and the keys the caller
 *                              goes on typing are dropped until that
 *                              prompt has played to its end or a '#'
 *                              ends the burst, so that the next try
 *                              starts clean. A valid code is looked up
 *                              and said ("status_intro", code, status,
 *                              "merged" and the other code, the deadline
 *                              while the ticket is not resolved; or
 *                              "code_unknown", or "lookup_failed" when
 *                              the store cannot answer), then the node
 *                              replays.
 *   {"action": "language"}     switch between Vietnamese and English, or
 *                              to "language": "vi" or "en"; replay the
 *                              node, after "recording_notice" when it
 *                              has not been heard in the new language.
 *                              The notice counts as heard once it has
 *                              played to its end, even when a key then
 *                              stops the node's prompt
 *   {"action": "repeat"}       replay the node
 *   {"action": "back"}         the node the caller came from by a key;
 *                              with none, replay the node
 *   {"action": "transfer"}     "transfer", then REFER the caller to the
 *                              channel's transfer_uri. When the transfer
 *                              fails: "voicemail", "beep" and a
 *                              recording as above, with no category.
 *                              Without a transfer_uri: the same with
 *                              "voicemail_direct", which does not speak
 *                              of busy operators
 *   {"action": "hangup"}       "goodbye", then hang up
 *
 * Every prompt name must exist in both languages, every category in the
 * desk's list and every node named in the file. Cycles between nodes are
 * allowed. An error names the file, the line and the JSON path of the
 * value ("nodes.main.choices.1.goto").
 *
 * The call's record keeps the way through the menu: "node:key" for each
 * key pressed at a node, and "record", "status", "transfer" (a REFER is
 * sent) or "voicemail" when one starts ("main:1 category:3 record"). It
 * keeps at most 1000 bytes: past that the oldest steps are dropped and
 * the path starts with "...".
 */
#include "ivr_menu_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IVR_MENU_FILE_MAX (1024 * 1024)
#define IVR_MENU_PROMPT_NAME_MAX 64
#define IVR_MENU_TIMEOUT_MAX 600
#define IVR_MENU_RETRIES_MAX 10

static const char ivr_menu_key_chars[IVR_MENU_KEYS] = {
	'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#',
};

int
ivr_menu_key_index(char key)
{
	for (int i = 0; i < IVR_MENU_KEYS; i++)
		if (ivr_menu_key_chars[i] == key)
			return i;
	return -1;
}

/* Fills the loader's err as "FILE:LINE: PATH: PROBLEM; expected FORM".
 * Always returns -1. */
int
ivr_menu_error(const struct ivr_menu_loader *loader, const char *path,
    const char *expected, const char *fmt, ...)
{
	struct config_error *err = loader->err;
	char problem[CONFIG_ERROR_MAX / 2];
	char where[sizeof(err->file) + sizeof(err->path) + 32];
	int written;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(problem, sizeof(problem), fmt, ap);
	va_end(ap);

	snprintf(err->file, sizeof(err->file), "%s", loader->file);
	snprintf(err->path, sizeof(err->path), "%s", path);
	err->line = 0;
	if (loader->text != NULL && path[0] != '\0')
		err->line = config_position_line(loader->text, path);
	if (err->line > 0)
		snprintf(where, sizeof(where), "%s:%d: ", err->file, err->line);
	else
		snprintf(where, sizeof(where), "%s: ", err->file);
	if (path[0] != '\0') {
		size_t length = strlen(where);

		snprintf(where + length, sizeof(where) - length, "%s: ", path);
	}
	/* A message too long for err is cut. */
	if (expected != NULL)
		written = snprintf(err->message, sizeof(err->message),
		    "%s%s; expected %s", where, problem, expected);
	else
		written = snprintf(err->message, sizeof(err->message), "%s%s",
		    where, problem);
	if (written < 0)
		err->message[0] = '\0';
	return -1;
}

/* Reads the whole file into loader->text. */
static int
ivr_menu_read(struct ivr_menu_loader *loader)
{
	FILE *file = fopen(loader->file, "rb");
	size_t length;
	bool failed;

	if (file == NULL)
		return ivr_menu_error(loader, "", "a readable JSON menu file",
		    "cannot open: %s", strerror(errno));
	loader->text = malloc(IVR_MENU_FILE_MAX + 1);
	if (loader->text == NULL) {
		fclose(file);
		return ivr_menu_error(loader, "", NULL, "out of memory");
	}
	length = fread(loader->text, 1, IVR_MENU_FILE_MAX + 1, file);
	failed = ferror(file) != 0;
	fclose(file);
	if (failed)
		return ivr_menu_error(loader, "", "a readable JSON menu file",
		    "cannot read");
	if (length > IVR_MENU_FILE_MAX)
		return ivr_menu_error(loader, "", "a file of at most 1 MiB",
		    "file too large");
	loader->text[length] = '\0';
	return 0;
}

/* Writes "PATH.KEY" (or PATH when key is NULL) to out. A path too long
 * for out is cut, and its line is then not found. */
void
ivr_menu_path_join(char out[IVR_MENU_PATH_MAX], const char *path,
    const char *key)
{
	int written = key != NULL ?
	    snprintf(out, IVR_MENU_PATH_MAX, "%s.%s", path, key) :
	    snprintf(out, IVR_MENU_PATH_MAX, "%s", path);

	if (written < 0)
		out[0] = '\0';
}

/* Writes "PATH[INDEX]" to out, cut like ivr_menu_path_join. */
static void
ivr_menu_path_index(char out[IVR_MENU_PATH_MAX], const char *path,
    size_t index)
{
	if (snprintf(out, IVR_MENU_PATH_MAX, "%s[%zu]", path, index) < 0)
		out[0] = '\0';
}

static bool
ivr_menu_name_valid(const char *name, size_t max, const char *extra)
{
	size_t length = strlen(name);

	if (length == 0 || length > max)
		return false;
	for (const char *c = name; *c != '\0'; c++) {
		bool alnum = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
		    (*c >= 'A' && *c <= 'Z');

		if (!alnum && strchr(extra, *c) == NULL)
			return false;
	}
	return true;
}

/* Index of the node called name, or -1. */
static long
ivr_menu_find_node(const struct ivr_menu *menu, const char *name)
{
	for (size_t i = 0; i < menu->node_count; i++)
		if (strcmp(menu->nodes[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* Resolves the node name in value (at path) to its index. */
int
ivr_menu_node_ref(const struct ivr_menu_loader *loader, const char *path,
    const json_t *value, size_t *index)
{
	long found;

	if (!json_is_string(value))
		return ivr_menu_error(loader, path, "a node name", "not a string");
	found = ivr_menu_find_node(loader->menu, json_string_value(value));
	if (found < 0)
		return ivr_menu_error(loader, path, "a key of \"nodes\"",
		    "node \"%s\" not found", json_string_value(value));
	*index = (size_t)found;
	return 0;
}

static int
ivr_menu_check_prompt(const struct ivr_menu_loader *loader, const char *path,
    const char *name)
{
	static const char *const languages[] = { "vi", "en" };

	if (!ivr_menu_name_valid(name, IVR_MENU_PROMPT_NAME_MAX, "_"))
		return ivr_menu_error(loader, path,
		    "a prompt name of letters, digits and '_'",
		    "invalid prompt name \"%s\"", name);
	for (size_t i = 0; i < 2; i++)
		if (!loader->has_prompt(loader->arg, languages[i], name))
			return ivr_menu_error(loader, path,
			    "a prompt that exists in both languages (vi and en)",
			    "prompt \"%s\" not found in %s", name, languages[i]);
	return 0;
}

/* A prompt list: an array of names, or (when single is allowed) one name. */
static int
ivr_menu_parse_prompts(const struct ivr_menu_loader *loader, const char *path,
    const json_t *value, bool single, struct ivr_menu_prompts *prompts)
{
	const char *expected = single ?
	    "a prompt name or a non-empty array of prompt names" :
	    "a non-empty array of prompt names";
	size_t count = json_is_array(value) ? json_array_size(value) : 1;

	if (!(json_is_array(value) && count > 0) &&
	    !(single && json_is_string(value)))
		return ivr_menu_error(loader, path, expected, "invalid value");
	prompts->names = calloc(count, sizeof(*prompts->names));
	if (prompts->names == NULL)
		return ivr_menu_error(loader, path, NULL, "out of memory");
	for (size_t i = 0; i < count; i++) {
		const json_t *item = json_is_array(value) ?
		    json_array_get(value, i) : value;
		char item_path[IVR_MENU_PATH_MAX];

		if (json_is_array(value))
			ivr_menu_path_index(item_path, path, i);
		else
			ivr_menu_path_join(item_path, path, NULL);
		if (!json_is_string(item))
			return ivr_menu_error(loader, item_path, expected,
			    "not a string");
		if (ivr_menu_check_prompt(loader, item_path,
		    json_string_value(item)) != 0)
			return -1;
		prompts->names[i] = strdup(json_string_value(item));
		if (prompts->names[i] == NULL)
			return ivr_menu_error(loader, path, NULL, "out of memory");
		prompts->count++;
	}
	return 0;
}

static int
ivr_menu_default_prompt(const struct ivr_menu_loader *loader, const char *path,
    const char *name, struct ivr_menu_prompts *prompts)
{
	if (ivr_menu_check_prompt(loader, path, name) != 0)
		return -1;
	prompts->names = calloc(1, sizeof(*prompts->names));
	if (prompts->names == NULL ||
	    (prompts->names[0] = strdup(name)) == NULL)
		return ivr_menu_error(loader, path, NULL, "out of memory");
	prompts->count = 1;
	return 0;
}

static int
ivr_menu_parse_int(const struct ivr_menu_loader *loader, const char *path,
    const json_t *value, int min, int max, int *out)
{
	char expected[64];

	snprintf(expected, sizeof(expected), "an integer from %d to %d", min,
	    max);
	if (!json_is_integer(value) || json_integer_value(value) < min ||
	    json_integer_value(value) > max)
		return ivr_menu_error(loader, path, expected, "invalid value");
	*out = (int)json_integer_value(value);
	return 0;
}

/* One key of a node object. */
static int
ivr_menu_parse_node_key(const struct ivr_menu_loader *loader, const char *path,
    const char *key, const json_t *value, struct ivr_menu_node *node)
{
	if (strcmp(key, "prompt") == 0)
		return ivr_menu_parse_prompts(loader, path, value, false,
		    &node->prompt);
	if (strcmp(key, "prompt_no_transfer") == 0)
		return ivr_menu_parse_prompts(loader, path, value, false,
		    &node->prompt_no_transfer);
	if (strcmp(key, "no_input_prompt") == 0)
		return ivr_menu_parse_prompts(loader, path, value, true,
		    &node->no_input_prompt);
	if (strcmp(key, "invalid_prompt") == 0)
		return ivr_menu_parse_prompts(loader, path, value, true,
		    &node->invalid_prompt);
	if (strcmp(key, "choices") == 0)
		return ivr_menu_parse_choices(loader, path, value, node);
	if (strcmp(key, "timeout_seconds") == 0)
		return ivr_menu_parse_int(loader, path, value, 1,
		    IVR_MENU_TIMEOUT_MAX, &node->timeout_seconds);
	if (strcmp(key, "retries") == 0)
		return ivr_menu_parse_int(loader, path, value, 0,
		    IVR_MENU_RETRIES_MAX, &node->retries);
	if (strcmp(key, "interruptible") == 0) {
		if (!json_is_boolean(value))
			return ivr_menu_error(loader, path, "true or false",
			    "invalid value");
		node->interruptible = json_is_true(value);
		return 0;
	}
	if (strcmp(key, "next") == 0) {
		node->has_next = true;
		return ivr_menu_node_ref(loader, path, value, &node->next);
	}
	return ivr_menu_error(loader, path, "prompt, prompt_no_transfer, "
	    "choices, next, timeout_seconds, retries, no_input_prompt, invalid_prompt or "
	    "interruptible", "unknown key");
}

static bool
ivr_menu_node_has_choice(const struct ivr_menu_node *node)
{
	for (size_t i = 0; i < IVR_MENU_KEYS; i++)
		if (node->choices[i].type != IVR_MENU_NONE)
			return true;
	return false;
}

static int
ivr_menu_parse_node(const struct ivr_menu_loader *loader, const char *path,
    const json_t *value, struct ivr_menu_node *node)
{
	const char *key;
	const json_t *item;
	char item_path[IVR_MENU_PATH_MAX];

	if (!json_is_object(value))
		return ivr_menu_error(loader, path, "a node object",
		    "invalid value");
	node->retries = 2;
	node->interruptible = true;
	json_object_foreach((json_t *)value, key, item) {
		ivr_menu_path_join(item_path, path, key);
		if (ivr_menu_parse_node_key(loader, item_path, key, item,
		    node) != 0)
			return -1;
	}
	if (node->prompt.count == 0)
		return ivr_menu_error(loader, path,
		    "\"prompt\": an array of prompt names", "node without a prompt");
	if (!node->has_next && !ivr_menu_node_has_choice(node))
		return ivr_menu_error(loader, path, "\"choices\" or \"next\"",
		    "node that leads nowhere");
	ivr_menu_path_join(item_path, path, "no_input_prompt");
	if (node->no_input_prompt.count == 0 &&
	    ivr_menu_default_prompt(loader, item_path, "no_input",
	    &node->no_input_prompt) != 0)
		return -1;
	ivr_menu_path_join(item_path, path, "invalid_prompt");
	if (node->invalid_prompt.count == 0 &&
	    ivr_menu_default_prompt(loader, item_path, "invalid_choice",
	    &node->invalid_prompt) != 0)
		return -1;
	return 0;
}

/* Names every node first, so that choices may point forward. */
static int
ivr_menu_parse_nodes(struct ivr_menu_loader *loader)
{
	struct ivr_menu *menu = loader->menu;
	const char *key;
	const json_t *value;
	char path[IVR_MENU_PATH_MAX];
	size_t i = 0;

	if (!json_is_object(loader->nodes) || json_object_size(loader->nodes) == 0)
		return ivr_menu_error(loader, "nodes",
		    "an object of nodes by name", "missing or empty");
	menu->nodes = calloc(json_object_size(loader->nodes),
	    sizeof(*menu->nodes));
	if (menu->nodes == NULL)
		return ivr_menu_error(loader, "nodes", NULL, "out of memory");
	json_object_foreach((json_t *)loader->nodes, key, value) {
		ivr_menu_path_join(path, "nodes", key);
		if (!ivr_menu_name_valid(key, IVR_MENU_NAME_MAX, "_-"))
			return ivr_menu_error(loader, path,
			    "a name of 1 to 32 letters, digits, '_' or '-'",
			    "invalid node name");
		if ((menu->nodes[menu->node_count].name = strdup(key)) == NULL)
			return ivr_menu_error(loader, path, NULL, "out of memory");
		menu->node_count++;
	}
	json_object_foreach((json_t *)loader->nodes, key, value) {
		ivr_menu_path_join(path, "nodes", key);
		if (ivr_menu_parse_node(loader, path, value, &menu->nodes[i++]) != 0)
			return -1;
	}
	return 0;
}

static int
ivr_menu_parse_root(struct ivr_menu_loader *loader, const json_t *root)
{
	const char *key;
	const json_t *value;
	const json_t *start;

	if (!json_is_object(root))
		return ivr_menu_error(loader, "", "a JSON object",
		    "invalid menu");
	json_object_foreach((json_t *)root, key, value) {
		if (strcmp(key, "start") != 0 && strcmp(key, "nodes") != 0)
			return ivr_menu_error(loader, key, "\"start\" and \"nodes\"",
			    "unknown key");
	}
	loader->nodes = json_object_get(root, "nodes");
	if (ivr_menu_parse_nodes(loader) != 0)
		return -1;
	start = json_object_get(root, "start");
	if (start == NULL)
		return ivr_menu_error(loader, "", "\"start\": a node name",
		    "missing start node");
	return ivr_menu_node_ref(loader, "start", start, &loader->menu->start);
}

struct ivr_menu *
ivr_menu_parse(const char *path, ivr_menu_prompt_fn has_prompt, void *arg,
    const json_t *categories, struct config_error *err)
{
	struct ivr_menu_loader loader = {
		.file = path,
		.has_prompt = has_prompt,
		.arg = arg,
		.categories = categories,
		.err = err,
	};
	json_error_t json_error;
	json_t *root = NULL;

	if (ivr_menu_read(&loader) != 0)
		goto fail;
	root = json_loads(loader.text, JSON_REJECT_DUPLICATES, &json_error);
	if (root == NULL) {
		ivr_menu_error(&loader, "", "a JSON object", "invalid JSON at "
		    "line %d: %s", json_error.line, json_error.text);
		goto fail;
	}
	if ((loader.menu = calloc(1, sizeof(*loader.menu))) == NULL) {
		ivr_menu_error(&loader, "", NULL, "out of memory");
		goto fail;
	}
	if (ivr_menu_parse_root(&loader, root) != 0)
		goto fail;
	json_decref(root);
	free(loader.text);
	return loader.menu;
fail:
	json_decref(root);
	free(loader.text);
	ivr_menu_free(loader.menu);
	return NULL;
}

static void
ivr_menu_prompts_free(struct ivr_menu_prompts *prompts)
{
	for (size_t i = 0; i < prompts->count; i++)
		free(prompts->names[i]);
	free(prompts->names);
}

void
ivr_menu_free(struct ivr_menu *menu)
{
	if (menu == NULL)
		return;
	for (size_t i = 0; i < menu->node_count; i++) {
		struct ivr_menu_node *node = &menu->nodes[i];

		free(node->name);
		ivr_menu_prompts_free(&node->prompt);
		ivr_menu_prompts_free(&node->prompt_no_transfer);
		ivr_menu_prompts_free(&node->no_input_prompt);
		ivr_menu_prompts_free(&node->invalid_prompt);
		for (size_t k = 0; k < IVR_MENU_KEYS; k++) {
			free(node->choices[k].category);
			free(node->choices[k].language);
		}
	}
	free(menu->nodes);
	free(menu);
}

const struct ivr_menu_node *
ivr_menu_start(const struct ivr_menu *menu)
{
	return &menu->nodes[menu->start];
}

size_t
ivr_menu_start_index(const struct ivr_menu *menu)
{
	return menu->start;
}

const struct ivr_menu_node *
ivr_menu_node(const struct ivr_menu *menu, size_t index)
{
	return &menu->nodes[index];
}

size_t
ivr_menu_node_count(const struct ivr_menu *menu)
{
	return menu->node_count;
}
