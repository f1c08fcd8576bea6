/*
 * Allocation of the messages between the IVR's threads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivr_msg.h"

void *
ivr_msg_new(size_t size, int type)
{
	int *message = calloc(1, size);

	/* Every message struct starts with its enum type field. */
	if (message != NULL)
		*message = type;
	return message;
}

const char *
ivr_dtmf_methods_text(unsigned int methods, char *buffer, size_t size)
{
	static const struct {
		unsigned int bit;
		const char *name;
	} names[] = {
		{ IVR_DTMF_RFC4733, "rfc4733" },
		{ IVR_DTMF_INFO, "info" },
		{ IVR_DTMF_INBAND, "inband" },
	};
	size_t used = 0;

	if (size == 0)
		return buffer;
	buffer[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int written;

		if ((methods & names[i].bit) == 0)
			continue;
		written = snprintf(buffer + used, size - used, "%s%s",
		    used > 0 ? "," : "", names[i].name);
		if (written < 0 || (size_t)written >= size - used)
			break;
		used += (size_t)written;
	}
	return buffer;
}
