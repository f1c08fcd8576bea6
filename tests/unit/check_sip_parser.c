/* The hub's SIP message class against sofia-sip's own: the same results for
 * every RFC 4475 message except the four it changes, and the wrapped request
 * line, CSeq and Via on hand-made messages. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/msg_buffer.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/sip_util.h>

#include "check_suites.h"
#include "sip_parser.h"

#define CHECK_PARSER_RFC4475 TEST_CASES_DIR "/sip/rfc4475"

/* The source of every parsed message, port 40000 on loopback. */
#define CHECK_PARSER_PORT 40000

static msg_mclass_t *check_parser_mclass;

static void
check_parser_setup(void)
{
	check_parser_mclass = sip_parser_mclass_new();
	ck_assert_ptr_nonnull(check_parser_mclass);
}

static void
check_parser_teardown(void)
{
	sip_parser_mclass_free(check_parser_mclass);
	check_parser_mclass = NULL;
}

/* Parses data as one datagram from 127.0.0.1:40000 with mclass. Sets
 * *result to msg_extract's result when it is not NULL. */
static msg_t *
check_parser_parse(msg_mclass_t const *mclass, const char *data,
    size_t length, int *result)
{
	msg_t *msg = msg_create(mclass, 0);
	su_sockaddr_t source;
	void *buffer;
	int extracted;

	ck_assert_ptr_nonnull(msg);
	memset(&source, 0, sizeof source);
	source.su_sin.sin_family = AF_INET;
	source.su_sin.sin_port = htons(CHECK_PARSER_PORT);
	inet_pton(AF_INET, "127.0.0.1", &source.su_sin.sin_addr);
	msg_set_address(msg, &source, (socklen_t)sizeof source.su_sin);
	buffer = msg_buf_alloc(msg, length + 1);
	ck_assert_ptr_nonnull(buffer);
	memcpy(buffer, data, length);
	msg_buf_commit(msg, length, 1);
	extracted = msg_extract(msg);
	if (result != NULL)
		*result = extracted;
	return msg;
}

static msg_t *
check_parser_parse_text(const char *text)
{
	return check_parser_parse(check_parser_mclass, text, strlen(text),
	    NULL);
}

/* Reads an RFC 4475 message into data (size bytes). Returns its length. */
static size_t
check_parser_read(const char *name, char *data, size_t size)
{
	char path[512];
	FILE *file;
	size_t length;

	snprintf(path, sizeof path, "%s/%s.dat", CHECK_PARSER_RFC4475, name);
	file = fopen(path, "rb");
	ck_assert_msg(file != NULL, "cannot open %s", path);
	length = fread(data, 1, size, file);
	fclose(file);
	ck_assert_msg(length > 0 && length < size, "%s: %zu bytes", path,
	    length);
	return length;
}

static msg_t *
check_parser_parse_file(msg_mclass_t const *mclass, const char *name,
    int *result)
{
	static char data[70000];
	size_t length = check_parser_read(name, data, sizeof data);

	return check_parser_parse(mclass, data, length, result);
}

/* The encoded top Via of sip, without its line end, or "". */
static void
check_parser_top_via(sip_t const *sip, char *text, size_t size)
{
	text[0] = '\0';
	if (sip->sip_via != NULL)
		sip_header_e(text, (int)size, (sip_header_t const *)sip->sip_via,
		    0);
	text[strcspn(text, "\r\n")] = '\0';
}

static int
check_parser_error_count(sip_t const *sip)
{
	int count = 0;

	for (sip_error_t const *error = sip->sip_error; error != NULL;
	    error = error->er_next)
		count++;
	return count;
}

/* A line that sums up how a message parsed, to compare two classes. */
static void
check_parser_summary(msg_t *msg, int result, char *text, size_t size)
{
	sip_t const *sip = sip_object(msg);
	sip_request_t const *request = sip->sip_request;
	char via[1024];

	check_parser_top_via(sip, via, sizeof via);
	snprintf(text, size, "extract=%d flags=%x errors=%x count=%d "
	    "request=%s/%d/%d status=%d sanity=%d cseq=%s via=%s", result,
	    sip->sip_flags, msg_extract_errors(msg),
	    check_parser_error_count(sip),
	    request != NULL ? request->rq_method_name : "-",
	    request != NULL ? (int)request->rq_method : -1,
	    request != NULL ? (int)request->rq_url->url_type : -1,
	    sip->sip_status != NULL ? sip->sip_status->st_status : -1,
	    sip_sanity_check(sip),
	    sip->sip_cseq != NULL ? sip->sip_cseq->cs_method_name : "-", via);
}

