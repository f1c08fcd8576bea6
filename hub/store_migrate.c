/*
 * Schema migrations. PRAGMA user_version is the number of the last
 * migration applied; each migration runs in its own transaction together
 * with the update of user_version, so a failed one leaves the previous
 * version in place. Migrations are only appended, never edited.
 */
#include <stdio.h>

#include <sodium.h>

#include "log.h"
#include "store_sqlite.h"

static const char store_migrate_1[] =
	"CREATE TABLE meta ("
	" key TEXT PRIMARY KEY,"
	" value BLOB NOT NULL);"

	"CREATE TABLE citizens ("
	" id INTEGER PRIMARY KEY,"
	" name TEXT,"
	" language TEXT NOT NULL DEFAULT 'vi',"
	" created_at INTEGER NOT NULL);"

	"CREATE TABLE contacts ("
	" id INTEGER PRIMARY KEY,"
	" citizen_id INTEGER NOT NULL REFERENCES citizens(id),"
	" kind TEXT NOT NULL CHECK (kind IN ('phone','email','platform')),"
	" value TEXT NOT NULL,"
	" verified INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0,1)),"
	" created_at INTEGER NOT NULL);"
	"CREATE UNIQUE INDEX contacts_verified ON contacts (kind, value)"
	" WHERE verified = 1;"
	"CREATE INDEX contacts_kind_value ON contacts (kind, value);"
	"CREATE INDEX contacts_citizen ON contacts (citizen_id);"

	"CREATE TABLE tickets ("
	" id INTEGER PRIMARY KEY,"
	" code TEXT NOT NULL UNIQUE,"
	" citizen_id INTEGER REFERENCES citizens(id),"
	" contact_id INTEGER REFERENCES contacts(id),"
	" channel TEXT NOT NULL,"
	" conversation_key TEXT,"
	" status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new',"
	"  'assigned','in_progress','waiting','resolved','closed')),"
	" subject TEXT,"
	" category TEXT,"
	" category_hint TEXT,"
	" department TEXT,"
	" commune TEXT,"
	" address TEXT,"
	" latitude REAL,"
	" longitude REAL,"
	" language TEXT NOT NULL DEFAULT 'vi',"
	" due_at INTEGER,"
	" created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL,"
	" closed_at INTEGER);"
	"CREATE INDEX tickets_conversation ON tickets (channel, conversation_key)"
	" WHERE conversation_key IS NOT NULL;"
	"CREATE INDEX tickets_status ON tickets (status, id);"

	"CREATE TABLE ticket_contacts ("
	" ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	" contact_id INTEGER NOT NULL REFERENCES contacts(id),"
	" PRIMARY KEY (ticket_id, contact_id)) WITHOUT ROWID;"

	"CREATE TABLE messages ("
	" id INTEGER PRIMARY KEY,"
	" ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	" direction TEXT NOT NULL CHECK (direction IN ('in','out')),"
	" kind TEXT NOT NULL CHECK (kind IN ('message','ack','reply','note')),"
	" channel TEXT NOT NULL,"
	" external_id TEXT,"
	" contact_id INTEGER REFERENCES contacts(id),"
	" body TEXT NOT NULL,"
	" delivery_status TEXT,"
	" created_at INTEGER NOT NULL);"
	"CREATE UNIQUE INDEX messages_external ON messages (channel, external_id)"
	" WHERE external_id IS NOT NULL;"
	"CREATE INDEX messages_ticket ON messages (ticket_id, id);"

	"CREATE TABLE attachments ("
	" id INTEGER PRIMARY KEY,"
	" message_id INTEGER NOT NULL REFERENCES messages(id),"
	" sha256 TEXT NOT NULL,"
	" filename TEXT,"
	" content_type TEXT NOT NULL,"
	" size INTEGER NOT NULL,"
	" created_at INTEGER NOT NULL);"
	"CREATE INDEX attachments_message ON attachments (message_id);"

	"CREATE TABLE audit_events ("
	" id INTEGER PRIMARY KEY,"
	" ticket_id INTEGER REFERENCES tickets(id),"
	" actor TEXT NOT NULL,"
	" action TEXT NOT NULL,"
	" detail TEXT,"
	" created_at INTEGER NOT NULL);"
	"CREATE INDEX audit_events_ticket ON audit_events (ticket_id, id);"

	"CREATE TABLE outbox ("
	" id INTEGER PRIMARY KEY,"
	" event TEXT NOT NULL,"
	" ticket_id INTEGER,"
	" payload TEXT NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" delivered_at INTEGER);"
	"CREATE INDEX outbox_created ON outbox (created_at);"

	"CREATE TABLE idempotency_keys ("
	" route TEXT NOT NULL,"
	" key TEXT NOT NULL,"
	" body_hash BLOB NOT NULL,"
	" ticket_id INTEGER NOT NULL,"
	" message_id INTEGER NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" PRIMARY KEY (route, key));"
	"CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);";

