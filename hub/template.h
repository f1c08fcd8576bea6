/*
 * Templates: texts for citizens and agents in templates/vi and templates/en,
 * loaded at start and reloaded on SIGHUP.
 *
 * The syntax is a subset of Mustache with a JSON object as context:
 * {{name}} inserts a value (HTML-escaped in files ending in .html),
 * {{{name}}} inserts it unescaped, {{#name}}...{{/name}} renders the inside
 * when the value is true, a non-empty string, a non-zero number or a
 * non-empty object, and once per element when it is an array (with the
 * element as context), {{^name}}...{{/name}} renders the inside when it is
 * not. Names may use dots ("ticket.code").
 */
#ifndef HUB_TEMPLATE_H
#define HUB_TEMPLATE_H

#include <stddef.h>

#include <jansson.h>

struct templates;

/* Loads every file under dir/vi and dir/en (nested folders included, names
 * like "web/index.html") and checks their syntax. Returns NULL with a
 * message in err. */
struct templates *templates_load(const char *dir, char *err, size_t err_size);

/* Loads the folder again. On failure the loaded set stays and -1 is
 * returned with a message in err. */
int templates_reload(struct templates *templates, char *err, size_t err_size);

/* Renders name in language ("vi" or "en"; any other falls back to "vi")
 * with vars. A template missing in English falls back to Vietnamese.
 * Returns a new string (caller frees), or NULL with errno ENOENT when the
 * template does not exist, EINVAL on a syntax error, or E2BIG when the
 * rendering goes past the step or output bound of the renderer. */
char *templates_render(const struct templates *templates, const char *language,
    const char *name, const json_t *vars);

void templates_free(struct templates *templates);

#endif
