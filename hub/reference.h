/*
 * References of the hub's outbound messages: "chub.T.M.MAC", with T the
 * ticket id and M the message id in decimal and MAC the first 8 bytes (16
 * lower-case hex digits) of a keyed BLAKE2b hash of "T.M". The key is
 * derived from the store's token key, so a backup carries it and nobody
 * without the database can make a reference that threads.
 */
#ifndef HUB_REFERENCE_H
#define HUB_REFERENCE_H

#include <stddef.h>
#include <stdint.h>

#define REFERENCE_KEY_BYTES 32
#define REFERENCE_PREFIX "chub."

/* Derives the reference key from the store's token key (32 bytes). */
void reference_key_derive(const uint8_t *token_key,
    uint8_t key[REFERENCE_KEY_BYTES]);

/* Writes "chub.T.M.MAC" to out. Returns 0, or -1 when an id is not
 * positive or out is too small. */
int reference_make(const uint8_t key[REFERENCE_KEY_BYTES], int64_t ticket_id,
    int64_t message_id, char *out, size_t size);

/* Whether id is a reference made by reference_make under key. id may have
 * angle brackets and an "@domain" suffix around the token; the hash is
 * compared in constant time. Returns 1 with the ids filled in, else 0. */
int reference_parse(const uint8_t key[REFERENCE_KEY_BYTES], const char *id,
    int64_t *ticket_id, int64_t *message_id);

#endif
