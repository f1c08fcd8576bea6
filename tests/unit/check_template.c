/* Unit tests of the template engine: syntax, escaping, sections, languages
 * and reloading. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_suites.h"
#include "template.h"
#include "template_internal.h"

static char template_dir[64];

static void
write_file(const char *relative, const char *text)
{
	char path[256];
	FILE *file;

	snprintf(path, sizeof(path), "%s/%s", template_dir, relative);
	file = fopen(path, "w");
	ck_assert_ptr_nonnull(file);
	fputs(text, file);
	fclose(file);
}

static void
setup(void)
{
	char path[128];

	strcpy(template_dir, "/tmp/check-template-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(template_dir));
	snprintf(path, sizeof(path), "%s/vi", template_dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/vi/web", template_dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/en", template_dir);
	mkdir(path, 0700);
	write_file("vi/ack.txt", "Mã hồ sơ {{code}} <{{name}}>");
	write_file("en/ack.txt", "Ticket {{code}} <{{name}}>");
	write_file("vi/web/page.html", "<p>{{name}}</p><p>{{{name}}}</p>"
	    "{{#items}}[{{label}}:{{ticket.code}}]{{/items}}"
	    "{{^items}}none{{/items}}{{#flag}}F{{/flag}}{{! a comment }}");
}

static void
teardown(void)
{
	char command[128];

	snprintf(command, sizeof(command), "rm -rf %s", template_dir);
	ck_assert_int_eq(system(command), 0);
}

static char *
render(struct templates *templates, const char *language, const char *name,
    const char *vars_json)
{
	json_t *vars = json_loads(vars_json, 0, NULL);
	char *text;

	ck_assert_ptr_nonnull(vars);
	text = templates_render(templates, language, name, vars);
	json_decref(vars);
	return text;
}

START_TEST(template_text_not_escaped)
{
	char err[256];
	struct templates *templates = templates_load(template_dir, err,
	    sizeof(err));
	char *text;

	ck_assert_msg(templates != NULL, "load failed: %s", err);
	text = render(templates, "vi", "ack.txt",
	    "{\"code\": \"3805-1729-61\", \"name\": \"A&B\"}");
	ck_assert_str_eq(text, "Mã hồ sơ 3805-1729-61 <A&B>");
	free(text);
	templates_free(templates);
}
END_TEST

START_TEST(template_html_escaped_and_raw)
{
	char err[256];
	struct templates *templates = templates_load(template_dir, err,
	    sizeof(err));
	char *text = render(templates, "vi", "web/page.html",
	    "{\"name\": \"<b>\\\"x'&\"}");

	ck_assert_str_eq(text, "<p>&lt;b&gt;&quot;x&#39;&amp;</p>"
	    "<p><b>\"x'&</p>none");
	free(text);
	templates_free(templates);
}
END_TEST

START_TEST(template_sections_loop_and_dots)
{
	char err[256];
	struct templates *templates = templates_load(template_dir, err,
	    sizeof(err));
	char *text = render(templates, "vi", "web/page.html",
	    "{\"name\": \"n\", \"flag\": true, \"ticket\": {\"code\": \"C\"},"
	    " \"items\": [{\"label\": \"a\"}, {\"label\": \"b\"}]}");

	ck_assert_str_eq(text, "<p>n</p><p>n</p>[a:C][b:C]F");
	free(text);
	templates_free(templates);
}
END_TEST

START_TEST(template_language_fallback)
{
	char err[256];
	struct templates *templates = templates_load(template_dir, err,
	    sizeof(err));
	char *english = render(templates, "en", "ack.txt",
	    "{\"code\": \"1\", \"name\": \"n\"}");
	char *unknown = render(templates, "fr", "ack.txt",
	    "{\"code\": \"1\", \"name\": \"n\"}");
	char *missing_in_english = render(templates, "en", "web/page.html",
	    "{\"name\": \"n\"}");

	ck_assert_str_eq(english, "Ticket 1 <n>");
	ck_assert_str_eq(unknown, "Mã hồ sơ 1 <n>");
	ck_assert_str_eq(missing_in_english, "<p>n</p><p>n</p>none");
	errno = 0;
	ck_assert_ptr_null(templates_render(templates, "vi", "nothing.txt",
	    NULL));
	ck_assert_int_eq(errno, ENOENT);
	free(english);
	free(unknown);
	free(missing_in_english);
	templates_free(templates);
}
END_TEST

START_TEST(template_syntax_errors_rejected)
{
	const char *broken[] = {
		"{{#open}} never closed",
		"{{name",
		"{{/close}} without open",
		"{{#a}}{{/b}}",
		"{{}}",
	};
	char err[256];

	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		write_file("vi/broken.txt", broken[i]);
		ck_assert_msg(templates_load(template_dir, err, sizeof(err)) ==
		    NULL, "accepted: %s", broken[i]);
		ck_assert_msg(strstr(err, "broken.txt") != NULL,
		    "error does not name the file: %s", err);
	}
}
END_TEST

START_TEST(template_reload_keeps_old_on_error)
{
	char err[256];
	struct templates *templates = templates_load(template_dir, err,
	    sizeof(err));
	char *text;

	write_file("vi/ack.txt", "new {{code}}");
	ck_assert_int_eq(templates_reload(templates, err, sizeof(err)), 0);
	text = render(templates, "vi", "ack.txt", "{\"code\": \"1\"}");
	ck_assert_str_eq(text, "new 1");
	free(text);

	write_file("vi/ack.txt", "broken {{code");
	ck_assert_int_eq(templates_reload(templates, err, sizeof(err)), -1);
	text = render(templates, "vi", "ack.txt", "{\"code\": \"1\"}");
	ck_assert_str_eq(text, "new 1");
	free(text);
	templates_free(templates);
}
END_TEST

START_TEST(template_project_templates_load)
{
	char err[256];
	struct templates *templates = templates_load(TEST_TEMPLATE_DIR, err,
	    sizeof(err));
	char *text;

	ck_assert_msg(templates != NULL, "project templates: %s", err);
	text = render(templates, "vi", "ack.txt",
	    "{\"code_display\": \"3805-1729-61\"}");
	ck_assert_ptr_nonnull(strstr(text, "3805-1729-61"));
	free(text);
	templates_free(templates);
}
END_TEST

/* The same value through each output kind: as it is in plain text,
 * escaped in HTML, with GSM 03.38 substitutions in an SMS. */
