/*
 * The header part of a mail: RFC 2047 decoding, the sender and its display
 * name, the subject without reply prefixes, and the references that thread
 * a reply.
 */
#include <string.h>

#include "message.h"

#include "email_parse_internal.h"

/* Bytes of an encoded word's charset name; longer ones are not words. */
#define EMAIL_CHARSET_NAME_MAX 64
/* Bytes before the colon of a subject prefix ("Chuyển tiếp" is 14). */
#define EMAIL_PREFIX_MAX 24

/* Reply and forward prefixes of mail clients in several languages, case
 * folded. */
static const char *const email_subject_prefixes[] = {
	"re", "fwd", "fw", "tl", "trả lời", "tr", "chuyển tiếp", "aw", "wg",
	"sv", "vs", "rv", "réf", "ref", "rif", "antw", "odp", "enc", "res",
	"doorst", "vá", "ynt",
};

/* One run of text being decoded: the bytes of adjacent encoded words of
 * one charset, or literal text (charset empty). */
struct email_decode_run {
	GString *bytes;
	char charset[EMAIL_CHARSET_NAME_MAX + 1];
};

struct email_encoded_word {
	char charset[EMAIL_CHARSET_NAME_MAX + 1];
	char encoding;		/* 'B' or 'Q' */
	const char *text;
	size_t length;
	const char *end;	/* after "?=" */
};

/* Parses "=?charset[*language]?B|Q?text?=" at p. */
static bool
email_word_parse(const char *p, struct email_encoded_word *word)
{
	const char *charset = p + 2, *q;
	size_t length;

	q = charset;
	while (*q != '\0' && *q != '?' && !g_ascii_isspace(*q))
		q++;
	length = (size_t)(q - charset);
	if (*q != '?' || length == 0 || length > EMAIL_CHARSET_NAME_MAX)
		return false;
	memcpy(word->charset, charset, length);
	word->charset[length] = '\0';
	word->charset[strcspn(word->charset, "*")] = '\0';
	word->encoding = g_ascii_toupper(q[1]);
	if ((word->encoding != 'B' && word->encoding != 'Q') || q[2] != '?')
		return false;
	word->text = q + 3;
	q = word->text;
	while (*q != '\0' && !g_ascii_isspace(*q) && !(q[0] == '?' &&
	    q[1] == '='))
		q++;
	if (q[0] != '?' || q[1] != '=')
		return false;
	word->length = (size_t)(q - word->text);
	word->end = q + 2;
	return true;
}

static void
email_word_decode(const struct email_encoded_word *word, GString *bytes)
{
	if (word->encoding == 'B') {
		gint state = 0;
		guint save = 0;
		size_t start = bytes->len;

		g_string_set_size(bytes, start + word->length * 3 / 4 + 3);
		g_string_set_size(bytes, start + g_base64_decode_step(
		    word->text, word->length, (guchar *)bytes->str + start,
		    &state, &save));
		return;
	}
	for (size_t i = 0; i < word->length; i++) {
		const char *c = word->text + i;

		if (*c == '_') {
			g_string_append_c(bytes, ' ');
		} else if (*c == '=' && i + 2 < word->length &&
		    g_ascii_isxdigit(c[1]) && g_ascii_isxdigit(c[2])) {
			g_string_append_c(bytes, (char)(
			    g_ascii_xdigit_value(c[1]) * 16 +
			    g_ascii_xdigit_value(c[2])));
			i += 2;
		} else {
			g_string_append_c(bytes, *c);
		}
	}
}

/* Appends the run's text in UTF-8 to out and empties the run. */
static void
email_run_flush(struct email_decode_run *run, GString *out)
{
	char *text;

	if (run->bytes->len > 0) {
		text = email_charset_to_utf8(run->bytes->str, run->bytes->len,
		    run->charset[0] != '\0' ? run->charset : NULL);
		g_string_append(out, text);
		g_free(text);
	}
	g_string_truncate(run->bytes, 0);
	run->charset[0] = '\0';
}

/* White space between two encoded words is dropped (RFC 2047 section 6.2).
 * The bytes of adjacent words of one charset are joined before conversion,
 * because a sender may split a multibyte character between them. */
char *
email_header_decode(const char *raw)
{
	struct email_decode_run run = { g_string_new(NULL), "" };
	GString *out = g_string_new(NULL), *space = g_string_new(NULL);
	struct email_encoded_word word;
	bool after_word = false;
	const char *p = raw;

	while (*p != '\0') {
		if (p[0] == '=' && p[1] == '?' && email_word_parse(p, &word)) {
			if (!after_word)
				g_string_append(run.bytes, space->str);
			if (!after_word || g_ascii_strcasecmp(run.charset,
			    word.charset) != 0) {
				email_run_flush(&run, out);
				g_strlcpy(run.charset, word.charset,
				    sizeof(run.charset));
			}
			email_word_decode(&word, run.bytes);
			g_string_truncate(space, 0);
			after_word = true;
			p = word.end;
		} else if (g_ascii_isspace(*p)) {
			g_string_append_c(space, *p++);
		} else {
			if (after_word)
				email_run_flush(&run, out);
			g_string_append(run.bytes, space->str);
			g_string_truncate(space, 0);
			g_string_append_c(run.bytes, *p++);
			after_word = false;
		}
	}
	email_run_flush(&run, out);
	g_string_free(run.bytes, TRUE);
	g_string_free(space, TRUE);
	email_text_clean(out->str, false);
	email_text_squeeze(out->str);
	return g_string_free(out, FALSE);
}

