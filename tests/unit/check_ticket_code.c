/* placeholder: being written */
#include "check_suites.h"
Suite *ticket_code_suite(void) { return suite_create("ticket_code"); }