START_TEST(template_escaping_per_output)
{
	/* <b>, curly quotes, a tab, an en dash, "đèn", an ellipsis, CR LF
	 * and a zero-width space. */
	static const char value[] = "<b>\xe2\x80\x9c" "A&B\xe2\x80\x9d</b>"
	    "\t\xe2\x80\x93 \xc4\x91\xc3\xa8n\xe2\x80\xa6\r\n"
	    "\xe2\x80\x8bok";
	const char *template = "[{{v}}|{{{v}}}]";
	json_t *vars = json_pack("{s:s}", "v", value);
	char *text;

	ck_assert_ptr_nonnull(vars);

	ck_assert_int_eq(template_output_of("replies/reply.txt"),
	    TEMPLATE_OUTPUT_TEXT);
	ck_assert_int_eq(template_output_of("web/status.html"),
	    TEMPLATE_OUTPUT_HTML);
	ck_assert_int_eq(template_output_of("replies/reply.sms"),
	    TEMPLATE_OUTPUT_SMS);
	ck_assert_int_eq(template_output_of(".sms"), TEMPLATE_OUTPUT_TEXT);

	text = template_render_text(template, "a.txt", vars);
	ck_assert_str_eq(text, "[<b>\xe2\x80\x9c" "A&B\xe2\x80\x9d</b>\t"
	    "\xe2\x80\x93 \xc4\x91\xc3\xa8n\xe2\x80\xa6\r\n"
	    "\xe2\x80\x8bok|<b>\xe2\x80\x9c" "A&B\xe2\x80\x9d</b>\t"
	    "\xe2\x80\x93 \xc4\x91\xc3\xa8n\xe2\x80\xa6\r\n"
	    "\xe2\x80\x8bok]");
	free(text);

	text = template_render_text(template, "a.html", vars);
	ck_assert_str_eq(text, "[&lt;b&gt;\xe2\x80\x9c" "A&amp;B"
	    "\xe2\x80\x9d&lt;/b&gt;\t\xe2\x80\x93 \xc4\x91\xc3\xa8n"
	    "\xe2\x80\xa6\r\n\xe2\x80\x8bok|<b>\xe2\x80\x9c" "A&B"
	    "\xe2\x80\x9d</b>\t\xe2\x80\x93 \xc4\x91\xc3\xa8n"
	    "\xe2\x80\xa6\r\n\xe2\x80\x8bok]");
	free(text);

	/* Both tags get the substitutions: an SMS has no markup to keep. */
	text = template_render_text(template, "a.sms", vars);
	ck_assert_str_eq(text, "[<b>\"A&B\"</b> - \xc4\x91\xc3\xa8n...\nok|"
	    "<b>\"A&B\"</b> - \xc4\x91\xc3\xa8n...\nok]");
	free(text);
	json_decref(vars);
}
END_TEST