const char *
email_header_raw(GMimeObject *object, const char *name)
{
	GMimeHeader *header = g_mime_header_list_get_header(
	    g_mime_object_get_header_list(object), name);

	return header != NULL ? g_mime_header_get_raw_value(header) : NULL;
}

/* The address trimmed, without angle brackets, with its domain in lower
 * case (g_free), or NULL when it is no local@domain in valid UTF-8. */
static char *
email_address_normalize(const char *address)
{
	char *copy, *at;
	size_t length;

	if (address == NULL)
		return NULL;
	while (g_ascii_isspace(*address) || *address == '<')
		address++;
	length = strlen(address);
	while (length > 0 && (g_ascii_isspace(address[length - 1]) ||
	    address[length - 1] == '>'))
		length--;
	copy = g_strndup(address, length);
	at = strrchr(copy, '@');
	if (at == NULL || at == copy || at[1] == '\0' ||
	    !g_utf8_validate(copy, -1, NULL) ||
	    strpbrk(copy, " \t\r\n<>,;\"") != NULL) {
		g_free(copy);
		return NULL;
	}
	for (char *c = at + 1; *c != '\0'; c++)
		*c = g_ascii_tolower(*c);
	return copy;
}

/* The first mailbox of a list with an address, looking into groups. */
static InternetAddressMailbox *
email_address_first(InternetAddressList *list, int depth)
{
	InternetAddressMailbox *found = NULL;
	InternetAddress *address;

	for (int i = 0; list != NULL && found == NULL &&
	    i < internet_address_list_length(list); i++) {
		address = internet_address_list_get_address(list, i);
		if (INTERNET_ADDRESS_IS_MAILBOX(address)) {
			const char *addr = internet_address_mailbox_get_addr(
			    INTERNET_ADDRESS_MAILBOX(address));

			if (addr != NULL && strchr(addr, '@') != NULL)
				found = INTERNET_ADDRESS_MAILBOX(address);
		} else if (INTERNET_ADDRESS_IS_GROUP(address) && depth < 2) {
			found = email_address_first(
			    internet_address_group_get_members(
			    INTERNET_ADDRESS_GROUP(address)), depth + 1);
		}
	}
	return found;
}

/* Removes the quotes around a display name and the backslashes of its
 * quoted pairs, in place. */
static void
email_name_unquote(char *name)
{
	size_t length = strlen(name), kept = 0;

	if (length >= 2 && name[0] == '"' && name[length - 1] == '"') {
		memmove(name, name + 1, length - 2);
		name[length - 2] = '\0';
	}
	for (size_t i = 0; name[i] != '\0'; i++) {
		if (name[i] == '\\' && name[i + 1] != '\0')
			i++;
		name[kept++] = name[i];
	}
	name[kept] = '\0';
	email_text_squeeze(name);
}

/* The sender's display name (g_free), or NULL. GMime decodes each encoded
 * word on its own, which breaks a character split between two words, so
 * a name with encoded words is decoded here from the raw From value. A
 * From without an address is all name. */
static char *
email_header_name(GMimeMessage *mime, InternetAddressMailbox *mailbox)
{
	const char *raw = email_header_raw(GMIME_OBJECT(mime), "From");
	const char *lt = NULL, *gmime_name = NULL;
	char *name = NULL;

	if (raw != NULL)
		lt = strchr(raw, '<');
	if (raw != NULL && mailbox == NULL && lt == NULL) {
		name = email_header_decode(raw);
	} else if (raw != NULL && strstr(raw, "=?") != NULL && lt != NULL &&
	    internet_address_list_length(g_mime_message_get_from(mime)) == 1) {
		char *part = g_strndup(raw, (gsize)(lt - raw));

		name = email_header_decode(part);
		g_free(part);
	} else if (mailbox != NULL) {
		gmime_name = internet_address_get_name(
		    INTERNET_ADDRESS(mailbox));
		if (gmime_name != NULL)
			name = email_charset_to_utf8(gmime_name,
			    strlen(gmime_name), NULL);
	}
	if (name == NULL)
		return NULL;
	email_text_clean(name, false);
	email_name_unquote(name);
	if (*name == '\0' || strchr(name, '@') != NULL) {
		g_free(name);
		return NULL;
	}
	return name;
}

