/*
 * The hub's SIP message class: sofia-sip's parsers of the request line,
 * CSeq and Via wrapped, and a step at the end of the header block.
 *
 * Every wrapper first runs sofia-sip's own parser and changes nothing when
 * it succeeds. sofia-sip's parsers write into the text they parse, so a
 * wrapper that may retry copies the text first.
 *
 * The message parser calls the header parsers with the message's home,
 * which is the message itself (msg_home). Here the home only serves as a
 * key that ties a failed Via to the end of the same message's header
 * block. Nothing is read through it.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_parser.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/su_string.h>

#include "sip_parser.h"

/* Replaces a method that sofia-sip's method parser rejects, so that its
 * parser still reads the rest of the request line or CSeq. */
#define SIP_PARSER_PLACEHOLDER "X"

/* Messages with a failed Via remembered at once. Several TCP connections
 * can each be in the middle of a message. */
#define SIP_PARSER_SAVED 4

static struct msg_hclass_s sip_parser_request_class;
static struct msg_hclass_s sip_parser_status_class;
static struct msg_hclass_s sip_parser_cseq_class;
static struct msg_hclass_s sip_parser_via_class;
static pthread_once_t sip_parser_classes_once = PTHREAD_ONCE_INIT;

/* --- Saved Vias ---------------------------------------------------------- */

/* The first Via header line of a message that failed to parse: its cleaned
 * text, or "" when it could not be cleaned. */
struct sip_parser_saved {
	const void *home;		/* the message, as a key only */
	char text[SIP_PARSER_VIA_MAX];
};

/* Each thread parses its own messages. */
static _Thread_local struct sip_parser_saved
    sip_parser_saved[SIP_PARSER_SAVED];
static _Thread_local unsigned int sip_parser_saved_next;

static struct sip_parser_saved *
sip_parser_saved_find(const void *home)
{
	if (home == NULL)
		return NULL;
	for (size_t i = 0; i < SIP_PARSER_SAVED; i++)
		if (sip_parser_saved[i].home == home)
			return &sip_parser_saved[i];
	return NULL;
}

/* Drops the entry of home, because a new message starts there. */
static void
sip_parser_saved_drop(const void *home)
{
	struct sip_parser_saved *saved = sip_parser_saved_find(home);

	if (saved != NULL)
		saved->home = NULL;
}

/* Saves text (or "") for home unless an earlier Via header line of the
 * same message was saved, because the first line contains the top Via. */
static void
sip_parser_saved_add(const void *home, const char *text)
{
	struct sip_parser_saved *saved;

	if (home == NULL || sip_parser_saved_find(home) != NULL)
		return;
	saved = &sip_parser_saved[sip_parser_saved_next];
	sip_parser_saved_next = (sip_parser_saved_next + 1) % SIP_PARSER_SAVED;
	saved->home = home;
	snprintf(saved->text, sizeof saved->text, "%s", text);
}

/* Copies the entry of home into text and drops it. Returns false when
 * there is none or it is "". */
static bool
sip_parser_saved_take(const void *home, char *text, size_t size)
{
	struct sip_parser_saved *saved = sip_parser_saved_find(home);

	if (saved == NULL)
		return false;
	saved->home = NULL;
	snprintf(text, size, "%s", saved->text);
	return text[0] != '\0';
}

/* --- Shared pieces ------------------------------------------------------- */

/* RFC 3261 token characters. */
static bool
sip_parser_is_token(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("-.!%*_+`'~", c) != NULL);
}

static size_t
sip_parser_token_length(const char *s)
{
	size_t length = 0;

	while (sip_parser_is_token((unsigned char)s[length]))
		length++;
	return length;
}

static bool
sip_parser_is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Clears a header's fields after a failed parse, for a second one. */
static void
sip_parser_header_reset(msg_header_t *h, msg_hclass_t *hc)
{
	memset((char *)h + sizeof(msg_common_t), 0,
	    hc->hc_size - sizeof(msg_common_t));
}

/* Sets a parsed method from its text. */
static void
sip_parser_method_set(char const *name, sip_method_t *method,
    char const **method_name)
{
	*method = sip_method_code(name);
	if (*method == sip_method_unknown || *method == sip_method_invalid) {
		*method = sip_method_unknown;
		*method_name = name;
	} else {
		*method_name = sip_method_name(*method, name);
	}
}

/* --- Request line -------------------------------------------------------- */

/* A request line that sofia-sip rejected, split as METHOD SP URI SP
 * VERSION. The URI may contain spaces and tabs. */
struct sip_parser_line {
	char *method;
	char *uri;		/* with its spaces and tabs left out */
	bool uri_spaced;
	char *version;
};

