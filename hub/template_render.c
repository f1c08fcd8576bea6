#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "template_internal.h"

/* One parsed tag: kind is one of '#', '^', '/', '!', '{' (raw), or 0 for a
 * plain variable; name is copied without spaces. */
struct template_tag {
	char kind;
	char name[TEMPLATE_NAME_MAX];
	const char *start;	/* the first '{' */
	const char *end;	/* just past the closing braces */
};

/* Parses the tag at s (which starts with "{{"). Returns 0, or -1 on an
 * unclosed or malformed tag. */
static int
template_tag_parse(const char *s, const char *limit, struct template_tag *tag)
{
	const char *p = s + 2, *close;
	const char *closer = "}}";
	size_t length;

	tag->start = s;
	tag->kind = 0;
	if (p < limit && strchr("#^/!{", *p) != NULL)
		tag->kind = *p++;
	if (tag->kind == '{')
		closer = "}}}";
	close = memmem(p, (size_t)(limit - p), closer, strlen(closer));
	if (close == NULL)
		return -1;
	tag->end = close + strlen(closer);
	if (tag->kind == '!')
		return 0;

	while (p < close && *p == ' ')
		p++;
	length = (size_t)(close - p);
	while (length > 0 && p[length - 1] == ' ')
		length--;
	if (length == 0 || length >= TEMPLATE_NAME_MAX)
		return -1;
	memcpy(tag->name, p, length);
	tag->name[length] = '\0';
	return 0;
}

/* Finds the "{{/name}}" that closes the section opened just before s.
 * Returns the closing tag in *close, or -1 when there is none. */
static int
template_section_end(const char *s, const char *limit, const char *name,
    struct template_tag *close)
{
	int depth = 0;
	const char *p = s;

	while ((p = memmem(p, (size_t)(limit - p), "{{", 2)) != NULL) {
		if (template_tag_parse(p, limit, close) != 0)
			return -1;
		if (close->kind == '#' || close->kind == '^')
			depth++;
		else if (close->kind == '/') {
			if (depth == 0)
				return strcmp(close->name, name) == 0 ? 0 : -1;
			depth--;
		}
		p = close->end;
	}
	return -1;
}

/* Looks a dotted name up in the innermost context that has its first part. */
static const json_t *
template_lookup(const json_t *const *stack, int depth, const char *name)
{
	char first[TEMPLATE_NAME_MAX], *dot;
	const json_t *value = NULL;

	if (strcmp(name, ".") == 0)
		return stack[depth - 1];
	strcpy(first, name);
	dot = strchr(first, '.');
	if (dot != NULL)
		*dot = '\0';
	for (int i = depth - 1; i >= 0 && value == NULL; i--)
		if (json_is_object(stack[i]))
			value = json_object_get(stack[i], first);
	while (value != NULL && dot != NULL) {
		char *part = dot + 1;

		dot = strchr(part, '.');
		if (dot != NULL)
			*dot = '\0';
		value = json_object_get(value, part);
	}
	return value;
}

static bool
template_truthy(const json_t *value)
{
	switch (json_typeof(value)) {
	case JSON_STRING:
		return json_string_length(value) > 0;
	case JSON_INTEGER:
		return json_integer_value(value) != 0;
	case JSON_REAL:
		return json_real_value(value) != 0.0;
	case JSON_TRUE:
		return true;
	case JSON_OBJECT:
		return json_object_size(value) > 0;
	case JSON_ARRAY:
		return json_array_size(value) > 0;
	default:
		return false;
	}
}

static void
template_write_escaped(FILE *out, const char *s, enum template_output output)
{
	if (output == TEMPLATE_OUTPUT_SMS) {
		template_sms_write(out, s);
		return;
	}
	if (output != TEMPLATE_OUTPUT_HTML) {
		fputs(s, out);
		return;
	}
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: fputc(*s, out);
		}
	}
}

static void
template_write_value(FILE *out, const json_t *value,
    enum template_output output)
{
	switch (json_typeof(value)) {
	case JSON_STRING:
		template_write_escaped(out, json_string_value(value), output);
		break;
	case JSON_INTEGER:
		fprintf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
		break;
	case JSON_REAL:
		fprintf(out, "%.6g", json_real_value(value));
		break;
	case JSON_TRUE:
		fputs("true", out);
		break;
	default:
		break;
	}
}

/* One rendering: the output, the context of each open section, and the
 * work done so far against the bounds of template_internal.h. */
