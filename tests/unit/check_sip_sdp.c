/* SDP offers as real callers send them (baresip, SIPp, the SDP bodies of
 * RFC 4475) and the answers the IVR builds. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "check_suites.h"
#include "media_net.h"
#include "sip_sdp.h"

#define CHECK_SDP_RFC4475 TEST_CASES_DIR "/sip/rfc4475"

/* baresip 1.0.0's offer, as captured on loopback. */
static const char check_sdp_baresip[] =
    "v=0\r\n"
    "o=- 1722413925 2718154046 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\n"
    "m=audio 20056 RTP/AVP 0 8 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=sendrecv\r\n"
    "a=label:1\r\n";

/* SIPp's built-in uac scenario, with LF line ends. */
static const char check_sdp_sipp[] =
    "v=0\n"
    "o=user1 53655765 2353687637 IN IP4 127.0.0.1\n"
    "s=-\n"
    "c=IN IP4 127.0.0.1\n"
    "t=0 0\n"
    "m=audio 6000 RTP/AVP 0\n"
    "a=rtpmap:0 PCMU/8000\n";

static char check_sdp_answer[SIP_SDP_ANSWER_SIZE];

/* Parses text, asserting the result. */
static void
check_sdp_parse(const char *text, size_t length, struct sip_sdp_offer *offer,
    int expected)
{
	char error[256] = "";
	int result = sip_sdp_parse_offer(text, length, offer, error,
	    sizeof error);

	ck_assert_msg(result == expected, "result %d, expected %d (%s)",
	    result, expected, error);
	if (expected != SIP_SDP_OK)
		ck_assert_msg(error[0] != '\0', "no reason for result %d",
		    result);
}

/* Builds the answer on 127.0.0.1:20000 into check_sdp_answer. */
static void
check_sdp_build(const struct sip_sdp_offer *offer)
{
	int length = sip_sdp_build_answer(offer, "127.0.0.1", 20000, 42, 1,
	    check_sdp_answer, sizeof check_sdp_answer);

	ck_assert_int_gt(length, 0);
	ck_assert_uint_eq(strlen(check_sdp_answer), (size_t)length);
}

static void
check_sdp_answer_has(const char *line)
{
	ck_assert_msg(strstr(check_sdp_answer, line) != NULL,
	    "answer lacks \"%s\":\n%s", line, check_sdp_answer);
}

static void
check_sdp_answer_lacks(const char *line)
{
	ck_assert_msg(strstr(check_sdp_answer, line) == NULL,
	    "answer has \"%s\":\n%s", line, check_sdp_answer);
}

/* Reads the body (after the empty line) of an RFC 4475 file into a new
 * buffer; *length gets its size. */
static char *
check_sdp_rfc4475_body(const char *name, size_t *length)
{
	char path[512], *data, *body;
	size_t size;
	FILE *file;

	snprintf(path, sizeof path, "%s/%s", CHECK_SDP_RFC4475, name);
	file = fopen(path, "rb");
	ck_assert_msg(file != NULL, "cannot open %s", path);
	data = calloc(1, 65536);
	ck_assert_ptr_nonnull(data);
	size = fread(data, 1, 65535, file);
	fclose(file);
	body = strstr(data, "\r\n\r\n");
	ck_assert_ptr_nonnull(body);
	body += 4;
	*length = size - (size_t)(body - data);
	memmove(data, body, *length);
	return data;
}

START_TEST(sdp_baresip_offer)
{
	struct sip_sdp_offer offer;
	struct sockaddr_storage remote;
	socklen_t remote_length;
	const struct sockaddr_in *in = (const struct sockaddr_in *)&remote;

	check_sdp_parse(check_sdp_baresip, strlen(check_sdp_baresip), &offer,
	    SIP_SDP_OK);
	ck_assert_int_eq(offer.payload_type, 0);
	ck_assert_int_eq(offer.event_payload_type, 101);
	ck_assert_str_eq(offer.address, "127.0.0.1");
	ck_assert_int_eq(offer.port, 20056);
	ck_assert_int_eq(offer.direction, IVR_SENDRECV);
	ck_assert_int_eq(offer.dropped_lines, 0);
	ck_assert_int_eq(sip_sdp_remote(&offer, &remote, &remote_length), 0);
	ck_assert_int_eq(in->sin_family, AF_INET);
	ck_assert_int_eq(ntohs(in->sin_port), 20056);
	ck_assert_uint_eq(remote_length, sizeof(struct sockaddr_in));
	check_sdp_build(&offer);
	check_sdp_answer_has("v=0\r\no=- 42 1 IN IP4 127.0.0.1\r\n");
	check_sdp_answer_has("\r\nc=IN IP4 127.0.0.1\r\n");
	check_sdp_answer_has("\r\nm=audio 20000 RTP/AVP 0 101\r\n");
	check_sdp_answer_has("\r\na=rtpmap:0 PCMU/8000\r\n");
	check_sdp_answer_has("\r\na=rtpmap:101 telephone-event/8000\r\n");
	check_sdp_answer_has("\r\na=fmtp:101 0-15\r\n");
	check_sdp_answer_has("\r\na=ptime:20\r\n");
	check_sdp_answer_has("\r\na=sendrecv\r\n");
	check_sdp_answer_lacks("PCMA");
}
END_TEST

