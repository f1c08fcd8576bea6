#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "web.h"

static const char *const web_intake_keys[WEB_FIELD_COUNT] = {
	[WEB_FIELD_NAME] = "name",
	[WEB_FIELD_PHONE] = "phone",
	[WEB_FIELD_EMAIL] = "email",
	[WEB_FIELD_SUBJECT] = "subject",
	[WEB_FIELD_DESCRIPTION] = "description",
	[WEB_FIELD_CATEGORY] = "category",
	[WEB_FIELD_ADDRESS] = "address",
	[WEB_FIELD_LATITUDE] = "latitude",
	[WEB_FIELD_LONGITUDE] = "longitude",
	[WEB_FIELD_LANGUAGE] = "language",
	[WEB_FIELD_EXTERNAL_ID] = "external_id",
};

const char *
web_intake_field_key(enum web_field field)
{
	return web_intake_keys[field];
}

int
web_intake_field_find(const char *key, enum web_field *field)
{
	int i;

	for (i = 0; i < WEB_FIELD_COUNT; i++) {
		if (strcmp(web_intake_keys[i], key) == 0) {
			*field = (enum web_field)i;
			return 0;
		}
	}
	return -1;
}

int
web_intake_set(struct web_intake *intake, enum web_field field,
    const char *value)
{
	char *copy = strdup(value);

	if (copy == NULL)
		return -1;
	free(intake->values[field]);
	intake->values[field] = copy;
	return 0;
}

static bool
web_intake_given(const struct web_intake *intake, enum web_field field)
{
	const char *value = intake->values[field];

	return value != NULL && *value != '\0';
}

static int
web_intake_check_location(const struct web_intake *intake,
    struct hub_error *error)
{
	if (!intake->has_location)
		return 0;
	if (!(intake->latitude >= -90.0 && intake->latitude <= 90.0)) {
		hub_error_set(error, HUB_ERR_INVALID_FIELD, "latitude", 90);
		return -1;
	}
	if (!(intake->longitude >= -180.0 && intake->longitude <= 180.0)) {
		hub_error_set(error, HUB_ERR_INVALID_FIELD, "longitude", 180);
		return -1;
	}
	return 0;
}

int
web_intake_check(const struct web_intake *intake, struct hub_error *error)
{
	const char *language = intake->values[WEB_FIELD_LANGUAGE];

	if (!web_intake_given(intake, WEB_FIELD_DESCRIPTION)) {
		hub_error_set(error, HUB_ERR_MISSING_FIELD, "description", 0);
		return -1;
	}
	if (language != NULL && strcmp(language, "vi") != 0 &&
	    strcmp(language, "en") != 0) {
		hub_error_set(error, HUB_ERR_UNKNOWN_LANGUAGE, "language", 0);
		return -1;
	}
	if (web_intake_check_location(intake, error) != 0)
		return -1;
	if (!intake->consent && (web_intake_given(intake, WEB_FIELD_NAME) ||
	    web_intake_given(intake, WEB_FIELD_PHONE) ||
	    web_intake_given(intake, WEB_FIELD_EMAIL))) {
		hub_error_set(error, HUB_ERR_CONSENT_REQUIRED, "consent", 0);
		return -1;
	}
	return 0;
}

/* Copies the non-empty text fields into message. */
static int
web_intake_message_texts(const struct web_intake *intake,
    struct hub_message *message)
{
	static const struct {
		enum web_field field;
		size_t offset;
	} texts[] = {
		{ WEB_FIELD_NAME, offsetof(struct hub_message, name) },
		{ WEB_FIELD_SUBJECT, offsetof(struct hub_message, subject) },
		{ WEB_FIELD_DESCRIPTION, offsetof(struct hub_message, body) },
		{ WEB_FIELD_CATEGORY,
		    offsetof(struct hub_message, category_hint) },
		{ WEB_FIELD_ADDRESS, offsetof(struct hub_message, address) },
		{ WEB_FIELD_LANGUAGE, offsetof(struct hub_message, language) },
		{ WEB_FIELD_EXTERNAL_ID,
		    offsetof(struct hub_message, external_id) },
	};
	size_t i;
	char **slot;

	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		if (!web_intake_given(intake, texts[i].field))
			continue;
		slot = (char **)(void *)((char *)message + texts[i].offset);
		if (hub_message_set(slot, intake->values[texts[i].field]) != 0)
			return -1;
	}
	return 0;
}

struct hub_message *
web_intake_message(const struct web_intake *intake)
{
	struct hub_message *message = hub_message_new("web");

	if (message == NULL)
		return NULL;
	if (web_intake_message_texts(intake, message) != 0)
		goto fail;
	if (web_intake_given(intake, WEB_FIELD_PHONE) &&
	    hub_message_add_contact(message, CONTACT_PHONE,
	    intake->values[WEB_FIELD_PHONE], false) != 0)
		goto fail;
	if (web_intake_given(intake, WEB_FIELD_EMAIL) &&
	    hub_message_add_contact(message, CONTACT_EMAIL,
	    intake->values[WEB_FIELD_EMAIL], false) != 0)
		goto fail;

	message->has_location = intake->has_location;
	message->latitude = intake->latitude;
	message->longitude = intake->longitude;
	message->consent = intake->consent;
	/* received_at_ms stays 0: the pipeline stamps it from the hub's clock
	 * on submit, so that deadlines and tests share one clock. */
	return message;

fail:
	hub_message_free(message);
	return NULL;
}

void
web_intake_clear(struct web_intake *intake)
{
	int i;

	for (i = 0; i < WEB_FIELD_COUNT; i++) {
		free(intake->values[i]);
		intake->values[i] = NULL;
	}
	intake->has_location = false;
	intake->consent = false;
}
