/*
 * Recording the caller: the decoded audio of each packet goes to a WAV
 * file, with silence for the packets lost before it (up to 2 s a gap), until
 * rtp_session_record_stop or the length limit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "rtp_session_internal.h"
#include "rtp_wav.h"

/* A 20 ms frame counts as voiced when its RMS is above -45 dBm0. For
 * G.711 a full-scale sine (RMS 23170 in 16-bit linear) is +3.17 dBm0
 * (ITU-T G.711), so 0 dBm0 is RMS 16090 and -45 dBm0 is RMS 90. Active
 * speech is typically around -20 dBm0 and an idle line's noise below
 * -50 dBm0 (estimates, not measured here), so the threshold lies between
 * them with room for a quiet voice. */
#define RTP_RECORD_FRAME_SAMPLES 160
#define RTP_RECORD_VOICED_RMS 90

/* Closes the file; on failure removes it. Returns 0 or -1. */
static int
rtp_record_close(struct rtp_session *session)
{
	uint32_t samples = rtp_wav_samples(session->wav);
	int status = rtp_wav_close(session->wav);

	session->wav = NULL;
	session->record_samples = samples;
	session->record_status = status;
	if (status != 0) {
		log_error(RTP_LOG, "recording failed call=%llu: %s",
		    (unsigned long long)session->call, strerror(errno));
		unlink(session->record_path);
	}
	return status;
}

static void
rtp_record_forget(struct rtp_session *session)
{
	free(session->record_path);
	session->record_path = NULL;
	session->record_state = RTP_RECORD_NONE;
}

int
rtp_session_record_start(struct rtp_session *session, const char *path,
    int64_t max_ms)
{
	int64_t max_samples = max_ms * (RTP_WAV_RATE / 1000);

	if (session->record_state == RTP_RECORD_ACTIVE || max_ms <= 0) {
		errno = session->record_state == RTP_RECORD_ACTIVE ?
		    EBUSY : EINVAL;
		return -1;
	}
	rtp_record_forget(session);
	if ((session->record_path = strdup(path)) == NULL)
		return -1;
	if (max_samples > UINT32_MAX)
		max_samples = UINT32_MAX;
	session->wav = rtp_wav_open(path, (uint32_t)max_samples);
	if (session->wav == NULL) {
		int saved = errno;

		rtp_record_forget(session);
		errno = saved;
		return -1;
	}
	session->record_state = RTP_RECORD_ACTIVE;
	session->record_status = 0;
	session->record_samples = 0;
	session->record_voiced = 0;
	session->frame_energy = 0;
	session->frame_samples = 0;
	return 0;
}

/* Adds samples to the 20 ms frames and counts the voiced ones. */
static void
rtp_record_measure(struct rtp_session *session, const int16_t *samples,
    size_t count)
{
	const uint64_t threshold = (uint64_t)RTP_RECORD_VOICED_RMS *
	    RTP_RECORD_VOICED_RMS * RTP_RECORD_FRAME_SAMPLES;

	for (size_t i = 0; i < count; i++) {
		session->frame_energy += (uint64_t)((int32_t)samples[i] *
		    (int32_t)samples[i]);
		if (++session->frame_samples < RTP_RECORD_FRAME_SAMPLES)
			continue;
		if (session->frame_energy > threshold)
			session->record_voiced += RTP_RECORD_FRAME_SAMPLES;
		session->frame_energy = 0;
		session->frame_samples = 0;
	}
}

void
rtp_record_audio(struct rtp_session *session, size_t gap,
    const int16_t *samples, size_t count)
{
	int status = 0;

	if (gap > 0)
		status = rtp_wav_write_silence(session->wav, gap);
	if (status == 0)
		status = rtp_wav_write(session->wav, samples, count);
	if (status == 0) {
		rtp_record_measure(session, samples, count);
		return;
	}

	/* The limit is reached, or the file failed: either way the
	 * recording is over, and the call hears of it. */
	rtp_record_close(session);
	session->record_state = RTP_RECORD_DONE;
	if (session->events.recorded != NULL)
		session->events.recorded(session->arg);
}

int
rtp_session_record_stop(struct rtp_session *session, int64_t *length_ms,
    int64_t *voiced_ms)
{
	int status;

	switch (session->record_state) {
	case RTP_RECORD_ACTIVE:
		status = rtp_record_close(session);
		break;
	case RTP_RECORD_DONE:
		status = session->record_status;
		break;
	default:
		return -1;
	}
	if (status == 0 && length_ms != NULL)
		*length_ms = session->record_samples / (RTP_WAV_RATE / 1000);
	if (status == 0 && voiced_ms != NULL)
		*voiced_ms = session->record_voiced / (RTP_WAV_RATE / 1000);
	rtp_record_forget(session);
	return status;
}

void
rtp_record_discard(struct rtp_session *session)
{
	if (session->record_state == RTP_RECORD_ACTIVE)
		rtp_wav_close(session->wav);
	session->wav = NULL;
	rtp_record_forget(session);
}