/* The RFC 4475 messages, without the four the class changes. */
static const char *const check_parser_unchanged[] = {
	"badaspec", "badbranch", "baddate", "baddn", "bcast", "bext01",
	"bigcode", "clerr", "cparam01", "cparam02", "dblreq", "esc01",
	"esc02", "escnull", "escruri", "insuf", "inv2543", "invut",
	"longreq", "ltgtruri", "lwsdisp", "lwsstart", "mcl01", "mismatch01",
	"mismatch02", "mpart01", "multi01", "ncl", "noreason", "novelsc",
	"quotbal", "regaut01", "regbadct", "regescrt", "scalar02",
	"scalarlg", "sdp01", "semiuri", "transports", "trws", "unkscm",
	"unksm2", "unreason", "wsinv", "zeromf",
};

START_TEST(parser_rfc4475_unchanged)
{
	const char *name = check_parser_unchanged[_i];
	char sofia[2048], hub[2048];
	int result;
	msg_t *msg;

	msg = check_parser_parse_file(sip_default_mclass(), name, &result);
	check_parser_summary(msg, result, sofia, sizeof sofia);
	msg_destroy(msg);
	msg = check_parser_parse_file(check_parser_mclass, name, &result);
	check_parser_summary(msg, result, hub, sizeof hub);
	msg_destroy(msg);
	ck_assert_msg(strcmp(sofia, hub) == 0, "%s: sofia-sip %s, hub %s",
	    name, sofia, hub);
}
END_TEST

/* A request with method in its request line and CSeq. */
static msg_t *
check_parser_method(const char *method)
{
	char text[512];

	snprintf(text, sizeof text, "%s sip:ivr@127.0.0.1 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK1\r\n"
	    "To: <sip:ivr@127.0.0.1>\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\n"
	    "Call-ID: method@127.0.0.1\r\nCSeq: 7 %s\r\n"
	    "Content-Length: 0\r\n\r\n", method, method);
	return check_parser_parse_text(text);
}

START_TEST(parser_token_method_unknown)
{
	/* sofia-sip 1.12.11 rejects the last one too, though it is a token. */
	static const char *const methods[] = {
		"A+B", "A`B", "X-1+2`%'~", "OPTIOs",
	};

	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		msg_t *msg = check_parser_method(methods[i]);
		sip_t const *sip = sip_object(msg);

		ck_assert_ptr_nonnull(sip->sip_request);
		ck_assert_int_eq(sip->sip_request->rq_method,
		    sip_method_unknown);
		ck_assert_str_eq(sip->sip_request->rq_method_name, methods[i]);
		ck_assert_int_eq(sip->sip_request->rq_url->url_type, url_sip);
		ck_assert_str_eq(sip->sip_request->rq_version,
		    sip_version_2_0);
		ck_assert_ptr_nonnull(sip->sip_cseq);
		ck_assert_uint_eq(sip->sip_cseq->cs_seq, 7);
		ck_assert_str_eq(sip->sip_cseq->cs_method_name, methods[i]);
		ck_assert_ptr_null(sip->sip_error);
		ck_assert_int_eq(sip_sanity_check(sip), 0);
		msg_destroy(msg);
	}
}
END_TEST

START_TEST(parser_extra_spaces_allowed)
{
	msg_t *msg = check_parser_parse_text(
	    "A+B   sip:ivr@127.0.0.1   SIP/2.0  \r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK1\r\n"
	    "To: <sip:ivr@127.0.0.1>\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\n"
	    "Call-ID: spaces@127.0.0.1\r\nCSeq: 1 A+B\r\n"
	    "Content-Length: 0\r\n\r\n");
	sip_t const *sip = sip_object(msg);

	ck_assert_ptr_nonnull(sip->sip_request);
	ck_assert_str_eq(sip->sip_request->rq_method_name, "A+B");
	ck_assert_int_eq(sip->sip_request->rq_url->url_type, url_sip);
	ck_assert_int_eq(sip_sanity_check(sip), 0);
	msg_destroy(msg);
}
END_TEST