START_TEST(sdp_sipp_offer)
{
	struct sip_sdp_offer offer;

	check_sdp_parse(check_sdp_sipp, strlen(check_sdp_sipp), &offer,
	    SIP_SDP_OK);
	ck_assert_int_eq(offer.payload_type, 0);
	ck_assert_int_eq(offer.event_payload_type, -1);
	ck_assert_int_eq(offer.port, 6000);
	check_sdp_build(&offer);
	check_sdp_answer_has("\r\nm=audio 20000 RTP/AVP 0\r\n");
	check_sdp_answer_lacks("telephone-event");
}
END_TEST

START_TEST(sdp_pcma_only)
{
	static const char text[] = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
	    "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 7000 RTP/AVP 8\r\n";
	struct sip_sdp_offer offer;

	check_sdp_parse(text, strlen(text), &offer, SIP_SDP_OK);
	ck_assert_int_eq(offer.payload_type, 8);
	check_sdp_build(&offer);
	check_sdp_answer_has("\r\nm=audio 20000 RTP/AVP 8\r\n");
	check_sdp_answer_has("\r\na=rtpmap:8 PCMA/8000\r\n");
}
END_TEST

START_TEST(sdp_offer_order_wins)
{
	static const char text[] = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
	    "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 7000 RTP/AVP 18 8 0 96\r\n"
	    "a=rtpmap:18 G729/8000\r\na=rtpmap:96 telephone-event/8000\r\n";
	struct sip_sdp_offer offer;

	check_sdp_parse(text, strlen(text), &offer, SIP_SDP_OK);
	ck_assert_int_eq(offer.payload_type, 8);
	ck_assert_int_eq(offer.event_payload_type, 96);
}
END_TEST

START_TEST(sdp_g722_only_rejected)
{
	static const char text[] = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
	    "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 7000 RTP/AVP 9\r\n"
	    "a=rtpmap:9 G722/8000\r\n";
	struct sip_sdp_offer offer;

	check_sdp_parse(text, strlen(text), &offer, SIP_SDP_NO_CODEC);
	ck_assert_int_eq(offer.payload_type, -1);
}
END_TEST

START_TEST(sdp_srtp_only_rejected)
{
	static const char text[] = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
	    "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 7000 RTP/SAVP 0\r\n";
	struct sip_sdp_offer offer;

	check_sdp_parse(text, strlen(text), &offer, SIP_SDP_NO_CODEC);
}
END_TEST

START_TEST(sdp_not_sdp_rejected)
{
	static const char text[] = "Signal=5\r\nDuration=160\r\n";
	struct sip_sdp_offer offer;

	check_sdp_parse(text, strlen(text), &offer, SIP_SDP_INVALID);
	check_sdp_parse(text, 0, &offer, SIP_SDP_INVALID);
}
END_TEST

START_TEST(sdp_sendonly_hold)
{
	static const char text[] = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n"
	    "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\n"
	    "a=sendonly\r\n";
	struct sip_sdp_offer offer;

	check_sdp_parse(text, strlen(text), &offer, SIP_SDP_OK);
	ck_assert_int_eq(offer.direction, IVR_SENDONLY);
	ck_assert(!offer.hold_address);
	check_sdp_build(&offer);
	check_sdp_answer_has("\r\na=recvonly\r\n");
}
END_TEST

START_TEST(sdp_session_sendonly)
{
	static const char text[] = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n"
	    "c=IN IP4 127.0.0.1\r\nt=0 0\r\na=sendonly\r\n"
	    "m=audio 7000 RTP/AVP 0\r\n";
	struct sip_sdp_offer offer;

	check_sdp_parse(text, strlen(text), &offer, SIP_SDP_OK);
	ck_assert_int_eq(offer.direction, IVR_SENDONLY);
}
END_TEST

START_TEST(sdp_recvonly_and_inactive)
{
	static const char recvonly[] = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"
	    "s=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\n"
	    "a=recvonly\r\n";
	static const char inactive[] = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"
	    "s=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\n"
	    "a=inactive\r\n";
	struct sip_sdp_offer offer;

	check_sdp_parse(recvonly, strlen(recvonly), &offer, SIP_SDP_OK);
	ck_assert_int_eq(offer.direction, IVR_RECVONLY);
	check_sdp_build(&offer);
	check_sdp_answer_has("\r\na=sendonly\r\n");
	check_sdp_parse(inactive, strlen(inactive), &offer, SIP_SDP_OK);
	ck_assert_int_eq(offer.direction, IVR_INACTIVE);
	check_sdp_build(&offer);
	check_sdp_answer_has("\r\na=inactive\r\n");
}
END_TEST

