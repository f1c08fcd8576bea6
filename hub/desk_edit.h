/*
 * Edits of the service desk through the admin API: put or delete one
 * department, category or commune, or set the triage department or the
 * channels' default categories. An edit is applied to a copy of the desk's
 * sections. The whole result is then checked by config_desk_check, the code
 * that checks the config file, so an edit can never produce a desk that the
 * config file could not hold.
 *
 * The edited sections are stored in desk_settings under STORE_DESK_KEY. At
 * start-up they replace the config file's departments, categories,
 * communes, channel_categories and triage_department
 * (desk_edit_load_stored); the calendar always comes from the file.
 *
 * Main thread only, because the sections are jansson values.
 */
#ifndef HUB_DESK_EDIT_H
#define HUB_DESK_EDIT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "config.h"

struct store;

enum desk_section {
	DESK_SECTION_DEPARTMENTS,
	DESK_SECTION_CATEGORIES,
	DESK_SECTION_COMMUNES,
	DESK_SECTION_TRIAGE,	/* triage_department, a single value */
	DESK_SECTION_CHANNEL_CATEGORIES,	/* channel_categories, one object
						 * edited as a whole */
};

/* Tests whether section is one value edited as a whole, without element
 * ids: the triage department and the channels' default categories. */
bool desk_section_single(enum desk_section section);

enum desk_edit_status {
	DESK_EDIT_OK,
	DESK_EDIT_INVALID,	/* a value breaks a rule of the config file */
	DESK_EDIT_MISSING,	/* a required key is missing */
	DESK_EDIT_NOT_FOUND,	/* no element has the id */
	DESK_EDIT_CONFLICT,	/* the department is in use */
	DESK_EDIT_FAILED,	/* out of memory, or the store failed */
};

#define DESK_EDIT_PATH_MAX 128

/* The reason for a rejected edit. path names the value at fault by element id,
 * as in "categories.traffic.deadline.working_days"; for a conflict it
 * names the user of the department or category
 * ("communes.my-tho.department", "channel_categories.sms"). detail
 * is the config checker's explanation in English ("value 0 out of range;
 * expected an integer from 1 to 365"). */
struct desk_edit_error {
	enum desk_edit_status status;
	char path[DESK_EDIT_PATH_MAX];
	char detail[CONFIG_ERROR_MAX];
};

/* The section's key in the config file and the API ("categories").
 * desk_section_parse returns 0 and sets section, or -1 for another name. */
const char *desk_section_name(enum desk_section section);
int desk_section_parse(const char *name, enum desk_section *section);

/* Returns new sections: a copy of sections with element stored under id in
 * section, replacing the element with that id or appended after the last
 * one (*created true). element is an object of the section's keys; its
 * strings are put in NFC and trimmed, and an "id" in it must equal id. For
 * DESK_SECTION_TRIAGE, id is ignored and element is {"department": ID}.
 * For DESK_SECTION_CHANNEL_CATEGORIES, id is ignored and element is the
 * whole object of channel names and category ids that replaces the
 * current one.
 * The result is not checked yet: pass it to desk_edit_build. Returns NULL
 * with error filled in. */
json_t *desk_edit_put(const json_t *sections, enum desk_section section,
    const char *id, const json_t *element, bool *created,
    struct desk_edit_error *error);

/* Returns new sections: a copy of sections without the element id of
 * section (for DESK_SECTION_TRIAGE, without a triage department; for
 * DESK_SECTION_CHANNEL_CATEGORIES, with no default category). A department
 * that a category, a commune or triage_department names, and a category
 * that channel_categories names, is kept and the edit fails with
 * DESK_EDIT_CONFLICT naming that user. Agents are the caller's to check. Returns NULL with error filled in. */
json_t *desk_edit_delete(const json_t *sections, enum desk_section section,
    const char *id, struct desk_edit_error *error);

/* Checks sections exactly as the config file's sections are checked and
 * builds a desk from them. Returns a desk for desk_replace or desk_free,
 * or NULL with error filled in. */
struct hub_config_desk *desk_edit_build(const json_t *sections,
    struct desk_edit_error *error);

/* Returns the element id of section in sections, borrowed, or NULL when
 * there is none. For DESK_SECTION_TRIAGE it is the department id or JSON
 * null, and for DESK_SECTION_CHANNEL_CATEGORIES the whole object. */
const json_t *desk_edit_find(const json_t *sections, enum desk_section section,
    const char *id);

/* Returns the part of sections that desk_settings stores: departments,
 * categories, communes, channel_categories, and triage_department when
 * set. New reference, or
 * NULL on allocation failure. */
json_t *desk_edit_stored(const json_t *sections);

/* Replaces the desk of config with the file's calendar and the sections
 * stored in desk_settings, when there are any, and logs that the database
 * wins, with a warning naming the file's sections that differ. Call once at
 * start-up, before any reader runs. Returns 0, or -1 with a message in err
 * when the store cannot be read or the stored sections fail the checks. */
int desk_edit_load_stored(const struct hub_config *config,
    struct store *store, char *err, size_t err_size);

#endif
