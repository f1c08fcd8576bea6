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
hub_message_add_reference(struct hub_message *message, const char *id)
{
	size_t length;
	char *copy;

	while (*id == ' ' || *id == '\t' || *id == '<')
		id++;
	length = strlen(id);
	while (length > 0 && (id[length - 1] == ' ' ||
	    id[length - 1] == '\t' || id[length - 1] == '>'))
		length--;
	if (length == 0 || length > HUB_REFERENCE_MAX ||
	    message->reference_count >= HUB_MESSAGE_REFERENCES_MAX)
		return 0;
	copy = strndup(id, length);
	if (copy == NULL)
		return -1;
	message->references[message->reference_count++] = copy;
	return 0;
}

int
hub_message_add_attachment(struct hub_message *message, const char *sha256,
    const char *filename, const char *content_type, int64_t size)
{
	struct hub_attachment *attachment;

	if (message->attachment_count >= HUB_MESSAGE_ATTACHMENTS_MAX ||
	    strlen(sha256) != 64)
		return -1;
	attachment = &message->attachments[message->attachment_count];
	memset(attachment, 0, sizeof(*attachment));
	memcpy(attachment->sha256, sha256, 65);
	if (hub_message_set(&attachment->filename, filename) != 0 ||
	    hub_message_set(&attachment->content_type, content_type) != 0) {
		free(attachment->filename);
		free(attachment->content_type);
		return -1;
	}
	attachment->size = size;
	message->attachment_count++;
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
	free(message->reference);
	free(message->subject_folded);
	free(message->body_folded);
	for (int i = 0; i < message->reference_count; i++)
		free(message->references[i]);
	for (int i = 0; i < message->attachment_count; i++) {
		free(message->attachments[i].filename);
		free(message->attachments[i].content_type);
	}
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