START_TEST(sdp_zero_address_hold)
{
	static const char text[] = "v=0\r\no=- 1 3 IN IP4 127.0.0.1\r\ns=-\r\n"
	    "c=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0 101\r\n"
	    "a=rtpmap:101 telephone-event/8000\r\n";
	static const char both[] = "v=0\r\no=- 1 3 IN IP4 127.0.0.1\r\ns=-\r\n"
	    "c=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\n"
	    "a=inactive\r\n";
	struct sip_sdp_offer offer;

	check_sdp_parse(text, strlen(text), &offer, SIP_SDP_OK);
	ck_assert(offer.hold_address);
	ck_assert_int_eq(offer.direction, IVR_SENDONLY);
	check_sdp_build(&offer);
	check_sdp_answer_has("\r\na=recvonly\r\n");
	check_sdp_answer_has("\r\nc=IN IP4 127.0.0.1\r\n");
	check_sdp_parse(both, strlen(both), &offer, SIP_SDP_OK);
	ck_assert_int_eq(offer.direction, IVR_INACTIVE);
}
END_TEST

START_TEST(sdp_bad_line_dropped)
{
	static const char text[] = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
	    "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 7000 RTP/AVP 8 31\r\n"
	    "a=rtpmap:31 LPC\r\n";
	struct sip_sdp_offer offer;

	check_sdp_parse(text, strlen(text), &offer, SIP_SDP_OK);
	ck_assert_int_eq(offer.dropped_lines, 1);
	ck_assert_int_eq(offer.payload_type, 8);
}
END_TEST

START_TEST(sdp_ipv6_connection)
{
	static const char text[] = "v=0\r\no=- 1 1 IN IP6 2001:db8::5\r\n"
	    "s=-\r\nc=IN IP6 2001:db8::5\r\nt=0 0\r\n"
	    "m=audio 7002 RTP/AVP 0\r\n";
	struct sip_sdp_offer offer;
	struct sockaddr_storage remote;
	socklen_t remote_length;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&remote;
	char text_address[INET6_ADDRSTRLEN];
	int length;

	check_sdp_parse(text, strlen(text), &offer, SIP_SDP_OK);
	ck_assert_int_eq(offer.family, AF_INET6);
	ck_assert_str_eq(offer.address, "2001:db8::5");
	ck_assert_int_eq(sip_sdp_remote(&offer, &remote, &remote_length), 0);
	ck_assert_int_eq(in6->sin6_family, AF_INET6);
	ck_assert_int_eq(ntohs(in6->sin6_port), 7002);
	ck_assert_ptr_nonnull(inet_ntop(AF_INET6, &in6->sin6_addr,
	    text_address, sizeof text_address));
	ck_assert_str_eq(text_address, "2001:db8::5");
	length = sip_sdp_build_answer(&offer, "::1", 20002, 7, 3,
	    check_sdp_answer, sizeof check_sdp_answer);
	ck_assert_int_gt(length, 0);
	check_sdp_answer_has("o=- 7 3 IN IP6 ::1\r\n");
	check_sdp_answer_has("\r\nc=IN IP6 ::1\r\n");
	check_sdp_answer_has("\r\nm=audio 20002 RTP/AVP 0\r\n");
}
END_TEST

START_TEST(sdp_other_streams_rejected)
{
	static const char text[] = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
	    "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n"
	    "m=video 7004 RTP/AVP 31\r\nm=audio 7006 RTP/AVP 0\r\n";
	struct sip_sdp_offer offer;
	const char *first, *second, *third;

	check_sdp_parse(text, strlen(text), &offer, SIP_SDP_OK);
	ck_assert_int_eq(offer.media_count, 3);
	ck_assert_int_eq(offer.chosen, 2);
	ck_assert_int_eq(offer.port, 7006);
	check_sdp_build(&offer);
	first = strstr(check_sdp_answer, "m=audio 0 RTP/AVP 0\r\n");
	second = strstr(check_sdp_answer, "m=video 0 RTP/AVP 31\r\n");
	third = strstr(check_sdp_answer, "m=audio 20000 RTP/AVP 0\r\n");
	ck_assert_msg(first != NULL && second != NULL && third != NULL &&
	    first < second && second < third, "m= lines out of order:\n%s",
	    check_sdp_answer);
}
END_TEST

/* Parses an offer with c=IN family address and m=audio port, checks that it
 * parses, and returns sip_sdp_check_target's result for an IPv4 hub. */
static int
check_sdp_target(const char *family, const char *address, int port,
    bool initial, char *error, size_t error_size)
{
	char text[512];
	struct sip_sdp_offer offer;

	snprintf(text, sizeof text, "v=0\r\no=- 1 1 IN %s %s\r\ns=-\r\n"
	    "c=IN %s %s\r\nt=0 0\r\nm=audio %d RTP/AVP 0\r\n", family,
	    address, family, address, port);
	check_sdp_parse(text, strlen(text), &offer, SIP_SDP_OK);
	error[0] = '\0';
	return sip_sdp_check_target(&offer, AF_INET, initial, error,
	    error_size);
}

