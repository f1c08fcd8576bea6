/*
 * RTP of the IVR: packet and event parsing, the once-per-press key rule,
 * in-band detection, the WAV writer, and sessions on real UDP sockets on
 * 127.0.0.1 driven by a real event_base with precise timers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <spandsp.h>

#include "check_loop.h"
#include "check_suites.h"
#include "media_net.h"
#include "media_thread.h"
#include "rtp.h"
#include "rtp_dtmf.h"
#include "rtp_packet.h"
#include "rtp_wav.h"

#define CHECK_RTP_SINK_MAX 256
#define CHECK_RTP_KEYS "0123456789*#"
#define CHECK_RTP_EVENT_PT 101

/* --- Packets ---------------------------------------------------------------- */

START_TEST(rtp_header_round_trip)
{
	uint8_t data[RTP_HEADER_SIZE + 4] = { 0 };
	struct rtp_header header = {
		.marker = true,
		.payload_type = 8,
		.sequence = 0xfffe,
		.timestamp = 0x89abcdef,
		.ssrc = 0x0e05384e,
	};
	struct rtp_packet packet;

	ck_assert_uint_eq(rtp_packet_build_header(data, &header),
	    RTP_HEADER_SIZE);
	ck_assert_uint_eq(data[0], 0x80);
	ck_assert_uint_eq(data[1], 0x88);
	memcpy(data + RTP_HEADER_SIZE, "\xd5\xd5\x01\x02", 4);

	ck_assert_int_eq(rtp_packet_parse(data, sizeof(data), &packet), 0);
	ck_assert(packet.header.marker);
	ck_assert_uint_eq(packet.header.payload_type, 8);
	ck_assert_uint_eq(packet.header.sequence, 0xfffe);
	ck_assert_uint_eq(packet.header.timestamp, 0x89abcdef);
	ck_assert_uint_eq(packet.header.ssrc, 0x0e05384e);
	ck_assert_uint_eq(packet.payload_len, 4);
	ck_assert_ptr_eq(packet.payload, data + RTP_HEADER_SIZE);
}
END_TEST

START_TEST(rtp_parse_rejects_invalid)
{
	static const struct {
		const char *name;
		uint8_t data[24];
		size_t len;
	} cases[] = {
		{ "empty", { 0 }, 0 },
		{ "short", { 0x80, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0 }, 11 },
		{ "version 1", { 0x40, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 }, 12 },
		{ "version 0", { 0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 }, 12 },
		{ "CSRC past end", { 0x82, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1,
		    0, 0, 0, 1 }, 16 },
		{ "extension header missing", { 0x90, 0x00, 0, 1, 0, 0, 0, 0,
		    0, 0, 0, 1, 0xbe, 0xde }, 14 },
		{ "extension past end", { 0x90, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		    0, 1, 0xbe, 0xde, 0, 2, 1, 2, 3, 4 }, 20 },
		{ "padding zero", { 0xa0, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1,
		    0xff, 0x00 }, 14 },
		{ "padding past header", { 0xa0, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		    0, 1, 0xff, 0x03 }, 14 },
	};
	struct rtp_packet packet;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(rtp_packet_parse(cases[i].data, cases[i].len,
		    &packet) == -1, "accepted: %s", cases[i].name);
}
END_TEST

START_TEST(rtp_parse_skips_csrc_extension_padding)
{
	/* Two CSRCs, a one-word extension, 3 payload bytes, 2 of padding. */
	static const uint8_t data[] = {
		0xb2, 0x00, 0x00, 0x07, 0, 0, 0, 160, 0, 0, 0, 9,
		0, 0, 0, 1, 0, 0, 0, 2,
		0xbe, 0xde, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44,
		0xaa, 0xbb, 0xcc, 0x00, 0x02,
	};
	struct rtp_packet packet;

	ck_assert_int_eq(rtp_packet_parse(data, sizeof(data), &packet), 0);
	ck_assert_uint_eq(packet.header.sequence, 7);
	ck_assert_uint_eq(packet.header.timestamp, 160);
	ck_assert_uint_eq(packet.header.ssrc, 9);
	ck_assert_uint_eq(packet.payload_len, 3);
	ck_assert_uint_eq(packet.payload[0], 0xaa);
	ck_assert_uint_eq(packet.payload[2], 0xcc);
}
END_TEST

START_TEST(rtp_event_parse_fields)
{
	static const uint8_t end_pound[] = { 11, 0x8a, 0x08, 0xc0 };
	static const uint8_t short_payload[] = { 1, 0x0a, 0x00 };
	struct rtp_event event;

	ck_assert_int_eq(rtp_event_parse(end_pound, sizeof(end_pound), &event),
	    0);
	ck_assert_uint_eq(event.event, 11);
	ck_assert(event.end);
	ck_assert_uint_eq(event.volume, 10);
	ck_assert_uint_eq(event.duration, 2240);
	ck_assert_int_eq(rtp_event_parse(short_payload, sizeof(short_payload),
	    &event), -1);

	ck_assert_int_eq(rtp_event_digit(0), '0');
	ck_assert_int_eq(rtp_event_digit(9), '9');
	ck_assert_int_eq(rtp_event_digit(10), '*');
	ck_assert_int_eq(rtp_event_digit(11), '#');
	ck_assert_int_eq(rtp_event_digit(12), 'A');
	ck_assert_int_eq(rtp_event_digit(15), 'D');
	ck_assert_int_eq(rtp_event_digit(16), '\0');
}
END_TEST

START_TEST(rtp_event_filter_once_per_press)
{
	struct rtp_event_filter filter = { 0 };
	int presses = 0;

	/* SIPp's pcap: 10 packets of one press share SSRC and timestamp. */
	for (int i = 0; i < 10; i++)
		presses += rtp_event_filter_is_new(&filter, 0x0e05384e, 13280);
	ck_assert_int_eq(presses, 1);

	ck_assert(rtp_event_filter_is_new(&filter, 0x0e05384e, 23200));
	ck_assert(!rtp_event_filter_is_new(&filter, 0x0e05384e, 23200));
	ck_assert(rtp_event_filter_is_new(&filter, 0x12345678, 23200));
	/* A late end packet of the first press. */
	ck_assert(!rtp_event_filter_is_new(&filter, 0x0e05384e, 13280));
}
END_TEST

/* --- In-band detection -------------------------------------------------- */

/* Generates CHECK_RTP_KEYS with spandsp's dtmf_tx, then 200 ms of silence.
 * Returns the number of samples in audio. */
