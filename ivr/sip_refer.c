/*
 * The outcome of a REFER transfer from its NOTIFY requests (sip_refer.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sip_refer.h"

int
sip_refer_sipfrag_status(const char *body, size_t length)
{
	char line[64];
	int status;

	if (body == NULL)
		return 0;
	if (length > sizeof line - 1)
		length = sizeof line - 1;
	memcpy(line, body, length);
	line[length] = '\0';
	if (strncasecmp(line, "SIP/2.0 ", 8) != 0 ||
	    sscanf(line + 8, "%3d", &status) != 1 || status < 100 ||
	    status > 699)
		return 0;
	return status;
}

enum sip_refer_step
sip_refer_notify_step(bool pending, bool expired, int status, bool terminated)
{
	if (!pending) {
		if (expired && status >= 200 && status < 300)
			return SIP_REFER_DONE_LATE;
		return SIP_REFER_IGNORE;
	}
	if (status >= 300)
		return SIP_REFER_FAILED;
	if (status >= 200)
		return SIP_REFER_DONE;
	return terminated ? SIP_REFER_FAILED : SIP_REFER_PROGRESS;
}