/* Removes spaces and tabs from uri in place. Returns true if it had any. */
static bool
sip_parser_squeeze(char *uri)
{
	char *out = uri;
	bool squeezed = false;

	for (char *in = uri; *in != '\0'; in++) {
		if (*in == ' ' || *in == '\t')
			squeezed = true;
		else
			*out++ = *in;
	}
	*out = '\0';
	return squeezed;
}

/* Splits line in place. Returns -1 when it is not of that form. */
static int
sip_parser_line_split(char *line, struct sip_parser_line *parts)
{
	size_t method_length = sip_parser_token_length(line);
	char *uri, *end;

	if (method_length == 0 || line[method_length] != ' ')
		return -1;
	line[method_length] = '\0';
	uri = line + method_length + 1;
	while (*uri == ' ')
		uri++;
	end = uri + strlen(uri);
	while (end > uri && end[-1] == ' ')
		end--;
	*end = '\0';
	if ((parts->version = strrchr(uri, ' ')) == NULL)
		return -1;
	/* Spaces before the version separate it, as sofia-sip allows. */
	for (end = parts->version; end > uri && end[-1] == ' '; end--)
		;
	*end = '\0';
	parts->version++;
	parts->method = line;
	parts->uri = uri;
	parts->uri_spaced = sip_parser_squeeze(uri);
	return *parts->uri != '\0' && *parts->version != '\0' ? 0 : -1;
}

/* Parses a request line that sofia-sip rejected, with a placeholder for
 * the method and the URI without its spaces. A URI that had spaces is
 * marked invalid, which fails nta's sanity check, so nta sends 400. */
static issize_t
sip_parser_request_retry(su_home_t *home, msg_header_t *h, char *line)
{
	struct sip_parser_line parts;
	sip_request_t *request = (sip_request_t *)h;
	char *retry;

	if (sip_parser_line_split(line, &parts) != 0)
		return -1;
	retry = su_sprintf(home, SIP_PARSER_PLACEHOLDER " %s %s", parts.uri,
	    parts.version);
	if (retry == NULL)
		return -1;
	sip_parser_header_reset(h, sip_request_class);
	if (sip_request_class->hc_parse(home, h, retry, strlen(retry)) < 0)
		return -1;
	sip_parser_method_set(parts.method, &request->rq_method,
	    &request->rq_method_name);
	if (parts.uri_spaced)
		request->rq_url->url_type = url_invalid;
	return 0;
}

static issize_t
sip_parser_request_parse(su_home_t *home, msg_header_t *h, char *s,
    isize_t slen)
{
	char *copy = su_strndup(home, s, slen);
	issize_t result;

	sip_parser_saved_drop(home);
	result = sip_request_class->hc_parse(home, h, s, slen);
	if (result < 0 && copy != NULL)
		result = sip_parser_request_retry(home, h, copy);
	else
		su_free(home, copy);
	return result;
}

static issize_t
sip_parser_status_parse(su_home_t *home, msg_header_t *h, char *s,
    isize_t slen)
{
	sip_parser_saved_drop(home);
	return sip_status_class->hc_parse(home, h, s, slen);
}

/* --- CSeq ---------------------------------------------------------------- */

/* Parses a CSeq that sofia-sip rejected, as NUMBER LWS METHOD, with a
 * placeholder for the method, so that sofia-sip still checks the number. */
static issize_t
sip_parser_cseq_retry(su_home_t *home, msg_header_t *h, char *value)
{
	sip_cseq_t *cseq = (sip_cseq_t *)h;
	size_t digits = strspn(value, "0123456789");
	char *method = value + digits, *end, *retry;

	while (sip_parser_is_lws(*method))
		method++;
	if (digits == 0 || method == value + digits)
		return -1;
	end = method + sip_parser_token_length(method);
	if (end == method || end[strspn(end, " \t\r\n")] != '\0')
		return -1;
	*end = '\0';
	retry = su_sprintf(home, "%.*s " SIP_PARSER_PLACEHOLDER, (int)digits,
	    value);
	if (retry == NULL)
		return -1;
	sip_parser_header_reset(h, sip_cseq_class);
	if (sip_cseq_class->hc_parse(home, h, retry, strlen(retry)) < 0)
		return -1;
	sip_parser_method_set(method, &cseq->cs_method, &cseq->cs_method_name);
	return 0;
}

static issize_t
sip_parser_cseq_parse(su_home_t *home, msg_header_t *h, char *s, isize_t slen)
{
	char *copy = su_strndup(home, s, slen);
	issize_t result = sip_cseq_class->hc_parse(home, h, s, slen);

	/* On success of the retry, the method name points into the copy. */
	if (result < 0 && copy != NULL)
		result = sip_parser_cseq_retry(home, h, copy);
	else
		su_free(home, copy);
	return result;
}

/* --- Via ----------------------------------------------------------------- */