START_TEST(parser_known_method_kept)
{
	msg_t *msg = check_parser_method("OPTIONS");
	sip_t const *sip = sip_object(msg);

	ck_assert_int_eq(sip->sip_request->rq_method, sip_method_options);
	ck_assert_int_eq(sip->sip_cseq->cs_method, sip_method_options);
	ck_assert_int_eq(sip_sanity_check(sip), 0);
	msg_destroy(msg);
}
END_TEST

static const char check_parser_intmeth[] =
    "!interesting-Method0123456789_*+`.%indeed'~";

START_TEST(parser_intmeth_request_line)
{
	char data[4096];
	size_t length = check_parser_read("intmeth", data, sizeof data);
	int result;
	msg_t *msg = check_parser_parse(check_parser_mclass, data, length,
	    &result);
	sip_t const *sip = sip_object(msg);

	ck_assert_ptr_nonnull(sip->sip_request);
	ck_assert_int_eq(sip->sip_request->rq_method, sip_method_unknown);
	ck_assert_str_eq(sip->sip_request->rq_method_name,
	    check_parser_intmeth);
	ck_assert_str_eq(sip->sip_request->rq_url->url_host, "example.com");
	/* sofia-sip's message parser stops at the NUL byte of the To. */
	ck_assert_int_eq(result, 0);
	ck_assert_ptr_null(sip->sip_cseq);
	msg_destroy(msg);
}
END_TEST

START_TEST(parser_intmeth_without_nul)
{
	char data[4096];
	size_t length = check_parser_read("intmeth", data, sizeof data);
	char *nul = memchr(data, '\0', length);
	int result;
	msg_t *msg;
	sip_t const *sip;

	ck_assert_ptr_nonnull(nul);
	*nul = '0';
	msg = check_parser_parse(check_parser_mclass, data, length, &result);
	sip = sip_object(msg);
	ck_assert_int_eq(result, 1);
	ck_assert_ptr_nonnull(sip->sip_cseq);
	ck_assert_uint_eq(sip->sip_cseq->cs_seq, 139122385);
	ck_assert_int_eq(sip->sip_cseq->cs_method, sip_method_unknown);
	ck_assert_str_eq(sip->sip_cseq->cs_method_name, check_parser_intmeth);
	ck_assert_ptr_null(sip->sip_error);
	ck_assert_int_eq(sip_sanity_check(sip), 0);
	msg_destroy(msg);
}
END_TEST

START_TEST(parser_request_line_rejected)
{
	static const char *const lines[] = {
		"INVITE\r\n",
		"INVITE sip:ivr@127.0.0.1\r\n",
		"INVITE sip:ivr@127.0.0.1 \r\n",
		"IN<VITE sip:ivr@127.0.0.1 SIP/2.0\r\n",
		"A+B  SIP/2.0\r\n",
		"A+B\tsip:ivr@127.0.0.1 SIP/2.0\r\n",
		"A+B sip:ivr@127.0.0.1 HTTP\r\n",
	};
	char text[512];

	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		msg_t *msg;

		snprintf(text, sizeof text, "%sVia: SIP/2.0/UDP 127.0.0.1\r\n"
		    "Content-Length: 0\r\n\r\n", lines[i]);
		msg = check_parser_parse_text(text);
		ck_assert_msg(sip_object(msg)->sip_request == NULL,
		    "request line accepted: %s", lines[i]);
		msg_destroy(msg);
	}
}
END_TEST

START_TEST(parser_spaced_uri_invalid)
{
	int result;
	msg_t *msg = check_parser_parse_file(check_parser_mclass, "lwsruri",
	    &result);
	sip_t const *sip = sip_object(msg);

	ck_assert_int_eq(result, 1);
	ck_assert_ptr_nonnull(sip->sip_request);
	ck_assert_int_eq(sip->sip_request->rq_method, sip_method_invite);
	ck_assert_int_eq(sip->sip_request->rq_url->url_type, url_invalid);
	ck_assert_int_eq(sip_sanity_check(sip), -1);
	ck_assert_ptr_nonnull(sip->sip_via);
	msg_destroy(msg);
}
END_TEST

