#include <stdlib.h>
#include <string.h>

#include "message.h"

struct hub_message *
hub_message_new(const char *channel)
{
	struct hub_message *message = calloc(1, sizeof(*message));

	if (message == NULL)
		return NULL;
	if (hub_message_set(&message->channel, channel) != 0) {
		free(message);
		return NULL;
	}
	return message;
}

int
hub_message_add_contact(struct hub_message *message, enum contact_kind kind,
    const char *value, bool verified)
{
	struct hub_contact *contact;

	if (message->contact_count >= HUB_MESSAGE_CONTACTS_MAX)
		return -1;
	contact = &message->contacts[message->contact_count];
	contact->value = strdup(value);
	if (contact->value == NULL)
		return -1;
	contact->kind = kind;
	contact->verified = verified;
	message->contact_count++;
	return 0;
}

int
hub_message_set(char **field, const char *value)
{
	char *copy = NULL;

	if (value != NULL && (copy = strdup(value)) == NULL)
		return -1;
	free(*field);
	*field = copy;
	return 0;
}

void
hub_message_free(struct hub_message *message)
{
	if (message == NULL)
		return;
	for (int i = 0; i < message->contact_count; i++)
		free(message->contacts[i].value);
	free(message->channel);
	free(message->external_id);
	free(message->conversation_key);
	free(message->name);
	free(message->subject);
	free(message->body);
	free(message->category_hint);
	free(message->address);
	free(message->language);
	free(message->client_address);
	free(message->idempotency_route);
	free(message->idempotency_key);
	free(message);
}

void
hub_error_set(struct hub_error *error, enum hub_error_code code,
    const char *field, long limit)
{
	error->code = code;
	error->limit = limit;
	error->field[0] = '\0';
	if (field != NULL) {
		strncpy(error->field, field, sizeof(error->field) - 1);
		error->field[sizeof(error->field) - 1] = '\0';
	}
}
