/*
 * The email channel's parser: every mail of tests/cases/email as its
 * README describes it, and the edge cases of headers, charsets, MIME
 * structure, attachments, HTML, classification and limits.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <uninorm.h>

#include "check_suites.h"
#include "email.h"
#include "email_parse_internal.h"
#include "message.h"
#include "pipeline_stages.h"
#include "text.h"

#define CHECK_EMAIL_CASES TEST_CASES_DIR "/email"

/* A blob store that hashes and counts what it is given. */
struct check_email_store {
	int calls;
	size_t bytes;
	bool fail;
};

static struct check_email_store check_email_store;

static int
check_email_store_blob(const void *data, size_t size, char sha256[65],
    void *arg)
{
	struct check_email_store *store = arg;
	unsigned char digest[crypto_hash_sha256_BYTES];

	if (store->fail)
		return -1;
	crypto_hash_sha256(digest, data, size);
	sodium_bin2hex(sha256, 65, digest, sizeof(digest));
	store->calls++;
	store->bytes += size;
	return 0;
}

static char *const check_email_own[] = { "tiepnhan@hub.example.org",
    "phananh@hub.example.org", NULL };

static struct email_parse_options
check_email_options(void)
{
	struct email_parse_options options = {
		.max_message_bytes = 4 * 1024 * 1024,
		.max_attachment_bytes = 1024 * 1024,
		.max_attachments = 10,
		.max_text_bytes = 64 * 1024,
		.html_max_bytes = 2 * 1024 * 1024,
		.html_max_depth = 64,
		.own_addresses = check_email_own,
		.store_blob = check_email_store_blob,
		.store_blob_arg = &check_email_store,
	};

	memset(&check_email_store, 0, sizeof(check_email_store));
	return options;
}

static char *
check_email_read(const char *name, size_t *size)
{
	char path[512];
	FILE *file;
	char *data;
	long length;

	snprintf(path, sizeof(path), "%s/%s", CHECK_EMAIL_CASES, name);
	file = fopen(path, "rb");
	ck_assert_msg(file != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(file, 0, SEEK_END), 0);
	length = ftell(file);
	ck_assert_int_ge(length, 0);
	rewind(file);
	data = malloc((size_t)length + 1);
	ck_assert_ptr_nonnull(data);
	ck_assert_uint_eq(fread(data, 1, (size_t)length, file),
	    (size_t)length);
	data[length] = '\0';
	fclose(file);
	*size = (size_t)length;
	return data;
}

/* Parses a case file with the envelope sender its README gives. */
static void
check_email_parse_case(const char *name, const char *envelope_sender,
    const struct email_parse_options *options, struct email_parsed *parsed)
{
	size_t size;
	char *raw = check_email_read(name, &size);

	ck_assert_int_eq(email_parse(raw, size, envelope_sender, options,
	    parsed), 0);
	free(raw);
}

static void
check_email_parse_text(const char *raw, const char *envelope_sender,
    const struct email_parse_options *options, struct email_parsed *parsed)
{
	ck_assert_int_eq(email_parse(raw, strlen(raw), envelope_sender, options,
	    parsed), 0);
}

/* text in NFC, as the hub's normalize stage stores it. Caller frees. */
static char *
check_email_nfc(const char *text)
{
	size_t length = 0;
	uint8_t *nfc;
	char *out;

	ck_assert_ptr_nonnull(text);
	nfc = u8_normalize(UNINORM_NFC, (const uint8_t *)text, strlen(text),
	    NULL, &length);
	ck_assert_ptr_nonnull(nfc);
	out = malloc(length + 1);
	ck_assert_ptr_nonnull(out);
	memcpy(out, nfc, length);
	out[length] = '\0';
	free(nfc);
	return out;
}

static void
check_email_nfc_eq(const char *text, const char *expected)
{
	char *nfc = check_email_nfc(text);

	ck_assert_str_eq(nfc, expected);
	free(nfc);
}

static void
check_email_nfc_starts(const char *text, const char *prefix)
{
	char *nfc = check_email_nfc(text);

	ck_assert_msg(strncmp(nfc, prefix, strlen(prefix)) == 0,
	    "\"%.80s\" does not start with \"%s\"", nfc, prefix);
	free(nfc);
}

static void
check_email_nfc_contains(const char *text, const char *part)
{
	char *nfc = check_email_nfc(text);

	ck_assert_msg(strstr(nfc, part) != NULL,
	    "\"%.200s\" does not contain \"%s\"", nfc, part);
	free(nfc);
}

static void
check_email_valid(const char *text)
{
	if (text != NULL)
		ck_assert_msg(text_valid_utf8(text, strlen(text)),
		    "invalid UTF-8: \"%.80s\"", text);
}

static void
check_email_citizen(const struct email_parsed *parsed, const char *sender)
{
	const struct hub_message *message = parsed->message;

	ck_assert_int_eq(parsed->kind, EMAIL_CITIZEN);
	ck_assert_ptr_nonnull(message);
	ck_assert_str_eq(message->channel, "email");
	ck_assert_int_eq(message->contact_count, 1);
	ck_assert_int_eq(message->contacts[0].kind, CONTACT_EMAIL);
	ck_assert_str_eq(message->contacts[0].value, sender);
	ck_assert(message->contacts[0].verified);
	ck_assert_int_eq(message->ack, HUB_ACK_QUEUE);
	ck_assert(!message->automatic);
	ck_assert_ptr_nonnull(message->external_id);
	ck_assert_uint_eq(strlen(message->external_id), 64);
}

/* --- The case files ------------------------------------------------------ */

START_TEST(case_subject_split_multibyte)
{
	struct email_parse_options options = check_email_options();
	struct email_parsed parsed;

	check_email_parse_case("01-subject-split-multibyte.eml",
	    "an.nguyen@example.com", &options, &parsed);
	check_email_citizen(&parsed, "an.nguyen@example.com");
	check_email_nfc_eq(parsed.message->subject,
	    "Phản ánh: đèn đường hỏng tại ấp Bình Đông");
	check_email_nfc_eq(parsed.message->name, "Nguyễn Văn An");
	ck_assert_str_eq(parsed.message->reference,
	    "case01.4711@mail.example.com");
	ck_assert_str_eq(parsed.message_id, "case01.4711@mail.example.com");
	check_email_nfc_starts(parsed.message->body, "Kính gửi Tổ tiếp nhận,");
	ck_assert_str_eq(parsed.message->language, "vi");
	email_parsed_clear(&parsed);
}
END_TEST

START_TEST(case_windows_1258_qp)
{
	struct email_parse_options options = check_email_options();
	struct email_parsed parsed;

	check_email_parse_case("02-windows-1258-qp.eml",
	    "bich.tran@example.com", &options, &parsed);
	check_email_citizen(&parsed, "bich.tran@example.com");
	check_email_nfc_eq(parsed.message->subject, "Nước sinh hoạt bị đục");
	check_email_nfc_eq(parsed.message->name, "Trần Thị Bích");
	check_email_nfc_starts(parsed.message->body, "Xin chào,\n");
	check_email_nfc_contains(parsed.message->body,
	    "có mùi lạ từ sáng thứ hai.");
	email_parsed_clear(&parsed);
}
END_TEST

START_TEST(case_nfd_body)
{
	struct email_parse_options options = check_email_options();
	struct email_parsed parsed;

	check_email_parse_case("03-nfd-body.eml", "minh.le@example.com",
	    &options, &parsed);
	check_email_citizen(&parsed, "minh.le@example.com");
	check_email_nfc_starts(parsed.message->body, "Đường Nguyễn Huệ");
	check_email_nfc_eq(parsed.message->subject, "Ngập nước");
	email_parsed_clear(&parsed);
}
END_TEST

