/*
 * Shared parts of the mail parser (email_parse*.c): the state of one parse
 * and the helpers its files call on each other. Everything here is local to
 * one call of email_parse, so parses on several worker threads share
 * nothing but GMime's and libxml2's own initialised tables.
 */
#ifndef HUB_EMAIL_PARSE_INTERNAL_H
#define HUB_EMAIL_PARSE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <gmime/gmime.h>

#include "email.h"

/* Nesting of multiparts and forwarded messages followed; deeper parts are
 * left out. */
#define EMAIL_MIME_DEPTH_MAX 16
/* Maximum bytes of an attachment's display name. */
#define EMAIL_FILENAME_MAX 120
/* Left-out attachments named one by one in the reason; further ones are
 * counted. */
#define EMAIL_LEFT_OUT_NAMED_MAX 8

struct email_parse_state {
	const struct email_parse_options *options;
	struct email_parsed *parsed;
	struct hub_message *message;
	GString *body;
	bool body_full;		/* max_text_bytes reached */
	GString *left_out;	/* attachments left out, for the reason */
	int left_out_count;
	bool deep_noted;	/* the reason names parts nested too deep */
	bool encrypted_noted;	/* the reason names an encrypted part */
	int failed;		/* -1 once out of memory or a blob store
				 * failed */
};

/* email_parse_charset.c */

/* Converts size bytes in charset (NULL when unlabelled) to UTF-8. Valid
 * UTF-8 is taken as UTF-8 when the label is missing, us-ascii or fails to
 * convert. Other text goes through windows-1258, windows-1252 and
 * iso-8859-1 in turn. Returns valid UTF-8 without NUL bytes (g_free). */
char *email_charset_to_utf8(const char *data, size_t size,
    const char *charset);

/* Removes control characters from UTF-8 text in place. Line ends become
 * "\n" when keep_lines is true and spaces otherwise; tabs are kept in
 * body text and become spaces in header text. */
void email_text_clean(char *text, bool keep_lines);

/* Collapses runs of white space to one space and trims both ends, in
 * place. */
void email_text_squeeze(char *text);

/* The length of text cut to at most max bytes on a character boundary. */
size_t email_text_cut(const char *text, size_t length, size_t max);

/* email_parse_header.c */

/* Decodes an unfolded or folded raw header value with RFC 2047 encoded
 * words into clean single-line UTF-8 (g_free). Adjacent encoded words of
 * one charset are decoded together, so a character split between them
 * comes out whole. */
char *email_header_decode(const char *raw);

/* The raw value of a header of object, or NULL. */
const char *email_header_raw(GMimeObject *object, const char *name);

/* Fills the sender, name, subject, reference and references of the
 * message. Returns 0, 1 when no sender address was found, -1 on
 * allocation failure. sender receives the address (g_free). */
int email_header_fill(struct email_parse_state *state, GMimeMessage *mime,
    const char *envelope_sender, char **sender);

/* Subject without reply and forward prefixes, in place. */
void email_subject_strip(char *subject);

/* email_parse_body.c */

/* Fills the body text, the attachments and the language from the MIME
 * tree. Returns 0 or -1 (state->failed). */
int email_body_fill(struct email_parse_state *state, GMimeMessage *mime);

/* The decoded content of a leaf part (g_byte_array_unref), or NULL. */
GByteArray *email_part_content(GMimePart *part);

/* email_parse_attach.c */

/* Stores a part as an attachment, or lists it as left out. Returns 0, or
 * -1 when out of memory or when the blob store failed. */
int email_attachment_add(struct email_parse_state *state, GMimePart *part);

/* A safe display name for a file (g_free): valid UTF-8, no path, no
 * control characters, no leading dots, at most EMAIL_FILENAME_MAX bytes,
 * "attachment" with an extension of content_type when nothing remains. */
char *email_filename_safe(const char *name, const char *content_type);

/* email_parse_fit.c */

/* Cuts the name, subject and body of state's message to the hub's limits
 * and fills in an empty body. Returns 0, or -1 when out of memory. */
int email_parse_fit(struct email_parse_state *state);

/* email_parse_classify.c */

/* Sets parsed->kind and reason: a bounce (with its bounced ids and
 * detail), an automatic message, or a citizen's. Returns 0 or -1. */
int email_classify(struct email_parse_state *state, GMimeMessage *mime,
    const char *envelope_sender, const char *sender);

/* Appends text to parsed->reason after a "; ". Returns 0 or -1. */
int email_reason_append(struct email_parsed *parsed, const char *text);

#endif
