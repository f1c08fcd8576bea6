/*
 * The arithmetic of the login lockout: failures counted in a fixed window
 * that starts at the first failure, and a lock of a fixed time once the
 * count reaches the threshold. The rows live in login_failures, so a
 * restart keeps them.
 */
#include "auth_internal.h"

int64_t
auth_lockout_remaining(const struct auth_lockout_state *state, int64_t now)
{
	if (state->locked_until <= now)
		return 0;
	return (state->locked_until - now + 999) / 1000;
}

bool
auth_lockout_record(const struct auth_lockout_policy *policy,
    struct auth_lockout_state *state, int64_t now)
{
	if (state->failures == 0 || now - state->first_at >= policy->window_ms) {
		state->failures = 0;
		state->first_at = now;
	}
	state->failures++;
	if (state->failures < policy->failures ||
	    auth_lockout_remaining(state, now) > 0)
		return false;
	state->locked_until = now + policy->lock_ms;
	return true;
}

bool
auth_lockout_forgive(struct auth_lockout_state *state,
    const struct auth_lockout_state *before,
    const struct auth_lockout_state *counted)
{
	if (state->failures == 0 || state->first_at != counted->first_at)
		return false;
	state->failures--;
	if (state->locked_until > before->locked_until)
		state->locked_until = before->locked_until;
	return true;
}

bool
auth_lockout_expired(const struct auth_lockout_policy *policy,
    const struct auth_lockout_state *state, int64_t now)
{
	return now - state->first_at >= policy->window_ms &&
	    state->locked_until <= now;
}
