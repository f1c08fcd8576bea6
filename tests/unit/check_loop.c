#include <stdbool.h>

#include <event2/event.h>

#include "check_loop.h"

static void
check_loop_expire(evutil_socket_t fd, short what, void *arg)
{
	bool	*expired = arg;

	(void)fd;
	(void)what;
	*expired = true;
}

bool
check_loop_run(struct event_base *base, const bool *done, int timeout_ms)
{
	struct timeval	 timeout = {
		.tv_sec = timeout_ms / 1000,
		.tv_usec = (timeout_ms % 1000) * 1000,
	};
	struct event	*deadline;
	bool		 expired = false;

	deadline = evtimer_new(base, check_loop_expire, &expired);
	if (deadline == NULL)
		return false;
	evtimer_add(deadline, &timeout);
	while (!*done && !expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(deadline);
	return *done;
}
