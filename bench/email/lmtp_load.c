/*
 * Load generator of the email benchmark.
 *
 * Sends N generated Vietnamese messages (5 to 50 KB each, UTF-8 text as
 * quoted-printable or base64, some multipart/mixed with a small JPEG-like
 * attachment, some HTML only) to an LMTP server over several connections,
 * each pipelining MAIL, RCPT and DATA (RFC 2920) and the next message's
 * commands behind the end of the previous one's data. Meanwhile a second
 * client sends GET PATH to an HTTP server at a fixed rate, one request at a
 * time on a kept-alive connection, and records each latency.
 *
 * Prints one line of key=value pairs: messages sent, accepted (250 after
 * the data), refused, seconds from the first command to the last reply,
 * accepted messages per second, bytes sent, and the HTTP probe's count,
 * errors, p50, p99 and maximum latency in milliseconds.
 *
 * Connects to 127.0.0.1 (or another address given) only; it resolves no
 * names.
 *
 * Build: cc -O2 -pthread -o lmtp_load lmtp_load.c
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct options {
	const char *host;
	int lmtp_port;
	int http_port;
	const char *http_path;
	int messages;
	int connections;
	int http_rate;		/* requests per second */
	const char *recipient;
	unsigned int seed;
	int senders;		/* distinct sender addresses */
	bool no_attachments;	/* send the multipart kinds as plain text */
};

static struct options opt = {
	.host = "127.0.0.1",
	.http_path = "/healthz",
	.messages = 10000,
	.connections = 4,
	.http_rate = 50,
	.recipient = "tiepnhan@hub.example.org",
	.seed = 1,
	.senders = 2000,
};

static atomic_int next_message;
static atomic_int accepted;
static atomic_int refused;
static atomic_llong bytes_sent;
static atomic_bool load_done;

/* --- Small helpers ------------------------------------------------------- */

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("lmtp_load: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct buf {
	char *data;
	size_t len, cap;
};

static void
buf_grow(struct buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + extra + 1)
		cap *= 2;
	char *data = realloc(b->data, cap);
	if (data == NULL)
		die("out of memory");
	b->data = data;
	b->cap = cap;
}

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	buf_grow(b, n);
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* xorshift32: a fast generator with its state in the caller. */
static uint32_t
rnd(uint32_t *state)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

/* --- Message generation ---------------------------------------------------- */

static const char *const words[] = {
	"đường", "phường", "xã", "ấp", "hẻm", "chợ", "nước", "điện", "đèn",
	"hỏng", "rác", "thải", "ngập", "cống", "thoát", "tắc", "cây", "đổ",
	"xanh", "lấn", "chiếm", "vỉa", "hè", "ổ", "gà", "sâu", "nguy", "hiểm",
	"người", "dân", "phản", "ánh", "đề", "nghị", "kiểm", "tra", "xử", "lý",
	"sớm", "giúp", "chúng", "tôi", "xin", "cảm", "ơn", "ủy", "ban", "nhân",
	"trước", "nhà", "số", "gần", "trường", "học", "bệnh", "viện", "cầu",
	"sông", "mưa", "lớn", "tối", "qua", "sáng", "nay", "đã", "nhiều",
	"ngày", "không", "ai", "đến", "dọn", "mùi", "hôi", "khó", "chịu",
	"tiếng", "ồn", "công", "trình", "xây", "dựng", "ban", "đêm", "khu",
	"phố", "Bình", "Đông", "Nguyễn", "Huệ", "Lê", "Lợi", "Trần", "Hưng",
	"Đạo", "Mỹ", "Tho", "Cần", "Thơ", "Đồng", "Tháp", "Tiền", "Giang",
};
#define WORD_COUNT (sizeof(words) / sizeof(words[0]))