static size_t
check_rtp_tones(int16_t *audio, size_t size)
{
	dtmf_tx_state_t *tx = dtmf_tx_init(NULL);
	size_t count = 0;
	int n;

	ck_assert_ptr_nonnull(tx);
	ck_assert_int_eq(dtmf_tx_put(tx, CHECK_RTP_KEYS, -1), 0);
	while (count + 160 <= size && (n = dtmf_tx(tx, audio + count, 160)) > 0)
		count += (size_t)n;
	dtmf_tx_free(tx);
	ck_assert_uint_le(count + 1600, size);
	memset(audio + count, 0, 1600 * sizeof(audio[0]));
	return count + 1600;
}

/* Runs tones through G.711 (law 0: u-law, 8: A-law) and the detector in
 * 20 ms packets; returns the keys found. */
static void
check_rtp_detect(int law, char *found, size_t size)
{
	static int16_t audio[8000 * 4];
	size_t count = check_rtp_tones(audio, sizeof(audio) / sizeof(audio[0]));
	struct rtp_dtmf *dtmf = rtp_dtmf_new();
	size_t found_count = 0;

	ck_assert_ptr_nonnull(dtmf);
	for (size_t at = 0; at + 160 <= count; at += 160) {
		int16_t decoded[160];
		char keys[RTP_DTMF_KEYS_MAX];
		size_t n;

		for (size_t i = 0; i < 160; i++)
			decoded[i] = law == 8 ?
			    alaw_to_linear(linear_to_alaw(audio[at + i])) :
			    ulaw_to_linear(linear_to_ulaw(audio[at + i]));
		n = rtp_dtmf_feed(dtmf, decoded, 160, keys);
		for (size_t k = 0; k < n && found_count + 1 < size; k++)
			found[found_count++] = keys[k];
	}
	found[found_count] = '\0';
	rtp_dtmf_free(dtmf);
}

START_TEST(rtp_dtmf_tones_pcmu)
{
	char found[32];

	check_rtp_detect(0, found, sizeof(found));
	ck_assert_str_eq(found, CHECK_RTP_KEYS);
}
END_TEST

START_TEST(rtp_dtmf_tones_pcma)
{
	char found[32];

	check_rtp_detect(8, found, sizeof(found));
	ck_assert_str_eq(found, CHECK_RTP_KEYS);
}
END_TEST

/* --- WAV writer --------------------------------------------------------- */

static uint32_t
check_rtp_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint16_t
check_rtp_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Reads the whole file at path into data. Returns its size. */
static size_t
check_rtp_read_file(const char *path, uint8_t *data, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	n = read(fd, data, size);
	close(fd);
	ck_assert_int_ge(n, 0);
	return (size_t)n;
}

static void
check_rtp_temp_path(char *path, size_t size, const char *name)
{
	snprintf(path, size, "%s/check_rtp_%ld_%s.wav",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp",
	    (long)getpid(), name);
}

START_TEST(rtp_wav_header_fields)
{
	static uint8_t data[RTP_WAV_HEADER_SIZE + 20000];
	int16_t samples[3000];
	char path[256];
	struct rtp_wav *wav;
	struct stat st;
	size_t len;

	for (size_t i = 0; i < 3000; i++)
		samples[i] = (int16_t)(i * 7 - 9000);
	check_rtp_temp_path(path, sizeof(path), "header");
	wav = rtp_wav_open(path, 8000);
	ck_assert_ptr_nonnull(wav);
	ck_assert_int_eq(rtp_wav_write(wav, samples, 3000), 0);
	ck_assert_int_eq(rtp_wav_write_silence(wav, 100), 0);
	ck_assert_uint_eq(rtp_wav_samples(wav), 3100);
	ck_assert_int_eq(rtp_wav_close(wav), 0);

	len = check_rtp_read_file(path, data, sizeof(data));
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	unlink(path);
	ck_assert_uint_eq(len, RTP_WAV_HEADER_SIZE + 6200);
	ck_assert_int_eq(memcmp(data, "RIFF", 4), 0);
	ck_assert_uint_eq(check_rtp_le32(data + 4), 36 + 6200);
	ck_assert_int_eq(memcmp(data + 8, "WAVEfmt ", 8), 0);
	ck_assert_uint_eq(check_rtp_le32(data + 16), 16);
	ck_assert_uint_eq(check_rtp_le16(data + 20), 1);
	ck_assert_uint_eq(check_rtp_le16(data + 22), 1);
	ck_assert_uint_eq(check_rtp_le32(data + 24), 8000);
	ck_assert_uint_eq(check_rtp_le32(data + 28), 16000);
	ck_assert_uint_eq(check_rtp_le16(data + 32), 2);
	ck_assert_uint_eq(check_rtp_le16(data + 34), 16);
	ck_assert_int_eq(memcmp(data + 36, "data", 4), 0);
	ck_assert_uint_eq(check_rtp_le32(data + 40), 6200);
	ck_assert_int_eq((int16_t)check_rtp_le16(data + 44), -9000);
	ck_assert_int_eq((int16_t)check_rtp_le16(data + 44 + 2 * 2999),
	    2999 * 7 - 9000);
	ck_assert_int_eq((int16_t)check_rtp_le16(data + 44 + 2 * 3050), 0);
}
END_TEST

START_TEST(rtp_wav_length_limit)
{
	static uint8_t data[RTP_WAV_HEADER_SIZE + 4000];
	int16_t samples[600] = { 0 };
	char path[256];
	struct rtp_wav *wav;

	check_rtp_temp_path(path, sizeof(path), "limit");
	wav = rtp_wav_open(path, 1000);
	ck_assert_ptr_nonnull(wav);
	ck_assert_int_eq(rtp_wav_write(wav, samples, 600), 0);
	ck_assert_int_eq(rtp_wav_write(wav, samples, 600), 1);
	ck_assert_uint_eq(rtp_wav_samples(wav), 1000);
	ck_assert_int_eq(rtp_wav_write_silence(wav, 10), 1);
	ck_assert_uint_eq(rtp_wav_samples(wav), 1000);
	ck_assert_int_eq(rtp_wav_close(wav), 0);

	ck_assert_uint_eq(check_rtp_read_file(path, data, sizeof(data)),
	    RTP_WAV_HEADER_SIZE + 2000);
	unlink(path);
	ck_assert_uint_eq(check_rtp_le32(data + 40), 2000);
}
END_TEST

