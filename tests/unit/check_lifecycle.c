#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "check_suites.h"
#include "lifecycle.h"

#define N LIFECYCLE_NEW
#define A LIFECYCLE_ASSIGNED
#define P LIFECYCLE_IN_PROGRESS
#define W LIFECYCLE_WAITING
#define R LIFECYCLE_RESOLVED
#define C LIFECYCLE_CLOSED

/* The expected table, written out pair by pair: expected[from][to]. */
static const bool expected[LIFECYCLE_STATUS_COUNT][LIFECYCLE_STATUS_COUNT] = {
	/*              new    assigned in_prog waiting resolved closed */
	[N] = { false, true,  true,  false, true,  true  },
	[A] = { true,  false, true,  true,  true,  false },
	[P] = { false, true,  false, true,  true,  false },
	[W] = { false, false, true,  false, true,  false },
	[R] = { false, false, true,  false, false, true  },
	[C] = { false, false, false, false, false, false },
};

static const int64_t day_ms = 86400000;

START_TEST(lifecycle_every_pair_of_table)
{
	for (int from = 0; from < LIFECYCLE_STATUS_COUNT; from++) {
		for (int to = 0; to < LIFECYCLE_STATUS_COUNT; to++) {
			ck_assert_msg(lifecycle_allowed(from, to) ==
			    expected[from][to], "%s -> %s: expected %s",
			    lifecycle_status_name(from),
			    lifecycle_status_name(to),
			    expected[from][to] ? "allowed" : "forbidden");
		}
	}
}
END_TEST

START_TEST(lifecycle_check_follows_table_for_every_pair)
{
	for (int from = 0; from < LIFECYCLE_STATUS_COUNT; from++) {
		for (int to = 0; to < LIFECYCLE_STATUS_COUNT; to++) {
			enum lifecycle_verdict verdict = lifecycle_check(from,
			    to, true, true);

			ck_assert_msg((verdict == LIFECYCLE_ALLOWED) ==
			    expected[from][to], "%s -> %s by a supervisor",
			    lifecycle_status_name(from),
			    lifecycle_status_name(to));
			if (!expected[from][to])
				ck_assert_int_eq(lifecycle_check(from, to,
				    false, false), LIFECYCLE_NOT_ALLOWED);
		}
	}
}
END_TEST

START_TEST(lifecycle_closing_needs_supervisor_unless_resolved)
{
	ck_assert_int_eq(lifecycle_check(N, C, false, false),
	    LIFECYCLE_FORBIDDEN);
	ck_assert_int_eq(lifecycle_check(N, C, true, false), LIFECYCLE_ALLOWED);
	ck_assert_int_eq(lifecycle_check(R, C, false, false), LIFECYCLE_ALLOWED);
	ck_assert_int_eq(lifecycle_check(R, C, true, true), LIFECYCLE_ALLOWED);
	/* The table goes first: an agent asking assigned -> closed gets 409. */
	ck_assert_int_eq(lifecycle_check(A, C, false, true),
	    LIFECYCLE_NOT_ALLOWED);
}
END_TEST

START_TEST(lifecycle_assigned_needs_assignee)
{
	ck_assert_int_eq(lifecycle_check(N, A, false, false),
	    LIFECYCLE_NOT_ALLOWED);
	ck_assert_int_eq(lifecycle_check(N, A, false, true), LIFECYCLE_ALLOWED);
	ck_assert_int_eq(lifecycle_check(P, A, true, false),
	    LIFECYCLE_NOT_ALLOWED);
	ck_assert_int_eq(lifecycle_check(P, A, false, true), LIFECYCLE_ALLOWED);
	/* Other statuses do not care about the assignee. */
	ck_assert_int_eq(lifecycle_check(N, P, false, false), LIFECYCLE_ALLOWED);
	ck_assert_int_eq(lifecycle_check(A, N, false, true), LIFECYCLE_ALLOWED);
}
END_TEST

START_TEST(lifecycle_effects_of_changes)
{
	struct lifecycle_effect effect;

	lifecycle_effect(P, R, &effect);
	ck_assert(effect.set_resolved_at);
	ck_assert(!effect.set_closed_at && !effect.clear_resolved_at);
	ck_assert(!effect.clear_closed_at && !effect.clear_assignee);

	lifecycle_effect(R, C, &effect);
	ck_assert(effect.set_closed_at);
	ck_assert(!effect.set_resolved_at && !effect.clear_resolved_at);

	lifecycle_effect(N, C, &effect);
	ck_assert(effect.set_closed_at);
	ck_assert(!effect.set_resolved_at);

	lifecycle_effect(R, P, &effect);
	ck_assert(effect.clear_resolved_at);
	ck_assert(effect.clear_closed_at);
	ck_assert(!effect.set_resolved_at && !effect.set_closed_at);

	lifecycle_effect(A, N, &effect);
	ck_assert(effect.clear_assignee);
	ck_assert(!effect.set_resolved_at && !effect.clear_resolved_at);

	lifecycle_effect(W, P, &effect);
	ck_assert(!effect.set_resolved_at && !effect.set_closed_at);
	ck_assert(!effect.clear_resolved_at && !effect.clear_closed_at);
	ck_assert(!effect.clear_assignee);
}
END_TEST

