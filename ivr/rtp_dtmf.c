/*
 * spandsp 0.0.6's dtmf_rx with its digits callback. The realtime callback
 * is not used because, once it is set, dtmf_rx stops calling the digits
 * callback, and the IVR wants whole key presses, not tone edges.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

/* For sizeof(dtmf_rx_state_t) in rtp_dtmf_size. */
#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES
#include <spandsp.h>

#include "rtp_dtmf.h"

struct rtp_dtmf {
	dtmf_rx_state_t *rx;
	char keys[RTP_DTMF_KEYS_MAX];
	size_t key_count;
};

/* spandsp's digits callback, called from inside dtmf_rx. */
static void
rtp_dtmf_collect(void *arg, const char *digits, int len)
{
	struct rtp_dtmf *dtmf = arg;

	for (int i = 0; i < len && dtmf->key_count < RTP_DTMF_KEYS_MAX; i++)
		dtmf->keys[dtmf->key_count++] = digits[i];
}

struct rtp_dtmf *
rtp_dtmf_new(void)
{
	struct rtp_dtmf *dtmf = calloc(1, sizeof(*dtmf));

	if (dtmf == NULL)
		return NULL;
	dtmf->rx = dtmf_rx_init(NULL, rtp_dtmf_collect, dtmf);
	if (dtmf->rx == NULL) {
		free(dtmf);
		errno = ENOMEM;
		return NULL;
	}
	return dtmf;
}

size_t
rtp_dtmf_feed(struct rtp_dtmf *dtmf, const int16_t *samples, size_t count,
    char keys[RTP_DTMF_KEYS_MAX])
{
	size_t found;

	dtmf->key_count = 0;
	while (count > 0) {
		int chunk = count > INT_MAX ? INT_MAX : (int)count;

		dtmf_rx(dtmf->rx, samples, chunk);
		samples += chunk;
		count -= (size_t)chunk;
	}
	found = dtmf->key_count;
	for (size_t i = 0; i < found; i++)
		keys[i] = dtmf->keys[i];
	dtmf->key_count = 0;
	return found;
}

void
rtp_dtmf_skip(struct rtp_dtmf *dtmf, size_t count)
{
	dtmf_rx_fillin(dtmf->rx, count > INT_MAX ? INT_MAX : (int)count);
}

size_t
rtp_dtmf_size(void)
{
	return sizeof(struct rtp_dtmf) + sizeof(dtmf_rx_state_t);
}

void
rtp_dtmf_free(struct rtp_dtmf *dtmf)
{
	if (dtmf == NULL)
		return;
	dtmf_rx_free(dtmf->rx);
	free(dtmf);
}
