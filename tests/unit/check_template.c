/* placeholder: being written */
#include "check_suites.h"
Suite *template_suite(void) { return suite_create("template"); }