START_TEST(template_sms_size)
{
	struct template_sms_size size;
	char text[400];

	template_sms_measure("Xin ch\xc3\xa0o", &size);
	ck_assert(!size.ucs2);
	ck_assert_uint_eq(size.units, 8);
	ck_assert_uint_eq(size.parts, 1);

	/* d with stroke is not in GSM 03.38. */
	template_sms_measure("\xc4\x90\xc3\xa8n", &size);
	ck_assert(size.ucs2);
	ck_assert_uint_eq(size.units, 3);

	/* Extension characters take two septets. */
	template_sms_measure("[a]\xe2\x82\xac", &size);
	ck_assert(!size.ucs2);
	ck_assert_uint_eq(size.units, 7);

	memset(text, 'a', 160);
	text[160] = '\0';
	template_sms_measure(text, &size);
	ck_assert_uint_eq(size.parts, 1);
	text[160] = 'a';
	text[161] = '\0';
	template_sms_measure(text, &size);
	ck_assert_uint_eq(size.parts, 2);
	memset(text, 'a', 307);
	text[306] = '\0';
	template_sms_measure(text, &size);
	ck_assert_uint_eq(size.parts, 2);
	text[306] = 'a';
	text[307] = '\0';
	template_sms_measure(text, &size);
	ck_assert_uint_eq(size.parts, 3);

	/* UCS-2: 70 in one message, 67 per part; beyond U+FFFF counts two. */
	text[0] = '\0';
	for (int i = 0; i < 70; i++)
		strcat(text, "\xc4\x91");
	template_sms_measure(text, &size);
	ck_assert(size.ucs2);
	ck_assert_uint_eq(size.parts, 1);
	strcat(text, "\xc4\x91");
	template_sms_measure(text, &size);
	ck_assert_uint_eq(size.parts, 2);
	template_sms_measure("\xf0\x9f\x98\x80", &size);
	ck_assert_uint_eq(size.units, 2);

	template_sms_measure("", &size);
	ck_assert_uint_eq(size.parts, 1);
	ck_assert_uint_eq(size.units, 0);
}
END_TEST

/* The reply templates of the project in each output: the agent's text as
 * written in the plain and SMS forms, escaped on the status page. */
START_TEST(template_project_replies_per_output)
{
	char err[256];
	struct templates *templates = templates_load(TEST_TEMPLATE_DIR, err,
	    sizeof(err));
	const char *vars = "{\"name\": \"An <admin>\", \"text\": "
	    "\"Xong & <b>ok</b>\", \"code_display\": \"380 517 296 1\","
	    " \"status_url\": \"http://h/lookup?code=1&token=2\","
	    " \"department_name\": \"S\u1edf X\"}";
	char *text;

	ck_assert_msg(templates != NULL, "project templates: %s", err);
	text = render(templates, "vi", "replies/reply.txt", vars);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(strstr(text, "Kính gửi An <admin>,"));
	ck_assert_ptr_nonnull(strstr(text, "Xong & <b>ok</b>"));
	ck_assert_ptr_nonnull(strstr(text, "http://h/lookup?code=1&token=2"));
	ck_assert_ptr_nonnull(strstr(text, "Sở X"));
	free(text);

	text = render(templates, "en", "replies/reply.sms", vars);
	ck_assert_ptr_nonnull(text);
	ck_assert_str_eq(text, "Report 380 517 296 1: Xong & <b>ok</b> - "
	    "Sở X\n");
	free(text);

	text = render(templates, "vi", "web/status.html",
	    "{\"factor_valid\": true, \"messages\": [{\"text\": "
	    "\"<script>alert(1)</script>\", \"agent_name\": \"<i>Lan</i>\"}]}");
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_null(strstr(text, "<script>"));
	ck_assert_ptr_null(strstr(text, "<i>Lan"));
	ck_assert_ptr_nonnull(strstr(text, "&lt;script&gt;alert(1)"));
	ck_assert_ptr_nonnull(strstr(text, "&lt;i&gt;Lan&lt;/i&gt;"));
	free(text);
	templates_free(templates);
}
END_TEST