START_TEST(sdp_target_rejected_addresses)
{
	static const struct {
		const char *family, *address, *reason;
	} cases[] = {
		{ "IP4", "224.0.0.1", "multicast" },
		{ "IP4", "239.255.255.250", "multicast" },
		{ "IP4", "255.255.255.255", "broadcast" },
		{ "IP4", "169.254.169.254", "link-local" },
		{ "IP4", "0.0.0.0", "unspecified" },
		{ "IP4", "0.1.2.3", "unspecified" },
	};
	char error[256];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_msg(check_sdp_target(cases[i].family,
		    cases[i].address, 7000, true, error, sizeof error) == 399,
		    "%s accepted", cases[i].address);
		ck_assert_msg(strstr(error, cases[i].reason) != NULL,
		    "%s: reason \"%s\"", cases[i].address, error);
	}
}
END_TEST

START_TEST(sdp_target_low_port_rejected)
{
	char error[256];

	ck_assert_int_eq(check_sdp_target("IP4", "127.0.0.99", 80, true,
	    error, sizeof error), 399);
	ck_assert_ptr_nonnull(strstr(error, "port 80"));
	ck_assert_int_eq(check_sdp_target("IP4", "127.0.0.99", 1023, true,
	    error, sizeof error), 399);
	ck_assert_int_eq(check_sdp_target("IP4", "127.0.0.99", 1024, true,
	    error, sizeof error), 0);
}
END_TEST

START_TEST(sdp_target_hold_only_in_reinvite)
{
	char error[256];

	ck_assert_int_eq(check_sdp_target("IP4", "0.0.0.0", 7000, false,
	    error, sizeof error), 0);
	ck_assert_int_eq(check_sdp_target("IP4", "0.0.0.0", 7000, true,
	    error, sizeof error), 399);
	ck_assert_int_eq(check_sdp_target("IP4", "192.0.2.10", 7000, true,
	    error, sizeof error), 0);
}
END_TEST

START_TEST(sdp_target_family_mismatch)
{
	char error[256];

	ck_assert_int_eq(check_sdp_target("IP6", "::1", 7000, true, error,
	    sizeof error), 301);
	ck_assert_ptr_nonnull(strstr(error, "IPv6"));
	ck_assert_ptr_nonnull(strstr(error, "IPv4"));
}
END_TEST

START_TEST(sdp_target_ipv6_rules)
{
	static const char *const rejected[] = {
		"fe80::1", "ff02::1", "::ffff:169.254.169.254",
	};
	struct sip_sdp_offer offer;
	char text[256], error[256];

	for (size_t i = 0; i < sizeof rejected / sizeof rejected[0]; i++) {
		snprintf(text, sizeof text, "v=0\r\no=- 1 1 IN IP6 ::1\r\n"
		    "s=-\r\nc=IN IP6 %s\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\n",
		    rejected[i]);
		check_sdp_parse(text, strlen(text), &offer, SIP_SDP_OK);
		ck_assert_msg(sip_sdp_check_target(&offer, AF_INET6, true,
		    error, sizeof error) == 399, "%s accepted", rejected[i]);
	}
	snprintf(text, sizeof text, "v=0\r\no=- 1 1 IN IP6 ::1\r\ns=-\r\n"
	    "c=IN IP6 2001:db8::5\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\n");
	check_sdp_parse(text, strlen(text), &offer, SIP_SDP_OK);
	ck_assert_int_eq(sip_sdp_check_target(&offer, AF_INET6, true, error,
	    sizeof error), 0);
}
END_TEST

START_TEST(sdp_audio_port_zero_refused)
{
	static const char text[] = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
	    "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n";
	struct sip_sdp_offer offer;
	char error[256] = "";

	ck_assert_int_eq(sip_sdp_parse_offer(text, strlen(text), &offer,
	    error, sizeof error), SIP_SDP_REFUSED);
	ck_assert_ptr_nonnull(strstr(error, "refused"));
	ck_assert_ptr_null(strstr(error, "PCMU"));
}
END_TEST

START_TEST(sdp_answer_too_small)
{
	struct sip_sdp_offer offer;
	char small[64];

	check_sdp_parse(check_sdp_baresip, strlen(check_sdp_baresip), &offer,
	    SIP_SDP_OK);
	ck_assert_int_eq(sip_sdp_build_answer(&offer, "127.0.0.1", 20000, 1, 1,
	    small, sizeof small), -1);
	ck_assert_int_eq(sip_sdp_build_answer(&offer, "localhost", 20000, 1, 1,
	    check_sdp_answer, sizeof check_sdp_answer), -1);
}
END_TEST