static const char *const family[] = {
	"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ",
	"Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý",
};
static const char *const given[] = {
	"Văn An", "Thị Bích", "Minh Châu", "Quốc Dũng", "Thị Hoa", "Hữu Hải",
	"Thanh Hương", "Đức Khoa", "Thị Lan", "Văn Phúc", "Ngọc Quỳnh",
	"Thị Thu", "Văn Tú", "Thị Yến",
};

/* Appends Vietnamese sentences until text contains at least size bytes. */
static void
gen_text(struct buf *text, size_t size, uint32_t *state, bool html)
{
	while (text->len < size) {
		int n = 8 + (int)(rnd(state) % 14);
		if (html)
			buf_str(text, "<p>");
		for (int i = 0; i < n; i++) {
			const char *w = words[rnd(state) % WORD_COUNT];
			if (i == 0 && !html && text->len > 0)
				buf_str(text, " ");
			else if (i > 0)
				buf_str(text, " ");
			buf_str(text, w);
		}
		buf_str(text, ".");
		if (html) {
			if (rnd(state) % 4 == 0)
				buf_printf(text, " <a href=\"https://example.org/p/%u\">xem th\xc3\xaam</a>",
				    rnd(state) % 100000);
			buf_str(text, "</p>\n");
		} else if (rnd(state) % 5 == 0) {
			buf_str(text, "\n\n");
		}
	}
}

/* Quoted-printable with lines of at most 76 characters and CRLF. */
static void
qp_encode(struct buf *out, const struct buf *in)
{
	static const char hex[] = "0123456789ABCDEF";
	int col = 0;

	for (size_t i = 0; i < in->len; i++) {
		unsigned char c = (unsigned char)in->data[i];
		char enc[4];
		int n;

		if (c == '\n') {
			buf_str(out, "\r\n");
			col = 0;
			continue;
		}
		if ((c >= 33 && c <= 126 && c != '=') ||
		    (c == ' ' && i + 1 < in->len && in->data[i + 1] != '\n')) {
			enc[0] = (char)c;
			n = 1;
		} else {
			enc[0] = '=';
			enc[1] = hex[c >> 4];
			enc[2] = hex[c & 15];
			n = 3;
		}
		if (col + n > 75) {
			buf_str(out, "=\r\n");
			col = 0;
		}
		if (col == 0 && enc[0] == '.') {
			/* A line starting with "." would need dot-stuffing. */
			memcpy(enc, "=2E", 3);
			n = 3;
		}
		buf_add(out, enc, (size_t)n);
		col += n;
	}
	buf_str(out, "\r\n");
}

static void
base64_encode(struct buf *out, const unsigned char *in, size_t len)
{
	static const char table[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	int col = 0;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		char q[4] = {
			table[(v >> 18) & 63], table[(v >> 12) & 63],
			i + 1 < len ? table[(v >> 6) & 63] : '=',
			i + 2 < len ? table[v & 63] : '=',
		};
		buf_add(out, q, 4);
		col += 4;
		if (col >= 76) {
			buf_str(out, "\r\n");
			col = 0;
		}
	}
	if (col > 0)
		buf_str(out, "\r\n");
}

static void
encoded_word(struct buf *out, const char *s)
{
	buf_str(out, "=?UTF-8?B?");
	struct buf b64 = { 0 };
	base64_encode(&b64, (const unsigned char *)s, strlen(s));
	/* One encoded word: drop the line breaks of the encoder. */
	for (size_t i = 0; i < b64.len; i++)
		if (b64.data[i] != '\r' && b64.data[i] != '\n')
			buf_add(out, &b64.data[i], 1);
	buf_str(out, "?=");
	free(b64.data);
}

/* Writes message number n into out, CRLF line ends, dot-stuffed (no line
 * starts with "."), ending with CRLF. Kinds by n % 10: 0-3 text in
 * quoted-printable, 4-5 text in base64, 6-8 multipart with a JPEG-like
 * attachment, 9 HTML only. Returns the sender's number: its address is
 * citizenN@example.com, the envelope sender. */
static int gen_message_text(struct buf *out, int n, double scale);