START_TEST(case_auto_reply)
{
	struct email_parse_options options = check_email_options();
	struct email_parsed parsed;

	check_email_parse_case("04-auto-reply.eml", "thu.pham@example.com",
	    &options, &parsed);
	ck_assert_int_eq(parsed.kind, EMAIL_AUTOMATIC);
	ck_assert_ptr_nonnull(parsed.message);
	ck_assert(parsed.message->automatic);
	ck_assert_int_eq(parsed.message->ack, HUB_ACK_NONE);
	ck_assert_ptr_nonnull(strstr(parsed.reason, "Auto-Submitted"));
	ck_assert_str_eq(parsed.message_id, "case04@mail.example.com");
	ck_assert_int_eq(parsed.message->reference_count, 1);
	ck_assert_str_eq(parsed.message->references[0],
	    "not-from-this-hub@example.net");
	email_parsed_clear(&parsed);
}
END_TEST

START_TEST(case_dsn_bounce)
{
	struct email_parse_options options = check_email_options();
	struct email_parsed parsed;

	check_email_parse_case("05-dsn-bounce.eml", "", &options, &parsed);
	ck_assert_int_eq(parsed.kind, EMAIL_BOUNCE);
	ck_assert_ptr_null(parsed.message);
	ck_assert_int_eq(parsed.bounced_count, 1);
	ck_assert_str_eq(parsed.bounced_ids[0],
	    "reply-unknown-ticket@hub.example.org");
	ck_assert_ptr_nonnull(parsed.bounce_detail);
	ck_assert_ptr_nonnull(strstr(parsed.bounce_detail, "5.1.1"));
	ck_assert_ptr_nonnull(strstr(parsed.bounce_detail, "User unknown"));
	ck_assert_ptr_nonnull(strstr(parsed.bounce_detail,
	    "nobody@example.net"));
	ck_assert_ptr_nonnull(strstr(parsed.reason, "delivery-status"));
	ck_assert_str_eq(parsed.message_id, "case05@mx.example.net");
	email_parsed_clear(&parsed);
}
END_TEST

START_TEST(case_rfc2231_filenames)
{
	struct email_parse_options options = check_email_options();
	const struct hub_attachment *pdf;
	struct email_parsed parsed;

	check_email_parse_case("06-rfc2231-filenames.eml",
	    "hoang.vo@example.com", &options, &parsed);
	check_email_citizen(&parsed, "hoang.vo@example.com");
	ck_assert_int_eq(parsed.message->attachment_count, 2);
	ck_assert_int_eq(check_email_store.calls, 2);
	check_email_nfc_eq(parsed.message->attachments[0].filename,
	    "Ảnh hiện trường.jpg");
	ck_assert_str_eq(parsed.message->attachments[0].content_type,
	    "image/jpeg");
	ck_assert_int_eq(parsed.message->attachments[0].size, 22);
	ck_assert_uint_eq(strlen(parsed.message->attachments[0].sha256), 64);

	pdf = &parsed.message->attachments[1];
	ck_assert_str_eq(pdf->content_type, "application/pdf");
	ck_assert_int_eq(pdf->size, 15);
	check_email_valid(pdf->filename);
	ck_assert_ptr_null(strpbrk(pdf->filename, "/\\"));
	ck_assert_uint_gt(strlen(pdf->filename), 4);
	ck_assert_str_eq(pdf->filename + strlen(pdf->filename) - 4, ".pdf");
	ck_assert_int_eq(strncmp(pdf->filename, "bao", 3), 0);
	check_email_nfc_eq(parsed.message->body,
	    "Cây đổ chắn ngang đường, ảnh đính kèm.");
	email_parsed_clear(&parsed);
}
END_TEST

START_TEST(case_html_pathological)
{
	struct email_parse_options options = check_email_options();
	struct email_parsed parsed;
	clock_t start = clock();
	double seconds;

	check_email_parse_case("07-html-pathological.eml",
	    "robot.test@example.com", &options, &parsed);
	seconds = (double)(clock() - start) / CLOCKS_PER_SEC;
	ck_assert_msg(seconds < 1.0, "took %.3f s of CPU", seconds);
	check_email_citizen(&parsed, "robot.test@example.com");
	check_email_nfc_starts(parsed.message->body,
	    "Chợ đầu mối bị lấn chiếm lề đường.");
	ck_assert_ptr_nonnull(strstr(parsed.message->body, "link 2999"));
	ck_assert_ptr_null(strstr(parsed.message->body, "\n\n\n"));
	ck_assert_ptr_null(strstr(parsed.message->body, "  "));
	ck_assert_ptr_null(strchr(parsed.message->body, '<'));
	email_parsed_clear(&parsed);
}
END_TEST

START_TEST(case_from_without_address)
{
	struct email_parse_options options = check_email_options();
	struct email_parsed parsed;

	check_email_parse_case("08-from-without-address.eml",
	    "an.ho@example.com", &options, &parsed);
	check_email_citizen(&parsed, "an.ho@example.com");
	ck_assert_str_eq(parsed.message->name, "Ho Van An");
	ck_assert_str_eq(parsed.message->subject, "Hoi ve thu tuc");
	email_parsed_clear(&parsed);
}
END_TEST

START_TEST(case_long_date)
{
	struct email_parse_options options = check_email_options();
	struct email_parsed parsed;

	check_email_parse_case("09-long-date.eml", "lan.ngo@example.com",
	    &options, &parsed);
	check_email_citizen(&parsed, "lan.ngo@example.com");
	ck_assert_int_eq(parsed.message->received_at_ms, 0);
	ck_assert_str_eq(parsed.message->subject, "Rac thai");
	check_email_nfc_eq(parsed.message->body,
	    "Rác thải không được thu gom 3 ngày nay.");
	email_parsed_clear(&parsed);
}
END_TEST

START_TEST(case_mislabelled_charset)
{
	struct email_parse_options options = check_email_options();
	struct email_parsed parsed;

	check_email_parse_case("10-mislabelled-charset.eml",
	    "khoa.dang@example.com", &options, &parsed);
	check_email_citizen(&parsed, "khoa.dang@example.com");
	check_email_nfc_eq(parsed.message->body,
	    "Cống thoát nước bị tắc ở hẻm 45.");
	email_parsed_clear(&parsed);
}
END_TEST

/* The envelope sender an MTA would give for a case file: its Return-Path
 * ("" for <>), else NULL so that the parser takes From. Returns a static
 * buffer. */
static const char *
check_email_envelope(const char *name)
{
	static char envelope[256];
	size_t size;
	char *raw = check_email_read(name, &size);
	const char *field = strstr(raw, "Return-Path:");
	const char *open, *close;

	if (field == NULL || (field != raw && field[-1] != '\n')) {
		free(raw);
		return NULL;
	}
	open = strchr(field, '<');
	close = open != NULL ? strchr(open, '>') : NULL;
	ck_assert_ptr_nonnull(close);
	snprintf(envelope, sizeof(envelope), "%.*s", (int)(close - open - 1),
	    open + 1);
	free(raw);
	return envelope;
}

/* Every file of the directory, named in the tests above or not: parsed
 * without error into valid UTF-8. */
START_TEST(case_every_file_valid_utf8)
{
	struct email_parse_options options = check_email_options();
	DIR *dir = opendir(CHECK_EMAIL_CASES);
	struct dirent *entry;
	int count = 0;

	ck_assert_ptr_nonnull(dir);
	while ((entry = readdir(dir)) != NULL) {
		struct email_parsed parsed;
		size_t length = strlen(entry->d_name);

		if (length < 4 || strcmp(entry->d_name + length - 4,
		    ".eml") != 0)
			continue;
		check_email_parse_case(entry->d_name,
		    check_email_envelope(entry->d_name), &options, &parsed);
		ck_assert_msg(parsed.kind != EMAIL_REJECTED, "%s rejected: %s",
		    entry->d_name, parsed.reason);
		if (parsed.message != NULL) {
			check_email_valid(parsed.message->subject);
			check_email_valid(parsed.message->name);
			check_email_valid(parsed.message->body);
			for (int i = 0; i < parsed.message->attachment_count;
			    i++)
				check_email_valid(
				    parsed.message->attachments[i].filename);
		}
		check_email_valid(parsed.reason);
		check_email_valid(parsed.bounce_detail);
		email_parsed_clear(&parsed);
		count++;
	}
	closedir(dir);
	ck_assert_int_ge(count, 10);
}
END_TEST

