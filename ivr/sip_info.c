/*
 * Keys sent in SIP INFO requests.
 */
#include <string.h>
#include <strings.h>

#include "sip_info.h"

static void
sip_info_trim(const char **text, size_t *length)
{
	while (*length > 0 && (**text == ' ' || **text == '\t')) {
		(*text)++;
		(*length)--;
	}
	while (*length > 0 && ((*text)[*length - 1] == ' ' ||
	    (*text)[*length - 1] == '\t' || (*text)[*length - 1] == '\r' ||
	    (*text)[*length - 1] == '\n'))
		(*length)--;
}

char
sip_info_signal_key(const char *value, size_t length)
{
	static const char events[] = "0123456789*#ABCD";

	sip_info_trim(&value, &length);
	if (length == 1) {
		char key = value[0];

		if (key >= 'a' && key <= 'd')
			key = (char)(key - 'a' + 'A');
		return strchr(events, key) != NULL && key != '\0' ? key : 0;
	}
	if (length == 2 && value[0] == '1' && value[1] >= '0' &&
	    value[1] <= '5')
		return events[10 + value[1] - '0'];
	return 0;
}

char
sip_info_dtmf_relay_key(const char *body, size_t length)
{
	const char *end = body + length;

	for (const char *line = body; line < end;) {
		const char *newline = memchr(line, '\n', (size_t)(end - line));
		const char *next = newline != NULL ? newline + 1 : end;
		const char *equals;
		const char *name = line;
		size_t name_length;

		equals = memchr(line, '=', (size_t)((newline != NULL ? newline :
		    end) - line));
		if (equals != NULL) {
			name_length = (size_t)(equals - line);
			sip_info_trim(&name, &name_length);
			if (name_length == 6 &&
			    strncasecmp(name, "Signal", 6) == 0)
				return sip_info_signal_key(equals + 1,
				    (size_t)((newline != NULL ? newline : end) -
				    equals - 1));
		}
		line = next;
	}
	return 0;
}