static int
gen_message(struct buf *out, int n)
{
	/* Encoding makes the text 1.3 to 2.5 times longer: a first message
	 * measures it, a second one has the size drawn. */
	int sender = gen_message_text(out, n, 0.5);
	uint32_t state = opt.seed * 2654435761u + (uint32_t)n * 40503u + 1;
	rnd(&state);
	double size = 5000 + rnd(&state) % 45000;
	gen_message_text(out, n, 0.5 * size / (double)out->len);
	return sender;
}

static int
gen_message_text(struct buf *out, int n, double scale)
{
	uint32_t state = opt.seed * 2654435761u + (uint32_t)n * 40503u + 1;
	struct buf text = { 0 }, subject = { 0 };
	int kind = n % 10;
	int sender = (int)(rnd(&state) % (uint32_t)opt.senders);

	if (opt.no_attachments && kind >= 6 && kind <= 8)
		kind = 0;
	size_t size = 5000 + rnd(&state) % 45000;

	out->len = 0;
	size_t target = kind >= 6 && kind <= 8 ? size / 3 : size;
	target = (size_t)((double)target * scale);
	if (target < 500)
		target = 500;
	gen_text(&text, target, &state, kind == 9);
	for (int i = 0; i < 6; i++) {
		buf_str(&subject, i ? " " : "");
		buf_str(&subject, words[rnd(&state) % WORD_COUNT]);
	}

	buf_str(out, "From: ");
	{
		struct buf name = { 0 };
		buf_printf(&name, "%s %s", family[sender % 16], given[sender % 14]);
		encoded_word(out, name.data);
		free(name.data);
	}
	buf_printf(out, " <citizen%d@example.com>\r\n", sender);
	buf_printf(out, "To: %s\r\n", opt.recipient);
	buf_str(out, "Subject: ");
	encoded_word(out, subject.data);
	buf_str(out, "\r\n");
	buf_str(out, "Date: Fri, 04 Dec 2026 10:00:00 +0700\r\n");
	buf_printf(out, "Message-ID: <bench.%u.%d.%08x@mail.example.com>\r\n",
	    opt.seed, n, rnd(&state));
	buf_str(out, "MIME-Version: 1.0\r\n");

	if (kind <= 3) {
		buf_str(out, "Content-Type: text/plain; charset=utf-8\r\n"
		    "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
		qp_encode(out, &text);
	} else if (kind <= 5) {
		buf_str(out, "Content-Type: text/plain; charset=utf-8\r\n"
		    "Content-Transfer-Encoding: base64\r\n\r\n");
		base64_encode(out, (unsigned char *)text.data, text.len);
	} else if (kind <= 8) {
		/* The attachment is about half the message. */
		size_t jpeg_size = (size_t)((double)size * scale * 0.75);
		if (jpeg_size < 1000)
			jpeg_size = 1000;
		unsigned char *jpeg = malloc(jpeg_size);
		if (jpeg == NULL)
			die("out of memory");
		static const unsigned char head[] = { 0xff, 0xd8, 0xff, 0xe0,
			0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0x01, 0x01, 0x00 };
		for (size_t i = 0; i < jpeg_size; i++)
			jpeg[i] = (unsigned char)rnd(&state);
		memcpy(jpeg, head, sizeof(head));
		jpeg[jpeg_size - 2] = 0xff;
		jpeg[jpeg_size - 1] = 0xd9;
		buf_printf(out, "Content-Type: multipart/mixed; boundary=\"=_b%d\"\r\n\r\n"
		    "--=_b%d\r\nContent-Type: text/plain; charset=utf-8\r\n"
		    "Content-Transfer-Encoding: quoted-printable\r\n\r\n", n, n);
		qp_encode(out, &text);
		buf_printf(out, "\r\n--=_b%d\r\nContent-Type: image/jpeg\r\n"
		    "Content-Transfer-Encoding: base64\r\n"
		    "Content-Disposition: attachment; filename*=utf-8''%%E1%%BA%%A2nh%d.jpg\r\n\r\n",
		    n, n);
		base64_encode(out, jpeg, jpeg_size);
		buf_printf(out, "\r\n--=_b%d--\r\n", n);
		free(jpeg);
	} else {
		buf_str(out, "Content-Type: text/html; charset=utf-8\r\n"
		    "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
		struct buf html = { 0 };
		buf_str(&html, "<html><body>\n");
		buf_add(&html, text.data, text.len);
		buf_str(&html, "</body></html>\n");
		qp_encode(out, &html);
		free(html.data);
	}
	free(text.data);
	free(subject.data);
	return sender;
}

/* --- Sockets ------------------------------------------------------------------ */

static int
connect_to(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd, one = 1;

	if (inet_pton(AF_INET, opt.host, &sa.sin_addr) != 1)
		die("not an IPv4 address: %s", opt.host);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		die("connect to %s:%d: %s", opt.host, port, strerror(errno));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void
send_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("send: %s", strerror(errno));
		}
		data += n;
		len -= (size_t)n;
		atomic_fetch_add(&bytes_sent, n);
	}
}