START_TEST(rtp_wav_open_fails)
{
	errno = 0;
	ck_assert_ptr_null(rtp_wav_open("/nonexistent-dir/x.wav", 100));
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* --- Sessions on UDP sockets --------------------------------------------- */

/* A socket on the caller's side that keeps what the session sends it. */
struct check_rtp_sink {
	int fd;
	struct sockaddr_in addr;
	struct event *event;
	size_t count;
	size_t target;			/* done at this count */
	bool done;
	struct rtp_header headers[CHECK_RTP_SINK_MAX];
	uint8_t payloads[CHECK_RTP_SINK_MAX][160];
	size_t lengths[CHECK_RTP_SINK_MAX];
};

/* What the session reported to its call. */
struct check_rtp_call {
	char digits[64];
	enum ivr_dtmf_method methods[64];
	size_t digit_count;
	size_t digit_target;
	int played;
	int recorded;
	int timeouts;
	bool done;
	bool free_on_digit;
	struct rtp_session **session;
};

static struct event_base *check_rtp_base;
static struct media_stats check_rtp_stats;
static struct check_rtp_sink check_rtp_caller;	/* the SDP address */
static struct check_rtp_call check_rtp_call;
static struct rtp_session *check_rtp_session;
static int check_rtp_session_fd;
static struct sockaddr_in check_rtp_session_addr;

static int
check_rtp_socket_at(struct sockaddr_in *addr, uint32_t host)
{
	socklen_t len = sizeof(*addr);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(host);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)addr, sizeof(*addr)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)addr, &len), 0);
	return fd;
}

static int
check_rtp_socket(struct sockaddr_in *addr)
{
	return check_rtp_socket_at(addr, INADDR_LOOPBACK);
}

static void
check_rtp_sink_read(evutil_socket_t fd, short what, void *arg)
{
	struct check_rtp_sink *sink = arg;
	uint8_t data[1500];
	struct rtp_packet packet;
	ssize_t n;

	(void)what;
	while ((n = recv(fd, data, sizeof(data), 0)) > 0) {
		if (sink->count == CHECK_RTP_SINK_MAX)
			continue;
		ck_assert_int_eq(rtp_packet_parse(data, (size_t)n, &packet), 0);
		sink->headers[sink->count] = packet.header;
		sink->lengths[sink->count] = packet.payload_len;
		memcpy(sink->payloads[sink->count], packet.payload,
		    packet.payload_len < 160 ? packet.payload_len : 160);
		if (++sink->count == sink->target)
			sink->done = true;
	}
}

static void
check_rtp_sink_open_at(struct check_rtp_sink *sink, uint32_t host)
{
	memset(sink, 0, sizeof(*sink));
	sink->fd = check_rtp_socket_at(&sink->addr, host);
	sink->event = event_new(check_rtp_base, sink->fd, EV_READ | EV_PERSIST,
	    check_rtp_sink_read, sink);
	ck_assert_ptr_nonnull(sink->event);
	event_add(sink->event, NULL);
}

static void
check_rtp_sink_open(struct check_rtp_sink *sink)
{
	check_rtp_sink_open_at(sink, INADDR_LOOPBACK);
}

static void
check_rtp_sink_close(struct check_rtp_sink *sink)
{
	if (sink->event != NULL)
		event_free(sink->event);
	if (sink->fd > 0)
		close(sink->fd);
	sink->event = NULL;
	sink->fd = -1;
}

/* Runs the loop until sink has total packets. */
static bool
check_rtp_wait_total(struct check_rtp_sink *sink, size_t total,
    int timeout_ms)
{
	if (sink->count >= total)
		return true;
	sink->target = total;
	sink->done = false;
	return check_loop_run(check_rtp_base, &sink->done, timeout_ms);
}

/* Runs the loop until sink has count more packets. */
static bool
check_rtp_wait_packets(struct check_rtp_sink *sink, size_t count,
    int timeout_ms)
{
	return check_rtp_wait_total(sink, sink->count + count, timeout_ms);
}

/* Runs the loop for ms milliseconds. */
static void
check_rtp_run_for(int ms)
{
	bool never = false;

	check_loop_run(check_rtp_base, &never, ms);
}

static void
check_rtp_on_digit(void *arg, char digit, enum ivr_dtmf_method method)
{
	struct check_rtp_call *call = arg;

	if (call->digit_count < sizeof(call->digits) - 1) {
		call->methods[call->digit_count] = method;
		call->digits[call->digit_count++] = digit;
	}
	if (call->digit_count == call->digit_target)
		call->done = true;
	if (call->free_on_digit) {
		rtp_session_free(*call->session);
		*call->session = NULL;
	}
}

static void
check_rtp_on_played(void *arg)
{
	struct check_rtp_call *call = arg;

	call->played++;
	call->done = true;
}

static void
check_rtp_on_recorded(void *arg)
{
	struct check_rtp_call *call = arg;

	call->recorded++;
	call->done = true;
}

static void
check_rtp_on_timeout(void *arg)
{
	struct check_rtp_call *call = arg;

	call->timeouts++;
	call->done = true;
}

static const struct rtp_session_events check_rtp_events = {
	.digit = check_rtp_on_digit,
	.played = check_rtp_on_played,
	.recorded = check_rtp_on_recorded,
	.timeout = check_rtp_on_timeout,
};

static struct event_base *
check_rtp_new_base(void)
{
	struct event_config *config = event_config_new();
	struct event_base *base;

	ck_assert_ptr_nonnull(config);
	event_config_set_flag(config, EVENT_BASE_FLAG_PRECISE_TIMER);
	base = event_base_new_with_config(config);
	event_config_free(config);
	ck_assert_ptr_nonnull(base);
	return base;
}

/* channels.sip.media_networks of the next check_rtp_open. */
static struct media_net check_rtp_networks[1];
static int check_rtp_network_count;

static void
check_rtp_setup(void)
{
	check_rtp_network_count = 0;
	check_rtp_base = check_rtp_new_base();
	memset(&check_rtp_stats, 0, sizeof(check_rtp_stats));
	memset(&check_rtp_call, 0, sizeof(check_rtp_call));
	check_rtp_call.session = &check_rtp_session;
	check_rtp_session = NULL;
	check_rtp_sink_open(&check_rtp_caller);
	check_rtp_session_fd = check_rtp_socket(&check_rtp_session_addr);
}

static void
check_rtp_teardown(void)
{
	rtp_session_free(check_rtp_session);
	check_rtp_session = NULL;
	check_rtp_sink_close(&check_rtp_caller);
	event_base_free(check_rtp_base);
}

/* Starts the session toward the caller sink. */
static void
check_rtp_open(int payload_type, int event_payload_type, int64_t timeout_ms)
{
	struct rtp_session_params params = {
		.call = 7,
		.fd = check_rtp_session_fd,
		.remote = (const struct sockaddr *)&check_rtp_caller.addr,
		.remote_len = sizeof(check_rtp_caller.addr),
		.payload_type = payload_type,
		.event_payload_type = event_payload_type,
		.media_timeout_ms = timeout_ms,
		.stats = &check_rtp_stats,
		.networks = check_rtp_networks,
		.network_count = check_rtp_network_count,
	};

	check_rtp_session = rtp_session_new(check_rtp_base, &params,
	    &check_rtp_events, &check_rtp_call);
	ck_assert_ptr_nonnull(check_rtp_session);
}

