/*
 * GET /api/v1/citizens/ID/export and POST /api/v1/citizens/ID/erase, for
 * admins: a citizen's access to the data held about them, and its erasure,
 * under Vietnam's Law No. 91/2025/QH15 on Personal Data Protection.
 *
 * The export leaves out internal notes unless ?include_notes=true: notes
 * are the agency's working records about a ticket rather than data the
 * citizen gave, and an admin decides whether to release them. The document
 * counts the notes withheld per ticket, so that the choice is visible.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "api.h"
#include "api_auth.h"
#include "api_citizens.h"
#include "api_error.h"
#include "clock.h"
#include "config.h"
#include "http_server.h"
#include "log.h"
#include "store_citizen.h"

/* --- Export ----------------------------------------------------------------- */

/* Reads ?include_notes=true|false. Returns 1 or 0, or -1 after sending 422
 * for another parameter or value. */
static int
privacy_api_include_notes(struct evhttp_request *req)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyvalq params;
	struct evkeyval *parameter;
	const char *bad = NULL;
	int include = 0, seen = 0;

	TAILQ_INIT(&params);
	if (query != NULL && evhttp_parse_query_str(query, &params) != 0)
		bad = "query";
	TAILQ_FOREACH(parameter, &params, next) {
		if (bad != NULL)
			break;
		if (strcmp(parameter->key, "lang") == 0)
			continue;
		if (strcmp(parameter->key, "include_notes") != 0)
			bad = "query";
		else if (seen++ > 0 || (strcmp(parameter->value, "true") != 0 &&
		    strcmp(parameter->value, "false") != 0))
			bad = "include_notes";
		else
			include = strcmp(parameter->value, "true") == 0;
	}
	evhttp_clear_headers(&params);
	if (bad == NULL)
		return include;
	api_auth_error(req, HUB_ERR_INVALID_FIELD, bad, 0);
	return -1;
}

void
privacy_api_export(struct api_context *api, struct evhttp_request *req,
    int64_t citizen_id)
{
	struct api_citizens_audited *reply;
	struct auth_agent agent;
	char disposition[96];
	json_t *document;
	int include_notes;

	if (!auth_request(api, req, &agent))
		return;
	if (!auth_has_role(&agent, AUTH_ROLE_ADMIN)) {
		auth_forbid(req);
		return;
	}
	if ((include_notes = privacy_api_include_notes(req)) < 0)
		return;
	document = store_citizen_export_json(api->store, citizen_id,
	    include_notes == 1, clock_now_ms());
	if (document == NULL) {
		api_auth_error(req, errno == ENOENT ? HUB_ERR_NOT_FOUND :
		    HUB_ERR_INTERNAL, errno == ENOENT ? "id" : NULL, 0);
		return;
	}
	reply = api_citizens_audited_new(api, req, &agent, 200, document);
	if (reply == NULL)
		return;
	snprintf(disposition, sizeof(disposition), "attachment; filename="
	    "\"citizen-%lld.json\"", (long long)citizen_id);
	if (api_citizens_audited_header(reply, "Content-Disposition",
	    disposition) != 0 || api_citizens_audit_add(reply,
	    "citizen.export", citizen_id, 0, json_pack("{s:b}",
	    "include_notes", include_notes == 1)) != 0) {
		api_citizens_audited_fail(reply);
		return;
	}
	api_citizens_audited_send(reply);
}

/* --- Erasure ------------------------------------------------------------- */

struct privacy_api_erasure {
	struct api_context *api;
	struct evhttp_request *req;
	struct store_job job;
	char actor[AUTH_USERNAME_MAX + 32];
	struct store_citizen_erase erase;
};

static void
privacy_api_erasure_free(struct privacy_api_erasure *erasure)
{
	json_decref(erasure->erase.held_codes);
	store_anonymized_clear(&erasure->erase.counts);
	free(erasure);
}

static int
privacy_api_erase_apply(struct store_tx *tx, void *arg)
{
	struct privacy_api_erasure *erasure = arg;

	if (store_tx_citizen_erase(tx, &erasure->erase) != 0)
		return -1;
	return erasure->erase.outcome == STORE_CITIZEN_DONE ? 0 : 1;
}

/* Sends 409 erasure_held naming the reason, with the codes of the tickets
 * that hold the data. */
static void
privacy_api_send_held(struct evhttp_request *req,
    const struct store_citizen_erase *erase)
{
	struct hub_error error;
	json_t *detail;

	hub_error_set(&error, HUB_ERR_ERASURE_HELD, erase->reason, 0);
	detail = api_error_json(&error);
	if (detail == NULL || json_object_set(detail, "tickets",
	    erase->held_codes) != 0) {
		json_decref(detail);
		api_auth_error(req, HUB_ERR_ERASURE_HELD, erase->reason, 0);
		return;
	}
	/* "o" steals detail. */
	http_send_json(req, api_error_status(HUB_ERR_ERASURE_HELD),
	    json_pack("{s:o}", "error", detail));
}

