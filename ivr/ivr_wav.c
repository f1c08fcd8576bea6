/*
 * RIFF WAVE reading for prompts (see ivr_wav.h). G.711 is decoded with
 * spandsp's table-free inline functions.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <spandsp/telephony.h>
#include <spandsp/g711.h>

#include "ivr_wav.h"

#define WAV_FORMAT_PCM 1
#define WAV_FORMAT_ALAW 6
#define WAV_FORMAT_ULAW 7
#define WAV_FORMAT_EXTENSIBLE 0xFFFE
#define WAV_RATE 8000

/* The fmt chunk's fields that decide whether a file can be played. */
struct wav_format {
	unsigned int code;
	unsigned int channels;
	unsigned long rate;
	unsigned int bits;
};

/* Where the file's audio is, once its chunks are walked. */
struct wav_layout {
	struct wav_format format;
	bool has_format;
	size_t data_offset;
	size_t data_size;
	bool has_data;
};

static unsigned int
wav_u16(const unsigned char *p)
{
	return (unsigned int)p[0] | (unsigned int)p[1] << 8;
}

static unsigned long
wav_u32(const unsigned char *p)
{
	return (unsigned long)p[0] | (unsigned long)p[1] << 8 |
	    (unsigned long)p[2] << 16 | (unsigned long)p[3] << 24;
}

static int
wav_fail(char *error, size_t error_size, const char *path,
    const char *problem)
{
	snprintf(error, error_size, "%s: %s; prompts are WAV files of 8000 Hz "
	    "mono 16-bit PCM or G.711 mu-law/A-law; convert it with: "
	    "sox '%s' -r 8000 -c 1 -b 16 -e signed-integer NAME.wav",
	    path, problem, path);
	return -1;
}

static unsigned char *
wav_load_file(const char *path, size_t *size, char *error,
    size_t error_size)
{
	FILE *file = fopen(path, "rb");
	unsigned char *bytes = NULL;
	struct stat st;

	if (file == NULL) {
		snprintf(error, error_size, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(file), &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > IVR_WAV_FILE_MAX) {
		snprintf(error, error_size, "%s: not a regular file of at most "
		    "%ld bytes", path, IVR_WAV_FILE_MAX);
	} else if ((bytes = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(error, error_size, "%s: out of memory", path);
	} else if (fread(bytes, 1, (size_t)st.st_size, file) !=
	    (size_t)st.st_size) {
		snprintf(error, error_size, "%s: read failed", path);
		free(bytes);
		bytes = NULL;
	}
	*size = (size_t)st.st_size;
	fclose(file);
	return bytes;
}

/* Reads the fmt chunk body. WAVE_FORMAT_EXTENSIBLE carries the real format
 * code in the first two bytes of its SubFormat GUID, at offset 24. */
static bool
wav_parse_format(const unsigned char *body, size_t size,
    struct wav_format *format)
{
	if (size < 16)
		return false;
	format->code = wav_u16(body);
	format->channels = wav_u16(body + 2);
	format->rate = wav_u32(body + 4);
	format->bits = wav_u16(body + 14);
	if (format->code == WAV_FORMAT_EXTENSIBLE) {
		if (size < 40)
			return false;
		format->code = wav_u16(body + 24);
	}
	return true;
}

/* Walks the chunks after "RIFF....WAVE", fmt and data in either order. A
 * data chunk whose size runs past the end of the file (as written by a
 * program streaming to a pipe) ends at the end of the file. */
static int
wav_walk(const unsigned char *bytes, size_t size, struct wav_layout *layout)
{
	size_t offset = 12;

	while (offset + 8 <= size) {
		size_t body = offset + 8, remaining = size - body;
		size_t length = wav_u32(bytes + offset + 4);

		if (memcmp(bytes + offset, "fmt ", 4) == 0) {
			if (length > remaining || !wav_parse_format(bytes + body,
			    length, &layout->format))
				return -1;
			layout->has_format = true;
		} else if (memcmp(bytes + offset, "data", 4) == 0) {
			layout->data_offset = body;
			layout->data_size = length > remaining ? remaining :
			    length;
			layout->has_data = true;
		}
		if (length > remaining)
			break;
		offset = body + length + (length & 1);
	}
	return 0;
}

static bool
wav_playable(const struct wav_format *format)
{
	if (format->rate != WAV_RATE || format->channels != 1)
		return false;
	if (format->code == WAV_FORMAT_PCM)
		return format->bits == 16;
	if (format->code == WAV_FORMAT_ULAW || format->code == WAV_FORMAT_ALAW)
		return format->bits == 8;
	return false;
}

static const char *
wav_encoding_name(unsigned int code)
{
	switch (code) {
	case WAV_FORMAT_PCM:
		return "PCM";
	case WAV_FORMAT_ALAW:
		return "A-law";
	case WAV_FORMAT_ULAW:
		return "mu-law";
	case 3:
		return "floating point";
	default:
		return "an unsupported encoding";
	}
}

static int16_t *
wav_decode(const unsigned char *data, size_t size, unsigned int code,
    size_t *count)
{
	size_t samples = code == WAV_FORMAT_PCM ? size / 2 : size;
	int16_t *out = malloc(samples * sizeof(*out) + 1);

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < samples; i++) {
		if (code == WAV_FORMAT_PCM)
			out[i] = (int16_t)(uint16_t)wav_u16(data + 2 * i);
		else if (code == WAV_FORMAT_ULAW)
			out[i] = ulaw_to_linear(data[i]);
		else
			out[i] = alaw_to_linear(data[i]);
	}
	*count = samples;
	return out;
}

static int
wav_check(const char *path, const unsigned char *bytes, size_t size,
    struct wav_layout *layout, char *error, size_t error_size)
{
	char found[160];

	if (size < 12 || memcmp(bytes, "RIFF", 4) != 0 ||
	    memcmp(bytes + 8, "WAVE", 4) != 0)
		return wav_fail(error, error_size, path,
		    "not a WAV file (no RIFF WAVE header)");
	if (wav_walk(bytes, size, layout) != 0 || !layout->has_format)
		return wav_fail(error, error_size, path,
		    "missing or truncated fmt chunk");
	if (!layout->has_data)
		return wav_fail(error, error_size, path, "no data chunk");
	if (!wav_playable(&layout->format)) {
		snprintf(found, sizeof(found), "found %lu Hz, %u channel(s), "
		    "%u-bit %s", layout->format.rate, layout->format.channels,
		    layout->format.bits,
		    wav_encoding_name(layout->format.code));
		return wav_fail(error, error_size, path, found);
	}
	if (layout->data_size < (layout->format.code == WAV_FORMAT_PCM ? 2 : 1))
		return wav_fail(error, error_size, path, "no samples");
	return 0;
}

int
ivr_wav_read(const char *path, int16_t **samples, size_t *count,
    char *error, size_t error_size)
{
	struct wav_layout layout = { 0 };
	size_t size = 0;
	unsigned char *bytes = wav_load_file(path, &size, error, error_size);
	int rc = -1;

	if (bytes == NULL)
		return -1;
	if (wav_check(path, bytes, size, &layout, error, error_size) == 0) {
		*samples = wav_decode(bytes + layout.data_offset,
		    layout.data_size, layout.format.code, count);
		if (*samples == NULL)
			snprintf(error, error_size, "%s: out of memory", path);
		else
			rc = 0;
	}
	free(bytes);
	return rc;
}