/* sofia-sip reads "OPTIONS <sip:..." with an invalid URI, so nta sends 400
 * to it. The same is true for a method that sofia-sip rejects. */
START_TEST(parser_bracket_uri_invalid)
{
	msg_t *msg = check_parser_parse_text(
	    "A+B <sip:ivr@127.0.0.1 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK1\r\n"
	    "To: <sip:ivr@127.0.0.1>\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\n"
	    "Call-ID: bracket@127.0.0.1\r\nCSeq: 1 A+B\r\n"
	    "Content-Length: 0\r\n\r\n");
	sip_t const *sip = sip_object(msg);

	ck_assert_ptr_nonnull(sip->sip_request);
	ck_assert_str_eq(sip->sip_request->rq_method_name, "A+B");
	ck_assert_int_eq(sip->sip_request->rq_url->url_type, url_invalid);
	ck_assert_int_eq(sip_sanity_check(sip), -1);
	msg_destroy(msg);
}
END_TEST

START_TEST(parser_tab_in_uri_invalid)
{
	msg_t *msg = check_parser_parse_text(
	    "OPTIONS sip:ivr@127.0.0.1;\tlr SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK1\r\n"
	    "To: <sip:ivr@127.0.0.1>\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\n"
	    "Call-ID: tab@127.0.0.1\r\nCSeq: 1 OPTIONS\r\n"
	    "Content-Length: 0\r\n\r\n");
	sip_t const *sip = sip_object(msg);

	ck_assert_ptr_nonnull(sip->sip_request);
	ck_assert_int_eq(sip->sip_request->rq_url->url_type, url_invalid);
	ck_assert_int_eq(sip_sanity_check(sip), -1);
	msg_destroy(msg);
}
END_TEST

START_TEST(parser_cseq_number_checked)
{
	msg_t *msg = check_parser_parse_text(
	    "A+B sip:ivr@127.0.0.1 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK1\r\n"
	    "To: <sip:ivr@127.0.0.1>\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\n"
	    "Call-ID: cseq@127.0.0.1\r\nCSeq: 36893488147419103232 A+B\r\n"
	    "Content-Length: 0\r\n\r\n");
	sip_t const *sip = sip_object(msg);

	ck_assert_ptr_nonnull(sip->sip_request);
	ck_assert_ptr_null(sip->sip_cseq);
	ck_assert_ptr_nonnull(sip->sip_error);
	ck_assert_int_ne(msg_extract_errors(msg), 0);
	msg_destroy(msg);
}
END_TEST

START_TEST(parser_cseq_trailing_text_rejected)
{
	msg_t *msg = check_parser_parse_text(
	    "A+B sip:ivr@127.0.0.1 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK1\r\n"
	    "To: <sip:ivr@127.0.0.1>\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\n"
	    "Call-ID: cseq@127.0.0.1\r\nCSeq: 1 A+B extra\r\n"
	    "Content-Length: 0\r\n\r\n");

	ck_assert_ptr_null(sip_object(msg)->sip_cseq);
	msg_destroy(msg);
}
END_TEST

START_TEST(parser_empty_via_params_restored)
{
	int result;
	msg_t *msg = check_parser_parse_file(check_parser_mclass, "badinv01",
	    &result);
	sip_t const *sip = sip_object(msg);
	char via[256];

	ck_assert_int_eq(result, -1);
	ck_assert_ptr_nonnull(sip->sip_via);
	ck_assert_ptr_null(sip->sip_via->v_next);
	check_parser_top_via(sip, via, sizeof via);
	ck_assert_str_eq(via, "Via: SIP/2.0/UDP 192.0.2.15");
	ck_assert_uint_ne(sip->sip_flags & MSG_FLG_ERROR, 0);
	ck_assert_ptr_nonnull(sip->sip_error);
	ck_assert_int_ne(msg_extract_errors(msg), 0);
	msg_destroy(msg);
}
END_TEST

/* A request whose Via header lines are via (CRLF-separated lines). */
static msg_t *
check_parser_via(const char *via)
{
	char text[1024];

	snprintf(text, sizeof text, "OPTIONS sip:ivr@127.0.0.1 SIP/2.0\r\n"
	    "%s\r\n"
	    "To: <sip:ivr@127.0.0.1>\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\n"
	    "Call-ID: via@127.0.0.1\r\nCSeq: 1 OPTIONS\r\n"
	    "Content-Length: 0\r\n\r\n", via);
	return check_parser_parse_text(text);
}