START_TEST(lifecycle_assignment_moves_new_and_assigned)
{
	ck_assert_int_eq(lifecycle_after_assignment(N, true), A);
	ck_assert_int_eq(lifecycle_after_assignment(A, true), A);
	ck_assert_int_eq(lifecycle_after_assignment(A, false), N);
	ck_assert_int_eq(lifecycle_after_assignment(N, false), N);
	ck_assert_int_eq(lifecycle_after_assignment(P, true), P);
	ck_assert_int_eq(lifecycle_after_assignment(P, false), P);
	ck_assert_int_eq(lifecycle_after_assignment(W, false), W);
	ck_assert_int_eq(lifecycle_after_assignment(R, true), R);
}
END_TEST

START_TEST(lifecycle_names_round_trip)
{
	enum lifecycle_status parsed;

	for (int status = 0; status < LIFECYCLE_STATUS_COUNT; status++) {
		const char *name = lifecycle_status_name(status);

		ck_assert_ptr_nonnull(name);
		ck_assert_uint_lt(strlen(name), LIFECYCLE_STATUS_SIZE);
		ck_assert_int_eq(lifecycle_status_parse(name, &parsed), 0);
		ck_assert_int_eq(parsed, status);
	}
	ck_assert_int_eq(lifecycle_status_parse("open", &parsed), -1);
	ck_assert_int_eq(lifecycle_status_parse("New", &parsed), -1);
	ck_assert_int_eq(lifecycle_status_parse("", &parsed), -1);
	ck_assert_ptr_null(lifecycle_status_name(LIFECYCLE_STATUS_COUNT));
	ck_assert(!lifecycle_allowed(N, LIFECYCLE_STATUS_COUNT));
}
END_TEST

START_TEST(lifecycle_open_statuses)
{
	ck_assert(lifecycle_is_open(N));
	ck_assert(lifecycle_is_open(A));
	ck_assert(lifecycle_is_open(P));
	ck_assert(lifecycle_is_open(W));
	ck_assert(!lifecycle_is_open(R));
	ck_assert(!lifecycle_is_open(C));
}
END_TEST

START_TEST(reopen_within_window_only)
{
	int64_t resolved = 1736128800000LL;
	int64_t window = 7 * day_ms;

	ck_assert(lifecycle_reopens(R, resolved, resolved + 1, window));
	ck_assert(lifecycle_reopens(R, resolved, resolved + window, window));
	ck_assert(!lifecycle_reopens(R, resolved, resolved + window + 1,
	    window));
	/* A clock set back still counts as inside the window. */
	ck_assert(lifecycle_reopens(R, resolved, resolved - day_ms, window));
}
END_TEST

START_TEST(reopen_only_resolved_tickets)
{
	int64_t resolved = 1736128800000LL;
	int64_t window = 7 * day_ms;

	for (int status = 0; status < LIFECYCLE_STATUS_COUNT; status++) {
		ck_assert_msg(lifecycle_reopens(status, resolved, resolved + 1,
		    window) == (status == R), "status %s",
		    lifecycle_status_name(status));
	}
	/* Reopening is a change that the table allows. */
	ck_assert(lifecycle_allowed(R, LIFECYCLE_REOPENED));
}
END_TEST

START_TEST(reopen_off_without_window_or_time)
{
	int64_t resolved = 1736128800000LL;

	ck_assert(!lifecycle_reopens(R, resolved, resolved + 1, 0));
	ck_assert(!lifecycle_reopens(R, 0, resolved, 7 * day_ms));
}
END_TEST

Suite *
lifecycle_suite(void)
{
	Suite *suite = suite_create("lifecycle");
	TCase *table = tcase_create("table");
	TCase *reopen = tcase_create("reopen");

	tcase_add_test(table, lifecycle_every_pair_of_table);
	tcase_add_test(table, lifecycle_check_follows_table_for_every_pair);
	tcase_add_test(table, lifecycle_closing_needs_supervisor_unless_resolved);
	tcase_add_test(table, lifecycle_assigned_needs_assignee);
	tcase_add_test(table, lifecycle_effects_of_changes);
	tcase_add_test(table, lifecycle_assignment_moves_new_and_assigned);
	tcase_add_test(table, lifecycle_names_round_trip);
	tcase_add_test(table, lifecycle_open_statuses);
	suite_add_tcase(suite, table);

	tcase_add_test(reopen, reopen_within_window_only);
	tcase_add_test(reopen, reopen_only_resolved_tickets);
	tcase_add_test(reopen, reopen_off_without_window_or_time);
	suite_add_tcase(suite, reopen);
	return suite;
}
