/* Suites of the unit test runner, one per subsystem. */
#ifndef CHECK_SUITES_H
#define CHECK_SUITES_H

#include <check.h>

Suite *text_suite(void);
Suite *contact_suite(void);
Suite *ticket_code_suite(void);
Suite *config_suite(void);
Suite *store_suite(void);
Suite *mailbox_suite(void);
Suite *worker_suite(void);
Suite *pipeline_suite(void);
Suite *template_suite(void);
Suite *ratelimit_suite(void);
Suite *http_suite(void);
Suite *log_suite(void);
Suite *calendar_suite(void);
Suite *desk_edit_suite(void);
Suite *auth_suite(void);
Suite *privacy_suite(void);
Suite *sendq_suite(void);
Suite *lifecycle_suite(void);
Suite *casework_suite(void);
Suite *assign_suite(void);
Suite *mail_suite(void);
Suite *email_parse_suite(void);
Suite *email_lmtp_suite(void);
Suite *email_compose_suite(void);
Suite *email_imap_suite(void);
Suite *sms_text_suite(void);
Suite *sms_keyword_suite(void);
Suite *sms_query_suite(void);
Suite *sms_http_suite(void);
Suite *calls_suite(void);
#ifdef HUB_TEST_SIP
Suite *sip_sdp_suite(void);
Suite *sip_config_suite(void);
Suite *sip_ua_suite(void);
Suite *sip_parser_suite(void);
Suite *rtp_suite(void);
Suite *ivr_menu_suite(void);
Suite *ivr_say_suite(void);
Suite *ivr_prompt_suite(void);
Suite *ivr_hub_suite(void);
#endif

#endif