/* Returns a JSON object whose "items" is a list of count integers. */
static json_t *
items_vars(size_t count)
{
	json_t *items = json_array();
	json_t *vars = json_object();

	ck_assert_ptr_nonnull(items);
	ck_assert_ptr_nonnull(vars);
	for (size_t i = 0; i < count; i++)
		ck_assert_int_eq(json_array_append_new(items,
		    json_integer((json_int_t)i)), 0);
	ck_assert_int_eq(json_object_set_new(vars, "items", items), 0);
	return vars;
}

/* Twelve sections nested over a list of four take 4^12 passes (about 16
 * million) and 16 MB of output, and each level more multiplies that by 4. */
START_TEST(template_nested_lists_bounded)
{
	json_t *vars = items_vars(4);
	char text[512] = "";

	for (int i = 0; i < 12; i++)
		strcat(text, "{{#items}}");
	strcat(text, "x");
	for (int i = 0; i < 12; i++)
		strcat(text, "{{/items}}");
	errno = 0;
	ck_assert_ptr_null(template_render_text(text, "page.html", vars));
	ck_assert_int_eq(errno, E2BIG);
	json_decref(vars);
}
END_TEST

/* One section over a long list: past TEMPLATE_OUTPUT_MAX bytes it fails,
 * and just below it renders in full. */
START_TEST(template_output_bounded)
{
	size_t line = 1024, below = TEMPLATE_OUTPUT_MAX / 1024 - 1;
	json_t *too_long = items_vars(below + 2);
	json_t *fits = items_vars(below);
	char *text = malloc(line + 32), *output;

	ck_assert_ptr_nonnull(text);
	strcpy(text, "{{#items}}");
	memset(text + strlen(text), 'a', line);
	strcpy(text + strlen("{{#items}}") + line, "{{/items}}");

	errno = 0;
	ck_assert_ptr_null(template_render_text(text, "page.txt", too_long));
	ck_assert_int_eq(errno, E2BIG);
	output = template_render_text(text, "page.txt", fits);
	ck_assert_ptr_nonnull(output);
	ck_assert_uint_eq(strlen(output), below * line);
	free(output);
	free(text);
	json_decref(fits);
	json_decref(too_long);
}
END_TEST

Suite *
template_suite(void)
{
	Suite *suite = suite_create("template");
	TCase *tcase = tcase_create("render");

	tcase_add_checked_fixture(tcase, setup, teardown);
	tcase_add_test(tcase, template_text_not_escaped);
	tcase_add_test(tcase, template_html_escaped_and_raw);
	tcase_add_test(tcase, template_sections_loop_and_dots);
	tcase_add_test(tcase, template_language_fallback);
	tcase_add_test(tcase, template_syntax_errors_rejected);
	tcase_add_test(tcase, template_reload_keeps_old_on_error);
	tcase_add_test(tcase, template_project_templates_load);
	tcase_add_test(tcase, template_escaping_per_output);
	tcase_add_test(tcase, template_sms_size);
	tcase_add_test(tcase, template_project_replies_per_output);
	tcase_add_test(tcase, template_nested_lists_bounded);
	tcase_add_test(tcase, template_output_bounded);
	suite_add_tcase(suite, tcase);
	return suite;
}
