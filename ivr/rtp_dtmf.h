/*
 * In-band DTMF detection with spandsp's dtmf_rx, for callers whose keys
 * arrive as tones in the audio. The detector collects keys during a feed
 * and hands them back after it, so the caller reports them outside
 * spandsp's callback.
 */
#ifndef IVR_RTP_DTMF_H
#define IVR_RTP_DTMF_H

#include <stddef.h>
#include <stdint.h>

/* Maximum keys one feed returns. A 20 ms packet contains at most one. */
#define RTP_DTMF_KEYS_MAX 8

struct rtp_dtmf;

/* Returns a detector, or NULL with errno set. */
struct rtp_dtmf *rtp_dtmf_new(void);

/* Runs count samples (8 kHz linear) through the detector and copies the
 * keys completed in them ('0'-'9', '*', '#', 'A'-'D') to keys, at most
 * RTP_DTMF_KEYS_MAX. Returns the number of keys. */
size_t rtp_dtmf_feed(struct rtp_dtmf *dtmf, const int16_t *samples,
    size_t count, char keys[RTP_DTMF_KEYS_MAX]);

/* Tells the detector that count samples were lost, so that a tone is not
 * joined across the gap. */
void rtp_dtmf_skip(struct rtp_dtmf *dtmf, size_t count);

/* Bytes the detector allocates, for the memory budget of a session. */
size_t rtp_dtmf_size(void);

void rtp_dtmf_free(struct rtp_dtmf *dtmf);

#endif
