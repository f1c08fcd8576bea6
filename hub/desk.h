/*
 * The service desk's configuration: departments, categories with their
 * keywords and deadlines, communes, the triage department and the working
 * calendar. Loaded and checked by config_desk.c, read-only afterwards, so
 * the store thread reads it without a lock.
 */
#ifndef HUB_DESK_H
#define HUB_DESK_H

#include <stddef.h>

#include "calendar.h"

/* How the tickets of a department get an assignee. */
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

struct desk_commune {
	char *id;
	char *name;		/* as configured: "Phường Mỹ Tho" */
	char *name_folded;	/* " phuong my tho " */
	const struct desk_department *department;	/* NULL for none */
};

struct hub_config_desk {
	struct desk_department *departments;
	size_t department_count;
	struct desk_category *categories;	/* in configuration order */
	size_t category_count;
	struct desk_commune *communes;
	size_t commune_count;
	const struct desk_department *triage_department;	/* may be NULL */
	struct calendar calendar;
};

/* Finds a department or a category by id. Returns NULL when there is
 * none. */
const struct desk_department *desk_department_find(
    const struct hub_config_desk *desk, const char *id);
const struct desk_category *desk_category_find(
    const struct hub_config_desk *desk, const char *id);

/* Parses an assignment policy name ("manual", "round_robin",
 * "fewest_open"). Returns 0, or -1 for another text. */
int desk_assignment_parse(const char *name, enum desk_assignment *assignment);

#endif