/* RFC 4475's INVITEs offer PCMU and G.723 with a video stream whose
 * "a=rtpmap:31 LPC" lacks a clock rate. */
START_TEST(sdp_rfc4475_bodies)
{
	static const char *const names[] = { "esc01.dat", "baddate.dat",
	    "escruri.dat", "lwsstart.dat", "longreq.dat", "sdp01.dat" };

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct sip_sdp_offer offer;
		size_t length;
		char *body = check_sdp_rfc4475_body(names[i], &length);

		check_sdp_parse(body, length, &offer, SIP_SDP_OK);
		ck_assert_msg(offer.payload_type == 0, "%s", names[i]);
		ck_assert_msg(offer.dropped_lines == 1, "%s", names[i]);
		ck_assert_msg(offer.media_count == 2, "%s", names[i]);
		ck_assert_msg(offer.port == 49217, "%s", names[i]);
		check_sdp_build(&offer);
		check_sdp_answer_has("\r\nm=video 0 RTP/AVP 31\r\n");
		free(body);
	}
}
END_TEST

START_TEST(sdp_rfc4475_inv2543)
{
	struct sip_sdp_offer offer;
	size_t length;
	char *body = check_sdp_rfc4475_body("inv2543.dat", &length);

	check_sdp_parse(body, length, &offer, SIP_SDP_OK);
	ck_assert_int_eq(offer.payload_type, 0);
	ck_assert_int_eq(offer.dropped_lines, 0);
	ck_assert_str_eq(offer.address, "192.0.2.5");
	free(body);
}
END_TEST

/* The hub's offer for an INVITE without SDP parses as an offer of PCMU
 * first, with telephone-event. */
START_TEST(sdp_offer_built)
{
	struct sip_sdp_offer parsed;
	int length = sip_sdp_build_offer("127.0.0.1", 20002, 42, 1,
	    check_sdp_answer, sizeof check_sdp_answer);

	ck_assert_int_gt(length, 0);
	ck_assert_uint_eq(strlen(check_sdp_answer), (size_t)length);
	check_sdp_answer_has("o=- 42 1 IN IP4 127.0.0.1\r\n");
	check_sdp_answer_has("c=IN IP4 127.0.0.1\r\n");
	check_sdp_answer_has("m=audio 20002 RTP/AVP 0 8 101\r\n");
	check_sdp_answer_has("a=rtpmap:8 PCMA/8000\r\n");
	check_sdp_answer_has("a=rtpmap:101 telephone-event/8000\r\n");
	check_sdp_answer_has("a=fmtp:101 0-15\r\n");
	check_sdp_answer_has("a=sendrecv\r\n");
	check_sdp_parse(check_sdp_answer, (size_t)length, &parsed, SIP_SDP_OK);
	ck_assert_int_eq(parsed.payload_type, 0);
	ck_assert_int_eq(parsed.event_payload_type, SIP_SDP_OFFER_EVENT_TYPE);
	ck_assert_int_eq(parsed.port, 20002);
}
END_TEST

START_TEST(sdp_offer_ipv6_and_limits)
{
	char small[64];

	ck_assert_int_gt(sip_sdp_build_offer("::1", 20002, 1, 1,
	    check_sdp_answer, sizeof check_sdp_answer), 0);
	check_sdp_answer_has("c=IN IP6 ::1\r\n");
	ck_assert_int_eq(sip_sdp_build_offer("127.0.0.1", 20002, 1, 1, small,
	    sizeof small), -1);
	ck_assert_int_eq(sip_sdp_build_offer("localhost", 20002, 1, 1,
	    check_sdp_answer, sizeof check_sdp_answer), -1);
}
END_TEST

/* Parses text as an answer to the hub's offer, asserting the result. */
static void
check_sdp_parse_answer(const char *text, struct sip_sdp_offer *answer,
    int expected)
{
	char error[256] = "";
	int result = sip_sdp_parse_answer(text, strlen(text), answer, error,
	    sizeof error);

	ck_assert_msg(result == expected, "result %d, expected %d (%s)",
	    result, expected, error);
	if (expected != SIP_SDP_OK)
		ck_assert_msg(error[0] != '\0', "no reason for result %d",
		    result);
}

#define CHECK_SDP_ANSWER_HEAD "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n" \
	"c=IN IP4 127.0.0.1\r\nt=0 0\r\n"

START_TEST(sdp_answer_pcma_chosen)
{
	struct sip_sdp_offer answer;

	check_sdp_parse_answer(CHECK_SDP_ANSWER_HEAD
	    "m=audio 7000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\n"
	    "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n", &answer,
	    SIP_SDP_OK);
	ck_assert_int_eq(answer.payload_type, 8);
	ck_assert_int_eq(answer.event_payload_type, SIP_SDP_OFFER_EVENT_TYPE);
	ck_assert_int_eq(answer.port, 7000);
	ck_assert_str_eq(answer.address, "127.0.0.1");
	ck_assert_int_eq(answer.direction, IVR_SENDRECV);
}
END_TEST

