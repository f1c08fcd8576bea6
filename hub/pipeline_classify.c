/*
 * The classify, route and deadline stages, run on the store thread for a
 * new ticket only.
 */
#include "classify.h"
#include "config.h"
#include "pipeline_stages.h"

int
pipeline_classify(const struct hub_config_desk *desk,
    const struct hub_message *message, struct pipeline_routing *routing)
{
	const struct desk_category *category;
	const struct desk_department *department;
	const struct desk_commune *commune;
	const struct desk_point location = { message->latitude,
	    message->longitude };

	*routing = (struct pipeline_routing){ 0 };
	if (classify_category_folded(desk, message->category_hint,
	    message->channel, message->subject_folded, message->body_folded,
	    &category) != 0 ||
	    classify_commune(desk, message->has_location ? &location : NULL,
	    message->address, &commune) != 0)
		return -1;

	department = category != NULL && category->department != NULL ?
	    category->department : desk->triage_department;
	routing->category = category != NULL ? category->id : NULL;
	routing->department = department != NULL ? department->id : NULL;
	routing->commune = commune != NULL ? commune->id : NULL;
	if (category != NULL)
		routing->due_at = calendar_due(&desk->calendar,
		    message->received_at_ms, &category->deadline);
	return 0;
}
