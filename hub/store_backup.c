/*
 * Online backup and restore with SQLite's backup API.
 *
 * Both copy into a temporary file next to the destination, fsync it and
 * rename it into place, so the destination is either the old file or the
 * complete new one. A backup holds one read transaction on the source for
 * its whole run: in WAL mode that pins one snapshot, so the daemon keeps
 * committing and the copy is consistent, and the backup never restarts
 * because of those commits.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "datadir.h"
#include "log.h"
#include "store_sqlite.h"

/* Pages copied per step, between two progress calls. */
#define STORE_BACKUP_STEP_PAGES 64

/* Retries of a step that found the destination locked, 10 ms apart. */
#define STORE_BACKUP_BUSY_RETRIES 500
#define STORE_BACKUP_BUSY_MS 10

#define STORE_BACKUP_BUSY_TIMEOUT_MS 5000

static const char store_backup_magic[16] = "SQLite format 3";

static int
store_backup_fsync_path(const char *path, int flags)
{
	int fd, rc;

	if ((fd = open(path, flags | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Renames temp to path and makes both the file and the rename durable. */
static int
store_backup_publish(const char *temp, const char *path, char *err,
    size_t err_size)
{
	char folder[STORE_PATH_MAX];

	if (store_backup_fsync_path(temp, O_RDONLY) != 0 ||
	    rename(temp, path) != 0) {
		snprintf(err, err_size, "writing %s failed: %s", path,
		    strerror(errno));
		return -1;
	}
	snprintf(folder, sizeof(folder), "%s", path);
	if (store_backup_fsync_path(dirname(folder), O_RDONLY |
	    O_DIRECTORY) != 0)
		log_warn("store", "syncing the folder of %s failed: %s", path,
		    strerror(errno));
	return 0;
}

/* Creates an empty temporary file beside path, mode 0600 (a backup contains
 * the secret keys). */
static int
store_backup_temp(const char *path, char *temp, size_t size, char *err,
    size_t err_size)
{
	int fd;

	if (snprintf(temp, size, "%s.tmp.XXXXXX", path) >= (int)size) {
		snprintf(err, err_size, "path too long: %.64s...", path);
		return -1;
	}
	if ((fd = mkstemp(temp)) == -1) {
		snprintf(err, err_size, "creating a temporary file beside %s "
		    "failed: %s", path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

static int
store_backup_steps(sqlite3_backup *backup, store_progress_fn progress,
    void *arg)
{
	int busy = 0, rc;

	for (;;) {
		rc = sqlite3_backup_step(backup, STORE_BACKUP_STEP_PAGES);
		if (progress != NULL)
			progress(sqlite3_backup_remaining(backup),
			    sqlite3_backup_pagecount(backup), arg);
		if (rc == SQLITE_DONE)
			return SQLITE_OK;
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
			if (++busy > STORE_BACKUP_BUSY_RETRIES)
				return rc;
			sqlite3_sleep(STORE_BACKUP_BUSY_MS);
		} else if (rc != SQLITE_OK) {
			return rc;
		}
	}
}

/*
 * Copies source into the empty file temp. The copy is switched to the
 * rollback journal so that the file is complete on its own, without -wal and -shm
 * files; citizenhubd switches it back to WAL when it opens it.
 */
static int
store_backup_copy(sqlite3 *source, const char *temp,
    store_progress_fn progress, void *arg, char *err, size_t err_size)
{
	sqlite3_backup *backup;
	sqlite3 *copy = NULL;
	int rc;

	if (sqlite3_open_v2(temp, &copy, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		snprintf(err, err_size, "opening %s failed: %s", temp,
		    copy != NULL ? sqlite3_errmsg(copy) : "out of memory");
		sqlite3_close(copy);
		return -1;
	}
	if ((backup = sqlite3_backup_init(copy, "main", source, "main")) ==
	    NULL) {
		snprintf(err, err_size, "starting the copy failed: %s",
		    sqlite3_errmsg(copy));
		sqlite3_close(copy);
		return -1;
	}
	rc = store_backup_steps(backup, progress, arg);
	if (sqlite3_backup_finish(backup) != SQLITE_OK || rc != SQLITE_OK ||
	    sqlite3_exec(copy, "PRAGMA journal_mode=DELETE", NULL, NULL,
	    NULL) != SQLITE_OK) {
		snprintf(err, err_size, "copying the database failed: %s",
		    rc != SQLITE_OK ? sqlite3_errstr(rc) : sqlite3_errmsg(copy));
		sqlite3_close(copy);
		return -1;
	}
	if (sqlite3_close(copy) != SQLITE_OK) {
		snprintf(err, err_size, "closing %s failed", temp);
		return -1;
	}
	return 0;
}

static int
store_backup_open_source(const char *path, sqlite3 **db, char *err,
    size_t err_size)
{
	*db = NULL;
	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		snprintf(err, err_size, "opening %s failed: %s", path,
		    *db != NULL ? sqlite3_errmsg(*db) : "out of memory");
		sqlite3_close(*db);
		*db = NULL;
		return -1;
	}
	sqlite3_busy_timeout(*db, STORE_BACKUP_BUSY_TIMEOUT_MS);
	return 0;
}

/* Copies source to path through a temporary file beside it. */
static int
store_backup_write(sqlite3 *source, const char *path,
    store_progress_fn progress, void *arg, char *err, size_t err_size)
{
	char temp[STORE_PATH_MAX];

	if (store_backup_temp(path, temp, sizeof(temp), err, err_size) != 0)
		return -1;
	if (store_backup_copy(source, temp, progress, arg, err,
	    err_size) != 0 ||
	    store_backup_publish(temp, path, err, err_size) != 0) {
		unlink(temp);
		return -1;
	}
	return 0;
}

/*
 * Refuses a destination inside the data directory: a backup written over
 * the live database (or beside it, where a restore or the daemon may take
 * it for its own files) destroys what it should protect.
 */
static int
store_backup_check_destination(const char *data_dir, const char *path,
    char *err, size_t err_size)
{
	char data_real[PATH_MAX], folder_real[PATH_MAX], *copy;
	size_t length;
	bool inside;

	if ((copy = strdup(path)) == NULL) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	if (realpath(data_dir, data_real) == NULL ||
	    realpath(dirname(copy), folder_real) == NULL) {
		snprintf(err, err_size, "backup destination %s: its folder "
		    "does not exist: %s", path, strerror(errno));
		free(copy);
		return -1;
	}
	free(copy);
	length = strlen(data_real);
	inside = strncmp(folder_real, data_real, length) == 0 &&
	    (folder_real[length] == '\0' || folder_real[length] == '/');
	if (inside) {
		snprintf(err, err_size, "backup destination %s is inside the "
		    "data directory %s; write the backup to a folder outside it",
		    path, data_dir);
		return -1;
	}
	return 0;
}

int
store_backup(const char *data_dir, const char *path,
    store_progress_fn progress, void *arg, char *err, size_t err_size)
{
	char db_path[STORE_PATH_MAX];
	sqlite3 *source;
	int rc;

	if (store_backup_check_destination(data_dir, path, err, err_size) != 0)
		return -1;

	if (datadir_path(data_dir, STORE_DB_FILE, db_path,
	    sizeof(db_path)) != 0) {
		snprintf(err, err_size, "data directory path too long");
		return -1;
	}
	if (access(db_path, F_OK) != 0) {
		snprintf(err, err_size, "no database at %s: %s", db_path,
		    strerror(errno));
		return -1;
	}
	if (store_backup_open_source(db_path, &source, err, err_size) != 0)
		return -1;

	/* The read transaction pins the snapshot that the copy reads. */
	if (sqlite3_exec(source, "BEGIN; SELECT COUNT(*) FROM sqlite_schema",
	    NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, err_size, "reading %s failed: %s", db_path,
		    sqlite3_errmsg(source));
		sqlite3_close(source);
		return -1;
	}
	rc = store_backup_write(source, path, progress, arg, err, err_size);
	sqlite3_exec(source, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(source);
	if (rc == 0)
		log_info("store", "backup written path=%s", path);
	return rc;
}

static int
store_backup_check_header(const char *path, char *err, size_t err_size)
{
	char header[sizeof(store_backup_magic)];
	ssize_t got;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, err_size, "opening %s failed: %s", path,
		    strerror(errno));
		return -1;
	}
	got = read(fd, header, sizeof(header));
	close(fd);
	if (got != (ssize_t)sizeof(header) ||
	    memcmp(header, store_backup_magic, sizeof(header)) != 0) {
		snprintf(err, err_size, "%s is not a SQLite database", path);
		return -1;
	}
	return 0;
}

/* Runs a query whose first row's first column is an integer. */
static int
store_backup_integer(sqlite3 *db, const char *sql, int64_t *value)
{
	sqlite3_stmt *stmt;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*value = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int
store_backup_check_integrity(sqlite3 *db, const char *path, char *err,
    size_t err_size)
{
	const unsigned char *result = NULL;
	sqlite3_stmt *stmt;
	int ok = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check(1)", -1, &stmt,
	    NULL) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
		result = sqlite3_column_text(stmt, 0);
		ok = result != NULL && strcmp((const char *)result, "ok") == 0;
	}
	if (!ok)
		snprintf(err, err_size, "%s failed the integrity check: %s",
		    path, result != NULL ? (const char *)result :
		    sqlite3_errmsg(db));
	sqlite3_finalize(stmt);
	return ok ? 0 : -1;
}

/* Checks that db is a Citizen Hub database this program can open. */
static int
store_backup_check_schema(sqlite3 *db, const char *path, char *err,
    size_t err_size)
{
	static const char keys[] = "SELECT COUNT(*) FROM meta WHERE key IN"
	    " ('code_key', 'token_key') AND length(value) = 32";
	int64_t count = 0;
	int version;

	if (store_migrate_version(db, &version) != 0 || version < 1) {
		snprintf(err, err_size, "%s is not a Citizen Hub database "
		    "(schema version %d)", path, version);
		return -1;
	}
	if (version > STORE_SCHEMA_VERSION) {
		snprintf(err, err_size, "%s has schema version %d, newer than "
		    "%d of this program: restore it with a newer citizenhubctl",
		    path, version, STORE_SCHEMA_VERSION);
		return -1;
	}
	if (store_backup_integer(db, keys, &count) != 0 || count != 2) {
		snprintf(err, err_size, "%s is not a Citizen Hub database: "
		    "its meta table lacks code_key or token_key", path);
		return -1;
	}
	return 0;
}

static int
store_backup_check(sqlite3 *db, const char *path, char *err, size_t err_size)
{
	if (store_backup_check_integrity(db, path, err, err_size) != 0 ||
	    store_backup_check_schema(db, path, err, err_size) != 0)
		return -1;
	return 0;
}

/* Removes the -wal and -shm files of the database being replaced: a WAL
 * left beside the restored file would be replayed into it. */
static int
store_backup_remove_wal(const char *db_path, char *err, size_t err_size)
{
	static const char *const suffixes[] = { "-wal", "-shm" };
	char path[STORE_PATH_MAX];

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		if (snprintf(path, sizeof(path), "%s%s", db_path,
		    suffixes[i]) >= (int)sizeof(path)) {
			snprintf(err, err_size, "path too long: %.64s...",
			    db_path);
			return -1;
		}
		if (unlink(path) != 0 && errno != ENOENT) {
			snprintf(err, err_size, "removing %s failed: %s", path,
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

/*
 * Gives the restored database a new ticket code key. Tickets created after
 * the backup was taken are lost by the restore, and the counter runs over
 * their ids again: with the old key, a new ticket would get a lost ticket's
 * code, and with it the access token that someone may still hold. Stored
 * tickets keep their codes, which live in their rows; a new code that
 * happens to equal a stored one is skipped when tickets are created.
 */
static int
store_backup_rotate_code_key(const char *temp, char *err, size_t err_size)
{
	static const char sql[] = "UPDATE meta SET value = ? WHERE key = 'code_key'";
	uint8_t key[STORE_KEY_BYTES];
	sqlite3_stmt *stmt = NULL;
	sqlite3 *db = NULL;
	int rc;

	randombytes_buf(key, sizeof(key));
	rc = sqlite3_open_v2(temp, &db, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(stmt, 1, key, sizeof(key), SQLITE_STATIC);
	if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_DONE &&
	    sqlite3_changes(db) == 1)
		rc = SQLITE_OK;
	else if (rc == SQLITE_DONE)
		rc = SQLITE_CORRUPT;
	if (rc != SQLITE_OK)
		snprintf(err, err_size, "renewing the ticket code key failed: %s",
		    db != NULL ? sqlite3_errmsg(db) : "out of memory");
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	sodium_memzero(key, sizeof(key));
	return rc == SQLITE_OK ? 0 : -1;
}

/* Copies the checked backup into a temporary file in the data directory,
 * then puts it in place of the database. */
static int
store_backup_replace(sqlite3 *source, const char *db_path,
    store_progress_fn progress, void *arg, char *err, size_t err_size)
{
	char temp[STORE_PATH_MAX];

	if (store_backup_temp(db_path, temp, sizeof(temp), err, err_size) != 0)
		return -1;
	if (store_backup_copy(source, temp, progress, arg, err,
	    err_size) != 0 ||
	    store_backup_rotate_code_key(temp, err, err_size) != 0 ||
	    store_backup_remove_wal(db_path, err, err_size) != 0 ||
	    store_backup_publish(temp, db_path, err, err_size) != 0) {
		unlink(temp);
		return -1;
	}
	return 0;
}

static int
store_backup_restore_locked(const char *data_dir, const char *path,
    store_progress_fn progress, void *arg, char *err, size_t err_size)
{
	char db_path[STORE_PATH_MAX];
	sqlite3 *source;
	int rc;

	if (datadir_path(data_dir, STORE_DB_FILE, db_path,
	    sizeof(db_path)) != 0) {
		snprintf(err, err_size, "data directory path too long");
		return -1;
	}
	if (store_backup_check_header(path, err, err_size) != 0 ||
	    store_backup_open_source(path, &source, err, err_size) != 0)
		return -1;
	rc = store_backup_check(source, path, err, err_size);
	if (rc == 0)
		rc = store_backup_replace(source, db_path, progress, arg, err,
		    err_size);
	sqlite3_close(source);
	if (rc == 0)
		log_info("store", "database restored path=%s from=%s", db_path,
		    path);
	return rc;
}

/* Holds the daemon's lock of data_dir for the whole restore, so that no
 * citizenhubd starts on a half-replaced directory. */
int
store_restore(const char *data_dir, const char *path,
    store_progress_fn progress, void *arg, char *err, size_t err_size)
{
	char lock_err[256];
	int lock, rc;

	if (datadir_prepare(data_dir, err, err_size) != 0)
		return -1;
	if ((lock = datadir_lock(data_dir, lock_err, sizeof(lock_err))) == -1) {
		snprintf(err, err_size, "%s: stop citizenhubd before restoring",
		    lock_err);
		return -1;
	}
	rc = store_backup_restore_locked(data_dir, path, progress, arg, err,
	    err_size);
	close(lock);
	return rc;
}
