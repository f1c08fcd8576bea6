/*
 * Reading one prompt file: a RIFF WAVE file of 8000 Hz mono audio, either
 * 16-bit linear PCM (format 1) or 8-bit G.711 μ-law (format 7) or A-law
 * (format 6), also inside WAVE_FORMAT_EXTENSIBLE (0xFFFE). Chunks may come
 * in any order (fmt after LIST or fact is fine); the data chunk's samples
 * are decoded to 16-bit linear at load.
 */
#ifndef IVR_WAV_H
#define IVR_WAV_H

#include <stddef.h>
#include <stdint.h>

/* Largest prompt file read: 16 MiB, over 17 minutes of 16-bit audio. */
#define IVR_WAV_FILE_MAX (16L * 1024 * 1024)

/* Reads path into *samples (caller frees) and *count. Returns 0, or -1
 * with error filled in: it names the file, what is wrong with it, and the
 * sox command that converts it. */
int ivr_wav_read(const char *path, int16_t **samples, size_t *count,
    char *error, size_t error_size);

#endif
