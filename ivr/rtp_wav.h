/*
 * WAV writer for the callers' recordings: 8000 Hz, mono, 16-bit PCM, with a
 * length limit. The media thread writes as packets arrive, so samples are
 * gathered in a small buffer and written a few kilobytes at a time. The
 * header's sizes are filled in at close.
 */
#ifndef IVR_RTP_WAV_H
#define IVR_RTP_WAV_H

#include <stddef.h>
#include <stdint.h>

#define RTP_WAV_RATE 8000
#define RTP_WAV_HEADER_SIZE 44

struct rtp_wav;

/* Creates (or truncates) path, mode 0600, and writes a header with zero
 * sizes. At most max_samples samples are stored. Returns NULL with errno
 * set. */
struct rtp_wav *rtp_wav_open(const char *path, uint32_t max_samples);

/* Appends count samples, or as many as the limit leaves room for. Returns
 * 1 when the limit is reached (the rest is dropped), 0 when there is room
 * left, -1 with errno set on a write error (the writer then refuses more). */
int rtp_wav_write(struct rtp_wav *wav, const int16_t *samples, size_t count);

/* Appends count samples of silence, like rtp_wav_write. */
int rtp_wav_write_silence(struct rtp_wav *wav, size_t count);

/* Samples stored so far. */
uint32_t rtp_wav_samples(const struct rtp_wav *wav);

/* Writes what is buffered, completes the header, closes the file and frees
 * wav. Returns 0, or -1 with errno set when any write failed (the file is
 * left in place for the caller to remove). */
int rtp_wav_close(struct rtp_wav *wav);

#endif