/* --- Headers ------------------------------------------------------------- */

START_TEST(header_split_words_q_and_b)
{
	struct email_parse_options options = check_email_options();
	struct email_parsed parsed;

	/* "đường" with "đ" split between two Q words, and a name whose "ễ"
	 * is split between two B words. */
	check_email_parse_text(
	    "From: =?utf-8?B?Tmd1eeG7?=\r\n"
	    " =?utf-8?B?hW4gQW4=?= <An@Example.COM>\r\n"
	    "Subject: =?utf-8?Q?=C4?= =?utf-8?Q?=91=C6=B0=E1=BB=9Dng?= =?utf-8?Q?_h?=\r\n"
	    "  =?iso-8859-1?Q?=E9?= x\r\n"
	    "\r\n"
	    "body\r\n", NULL, &options, &parsed);
	check_email_citizen(&parsed, "An@example.com");
	check_email_nfc_eq(parsed.message->name, "Nguyễn An");
	check_email_nfc_eq(parsed.message->subject, "đường hé x");
	email_parsed_clear(&parsed);
}
END_TEST

START_TEST(header_subject_prefixes_stripped)
{
	static const struct {
		const char *subject;
		const char *expected;
	} cases[] = {
		{ "Re: RE: Fwd: FW: Fw: hello", "hello" },
		{ "TL: Trả lời: Chuyển tiếp: TR: hỏi", "hỏi" },
		{ "AW: WG: SV: VS: RV: Réf : x", "x" },
		{ "Re[2]: Re (3): [HCM-2025-0001] Hỏi lại", "[HCM-2025-0001] Hỏi lại" },
		{ "=?utf-8?Q?Tr=E1=BA=A3_l=E1=BB=9Di:_a?=", "a" },
		{ "Reply: not a prefix", "Reply: not a prefix" },
		{ "Re:", "" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct email_parse_options options = check_email_options();
		struct email_parsed parsed;
		char raw[512];

		snprintf(raw, sizeof(raw), "From: a@example.com\nSubject: %s\n"
		    "\nbody\n", cases[i].subject);
		check_email_parse_text(raw, NULL, &options, &parsed);
		if (*cases[i].expected == '\0')
			ck_assert_ptr_null(parsed.message->subject);
		else
			check_email_nfc_eq(parsed.message->subject,
			    cases[i].expected);
		email_parsed_clear(&parsed);
	}
}
END_TEST

START_TEST(header_references_in_order)
{
	struct email_parse_options options = check_email_options();
	struct email_parsed parsed;

	check_email_parse_text(
	    "From: a@example.com\n"
	    "Message-ID: <self@example.com>\n"
	    "In-Reply-To: <parent@hub.example.org>\n"
	    "References: <root@hub.example.org> <middle@example.com>\n"
	    " <parent@hub.example.org> <self@example.com>\n"
	    "\nbody\n", NULL, &options, &parsed);
	ck_assert_str_eq(parsed.message->reference, "self@example.com");
	ck_assert_int_eq(parsed.message->reference_count, 3);
	ck_assert_str_eq(parsed.message->references[0],
	    "parent@hub.example.org");
	ck_assert_str_eq(parsed.message->references[1], "middle@example.com");
	ck_assert_str_eq(parsed.message->references[2], "root@hub.example.org");
	email_parsed_clear(&parsed);
}
END_TEST

START_TEST(header_sender_from_envelope)
{
	struct email_parse_options options = check_email_options();
	struct email_parsed parsed;

	check_email_parse_text("From: =?utf-8?q?Ng=C6=B0=E1=BB=9Di_g=E1=BB=ADi?="
	    "\nSubject: x\n\nbody\n", "<Someone@Example.ORG>", &options,
	    &parsed);
	check_email_citizen(&parsed, "Someone@example.org");
	check_email_nfc_eq(parsed.message->name, "Người gửi");
	email_parsed_clear(&parsed);
}
END_TEST

START_TEST(header_return_path_as_envelope)
{
	struct email_parse_options options = check_email_options();
	struct email_parsed parsed;

	/* Mail fetched from a mailbox has no envelope, but the delivery agent
	 * wrote it into Return-Path. */
	check_email_parse_case("08-from-without-address.eml", NULL, &options,
	    &parsed);
	check_email_citizen(&parsed, "an.ho@example.com");
	email_parsed_clear(&parsed);

	check_email_parse_text("Return-Path: <>\nFrom: a@example.com\n"
	    "Subject: x\n\nbody\n", NULL, &options, &parsed);
	ck_assert_int_eq(parsed.kind, EMAIL_AUTOMATIC);
	ck_assert_str_eq(parsed.reason, "null envelope sender");
	email_parsed_clear(&parsed);
}
END_TEST

START_TEST(header_no_sender_rejected)
{
	struct email_parse_options options = check_email_options();
	struct email_parsed parsed;

	check_email_parse_text("From: Nobody\nSubject: x\n\nbody\n", NULL,
	    &options, &parsed);
	ck_assert_int_eq(parsed.kind, EMAIL_REJECTED);
	ck_assert_ptr_null(parsed.message);
	ck_assert_ptr_nonnull(strstr(parsed.reason, "sender"));
	email_parsed_clear(&parsed);

	check_email_parse_text("From: Nobody\nSubject: x\n\nbody\n", "",
	    &options, &parsed);
	ck_assert_int_eq(parsed.kind, EMAIL_REJECTED);
	email_parsed_clear(&parsed);
}
END_TEST

START_TEST(header_garbage_rejected)
{
	static const char *const inputs[] = {
		"", "hello world, no header here\n\nx", "\n\nbody only",
		" leading: space\n\nx", "\x01\x02\x03",
	};

	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct email_parse_options options = check_email_options();
		struct email_parsed parsed;

		check_email_parse_text(inputs[i], "a@example.com", &options,
		    &parsed);
		ck_assert_msg(parsed.kind == EMAIL_REJECTED,
		    "input %zu not rejected", i);
		ck_assert_ptr_nonnull(parsed.reason);
		email_parsed_clear(&parsed);
	}
}
END_TEST

/* --- Dedupe key ---------------------------------------------------------- */

static char *
check_email_key(const char *raw, const char *envelope_sender)
{
	struct email_parse_options options = check_email_options();
	struct email_parsed parsed;
	char *key;

	check_email_parse_text(raw, envelope_sender, &options, &parsed);
	ck_assert_ptr_nonnull(parsed.message);
	key = strdup(parsed.message->external_id);
	email_parsed_clear(&parsed);
	return key;
}

START_TEST(dedupe_key_ignores_delivery_headers)
{
	char *first = check_email_key(
	    "Delivered-To: a@hub.example.org\r\n"
	    "Received: from x by a\r\n"
	    "From: An <an@example.com>\r\nMessage-ID: <k1@example.com>\r\n"
	    "\r\nsame body\r\n", "an@example.com");
	char *second = check_email_key(
	    "Delivered-To: b@hub.example.org\n"
	    "Received: from y by b\n"
	    "Received: from x by a\n"
	    "From: An <an@EXAMPLE.com>\nMessage-ID: <k1@example.com>\n"
	    "\nsame body\n", NULL);
	char *forged = check_email_key(
	    "From: Other <other@example.com>\nMessage-ID: <k1@example.com>\n"
	    "\nsame body\n", NULL);
	char *edited = check_email_key(
	    "From: An <an@example.com>\nMessage-ID: <k1@example.com>\n"
	    "\nanother body\n", NULL);

	ck_assert_str_eq(first, second);
	ck_assert_str_ne(first, forged);
	ck_assert_str_ne(first, edited);
	for (const char *c = first; *c != '\0'; c++)
		ck_assert(strchr("0123456789abcdef", *c) != NULL);
	free(first);
	free(second);
	free(forged);
	free(edited);
}
END_TEST

