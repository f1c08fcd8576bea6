#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "attachment.h"
#include "log.h"

#define ATTACHMENT_PATH_MAX 4096
#define ATTACHMENT_TEMP_PREFIX ".tmp-"

int
attachment_hash_valid(const char *sha256)
{
	if (sha256 == NULL || strlen(sha256) != 64)
		return 0;
	return strspn(sha256, "0123456789abcdef") == 64;
}

int
attachment_path(const char *data_dir, const char *sha256, char *out,
    size_t size)
{
	int length;

	if (!attachment_hash_valid(sha256))
		return -1;
	length = snprintf(out, size, "%s/" ATTACHMENT_DIR "/%.2s/%s", data_dir,
	    sha256, sha256);
	return length > 0 && (size_t)length < size ? 0 : -1;
}

/* Makes dir (mode 0700) unless it exists; a new folder is made durable by
 * an fsync of its parent. Returns 0 or -1. */
static int
attachment_mkdir(const char *dir, const char *parent)
{
	int fd;

	if (mkdir(dir, 0700) != 0)
		return errno == EEXIST ? 0 : -1;
	fd = open(parent, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return -1;
	if (fsync(fd) != 0) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static int
attachment_write_all(int fd, const unsigned char *data, size_t size)
{
	while (size > 0) {
		ssize_t written = write(fd, data, size);

		if (written < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += written;
		size -= (size_t)written;
	}
	return 0;
}

/* Writes data to a new temporary file in folder and renames it to path.
 * Returns 0 or -1 (errno set). */
static int
attachment_write(const char *folder, const char *path, const void *data,
    size_t size)
{
	char temp[ATTACHMENT_PATH_MAX];
	uint32_t nonce = randombytes_random();
	int fd, saved;

	if (snprintf(temp, sizeof temp, "%s/" ATTACHMENT_TEMP_PREFIX "%08x",
	    folder, nonce) >= (int)sizeof temp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (attachment_write_all(fd, data, size) != 0 || fsync(fd) != 0) {
		saved = errno;
		close(fd);
		unlink(temp);
		errno = saved;
		return -1;
	}
	if (close(fd) != 0 || rename(temp, path) != 0) {
		saved = errno;
		unlink(temp);
		errno = saved;
		return -1;
	}
	fd = open(folder, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return -1;
	if (fsync(fd) != 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return close(fd);
}

int
attachment_store(const char *data_dir, const void *data, size_t size,
    char sha256[65])
{
	unsigned char hash[crypto_hash_sha256_BYTES];
	char root[ATTACHMENT_PATH_MAX], folder[ATTACHMENT_PATH_MAX];
	char path[ATTACHMENT_PATH_MAX];
	struct stat st;

	crypto_hash_sha256(hash, data, size);
	sodium_bin2hex(sha256, 65, hash, sizeof hash);
	if (snprintf(root, sizeof root, "%s/" ATTACHMENT_DIR, data_dir) >=
	    (int)sizeof root || snprintf(folder, sizeof folder, "%s/%.2s",
	    root, sha256) >= (int)sizeof folder ||
	    attachment_path(data_dir, sha256, path, sizeof path) != 0) {
		log_error("attachment", "path too long data_dir=%s", data_dir);
		return -1;
	}
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size == (uint64_t)size)
		return 0;
	if (attachment_mkdir(root, data_dir) != 0 ||
	    attachment_mkdir(folder, root) != 0 ||
	    attachment_write(folder, path, data, size) != 0) {
		log_error("attachment", "blob not stored sha256=%s size=%zu: %s",
		    sha256, size, strerror(errno));
		return -1;
	}
	log_debug("attachment", "blob stored sha256=%s size=%zu", sha256, size);
	return 0;
}

/* Whether the file name of a folder under attachments/ is two hex digits. */
static bool
attachment_folder_name(const char *name)
{
	return strlen(name) == 2 && strspn(name, "0123456789abcdef") == 2;
}

/* Removes the old unreferenced blobs and temporary files of one folder.
 * Returns the number removed. */
static int64_t
attachment_prune_folder(const char *folder, const char *prefix,
    int64_t before_ms, attachment_referenced_fn referenced, void *arg)
{
	char path[ATTACHMENT_PATH_MAX];
	struct dirent *entry;
	struct stat st;
	int64_t removed = 0;
	DIR *dir = opendir(folder);

	if (dir == NULL)
		return 0;
	while ((entry = readdir(dir)) != NULL) {
		const char *name = entry->d_name;
		bool temp = strncmp(name, ATTACHMENT_TEMP_PREFIX,
		    strlen(ATTACHMENT_TEMP_PREFIX)) == 0;
		int64_t modified;

		if (!temp && (!attachment_hash_valid(name) ||
		    strncmp(name, prefix, 2) != 0))
			continue;
		if (snprintf(path, sizeof path, "%s/%s", folder, name) >=
		    (int)sizeof path || lstat(path, &st) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		modified = (int64_t)st.st_mtim.tv_sec * 1000 +
		    st.st_mtim.tv_nsec / 1000000;
		if (modified >= before_ms)
			continue;
		if (!temp && referenced(name, arg) != 0)
			continue;
		if (unlink(path) == 0)
			removed++;
		else
			log_warn("attachment", "blob not removed path=%s: %s",
			    path, strerror(errno));
	}
	closedir(dir);
	return removed;
}

int64_t
attachment_prune(const char *data_dir, int64_t before_ms,
    attachment_referenced_fn referenced, void *arg)
{
	char root[ATTACHMENT_PATH_MAX], folder[ATTACHMENT_PATH_MAX];
	struct dirent *entry;
	int64_t removed = 0;
	DIR *dir;

	if (snprintf(root, sizeof root, "%s/" ATTACHMENT_DIR, data_dir) >=
	    (int)sizeof root)
		return -1;
	dir = opendir(root);
	if (dir == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((entry = readdir(dir)) != NULL) {
		if (!attachment_folder_name(entry->d_name) ||
		    snprintf(folder, sizeof folder, "%s/%s", root,
		    entry->d_name) >= (int)sizeof folder)
			continue;
		removed += attachment_prune_folder(folder, entry->d_name,
		    before_ms, referenced, arg);
	}
	closedir(dir);
	return removed;
}