START_TEST(parser_via_cleaned_values)
{
	static const struct {
		const char *line;
		const char *top;	/* the restored top Via */
	} cases[] = {
		{ "v: SIP/2.0/UDP 192.0.2.15;;", "Via: SIP/2.0/UDP 192.0.2.15" },
		{ "Via: SIP/2.0/UDP 192.0.2.15;;branch=z9hG4bK2;,",
		    "Via: SIP/2.0/UDP 192.0.2.15;branch=z9hG4bK2" },
		{ "Via: SIP/2.0/UDP h1 ; ; rport , , SIP/2.0/TCP h2;;",
		    "Via: SIP/2.0/UDP h1;rport" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		msg_t *msg = check_parser_via(cases[i].line);
		sip_t const *sip = sip_object(msg);
		char via[256];

		check_parser_top_via(sip, via, sizeof via);
		ck_assert_msg(strcmp(via, cases[i].top) == 0, "%s: top %s",
		    cases[i].line, via);
		ck_assert_uint_ne(sip->sip_flags & MSG_FLG_ERROR, 0);
		msg_destroy(msg);
	}
}
END_TEST

START_TEST(parser_via_second_value_kept)
{
	msg_t *msg = check_parser_via(
	    "Via: SIP/2.0/UDP h1 ; ; rport , , SIP/2.0/TCP h2;;");
	sip_t const *sip = sip_object(msg);

	ck_assert_ptr_nonnull(sip->sip_via);
	ck_assert_ptr_nonnull(sip->sip_via->v_next);
	ck_assert_str_eq(sip->sip_via->v_next->v_host, "h2");
	ck_assert_str_eq(sip->sip_via->v_next->v_protocol, "SIP/2.0/TCP");
	msg_destroy(msg);
}
END_TEST

START_TEST(parser_bad_via_stays_missing)
{
	static const char *const lines[] = {
		"Via: SIP/2.0/UDP ;branch=z9hG4bK1;;",
		"Via: ;;branch=z9hG4bK1",
		"Via: SIP/2.0/UDP 192.0.2.15;a=\"open",
		"Via: ;;,,",
	};

	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		msg_t *msg = check_parser_via(lines[i]);

		ck_assert_msg(sip_object(msg)->sip_via == NULL,
		    "Via restored from %s", lines[i]);
		msg_destroy(msg);
	}
}
END_TEST

START_TEST(parser_first_via_line_decides)
{
	msg_t *msg = check_parser_via(
	    "Via: SIP/2.0/UDP 192.0.2.15;;\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.16;branch=z9hG4bK3");
	sip_t const *sip = sip_object(msg);

	/* The second line parsed, so sofia-sip's result is kept. */
	ck_assert_ptr_nonnull(sip->sip_via);
	ck_assert_str_eq(sip->sip_via->v_host, "192.0.2.16");
	ck_assert_ptr_null(sip->sip_via->v_next);
	ck_assert_ptr_nonnull(sip->sip_error);
	msg_destroy(msg);
}
END_TEST

START_TEST(parser_bad_version_received)
{
	msg_t *msg = check_parser_parse_file(check_parser_mclass, "badvers",
	    NULL);
	sip_t const *sip = sip_object(msg);

	ck_assert_str_eq(sip->sip_request->rq_version, "SIP/7.0");
	ck_assert_ptr_nonnull(sip->sip_via);
	ck_assert_str_eq(sip->sip_via->v_host, "c.example.com");
	ck_assert_ptr_nonnull(sip->sip_via->v_received);
	ck_assert_str_eq(sip->sip_via->v_received, "127.0.0.1");
	ck_assert_ptr_null(sip->sip_via->v_rport);
	msg_destroy(msg);
}
END_TEST