/* Sends one RTP packet from fd to the session. */
static void
check_rtp_send(int fd, const struct rtp_header *header, const uint8_t *payload,
    size_t len)
{
	uint8_t data[RTP_HEADER_SIZE + 1500];

	rtp_packet_build_header(data, header);
	memcpy(data + RTP_HEADER_SIZE, payload, len);
	ck_assert_int_eq(sendto(fd, data, RTP_HEADER_SIZE + len, 0,
	    (struct sockaddr *)&check_rtp_session_addr,
	    sizeof(check_rtp_session_addr)), (ssize_t)(RTP_HEADER_SIZE + len));
}

/* Sends one RFC 4733 packet: event, end bit, duration. */
static void
check_rtp_send_event(uint32_t ssrc, uint16_t sequence, uint32_t timestamp,
    uint8_t event, bool end, uint16_t duration)
{
	struct rtp_header header = {
		.payload_type = CHECK_RTP_EVENT_PT,
		.sequence = sequence,
		.timestamp = timestamp,
		.ssrc = ssrc,
	};
	uint8_t payload[4] = {
		event, (uint8_t)((end ? 0x80 : 0) | 10),
		(uint8_t)(duration >> 8), (uint8_t)duration,
	};

	check_rtp_send(check_rtp_caller.fd, &header, payload, sizeof(payload));
}

/* Sends the packets of one press as SIPp's bundled pcaps do: updates with
 * durations 0, 320, ..., then three end packets with one sequence number. */
static void
check_rtp_send_press(uint32_t ssrc, uint16_t sequence, uint32_t timestamp,
    uint8_t event)
{
	for (int i = 0; i < 7; i++)
		check_rtp_send_event(ssrc, (uint16_t)(sequence + i), timestamp,
		    event, false, (uint16_t)(i * 320));
	for (int i = 0; i < 3; i++)
		check_rtp_send_event(ssrc, (uint16_t)(sequence + 7), timestamp,
		    event, true, 2240);
}

/* Sends 160 samples as one PCMU packet from fd. */
static void
check_rtp_send_audio(int fd, uint32_t ssrc, uint16_t sequence,
    uint32_t timestamp, const int16_t *samples)
{
	struct rtp_header header = {
		.payload_type = RTP_PT_PCMU,
		.sequence = sequence,
		.timestamp = timestamp,
		.ssrc = ssrc,
	};
	uint8_t payload[160];

	for (size_t i = 0; i < 160; i++)
		payload[i] = samples != NULL ? linear_to_ulaw(samples[i]) : 0xff;
	check_rtp_send(fd, &header, payload, sizeof(payload));
}

static uint64_t
check_rtp_spacings(void)
{
	return check_rtp_stats.spacing_within_1ms +
	    check_rtp_stats.spacing_within_2ms +
	    check_rtp_stats.spacing_beyond_2ms;
}

START_TEST(rtp_session_paced_silence)
{
	struct check_rtp_sink *sink = &check_rtp_caller;
	int tos = 0;
	socklen_t tos_len = sizeof(tos);

	check_rtp_open(RTP_PT_PCMU, -1, 0);
	ck_assert_int_eq(getsockopt(check_rtp_session_fd, IPPROTO_IP, IP_TOS,
	    &tos, &tos_len), 0);
	ck_assert_int_eq(tos, 0xb8);
	ck_assert(check_rtp_wait_packets(sink, 20, 2000));
	rtp_session_free(check_rtp_session);
	check_rtp_session = NULL;
	check_rtp_run_for(30);

	/* Nothing lost on loopback: every send reached the sink, and every
	 * send but the first has its spacing in the histogram. */
	ck_assert_uint_eq(check_rtp_stats.packets_sent, sink->count);
	ck_assert_uint_eq(check_rtp_stats.packets_skipped, 0);
	ck_assert_uint_eq(check_rtp_spacings(), sink->count - 1);
	for (size_t i = 0; i < sink->count; i++) {
		ck_assert_uint_eq(sink->headers[i].payload_type, 0);
		ck_assert_uint_eq(sink->lengths[i], 160);
		ck_assert_uint_eq(sink->payloads[i][0], 0xff);
		ck_assert_uint_eq(sink->payloads[i][159], 0xff);
		ck_assert_uint_eq(sink->headers[i].ssrc, sink->headers[0].ssrc);
	}
	for (size_t i = 1; i < sink->count; i++) {
		ck_assert_uint_eq(sink->headers[i].sequence,
		    (uint16_t)(sink->headers[i - 1].sequence + 1));
		ck_assert_uint_eq(sink->headers[i].timestamp,
		    sink->headers[i - 1].timestamp + 160);
	}
}
END_TEST

static void
check_rtp_stall(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	usleep(150 * 1000);
}

START_TEST(rtp_session_skips_after_stall)
{
	struct check_rtp_sink *sink = &check_rtp_caller;
	const struct timeval now = { 0, 0 };
	struct event *stall;
	size_t before;
	bool jumped = false;

	check_rtp_open(RTP_PT_PCMU, -1, 0);
	ck_assert(check_rtp_wait_packets(sink, 2, 1000));
	before = sink->count;
	stall = evtimer_new(check_rtp_base, check_rtp_stall, NULL);
	ck_assert_ptr_nonnull(stall);
	evtimer_add(stall, &now);
	ck_assert(check_rtp_wait_packets(sink, 3, 1000));
	event_free(stall);

	/* 150 ms late is more than three packets: the late ones are skipped,
	 * not sent in a burst, and the stall is in the spacing. */
	ck_assert_uint_ge(check_rtp_stats.packets_skipped, 4);
	ck_assert_uint_ge(check_rtp_stats.spacing_max_us, 100000);
	for (size_t i = before; i < sink->count; i++) {
		ck_assert_uint_eq(sink->headers[i].sequence,
		    (uint16_t)(sink->headers[i - 1].sequence + 1));
		if (sink->headers[i].timestamp - sink->headers[i - 1].timestamp >
		    160)
			jumped = true;
	}
	ck_assert(jumped);
}
END_TEST

