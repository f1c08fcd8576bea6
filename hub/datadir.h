/*
 * The data directory: the database, attachments, keys and the lock that
 * marks a running daemon.
 */
#ifndef HUB_DATADIR_H
#define HUB_DATADIR_H

#include <stdbool.h>
#include <stddef.h>

#define DATADIR_LOCK_FILE "citizenhubd.lock"

/* Creates dir and its parents (mode 0700) when missing. Returns 0, or -1
 * with a message in err. */
int datadir_prepare(const char *dir, char *err, size_t err_size);

/* Takes the daemon's exclusive lock (flock on dir/citizenhubd.lock, holding
 * the pid). Returns the open descriptor, or -1 with a message in err when
 * another daemon holds it. */
int datadir_lock(const char *dir, char *err, size_t err_size);

/* Whether a daemon holds the lock of dir; *pid is set when it does. */
bool datadir_locked(const char *dir, long *pid);

/* Joins dir and name into out. Returns 0, or -1 when it does not fit. */
int datadir_path(const char *dir, const char *name, char *out, size_t size);

#endif
