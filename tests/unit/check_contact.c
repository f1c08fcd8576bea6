/* placeholder: being written */
#include "check_suites.h"
Suite *contact_suite(void) { return suite_create("contact"); }
