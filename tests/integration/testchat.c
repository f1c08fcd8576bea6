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
 *    "email": "an@example.vn", "name": "...", "subject": "...",
 *    "reference": "m1@x", "references": ["m0@x"], "automatic": false,
 *    "ack": "answer" | "queue" | "none",
 *    "attachment": {"filename": "a.txt", "content_type": "text/plain",
 *                   "content": BASE64}}
 *
 * user and text are required; email adds an unverified email contact. The
 * attachment's content is stored with hub_channel_store_blob. The reply is
 * 201 {"status": "created"} for a new ticket or 200 {"status": "joined"}
 * for an existing one, with ticket_id, code and message_id, 202
 * {"status": "dropped"} for an automatic message that was not stored, or
 * the pipeline's error.
 *
 * With "outbound": true in its config section the module also sends: each
 * outbound message is delivered at once and kept in memory (the last
 * TESTCHAT_SENT_MAX), and GET /testchat/sent lists them, oldest first, as
 * {ticket_id, message_id, reference (hub_channel_reference), to, kind,
 * subject, in_reply_to, references, automatic, text}. Without it, send
 * refuses every message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <sodium.h>

#include "channel.h"

#define TESTCHAT_PATH "/testchat/messages"
#define TESTCHAT_SENT_PATH "/testchat/sent"
#define TESTCHAT_SENT_MAX 100
#define TESTCHAT_ATTACHMENT_MAX (1024 * 1024)

