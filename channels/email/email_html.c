/*
 * Plain text of an HTML mail with libxml2's HTML parser. The input is cut
 * to html_max_bytes and the tree is walked without recursion down to
 * html_max_depth. Runs of white space become one space, block elements
 * become line breaks, and blank lines collapse to one. Each step is linear
 * in the input, so thousands of links or a megabyte of white space lines
 * cost no more than their size.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>

#include "email_parse_internal.h"

#define EMAIL_HTML_OPTIONS (HTML_PARSE_NONET | HTML_PARSE_NOERROR | \
	HTML_PARSE_NOWARNING | HTML_PARSE_RECOVER | HTML_PARSE_COMPACT | \
	HTML_PARSE_IGNORE_ENC)

/* The effect of an element on the text around it. */
enum email_html_role {
	EMAIL_HTML_INLINE,
	EMAIL_HTML_SKIP,	/* left out with its content */
	EMAIL_HTML_LINE,	/* starts and ends on its own line */
	EMAIL_HTML_PARAGRAPH,	/* a blank line before and after */
	EMAIL_HTML_BREAK,	/* <br> */
	EMAIL_HTML_ITEM,	/* <li>: its own line, after "- " */
	EMAIL_HTML_CELL,	/* <td>: a space before */
	EMAIL_HTML_PRE,		/* a paragraph that keeps its white space */
};

struct email_html_element {
	const char *name;
	enum email_html_role role;
};

static const struct email_html_element email_html_elements[] = {
	{ "script", EMAIL_HTML_SKIP }, { "style", EMAIL_HTML_SKIP },
	{ "head", EMAIL_HTML_SKIP }, { "title", EMAIL_HTML_SKIP },
	{ "template", EMAIL_HTML_SKIP }, { "noscript", EMAIL_HTML_SKIP },
	{ "object", EMAIL_HTML_SKIP }, { "svg", EMAIL_HTML_SKIP },
	{ "br", EMAIL_HTML_BREAK }, { "li", EMAIL_HTML_ITEM },
	{ "td", EMAIL_HTML_CELL }, { "th", EMAIL_HTML_CELL },
	{ "pre", EMAIL_HTML_PRE },
	{ "p", EMAIL_HTML_PARAGRAPH }, { "h1", EMAIL_HTML_PARAGRAPH },
	{ "h2", EMAIL_HTML_PARAGRAPH }, { "h3", EMAIL_HTML_PARAGRAPH },
	{ "h4", EMAIL_HTML_PARAGRAPH }, { "h5", EMAIL_HTML_PARAGRAPH },
	{ "h6", EMAIL_HTML_PARAGRAPH }, { "blockquote", EMAIL_HTML_PARAGRAPH },
	{ "table", EMAIL_HTML_PARAGRAPH }, { "ul", EMAIL_HTML_PARAGRAPH },
	{ "ol", EMAIL_HTML_PARAGRAPH }, { "dl", EMAIL_HTML_PARAGRAPH },
	{ "div", EMAIL_HTML_LINE }, { "tr", EMAIL_HTML_LINE },
	{ "hr", EMAIL_HTML_LINE }, { "dt", EMAIL_HTML_LINE },
	{ "dd", EMAIL_HTML_LINE }, { "section", EMAIL_HTML_LINE },
	{ "article", EMAIL_HTML_LINE }, { "header", EMAIL_HTML_LINE },
	{ "footer", EMAIL_HTML_LINE }, { "nav", EMAIL_HTML_LINE },
	{ "aside", EMAIL_HTML_LINE }, { "address", EMAIL_HTML_LINE },
	{ "form", EMAIL_HTML_LINE }, { "fieldset", EMAIL_HTML_LINE },
	{ "figure", EMAIL_HTML_LINE }, { "figcaption", EMAIL_HTML_LINE },
	{ "main", EMAIL_HTML_LINE }, { "caption", EMAIL_HTML_LINE },
	{ "center", EMAIL_HTML_LINE },
};

struct email_html_writer {
	GString *out;
	size_t max;		/* max_text_bytes, 0 for none */
	int pre;		/* depth of <pre> elements around */
	bool full;
};

static enum email_html_role
email_html_role_of(const xmlNode *node)
{
	const char *name = (const char *)node->name;

	for (size_t i = 0; i < G_N_ELEMENTS(email_html_elements); i++)
		if (g_ascii_strcasecmp(name, email_html_elements[i].name) == 0)
			return email_html_elements[i].role;
	return EMAIL_HTML_INLINE;
}

static void
email_html_trim_spaces(struct email_html_writer *writer)
{
	GString *out = writer->out;

	while (out->len > 0 && out->str[out->len - 1] == ' ')
		g_string_truncate(out, out->len - 1);
}

static int
email_html_trailing_newlines(const struct email_html_writer *writer)
{
	const GString *out = writer->out;
	int count = 0;

	while (count < 2 && (size_t)count < out->len &&
	    out->str[out->len - 1 - (size_t)count] == '\n')
		count++;
	return count;
}

/* Ends the line so that the text ends in at least count line breaks, 2
 * being a blank line. It adds no more than one blank line, and none at the
 * start of the text. */
static void
email_html_newlines(struct email_html_writer *writer, int count)
{
	email_html_trim_spaces(writer);
	if (writer->out->len == 0)
		return;
	for (int have = email_html_trailing_newlines(writer); have < count;
	    have++)
		g_string_append_c(writer->out, '\n');
}