/*
 * Full-text search of what citizens see of a ticket: its subject and the
 * messages that are not internal notes, one row each. The text is stored
 * folded by text_fold, because unicode61 removes diacritics but keeps đ,
 * and SQL has no text_fold: the rows that exist already are indexed in C
 * by store_search_index_existing. A query is a conjunction of single words,
 * so the index keeps no positions (detail=none) and no column sizes, which
 * makes each insert cheaper.
 */
static const char store_migrate_2[] =
	"CREATE VIRTUAL TABLE ticket_search USING fts5("
	" ticket_id UNINDEXED,"
	" text,"
	" tokenize = 'unicode61 remove_diacritics 2',"
	" detail = none, columnsize = 0);";

/*
 * The service desk: agents with their roles and departments, their login
 * sessions and the failed logins that lock a username or an address out;
 * assignment, merging, satisfaction and the deadline timers of a ticket;
 * the send queue of outbound messages; tags; blocked contacts; citizens
 * merged or anonymized; audit events about a citizen; and the desk's
 * configuration as edited through the admin API.
 *
 * A deadline timer is the pair (due_at, reminded_at or escalated_at): a
 * ticket whose time has come and whose column is still NULL has a timer
 * pending, so timers survive a restart without a table of their own.
 */
static const char store_migrate_3[] =
	"CREATE TABLE agents ("
	" id INTEGER PRIMARY KEY,"
	" username TEXT NOT NULL UNIQUE,"
	" display_name TEXT NOT NULL,"
	" role TEXT NOT NULL CHECK (role IN ('agent','supervisor','admin')),"
	" password_hash TEXT NOT NULL,"
	" language TEXT NOT NULL DEFAULT 'vi',"
	" available INTEGER NOT NULL DEFAULT 0 CHECK (available IN (0,1)),"
	" disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0,1)),"
	" created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL);"

	"CREATE TABLE agent_departments ("
	" agent_id INTEGER NOT NULL REFERENCES agents(id),"
	" department TEXT NOT NULL,"
	" PRIMARY KEY (agent_id, department)) WITHOUT ROWID;"
	"CREATE INDEX agent_departments_department ON agent_departments"
	" (department, agent_id);"

	"CREATE TABLE sessions ("
	" id INTEGER PRIMARY KEY,"
	" agent_id INTEGER NOT NULL REFERENCES agents(id),"
	" token_hash BLOB NOT NULL UNIQUE,"
	" kind TEXT NOT NULL CHECK (kind IN ('cookie','bearer')),"
	" csrf_hash BLOB,"
	" address TEXT,"
	" created_at INTEGER NOT NULL,"
	" last_seen_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL,"
	" revoked_at INTEGER);"
	"CREATE INDEX sessions_agent ON sessions (agent_id);"
	"CREATE INDEX sessions_expires ON sessions (expires_at);"

	"CREATE TABLE login_failures ("
	" key TEXT PRIMARY KEY,"
	" failures INTEGER NOT NULL,"
	" first_at INTEGER NOT NULL,"
	" locked_until INTEGER);"

	"ALTER TABLE tickets ADD COLUMN assignee_id INTEGER REFERENCES agents(id);"
	"ALTER TABLE tickets ADD COLUMN merged_into INTEGER REFERENCES tickets(id);"
	"ALTER TABLE tickets ADD COLUMN resolved_at INTEGER;"
	"ALTER TABLE tickets ADD COLUMN reminded_at INTEGER;"
	"ALTER TABLE tickets ADD COLUMN escalated_at INTEGER;"
	"ALTER TABLE tickets ADD COLUMN satisfaction INTEGER"
	" CHECK (satisfaction BETWEEN 1 AND 5);"
	"ALTER TABLE tickets ADD COLUMN satisfaction_at INTEGER;"
	"ALTER TABLE tickets ADD COLUMN anonymized_at INTEGER;"
	"CREATE INDEX tickets_assignee ON tickets (assignee_id, status);"
	"CREATE INDEX tickets_department ON tickets (department, status);"
	"CREATE INDEX tickets_citizen ON tickets (citizen_id);"
	"CREATE INDEX tickets_due ON tickets (due_at)"
	" WHERE due_at IS NOT NULL AND status NOT IN ('resolved','closed');"

	"ALTER TABLE messages ADD COLUMN agent_id INTEGER REFERENCES agents(id);"
	"ALTER TABLE messages ADD COLUMN delivery_detail TEXT;"
	"ALTER TABLE messages ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE messages ADD COLUMN next_attempt_at INTEGER;"
	"ALTER TABLE messages ADD COLUMN delivered_at INTEGER;"
	"ALTER TABLE messages ADD COLUMN language TEXT"
	" CHECK (language IN ('vi','en'));"
	"CREATE INDEX messages_send_queue ON messages (next_attempt_at)"
	" WHERE delivery_status = 'queued';"

	"CREATE TABLE ticket_tags ("
	" ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	" tag TEXT NOT NULL,"
	" PRIMARY KEY (ticket_id, tag)) WITHOUT ROWID;"
	"CREATE INDEX ticket_tags_tag ON ticket_tags (tag, ticket_id);"

	"ALTER TABLE contacts ADD COLUMN blocked_at INTEGER;"
	"ALTER TABLE citizens ADD COLUMN merged_into INTEGER"
	" REFERENCES citizens(id);"
	"ALTER TABLE citizens ADD COLUMN anonymized_at INTEGER;"

	"ALTER TABLE audit_events ADD COLUMN citizen_id INTEGER"
	" REFERENCES citizens(id);"
	"ALTER TABLE audit_events ADD COLUMN agent_id INTEGER"
	" REFERENCES agents(id);"
	"CREATE INDEX audit_events_citizen ON audit_events (citizen_id, id)"
	" WHERE citizen_id IS NOT NULL;"
	"CREATE INDEX audit_events_agent ON audit_events (agent_id, id)"
	" WHERE agent_id IS NOT NULL;"

	"CREATE TABLE desk_settings ("
	" key TEXT PRIMARY KEY,"
	" value TEXT NOT NULL,"
	" updated_by INTEGER REFERENCES agents(id),"
	" updated_at INTEGER NOT NULL);";

