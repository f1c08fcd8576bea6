/* placeholder: being written */
#include "check_suites.h"
Suite *text_suite(void) { return suite_create("text"); }
