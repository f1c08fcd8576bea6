/* placeholder: being written */
#include "check_suites.h"
Suite *store_suite(void) { return suite_create("store"); }