/* Whether the text before a colon is a reply or forward prefix, with or
 * without a counter ("Re[2]", "AW (3)"). */
static bool
email_subject_is_prefix(const char *text, size_t length)
{
	char *candidate = g_strndup(text, length), *normal, *folded;
	size_t end;
	bool found = false;

	end = strlen(candidate);
	while (end > 0 && g_ascii_isspace(candidate[end - 1]))
		end--;
	if (end > 0 && (candidate[end - 1] == ']' ||
	    candidate[end - 1] == ')')) {
		size_t open = end - 1;

		while (open > 0 && g_ascii_isdigit(candidate[open - 1]))
			open--;
		if (open > 0 && open < end - 1 && (candidate[open - 1] == '[' ||
		    candidate[open - 1] == '('))
			end = open - 1;
	}
	while (end > 0 && g_ascii_isspace(candidate[end - 1]))
		end--;
	candidate[end] = '\0';
	normal = g_utf8_normalize(candidate, -1, G_NORMALIZE_NFC);
	folded = normal != NULL ? g_utf8_casefold(normal, -1) : NULL;
	for (size_t i = 0; folded != NULL &&
	    i < G_N_ELEMENTS(email_subject_prefixes); i++)
		if (strcmp(folded, email_subject_prefixes[i]) == 0)
			found = true;
	g_free(folded);
	g_free(normal);
	g_free(candidate);
	return found;
}

void
email_subject_strip(char *subject)
{
	const char *p = subject, *colon;
	size_t colon_length;

	for (;;) {
		while (*p == ' ')
			p++;
		colon = NULL;
		for (size_t i = 0; i < EMAIL_PREFIX_MAX && p[i] != '\0'; i++) {
			if (p[i] == ':') {
				colon = p + i;
				colon_length = 1;
				break;
			}
			if (strncmp(p + i, "\xef\xbc\x9a", 3) == 0) {
				colon = p + i;	/* U+FF1A, fullwidth colon */
				colon_length = 3;
				break;
			}
		}
		if (colon == NULL || colon == p ||
		    !email_subject_is_prefix(p, (size_t)(colon - p)))
			break;
		p = colon + colon_length;
	}
	memmove(subject, p, strlen(p) + 1);
}

/* Adds the ids of one header's value in the given order, or newest first,
 * leaving out those already present. */
static int
email_header_add_references(struct hub_message *message, const char *value,
    bool newest_first)
{
	GMimeReferences *references;
	int count, rc = 0;

	if (value == NULL)
		return 0;
	references = g_mime_references_parse(NULL, value);
	if (references == NULL)
		return 0;
	count = g_mime_references_length(references);
	for (int i = 0; i < count && rc == 0; i++) {
		const char *id = g_mime_references_get_message_id(references,
		    newest_first ? count - 1 - i : i);
		bool present = message->reference != NULL &&
		    strcmp(message->reference, id) == 0;

		for (int j = 0; j < message->reference_count; j++)
			if (strcmp(message->references[j], id) == 0)
				present = true;
		if (!present && g_utf8_validate(id, -1, NULL))
			rc = hub_message_add_reference(message, id);
	}
	g_mime_references_free(references);
	return rc;
}

static int
email_header_subject(struct email_parse_state *state, GMimeMessage *mime)
{
	const char *raw = email_header_raw(GMIME_OBJECT(mime), "Subject");
	char *subject;
	int rc = 0;

	if (raw == NULL)
		return 0;
	subject = email_header_decode(raw);
	email_subject_strip(subject);
	if (*subject != '\0')
		rc = hub_message_set(&state->message->subject, subject);
	g_free(subject);
	return rc;
}

int
email_header_fill(struct email_parse_state *state, GMimeMessage *mime,
    const char *envelope_sender, char **sender)
{
	InternetAddressMailbox *mailbox;
	struct hub_message *message = state->message;
	char *name;
	int rc;

	mailbox = email_address_first(g_mime_message_get_from(mime), 0);
	*sender = email_address_normalize(mailbox != NULL ?
	    internet_address_mailbox_get_addr(mailbox) : NULL);
	if (*sender == NULL && envelope_sender != NULL)
		*sender = email_address_normalize(envelope_sender);
	if (*sender == NULL)
		return 1;
	if (hub_message_add_contact(message, CONTACT_EMAIL, *sender, true) != 0)
		return -1;

	name = email_header_name(mime, mailbox);
	rc = hub_message_set(&message->name, name);
	g_free(name);
	if (rc == 0)
		rc = email_header_subject(state, mime);
	if (rc == 0)
		rc = email_header_add_references(message,
		    g_mime_object_get_header(GMIME_OBJECT(mime), "In-Reply-To"),
		    false);
	if (rc == 0)
		rc = email_header_add_references(message,
		    g_mime_object_get_header(GMIME_OBJECT(mime), "References"),
		    true);
	return rc;
}