struct reader {
	int fd;
	char buf[8192];
	size_t len, pos;
};

/* Reads one reply line (without CRLF) into line; returns its code, or
 * dies on end of file. Continuation lines ("250-") are read over. */
static int
read_reply(struct reader *r, char *line, size_t size)
{
	for (;;) {
		size_t l = 0;
		for (;;) {
			if (r->pos == r->len) {
				ssize_t n = recv(r->fd, r->buf, sizeof(r->buf), 0);
				if (n < 0 && errno == EINTR)
					continue;
				if (n <= 0)
					die("the server closed the connection");
				r->len = (size_t)n;
				r->pos = 0;
			}
			char c = r->buf[r->pos++];
			if (c == '\n')
				break;
			if (c != '\r' && l + 1 < size)
				line[l++] = c;
		}
		line[l] = '\0';
		if (l >= 4 && line[3] == '-')
			continue;
		return atoi(line);
	}
}

/* --- LMTP load ------------------------------------------------------------------- */

static void *
lmtp_worker(void *arg)
{
	(void)arg;
	struct reader r = { .fd = connect_to(opt.lmtp_port) };
	struct buf msg = { 0 }, cmd = { 0 };
	char line[1024];
	int code, n;

	if (read_reply(&r, line, sizeof(line)) != 220)
		die("greeting: %s", line);
	send_all(r.fd, "LHLO bench.example.com\r\n", 24);
	if (read_reply(&r, line, sizeof(line)) != 250)
		die("LHLO: %s", line);

	/* Commands of message n go out behind the data of message n - 1;
	 * the replies then come in order: data reply of n - 1, MAIL, RCPT,
	 * DATA of n. */
	bool data_pending = false;
	n = atomic_fetch_add(&next_message, 1);
	while (n < opt.messages || data_pending) {
		cmd.len = 0;
		if (n < opt.messages) {
			int sender = gen_message(&msg, n);
			buf_printf(&cmd, "MAIL FROM:<citizen%d@example.com> SIZE=%zu\r\n"
			    "RCPT TO:<%s>\r\nDATA\r\n", sender, msg.len,
			    opt.recipient);
			send_all(r.fd, cmd.data, cmd.len);
		}
		if (data_pending) {
			code = read_reply(&r, line, sizeof(line));
			if (code == 250)
				atomic_fetch_add(&accepted, 1);
			else {
				atomic_fetch_add(&refused, 1);
				fprintf(stderr, "lmtp_load: rejected: %s\n", line);
			}
			data_pending = false;
		}
		if (n >= opt.messages)
			break;
		code = read_reply(&r, line, sizeof(line));
		int rcpt = read_reply(&r, line, sizeof(line));
		int data = read_reply(&r, line, sizeof(line));
		if (code != 250 || rcpt != 250 || data != 354) {
			/* The server refused before the data; count it and go on
			 * with a fresh transaction. */
			atomic_fetch_add(&refused, 1);
			fprintf(stderr, "lmtp_load: rejected before data: %d %d %d %s\n",
			    code, rcpt, data, line);
			if (data == 354) {
				send_all(r.fd, ".\r\n", 3);
				read_reply(&r, line, sizeof(line));
			}
			send_all(r.fd, "RSET\r\n", 6);
			read_reply(&r, line, sizeof(line));
		} else {
			send_all(r.fd, msg.data, msg.len);
			send_all(r.fd, ".\r\n", 3);
			data_pending = true;
		}
		n = atomic_fetch_add(&next_message, 1);
	}
	send_all(r.fd, "QUIT\r\n", 6);
	close(r.fd);
	free(msg.data);
	free(cmd.data);
	return NULL;
}

