/* placeholder: being written */
#include "check_suites.h"
Suite *ratelimit_suite(void) { return suite_create("ratelimit"); }
