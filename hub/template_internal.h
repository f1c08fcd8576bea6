/*
 * The renderer behind template.h, shared by the loader's syntax check.
 */
#ifndef HUB_TEMPLATE_INTERNAL_H
#define HUB_TEMPLATE_INTERNAL_H

#include <jansson.h>

#define TEMPLATE_DEPTH_MAX 16	/* nested sections and folders */
#define TEMPLATE_NAME_MAX 64

/* Renders text, the template called name (".html" names escape values),
 * with vars (NULL for none). Returns a new string, or NULL with errno
 * EINVAL on a syntax error. */
char *template_render_text(const char *text, const char *name,
    const json_t *vars);

#endif