START_TEST(dedupe_key_without_message_id)
{
	char *first = check_email_key("Received: a\nFrom: an@example.com\n"
	    "\nbody\n", NULL);
	char *again = check_email_key("Received: a\nFrom: an@example.com\n"
	    "\nbody\n", NULL);
	char *other = check_email_key("Received: b\nFrom: an@example.com\n"
	    "\nbody\n", NULL);

	ck_assert_str_eq(first, again);
	ck_assert_str_ne(first, other);
	free(first);
	free(again);
	free(other);
}
END_TEST

START_TEST(dedupe_key_ignores_trailing_blank)
{
	char *plain = check_email_key(
	    "From: an@example.com\r\nMessage-ID: <k2@example.com>\r\n"
	    "\r\nbody\r\n", NULL);
	char *extra_crlf = check_email_key(
	    "From: an@example.com\r\nMessage-ID: <k2@example.com>\r\n"
	    "\r\nbody\r\n\r\n", NULL);
	char *blanks = check_email_key(
	    "From: an@example.com\nMessage-ID: <k2@example.com>\n"
	    "\nbody \t\n\n \n", NULL);
	char *no_id = check_email_key("From: an@example.com\n\nbody\n", NULL);
	char *no_id_extra = check_email_key("From: an@example.com\n\nbody\n"
	    "\r\n", NULL);
	char *other = check_email_key(
	    "From: an@example.com\r\nMessage-ID: <k2@example.com>\r\n"
	    "\r\nbody.\r\n", NULL);

	ck_assert_str_eq(plain, extra_crlf);
	ck_assert_str_eq(plain, blanks);
	ck_assert_str_eq(no_id, no_id_extra);
	ck_assert_str_ne(plain, other);
	free(plain);
	free(extra_crlf);
	free(blanks);
	free(no_id);
	free(no_id_extra);
	free(other);
}
END_TEST

/* --- Body and charsets --------------------------------------------------- */

START_TEST(body_unlabelled_windows_1258)
{
	struct email_parse_options options = check_email_options();
	struct email_parsed parsed;

	/* "Nước" in windows-1258 bytes, labelled us-ascii: not UTF-8, so the
	 * fallback charsets decode it. */
	check_email_parse_text("From: a@example.com\n"
	    "Content-Type: text/plain; charset=us-ascii\n"
	    "Content-Transfer-Encoding: 8bit\n"
	    "\nN\xfd\xf5\xec" "c\n", NULL, &options, &parsed);
	check_email_valid(parsed.message->body);
	check_email_nfc_eq(parsed.message->body, "Nước");
	email_parsed_clear(&parsed);
}
END_TEST

START_TEST(body_invalid_label_and_bytes)
{
	struct email_parse_options options = check_email_options();
	struct email_parsed parsed;

	check_email_parse_text("From: a@example.com\n"
	    "Content-Type: text/plain; charset=x-no-such-charset\n"
	    "Content-Transfer-Encoding: 8bit\n"
	    "\nab\x81\xff\x01\x00" "cd\n", NULL, &options, &parsed);
	check_email_valid(parsed.message->body);
	ck_assert_int_eq(strncmp(parsed.message->body, "ab", 2), 0);
	email_parsed_clear(&parsed);
}
END_TEST

/* A mixed part holding an alternative (plain, and HTML with an inline
 * image), a PDF, and a forwarded message with its own attachment. */
START_TEST(body_nested_multiparts)
{
	struct email_parse_options options = check_email_options();
	struct email_parsed parsed;
	const struct hub_message *message;

	check_email_parse_text(
	    "From: a@example.com\n"
	    "Subject: nested\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=outer\n"
	    "\n--outer\n"
	    "Content-Type: multipart/alternative; boundary=alt\n"
	    "\n--alt\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "\nPlain version.\n"
	    "--alt\n"
	    "Content-Type: multipart/related; boundary=rel\n"
	    "\n--rel\n"
	    "Content-Type: text/html; charset=utf-8\n"
	    "\n<p>HTML version.</p>\n"
	    "--rel\n"
	    "Content-Type: image/png\n"
	    "Content-Disposition: inline\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\naW1n\n"
	    "--rel--\n"
	    "--alt--\n"
	    "--outer\n"
	    "Content-Type: application/pdf; name=\"report.pdf\"\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\nJVBERg==\n"
	    "--outer\n"
	    "Content-Type: message/rfc822\n"
	    "\nFrom: Inner <inner@example.com>\n"
	    "Date: Mon, 1 Dec 2025 10:00:00 +0700\n"
	    "Subject: =?utf-8?q?Th=C6=B0_c=C5=A9?=\n"
	    "Content-Type: multipart/mixed; boundary=in\n"
	    "\n--in\n"
	    "Content-Type: text/plain\n"
	    "\nInner text.\n"
	    "--in\n"
	    "Content-Type: text/csv; name=data.csv\n"
	    "Content-Disposition: attachment\n"
	    "\na,b\n"
	    "--in--\n"
	    "--outer--\n", NULL, &options, &parsed);
	message = parsed.message;
	check_email_citizen(&parsed, "a@example.com");
	ck_assert_msg(strncmp(message->body, "Plain version.\n\n", 16) == 0,
	    "body \"%s\"", message->body);
	ck_assert_ptr_null(strstr(message->body, "HTML version"));
	ck_assert_ptr_nonnull(strstr(message->body,
	    "---------- Forwarded message ----------\n"
	    "From: Inner <inner@example.com>\n"
	    "Date: Mon, 1 Dec 2025 10:00:00 +0700\n"
	    "Subject: Thư cũ\n\nInner text."));
	ck_assert_int_eq(message->attachment_count, 3);
	ck_assert_str_eq(message->attachments[0].content_type, "image/png");
	ck_assert_str_eq(message->attachments[0].filename, "attachment.png");
	ck_assert_int_eq(message->attachments[0].size, 3);
	ck_assert_str_eq(message->attachments[1].filename, "report.pdf");
	ck_assert_str_eq(message->attachments[2].filename, "data.csv");
	ck_assert_str_eq(message->attachments[2].content_type, "text/csv");
	email_parsed_clear(&parsed);
}
END_TEST

START_TEST(body_html_only_50k)
{
	struct email_parse_options options = check_email_options();
	struct email_parsed parsed;
	GString *raw;
	clock_t start;
	double seconds;

	raw = g_string_new("From: a@example.com\n"
	    "Content-Type: text/html; charset=utf-8\n\n<html><body>");
	for (int i = 0; raw->len < 50 * 1024; i++)
		g_string_append_printf(raw, "<div><p>Đoạn %d: <b>đường</b> "
		    "<a href=\"http://x/%d\">ngập</a>&nbsp;&amp;</p></div>\n",
		    i, i);
	g_string_append(raw, "<p>Cuối thư.</p></body></html>\n");
	start = clock();
	ck_assert_int_eq(email_parse(raw->str, raw->len, NULL, &options,
	    &parsed), 0);
	seconds = (double)(clock() - start) / CLOCKS_PER_SEC;
	ck_assert_msg(seconds < 0.5, "took %.3f s of CPU", seconds);
	check_email_nfc_starts(parsed.message->body,
	    "Đoạn 0: đường ngập &\n\nĐoạn 1:");
	check_email_nfc_contains(parsed.message->body, "Cuối thư.");
	ck_assert_ptr_null(strchr(parsed.message->body, '<'));
	email_parsed_clear(&parsed);
	g_string_free(raw, TRUE);
}
END_TEST

