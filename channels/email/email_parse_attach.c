/*
 * Attachments of a mail: decoded, bounded in size and count, stored as
 * blobs, and given a display name that is safe to show and to offer as a
 * download name.
 */
#include <stdio.h>
#include <string.h>

#include "message.h"

#include "email_parse_internal.h"

/* Maximum bytes of the extension kept when a long name is cut, dot
 * included. */
#define EMAIL_EXTENSION_MAX 16

struct email_extension {
	const char *content_type;
	const char *extension;
};

static const struct email_extension email_extensions[] = {
	{ "image/jpeg", ".jpg" }, { "image/png", ".png" },
	{ "image/gif", ".gif" }, { "image/webp", ".webp" },
	{ "image/heic", ".heic" }, { "image/tiff", ".tif" },
	{ "application/pdf", ".pdf" }, { "text/plain", ".txt" },
	{ "text/html", ".html" }, { "text/calendar", ".ics" },
	{ "application/zip", ".zip" }, { "audio/mpeg", ".mp3" },
	{ "video/mp4", ".mp4" }, { "application/msword", ".doc" },
	{ "application/vnd.openxmlformats-officedocument."
	    "wordprocessingml.document", ".docx" },
	{ "application/vnd.ms-excel", ".xls" },
	{ "application/vnd.openxmlformats-officedocument."
	    "spreadsheetml.sheet", ".xlsx" },
	{ "message/rfc822", ".eml" },
};

/* ".jpg" for image/jpeg; the subtype for other short alphanumeric ones;
 * ".bin" otherwise. */
static char *
email_extension_of(const char *content_type)
{
	const char *subtype = strchr(content_type, '/');
	size_t length;

	for (size_t i = 0; i < G_N_ELEMENTS(email_extensions); i++)
		if (strcmp(content_type, email_extensions[i].content_type) == 0)
			return g_strdup(email_extensions[i].extension);
	if (subtype == NULL)
		return g_strdup(".bin");
	subtype++;
	length = strlen(subtype);
	if (length == 0 || length > 8)
		return g_strdup(".bin");
	for (size_t i = 0; i < length; i++)
		if (!g_ascii_isalnum(subtype[i]))
			return g_strdup(".bin");
	return g_strconcat(".", subtype, NULL);
}

/* Whether the code point must not appear in a file name: controls, and the
 * bidirectional overrides that can make "gpj.exe" read as "exe.jpg". */
static bool
email_char_is_unsafe(gunichar c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) ||
	    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	    c == 0x200e || c == 0x200f || c == 0xfeff;
}

/* Cuts name to EMAIL_FILENAME_MAX bytes on a character boundary, keeping a
 * short extension at the end. */
static void
email_filename_shorten(GString *name)
{
	const char *dot = strrchr(name->str, '.');
	size_t extension = dot != NULL ? strlen(dot) : 0, stem;
	char *kept;

	if (name->len <= EMAIL_FILENAME_MAX)
		return;
	if (extension > EMAIL_EXTENSION_MAX || extension == name->len)
		extension = 0;
	stem = email_text_cut(name->str, name->len - extension,
	    EMAIL_FILENAME_MAX - extension);
	kept = g_strdup(name->str + name->len - extension);
	g_string_truncate(name, stem);
	g_string_append(name, kept);
	g_free(kept);
}

char *
email_filename_safe(const char *name, const char *content_type)
{
	char *valid = g_utf8_make_valid(name != NULL ? name : "", -1);
	const char *base = valid, *p;
	GString *safe = g_string_new(NULL);
	char *extension;

	for (p = valid; *p != '\0'; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	for (p = base; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (email_char_is_unsafe(c))
			continue;
		if (safe->len == 0 && (c == '.' || c == ' ' || c == '\t'))
			continue;
		g_string_append_unichar(safe, c);
	}
	g_free(valid);
	while (safe->len > 0 && safe->str[safe->len - 1] == ' ')
		g_string_truncate(safe, safe->len - 1);
	if (safe->len == 0) {
		extension = email_extension_of(content_type);
		g_string_assign(safe, "attachment");
		g_string_append(safe, extension);
		g_free(extension);
	}
	email_filename_shorten(safe);
	return g_string_free(safe, FALSE);
}

/* Lists a left-out attachment in state->left_out. */
static void
email_attachment_leave_out(struct email_parse_state *state,
    const char *filename, size_t size, const char *why)
{
	state->left_out_count++;
	if (state->left_out_count > EMAIL_LEFT_OUT_NAMED_MAX)
		return;
	if (state->left_out->len > 0)
		g_string_append(state->left_out, ", ");
	g_string_append_printf(state->left_out, "\"%s\" (%zu bytes, %s)",
	    filename, size, why);
}

static void
email_sha256_hex(const void *data, size_t size, char sha256[65])
{
	GChecksum *checksum = g_checksum_new(G_CHECKSUM_SHA256);

	g_checksum_update(checksum, data, (gssize)size);
	g_strlcpy(sha256, g_checksum_get_string(checksum), 65);
	g_checksum_free(checksum);
}

/* Stores the content and adds it to the message. Without a store the
 * metadata is kept with the content's hash. */
static int
email_attachment_keep(struct email_parse_state *state, GByteArray *bytes,
    const char *filename, const char *content_type)
{
	const struct email_parse_options *options = state->options;
	char sha256[65];

	if (options->store_blob != NULL) {
		if (options->store_blob(bytes->data, bytes->len, sha256,
		    options->store_blob_arg) != 0)
			return -1;
	} else {
		email_sha256_hex(bytes->data, bytes->len, sha256);
	}
	return hub_message_add_attachment(state->message, sha256, filename,
	    content_type, (int64_t)bytes->len);
}

int
email_attachment_add(struct email_parse_state *state, GMimePart *part)
{
	const struct email_parse_options *options = state->options;
	char *mime_type, *content_type, *filename;
	int max = options->max_attachments, rc = 0;
	GByteArray *bytes;

	if (max < 0 || max > HUB_MESSAGE_ATTACHMENTS_MAX)
		max = HUB_MESSAGE_ATTACHMENTS_MAX;
	mime_type = g_mime_content_type_get_mime_type(
	    g_mime_object_get_content_type(GMIME_OBJECT(part)));
	content_type = g_ascii_strdown(mime_type, -1);
	g_free(mime_type);
	filename = email_filename_safe(g_mime_part_get_filename(part),
	    content_type);
	bytes = email_part_content(part);
	if (bytes == NULL)
		email_attachment_leave_out(state, filename, 0, "undecodable");
	else if (options->max_attachment_bytes > 0 &&
	    bytes->len > options->max_attachment_bytes)
		email_attachment_leave_out(state, filename, bytes->len,
		    "over max_attachment_bytes");
	else if (state->message->attachment_count >= max)
		email_attachment_leave_out(state, filename, bytes->len,
		    "beyond max_attachments");
	else
		rc = email_attachment_keep(state, bytes, filename,
		    content_type);
	if (bytes != NULL)
		g_byte_array_unref(bytes);
	g_free(filename);
	g_free(content_type);
	if (rc != 0)
		state->failed = -1;
	return rc;
}
