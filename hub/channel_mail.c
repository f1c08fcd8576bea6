/*
 * Host functions of channel.h for mail-like channels: references of
 * outbound messages, attachment blobs and the modules' own state.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "attachment.h"
#include "channel.h"
#include "module.h"
#include "reference.h"
#include "store.h"
#include "store_mail.h"

int
hub_channel_reference(const struct hub_channel *channel, int64_t ticket_id,
    int64_t message_id, char reference[HUB_REFERENCE_TOKEN_SIZE])
{
	uint8_t key[REFERENCE_KEY_BYTES];
	int rc;

	reference_key_derive(store_token_key(channel->host->store), key);
	rc = reference_make(key, ticket_id, message_id, reference,
	    HUB_REFERENCE_TOKEN_SIZE);
	sodium_memzero(key, sizeof key);
	return rc;
}

int
hub_channel_reference_parse(const struct hub_channel *channel, const char *id,
    int64_t *ticket_id, int64_t *message_id)
{
	uint8_t key[REFERENCE_KEY_BYTES];
	int rc;

	reference_key_derive(store_token_key(channel->host->store), key);
	rc = reference_parse(key, id, ticket_id, message_id);
	sodium_memzero(key, sizeof key);
	return rc;
}

int
hub_channel_store_blob(const struct hub_channel *channel, const void *data,
    size_t size, char sha256[65])
{
	return attachment_store(store_data_dir(channel->host->store), data,
	    size, sha256);
}

char *
hub_channel_state_get(struct hub_channel *channel, const char *key)
{
	char *value = store_channel_state_get(channel->host->store,
	    channel->name, key);

	if (value == NULL && errno != 0)
		/* Not the key, which may hold a phone number. */
		log_error("channel", "reading channel state failed channel=%s",
		    channel->name);
	return value;
}

/* One write of channel_state on its way to the store. */
struct channel_state_write {
	struct store_job job;
	char *channel;
	char *key;
	char *value;
	hub_state_done_fn done;
	void *arg;
};

static void
channel_state_write_free(struct channel_state_write *write)
{
	free(write->channel);
	free(write->key);
	free(write->value);
	free(write);
}

static int
channel_state_apply(struct store_tx *tx, void *arg)
{
	struct channel_state_write *write = arg;

	return store_tx_channel_state_set(tx, write->channel, write->key,
	    write->value);
}

static void
channel_state_done(int result, void *arg)
{
	struct channel_state_write *write = arg;

	if (result != 0)
		log_error("channel", "channel state not stored channel=%s "
		    "key=%s", write->channel, write->key);
	if (write->done != NULL)
		write->done(result == 0 ? 0 : -1, write->arg);
	channel_state_write_free(write);
}

int
hub_channel_state_set(struct hub_channel *channel, const char *key,
    const char *value, hub_state_done_fn done, void *arg)
{
	struct channel_state_write *write = calloc(1, sizeof *write);

	if (write == NULL)
		return -1;
	write->channel = strdup(channel->name);
	write->key = strdup(key);
	write->value = value != NULL ? strdup(value) : NULL;
	if (write->channel == NULL || write->key == NULL ||
	    (value != NULL && write->value == NULL)) {
		channel_state_write_free(write);
		return -1;
	}
	write->done = done;
	write->arg = arg;
	write->job = (struct store_job){ .apply = channel_state_apply,
	    .done = channel_state_done, .arg = write };
	if (store_submit(channel->host->store, &write->job) != 0) {
		channel_state_write_free(write);
		return -1;
	}
	return 0;
}
