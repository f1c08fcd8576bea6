/*
 * Attachment files: the content of each attachment, stored once under the
 * data directory as attachments/XX/HASH, where HASH is the content's
 * SHA-256 in lower-case hex and XX its first two digits. The attachments
 * table of the store contains the metadata.
 */
#ifndef HUB_ATTACHMENT_H
#define HUB_ATTACHMENT_H

#include <stddef.h>
#include <stdint.h>

#define ATTACHMENT_DIR "attachments"
/* A blob no attachment row refers to is removed once it is this old, so
 * that a module has time to store the message it came with (seconds for a
 * message in flight). An hour keeps the files of a rejected message, which
 * export and erasure do not see, on disk for at most an hour plus one
 * prune interval. */
#define ATTACHMENT_ORPHAN_AGE_MS (3600LL * 1000)

/* Writes data under data_dir by its SHA-256 (a temporary file, fsync,
 * rename, fsync of the folder) and writes the hash to sha256. Content
 * already stored is left as it is. Safe on any thread. Returns 0, or -1
 * on an I/O error (logged). */
int attachment_store(const char *data_dir, const void *data, size_t size,
    char sha256[65]);

/* The path of the blob sha256 (64 lower-case hex digits) under data_dir.
 * Returns 0, or -1 when sha256 is malformed or the path does not fit. */
int attachment_path(const char *data_dir, const char *sha256, char *out,
    size_t size);

/* Whether sha256 has the form of a blob name. */
int attachment_hash_valid(const char *sha256);

/* Decides whether a blob is still needed: returns 1 when an attachment
 * row refers to sha256, 0 when none does, -1 on error (the blob is kept). */
typedef int (*attachment_referenced_fn)(const char *sha256, void *arg);

/* Removes blobs older than before_ms (Unix ms, by modification time) that
 * referenced reports as unreferenced, and temporary files older than
 * before_ms left by an interrupted store. Returns the number removed, or
 * -1 when the folder could not be read. */
int64_t attachment_prune(const char *data_dir, int64_t before_ms,
    attachment_referenced_fn referenced, void *arg);

#endif