/* <br>: one more line break, up to one blank line. */
static void
email_html_break(struct email_html_writer *writer)
{
	email_html_trim_spaces(writer);
	if (writer->out->len > 0 && email_html_trailing_newlines(writer) < 2)
		g_string_append_c(writer->out, '\n');
}

static bool
email_html_at_line_start(const struct email_html_writer *writer)
{
	const GString *out = writer->out;

	return out->len == 0 || out->str[out->len - 1] == '\n';
}

static void
email_html_space(struct email_html_writer *writer)
{
	if (!email_html_at_line_start(writer) &&
	    writer->out->str[writer->out->len - 1] != ' ')
		g_string_append_c(writer->out, ' ');
}

/* Appends a text node: white space (with no-break spaces) collapsed to one
 * space outside <pre>, line breaks kept inside. */
static void
email_html_text(struct email_html_writer *writer, const char *text)
{
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '\n' && writer->pre > 0) {
			email_html_break(writer);
		} else if ((*p == ' ' || *p == '\t') && writer->pre > 0) {
			g_string_append_c(writer->out, *p);
		} else if (*p == ' ' || *p == '\t' || *p == '\n' ||
		    *p == '\r' || *p == '\f' || *p == '\v') {
			email_html_space(writer);
		} else if ((unsigned char)p[0] == 0xc2 &&
		    (unsigned char)p[1] == 0xa0) {
			email_html_space(writer);
			p++;
		} else {
			g_string_append_c(writer->out, *p);
		}
	}
	if (writer->max > 0 && writer->out->len > writer->max)
		writer->full = true;
}

/* Opens an element; returns false when it is left out with its content. */
static bool
email_html_enter(struct email_html_writer *writer, const xmlNode *node)
{
	switch (email_html_role_of(node)) {
	case EMAIL_HTML_SKIP:
		return false;
	case EMAIL_HTML_LINE:
		email_html_newlines(writer, 1);
		break;
	case EMAIL_HTML_PARAGRAPH:
		email_html_newlines(writer, 2);
		break;
	case EMAIL_HTML_PRE:
		email_html_newlines(writer, 2);
		writer->pre++;
		break;
	case EMAIL_HTML_BREAK:
		email_html_break(writer);
		break;
	case EMAIL_HTML_ITEM:
		email_html_newlines(writer, 1);
		g_string_append(writer->out, "- ");
		break;
	case EMAIL_HTML_CELL:
		email_html_space(writer);
		break;
	case EMAIL_HTML_INLINE:
		break;
	}
	return true;
}

static void
email_html_leave(struct email_html_writer *writer, const xmlNode *node)
{
	switch (email_html_role_of(node)) {
	case EMAIL_HTML_LINE:
	case EMAIL_HTML_ITEM:
		email_html_newlines(writer, 1);
		break;
	case EMAIL_HTML_PRE:
		writer->pre--;
		email_html_newlines(writer, 2);
		break;
	case EMAIL_HTML_PARAGRAPH:
		email_html_newlines(writer, 2);
		break;
	default:
		break;
	}
}

/* Visits the nodes in document order with an explicit depth, so that deep
 * nesting costs no stack. Elements deeper than max_depth are left out
 * with their content. */
static void
email_html_walk(struct email_html_writer *writer, xmlDoc *doc, int max_depth)
{
	xmlNode *node = doc->children;
	int depth = 0;

	while (node != NULL && !writer->full) {
		bool entered = false;

		if (node->type == XML_ELEMENT_NODE && depth < max_depth)
			entered = email_html_enter(writer, node);
		else if ((node->type == XML_TEXT_NODE ||
		    node->type == XML_CDATA_SECTION_NODE) &&
		    node->content != NULL)
			email_html_text(writer, (const char *)node->content);
		if (entered && node->children != NULL) {
			node = node->children;
			depth++;
			continue;
		}
		if (entered)
			email_html_leave(writer, node);
		while (node != NULL && node->next == NULL) {
			node = node->parent;
			depth--;
			if (node == NULL || node->type != XML_ELEMENT_NODE) {
				node = NULL;
				break;
			}
			email_html_leave(writer, node);
		}
		if (node != NULL)
			node = node->next;
	}
}

char *
email_html_to_text(const char *html, size_t size,
    const struct email_parse_options *options)
{
	struct email_html_writer writer = { .max = options->max_text_bytes };
	int max_depth = options->html_max_depth > 0 ?
	    options->html_max_depth : 256;
	size_t start = 0, length;
	char *input, *text;
	xmlDoc *doc;

	if (options->html_max_bytes > 0 && size > options->html_max_bytes)
		size = email_text_cut(html, size, options->html_max_bytes);
	input = email_charset_to_utf8(html, size, NULL);
	length = strlen(input);
	writer.out = g_string_new(NULL);
	doc = length > 0 && length <= INT_MAX ? htmlReadMemory(input,
	    (int)length, NULL, "UTF-8", EMAIL_HTML_OPTIONS) : NULL;
	g_free(input);
	if (doc != NULL) {
		email_html_walk(&writer, doc, max_depth);
		xmlFreeDoc(doc);
	}

	email_html_trim_spaces(&writer);
	while (start < writer.out->len && writer.out->str[start] == '\n')
		start++;
	length = writer.out->len - start;
	while (length > 0 && writer.out->str[start + length - 1] == '\n')
		length--;
	if (writer.max > 0)
		length = email_text_cut(writer.out->str + start, length,
		    writer.max);
	text = strndup(writer.out->str + start, length);
	g_string_free(writer.out, TRUE);
	if (text != NULL)
		email_text_clean(text, true);
	return text;
}
