/* placeholder: being written */
#include "check_suites.h"
Suite *mailbox_suite(void) { return suite_create("mailbox"); }