/* The caller sends events with the payload type of the hub's offer,
 * whatever number its answer gives them. */
START_TEST(sdp_answer_event_type_of_offer)
{
	struct sip_sdp_offer answer;

	check_sdp_parse_answer(CHECK_SDP_ANSWER_HEAD
	    "m=audio 7000 RTP/AVP 0 96\r\n"
	    "a=rtpmap:96 telephone-event/8000\r\n", &answer, SIP_SDP_OK);
	ck_assert_int_eq(answer.payload_type, 0);
	ck_assert_int_eq(answer.event_payload_type, SIP_SDP_OFFER_EVENT_TYPE);
	check_sdp_parse_answer(CHECK_SDP_ANSWER_HEAD
	    "m=audio 7000 RTP/AVP 0\r\n", &answer, SIP_SDP_OK);
	ck_assert_int_eq(answer.event_payload_type, -1);
}
END_TEST

START_TEST(sdp_answer_recvonly_kept)
{
	struct sip_sdp_offer answer;

	check_sdp_parse_answer(CHECK_SDP_ANSWER_HEAD
	    "m=audio 7000 RTP/AVP 0\r\na=recvonly\r\n", &answer, SIP_SDP_OK);
	ck_assert_int_eq(answer.direction, IVR_RECVONLY);
}
END_TEST

START_TEST(sdp_answer_rejections)
{
	static const char two_streams[] = CHECK_SDP_ANSWER_HEAD
	    "m=audio 7000 RTP/AVP 0\r\nm=video 7002 RTP/AVP 31\r\n";
	struct sip_sdp_offer answer;
	char error[256] = "";

	check_sdp_parse_answer(CHECK_SDP_ANSWER_HEAD
	    "m=audio 7000 RTP/AVP 9\r\na=rtpmap:9 G722/8000\r\n", &answer,
	    SIP_SDP_NO_CODEC);
	check_sdp_parse_answer(CHECK_SDP_ANSWER_HEAD
	    "m=audio 0 RTP/AVP 0\r\n", &answer, SIP_SDP_REFUSED);
	check_sdp_parse_answer("hello\r\n", &answer, SIP_SDP_INVALID);
	ck_assert_int_eq(sip_sdp_parse_answer(two_streams,
	    strlen(two_streams), &answer, error, sizeof error),
	    SIP_SDP_INVALID);
	ck_assert_str_eq(error, "the answer has 2 m= lines where the offer "
	    "had 1");
}
END_TEST

/* Parses a one-stream offer whose c= and m= lines are given, expecting
 * result, and asserts the reason written for the Warning. */
static void
check_sdp_reason(const char *connection, const char *media, int expected,
    const char *reason)
{
	char text[512], error[256] = "";
	struct sip_sdp_offer offer;

	snprintf(text, sizeof text, "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n"
	    "s=-\r\n%st=0 0\r\n%s", connection, media);
	ck_assert_int_eq(sip_sdp_parse_offer(text, strlen(text), &offer, error,
	    sizeof error), expected);
	ck_assert_str_eq(error, reason);
}

START_TEST(sdp_rejection_reasons)
{
	check_sdp_reason("c=IN IP4 localhost\r\n",
	    "m=audio 19300 RTP/AVP 0\r\n", SIP_SDP_UNUSABLE,
	    "a host name or an invalid address in c=, where a numeric "
	    "address is needed");
	check_sdp_reason("c=IN IP4 example.com\r\n",
	    "m=audio 19300 RTP/AVP 0\r\n", SIP_SDP_UNUSABLE,
	    "a host name or an invalid address in c=, where a numeric "
	    "address is needed");
	check_sdp_reason("c=IN IP4 127.0.0.1\r\n",
	    "m=audio 70000 RTP/AVP 0\r\n", SIP_SDP_UNUSABLE,
	    "an audio port above 65535");
	check_sdp_reason("c=IN IP4 127.0.0.1\r\n",
	    "m=audio 19300 RTP/AVP 96\r\na=rtpmap:96 PCMU/8000\r\n",
	    SIP_SDP_NO_CODEC,
	    "PCMU and PCMA only under the static payload types 0 and 8");
	check_sdp_reason("c=IN IP4 127.0.0.1\r\n",
	    "m=audio 19300 RTP/AVP 9\r\na=rtpmap:9 G722/8000\r\n",
	    SIP_SDP_NO_CODEC, SIP_SDP_NO_CODEC_TEXT);
	check_sdp_reason("c=IN IP4 127.0.0.1\r\n",
	    "m=audio 19300 RTP/SAVP 0\r\n", SIP_SDP_NO_CODEC,
	    SIP_SDP_NO_CODEC_TEXT);
	/* A usable second stream is still chosen after an unusable one. */
	check_sdp_reason("c=IN IP4 127.0.0.1\r\n",
	    "m=audio 70000 RTP/AVP 0\r\nm=audio 19300 RTP/AVP 8\r\n",
	    SIP_SDP_OK, "");
}
END_TEST

