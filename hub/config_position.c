/*
 * Positions of keys in the config file's raw text.
 *
 * jansson reports lines only for syntax errors, so this file walks the text
 * with a small JSON tokenizer of its own. It tracks the path of object keys
 * and array indexes ("http.trusted_proxies[1]") and the line of each token.
 * Strings are skipped as whole tokens with their escapes, so a key name that
 * also appears inside a string value does not match. Invalid input ends the
 * walk early and never reads past the terminating NUL.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "config_internal.h"

/* Maximum nesting depth walked. A config needs a handful of levels. */
#define CONFIG_POSITION_DEPTH_MAX 64
#define CONFIG_POSITION_PATH_MAX 512

struct config_position_scan {
	const char *text;
	size_t offset;
	int line;
	char path[CONFIG_POSITION_PATH_MAX];
	size_t path_length;
	bool path_overflow;	/* the current path did not fit */
	config_position_visit_fn visit;
	void *arg;
	bool stopped;		/* visit asked to stop, or the text is invalid */
};

static char
config_position_peek(const struct config_position_scan *scan)
{
	return scan->text[scan->offset];
}

static void
config_position_skip_space(struct config_position_scan *scan)
{
	for (;;) {
		char c = config_position_peek(scan);
		if (c == '\n')
			scan->line++;
		else if (c != ' ' && c != '\t' && c != '\r')
			return;
		scan->offset++;
	}
}