START_TEST(body_format_flowed_joined)
{
	struct email_parse_options options = check_email_options();
	struct email_parsed parsed;

	check_email_parse_text("From: a@example.com\n"
	    "Content-Type: text/plain; charset=utf-8; format=flowed\n"
	    "\nThe street light \nis broken.\n"
	    "> quoted \n> text\n"
	    " From the corner.\n"
	    "-- \nAn\n", NULL, &options, &parsed);
	ck_assert_str_eq(parsed.message->body, "The street light is broken.\n"
	    "> quoted text\nFrom the corner.\n-- \nAn");
	email_parsed_clear(&parsed);

	check_email_parse_text("From: a@example.com\n"
	    "Content-Type: text/plain; format=Flowed; DelSp=Yes\n"
	    "\nlong\xe2\x80\x8bword \nsplit\n", NULL, &options, &parsed);
	ck_assert_str_eq(parsed.message->body,
	    "long\xe2\x80\x8bwordsplit");
	email_parsed_clear(&parsed);
}
END_TEST

START_TEST(body_cut_at_max_text_bytes)
{
	struct email_parse_options options = check_email_options();
	struct email_parsed parsed;

	options.max_text_bytes = 10;
	/* "ầ" is 3 bytes at offsets 8 to 10: the cut keeps 8 bytes. */
	check_email_parse_text("From: a@example.com\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "\nabcdefgh\xe1\xba\xa7xyz\n", NULL, &options, &parsed);
	ck_assert_str_eq(parsed.message->body, "abcdefgh");
	email_parsed_clear(&parsed);
}
END_TEST

START_TEST(body_language_guess)
{
	static const struct {
		const char *headers;
		const char *body;
		const char *language;
	} cases[] = {
		{ "", "Hello, the street light near my house is broken. "
		    "Please help.", "en" },
		{ "Content-Language: en-US\n", "Đèn hỏng", "en" },
		{ "", "Cho toi hoi thu tuc cap lai giay khai sinh.", "vi" },
		{ "", "Please help, đèn đường hỏng.", "vi" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct email_parse_options options = check_email_options();
		struct email_parsed parsed;
		char raw[512];

		snprintf(raw, sizeof(raw), "From: a@example.com\n%s"
		    "Content-Type: text/plain; charset=utf-8\n\n%s\n",
		    cases[i].headers, cases[i].body);
		check_email_parse_text(raw, NULL, &options, &parsed);
		ck_assert_msg(strcmp(parsed.message->language,
		    cases[i].language) == 0, "case %zu: %s", i,
		    parsed.message->language);
		email_parsed_clear(&parsed);
	}
}
END_TEST

/* --- Fitting to the hub's limits ------------------------------------------ */

/* The limits of a small hub, so that short test mail reaches them. */
static struct email_parse_options
check_email_small_limits(void)
{
	struct email_parse_options options = check_email_options();

	options.limits.name_chars = 12;
	options.limits.subject_chars = 20;
	options.limits.description_chars = 30;
	options.limits.address_chars = 300;
	options.limits.email_chars = 254;
	options.limits.category_chars = 64;
	options.limits.external_id_chars = 200;
	return options;
}

/* Runs the hub's normalize stage on the parsed message, as the pipeline
 * does before it stores it, and expects it to pass. */
static void
check_email_hub_accepts(struct email_parsed *parsed,
    const struct email_parse_options *options)
{
	struct hub_error error;

	ck_assert_int_eq(parsed->kind, EMAIL_CITIZEN);
	ck_assert_msg(pipeline_normalize(parsed->message, &options->limits,
	    &error) == 0, "normalize failed: code %d field \"%s\" limit %ld",
	    error.code, error.field, error.limit);
}

START_TEST(fit_long_subject_cut)
{
	struct email_parse_options options = check_email_small_limits();
	struct email_parsed parsed;

	/* Over 20 characters, the letters of "đường" and others spelled in
	 * NFD. The cut keeps 19 and drops the space before the "…". */
	check_email_parse_text("From: a@example.com\n"
	    "Subject: =?UTF-8?Q?=C4=90e=CC=80n_=C4=91u=CC=9Bo=CC=9B=CC=80ng_"
	    "ho=CC=89ng_ta=CC=A3i_a=CC=82=CC=81p_Bi=CC=80nh_=C4=90o=CC=82ng_"
	    "x=C3=A3_Ph=C3=BA_An?=\n"
	    "\nbody\n", NULL, &options, &parsed);
	check_email_nfc_eq(parsed.message->subject, "Đèn đường hỏng tại…");
	check_email_hub_accepts(&parsed, &options);
	email_parsed_clear(&parsed);
}
END_TEST

START_TEST(fit_cut_keeps_accents)
{
	struct email_parse_options options = check_email_small_limits();
	struct email_parsed parsed;

	/* "Nguyễn" spelled in NFD (e, U+0302, U+0303) counts as in NFC. */
	check_email_parse_text("From: =?UTF-8?Q?Tr=E1=BA=A7n_Nguye=CC=82=CC=83n"
	    "_V=C4=83n_An?= <a@example.com>\n"
	    "Subject: x\n\nbody\n", NULL, &options, &parsed);
	check_email_nfc_eq(parsed.message->name, "Trần Nguyễn…");
	check_email_hub_accepts(&parsed, &options);
	email_parsed_clear(&parsed);

	/* "x" with U+0303 has no precomposed form: a cut between the two
	 * would leave the letter without its mark, so it ends before both. */
	check_email_parse_text("From: a@example.com\n"
	    "Subject: =?UTF-8?Q?aaaaaaaaaaaaaaaaaax=CC=83yz?=\n\nbody\n", NULL,
	    &options, &parsed);
	ck_assert_str_eq(parsed.message->subject,
	    "aaaaaaaaaaaaaaaaaa\u2026");
	check_email_hub_accepts(&parsed, &options);
	email_parsed_clear(&parsed);
}
END_TEST

START_TEST(fit_long_body_cut)
{
	struct email_parse_options options = check_email_small_limits();
	struct email_parsed parsed;

	check_email_parse_text("From: a@example.com\nSubject: x\n\n"
	    "Cống thoát nước bị tắc ở hẻm 45, nước tràn vào nhà.\n", NULL,
	    &options, &parsed);
	check_email_nfc_eq(parsed.message->body,
	    "Cống thoát nước bị tắc ở hẻm…");
	check_email_hub_accepts(&parsed, &options);
	email_parsed_clear(&parsed);
}
END_TEST

START_TEST(fit_empty_body_takes_subject)
{
	struct email_parse_options options = check_email_small_limits();
	struct email_parsed parsed;

	check_email_parse_text("From: a@example.com\nSubject: Đèn hỏng\n\n"
	    " \n\t\n", NULL, &options, &parsed);
	check_email_nfc_eq(parsed.message->body, "Đèn hỏng");
	check_email_hub_accepts(&parsed, &options);
	email_parsed_clear(&parsed);

	check_email_parse_text("From: a@example.com\nSubject: Đèn hỏng\n",
	    NULL, &options, &parsed);
	check_email_nfc_eq(parsed.message->body, "Đèn hỏng");
	check_email_hub_accepts(&parsed, &options);
	email_parsed_clear(&parsed);
}
END_TEST

START_TEST(fit_empty_body_names_attachments)
{
	struct email_parse_options options = check_email_options();
	struct email_parsed parsed;

	check_email_parse_text("From: a@example.com\n"
	    "Content-Type: multipart/mixed; boundary=b\n"
	    "\n--b\n"
	    "Content-Type: image/jpeg\n"
	    "Content-Disposition: attachment; filename=a.jpg\n"
	    "\nxyz\n"
	    "--b\n"
	    "Content-Type: application/pdf; name=b.pdf\n"
	    "\n%PDF\n"
	    "--b\n"
	    "Content-Type: image/png\n"
	    "Content-Disposition: attachment\n"
	    "\npng\n"
	    "--b--\n", NULL, &options, &parsed);
	ck_assert_int_eq(parsed.message->attachment_count, 3);
	check_email_nfc_eq(parsed.message->body, "Thư không có nội dung; tệp "
	    "đính kèm: a.jpg, b.pdf, attachment.png");
	check_email_hub_accepts(&parsed, &options);
	email_parsed_clear(&parsed);

	/* The list is cut to the body's limit like any text. */
	options = check_email_small_limits();
	check_email_parse_text("From: a@example.com\n"
	    "Content-Type: image/jpeg; name=a.jpg\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\neHl6\n", NULL, &options, &parsed);
	ck_assert_int_eq(parsed.message->attachment_count, 1);
	check_email_nfc_eq(parsed.message->body,
	    "Thư không có nội dung; tệp đí…");
	check_email_hub_accepts(&parsed, &options);
	email_parsed_clear(&parsed);
}
END_TEST

START_TEST(fit_empty_mail_gets_note)
{
	struct email_parse_options options = check_email_options();
	struct email_parsed parsed;

	check_email_parse_text("From: a@example.com\nSubject: Re: \n\n\n",
	    NULL, &options, &parsed);
	ck_assert_ptr_null(parsed.message->subject);
	check_email_nfc_eq(parsed.message->body, "Thư không có nội dung.");
	check_email_hub_accepts(&parsed, &options);
	email_parsed_clear(&parsed);
}
END_TEST

/* --- Attachments --------------------------------------------------------- */

START_TEST(attachment_rfc2231_continuations)
{
	struct email_parse_options options = check_email_options();
	struct email_parsed parsed;

	check_email_parse_text(
	    "From: a@example.com\n"
	    "Content-Type: multipart/mixed; boundary=b\n"
	    "\n--b\nContent-Type: text/plain\n\nsee file\n"
	    "--b\n"
	    "Content-Type: image/JPEG\n"
	    "Content-Disposition: attachment;\n"
	    " filename*0*=utf-8''%E1%BA%A2nh%20hi;\n"
	    " filename*1*=%E1%BB%87n%20tr;\n"
	    " filename*2=\"uong.jpg\"\n"
	    "\nxyz\n"
	    "--b--\n", NULL, &options, &parsed);
	ck_assert_int_eq(parsed.message->attachment_count, 1);
	check_email_nfc_eq(parsed.message->attachments[0].filename,
	    "Ảnh hiện truong.jpg");
	ck_assert_str_eq(parsed.message->attachments[0].content_type,
	    "image/jpeg");
	email_parsed_clear(&parsed);
}
END_TEST

START_TEST(attachment_names_made_safe)
{
	static const struct {
		const char *name;
		const char *type;
		const char *expected;
	} cases[] = {
		{ "../../etc/passwd", "text/plain", "passwd" },
		{ "C:\\Users\\x\\..hidden.doc", "application/msword",
		    "hidden.doc" },
		{ "a\x01\x7f" "b\xc2\x85.txt", "text/plain", "ab.txt" },
		{ "gpj\xe2\x80\xae" "exe.jpg", "image/jpeg", "gpjexe.jpg" },
		{ "...", "application/pdf", "attachment.pdf" },
		{ NULL, "image/png", "attachment.png" },
		{ "", "application/x-weird+type", "attachment.bin" },
		{ "bad\xff" "byte.pdf", "application/pdf",
		    "bad\xef\xbf\xbd" "byte.pdf" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *safe = email_filename_safe(cases[i].name, cases[i].type);

		ck_assert_msg(strcmp(safe, cases[i].expected) == 0,
		    "case %zu: \"%s\"", i, safe);
		g_free(safe);
	}
}
END_TEST

START_TEST(attachment_long_name_cut)
{
	GString *name = g_string_new(NULL);
	char *safe;

	for (int i = 0; i < 100; i++)
		g_string_append(name, "ả");
	g_string_append(name, ".jpg");
	safe = email_filename_safe(name->str, "image/jpeg");
	ck_assert_uint_le(strlen(safe), 120);
	check_email_valid(safe);
	ck_assert_str_eq(safe + strlen(safe) - 4, ".jpg");
	g_free(safe);
	g_string_free(name, TRUE);
}
END_TEST

static const char check_email_three_files[] =
	"From: a@example.com\n"
	"Content-Type: multipart/mixed; boundary=b\n"
	"\n--b\nContent-Type: text/plain\n\ntext\n"
	"--b\nContent-Type: image/png; name=small.png\n"
	"Content-Transfer-Encoding: base64\n\naW1n\n"
	"--b\nContent-Type: image/png; name=large.png\n"
	"Content-Transfer-Encoding: base64\n\naW1naW1naW1n\n"
	"--b\nContent-Type: image/png; name=third.png\n"
	"Content-Transfer-Encoding: base64\n\naW1n\n"
	"--b--\n";

START_TEST(attachment_limits_leave_out)
{
	struct email_parse_options options = check_email_options();
	struct email_parsed parsed;

	options.max_attachment_bytes = 5;
	options.max_attachments = 1;
	check_email_parse_text(check_email_three_files, NULL, &options,
	    &parsed);
	ck_assert_int_eq(parsed.kind, EMAIL_CITIZEN);
	ck_assert_int_eq(parsed.message->attachment_count, 1);
	ck_assert_str_eq(parsed.message->attachments[0].filename, "small.png");
	ck_assert_int_eq(check_email_store.calls, 1);
	ck_assert_ptr_nonnull(parsed.reason);
	ck_assert_ptr_nonnull(strstr(parsed.reason,
	    "\"large.png\" (9 bytes, over max_attachment_bytes)"));
	ck_assert_ptr_nonnull(strstr(parsed.reason,
	    "\"third.png\" (3 bytes, beyond max_attachments)"));
	ck_assert_str_eq(parsed.message->body, "text");
	email_parsed_clear(&parsed);
}
END_TEST

START_TEST(attachment_store_failure_is_error)
{
	struct email_parse_options options = check_email_options();
	struct email_parsed parsed;

	check_email_store.fail = true;
	ck_assert_int_eq(email_parse(check_email_three_files,
	    strlen(check_email_three_files), NULL, &options, &parsed), -1);
	ck_assert_ptr_null(parsed.message);
	ck_assert_ptr_null(parsed.reason);
}
END_TEST

START_TEST(attachment_many_parts_bounded)
{
	struct email_parse_options options = check_email_options();
	struct email_parsed parsed;
	GString *raw = g_string_new("From: a@example.com\n"
	    "Content-Type: multipart/mixed; boundary=b\n\n");
	clock_t start;
	double seconds;

	for (int i = 0; i < 5000; i++)
		g_string_append_printf(raw, "--b\nContent-Type: "
		    "application/octet-stream; name=f%d.bin\n\nx\n", i);
	g_string_append(raw, "--b--\n");
	start = clock();
	ck_assert_int_eq(email_parse(raw->str, raw->len, NULL, &options,
	    &parsed), 0);
	seconds = (double)(clock() - start) / CLOCKS_PER_SEC;
	ck_assert_msg(seconds < 1.0, "took %.3f s of CPU", seconds);
	ck_assert_int_eq(parsed.message->attachment_count, 10);
	ck_assert_int_eq(strncmp(parsed.reason, "4990 attachments left out: "
	    "\"f10.bin\" (1 bytes, beyond max_attachments)", 70), 0);
	ck_assert_str_eq(parsed.reason + strlen(parsed.reason) - 9,
	    " and more");
	email_parsed_clear(&parsed);
	g_string_free(raw, TRUE);
}
END_TEST

START_TEST(message_over_max_bytes_rejected)
{
	struct email_parse_options options = check_email_options();
	struct email_parsed parsed;

	options.max_message_bytes = 20;
	check_email_parse_text("From: a@example.com\n\nthis body is long\n",
	    NULL, &options, &parsed);
	ck_assert_int_eq(parsed.kind, EMAIL_REJECTED);
	ck_assert_ptr_nonnull(strstr(parsed.reason, "max_message_bytes"));
	email_parsed_clear(&parsed);
}
END_TEST

/* --- HTML ---------------------------------------------------------------- */

static char *
check_email_html(const char *html, int max_depth)
{
	struct email_parse_options options = check_email_options();
	char *text;

	options.html_max_depth = max_depth;
	text = email_html_to_text(html, strlen(html), &options);
	ck_assert_ptr_nonnull(text);
	return text;
}

START_TEST(html_blocks_and_spaces)
{
	char *text = check_email_html("<html><head><title>T</title>"
	    "<style>p{}</style></head><body>  <p>a\n\n  b</p><p>c</p>"
	    "<script>alert(1)</script><div>d<br>e<br><br><br>f</div>"
	    "<ul><li>one</li><li>two</li></ul><table><tr><td>x</td>"
	    "<td>y</td></tr></table><pre>l1\n  l2</pre></body></html>", 64);

	ck_assert_str_eq(text, "a b\n\nc\n\nd\ne\n\nf\n\n- one\n- two\n\nx y"
	    "\n\nl1\n  l2");
	free(text);
}
END_TEST

START_TEST(html_depth_capped)
{
	GString *html = g_string_new("<p>top</p>");
	char *text;

	for (int i = 0; i < 5000; i++)
		g_string_append(html, "<span>");
	g_string_append(html, "deep");
	text = check_email_html(html->str, 50);
	ck_assert_str_eq(text, "top");
	free(text);
	g_string_free(html, TRUE);
}
END_TEST

START_TEST(html_invalid_utf8_and_cap)
{
	struct email_parse_options options = check_email_options();
	const char *html = "<p>\xff\xfe caf\xc3\xa9 \xe1\xba</p>";
	char *text;

	text = email_html_to_text(html, strlen(html), &options);
	check_email_valid(text);
	free(text);

	options.html_max_bytes = 11;
	html = "<p>abcdef\xe1\xba\xa7 more text</p>";
	text = email_html_to_text(html, strlen(html), &options);
	ck_assert_str_eq(text, "abcdef");
	free(text);
}
END_TEST

/* --- Classification ------------------------------------------------------ */

START_TEST(classify_automatic_headers)
{
	static const struct {
		const char *header;
		const char *envelope;
		const char *from;
		const char *reason;
	} cases[] = {
		{ "Precedence: bulk\n", NULL, "a@example.com", "Precedence" },
		{ "Precedence: auto_reply\n", NULL, "a@example.com",
		    "Precedence" },
		{ "X-Autoreply: yes\n", NULL, "a@example.com", "X-Autoreply" },
		{ "X-Autorespond: 1\n", NULL, "a@example.com",
		    "X-Autorespond" },
		{ "X-Auto-Response-Suppress: All\n", NULL, "a@example.com",
		    "X-Auto-Response-Suppress" },
		{ "List-Unsubscribe: <mailto:u@example.com>\n", NULL,
		    "a@example.com", "List-Unsubscribe" },
		{ "List-Id: <news.example.com>\n", NULL, "a@example.com",
		    "List-Id" },
		{ "Auto-Submitted: auto-generated\n", NULL, "a@example.com",
		    "Auto-Submitted" },
		{ "", "", "a@example.com", "null envelope sender" },
		{ "", NULL, "MAILER-DAEMON@example.com", "robot sender" },
		{ "", NULL, "no-reply@example.com", "robot sender" },
		{ "", NULL, "bounces+x=y@example.com", "robot sender" },
		{ "", NULL, "noreply.alerts@example.com", "robot sender" },
		{ "", NULL, "TiepNhan@Hub.Example.org", "own address" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct email_parse_options options = check_email_options();
		struct email_parsed parsed;
		char raw[512];

		snprintf(raw, sizeof(raw), "From: %s\n%sSubject: x\n\nbody\n",
		    cases[i].from, cases[i].header);
		check_email_parse_text(raw, cases[i].envelope, &options,
		    &parsed);
		ck_assert_msg(parsed.kind == EMAIL_AUTOMATIC, "case %zu", i);
		ck_assert(parsed.message->automatic);
		ck_assert_int_eq(parsed.message->ack, HUB_ACK_NONE);
		ck_assert_msg(strstr(parsed.reason, cases[i].reason) != NULL,
		    "case %zu: reason \"%s\"", i, parsed.reason);
		email_parsed_clear(&parsed);
	}
}
END_TEST

START_TEST(classify_citizen_lookalikes)
{
	static const char *const headers[] = {
		"Auto-Submitted: no\n", "Precedence: first-class\n",
		"From: noreplyfan@example.com\n", "From: postmasters@example.com\n",
	};

	for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		struct email_parse_options options = check_email_options();
		struct email_parsed parsed;
		char raw[256];

		snprintf(raw, sizeof(raw), "%s%sSubject: x\n\nbody\n",
		    strncmp(headers[i], "From:", 5) == 0 ? "" :
		    "From: a@example.com\n", headers[i]);
		check_email_parse_text(raw, NULL, &options, &parsed);
		ck_assert_msg(parsed.kind == EMAIL_CITIZEN, "case %zu: %s", i,
		    parsed.reason);
		email_parsed_clear(&parsed);
	}
}
END_TEST

START_TEST(classify_envelope_sender_automatic)
{
	static const struct {
		const char *envelope;
		const char *reason;
	} cases[] = {
		{ "MAILER-DAEMON", "robot envelope sender" },
		{ "MAILER-DAEMON@mx.example.net", "robot envelope sender" },
		{ "postmaster@example.com", "robot envelope sender" },
		{ "noreply@example.com", "robot envelope sender" },
		{ "bounces+123@lists.example.com", "robot envelope sender" },
		{ "TiepNhan@Hub.Example.org", "own address as envelope sender" },
		{ "phananh@hub.example.org", "own address as envelope sender" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct email_parse_options options = check_email_options();
		struct email_parsed parsed;

		check_email_parse_text("From: An <an@example.com>\n"
		    "Subject: x\n\nbody\n", cases[i].envelope, &options,
		    &parsed);
		ck_assert_msg(parsed.kind == EMAIL_AUTOMATIC, "case %zu: %s", i,
		    cases[i].envelope);
		ck_assert(parsed.message->automatic);
		ck_assert_int_eq(parsed.message->ack, HUB_ACK_NONE);
		ck_assert_msg(strstr(parsed.reason, cases[i].reason) != NULL,
		    "case %zu: reason \"%s\"", i, parsed.reason);
		email_parsed_clear(&parsed);
	}
}
END_TEST

START_TEST(classify_envelope_sender_citizen)
{
	static const char *const envelopes[] = {
		"an@example.com", "postmasters@example.com",
		"tiepnhan@other.example.org",
	};

	for (size_t i = 0; i < sizeof(envelopes) / sizeof(envelopes[0]); i++) {
		struct email_parse_options options = check_email_options();
		struct email_parsed parsed;

		check_email_parse_text("From: An <an@example.com>\n"
		    "Subject: x\n\nbody\n", envelopes[i], &options, &parsed);
		ck_assert_msg(parsed.kind == EMAIL_CITIZEN, "case %zu: %s", i,
		    parsed.reason);
		email_parsed_clear(&parsed);
	}
}
END_TEST

START_TEST(classify_failed_recipients_bounce)
{
	struct email_parse_options options = check_email_options();
	struct email_parsed parsed;

	check_email_parse_text("From: Mail Delivery <mailer@mx.example.net>\n"
	    "X-Failed-Recipients: gone@example.net\n"
	    "In-Reply-To: <sent-1@hub.example.org>\n"
	    "References: <older@hub.example.org> <sent-1@hub.example.org>\n"
	    "Subject: Mail delivery failed\n\nreturned\n", "", &options,
	    &parsed);
	ck_assert_int_eq(parsed.kind, EMAIL_BOUNCE);
	ck_assert_int_eq(parsed.bounced_count, 2);
	ck_assert_str_eq(parsed.bounced_ids[0], "sent-1@hub.example.org");
	ck_assert_str_eq(parsed.bounced_ids[1], "older@hub.example.org");
	ck_assert_ptr_nonnull(strstr(parsed.bounce_detail,
	    "gone@example.net"));
	email_parsed_clear(&parsed);
}
END_TEST

START_TEST(classify_null_sender_report_bounce)
{
	struct email_parse_options options = check_email_options();
	struct email_parsed parsed;

	/* No report-type, but a null sender and a delivery-status part; the
	 * returned mail is a whole message/rfc822 part. */
	check_email_parse_text("From: postmaster@mx.example.net\n"
	    "Content-Type: multipart/mixed; boundary=r\n"
	    "\n--r\nContent-Type: text/plain\n\nfailed\n"
	    "--r\nContent-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; mx\n\n"
	    "Final-Recipient: rfc822; ok@example.net\nAction: delivered\n"
	    "Status: 2.0.0\n\n"
	    "Final-Recipient: rfc822; full@example.net\nAction: failed\n"
	    "Status: 4.2.2\nDiagnostic-Code: smtp; 452 mailbox\n full\n"
	    "--r\nContent-Type: message/rfc822\n\n"
	    "From: tiepnhan@hub.example.org\n"
	    "Message-ID: <answer-7@hub.example.org>\n\nhi\n"
	    "--r--\n", "", &options, &parsed);
	ck_assert_int_eq(parsed.kind, EMAIL_BOUNCE);
	ck_assert_int_eq(parsed.bounced_count, 1);
	ck_assert_str_eq(parsed.bounced_ids[0], "answer-7@hub.example.org");
	ck_assert_str_eq(parsed.bounce_detail,
	    "full@example.net: Status 4.2.2, smtp; 452 mailbox full");
	email_parsed_clear(&parsed);
}
END_TEST

/* The case files parsed on four threads at once give the same messages as
 * one parse each: the parser keeps no shared mutable state. */
static const char *const check_email_thread_files[] = {
	"01-subject-split-multibyte.eml", "02-windows-1258-qp.eml",
	"03-nfd-body.eml", "06-rfc2231-filenames.eml",
	"10-mislabelled-charset.eml",
};

struct check_email_thread {
	const struct email_parse_options *options;
	char *keys[5];
	char *bodies[5];
	bool mismatch;
};

static void *
check_email_thread_run(void *arg)
{
	struct check_email_thread *thread = arg;

	for (int round = 0; round < 20; round++) {
		for (size_t i = 0; i < 5; i++) {
			struct email_parsed parsed;
			size_t size;
			char *raw = check_email_read(
			    check_email_thread_files[i], &size);

			if (email_parse(raw, size, NULL, thread->options,
			    &parsed) != 0 || parsed.message == NULL ||
			    strcmp(parsed.message->external_id,
			    thread->keys[i]) != 0 ||
			    strcmp(parsed.message->body,
			    thread->bodies[i]) != 0)
				thread->mismatch = true;
			email_parsed_clear(&parsed);
			free(raw);
		}
	}
	return NULL;
}

START_TEST(parse_threads_agree)
{
	struct email_parse_options options = check_email_options();
	struct check_email_thread threads[4];
	pthread_t ids[4];

	options.store_blob = NULL;
	memset(threads, 0, sizeof(threads));
	for (size_t i = 0; i < 5; i++) {
		struct email_parsed parsed;

		check_email_parse_case(check_email_thread_files[i], NULL,
		    &options, &parsed);
		for (int t = 0; t < 4; t++) {
			threads[t].options = &options;
			threads[t].keys[i] = strdup(parsed.message->external_id);
			threads[t].bodies[i] = strdup(parsed.message->body);
		}
		email_parsed_clear(&parsed);
	}
	for (int t = 0; t < 4; t++)
		ck_assert_int_eq(pthread_create(&ids[t], NULL,
		    check_email_thread_run, &threads[t]), 0);
	for (int t = 0; t < 4; t++) {
		ck_assert_int_eq(pthread_join(ids[t], NULL), 0);
		ck_assert_msg(!threads[t].mismatch, "thread %d differs", t);
		for (size_t i = 0; i < 5; i++) {
			free(threads[t].keys[i]);
			free(threads[t].bodies[i]);
		}
	}
}
END_TEST

Suite *
email_parse_suite(void)
{
	Suite *suite = suite_create("email_parse");
	TCase *cases = tcase_create("cases");
	TCase *headers = tcase_create("headers");
	TCase *body = tcase_create("body");
	TCase *attachments = tcase_create("attachments");
	TCase *html = tcase_create("html");
	TCase *classify = tcase_create("classify");
	TCase *fit = tcase_create("fit");

	/* Once for the whole run: GMime 3.2 leaks a few strings when it is
	 * initialised again after g_mime_shutdown. */
	email_parse_init();

	tcase_add_test(cases, case_subject_split_multibyte);
	tcase_add_test(cases, case_windows_1258_qp);
	tcase_add_test(cases, case_nfd_body);
	tcase_add_test(cases, case_auto_reply);
	tcase_add_test(cases, case_dsn_bounce);
	tcase_add_test(cases, case_rfc2231_filenames);
	tcase_add_test(cases, case_html_pathological);
	tcase_add_test(cases, case_from_without_address);
	tcase_add_test(cases, case_long_date);
	tcase_add_test(cases, case_mislabelled_charset);
	tcase_add_test(cases, case_every_file_valid_utf8);
	tcase_add_test(cases, parse_threads_agree);
	suite_add_tcase(suite, cases);

	tcase_add_test(headers, header_split_words_q_and_b);
	tcase_add_test(headers, header_subject_prefixes_stripped);
	tcase_add_test(headers, header_references_in_order);
	tcase_add_test(headers, header_sender_from_envelope);
	tcase_add_test(headers, header_return_path_as_envelope);
	tcase_add_test(headers, header_no_sender_rejected);
	tcase_add_test(headers, header_garbage_rejected);
	tcase_add_test(headers, dedupe_key_ignores_delivery_headers);
	tcase_add_test(headers, dedupe_key_without_message_id);
	tcase_add_test(headers, dedupe_key_ignores_trailing_blank);
	suite_add_tcase(suite, headers);

	tcase_add_test(body, body_unlabelled_windows_1258);
	tcase_add_test(body, body_invalid_label_and_bytes);
	tcase_add_test(body, body_nested_multiparts);
	tcase_add_test(body, body_html_only_50k);
	tcase_add_test(body, body_format_flowed_joined);
	tcase_add_test(body, body_cut_at_max_text_bytes);
	tcase_add_test(body, body_language_guess);
	tcase_add_test(body, message_over_max_bytes_rejected);
	suite_add_tcase(suite, body);

	tcase_add_test(attachments, attachment_rfc2231_continuations);
	tcase_add_test(attachments, attachment_names_made_safe);
	tcase_add_test(attachments, attachment_long_name_cut);
	tcase_add_test(attachments, attachment_limits_leave_out);
	tcase_add_test(attachments, attachment_store_failure_is_error);
	tcase_add_test(attachments, attachment_many_parts_bounded);
	suite_add_tcase(suite, attachments);

	tcase_add_test(html, html_blocks_and_spaces);
	tcase_add_test(html, html_depth_capped);
	tcase_add_test(html, html_invalid_utf8_and_cap);
	suite_add_tcase(suite, html);

	tcase_add_test(classify, classify_automatic_headers);
	tcase_add_test(classify, classify_citizen_lookalikes);
	tcase_add_test(fit, fit_long_subject_cut);
	tcase_add_test(fit, fit_cut_keeps_accents);
	tcase_add_test(fit, fit_long_body_cut);
	tcase_add_test(fit, fit_empty_body_takes_subject);
	tcase_add_test(fit, fit_empty_body_names_attachments);
	tcase_add_test(fit, fit_empty_mail_gets_note);
	tcase_add_test(classify, classify_envelope_sender_automatic);
	tcase_add_test(classify, classify_envelope_sender_citizen);
	tcase_add_test(classify, classify_failed_recipients_bounce);
	tcase_add_test(classify, classify_null_sender_report_bounce);
	suite_add_tcase(suite, classify);
	suite_add_tcase(suite, fit);
	return suite;
}
