/*
 * The "testchat" channel module, built for the integration tests only and
 * never installed. It stands for a chat platform such as Zalo or Telegram:
 * the platform has verified the sender's user id (and, for a test of SMS
 * replies, the sender's phone), and a chat conversation continues on the
 * same conversation key. No channel of the hub gives both yet, so this is
 * how the tests reach the pipeline's threading and reopening.
 *
 *   POST /testchat/messages
 *   {"user": "u1", "text": "...", "conversation": "c1", "phone": "09...",
 *    "name": "...", "subject": "..."}
 *
 * user and text are required. The reply is 201 {"status": "created"} for a
 * new ticket or 200 {"status": "joined"} for an existing one, with
 * ticket_id, code and message_id, or the pipeline's error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "channel.h"

#define TESTCHAT_PATH "/testchat/messages"

struct testchat {
	struct hub_channel *channel;
};

static void
testchat_error(struct evhttp_request *req, enum hub_error_code code,
    const char *field)
{
	struct hub_error error;

	hub_error_set(&error, code, field, 0);
	http_send_error(req, &error);
}

static void
testchat_done(const struct hub_answer *answer, void *arg)
{
	struct evhttp_request *req = arg;
	bool created = answer->status == HUB_ANSWER_CREATED;

	if (answer->status == HUB_ANSWER_REJECTED) {
		http_send_error(req, &answer->error);
		return;
	}
	if (answer->status == HUB_ANSWER_FAILED) {
		testchat_error(req, HUB_ERR_UNAVAILABLE, NULL);
		return;
	}
	http_send_json(req, created ? 201 : 200, json_pack(
	    "{s:s, s:I, s:s, s:I}", "status", created ? "created" : "joined",
	    "ticket_id", (json_int_t)answer->ticket_id, "code", answer->code,
	    "message_id", (json_int_t)answer->message_id));
}

/* Copies the string member key of body into *field; an absent member
 * leaves it NULL. Returns 0, or -1 for another type or no memory. */
static int
testchat_text(const json_t *body, const char *key, char **field)
{
	const json_t *value = json_object_get(body, key);

	if (value == NULL)
		return 0;
	if (!json_is_string(value))
		return -1;
	return hub_message_set(field, json_string_value(value));
}

/* Builds the message of body, or returns NULL and sets *bad to the field
 * at fault. */
static struct hub_message *
testchat_message(const json_t *body, const char **bad)
{
	struct hub_message *message = hub_message_new("testchat");
	const char *user = json_string_value(json_object_get(body, "user"));
	const char *phone = json_string_value(json_object_get(body, "phone"));
	char contact[128];

	*bad = NULL;
	if (message == NULL)
		return NULL;
	if (user == NULL || user[0] == '\0' || strlen(user) > 64)
		*bad = "user";
	else if (testchat_text(body, "text", &message->body) != 0)
		*bad = "text";
	else if (testchat_text(body, "conversation",
	    &message->conversation_key) != 0)
		*bad = "conversation";
	else if (testchat_text(body, "name", &message->name) != 0 ||
	    testchat_text(body, "subject", &message->subject) != 0)
		*bad = "name";
	if (*bad == NULL) {
		snprintf(contact, sizeof(contact), "testchat:%s", user);
		if (hub_message_add_contact(message, CONTACT_PLATFORM, contact,
		    true) != 0 || (phone != NULL && hub_message_add_contact(
		    message, CONTACT_PHONE, phone, true) != 0))
			*bad = "phone";
	}
	if (*bad != NULL) {
		hub_message_free(message);
		return NULL;
	}
	return message;
}

static void
testchat_post(struct evhttp_request *req, void *arg)
{
	struct testchat *testchat = arg;
	struct hub_message *message;
	const char *data, *bad;
	json_error_t error;
	json_t *body;
	size_t length;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		testchat_error(req, HUB_ERR_METHOD_NOT_ALLOWED, NULL);
		return;
	}
	if (http_request_body(hub_channel_http(testchat->channel), req, &data,
	    &length) != 0) {
		testchat_error(req, HUB_ERR_BODY_TOO_LARGE, NULL);
		return;
	}
	body = json_loadb(data, length, 0, &error);
	if (!json_is_object(body)) {
		json_decref(body);
		testchat_error(req, HUB_ERR_INVALID_JSON, NULL);
		return;
	}
	message = testchat_message(body, &bad);
	json_decref(body);
	if (message == NULL) {
		testchat_error(req, bad != NULL ? HUB_ERR_INVALID_FIELD :
		    HUB_ERR_INTERNAL, bad);
		return;
	}
	/* hub_channel_submit owns message from here, also on failure. */
	if (hub_channel_submit(testchat->channel, message, testchat_done,
	    req) != 0)
		testchat_error(req, HUB_ERR_UNAVAILABLE, NULL);
}

static void *
testchat_create(struct hub_channel *channel, const json_t *section,
    struct config_error *err)
{
	struct testchat *testchat = calloc(1, sizeof(*testchat));

	if (testchat == NULL) {
		config_error_at(hub_channel_config(channel), "channels.testchat",
		    err, "out of memory");
		return NULL;
	}
	testchat->channel = channel;
	return testchat;
}

static int
testchat_start(void *state)
{
	struct testchat *testchat = state;

	return hub_channel_route(testchat->channel, TESTCHAT_PATH,
	    HTTP_ROUTE_EXACT, testchat_post, testchat);
}

static void
testchat_stop(void *state)
{
}

static void
testchat_free(void *state)
{
	free(state);
}

const struct hub_channel_module hub_channel_module = {
	.abi_version = HUB_CHANNEL_ABI_VERSION,
	.name = "testchat",
	.capabilities = HUB_CHANNEL_INBOUND,
	.create = testchat_create,
	.start = testchat_start,
	.stop = testchat_stop,
	.send = NULL,
	.free = testchat_free,
};