START_TEST(rtp_session_plays_prompt)
{
	struct check_rtp_sink *sink = &check_rtp_caller;
	static int16_t samples[400];
	const struct ivr_audio audio = { samples, 400 };
	const struct ivr_audio *segments[] = { &audio, &audio };
	uint8_t coded = linear_to_alaw(1000);
	size_t first;

	for (size_t i = 0; i < 400; i++)
		samples[i] = 1000;
	check_rtp_open(RTP_PT_PCMA, -1, 0);
	ck_assert(check_rtp_wait_packets(sink, 2, 1000));
	first = sink->count;
	ck_assert_int_eq(rtp_session_play(check_rtp_session, segments, 2), 0);
	ck_assert(check_loop_run(check_rtp_base, &check_rtp_call.done, 1000));
	ck_assert_int_eq(check_rtp_call.played, 1);

	/* 800 samples: five whole packets, then 160 of silence. */
	ck_assert(check_rtp_wait_total(sink, first + 6, 1000));
	ck_assert_uint_eq(sink->payloads[first - 1][0], 0xd5);
	ck_assert(sink->headers[first].marker);
	ck_assert(!sink->headers[first + 1].marker);
	for (size_t p = first; p < first + 5; p++)
		for (size_t i = 0; i < 160; i++)
			ck_assert_uint_eq(sink->payloads[p][i], coded);
	ck_assert_uint_eq(sink->payloads[first + 5][0], 0xd5);
}
END_TEST

START_TEST(rtp_session_prompt_ends_mid_packet)
{
	struct check_rtp_sink *sink = &check_rtp_caller;
	static int16_t samples[200];
	const struct ivr_audio audio = { samples, 200 };
	const struct ivr_audio *segments[] = { &audio };
	uint8_t coded = linear_to_ulaw(-3000);
	size_t first;

	for (size_t i = 0; i < 200; i++)
		samples[i] = -3000;
	check_rtp_open(RTP_PT_PCMU, -1, 0);
	ck_assert(check_rtp_wait_packets(sink, 1, 1000));
	first = sink->count;
	ck_assert_int_eq(rtp_session_play(check_rtp_session, segments, 1), 0);
	ck_assert(check_loop_run(check_rtp_base, &check_rtp_call.done, 1000));
	ck_assert_int_eq(check_rtp_call.played, 1);
	ck_assert(check_rtp_wait_total(sink, first + 2, 1000));

	ck_assert_uint_eq(sink->payloads[first][0], coded);
	ck_assert_uint_eq(sink->payloads[first + 1][39], coded);
	ck_assert_uint_eq(sink->payloads[first + 1][40], 0xff);
}
END_TEST

START_TEST(rtp_session_rfc4733_once_per_press)
{
	check_rtp_open(RTP_PT_PCMU, CHECK_RTP_EVENT_PT, 0);
	check_rtp_call.digit_target = 3;

	check_rtp_send_press(0x0e05384e, 7984, 13280, 1);
	check_rtp_send_press(0x0e05384e, 8000, 92640, 11);
	/* The same timestamp from another source is another press. */
	check_rtp_send_press(0x11111111, 100, 92640, 11);
	/* Three end packets with distinct sequence numbers, as baresip
	 * sends them, of the press already reported. */
	for (int i = 0; i < 3; i++)
		check_rtp_send_event(0x11111111, (uint16_t)(110 + i), 92640, 11,
		    true, 1440);
	ck_assert(check_loop_run(check_rtp_base, &check_rtp_call.done, 1000));
	check_rtp_run_for(50);

	ck_assert_uint_eq(check_rtp_call.digit_count, 3);
	ck_assert_str_eq(check_rtp_call.digits, "1##");
	for (size_t i = 0; i < 3; i++)
		ck_assert_int_eq(check_rtp_call.methods[i], IVR_DTMF_RFC4733);
	ck_assert_uint_eq(check_rtp_stats.digits[0], 3);
	ck_assert_uint_eq(check_rtp_stats.packets_received, 33);
}
END_TEST

START_TEST(rtp_session_events_need_negotiation)
{
	check_rtp_open(RTP_PT_PCMU, -1, 0);
	check_rtp_send_press(0x0e05384e, 7984, 13280, 1);
	check_rtp_run_for(60);
	ck_assert_uint_eq(check_rtp_call.digit_count, 0);
}
END_TEST

/* Sends the tones of CHECK_RTP_KEYS as PCMU packets, starting at
 * timestamp. */
static void
check_rtp_send_tones(uint32_t timestamp)
{
	static int16_t audio[8000 * 4];
	size_t count = check_rtp_tones(audio, sizeof(audio) / sizeof(audio[0]));
	uint16_t sequence = 500;

	for (size_t at = 0; at + 160 <= count; at += 160) {
		check_rtp_send_audio(check_rtp_caller.fd, 0x0ca11000, sequence++,
		    timestamp, audio + at);
		timestamp += 160;
		/* Let the session read, so the socket buffer never fills. */
		if (sequence % 16 == 0)
			check_rtp_run_for(1);
	}
}

START_TEST(rtp_session_inband_keys)
{
	check_rtp_open(RTP_PT_PCMU, CHECK_RTP_EVENT_PT, 0);
	check_rtp_call.digit_target = strlen(CHECK_RTP_KEYS);
	check_rtp_send_tones(1000);
	ck_assert(check_loop_run(check_rtp_base, &check_rtp_call.done, 2000));
	check_rtp_run_for(50);

	ck_assert_str_eq(check_rtp_call.digits, CHECK_RTP_KEYS);
	ck_assert_int_eq(check_rtp_call.methods[0], IVR_DTMF_INBAND);
	ck_assert_uint_eq(check_rtp_stats.digits[2], strlen(CHECK_RTP_KEYS));
}
END_TEST

START_TEST(rtp_session_inband_off_after_event)
{
	check_rtp_open(RTP_PT_PCMU, CHECK_RTP_EVENT_PT, 0);
	check_rtp_send_press(0x0e05384e, 7984, 13280, 5);
	check_rtp_run_for(20);
	check_rtp_send_tones(1000);
	check_rtp_run_for(200);

	ck_assert_str_eq(check_rtp_call.digits, "5");
	ck_assert_uint_eq(check_rtp_stats.digits[2], 0);
}
END_TEST

START_TEST(rtp_session_latches_on_caller)
{
	struct check_rtp_sink *sdp = &check_rtp_caller;
	struct check_rtp_sink other;
	struct rtp_header odd = { .payload_type = 96, .ssrc = 1 };
	uint8_t payload[160] = { 0 };
	size_t before;

	check_rtp_open(RTP_PT_PCMU, CHECK_RTP_EVENT_PT, 0);
	check_rtp_sink_open(&other);
	ck_assert(check_rtp_wait_packets(sdp, 2, 1000));

	/* An unexpected payload type does not move the session. */
	check_rtp_send(other.fd, &odd, payload, sizeof(payload));
	check_rtp_run_for(50);
	ck_assert_uint_eq(other.count, 0);

	check_rtp_send_audio(other.fd, 0x22, 1, 160, NULL);
	ck_assert(check_rtp_wait_packets(&other, 3, 1000));
	before = sdp->count;
	check_rtp_run_for(60);
	ck_assert_uint_eq(sdp->count, before);
	check_rtp_sink_close(&other);
}
END_TEST

