/*
 * Unit test runner: every subsystem's suite in one program. Check's own
 * environment variables pick a part: CK_RUN_SUITE=store runs one suite,
 * CK_RUN_CASE one test case, and CK_VERBOSITY=verbose prints a line per
 * test.
 */
#include <stdlib.h>

#include "check_suites.h"

static Suite *(*const suites[])(void) = {
	text_suite, contact_suite, ticket_code_suite, config_suite,
	store_suite, mailbox_suite, worker_suite, pipeline_suite,
	template_suite, ratelimit_suite, http_suite, log_suite,
	calendar_suite, desk_edit_suite, auth_suite, privacy_suite,
	lifecycle_suite, casework_suite, assign_suite, sendq_suite,
	mail_suite, email_parse_suite,
	email_lmtp_suite, email_compose_suite, email_imap_suite,
	sms_text_suite, sms_keyword_suite, sms_query_suite, sms_http_suite,
	calls_suite,
#ifdef HUB_TEST_SIP
	sip_sdp_suite, sip_config_suite, sip_ua_suite, sip_parser_suite,
	rtp_suite,
	ivr_menu_suite, ivr_say_suite, ivr_prompt_suite, ivr_hub_suite,
#endif
};

int
main(void)
{
	SRunner *runner = srunner_create(suites[0]());

	for (size_t i = 1; i < sizeof(suites) / sizeof(suites[0]); i++)
		srunner_add_suite(runner, suites[i]());

	srunner_run_all(runner, CK_ENV);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