/* Output of sip_parser_via_clean. */
struct sip_parser_text {
	char *data;
	size_t size;
	size_t used;
	bool overflow;
};

static void
sip_parser_text_add(struct sip_parser_text *text, const char *s, size_t n)
{
	if (text->overflow || text->used + n >= text->size) {
		text->overflow = true;
		return;
	}
	memcpy(text->data + text->used, s, n);
	text->used += n;
	text->data[text->used] = '\0';
}

/* The end of the parameter or value at s: the next ';' or ',' outside a
 * quoted string, or the end of the text. */
static const char *
sip_parser_segment_end(const char *s)
{
	bool quoted = false;

	for (; *s != '\0'; s++) {
		if (quoted && *s == '\\' && s[1] != '\0')
			s++;
		else if (*s == '"')
			quoted = !quoted;
		else if (!quoted && (*s == ';' || *s == ','))
			break;
	}
	return s;
}

/* Copies one Via value from *s to text without its empty parameters, and
 * moves *s to the comma or end after it. Returns 1 when something was left
 * out, 0 when not, -1 for a parameter with no sent-by before it. */
static int
sip_parser_via_value(const char **s, struct sip_parser_text *text)
{
	bool first = true, sent_by = false;
	int dropped = 0;

	for (;;) {
		const char *start = *s, *end = sip_parser_segment_end(*s);
		const char *stop = end;

		while (start < stop && sip_parser_is_lws(*start))
			start++;
		while (stop > start && sip_parser_is_lws(stop[-1]))
			stop--;
		if (first && stop > start) {
			if (text->used > 0)
				sip_parser_text_add(text, ", ", 2);
			sent_by = true;
		} else if (stop == start) {
			dropped = 1;
		} else if (!sent_by) {
			return -1;
		} else {
			sip_parser_text_add(text, ";", 1);
		}
		if (stop > start)
			sip_parser_text_add(text, start, (size_t)(stop - start));
		first = false;
		*s = end;
		if (*end != ';')
			break;
		(*s)++;
	}
	return sent_by ? dropped : 1;
}

/* Copies the Via values of via to out without empty parameters and empty
 * values. Returns 1 when something was left out and the rest fits, 0 when
 * nothing was, -1 when the rest is empty, does not fit or has a parameter
 * without a sent-by. */
static int
sip_parser_via_clean(const char *via, char *out, size_t size)
{
	struct sip_parser_text text = { out, size, 0, false };
	int dropped = 0;

	out[0] = '\0';
	for (;;) {
		int value = sip_parser_via_value(&via, &text);

		if (value < 0)
			return -1;
		dropped |= value;
		if (*via == '\0')
			break;
		via++;
	}
	if (text.overflow || text.used == 0)
		return -1;
	return dropped;
}

static _Thread_local int sip_parser_via_depth;

/* sofia-sip's Via parser calls the class's parser again for every further
 * value of the line, so only the outer call saves the line. */
static issize_t
sip_parser_via_parse(su_home_t *home, msg_header_t *h, char *s, isize_t slen)
{
	char cleaned[SIP_PARSER_VIA_MAX];
	char *copy;
	issize_t result;

	if (sip_parser_via_depth > 0)
		return sip_via_class->hc_parse(home, h, s, slen);
	copy = su_strndup(home, s, slen);
	sip_parser_via_depth++;
	result = sip_via_class->hc_parse(home, h, s, slen);
	sip_parser_via_depth--;
	if (result < 0 && copy != NULL)
		sip_parser_saved_add(home, sip_parser_via_clean(copy, cleaned,
		    sizeof cleaned) == 1 ? cleaned : "");
	su_free(home, copy);
	return result;
}

/* Puts back the cleaned top Via of a request whose every Via failed, and
 * marks the request as failed, so that nta sends 400 to that Via with the
 * received parameter. */
static void
sip_parser_via_restore(msg_t *msg, sip_t *sip)
{
	char text[SIP_PARSER_VIA_MAX];
	sip_via_t *via;

	if (!sip_parser_saved_take(msg_home(msg), text, sizeof text) ||
	    sip->sip_via != NULL)
		return;
	via = sip_via_make(msg_home(msg), text);
	if (via == NULL || msg_header_insert(msg, (msg_pub_t *)sip,
	    (msg_header_t *)via) < 0)
		return;
	msg_set_flags(msg, MSG_FLG_ERROR);
}

/* --- End of the header block --------------------------------------------- */

/* The numeric text of address, IPv6 in brackets as sofia-sip writes it. */
static int
sip_parser_address_text(const su_sockaddr_t *address, char *text,
    size_t size)
{
	char host[INET6_ADDRSTRLEN];

	if (address->su_family == AF_INET)
		return inet_ntop(AF_INET, &address->su_sin.sin_addr, text,
		    (socklen_t)size) != NULL ? 0 : -1;
	if (address->su_family != AF_INET6 || inet_ntop(AF_INET6,
	    &address->su_sin6.sin6_addr, host, sizeof host) == NULL)
		return -1;
	return (size_t)snprintf(text, size, "[%s]", host) < size ? 0 : -1;
}

