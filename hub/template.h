/*
 * Templates: texts for citizens and agents in templates/vi and templates/en,
 * loaded at start and reloaded on SIGHUP.
 *
 * The syntax is a subset of Mustache with a JSON object as context:
 * {{name}} inserts a value as the template's output kind needs it (see
 * enum template_output), {{{name}}} inserts it unescaped in HTML, {{#name}}...{{/name}} renders the inside
 * when the value is true, a non-empty string, a non-zero number or a
 * non-empty object, and once per element when it is an array (with the
 * element as context), {{^name}}...{{/name}} renders the inside when it is
 * not. Names may use dots ("ticket.code").
 */
#ifndef HUB_TEMPLATE_H
#define HUB_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct templates;

/*
 * The output kind of a template, from the end of its name. Values inserted
 * with {{name}} are written as the output needs:
 *
 *   TEMPLATE_OUTPUT_TEXT  any other name: plain text for email and chat,
 *                         values as they are
 *   TEMPLATE_OUTPUT_HTML  ".html": values HTML-escaped (& < > " ')
 *   TEMPLATE_OUTPUT_SMS   ".sms": values with typographic punctuation
 *                         replaced by GSM 03.38 characters and control
 *                         characters dropped, so that a text without
 *                         Vietnamese letters stays in the 7-bit alphabet
 */
enum template_output {
	TEMPLATE_OUTPUT_TEXT,
	TEMPLATE_OUTPUT_HTML,
	TEMPLATE_OUTPUT_SMS,
};

enum template_output template_output_of(const char *name);

/* The size of a text sent as SMS. GSM 03.38 has few Vietnamese letters
 * (à è é ì ò ù among them), so most Vietnamese text needs UCS-2: 70
 * characters in one SMS, 67 in each part of a longer one. GSM-7 text takes
 * 160 in one and 153 per part, and ^ { } [ ] ~ \ | and the euro sign count
 * twice. */
struct template_sms_size {
	bool ucs2;		/* needs UCS-2 (false: GSM 03.38 7-bit) */
	size_t units;		/* septets, or UTF-16 code units for UCS-2 */
	size_t parts;		/* messages sent, 1 for an empty text */
};

/* Measures valid UTF-8 text as one SMS would carry it. */
void template_sms_measure(const char *text, struct template_sms_size *size);

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