/* Writes the UTF-8 form of code to out and returns the bytes written. */
static size_t
config_position_utf8(unsigned long code, char *out)
{
	if (code < 0x80) {
		out[0] = (char)code;
		return 1;
	}
	if (code < 0x800) {
		out[0] = (char)(0xc0 | (code >> 6));
		out[1] = (char)(0x80 | (code & 0x3f));
		return 2;
	}
	if (code < 0x10000) {
		out[0] = (char)(0xe0 | (code >> 12));
		out[1] = (char)(0x80 | ((code >> 6) & 0x3f));
		out[2] = (char)(0x80 | (code & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (code >> 18));
	out[1] = (char)(0x80 | ((code >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((code >> 6) & 0x3f));
	out[3] = (char)(0x80 | (code & 0x3f));
	return 4;
}

/* Reads the 4 hex digits of a \u escape at text. Returns -1 if invalid. */
static long
config_position_hex4(const char *text)
{
	long value = 0;

	for (int i = 0; i < 4; i++) {
		char c = text[i];
		int digit;
		if (c >= '0' && c <= '9')
			digit = c - '0';
		else if (c >= 'a' && c <= 'f')
			digit = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			digit = c - 'A' + 10;
		else
			return -1;
		value = value * 16 + digit;
	}
	return value;
}

/* Decodes the \u escape at scan (after the backslash and 'u'), joining a
 * surrogate pair, into out. Returns the bytes written or 0 if invalid. */
static size_t
config_position_unicode(struct config_position_scan *scan, char *out)
{
	long code = config_position_hex4(scan->text + scan->offset);

	if (code < 0)
		return 0;
	scan->offset += 4;
	if (code >= 0xd800 && code <= 0xdbff) {
		const char *next = scan->text + scan->offset;
		long low = next[0] == '\\' && next[1] == 'u' ?
		    config_position_hex4(next + 2) : -1;
		if (low < 0xdc00 || low > 0xdfff)
			return 0;
		scan->offset += 6;
		code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
	}
	return config_position_utf8((unsigned long)code, out);
}

/* Decodes the escape after a backslash into out. Returns its length, or 0
 * if invalid. */
static size_t
config_position_escape(struct config_position_scan *scan, char *out)
{
	static const char from[] = "\"\\/bfnrt";
	static const char to[] = "\"\\/\b\f\n\r\t";
	char c = config_position_peek(scan);
	const char *found = c != '\0' ? strchr(from, c) : NULL;

	scan->offset++;
	if (c == 'u')
		return config_position_unicode(scan, out);
	if (found == NULL)
		return 0;
	out[0] = to[found - from];
	return 1;
}

/* Reads the string token at scan (on its opening quote). With out, stores
 * the decoded text, NUL-terminated; *fits turns false when it is cut. Returns
 * 0, or -1 for an unterminated or invalid string. */
static int
config_position_string(struct config_position_scan *scan, char *out,
    size_t size, bool *fits)
{
	size_t length = 0;

	scan->offset++;
	for (;;) {
		char c = config_position_peek(scan);
		char decoded[4];
		size_t n = 1;

		if (c == '\0' || c == '\n')
			return -1;
		scan->offset++;
		if (c == '"')
			break;
		decoded[0] = c;
		if (c == '\\' && (n = config_position_escape(scan, decoded)) == 0)
			return -1;
		if (out != NULL && length + n < size) {
			memcpy(out + length, decoded, n);
			length += n;
		} else if (out != NULL)
			*fits = false;
	}
	if (out != NULL)
		out[length] = '\0';
	return 0;
}

/* Skips a number, true, false or null. */
static int
config_position_scalar(struct config_position_scan *scan)
{
	size_t start = scan->offset;

	while (strchr(",]} \t\r\n", config_position_peek(scan)) == NULL)
		scan->offset++;
	return scan->offset > start ? 0 : -1;
}

/* Extends the path with a key, or with an index when key is NULL. Returns
 * the old length to restore. */
static size_t
config_position_push(struct config_position_scan *scan, const char *key,
    size_t index)
{
	size_t old = scan->path_length;
	size_t room = sizeof(scan->path) - old;
	int written;

	if (key == NULL)
		written = snprintf(scan->path + old, room, "[%zu]", index);
	else if (old == 0)
		written = snprintf(scan->path + old, room, "%s", key);
	else
		written = snprintf(scan->path + old, room, ".%s", key);

	if (written < 0 || (size_t)written >= room)
		scan->path_overflow = true;
	else
		scan->path_length += (size_t)written;
	return old;
}

static void
config_position_pop(struct config_position_scan *scan, size_t old,
    bool overflow)
{
	scan->path_length = old;
	scan->path[old] = '\0';
	scan->path_overflow = overflow;
}

static void
config_position_visit(struct config_position_scan *scan, int line,
    size_t offset)
{
	if (!scan->path_overflow && scan->visit(scan->path, line, offset,
	    scan->arg) != 0)
		scan->stopped = true;
}

static int config_position_value(struct config_position_scan *, int);

/* Walks one "key": value member of an object. */
static int
config_position_member(struct config_position_scan *scan, int depth)
{
	char key[CONFIG_POSITION_PATH_MAX];
	bool fits = true;
	int line = scan->line;
	size_t offset = scan->offset;

	if (config_position_peek(scan) != '"' ||
	    config_position_string(scan, key, sizeof(key), &fits) == -1)
		return -1;

	bool overflow = scan->path_overflow;
	size_t old = config_position_push(scan, key, 0);
	if (!fits)
		scan->path_overflow = true;
	config_position_visit(scan, line, offset);

	config_position_skip_space(scan);
	int result = -1;
	if (!scan->stopped && config_position_peek(scan) == ':') {
		scan->offset++;
		result = config_position_value(scan, depth + 1);
	}
	config_position_pop(scan, old, overflow);
	return result;
}

/* Walks one array element at index. */
static int
config_position_element(struct config_position_scan *scan, size_t index,
    int depth)
{
	bool overflow = scan->path_overflow;
	size_t old = config_position_push(scan, NULL, index);

	config_position_visit(scan, scan->line, scan->offset);
	int result = scan->stopped ? -1 : config_position_value(scan, depth + 1);
	config_position_pop(scan, old, overflow);
	return result;
}

/* Walks an object or array, whose closing character is close. */
static int
config_position_container(struct config_position_scan *scan, char close,
    int depth)
{
	scan->offset++;
	config_position_skip_space(scan);
	if (config_position_peek(scan) == close) {
		scan->offset++;
		return 0;
	}
	for (size_t index = 0;; index++) {
		int result = close == '}' ?
		    config_position_member(scan, depth) :
		    config_position_element(scan, index, depth);
		if (result == -1 || scan->stopped)
			return -1;
		config_position_skip_space(scan);
		char c = config_position_peek(scan);
		scan->offset++;
		if (c == close)
			return 0;
		if (c != ',')
			return -1;
		config_position_skip_space(scan);
	}
}

static int
config_position_value(struct config_position_scan *scan, int depth)
{
	if (depth > CONFIG_POSITION_DEPTH_MAX)
		return -1;
	config_position_skip_space(scan);
	switch (config_position_peek(scan)) {
	case '{':
		return config_position_container(scan, '}', depth);
	case '[':
		return config_position_container(scan, ']', depth);
	case '"':
		return config_position_string(scan, NULL, 0, NULL);
	default:
		return config_position_scalar(scan);
	}
}

void
config_position_walk(const char *text, config_position_visit_fn visit,
    void *arg)
{
	struct config_position_scan scan = {
		.text = text,
		.line = 1,
		.visit = visit,
		.arg = arg,
	};

	/* Skip a UTF-8 byte order mark, which some editors write. */
	if (strncmp(text, "\xef\xbb\xbf", 3) == 0)
		scan.offset = 3;
	config_position_value(&scan, 0);
}

struct config_position_find {
	const char *path;
	int line;
};

static int
config_position_match(const char *path, int line, size_t offset, void *arg)
{
	struct config_position_find *find = arg;

	if (strcmp(path, find->path) != 0)
		return 0;
	find->line = line;
	return 1;
}

int
config_position_line(const char *text, const char *path)
{
	struct config_position_find find = { .path = path };

	if (text == NULL || path == NULL || *path == '\0')
		return 0;
	config_position_walk(text, config_position_match, &find);
	return find.line;
}

struct config_position_before {
	size_t offset;
	char *path;
	size_t size;
	bool found;
};

static int
config_position_record(const char *path, int line, size_t offset, void *arg)
{
	struct config_position_before *before = arg;

	if (offset >= before->offset)
		return 1;
	snprintf(before->path, before->size, "%s", path);
	before->found = true;
	return 0;
}

int
config_position_path_at(const char *text, size_t offset, char *path,
    size_t size)
{
	struct config_position_before before = {
		.offset = offset,
		.path = path,
		.size = size,
	};

	config_position_walk(text, config_position_record, &before);
	return before.found ? 0 : -1;
}
