/*
 * Internals of agents' authentication, shared by auth*.c, api_session.c,
 * api_agents.c and ctl_agent.c: tokens and their hashes, usernames,
 * passwords and the lockout arithmetic. The functions of auth_token.c and
 * auth_lockout.c are pure, so the unit tests check them directly.
 */
#ifndef HUB_AUTH_INTERNAL_H
#define HUB_AUTH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "message.h"

/* Random bytes of a session, bearer or CSRF token. */
#define AUTH_TOKEN_BYTES 32
/* Its base64url text without padding (43 characters) and the NUL. */
#define AUTH_TOKEN_TEXT_SIZE 44
#define AUTH_TOKEN_HASH_BYTES 32

#define AUTH_COOKIE_NAME "citizenhub_session"
#define AUTH_CSRF_HEADER "X-CSRF-Token"
#define AUTH_ADMIN_TOKEN_USERNAME "admin-token"

/* Passwords are counted in code points after NFC normalization. */
#define AUTH_PASSWORD_MIN_CHARS 10
#define AUTH_PASSWORD_MAX_CHARS 256
#define AUTH_DISPLAY_NAME_MAX_CHARS 120
/* Bytes of a password hash in libsodium's string form, NUL included. */
#define AUTH_PASSWORD_HASH_SIZE 128

/* Longest key of login_failures: "user:" or "addr:" and the folded
 * username (at most 4 bytes a code point) or an address. */
#define AUTH_LOCKOUT_KEY_SIZE (5 + 4 * AUTH_USERNAME_MAX + 1)

/* --- auth_token.c ------------------------------------------------------- */

/* Fills text with AUTH_TOKEN_BYTES random bytes in base64url without
 * padding. Call sodium_init first. */
void auth_token_generate(char text[AUTH_TOKEN_TEXT_SIZE]);

/* Computes the keyed BLAKE2b hash of the token's text under key
 * (STORE_KEY_BYTES), which is what the store keeps of a token. */
void auth_token_hash(const uint8_t *key, const char *token, size_t length,
    uint8_t hash[AUTH_TOKEN_HASH_BYTES]);

/* Whether text has the form of a token made by auth_token_generate. */
bool auth_token_well_formed(const char *text, size_t length);

/* Copies username, lowercased, into out (AUTH_USERNAME_MAX + 1 bytes).
 * Returns 0, or -1 unless it has 1 to AUTH_USERNAME_MAX characters of
 * [a-z0-9._-] after lowercasing. */
int auth_username_normalize(const char *username, char *out);

/* Writes the login_failures key of a username typed at login: "user:" and
 * the username in NFC, case-folded, so that every spelling that could name
 * one account shares one counter, whether or not the account exists.
 * Returns 0, or -1 when username is not valid UTF-8 of at most
 * AUTH_USERNAME_MAX code points or memory runs out. */
int auth_lockout_username_key(const char *username,
    char out[AUTH_LOCKOUT_KEY_SIZE]);

/* Writes "addr:" and address. */
void auth_lockout_address_key(const char *address,
    char out[AUTH_LOCKOUT_KEY_SIZE]);

/* --- auth_lockout.c ----------------------------------------------------- */

struct auth_lockout_policy {
	int64_t failures;	/* failures within the window that lock */
	int64_t window_ms;
	int64_t lock_ms;
};

/* One row of login_failures. */
struct auth_lockout_state {
	int64_t failures;
	int64_t first_at;	/* Unix ms of the first failure counted */
	int64_t locked_until;	/* Unix ms, 0 when not locked */
};

/* Seconds, rounded up, until the lock of state ends at now; 0 when it is
 * not locked. */
int64_t auth_lockout_remaining(const struct auth_lockout_state *state,
    int64_t now);

/* Counts one failure at now: a window that has passed starts again, and
 * reaching policy->failures within the window locks until now plus the
 * lock time. Returns true when this failure set the lock. */
bool auth_lockout_record(const struct auth_lockout_policy *policy,
    struct auth_lockout_state *state, int64_t now);

/* Takes back the failure that a login attempt counted before its password
 * was checked, once the password proved right. counted is the row as the
 * attempt stored it and before the row as the attempt found it, when no
 * lock held. A window that started again since holds no failure of the
 * attempt and is left alone. Otherwise the count drops by one and a lock
 * set since the attempt is lifted, because every lock set in that time
 * counted the attempt's own failure: a successful login never creates or
 * extends a lock. Returns true when state changed. */
bool auth_lockout_forgive(struct auth_lockout_state *state,
    const struct auth_lockout_state *before,
    const struct auth_lockout_state *counted);

/* Whether the row can be deleted at now: its window has passed and it
 * holds no lock that still runs. */
bool auth_lockout_expired(const struct auth_lockout_policy *policy,
    const struct auth_lockout_state *state, int64_t now);

/* --- auth_password.c ---------------------------------------------------- */

/* Sets the argon2id cost of new hashes: libsodium's moderate limits (3
 * passes, 256 MiB), else its interactive ones (2 passes, 64 MiB). */
void auth_password_set_cost(bool moderate);

/* Sets the argon2id cost (libsodium's interactive or moderate limits) and
 * computes the dummy hash that logins of unknown usernames verify against,
 * so that they take as long as the others. Call once at start-up, before
 * any worker verifies. Returns 0 or -1 (out of memory). */
int auth_password_setup(bool moderate);

/* Normalizes a password to NFC and checks its length. Returns a new string
 * (caller frees with auth_password_free), or NULL with *error set to
 * HUB_ERR_FIELD_TOO_LONG or HUB_ERR_INVALID_FIELD (too short, or a NUL),
 * and *limit to the bound. */
char *auth_password_prepare(const char *password, size_t length,
    enum hub_error_code *error, long *limit);

/* Whether password (valid UTF-8, as from auth_password_prepare) holds
 * nothing but white space. A new password must not be blank, but a login
 * still checks one, so that accounts that have one can sign in and change
 * it. */
bool auth_password_blank(const char *password);

/* Wipes and frees a password from auth_password_prepare. */
void auth_password_free(char *password);

/* Hashes password with argon2id into hash. CPU-heavy: run it on a worker
 * or in citizenhubctl. Returns 0, or -1 when memory runs out. */
int auth_password_hash(const char *password,
    char hash[AUTH_PASSWORD_HASH_SIZE]);

/* Verifies password against hash, or against the dummy hash when hash is
 * NULL (always false then). CPU-heavy like auth_password_hash. */
bool auth_password_verify(const char *hash, const char *password);

/* --- auth.c ------------------------------------------------------------- */

struct store_session;

/* Fills the caller of the bootstrap admin token: id 0, role admin. */
void auth_agent_bootstrap(struct auth_agent *agent);

/* Does what auth_request does and also fills session with the session or
 * bearer token used; its id is 0 for the bootstrap admin token. */
bool auth_identify(struct api_context *api, struct evhttp_request *req,
    struct auth_agent *agent, struct store_session *session);

#endif
