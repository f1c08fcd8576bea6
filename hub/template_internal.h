/*
 * The renderer behind template.h, shared by the loader's syntax check.
 */
#ifndef HUB_TEMPLATE_INTERNAL_H
#define HUB_TEMPLATE_INTERNAL_H

#include <jansson.h>

#define TEMPLATE_DEPTH_MAX 16	/* nested sections and folders */
#define TEMPLATE_NAME_MAX 64

/* Bounds of one rendering, so that a template whose nested sections over
 * lists multiply the work fails instead of blocking the thread. A step is
 * one tag read, counted again in each pass of a section over a list. */
#define TEMPLATE_STEPS_MAX 1000000
#define TEMPLATE_OUTPUT_MAX (4L * 1024 * 1024)

/* Renders text, the template called name (".html" names escape values),
 * with vars (NULL for none). Returns a new string, or NULL with errno
 * EINVAL on a syntax error, or E2BIG when the rendering goes past
 * TEMPLATE_STEPS_MAX or TEMPLATE_OUTPUT_MAX. */
char *template_render_text(const char *text, const char *name,
    const json_t *vars);

#endif
