/*
 * The menu engine's ticket status: the code typed on the keypad, checked
 * with its check digit, looked up by the hub and read out.
 */
#include "ivr_session_internal.h"

#include <string.h>

void
ivr_session_code_prompt(struct ivr_session *session,
    const struct ivr_menu_prompts *prefix, const char *name)
{
	struct ivr_session_list list = { .count = 0 };

	session->digit_count = 0;
	session->digits[0] = '\0';
	session->dropping_keys = false;
	if (prefix != NULL)
		ivr_session_list_add_prompts(&list, prefix);
	ivr_session_list_add(&list, name);
	ivr_session_play(session, &list, IVR_SESSION_CODE_PROMPT, true);
}

static void
ivr_session_code_check(struct ivr_session *session)
{
	char code[TICKET_CODE_PLAIN_SIZE];
	bool length_ok = session->digit_count == TICKET_CODE_DIGITS;
	bool valid = length_ok && ticket_code_parse(session->digits, code) == 0;

	if (!valid) {
		if (ivr_session_fail(session))
			return;
		ivr_session_code_prompt(session, NULL, length_ok ?
		    "code_invalid" : "code_length");
		/* The caller may go on typing the rest of a code too long, or
		 * a '#': those keys must not start the next try. */
		session->dropping_keys = true;
		return;
	}
	memcpy(session->lookup_code, code, sizeof(code));
	session->state = IVR_SESSION_LOOKUP;
	session->actions->lookup(session->arg, code);
}

void
ivr_session_code_key(struct ivr_session *session, char key)
{
	if (key == '#') {
		ivr_session_code_check(session);
		return;
	}
	if (key == '*') {
		/* Star clears: the code is typed again from its start. */
		session->digit_count = 0;
		session->digits[0] = '\0';
		session->state = IVR_SESSION_CODE_WAIT;
		ivr_session_timer_start(session);
		return;
	}
	session->digits[session->digit_count++] = key;
	session->digits[session->digit_count] = '\0';
	if (session->digit_count == IVR_SESSION_CODE_KEYS_MAX) {
		ivr_session_code_check(session);
		return;
	}
	session->state = IVR_SESSION_CODE_WAIT;
	ivr_session_timer_start(session);
}

void
ivr_session_code_timeout(struct ivr_session *session)
{
	if (session->digit_count > 0) {
		ivr_session_code_check(session);
		return;
	}
	if (!ivr_session_fail(session))
		ivr_session_code_prompt(session,
		    &ivr_session_node(session)->no_input_prompt, "enter_code");
}

void
ivr_session_lookup_result(struct ivr_session *session,
    const struct ivr_ticket_status *ticket)
{
	struct ivr_session_list list = { .count = 0 };

	if (session->state != IVR_SESSION_LOOKUP)
		return;
	if (ticket->found != 1) {
		ivr_session_list_add(&list, ticket->found == 0 ?
		    "code_unknown" : "lookup_failed");
		ivr_session_play(session, &list, IVR_SESSION_STATUS_RESULT, true);
		return;
	}
	memcpy(session->code, session->lookup_code, sizeof(session->code));
	ivr_session_list_add(&list, "status_intro");
	ivr_session_list_add_value(&list, "code:%s", session->lookup_code);
	ivr_session_list_add_value(&list, "status:%s", ticket->status);
	if (ticket->merged_into[0] != '\0') {
		ivr_session_list_add(&list, "status_merged");
		ivr_session_list_add_value(&list, "code:%s", ticket->merged_into);
	}
	if (ticket->due_at_ms > 0 && ticket->resolved_at_ms == 0) {
		ivr_session_list_add(&list, "due_intro");
		ivr_session_list_add_value(&list, "date:%lld",
		    (long long)ticket->due_at_ms);
	}
	ivr_session_play(session, &list, IVR_SESSION_STATUS_RESULT, true);
}