struct template_render {
	FILE *out;
	const json_t *stack[TEMPLATE_DEPTH_MAX + 1];
	enum template_output output;
	unsigned long steps;	/* tags read, in every pass of a section */
	bool too_large;		/* a bound was reached */
};

static int template_render_range(struct template_render *render,
    const char *s, const char *limit, int depth);

/* Renders the body of a section [s, limit) for tag and its value. */
static int
template_render_section(struct template_render *render,
    const struct template_tag *tag, const char *s, const char *limit,
    int depth)
{
	const json_t *value = template_lookup(render->stack, depth, tag->name);
	bool truthy = value != NULL && template_truthy(value);
	size_t index;
	const json_t *element;

	if (depth >= TEMPLATE_DEPTH_MAX)
		return -1;
	if (tag->kind == '^')
		return truthy ? 0 :
		    template_render_range(render, s, limit, depth);
	if (!truthy)
		return 0;
	if (!json_is_array(value)) {
		render->stack[depth] = value;
		return template_render_range(render, s, limit, depth + 1);
	}
	json_array_foreach(value, index, element) {
		render->stack[depth] = element;
		if (template_render_range(render, s, limit, depth + 1) != 0)
			return -1;
	}
	return 0;
}

/* Counts one step and checks the output size. Nested sections over lists
 * multiply the work, so without bounds it grows exponentially with the
 * depth of a small template. */
static bool
template_render_within_bounds(struct template_render *render)
{
	long size = ftell(render->out);

	render->steps++;
	if (render->steps > TEMPLATE_STEPS_MAX || size < 0 ||
	    size > TEMPLATE_OUTPUT_MAX)
		render->too_large = true;
	return !render->too_large;
}

static int
template_render_range(struct template_render *render, const char *s,
    const char *limit, int depth)
{
	FILE *out = render->out;
	struct template_tag tag, close;
	const char *p;

	while ((p = memmem(s, (size_t)(limit - s), "{{", 2)) != NULL) {
		fwrite(s, 1, (size_t)(p - s), out);
		if (!template_render_within_bounds(render))
			return -1;
		if (template_tag_parse(p, limit, &tag) != 0)
			return -1;
		s = tag.end;
		switch (tag.kind) {
		case '!':
			break;
		case '/':
			return -1;	/* a close without an open */
		case '#':
		case '^':
			if (template_section_end(s, limit, tag.name, &close) != 0)
				return -1;
			if (template_render_section(render, &tag, s,
			    close.start, depth) != 0)
				return -1;
			s = close.end;
			break;
		default: {
			const json_t *value = template_lookup(render->stack,
			    depth, tag.name);

			/* {{{name}}} is raw in HTML only: an SMS keeps
			 * its substitutions whatever the tag. */
			if (value != NULL)
				template_write_value(out, value,
				    tag.kind == '{' &&
				    render->output == TEMPLATE_OUTPUT_HTML ?
				    TEMPLATE_OUTPUT_TEXT : render->output);
		}
		}
	}
	fwrite(s, 1, (size_t)(limit - s), out);
	return template_render_within_bounds(render) ? 0 : -1;
}

static bool
template_name_ends(const char *name, const char *suffix)
{
	size_t length = strlen(name), suffix_length = strlen(suffix);

	return length > suffix_length &&
	    strcmp(name + length - suffix_length, suffix) == 0;
}

enum template_output
template_output_of(const char *name)
{
	if (template_name_ends(name, ".html"))
		return TEMPLATE_OUTPUT_HTML;
	if (template_name_ends(name, ".sms"))
		return TEMPLATE_OUTPUT_SMS;
	return TEMPLATE_OUTPUT_TEXT;
}

char *
template_render_text(const char *text, const char *name, const json_t *vars)
{
	struct template_render render = { .output = template_output_of(name) };
	json_t *empty = NULL;
	char *result = NULL;
	size_t size = 0;
	int rc;

	if (vars == NULL)
		vars = empty = json_object();
	render.stack[0] = vars;
	render.out = open_memstream(&result, &size);
	if (render.out == NULL) {
		json_decref(empty);
		return NULL;
	}
	rc = template_render_range(&render, text, text + strlen(text), 1);
	fclose(render.out);
	json_decref(empty);
	if (rc != 0) {
		free(result);
		errno = render.too_large ? E2BIG : EINVAL;
		return NULL;
	}
	return result;
}