/* Sends 422 invalid_field naming "id", with the id of the citizen that
 * the erased one was merged into, where the erasure must be made. */
static void
privacy_api_send_merged(struct evhttp_request *req,
    const struct store_citizen_erase *erase)
{
	struct hub_error error;
	json_t *detail;

	hub_error_set(&error, HUB_ERR_INVALID_FIELD, "id", HUB_ERROR_MERGED);
	detail = api_error_json(&error);
	if (detail == NULL || json_object_set_new(detail, "merged_into",
	    json_integer(erase->merged_into)) != 0) {
		json_decref(detail);
		api_auth_error(req, HUB_ERR_INVALID_FIELD, "id",
		    HUB_ERROR_MERGED);
		return;
	}
	/* "o" steals detail. */
	http_send_json(req, api_error_status(HUB_ERR_INVALID_FIELD),
	    json_pack("{s:o}", "error", detail));
}

static void
privacy_api_send_erased(struct evhttp_request *req,
    const struct store_citizen_erase *erase)
{
	const struct store_anonymized *counts = &erase->counts;
	char erased_at[CLOCK_ISO8601_SIZE];

	if (clock_format_vietnam(erase->now_ms, erased_at) != 0)
		erased_at[0] = '\0';
	http_send_json(req, 200, json_pack("{s:I, s:s, s:I, s:I, s:I, s:I}",
	    "citizen_id", (json_int_t)erase->citizen_id,
	    "erased_at", erased_at,
	    "tickets", (json_int_t)counts->tickets,
	    "messages", (json_int_t)counts->messages,
	    "contacts", (json_int_t)counts->contacts,
	    "attachments", (json_int_t)counts->attachments));
}

static void
privacy_api_erase_done(int result, void *arg)
{
	struct privacy_api_erasure *erasure = arg;
	const struct store_citizen_erase *erase = &erasure->erase;

	if (result == 0) {
		log_info("privacy", "citizen erased citizen=%lld tickets=%lld "
		    "actor=%s", (long long)erase->citizen_id,
		    (long long)erase->counts.tickets, erasure->actor);
		privacy_api_send_erased(erasure->req, erase);
	} else if (result == 1 && erase->outcome == STORE_CITIZEN_HELD) {
		log_info("privacy", "erasure held citizen=%lld reason=%s",
		    (long long)erase->citizen_id, erase->reason);
		privacy_api_send_held(erasure->req, erase);
	} else if (result == 1 && erase->outcome == STORE_CITIZEN_MERGED) {
		privacy_api_send_merged(erasure->req, erase);
	} else if (result == 1) {
		api_auth_error(erasure->req, erase->outcome ==
		    STORE_CITIZEN_NOT_FOUND ? HUB_ERR_NOT_FOUND :
		    HUB_ERR_INVALID_FIELD, "id", 0);
	} else {
		log_error("privacy", "erasing a citizen failed citizen=%lld",
		    (long long)erase->citizen_id);
		api_auth_error(erasure->req, HUB_ERR_INTERNAL, NULL, 0);
	}
	privacy_api_erasure_free(erasure);
}

void
privacy_api_erase(struct api_context *api, struct evhttp_request *req,
    int64_t citizen_id)
{
	const struct hub_config_privacy *privacy = &api->config->privacy;
	struct privacy_api_erasure *erasure;
	struct auth_agent agent;

	if (!auth_request(api, req, &agent))
		return;
	if (!auth_has_role(&agent, AUTH_ROLE_ADMIN)) {
		auth_forbid(req);
		return;
	}
	if ((erasure = calloc(1, sizeof(*erasure))) == NULL) {
		api_auth_error(req, HUB_ERR_INTERNAL, NULL, 0);
		return;
	}
	erasure->api = api;
	erasure->req = req;
	auth_actor(&agent, erasure->actor, sizeof(erasure->actor));
	erasure->erase = (struct store_citizen_erase){
		.citizen_id = citizen_id,
		.now_ms = clock_now_ms(),
		.hold_open_tickets = privacy->hold_open_tickets,
		.hold_closed_days = privacy->hold_closed_days,
		.actor = erasure->actor,
		.agent_id = agent.id,
	};
	erasure->job = (struct store_job){ .apply = privacy_api_erase_apply,
	    .done = privacy_api_erase_done, .arg = erasure };
	if (store_submit(api->store, &erasure->job) != 0) {
		api_auth_error(req, HUB_ERR_UNAVAILABLE, NULL, 0);
		privacy_api_erasure_free(erasure);
	}
}
