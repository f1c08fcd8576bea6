/*
 * WAV (RIFF) writer, little-endian 16-bit PCM. The header is written with
 * zero sizes at open and rewritten with pwrite at close, so a file cut
 * short by a crash still opens in most players as an empty recording.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rtp_wav.h"

/* 2048 samples (4 KB, 256 ms of audio): about four writes a second. */
#define RTP_WAV_BUFFER_SAMPLES 2048
#define RTP_WAV_MAX_SAMPLES ((UINT32_MAX - 36) / 2)

struct rtp_wav {
	int fd;
	bool failed;			/* a write failed: errno kept in error */
	int error;
	uint32_t samples;		/* stored, buffered ones included */
	uint32_t max_samples;
	size_t buffered;		/* samples in buffer */
	uint8_t buffer[RTP_WAV_BUFFER_SAMPLES * 2];
};

static void
rtp_wav_put16(uint8_t *p, uint16_t value)
{
	p[0] = (uint8_t)value;
	p[1] = (uint8_t)(value >> 8);
}

static void
rtp_wav_put32(uint8_t *p, uint32_t value)
{
	p[0] = (uint8_t)value;
	p[1] = (uint8_t)(value >> 8);
	p[2] = (uint8_t)(value >> 16);
	p[3] = (uint8_t)(value >> 24);
}

static void
rtp_wav_header(uint8_t header[RTP_WAV_HEADER_SIZE], uint32_t samples)
{
	uint32_t data_size = samples * 2;

	memcpy(header, "RIFF", 4);
	rtp_wav_put32(header + 4, 36 + data_size);
	memcpy(header + 8, "WAVEfmt ", 8);
	rtp_wav_put32(header + 16, 16);			/* fmt chunk size */
	rtp_wav_put16(header + 20, 1);			/* PCM */
	rtp_wav_put16(header + 22, 1);			/* mono */
	rtp_wav_put32(header + 24, RTP_WAV_RATE);
	rtp_wav_put32(header + 28, RTP_WAV_RATE * 2);	/* bytes a second */
	rtp_wav_put16(header + 32, 2);			/* bytes a frame */
	rtp_wav_put16(header + 34, 16);			/* bits a sample */
	memcpy(header + 36, "data", 4);
	rtp_wav_put32(header + 40, data_size);
}

/* Writes all of data at offset (or at the end when offset < 0). */
static int
rtp_wav_write_all(struct rtp_wav *wav, const uint8_t *data, size_t len,
    off_t offset)
{
	while (len > 0) {
		ssize_t n = offset < 0 ? write(wav->fd, data, len) :
		    pwrite(wav->fd, data, len, offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			wav->failed = true;
			wav->error = n < 0 ? errno : EIO;
			errno = wav->error;
			return -1;
		}
		data += n;
		len -= (size_t)n;
		if (offset >= 0)
			offset += n;
	}
	return 0;
}

static int
rtp_wav_flush(struct rtp_wav *wav)
{
	size_t len = wav->buffered * 2;

	wav->buffered = 0;
	return rtp_wav_write_all(wav, wav->buffer, len, -1);
}

struct rtp_wav *
rtp_wav_open(const char *path, uint32_t max_samples)
{
	uint8_t header[RTP_WAV_HEADER_SIZE];
	struct rtp_wav *wav = calloc(1, sizeof(*wav));

	if (wav == NULL)
		return NULL;
	/* The RIFF size field (36 + 2 bytes a sample) must fit 32 bits. */
	if (max_samples > RTP_WAV_MAX_SAMPLES)
		max_samples = RTP_WAV_MAX_SAMPLES;
	wav->max_samples = max_samples;
	wav->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (wav->fd < 0) {
		free(wav);
		return NULL;
	}

	rtp_wav_header(header, 0);
	if (rtp_wav_write_all(wav, header, sizeof(header), -1) != 0) {
		int saved = errno;

		close(wav->fd);
		free(wav);
		errno = saved;
		return NULL;
	}
	return wav;
}

/* Appends count samples from samples, or silence when samples is NULL. */
static int
rtp_wav_append(struct rtp_wav *wav, const int16_t *samples, size_t count)
{
	size_t room;

	if (wav->failed) {
		errno = wav->error;
		return -1;
	}
	room = wav->max_samples - wav->samples;
	if (count > room)
		count = room;

	for (size_t i = 0; i < count; i++) {
		int16_t sample = samples != NULL ? samples[i] : 0;

		rtp_wav_put16(wav->buffer + 2 * wav->buffered,
		    (uint16_t)sample);
		wav->samples++;
		if (++wav->buffered == RTP_WAV_BUFFER_SAMPLES &&
		    rtp_wav_flush(wav) != 0)
			return -1;
	}
	return wav->samples == wav->max_samples ? 1 : 0;
}

int
rtp_wav_write(struct rtp_wav *wav, const int16_t *samples, size_t count)
{
	return rtp_wav_append(wav, samples, count);
}

int
rtp_wav_write_silence(struct rtp_wav *wav, size_t count)
{
	return rtp_wav_append(wav, NULL, count);
}

uint32_t
rtp_wav_samples(const struct rtp_wav *wav)
{
	return wav->samples;
}

int
rtp_wav_close(struct rtp_wav *wav)
{
	uint8_t header[RTP_WAV_HEADER_SIZE];
	int status = wav->failed ? -1 : 0;
	int error = wav->error;

	if (status == 0 && rtp_wav_flush(wav) != 0) {
		status = -1;
		error = errno;
	}
	if (status == 0) {
		rtp_wav_header(header, wav->samples);
		if (rtp_wav_write_all(wav, header, sizeof(header), 0) != 0) {
			status = -1;
			error = errno;
		}
	}
	if (close(wav->fd) != 0 && status == 0) {
		status = -1;
		error = errno;
	}
	free(wav);
	if (status != 0)
		errno = error;
	return status;
}
