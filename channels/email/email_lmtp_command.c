/*
 * LMTP command lines and the DATA stream, without I/O.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "email_lmtp.h"

static const struct {
	const char *name;
	enum email_lmtp_verb verb;
} email_lmtp_verbs[] = {
	{ "LHLO", EMAIL_LMTP_LHLO }, { "HELO", EMAIL_LMTP_HELO },
	{ "EHLO", EMAIL_LMTP_HELO }, { "MAIL", EMAIL_LMTP_MAIL },
	{ "RCPT", EMAIL_LMTP_RCPT }, { "DATA", EMAIL_LMTP_DATA },
	{ "RSET", EMAIL_LMTP_RSET }, { "NOOP", EMAIL_LMTP_NOOP },
	{ "QUIT", EMAIL_LMTP_QUIT }, { "VRFY", EMAIL_LMTP_VRFY },
};

void
email_lmtp_command_parse(const char *line, struct email_lmtp_command *command)
{
	size_t length = strcspn(line, " ");
	size_t i;

	command->verb = EMAIL_LMTP_UNKNOWN;
	command->argument = line + length + strspn(line + length, " ");
	for (i = 0; i < sizeof email_lmtp_verbs / sizeof email_lmtp_verbs[0];
	    i++) {
		if (length == 4 &&
		    strncasecmp(line, email_lmtp_verbs[i].name, 4) == 0) {
			command->verb = email_lmtp_verbs[i].verb;
			return;
		}
	}
}

/* Parses "SIZE=n" or "BODY=..." parameters after the path. */
static const char *
email_lmtp_parameters_parse(const char *text, struct email_lmtp_path *path)
{
	while (*text != '\0') {
		size_t length = strcspn(text, " ");
		char *end;

		if (length > 5 && strncasecmp(text, "SIZE=", 5) == 0) {
			if (!isdigit((unsigned char)text[5]))
				return "501 5.5.4 Invalid SIZE parameter";
			errno = 0;
			path->size = strtoull(text + 5, &end, 10);
			if (errno != 0 || end != text + length)
				return "501 5.5.4 Invalid SIZE parameter";
			path->has_size = true;
		} else if ((length == 9 &&
		    strncasecmp(text, "BODY=7BIT", 9) == 0) ||
		    (length == 13 && strncasecmp(text, "BODY=8BITMIME", 13) == 0)) {
			/* Both bodies are taken as they come. */
		} else {
			return "555 5.5.4 Unsupported parameter";
		}
		text += length;
		text += strspn(text, " ");
	}
	return NULL;
}

const char *
email_lmtp_path_parse(const char *argument, const char *keyword,
    struct email_lmtp_path *path)
{
	size_t keyword_length = strlen(keyword);
	const char *start, *end;
	size_t length;

	memset(path, 0, sizeof *path);
	if (strncasecmp(argument, keyword, keyword_length) != 0)
		return strcmp(keyword, "FROM:") == 0 ?
		    "501 5.5.4 Syntax: MAIL FROM:<address>" :
		    "501 5.5.4 Syntax: RCPT TO:<address>";
	start = argument + keyword_length;
	start += strspn(start, " ");
	if (*start != '<')
		return "501 5.5.4 The address must be in angle brackets";
	start++;
	end = strchr(start, '>');
	if (end == NULL)
		return "501 5.5.4 The address must be in angle brackets";
	length = (size_t)(end - start);
	if (length > EMAIL_ADDRESS_MAX)
		return "501 5.1.3 The address is too long";
	memcpy(path->address, start, length);
	path->address[length] = '\0';
	if (strpbrk(path->address, " <\t") != NULL)
		return "501 5.1.3 Invalid address";
	/* A source route ("@a,@b:user@c") is allowed by RFC 5321 and
	 * ignored: only the mailbox after the colon counts. */
	if (path->address[0] == '@' && strchr(path->address, ':') != NULL)
		memmove(path->address, strchr(path->address, ':') + 1,
		    strlen(strchr(path->address, ':') + 1) + 1);
	if (end[1] != '\0' && end[1] != ' ')
		return "501 5.5.4 Syntax error after the address";
	return email_lmtp_parameters_parse(end + 1 + strspn(end + 1, " "), path);
}

enum email_lmtp_data_state {
	EMAIL_LMTP_DATA_LINE_START,
	EMAIL_LMTP_DATA_IN_LINE,
	EMAIL_LMTP_DATA_DOT,		/* "." at the start of a line */
	EMAIL_LMTP_DATA_DOT_CR,		/* ".\r" at the start of a line */
};

void
email_lmtp_data_begin(struct email_lmtp_data *data, size_t max)
{
	email_lmtp_data_clear(data);
	data->max = max;
	data->state = EMAIL_LMTP_DATA_LINE_START;
}

static int
email_lmtp_data_append(struct email_lmtp_data *data, const char *bytes,
    size_t size)
{
	size_t room, want;
	char *grown;

	data->total += size;
	if (data->too_large || data->length + size > data->max) {
		data->too_large = true;
		return 0;
	}
	if (data->length + size > data->capacity) {
		want = data->capacity < 16384 ? 16384 : data->capacity * 2;
		while (want < data->length + size)
			want *= 2;
		if (want > data->max)
			want = data->max;
		grown = realloc(data->text, want);
		if (grown == NULL)
			return -1;
		data->text = grown;
		data->capacity = want;
	}
	room = data->capacity - data->length;
	memcpy(data->text + data->length, bytes, size < room ? size : room);
	data->length += size;
	return 0;
}

long
email_lmtp_data_feed(struct email_lmtp_data *data, const char *bytes,
    size_t size, bool *done)
{
	size_t used = 0;

	*done = false;
	while (used < size) {
		const char *rest = bytes + used;
		const char *newline;
		size_t run;

		switch (data->state) {
		case EMAIL_LMTP_DATA_LINE_START:
			if (*rest == '.') {
				data->state = EMAIL_LMTP_DATA_DOT;
				used++;
				continue;
			}
			data->state = EMAIL_LMTP_DATA_IN_LINE;
			continue;
		case EMAIL_LMTP_DATA_DOT:
			if (*rest == '\r') {
				data->state = EMAIL_LMTP_DATA_DOT_CR;
				used++;
				continue;
			}
			if (*rest == '\n') {
				*done = true;
				return (long)(used + 1);
			}
			/* A stuffed dot: the first one is dropped. */
			data->state = EMAIL_LMTP_DATA_IN_LINE;
			continue;
		case EMAIL_LMTP_DATA_DOT_CR:
			if (*rest == '\n') {
				*done = true;
				return (long)(used + 1);
			}
			if (email_lmtp_data_append(data, "\r", 1) != 0)
				return -1;
			data->state = EMAIL_LMTP_DATA_IN_LINE;
			continue;
		default:
			newline = memchr(rest, '\n', size - used);
			run = newline != NULL ? (size_t)(newline - rest) + 1 :
			    size - used;
			if (email_lmtp_data_append(data, rest, run) != 0)
				return -1;
			used += run;
			if (newline != NULL)
				data->state = EMAIL_LMTP_DATA_LINE_START;
			continue;
		}
	}
	return (long)used;
}

char *
email_lmtp_data_take(struct email_lmtp_data *data, size_t *length)
{
	char *text = data->text;

	*length = data->length;
	data->text = NULL;
	data->length = 0;
	data->capacity = 0;
	if (text == NULL)
		text = calloc(1, 1);
	return text;
}

void
email_lmtp_data_clear(struct email_lmtp_data *data)
{
	free(data->text);
	memset(data, 0, sizeof *data);
}
