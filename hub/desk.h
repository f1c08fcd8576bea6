/*
 * The service desk's configuration: departments, categories with their
 * keywords and deadlines, communes with their areas, the channels' default
 * categories, the triage department and the working calendar. Loaded and checked by config_desk.c from the config file, and
 * replaced by the admin API (desk_edit.c, api_desk.c).
 *
 * A struct hub_config_desk is an immutable snapshot. An edit builds a new
 * one and desk_replace swaps it in with one atomic store, so a reader on
 * any thread (the store thread's classify, route and deadline stages, the
 * public status page, the API) sees either the old desk or the new one,
 * never half of an edit, and needs no lock.
 */
#ifndef HUB_DESK_H
#define HUB_DESK_H

#include <stddef.h>

#include <jansson.h>

#include "calendar.h"

struct hub_config;

/* Assignment policy of a department: who gets its new tickets. */
enum desk_assignment {
	DESK_ASSIGNMENT_MANUAL,		/* by an agent or supervisor */
	DESK_ASSIGNMENT_ROUND_ROBIN,	/* the next available agent by id */
	DESK_ASSIGNMENT_FEWEST_OPEN,	/* the available agent with the fewest
					 * open tickets */
};

struct desk_department {
	char *id;
	char *name_vi;
	char *name_en;
	enum desk_assignment assignment;
};

struct desk_category {
	char *id;
	char *name_vi;
	char *name_en;
	/* Keywords folded to " word word " (text_fold, one space between
	 * words and one at each end), ready for classify_count. */
	char **keywords;
	size_t keyword_count;
	const struct desk_department *department;	/* NULL: triage */
	struct calendar_policy deadline;
};

/* A point in WGS 84 degrees. */
struct desk_point {
	double latitude;
	double longitude;
};

struct desk_commune {
	char *id;
	char *name;		/* as configured: "Phường Mỹ Tho" */
	char *name_folded;	/* " phuong my tho " */
	const struct desk_department *department;	/* NULL for none */
	/* The commune's boundary as a polygon of at least 3 points, without
	 * a closing point equal to the first; NULL and 0 when not set. */
	struct desk_point *area;
	size_t area_count;
};

/* The category that a channel's new tickets get when neither the channel
 * nor the keywords give one. */
struct desk_channel_category {
	char *channel;		/* module name: "web", "sms" */
	const struct desk_category *category;
};

struct hub_config_desk {
	struct desk_department *departments;
	size_t department_count;
	struct desk_category *categories;	/* in configuration order */
	size_t category_count;
	struct desk_commune *communes;
	size_t commune_count;
	struct desk_channel_category *channel_categories;
	size_t channel_category_count;
	const struct desk_department *triage_department;	/* may be NULL */
	struct calendar calendar;

	/* The checked sections this desk was built from: "departments",
	 * "categories", "communes" and "channel_categories" always,
	 * "triage_department" and "calendar" when set. The admin API shows them and an edit starts
	 * from a copy. Main thread only, because jansson is not thread-safe. */
	json_t *sections;
	/* The desk this one replaced, kept until config_free (desk.c). */
	struct hub_config_desk *previous;
};

/* The desk in force and the desks it replaced (desk.c). */
struct desk_state;

/* Returns the desk in force for config. A reader takes it once per use (a
 * message, a page, a reply) and reads only through that pointer, so one
 * use never mixes two versions. The desk stays valid until config_free.
 * A config made without config_load, as in unit tests, reads as an empty
 * desk. Any thread. */
const struct hub_config_desk *desk_current(const struct hub_config *config);

/* Makes desk (ownership taken) the desk in force for config. The desk it
 * replaces is kept, not freed, until config_free, because a reader on
 * another thread may still hold it. Main thread only. */
void desk_replace(const struct hub_config *config,
    struct hub_config_desk *desk);

/* Creates the state of config->desk with desk (ownership taken) in force.
 * Returns NULL on allocation failure, desk then untouched. */
struct desk_state *desk_state_new(struct hub_config_desk *desk);

/* Frees the desk in force and every desk it replaced. */
void desk_state_free(struct desk_state *state);

/* Frees desk and everything it owns (not the desks it replaced). NULL is
 * ignored. */
void desk_free(struct hub_config_desk *desk);

/* Finds a department or a category by id. Returns NULL when there is
 * none. */
const struct desk_department *desk_department_find(
    const struct hub_config_desk *desk, const char *id);
const struct desk_category *desk_category_find(
    const struct hub_config_desk *desk, const char *id);

/* Returns the default category of channel, or NULL when it has none.
 * channel may be NULL. */
const struct desk_category *desk_channel_category_find(
    const struct hub_config_desk *desk, const char *channel);

/* Parses an assignment policy name ("manual", "round_robin",
 * "fewest_open"). Returns 0, or -1 for another text. */
int desk_assignment_parse(const char *name, enum desk_assignment *assignment);

#endif