/*
 * Threading by reference and the channels' own state. messages.reference
 * is the id a channel gave a message that later messages may quote (an
 * email Message-ID); messages.automatic marks a message written by a
 * program (an auto-reply). channel_state keeps what a module must remember
 * across restarts (an IMAP mailbox's UIDVALIDITY and last UID).
 */
static const char store_migrate_4[] =
	"ALTER TABLE messages ADD COLUMN reference TEXT;"
	"ALTER TABLE messages ADD COLUMN automatic INTEGER NOT NULL DEFAULT 0"
	" CHECK (automatic IN (0,1));"
	"CREATE INDEX messages_reference ON messages (channel, reference)"
	" WHERE reference IS NOT NULL;"
	"CREATE INDEX attachments_sha256 ON attachments (sha256);"
	/* The acknowledgement limits count recent acks per recipient. */
	"CREATE INDEX messages_acks ON messages (contact_id, created_at)"
	" WHERE direction = 'out' AND kind = 'ack';"

	"CREATE TABLE channel_state ("
	" channel TEXT NOT NULL,"
	" key TEXT NOT NULL,"
	" value TEXT NOT NULL,"
	" updated_at INTEGER NOT NULL,"
	" PRIMARY KEY (channel, key)) WITHOUT ROWID;";

/*
 * Telephone calls to the IVR, one row per call whether or not it opened or
 * looked up a ticket (ticket_id NULL then). caller is the number in E.164
 * when the From user parses as a phone number, else the user as received;
 * caller_raw is always the user as received. Both are personal data: the
 * erasure of a citizen clears them. attachment_id is the attachment row of
 * the recording when the call's ticket has one with that hash.
 */
static const char store_migrate_5[] =
	"CREATE TABLE calls ("
	" id INTEGER PRIMARY KEY,"
	" ticket_id INTEGER REFERENCES tickets(id),"
	" channel TEXT NOT NULL,"
	" call_id TEXT NOT NULL,"
	" caller TEXT,"
	" caller_raw TEXT,"
	" callee TEXT,"
	" started_at INTEGER NOT NULL,"
	" answered_at INTEGER,"
	" ended_at INTEGER NOT NULL,"
	" language TEXT,"
	" path TEXT,"
	" dtmf_methods TEXT,"
	" end_reason TEXT,"
	" recording_sha256 TEXT,"
	" attachment_id INTEGER REFERENCES attachments(id),"
	" recording_ms INTEGER NOT NULL DEFAULT 0,"
	" created_at INTEGER NOT NULL);"
	"CREATE UNIQUE INDEX calls_call_id ON calls (channel, call_id);"
	"CREATE INDEX calls_ticket ON calls (ticket_id) WHERE ticket_id IS NOT NULL;"
	"CREATE INDEX calls_started ON calls (started_at, id);"
	"CREATE INDEX calls_caller ON calls (caller) WHERE caller IS NOT NULL;";

