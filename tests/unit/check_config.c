/* placeholder: being written */
#include "check_suites.h"
Suite *config_suite(void) { return suite_create("config"); }