START_TEST(rtp_session_ignores_other_sources_once_latched)
{
	struct check_rtp_sink other;
	struct rtp_header header = {
		.payload_type = CHECK_RTP_EVENT_PT,
		.sequence = 1,
		.timestamp = 4000,
		.ssrc = 0x99,
	};
	uint8_t payload[4] = { 9, 10, 0, 160 };

	check_rtp_open(RTP_PT_PCMU, CHECK_RTP_EVENT_PT, 0);
	check_rtp_sink_open(&other);
	/* The caller's press latches the session on the caller's source. */
	check_rtp_send_press(0x0e05384e, 7984, 13280, 5);
	check_rtp_run_for(30);
	ck_assert_str_eq(check_rtp_call.digits, "5");

	/* A key from another source is not the caller's. */
	check_rtp_send(other.fd, &header, payload, sizeof(payload));
	check_rtp_run_for(50);
	ck_assert_str_eq(check_rtp_call.digits, "5");
	ck_assert_uint_eq(other.count, 0);
	check_rtp_sink_close(&other);
}
END_TEST

/* 127.0.0.2 is neither the SDP address (127.0.0.1) nor the INVITE's source
 * (none here), so its packets neither move the stream nor give keys. */
START_TEST(rtp_session_no_latch_outside_call)
{
	struct check_rtp_sink other;
	struct rtp_header key = {
		.payload_type = CHECK_RTP_EVENT_PT,
		.sequence = 2,
		.timestamp = 4000,
		.ssrc = 0x23,
	};
	uint8_t payload[4] = { 9, 0x80 | 10, 0, 160 };
	size_t before;

	check_rtp_open(RTP_PT_PCMU, CHECK_RTP_EVENT_PT, 0);
	check_rtp_sink_open_at(&other, INADDR_LOOPBACK + 1);
	ck_assert(check_rtp_wait_packets(&check_rtp_caller, 2, 1000));
	check_rtp_send_audio(other.fd, 0x22, 1, 160, NULL);
	check_rtp_send(other.fd, &key, payload, sizeof(payload));
	before = check_rtp_caller.count;
	check_rtp_run_for(100);
	ck_assert_uint_eq(other.count, 0);
	ck_assert_uint_gt(check_rtp_caller.count, before);
	ck_assert_str_eq(check_rtp_call.digits, "");
	check_rtp_sink_close(&other);
}
END_TEST

START_TEST(rtp_session_latches_inside_networks)
{
	struct check_rtp_sink other;

	ck_assert_int_eq(media_net_parse("127.0.0.2/32",
	    &check_rtp_networks[0]), 0);
	check_rtp_network_count = 1;
	check_rtp_open(RTP_PT_PCMU, CHECK_RTP_EVENT_PT, 0);
	check_rtp_sink_open_at(&other, INADDR_LOOPBACK + 1);
	ck_assert(check_rtp_wait_packets(&check_rtp_caller, 2, 1000));
	check_rtp_send_audio(other.fd, 0x22, 1, 160, NULL);
	ck_assert(check_rtp_wait_packets(&other, 3, 1000));
	check_rtp_sink_close(&other);
}
END_TEST

START_TEST(rtp_session_update_moves_remote)
{
	struct check_rtp_sink moved;
	size_t before;

	check_rtp_open(RTP_PT_PCMU, -1, 0);
	check_rtp_sink_open(&moved);
	ck_assert(check_rtp_wait_packets(&check_rtp_caller, 1, 1000));
	rtp_session_update(check_rtp_session,
	    (const struct sockaddr *)&moved.addr, sizeof(moved.addr),
	    IVR_SENDRECV);
	ck_assert(check_rtp_wait_packets(&moved, 3, 1000));
	before = check_rtp_caller.count;
	check_rtp_run_for(60);
	ck_assert_uint_eq(check_rtp_caller.count, before);
	check_rtp_sink_close(&moved);
}
END_TEST

START_TEST(rtp_session_hold_stops_sending)
{
	struct check_rtp_sink *sink = &check_rtp_caller;
	static int16_t samples[1600];
	const struct ivr_audio audio = { samples, 1600 };
	const struct ivr_audio *segments[] = { &audio };
	uint64_t sent, spacings;
	size_t held, resumed;

	for (size_t i = 0; i < 1600; i++)
		samples[i] = 2000;
	check_rtp_open(RTP_PT_PCMU, -1, 100);
	ck_assert_int_eq(rtp_session_play(check_rtp_session, segments, 1), 0);
	ck_assert(check_rtp_wait_packets(sink, 3, 1000));

	rtp_session_update(check_rtp_session, NULL, 0, IVR_INACTIVE);
	check_rtp_run_for(10);
	held = sink->count;
	sent = check_rtp_stats.packets_sent;
	check_rtp_run_for(150);
	ck_assert_uint_eq(sink->count, held);
	ck_assert_uint_eq(check_rtp_stats.packets_sent, sent);
	ck_assert_int_eq(check_rtp_call.timeouts, 0);
	ck_assert_int_eq(check_rtp_call.played, 0);

	spacings = check_rtp_spacings();
	rtp_session_update(check_rtp_session, NULL, 0, IVR_SENDRECV);
	ck_assert(check_rtp_wait_packets(sink, 1, 1000));
	resumed = held;
	ck_assert(sink->headers[resumed].marker);
	ck_assert_uint_eq(sink->headers[resumed].sequence,
	    (uint16_t)(sink->headers[resumed - 1].sequence + 1));
	/* The timestamp went on through the hold (about 160 ms). */
	ck_assert_uint_ge(sink->headers[resumed].timestamp -
	    sink->headers[resumed - 1].timestamp, 160 * 7);
	/* The prompt goes on where it stopped. */
	ck_assert_uint_eq(sink->payloads[resumed][0], linear_to_ulaw(2000));
	/* The first packet after the hold has no spacing to measure. */
	ck_assert_uint_eq(check_rtp_spacings(), spacings);
	ck_assert(check_loop_run(check_rtp_base, &check_rtp_call.done, 1000));
	ck_assert_int_eq(check_rtp_call.played + check_rtp_call.timeouts, 1);
}
END_TEST