/* Adds received and rport to the top Via of a request whose SIP version
 * is not 2.0, as nta does for other requests, so that its 505 goes back to
 * the sender. */
static void
sip_parser_version_mark(msg_t *msg, sip_t *sip)
{
	su_home_t *home = msg_home(msg);
	sip_via_t *via = sip->sip_via;
	su_sockaddr_t *from = msg_addr(msg);
	char host[INET6_ADDRSTRLEN + 2];
	char *param;

	if (via == NULL || from == NULL ||
	    su_casematch(sip->sip_request->rq_version, sip_version_2_0) ||
	    sip_parser_address_text(from, host, sizeof host) != 0)
		return;
	/* The Via keeps pointers to the parameters, so they live in home. */
	if (!su_casematch(host, via->v_host) && (param = su_sprintf(home,
	    "received=%s", host)) != NULL)
		msg_header_replace_param(home, via->v_common, param);
	if (via->v_rport != NULL && (param = su_sprintf(home, "rport=%u",
	    (unsigned int)ntohs(from->su_port))) != NULL)
		msg_header_replace_param(home, via->v_common, param);
	msg_fragment_clear(via->v_common);
}

/* Runs when the header block is complete, maybe more than once for one
 * message when its body comes in pieces. */
static issize_t
sip_parser_extract_body(msg_t *msg, msg_pub_t *pub, char b[], isize_t bsiz,
    int eos)
{
	sip_t *sip = (sip_t *)pub;

	if (sip->sip_request != NULL) {
		sip_parser_via_restore(msg, sip);
		sip_parser_version_mark(msg, sip);
	}
	return sip_extract_body(msg, sip, b, bsiz, eos);
}

/* --- The message class --------------------------------------------------- */

static void
sip_parser_classes_init(void)
{
	sip_parser_request_class = *sip_request_class;
	sip_parser_request_class.hc_parse = sip_parser_request_parse;
	sip_parser_status_class = *sip_status_class;
	sip_parser_status_class.hc_parse = sip_parser_status_parse;
	sip_parser_cseq_class = *sip_cseq_class;
	sip_parser_cseq_class.hc_parse = sip_parser_cseq_parse;
	sip_parser_via_class = *sip_via_class;
	sip_parser_via_class.hc_parse = sip_parser_via_parse;
}

/* Puts wrapper in the place of original in mclass and inserts original
 * again behind it. The lookup by name takes the first match, so parsing
 * uses the wrapper. The lookup by class compares pointers, so headers made
 * with sofia-sip's class still find their place in a message. */
static int
sip_parser_replace(msg_mclass_t *mclass, msg_hclass_t *original,
    msg_hclass_t *wrapper)
{
	msg_href_t reference = { NULL, 0, 0 };

	for (int i = 0; i < mclass->mc_hash_size; i++) {
		if (mclass->mc_hash[i].hr_class == original) {
			reference = mclass->mc_hash[i];
			mclass->mc_hash[i].hr_class = wrapper;
			break;
		}
	}
	if (reference.hr_class == NULL ||
	    msg_mclass_insert(mclass, &reference) < 0)
		return -1;
	/* The insertion set the compact form back to the original. */
	if (mclass->mc_short != NULL && original->hc_short[0] >= 'a' &&
	    original->hc_short[0] <= 'z')
		((msg_href_t *)mclass->mc_short)[original->hc_short[0] - 'a']
		    .hr_class = wrapper;
	return 0;
}

msg_mclass_t *
sip_parser_mclass_new(void)
{
	msg_mclass_t const *base = sip_default_mclass();
	msg_mclass_t *mclass;

	pthread_once(&sip_parser_classes_once, sip_parser_classes_init);
	/* Twice the table, for the two classes kept beside their wrappers. */
	mclass = msg_mclass_clone(base, base->mc_hash_size * 2, 0);
	if (mclass == NULL)
		return NULL;
	mclass->mc_request->hr_class = &sip_parser_request_class;
	mclass->mc_status->hr_class = &sip_parser_status_class;
	mclass->mc_extract_body = sip_parser_extract_body;
	if (sip_parser_replace(mclass, sip_cseq_class,
	    &sip_parser_cseq_class) != 0 ||
	    sip_parser_replace(mclass, sip_via_class,
	    &sip_parser_via_class) != 0) {
		free(mclass);
		return NULL;
	}
	return mclass;
}

void
sip_parser_mclass_free(msg_mclass_t *mclass)
{
	free(mclass);
}