static struct sockaddr_storage check_sdp_address;

/* check_sdp_address set to address (IPv4 or IPv6) and port 5060. */
static const struct sockaddr *
check_sdp_sockaddr(const char *address)
{
	memset(&check_sdp_address, 0, sizeof check_sdp_address);
	if (strchr(address, ':') != NULL) {
		struct sockaddr_in6 *in6 =
		    (struct sockaddr_in6 *)&check_sdp_address;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(5060);
		ck_assert_int_eq(inet_pton(AF_INET6, address, &in6->sin6_addr),
		    1);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&check_sdp_address;

		in->sin_family = AF_INET;
		in->sin_port = htons(5060);
		ck_assert_int_eq(inet_pton(AF_INET, address, &in->sin_addr), 1);
	}
	return (const struct sockaddr *)&check_sdp_address;
}

START_TEST(media_net_parse_forms)
{
	static const char *valid[] = { "10.20.0.0/16", "127.0.0.2",
	    "0.0.0.0/0", "192.0.2.128/25", "2001:db8::/32", "::1",
	    "fd00::/8", "10.0.0.1/32" };
	static const char *invalid[] = { "", "/16", "10.20.0.0/", "10.20.1.0/16",
	    "10.20.0.0/33", "10.20.0.0/-1", "10.20.0.0/16x", "10.20.0/16",
	    "example.com", "2001:db8::1/32", "::/129", "10.20.0.0/ 16",
	    "10.20.0.0/16/8" };
	struct media_net net;

	for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++)
		ck_assert_msg(media_net_parse(valid[i], &net) == 0,
		    "\"%s\" refused", valid[i]);
	for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
		ck_assert_msg(media_net_parse(invalid[i], &net) != 0,
		    "\"%s\" taken", invalid[i]);
	ck_assert_int_eq(media_net_parse("192.0.2.128/25", &net), 0);
	ck_assert_int_eq(net.family, AF_INET);
	ck_assert_uint_eq(net.prefix, 25);
	ck_assert_int_eq(media_net_parse("127.0.0.2", &net), 0);
	ck_assert_uint_eq(net.prefix, 32);
}
END_TEST

START_TEST(media_net_matching)
{
	struct media_net nets[3];

	ck_assert_int_eq(media_net_parse("10.20.0.0/16", &nets[0]), 0);
	ck_assert_int_eq(media_net_parse("192.0.2.128/25", &nets[1]), 0);
	ck_assert_int_eq(media_net_parse("2001:db8::/32", &nets[2]), 0);
	ck_assert(media_net_contains(nets, 3, check_sdp_sockaddr("10.20.0.0")));
	ck_assert(media_net_contains(nets, 3,
	    check_sdp_sockaddr("10.20.255.255")));
	ck_assert(!media_net_contains(nets, 3, check_sdp_sockaddr("10.21.0.1")));
	ck_assert(media_net_contains(nets, 3,
	    check_sdp_sockaddr("192.0.2.200")));
	ck_assert(!media_net_contains(nets, 3,
	    check_sdp_sockaddr("192.0.2.127")));
	ck_assert(media_net_contains(nets, 3,
	    check_sdp_sockaddr("2001:db8:ffff::1")));
	ck_assert(!media_net_contains(nets, 3,
	    check_sdp_sockaddr("2001:db9::1")));
	/* An IPv4-mapped IPv6 address is its IPv4 address. */
	ck_assert(media_net_contains(nets, 3,
	    check_sdp_sockaddr("::ffff:10.20.3.4")));
	ck_assert(!media_net_contains(nets, 0, check_sdp_sockaddr("10.20.0.1")));
	ck_assert_int_eq(media_net_parse("0.0.0.0/0", &nets[0]), 0);
	ck_assert(media_net_contains(nets, 1, check_sdp_sockaddr("8.8.8.8")));
	ck_assert(!media_net_contains(nets, 1, check_sdp_sockaddr("::1")));
}
END_TEST

START_TEST(media_net_same_hosts)
{
	struct sockaddr_storage a;

	memcpy(&a, check_sdp_sockaddr("127.0.0.1"), sizeof a);
	((struct sockaddr_in *)&a)->sin_port = htons(40000);
	ck_assert(media_net_same_host((const struct sockaddr *)&a,
	    check_sdp_sockaddr("127.0.0.1")));
	ck_assert(!media_net_same_host((const struct sockaddr *)&a,
	    check_sdp_sockaddr("127.0.0.2")));
	ck_assert(media_net_same_host((const struct sockaddr *)&a,
	    check_sdp_sockaddr("::ffff:127.0.0.1")));
	ck_assert(!media_net_same_host((const struct sockaddr *)&a,
	    check_sdp_sockaddr("::1")));
}
END_TEST