START_TEST(rtp_session_unspecified_remote)
{
	struct sockaddr_in zero = check_rtp_caller.addr;

	zero.sin_addr.s_addr = htonl(INADDR_ANY);
	check_rtp_open(RTP_PT_PCMU, -1, 60);
	ck_assert(check_rtp_wait_packets(&check_rtp_caller, 1, 1000));
	rtp_session_update(check_rtp_session, (const struct sockaddr *)&zero,
	    sizeof(zero), IVR_SENDRECV);
	check_rtp_run_for(10);
	check_rtp_caller.count = 0;
	memset(&check_rtp_stats, 0, sizeof(check_rtp_stats));
	check_rtp_run_for(80);
	ck_assert_uint_eq(check_rtp_caller.count, 0);
	ck_assert_uint_eq(check_rtp_stats.packets_sent, 0);
	ck_assert_uint_eq(check_rtp_spacings(), 0);
	/* 0.0.0.0 is a hold: the silent caller is not timed out. */
	ck_assert_int_eq(check_rtp_call.timeouts, 0);
}
END_TEST

START_TEST(rtp_session_sendonly_holds)
{
	struct check_rtp_sink *sink = &check_rtp_caller;
	size_t held;

	check_rtp_open(RTP_PT_PCMU, -1, 0);
	ck_assert(check_rtp_wait_packets(sink, 1, 1000));
	rtp_session_update(check_rtp_session, NULL, 0, IVR_SENDONLY);
	check_rtp_run_for(10);
	held = sink->count;
	check_rtp_run_for(80);
	ck_assert_uint_eq(sink->count, held);
	rtp_session_update(check_rtp_session, NULL, 0, IVR_RECVONLY);
	ck_assert(check_rtp_wait_packets(sink, 2, 1000));
}
END_TEST

START_TEST(rtp_session_media_timeout)
{
	check_rtp_open(RTP_PT_PCMU, -1, 100);
	ck_assert(check_loop_run(check_rtp_base, &check_rtp_call.done, 1000));
	check_rtp_run_for(200);
	ck_assert_int_eq(check_rtp_call.timeouts, 1);
}
END_TEST

START_TEST(rtp_session_first_packet_timeout)
{
	/* Configured 8 s, but the caller never sends: 5 s. */
	check_rtp_open(RTP_PT_PCMU, -1, 8000);
	check_rtp_run_for(4700);
	ck_assert_int_eq(check_rtp_call.timeouts, 0);
	check_rtp_run_for(700);
	ck_assert_int_eq(check_rtp_call.timeouts, 1);
}
END_TEST

START_TEST(rtp_session_latched_keeps_timeout)
{
	check_rtp_open(RTP_PT_PCMU, -1, 8000);
	check_rtp_send_audio(check_rtp_caller.fd, 0x33, 1, 160, NULL);
	check_rtp_run_for(5600);
	ck_assert_int_eq(check_rtp_call.timeouts, 0);
}
END_TEST

START_TEST(rtp_session_packets_defer_timeout)
{
	check_rtp_open(RTP_PT_PCMU, -1, 100);
	for (int i = 0; i < 10; i++) {
		check_rtp_send_audio(check_rtp_caller.fd, 0x33, (uint16_t)i,
		    (uint32_t)i * 160, NULL);
		check_rtp_run_for(40);
	}
	ck_assert_int_eq(check_rtp_call.timeouts, 0);
}
END_TEST

START_TEST(rtp_session_record_limit)
{
	static uint8_t data[RTP_WAV_HEADER_SIZE + 4000];
	int16_t loud[160];
	char path[256];
	int64_t length_ms = -1;
	size_t len;

	for (size_t i = 0; i < 160; i++)
		loud[i] = 8000;
	check_rtp_temp_path(path, sizeof(path), "session");
	check_rtp_open(RTP_PT_PCMU, -1, 0);
	ck_assert_int_eq(rtp_session_record_start(check_rtp_session, path, 100),
	    0);

	/* Packets 0 and 1, packet 2 lost, then 3, 4, 5, ... */
	check_rtp_send_audio(check_rtp_caller.fd, 0x44, 1, 8000, loud);
	check_rtp_send_audio(check_rtp_caller.fd, 0x44, 2, 8160, loud);
	for (uint16_t i = 3; i < 10; i++)
		check_rtp_send_audio(check_rtp_caller.fd, 0x44, (uint16_t)(i + 1),
		    8000 + 160u * i, loud);
	ck_assert(check_loop_run(check_rtp_base, &check_rtp_call.done, 1000));
	ck_assert_int_eq(check_rtp_call.recorded, 1);
	ck_assert_int_eq(rtp_session_record_stop(check_rtp_session, &length_ms,
	    NULL), 0);
	ck_assert_int_eq(length_ms, 100);
	ck_assert_int_eq(rtp_session_record_stop(check_rtp_session, &length_ms,
	    NULL), -1);

	len = check_rtp_read_file(path, data, sizeof(data));
	unlink(path);
	ck_assert_uint_eq(len, RTP_WAV_HEADER_SIZE + 1600);
	ck_assert_uint_eq(check_rtp_le32(data + 40), 1600);
	/* Sample 319 is the caller's, 320 to 479 the silence of the loss. */
	ck_assert_int_eq((int16_t)check_rtp_le16(data + 44 + 2 * 319),
	    ulaw_to_linear(linear_to_ulaw(8000)));
	ck_assert_int_eq((int16_t)check_rtp_le16(data + 44 + 2 * 320), 0);
	ck_assert_int_eq((int16_t)check_rtp_le16(data + 44 + 2 * 479), 0);
	ck_assert_int_eq((int16_t)check_rtp_le16(data + 44 + 2 * 480),
	    ulaw_to_linear(linear_to_ulaw(8000)));
}
END_TEST

/* Records packets of a 1 kHz sine of amplitude (0: silence) and returns the
 * voiced length that rtp_session_record_stop gives. */
static int64_t
check_rtp_record_voiced(const int *amplitudes, size_t count)
{
	char path[256];
	int64_t length_ms = -1, voiced_ms = -1;
	int16_t samples[160];
	/* Packets continue the caller's stream from one recording to the
	 * next, since repeated sequence numbers are dropped as duplicates. */
	static uint16_t packet;

	check_rtp_temp_path(path, sizeof(path), "voiced");
	ck_assert_int_eq(rtp_session_record_start(check_rtp_session, path,
	    60000), 0);
	for (size_t i = 0; i < count; i++) {
		for (size_t j = 0; j < 160; j++)
			samples[j] = (int16_t)lround(amplitudes[i] *
			    sin(2 * M_PI * 1000.0 * (double)j / 8000.0));
		packet++;
		check_rtp_send_audio(check_rtp_caller.fd, 0x66, packet,
		    160u * (uint32_t)packet, samples);
	}
	check_rtp_run_for(100);
	ck_assert_int_eq(rtp_session_record_stop(check_rtp_session, &length_ms,
	    &voiced_ms), 0);
	ck_assert_int_eq(length_ms, 20 * (int64_t)count);
	unlink(path);
	return voiced_ms;
}

