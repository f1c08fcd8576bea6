/*
 * The data directory: creation with private permissions and the lock file
 * that marks a running daemon.
 *
 * The lock is flock(2) on DATADIR_LOCK_FILE. flock belongs to the open file
 * description, so it is released when the daemon exits however it exits,
 * and a second open of the file conflicts even inside the same process.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datadir.h"

#define DATADIR_MODE 0700
#define DATADIR_LOCK_MODE 0600

/* Bytes of the pid written in the lock file, newline included. */
#define DATADIR_PID_MAX 24

static int
datadir_mkdir(const char *path, char *err, size_t err_size)
{
	struct stat st;

	if (mkdir(path, DATADIR_MODE) == 0)
		return 0;
	if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (errno == EEXIST)
		errno = ENOTDIR;
	snprintf(err, err_size, "creating directory %s failed: %s", path,
	    strerror(errno));
	return -1;
}

int
datadir_prepare(const char *dir, char *err, size_t err_size)
{
	char path[PATH_MAX];
	size_t length = strlen(dir);

	if (length == 0 || length >= sizeof(path)) {
		snprintf(err, err_size, "invalid data directory \"%.64s\": "
		    "empty or longer than %d bytes", dir, PATH_MAX - 1);
		return -1;
	}
	memcpy(path, dir, length + 1);

	/* Create each parent in turn, as mkdir -p does. */
	for (char *slash = path + 1; (slash = strchr(slash, '/')) != NULL;
	    slash++) {
		*slash = '\0';
		if (datadir_mkdir(path, err, err_size) != 0)
			return -1;
		*slash = '/';
	}
	return datadir_mkdir(path, err, err_size);
}

/* Reads the pid written in the lock file fd; 0 when there is none. */
static long
datadir_read_pid(int fd)
{
	char text[DATADIR_PID_MAX];
	ssize_t got;

	got = pread(fd, text, sizeof(text) - 1, 0);
	if (got <= 0)
		return 0;
	text[got] = '\0';
	return strtol(text, NULL, 10);
}

static int
datadir_write_pid(int fd)
{
	char text[DATADIR_PID_MAX];
	int length;

	length = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 ||
	    pwrite(fd, text, (size_t)length, 0) != length)
		return -1;
	return 0;
}

int
datadir_lock(const char *dir, char *err, size_t err_size)
{
	char path[PATH_MAX];
	int fd;

	if (datadir_path(dir, DATADIR_LOCK_FILE, path, sizeof(path)) != 0) {
		snprintf(err, err_size, "data directory path too long");
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, DATADIR_LOCK_MODE);
	if (fd == -1) {
		snprintf(err, err_size, "opening %s failed: %s", path,
		    strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			snprintf(err, err_size, "data directory %s is in use "
			    "by citizenhubd (pid %ld)", dir,
			    datadir_read_pid(fd));
		else
			snprintf(err, err_size, "locking %s failed: %s", path,
			    strerror(errno));
		close(fd);
		return -1;
	}
	if (datadir_write_pid(fd) != 0) {
		snprintf(err, err_size, "writing the pid to %s failed: %s",
		    path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

bool
datadir_locked(const char *dir, long *pid)
{
	char path[PATH_MAX];
	bool locked = false;
	int fd;

	if (datadir_path(dir, DATADIR_LOCK_FILE, path, sizeof(path)) != 0)
		return false;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return false;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0)
		flock(fd, LOCK_UN);
	else if (errno == EWOULDBLOCK) {
		locked = true;
		if (pid != NULL)
			*pid = datadir_read_pid(fd);
	}
	close(fd);
	return locked;
}

int
datadir_path(const char *dir, const char *name, char *out, size_t size)
{
	size_t length = strlen(dir);
	const char *separator = length > 0 && dir[length - 1] == '/' ? "" : "/";
	int written;

	written = snprintf(out, size, "%s%s%s", dir, separator, name);
	if (written < 0 || (size_t)written >= size)
		return -1;
	return 0;
}