/* sip_sdp_check_source on an offer to address:19300 from source. */
static int
check_sdp_source(const char *address, const char *source,
    const struct media_net *nets, int count, bool initial, char *error)
{
	char text[512];
	struct sip_sdp_offer offer;
	const char *family = strchr(address, ':') != NULL ? "IP6" : "IP4";

	snprintf(text, sizeof text, "v=0\r\no=- 1 1 IN %s %s\r\ns=-\r\n"
	    "c=IN %s %s\r\nt=0 0\r\nm=audio 19300 RTP/AVP 0\r\n", family,
	    address, family, address);
	check_sdp_parse(text, strlen(text), &offer, SIP_SDP_OK);
	error[0] = '\0';
	return sip_sdp_check_source(&offer, source != NULL ?
	    check_sdp_sockaddr(source) : NULL, nets, count, initial, error,
	    256);
}

START_TEST(sdp_source_rules)
{
	struct media_net nets[1];
	char error[256];

	ck_assert_int_eq(check_sdp_source("127.0.0.1", "127.0.0.1", NULL, 0,
	    true, error), 0);
	ck_assert_int_eq(check_sdp_source("127.0.0.2", "127.0.0.1", NULL, 0,
	    true, error), 399);
	ck_assert_str_eq(error, "RTP to 127.0.0.2 is not sent: the address is "
	    "neither the SIP source 127.0.0.1 nor in "
	    "channels.sip.media_networks");
	ck_assert_int_eq(check_sdp_source("10.1.2.3", NULL, NULL, 0, true,
	    error), 399);
	ck_assert_ptr_nonnull(strstr(error, "SIP source unknown"));
	ck_assert_int_eq(media_net_parse("127.0.0.0/30", &nets[0]), 0);
	ck_assert_int_eq(check_sdp_source("127.0.0.2", "127.0.0.1", nets, 1,
	    true, error), 0);
	ck_assert_int_eq(check_sdp_source("127.0.0.4", "127.0.0.1", nets, 1,
	    true, error), 399);
	ck_assert_int_eq(check_sdp_source("::1", "::1", NULL, 0, true,
	    error), 0);
	ck_assert_int_eq(check_sdp_source("::1", "127.0.0.1", NULL, 0, true,
	    error), 399);
	/* 0.0.0.0 in a re-INVITE is a hold, not a destination. */
	ck_assert_int_eq(check_sdp_source("0.0.0.0", "127.0.0.1", NULL, 0,
	    false, error), 0);
	ck_assert_int_eq(check_sdp_source("0.0.0.0", "127.0.0.1", NULL, 0,
	    true, error), 399);
}
END_TEST

Suite *
sip_sdp_suite(void)
{
	Suite *suite = suite_create("sip_sdp");
	TCase *tc = tcase_create("sdp");

	tcase_add_test(tc, sdp_baresip_offer);
	tcase_add_test(tc, sdp_sipp_offer);
	tcase_add_test(tc, sdp_pcma_only);
	tcase_add_test(tc, sdp_offer_order_wins);
	tcase_add_test(tc, sdp_g722_only_rejected);
	tcase_add_test(tc, sdp_srtp_only_rejected);
	tcase_add_test(tc, sdp_not_sdp_rejected);
	tcase_add_test(tc, sdp_sendonly_hold);
	tcase_add_test(tc, sdp_session_sendonly);
	tcase_add_test(tc, sdp_recvonly_and_inactive);
	tcase_add_test(tc, sdp_zero_address_hold);
	tcase_add_test(tc, sdp_bad_line_dropped);
	tcase_add_test(tc, sdp_ipv6_connection);
	tcase_add_test(tc, sdp_other_streams_rejected);
	tcase_add_test(tc, sdp_answer_too_small);
	tcase_add_test(tc, sdp_target_rejected_addresses);
	tcase_add_test(tc, sdp_target_low_port_rejected);
	tcase_add_test(tc, sdp_target_hold_only_in_reinvite);
	tcase_add_test(tc, sdp_target_family_mismatch);
	tcase_add_test(tc, sdp_target_ipv6_rules);
	tcase_add_test(tc, sdp_audio_port_zero_refused);
	tcase_add_test(tc, sdp_rfc4475_bodies);
	tcase_add_test(tc, sdp_rfc4475_inv2543);
	tcase_add_test(tc, sdp_offer_built);
	tcase_add_test(tc, sdp_offer_ipv6_and_limits);
	tcase_add_test(tc, sdp_answer_pcma_chosen);
	tcase_add_test(tc, sdp_answer_event_type_of_offer);
	tcase_add_test(tc, sdp_answer_recvonly_kept);
	tcase_add_test(tc, sdp_answer_rejections);
	tcase_add_test(tc, sdp_rejection_reasons);
	tcase_add_test(tc, sdp_source_rules);
	tcase_add_test(tc, media_net_parse_forms);
	tcase_add_test(tc, media_net_matching);
	tcase_add_test(tc, media_net_same_hosts);
	suite_add_tcase(suite, tc);
	return suite;
}
