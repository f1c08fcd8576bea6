#include <string.h>

#include "log.h"
#include "pipeline_stages.h"
#include "store.h"
#include "store_citizen.h"

/* The citizen of the first verified contact that is already known. */
static int
identify_find_citizen(struct store_tx *tx, const struct hub_message *message,
    struct pipeline_identity *identity)
{
	for (int i = 0; i < message->contact_count; i++) {
		const struct hub_contact *contact = &message->contacts[i];
		int64_t contact_id, citizen_id;
		int found;

		if (!contact->verified)
			continue;
		found = store_tx_contact_find_verified(tx, contact->kind,
		    contact->value, &contact_id, &citizen_id);
		if (found < 0)
			return -1;
		if (found == 1) {
			identity->citizen_id = citizen_id;
			identity->contact_ids[i] = contact_id;
			return 0;
		}
	}
	return 0;
}

/* Stores the contacts not yet known on the identified citizen. A verified
 * contact that another citizen owns keeps its owner: this message only
 * proves the one contact its channel verified. */
static int
identify_store_contacts(struct store_tx *tx, const struct hub_message *message,
    struct pipeline_identity *identity)
{
	for (int i = 0; i < message->contact_count; i++) {
		const struct hub_contact *contact = &message->contacts[i];
		int64_t contact_id = 0, owner = 0;
		int found = 0;

		if (identity->contact_ids[i] != 0)
			continue;
		if (contact->verified) {
			found = store_tx_contact_find_verified(tx, contact->kind,
			    contact->value, &contact_id, &owner);
			if (found < 0)
				return -1;
		}
		if (found == 1 && owner != identity->citizen_id) {
			log_trace(LOG_TRACE_PIPELINE, "pipeline", "verified "
			    "contact of another citizen left apart citizen=%lld "
			    "owner=%lld", (long long)identity->citizen_id,
			    (long long)owner);
			continue;
		}
		if (found == 0 && store_tx_contact_add(tx, identity->citizen_id,
		    contact->kind, contact->value, contact->verified,
		    &contact_id) != 0)
			return -1;
		identity->contact_ids[i] = contact_id;
	}
	return 0;
}

/* Rejects the message when one of its contacts is blocked, whether the
 * channel verified it or not. Returns 1 with error set, 0 or -1. */
static int
identify_check_blocked(struct store_tx *tx, const struct hub_message *message,
    struct hub_error *error)
{
	for (int i = 0; i < message->contact_count; i++) {
		const struct hub_contact *contact = &message->contacts[i];
		int64_t contact_id = 0;
		int blocked = store_tx_contact_blocked(tx, contact->kind,
		    contact->value, &contact_id);

		if (blocked < 0)
			return -1;
		if (blocked == 1) {
			log_info("pipeline", "message rejected: contact blocked "
			    "channel=%s contact=%lld", message->channel,
			    (long long)contact_id);
			hub_error_set(error, HUB_ERR_CONTACT_BLOCKED,
			    contact_kind_name(contact->kind), 0);
			return 1;
		}
	}
	return 0;
}

int
pipeline_identify(struct store_tx *tx, const struct hub_message *message,
    struct pipeline_identity *identity, struct hub_error *error)
{
	int blocked;

	memset(identity, 0, sizeof(*identity));
	if ((blocked = identify_check_blocked(tx, message, error)) != 0)
		return blocked;
	if (identify_find_citizen(tx, message, identity) != 0)
		return -1;
	if (identity->citizen_id == 0 && store_tx_citizen_create(tx,
	    message->name, message->language, &identity->citizen_id) != 0)
		return -1;
	if (identify_store_contacts(tx, message, identity) != 0)
		return -1;
	if (message->contact_count > 0)
		identity->primary_contact_id = identity->contact_ids[0];
	return 0;
}
