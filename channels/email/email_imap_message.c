/*
 * The parts of IMAP responses and messages that the poller reads: the
 * literal of a FETCH response and the Return-Path of the message in it.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "email_imap.h"

char *
email_imap_header(const char *raw, size_t size, const char *name)
{
	size_t name_length = strlen(name);
	const char *line = raw, *end = raw + size;

	while (line < end && *line != '\r' && *line != '\n') {
		const char *next = memchr(line, '\n', (size_t)(end - line));
		size_t length = next != NULL ? (size_t)(next - line) :
		    (size_t)(end - line);

		if (length > name_length && line[name_length] == ':' &&
		    strncasecmp(line, name, name_length) == 0) {
			const char *value = line + name_length + 1;
			const char *stop = line + length;

			while (value < stop && isspace((unsigned char)*value))
				value++;
			while (stop > value && isspace((unsigned char)stop[-1]))
				stop--;
			return strndup(value, (size_t)(stop - value));
		}
		if (next == NULL)
			break;
		line = next + 1;
	}
	return NULL;
}

char *
email_imap_sender(const char *raw, size_t size)
{
	char *value = email_imap_header(raw, size, "Return-Path");
	char *start, *stop;

	if (value == NULL)
		return NULL;
	start = strchr(value, '<');
	stop = start != NULL ? strchr(start, '>') : NULL;
	if (start != NULL && stop != NULL) {
		memmove(value, start + 1, (size_t)(stop - start - 1));
		value[stop - start - 1] = '\0';
	}
	return value;
}

const char *
email_imap_literal(const char *response, size_t length, size_t *size)
{
	const char *open = strstr(response, "BODY[] {");
	const char *close, *start;
	char *end;
	unsigned long long value;

	if (open == NULL)
		return NULL;
	value = strtoull(open + 8, &end, 10);
	if (*end != '}' || end[1] != '\r' || end[2] != '\n')
		return NULL;
	close = end;
	start = close + 3;
	if (value > length - (size_t)(start - response))
		return NULL;
	*size = (size_t)value;
	return start;
}
