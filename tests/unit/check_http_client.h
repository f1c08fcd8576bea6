/* HTTP client tests, run as a test case of the worker suite. */
#ifndef CHECK_HTTP_CLIENT_H
#define CHECK_HTTP_CLIENT_H

#include <check.h>

TCase *check_http_client_tcase(void);

#endif