/* --- HTTP probe --------------------------------------------------------------------- */

struct probe {
	double *latencies;	/* milliseconds */
	size_t count, cap;
	int errors;
};

static int
http_get(int *fd, struct probe *p)
{
	char request[512], buf[4096];
	int len = snprintf(request, sizeof(request),
	    "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: lmtp_load\r\n\r\n",
	    opt.http_path, opt.host, opt.http_port);

	(void)p;
	if (*fd < 0)
		*fd = connect_to(opt.http_port);
	if (send(*fd, request, (size_t)len, MSG_NOSIGNAL) != len)
		return -1;
	/* Read the head, then Content-Length bytes of body. */
	size_t have = 0;
	long body = -1;
	char *end = NULL;
	for (;;) {
		ssize_t n = recv(*fd, buf + have, sizeof(buf) - 1 - have, 0);
		if (n <= 0)
			return -1;
		have += (size_t)n;
		buf[have] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end != NULL)
			break;
		if (have == sizeof(buf) - 1)
			return -1;
	}
	int status = atoi(buf + 9);
	char *cl = strcasestr(buf, "\r\nContent-Length:");
	body = cl ? strtol(cl + 17, NULL, 10) : 0;
	long got = (long)(have - (size_t)(end + 4 - buf));
	while (got < body) {
		ssize_t n = recv(*fd, buf, sizeof(buf), 0);
		if (n <= 0)
			return -1;
		got += n;
	}
	return status;
}