struct testchat {
	struct hub_channel *channel;
	bool outbound;
	json_t *sent;		/* array of the messages sent */
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
	if (answer->status == HUB_ANSWER_DROPPED) {
		http_send_json(req, 202, json_pack("{s:s}", "status",
		    "dropped"));
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

/* Reads reference, references, automatic and ack. Returns NULL, or the
 * name of the member at fault. */
static const char *
testchat_threading(const json_t *body, struct hub_message *message)
{
	const json_t *references = json_object_get(body, "references");
	const json_t *automatic = json_object_get(body, "automatic");
	const char *ack = json_string_value(json_object_get(body, "ack"));
	size_t index;
	json_t *item;

	if (testchat_text(body, "reference", &message->reference) != 0)
		return "reference";
	if (references != NULL && !json_is_array(references))
		return "references";
	json_array_foreach(references, index, item)
		if (!json_is_string(item) || hub_message_add_reference(message,
		    json_string_value(item)) != 0)
			return "references";
	if (automatic != NULL && !json_is_boolean(automatic))
		return "automatic";
	message->automatic = json_is_true(automatic);
	if (json_object_get(body, "ack") == NULL || (ack != NULL &&
	    strcmp(ack, "answer") == 0))
		message->ack = HUB_ACK_ANSWER;
	else if (ack != NULL && strcmp(ack, "queue") == 0)
		message->ack = HUB_ACK_QUEUE;
	else if (ack != NULL && strcmp(ack, "none") == 0)
		message->ack = HUB_ACK_NONE;
	else
		return "ack";
	return NULL;
}

/* Stores the content of the attachment member and adds it to message.
 * Returns NULL, or the name of the member at fault. */
static const char *
testchat_attachment(struct testchat *testchat, const json_t *body,
    struct hub_message *message)
{
	const json_t *attachment = json_object_get(body, "attachment");
	const char *content = json_string_value(json_object_get(attachment,
	    "content"));
	const json_t *filename = json_object_get(attachment, "filename");
	const json_t *type = json_object_get(attachment, "content_type");
	unsigned char *data;
	size_t size = 0;
	char sha256[65];
	int rc;

	if (attachment == NULL)
		return NULL;
	if (!json_is_object(attachment) || content == NULL ||
	    (filename != NULL && !json_is_string(filename)) ||
	    (type != NULL && !json_is_string(type)))
		return "attachment";
	data = malloc(TESTCHAT_ATTACHMENT_MAX);
	if (data == NULL)
		return "attachment";
	if (sodium_base642bin(data, TESTCHAT_ATTACHMENT_MAX, content,
	    strlen(content), "\n\r ", &size, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0) {
		free(data);
		return "attachment.content";
	}
	/* A real module stores the blob in a worker job; this one stores it
	 * on the main thread, which hub_channel_store_blob allows too. */
	rc = hub_channel_store_blob(testchat->channel, data, size, sha256);
	free(data);
	if (rc != 0 || hub_message_add_attachment(message, sha256,
	    json_string_value(filename), json_string_value(type),
	    (int64_t)size) != 0)
		return "attachment";
	return NULL;
}

/* Builds the message of body, or returns NULL and sets *bad to the field
 * at fault. */
static struct hub_message *
testchat_message(struct testchat *testchat, const json_t *body,
    const char **bad)
{
	struct hub_message *message = hub_message_new("testchat");
	const char *user = json_string_value(json_object_get(body, "user"));
	const char *phone = json_string_value(json_object_get(body, "phone"));
	const char *email = json_string_value(json_object_get(body, "email"));
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
		else if (email != NULL && hub_message_add_contact(message,
		    CONTACT_EMAIL, email, false) != 0)
			*bad = "email";
	}
	if (*bad == NULL)
		*bad = testchat_threading(body, message);
	if (*bad == NULL)
		*bad = testchat_attachment(testchat, body, message);
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
	message = testchat_message(testchat, body, &bad);
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

static void
testchat_sent_get(struct evhttp_request *req, void *arg)
{
	struct testchat *testchat = arg;

	http_send_json(req, 200, json_pack("{s:O}", "sent", testchat->sent));
}

/* Keeps a copy of out and reports it delivered. */
static int
testchat_send(void *state, const struct hub_outbound *out,
    hub_send_done_fn done)
{
	struct testchat *testchat = state;
	char reference[HUB_REFERENCE_TOKEN_SIZE];
	json_t *copy;

	if (!testchat->outbound || hub_channel_reference(testchat->channel,
	    out->ticket_id, out->message_id, reference) != 0)
		return -1;
	copy = json_pack("{s:I, s:I, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:b,"
	    " s:s}",
	    "ticket_id", (json_int_t)out->ticket_id,
	    "message_id", (json_int_t)out->message_id,
	    "reference", reference, "to", out->to,
	    "kind", out->kind, "subject", out->subject,
	    "in_reply_to", out->in_reply_to, "references", out->references,
	    "automatic", out->automatic, "text", out->text);
	if (copy == NULL)
		return -1;
	if (json_array_size(testchat->sent) >= TESTCHAT_SENT_MAX)
		json_array_remove(testchat->sent, 0);
	json_array_append_new(testchat->sent, copy);
	done(testchat->channel, out->message_id, 0, NULL);
	return 0;
}

static void *
testchat_create(struct hub_channel *channel, const json_t *section,
    struct config_error *err)
{
	struct testchat *testchat = calloc(1, sizeof(*testchat));
	const json_t *outbound = json_object_get(section, "outbound");

	if (testchat == NULL || (testchat->sent = json_array()) == NULL) {
		free(testchat);
		config_error_at(hub_channel_config(channel), "channels.testchat",
		    err, "out of memory");
		return NULL;
	}
	if (outbound != NULL && !json_is_boolean(outbound)) {
		json_decref(testchat->sent);
		free(testchat);
		config_error_at(hub_channel_config(channel),
		    "channels.testchat.outbound", err, "expected a boolean");
		return NULL;
	}
	testchat->channel = channel;
	testchat->outbound = json_is_true(outbound);
	return testchat;
}

static int
testchat_start(void *state)
{
	struct testchat *testchat = state;

	if (hub_channel_route(testchat->channel, TESTCHAT_PATH,
	    HTTP_ROUTE_EXACT, testchat_post, testchat) != 0)
		return -1;
	return hub_channel_route(testchat->channel, TESTCHAT_SENT_PATH,
	    HTTP_ROUTE_EXACT, testchat_sent_get, testchat);
}

static void
testchat_stop(void *state)
{
}

static void
testchat_free(void *state)
{
	struct testchat *testchat = state;

	json_decref(testchat->sent);
	free(testchat);
}

const struct hub_channel_module hub_channel_module = {
	.abi_version = HUB_CHANNEL_ABI_VERSION,
	.name = "testchat",
	.capabilities = HUB_CHANNEL_INBOUND | HUB_CHANNEL_OUTBOUND |
	    HUB_CHANNEL_ATTACHMENTS,
	.create = testchat_create,
	.start = testchat_start,
	.stop = testchat_stop,
	.send = testchat_send,
	.free = testchat_free,
};
