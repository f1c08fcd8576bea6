/*
 * Text handling for Vietnamese input: UTF-8 validation, NFC normalization,
 * trimming, length in code points, and the folded form used for search keys
 * and keyword matching (lower case, no diacritics, đ/Đ to d).
 */
#ifndef HUB_TEXT_H
#define HUB_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Whether the len bytes at s are valid UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF). A NUL byte counts as invalid, because
 * no stored text may contain one. */
bool text_valid_utf8(const char *s, size_t len);

/* Returns a new NUL-terminated string: s in NFC with leading and trailing
 * white space (ASCII and Unicode spaces) removed. s must be valid UTF-8.
 * Returns NULL on allocation failure. Caller frees. */
char *text_normalize(const char *s, size_t len);

/* Number of code points in valid UTF-8 text s. */
size_t text_length(const char *s);

/* Returns a new string: s case-folded, in NFD with combining marks removed,
 * đ/Đ mapped to d, then in NFC. "Đường Nguyễn Huệ" -> "duong nguyen hue".
 * Accepts NFC or NFD input. Returns NULL on allocation failure. Caller frees. */
char *text_fold(const char *s);

/* Copies valid UTF-8 s into out (size bytes) truncated at a code point
 * boundary, NUL-terminated. Returns the number of bytes written, not
 * counting the NUL. */
size_t text_truncate(const char *s, char *out, size_t size);

#endif