/*
 * A PBX that builds Call-IDs from a counter can repeat one after a restart,
 * so a call is told apart by its Call-ID and its start.
 */
static const char store_migrate_6[] =
	"DROP INDEX calls_call_id;"
	"CREATE UNIQUE INDEX calls_call_id ON calls (channel, call_id,"
	" started_at);";

struct store_migration {
	const char *sql;
	int (*fill)(sqlite3 *db);	/* NULL, or run after sql */
};

/* Migration N is store_migrations[N - 1]. */
static const struct store_migration store_migrations[] = {
	{ store_migrate_1, NULL },
	{ store_migrate_2, store_search_index_existing },
	{ store_migrate_3, NULL },
	{ store_migrate_4, NULL },
	{ store_migrate_5, NULL },
	{ store_migrate_6, NULL },
};

_Static_assert(sizeof(store_migrations) / sizeof(store_migrations[0]) ==
    STORE_SCHEMA_VERSION, "STORE_SCHEMA_VERSION must be the last migration");

int
store_migrate_version(sqlite3 *db, int *version)
{
	sqlite3_stmt *stmt;
	int rc;

	*version = 0;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt,
	    NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int
store_migrate_apply(sqlite3 *db, int version, char *err, size_t err_size)
{
	const struct store_migration *migration =
	    &store_migrations[version - 1];
	char set_version[64];

	/* The version is a constant of this file, never input. */
	snprintf(set_version, sizeof(set_version), "PRAGMA user_version = %d",
	    version);
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_exec(db, migration->sql, NULL, NULL, NULL) != SQLITE_OK ||
	    (migration->fill != NULL && migration->fill(db) != 0) ||
	    sqlite3_exec(db, set_version, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, err_size, "migration %d failed: %s", version,
		    sqlite3_errmsg(db));
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	log_info("store", "schema migrated version=%d", version);
	return 0;

fail:
	snprintf(err, err_size, "migration %d failed: %s", version,
	    sqlite3_errmsg(db));
	return -1;
}

static int
store_migrate_insert_key(sqlite3 *db, const char *name)
{
	static const char sql[] = "INSERT INTO meta (key, value) VALUES (?, ?)"
	    " ON CONFLICT (key) DO NOTHING";
	uint8_t key[STORE_KEY_BYTES];
	sqlite3_stmt *stmt;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return -1;
	randombytes_buf(key, sizeof(key));
	sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(stmt, 2, key, sizeof(key), SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	sodium_memzero(key, sizeof(key));
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Creates the secret keys that are missing; existing keys are kept. */
static int
store_migrate_keys(sqlite3 *db, char *err, size_t err_size)
{
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK &&
	    store_migrate_insert_key(db, "code_key") == 0 &&
	    store_migrate_insert_key(db, "token_key") == 0 &&
	    store_migrate_insert_key(db, "session_key") == 0 &&
	    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	snprintf(err, err_size, "creating the keys failed: %s",
	    sqlite3_errmsg(db));
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Brings the database at path to STORE_SCHEMA_VERSION and creates its keys.
 * A database written by a newer version is rejected. */
int
store_migrate(sqlite3 *db, const char *path, char *err, size_t err_size)
{
	int version;

	if (store_migrate_version(db, &version) != 0) {
		snprintf(err, err_size, "reading the schema version of %s "
		    "failed: %s", path, sqlite3_errmsg(db));
		return -1;
	}
	if (version > STORE_SCHEMA_VERSION) {
		snprintf(err, err_size, "database %s has schema version %d, "
		    "newer than %d of this program: run a newer citizenhubd or "
		    "restore a backup made by this version", path, version,
		    STORE_SCHEMA_VERSION);
		return -1;
	}
	while (version < STORE_SCHEMA_VERSION) {
		if (store_migrate_apply(db, ++version, err, err_size) != 0)
			return -1;
	}
	return store_migrate_keys(db, err, err_size);
}