static void *
http_worker(void *arg)
{
	struct probe *p = arg;
	int fd = -1;
	double interval = 1.0 / opt.http_rate, next = now_seconds();

	while (!atomic_load(&load_done)) {
		double start = now_seconds();
		bool reused = fd >= 0;
		int status = http_get(&fd, p);
		if (status < 0 && reused) {
			/* The server closed the kept-alive connection: one
			 * new connection, timed with the request. */
			close(fd);
			fd = -1;
			status = http_get(&fd, p);
		}
		double ms = (now_seconds() - start) * 1000.0;
		if (status != 200) {
			p->errors++;
			if (fd >= 0)
				close(fd);
			fd = -1;
		}
		if (p->count == p->cap) {
			p->cap = p->cap ? p->cap * 2 : 1024;
			p->latencies = realloc(p->latencies, p->cap * sizeof(double));
			if (p->latencies == NULL)
				die("out of memory");
		}
		p->latencies[p->count++] = ms;
		next += interval;
		double wait = next - now_seconds();
		if (wait > 0) {
			struct timespec ts = { (time_t)wait, (long)((wait - (time_t)wait) * 1e9) };
			nanosleep(&ts, NULL);
		} else {
			next = now_seconds();
		}
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static int
compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double
percentile(const double *sorted, size_t count, double q)
{
	if (count == 0)
		return 0;
	size_t i = (size_t)(q * (double)(count - 1) + 0.5);
	return sorted[i];
}

/* --- Main ------------------------------------------------------------------------- */

static void
usage(void)
{
	fputs("usage: lmtp_load --lmtp-port P [--http-port P] [--http-path PATH]\n"
	    "       [--host 127.0.0.1] [--messages N] [--connections N]\n"
	    "       [--http-rate PER_SECOND] [--recipient ADDR] [--senders N]\n"
	    "       [--seed N] [--no-attachments] [--write-sample N FILE]\n", stderr);
	exit(2);
}

static int
number(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v <= 0 || v > 100000000)
		usage();
	return (int)v;
}

int
main(int argc, char **argv)
{
	const char *sample_file = NULL;
	int sample = -1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--no-attachments") == 0) {
			opt.no_attachments = true;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		if (strcmp(a, "--host") == 0)
			opt.host = argv[++i];
		else if (strcmp(a, "--lmtp-port") == 0)
			opt.lmtp_port = number(argv[++i]);
		else if (strcmp(a, "--http-port") == 0)
			opt.http_port = number(argv[++i]);
		else if (strcmp(a, "--http-path") == 0)
			opt.http_path = argv[++i];
		else if (strcmp(a, "--messages") == 0)
			opt.messages = number(argv[++i]);
		else if (strcmp(a, "--connections") == 0)
			opt.connections = number(argv[++i]);
		else if (strcmp(a, "--http-rate") == 0)
			opt.http_rate = number(argv[++i]);
		else if (strcmp(a, "--recipient") == 0)
			opt.recipient = argv[++i];
		else if (strcmp(a, "--senders") == 0)
			opt.senders = number(argv[++i]);
		else if (strcmp(a, "--seed") == 0)
			opt.seed = (unsigned int)number(argv[++i]);
		else if (strcmp(a, "--write-sample") == 0 && i + 2 < argc) {
			sample = atoi(argv[++i]);
			sample_file = argv[++i];
		} else
			usage();
	}
	if (sample_file != NULL) {
		struct buf msg = { 0 };
		gen_message(&msg, sample);
		FILE *f = fopen(sample_file, "wb");
		if (f == NULL || fwrite(msg.data, 1, msg.len, f) != msg.len || fclose(f) != 0)
			die("cannot write %s", sample_file);
		free(msg.data);
		return 0;
	}
	if (opt.lmtp_port == 0)
		usage();

	pthread_t http_thread, *threads = calloc((size_t)opt.connections, sizeof(*threads));
	struct probe probe = { 0 };
	if (threads == NULL)
		die("out of memory");
	if (opt.http_port && pthread_create(&http_thread, NULL, http_worker, &probe) != 0)
		die("cannot start the HTTP probe");
	double start = now_seconds();
	for (int i = 0; i < opt.connections; i++)
		if (pthread_create(&threads[i], NULL, lmtp_worker, NULL) != 0)
			die("cannot start a connection thread");
	for (int i = 0; i < opt.connections; i++)
		pthread_join(threads[i], NULL);
	double seconds = now_seconds() - start;
	atomic_store(&load_done, true);
	if (opt.http_port)
		pthread_join(http_thread, NULL);

	qsort(probe.latencies, probe.count, sizeof(double), compare_double);
	printf("messages=%d accepted=%d refused=%d seconds=%.3f per_second=%.1f "
	    "megabytes=%.1f http_requests=%zu http_errors=%d http_p50_ms=%.2f "
	    "http_p99_ms=%.2f http_max_ms=%.2f\n",
	    opt.messages, atomic_load(&accepted), atomic_load(&refused), seconds,
	    atomic_load(&accepted) / seconds, (double)atomic_load(&bytes_sent) / 1e6,
	    probe.count, probe.errors, percentile(probe.latencies, probe.count, 0.5),
	    percentile(probe.latencies, probe.count, 0.99),
	    probe.count ? probe.latencies[probe.count - 1] : 0.0);
	free(probe.latencies);
	free(threads);
	return atomic_load(&refused) == 0 && atomic_load(&accepted) == opt.messages ? 0 : 1;
}
