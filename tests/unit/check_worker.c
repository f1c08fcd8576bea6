/* placeholder: being written */
#include "check_suites.h"
Suite *worker_suite(void) { return suite_create("worker"); }