START_TEST(rtp_session_record_voiced)
{
	static const int silence[10] = { 0 };
	static const int tone[10] = {
		8000, 8000, 8000, 8000, 8000, 8000, 8000, 8000, 8000, 8000,
	};
	/* RMS 42, about -52 dBm0: line noise, not a voice. */
	static const int quiet[10] = { 60, 60, 60, 60, 60, 60, 60, 60, 60, 60 };
	static const int half[10] = { 8000, 0, 8000, 0, 8000, 0, 8000, 0, 8000, 0 };

	check_rtp_open(RTP_PT_PCMU, -1, 0);
	ck_assert_int_eq(check_rtp_record_voiced(silence, 10), 0);
	ck_assert_int_eq(check_rtp_record_voiced(tone, 10), 200);
	ck_assert_int_eq(check_rtp_record_voiced(quiet, 10), 0);
	ck_assert_int_eq(check_rtp_record_voiced(half, 10), 100);
}
END_TEST

START_TEST(rtp_session_record_stop_length)
{
	char path[256];
	int64_t length_ms = -1;
	struct stat st;

	check_rtp_temp_path(path, sizeof(path), "stop");
	check_rtp_open(RTP_PT_PCMU, -1, 0);
	ck_assert_int_eq(rtp_session_record_stop(check_rtp_session, &length_ms,
	    NULL), -1);
	ck_assert_int_eq(rtp_session_record_start(check_rtp_session, path,
	    60000), 0);
	ck_assert_int_eq(rtp_session_record_start(check_rtp_session, path,
	    60000), -1);
	for (uint16_t i = 0; i < 3; i++)
		check_rtp_send_audio(check_rtp_caller.fd, 0x55, i, 160u * i,
		    NULL);
	/* A duplicate is not recorded twice. */
	check_rtp_send_audio(check_rtp_caller.fd, 0x55, 2, 320, NULL);
	check_rtp_run_for(50);
	ck_assert_int_eq(rtp_session_record_stop(check_rtp_session, &length_ms,
	    NULL), 0);
	ck_assert_int_eq(length_ms, 60);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, RTP_WAV_HEADER_SIZE + 960);
	unlink(path);
}
END_TEST

START_TEST(rtp_session_free_in_callback)
{
	check_rtp_open(RTP_PT_PCMU, CHECK_RTP_EVENT_PT, 0);
	check_rtp_call.free_on_digit = true;
	check_rtp_call.digit_target = 1;
	check_rtp_send_press(0x0e05384e, 1, 160, 3);
	check_rtp_send_press(0x0e05384e, 20, 3200, 4);
	ck_assert(check_loop_run(check_rtp_base, &check_rtp_call.done, 1000));
	check_rtp_run_for(50);
	ck_assert_ptr_null(check_rtp_session);
	ck_assert_str_eq(check_rtp_call.digits, "3");
}
END_TEST

START_TEST(rtp_session_rejects_codec)
{
	struct rtp_session_params params = {
		.fd = check_rtp_session_fd,
		.remote = (const struct sockaddr *)&check_rtp_caller.addr,
		.remote_len = sizeof(check_rtp_caller.addr),
		.payload_type = 9,
		.event_payload_type = -1,
		.stats = &check_rtp_stats,
	};

	errno = 0;
	ck_assert_ptr_null(rtp_session_new(check_rtp_base, &params,
	    &check_rtp_events, &check_rtp_call));
	ck_assert_int_eq(errno, EINVAL);
	/* The socket was taken and closed. */
	ck_assert_int_eq(fcntl(check_rtp_session_fd, F_GETFD), -1);
}
END_TEST

Suite *
rtp_suite(void)
{
	Suite *suite = suite_create("rtp");
	TCase *packet = tcase_create("packet");
	TCase *session = tcase_create("session");

	tcase_add_test(packet, rtp_header_round_trip);
	tcase_add_test(packet, rtp_parse_rejects_invalid);
	tcase_add_test(packet, rtp_parse_skips_csrc_extension_padding);
	tcase_add_test(packet, rtp_event_parse_fields);
	tcase_add_test(packet, rtp_event_filter_once_per_press);
	tcase_add_test(packet, rtp_dtmf_tones_pcmu);
	tcase_add_test(packet, rtp_dtmf_tones_pcma);
	tcase_add_test(packet, rtp_wav_header_fields);
	tcase_add_test(packet, rtp_wav_length_limit);
	tcase_add_test(packet, rtp_wav_open_fails);
	suite_add_tcase(suite, packet);

	tcase_add_checked_fixture(session, check_rtp_setup, check_rtp_teardown);
	tcase_set_timeout(session, 20);
	tcase_add_test(session, rtp_session_paced_silence);
	tcase_add_test(session, rtp_session_skips_after_stall);
	tcase_add_test(session, rtp_session_plays_prompt);
	tcase_add_test(session, rtp_session_prompt_ends_mid_packet);
	tcase_add_test(session, rtp_session_rfc4733_once_per_press);
	tcase_add_test(session, rtp_session_events_need_negotiation);
	tcase_add_test(session, rtp_session_inband_keys);
	tcase_add_test(session, rtp_session_inband_off_after_event);
	tcase_add_test(session, rtp_session_latches_on_caller);
	tcase_add_test(session, rtp_session_ignores_other_sources_once_latched);
	tcase_add_test(session, rtp_session_no_latch_outside_call);
	tcase_add_test(session, rtp_session_latches_inside_networks);
	tcase_add_test(session, rtp_session_update_moves_remote);
	tcase_add_test(session, rtp_session_hold_stops_sending);
	tcase_add_test(session, rtp_session_unspecified_remote);
	tcase_add_test(session, rtp_session_sendonly_holds);
	tcase_add_test(session, rtp_session_media_timeout);
	tcase_add_test(session, rtp_session_packets_defer_timeout);
	tcase_add_test(session, rtp_session_first_packet_timeout);
	tcase_add_test(session, rtp_session_latched_keeps_timeout);
	tcase_add_test(session, rtp_session_record_limit);
	tcase_add_test(session, rtp_session_record_stop_length);
	tcase_add_test(session, rtp_session_record_voiced);
	tcase_add_test(session, rtp_session_free_in_callback);
	tcase_add_test(session, rtp_session_rejects_codec);
	suite_add_tcase(suite, session);
	return suite;
}
