/* placeholder: being written */
#include "check_suites.h"
Suite *pipeline_suite(void) { return suite_create("pipeline"); }
