/* Event loop helpers shared by the unit tests of loop-driven subsystems. */
#ifndef CHECK_LOOP_H
#define CHECK_LOOP_H

#include <stdbool.h>

struct event_base;

/* Runs base until *done is true or timeout_ms passes. Returns *done. */
bool check_loop_run(struct event_base *base, const bool *done, int timeout_ms);

#endif
