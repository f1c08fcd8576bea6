/* Text helpers shared by the unit tests. */
#ifndef CHECK_UTIL_H
#define CHECK_UTIL_H

/* Returns text in NFD (decomposed), as some keyboards and senders write
 * Vietnamese. Aborts the test on failure. Caller frees. */
char *check_nfd(const char *text);

#endif
