/*
 * The renderer behind template.h, shared by the loader's syntax check.
 */
#ifndef HUB_TEMPLATE_INTERNAL_H
#define HUB_TEMPLATE_INTERNAL_H

#include <stdio.h>

#include <jansson.h>

#define TEMPLATE_DEPTH_MAX 16	/* nested sections and folders */
#define TEMPLATE_NAME_MAX 64

/* Bounds of one rendering, so that a template whose nested sections over
 * lists multiply the work fails instead of blocking the thread. A step is
 * one tag read, counted again in each pass of a section over a list. */
#define TEMPLATE_STEPS_MAX 1000000
#define TEMPLATE_OUTPUT_MAX (4L * 1024 * 1024)

/* Writes valid UTF-8 text to out for an SMS (template_sms.c): typographic
 * quotes, dashes, ellipses and spaces become their GSM 03.38 equivalents,
 * tabs become spaces, CR LF becomes LF, and other control and zero-width
 * characters are dropped. Letters are kept, Vietnamese ones included. */
void template_sms_write(FILE *out, const char *text);

/* Renders text, the template called name (".html" names escape values,
 * ".sms" names pass them through template_sms_write),
 * with vars (NULL for none). Returns a new string, or NULL with errno
 * EINVAL on a syntax error, or E2BIG when the rendering goes past
 * TEMPLATE_STEPS_MAX or TEMPLATE_OUTPUT_MAX. */
char *template_render_text(const char *text, const char *name,
    const json_t *vars);

#endif