START_TEST(parser_bad_version_rport)
{
	msg_t *msg = check_parser_parse_text(
	    "OPTIONS sip:ivr@127.0.0.1 SIP/3.0\r\n"
	    "Via: SIP/3.0/UDP 127.0.0.1:5062;branch=z9hG4bK4;rport\r\n"
	    "To: <sip:ivr@127.0.0.1>\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\n"
	    "Call-ID: rport@127.0.0.1\r\nCSeq: 1 OPTIONS\r\n"
	    "Content-Length: 0\r\n\r\n");
	sip_t const *sip = sip_object(msg);

	/* The host already is the source address, so no received. */
	ck_assert_ptr_null(sip->sip_via->v_received);
	ck_assert_ptr_nonnull(sip->sip_via->v_rport);
	ck_assert_str_eq(sip->sip_via->v_rport, "40000");
	msg_destroy(msg);
}
END_TEST

START_TEST(parser_good_version_untouched)
{
	msg_t *msg = check_parser_method("OPTIONS");
	sip_t const *sip = sip_object(msg);

	/* nta adds received to these itself, after its own checks. */
	ck_assert_ptr_null(sip->sip_via->v_received);
	msg_destroy(msg);
}
END_TEST

START_TEST(parser_sofia_headers_fit)
{
	msg_t *msg = msg_create(check_parser_mclass, 0);
	sip_t *sip = sip_object(msg);
	sip_via_t *via;

	ck_assert_ptr_nonnull(sip);
	ck_assert_int_eq(sip_add_tl(msg, sip,
	    SIPTAG_VIA_STR("SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK5"),
	    SIPTAG_CSEQ_STR("3 BYE"), TAG_END()), 0);
	ck_assert_ptr_nonnull(sip->sip_via);
	ck_assert_ptr_nonnull(sip->sip_cseq);
	ck_assert_int_eq(sip->sip_cseq->cs_method, sip_method_bye);
	via = sip_via_make(msg_home(msg), "SIP/2.0/TCP 127.0.0.1:5060");
	ck_assert_int_eq(msg_header_insert(msg, (msg_pub_t *)sip,
	    (msg_header_t *)via), 0);
	ck_assert_ptr_eq(sip->sip_via, via);
	ck_assert_int_eq(msg_header_remove(msg, (msg_pub_t *)sip,
	    (msg_header_t *)via), 0);
	ck_assert_str_eq(sip->sip_via->v_protocol, "SIP/2.0/UDP");
	msg_destroy(msg);
}
END_TEST

Suite *
sip_parser_suite(void)
{
	Suite *suite = suite_create("sip_parser");
	TCase *rfc4475 = tcase_create("rfc4475");
	TCase *request = tcase_create("request");
	TCase *via = tcase_create("via");
	TCase *version = tcase_create("version");
	TCase *mclass = tcase_create("mclass");
	TCase *all[] = { rfc4475, request, via, version, mclass };

	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		tcase_add_checked_fixture(all[i], check_parser_setup,
		    check_parser_teardown);
		suite_add_tcase(suite, all[i]);
	}
	tcase_add_loop_test(rfc4475, parser_rfc4475_unchanged, 0,
	    (int)(sizeof check_parser_unchanged /
	    sizeof check_parser_unchanged[0]));
	tcase_add_test(rfc4475, parser_intmeth_request_line);
	tcase_add_test(rfc4475, parser_intmeth_without_nul);
	tcase_add_test(request, parser_token_method_unknown);
	tcase_add_test(request, parser_extra_spaces_allowed);
	tcase_add_test(request, parser_known_method_kept);
	tcase_add_test(request, parser_request_line_rejected);
	tcase_add_test(request, parser_spaced_uri_invalid);
	tcase_add_test(request, parser_bracket_uri_invalid);
	tcase_add_test(request, parser_tab_in_uri_invalid);
	tcase_add_test(request, parser_cseq_number_checked);
	tcase_add_test(request, parser_cseq_trailing_text_rejected);
	tcase_add_test(via, parser_empty_via_params_restored);
	tcase_add_test(via, parser_via_cleaned_values);
	tcase_add_test(via, parser_via_second_value_kept);
	tcase_add_test(via, parser_bad_via_stays_missing);
	tcase_add_test(via, parser_first_via_line_decides);
	tcase_add_test(version, parser_bad_version_received);
	tcase_add_test(version, parser_bad_version_rport);
	tcase_add_test(version, parser_good_version_untouched);
	tcase_add_test(mclass, parser_sofia_headers_fit);
	return suite;
}
