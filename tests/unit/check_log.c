/* placeholder: being written */
#include "check_suites.h"
Suite *log_suite(void) { return suite_create("log"); }
