/* The SMS module's generic HTTP gateway: placeholders escaped for the URL,
 * headers and body, the request built from a config, the judgment of a
 * gateway's response and the config's errors. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "sms_http.h"

static const char check_sms_text[] =
    "Cảm ơn \"ông/bà\" đã gửi phản ánh\\góp ý.\nMã: 3805-1729-61 & 1+1=2";

static const struct sms_http_values check_sms_values = {
	.to = "+84912345678",
	.from = "UBND TINH",
	.text = check_sms_text,
	.reference = "chub.12.34.0123456789abcdef",
	.coding = "ucs2",
	.unicode = "1",
	.parts = "2",
	.username = "hub user",
	.password = "p@ss&word",
};

static char *
check_sms_expand(const char *template, enum sms_http_escape escape)
{
	char *out = NULL;

	ck_assert_int_eq(sms_http_expand(template, escape, &check_sms_values,
	    &out), 0);
	ck_assert_ptr_nonnull(out);
	return out;
}

/* Loads the gateway object text (at "channels.sms.gateways[1]") into
 * config; returns what sms_http_config_load returns. */
static int
check_sms_load(const char *text, struct sms_http_config *config,
    struct config_error *err)
{
	json_error_t error;
	json_t *object = json_loads(text, 0, &error);
	int result;

	ck_assert_msg(object != NULL, "invalid test JSON %s: %s", text,
	    error.text);
	memset(err, 0, sizeof *err);
	result = sms_http_config_load(NULL, object, "channels.sms.gateways[1]",
	    config, err);
	json_decref(object);
	return result;
}

/* --- Templates ----------------------------------------------------------- */

START_TEST(template_check_names)
{
	char problem[128];

	ck_assert_int_eq(sms_http_template_check("{\"Phone\": \"{{to}}\", "
	    "\"Content\": \"{{text}}\", \"Brandname\": \"{{from}}\", "
	    "\"Ref\": \"{{reference}}\", \"Coding\": \"{{coding}}\", "
	    "\"Unicode\": {{unicode}}, \"Parts\": {{parts}}, "
	    "\"User\": \"{{username}}\", \"Pass\": \"{{password}}\"}",
	    problem, sizeof problem), 0);
	ck_assert_int_eq(sms_http_template_check("{\"a\": {\"b\": 1}}",
	    problem, sizeof problem), 0);
	ck_assert_int_eq(sms_http_template_check("to={{phone}}", problem,
	    sizeof problem), -1);
	ck_assert_str_eq(problem, "unknown placeholder {{phone}}");
	ck_assert_int_eq(sms_http_template_check("to={{ to }}", problem,
	    sizeof problem), -1);
	ck_assert_str_eq(problem, "unknown placeholder {{ to }}");
	ck_assert_int_eq(sms_http_template_check("to={{to", problem,
	    sizeof problem), -1);
	ck_assert_str_eq(problem, "\"{{\" without a closing \"}}\"");
}
END_TEST

START_TEST(expand_json_escapes_string)
{
	char *out = check_sms_expand("{\"Phone\":\"{{to}}\",\"Content\":"
	    "\"{{text}}\",\"Brandname\":\"{{from}}\",\"Unicode\":{{unicode}}}",
	    SMS_HTTP_ESCAPE_JSON);

	ck_assert_str_eq(out, "{\"Phone\":\"+84912345678\",\"Content\":"
	    "\"Cảm ơn \\\"ông/bà\\\" đã gửi phản ánh\\\\góp ý.\\nMã: "
	    "3805-1729-61 & 1+1=2\",\"Brandname\":\"UBND TINH\","
	    "\"Unicode\":1}");
	free(out);
}
END_TEST

START_TEST(expand_json_control_characters)
{
	struct sms_http_values values = { .text = "a\tb\rc\x01\x1f" "d" };
	char *out = NULL;
	json_t *parsed;
	char *document;

	ck_assert_int_eq(sms_http_expand("{{text}}", SMS_HTTP_ESCAPE_JSON,
	    &values, &out), 0);
	ck_assert_str_eq(out, "a\\tb\\rc\\u0001\\u001fd");
	/* The expansion inside quotes parses back to the same text. */
	ck_assert_int_ge(asprintf(&document, "[\"%s\"]", out), 0);
	parsed = json_loads(document, 0, NULL);
	ck_assert_ptr_nonnull(parsed);
	ck_assert_str_eq(json_string_value(json_array_get(parsed, 0)),
	    values.text);
	json_decref(parsed);
	free(document);
	free(out);
}
END_TEST

START_TEST(expand_form_percent_encodes)
{
	char *out = check_sms_expand("Phone={{to}}&Content={{text}}"
	    "&User={{username}}&Pass={{password}}", SMS_HTTP_ESCAPE_FORM);

	ck_assert_str_eq(out, "Phone=%2B84912345678&Content="
	    "C%E1%BA%A3m+%C6%A1n+%22%C3%B4ng%2Fb%C3%A0%22+%C4%91%C3%A3+"
	    "g%E1%BB%ADi+ph%E1%BA%A3n+%C3%A1nh%5Cg%C3%B3p+%C3%BD.%0AM%C3%A3"
	    "%3A+3805-1729-61+%26+1%2B1%3D2&User=hub+user&Pass=p%40ss%26word");
	free(out);
}
END_TEST

START_TEST(expand_url_percent_encodes)
{
	struct sms_http_values values = { .text = "Xin chào ~a-b_c.d" };
	char *out = check_sms_expand("http://127.0.0.1/send?to={{to}}"
	    "&user={{username}}&pass={{password}}", SMS_HTTP_ESCAPE_URL);

	ck_assert_str_eq(out, "http://127.0.0.1/send?to=%2B84912345678"
	    "&user=hub%20user&pass=p%40ss%26word");
	free(out);
	ck_assert_int_eq(sms_http_expand("/s?text={{text}}",
	    SMS_HTTP_ESCAPE_URL, &values, &out), 0);
	ck_assert_str_eq(out, "/s?text=Xin%20ch%C3%A0o%20~a-b_c.d");
	free(out);
}
END_TEST

START_TEST(expand_header_rejects_line_breaks)
{
	struct sms_http_values values = { .text = "a\tb" };
	char *out = NULL;

	ck_assert_int_eq(sms_http_expand("Bearer {{password}}",
	    SMS_HTTP_ESCAPE_HEADER, &check_sms_values, &out), 0);
	ck_assert_str_eq(out, "Bearer p@ss&word");
	free(out);
	ck_assert_int_eq(sms_http_expand("{{text}}", SMS_HTTP_ESCAPE_HEADER,
	    &values, &out), 0);
	ck_assert_str_eq(out, "a\tb");
	free(out);

	out = NULL;
	values.text = "Dòng 1\r\nX-Injected: 1";
	errno = 0;
	ck_assert_int_eq(sms_http_expand("{{text}}", SMS_HTTP_ESCAPE_HEADER,
	    &values, &out), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(out);
	values.text = "only\nLF";
	ck_assert_int_eq(sms_http_expand("{{text}}", SMS_HTTP_ESCAPE_HEADER,
	    &values, &out), -1);
}
END_TEST

START_TEST(expand_raw_and_missing_values)
{
	struct sms_http_values values = { .text = "<b>&\"x\"</b>" };
	char *out = NULL;

	ck_assert_int_eq(sms_http_expand("<msg to=\"{{to}}\">{{text}}</msg>",
	    SMS_HTTP_ESCAPE_RAW, &values, &out), 0);
	ck_assert_str_eq(out, "<msg to=\"\"><b>&\"x\"</b></msg>");
	free(out);
	ck_assert_int_eq(sms_http_expand("{x}} {{ {{parts}}",
	    SMS_HTTP_ESCAPE_RAW, &check_sms_values, &out), 0);
	ck_assert_str_eq(out, "{x}} {{ 2");
	free(out);
	ck_assert_int_eq(sms_http_expand("", SMS_HTTP_ESCAPE_RAW,
	    &check_sms_values, &out), 0);
	ck_assert_str_eq(out, "");
	free(out);
}
END_TEST

/* --- Requests ---------------------------------------------------------------- */

static const char check_sms_json_gateway[] =
    "{\"name\": \"brandname\", \"type\": \"http\", "
    "\"url\": \"http://127.0.0.1:9/api/send?key={{password}}\", "
    "\"headers\": {\"Content-Type\": \"application/json\", "
    "\"X-User\": \"{{username}}\"}, "
    "\"body\": \"{\\\"Phone\\\": \\\"{{to}}\\\", \\\"Content\\\": "
    "\\\"{{text}}\\\", \\\"Brandname\\\": \\\"{{from}}\\\", "
    "\\\"IsUnicode\\\": {{unicode}}}\", "
    "\"success\": {\"json_field\": \"CodeResult\", \"json_value\": 100}, "
    "\"message_id_field\": \"SMSID\"}";

static void
check_sms_gateway(struct sms_gateway_config *gateway, const char *text)
{
	struct config_error err;

	memset(gateway, 0, sizeof *gateway);
	gateway->name = (char *)"brandname";
	gateway->from = (char *)"UBND TINH";
	gateway->username = (char *)"hub";
	gateway->password = (char *)"s3cret key";
	ck_assert_msg(check_sms_load(text, &gateway->http, &err) == 0, "%s",
	    err.message);
}

static const struct sms_prepared check_sms_prepared = {
	.to = "0912345678",
	.text = "Cảm ơn \"ông/bà\".\nMã: 3805-1729-61",
	.ucs2 = true,
	.parts = 1,
	.reference = "chub.12.34.0123456789abcdef",
};

START_TEST(request_json_body)
{
	struct sms_gateway_config gateway;
	struct sms_http_request request;
	char reason[256];

	check_sms_gateway(&gateway, check_sms_json_gateway);
	ck_assert_int_eq(sms_http_request_build(&gateway, &check_sms_prepared,
	    &request, reason, sizeof reason), 0);
	ck_assert_str_eq(request.method, "POST");
	ck_assert_str_eq(request.url,
	    "http://127.0.0.1:9/api/send?key=s3cret%20key");
	ck_assert_str_eq(request.headers[0], "Content-Type: application/json");
	ck_assert_str_eq(request.headers[1], "X-User: hub");
	ck_assert_ptr_null(request.headers[2]);
	ck_assert_str_eq(request.body, "{\"Phone\": \"0912345678\", "
	    "\"Content\": \"Cảm ơn \\\"ông/bà\\\".\\nMã: 3805-1729-61\", "
	    "\"Brandname\": \"UBND TINH\", \"IsUnicode\": 1}");
	ck_assert_uint_eq(request.body_length, strlen(request.body));
	sms_http_request_free(&request);
	sms_http_config_free(&gateway.http);
}
END_TEST

START_TEST(request_form_gets_content_type)
{
	struct sms_gateway_config gateway;
	struct sms_http_request request;
	char reason[256];

	check_sms_gateway(&gateway, "{\"url\": \"http://127.0.0.1:9/send\", "
	    "\"body\": \"to={{to}}&msg={{text}}&coding={{coding}}\", "
	    "\"body_encoding\": \"form\"}");
	ck_assert_int_eq(sms_http_request_build(&gateway, &check_sms_prepared,
	    &request, reason, sizeof reason), 0);
	ck_assert_str_eq(request.headers[0],
	    "Content-Type: application/x-www-form-urlencoded");
	ck_assert_ptr_null(request.headers[1]);
	ck_assert_str_eq(request.body, "to=0912345678&msg=C%E1%BA%A3m+%C6%A1n+"
	    "%22%C3%B4ng%2Fb%C3%A0%22.%0AM%C3%A3%3A+3805-1729-61&coding=ucs2");
	sms_http_request_free(&request);
	sms_http_config_free(&gateway.http);
}
END_TEST

START_TEST(request_get_query)
{
	struct sms_gateway_config gateway;
	struct sms_http_request request;
	struct sms_prepared prepared = check_sms_prepared;
	char reason[256];

	prepared.text = "Xin chao";
	prepared.ucs2 = false;
	check_sms_gateway(&gateway, "{\"url\": \"http://127.0.0.1:9/send?"
	    "u={{username}}&p={{password}}&to={{to}}&text={{text}}"
	    "&unicode={{unicode}}\"}");
	ck_assert_int_eq(sms_http_request_build(&gateway, &prepared, &request,
	    reason, sizeof reason), 0);
	ck_assert_str_eq(request.method, "GET");
	ck_assert_str_eq(request.url, "http://127.0.0.1:9/send?u=hub"
	    "&p=s3cret%20key&to=0912345678&text=Xin%20chao&unicode=0");
	ck_assert_ptr_null(request.headers[0]);
	ck_assert_ptr_null(request.body);
	sms_http_request_free(&request);
	sms_http_config_free(&gateway.http);
}
END_TEST

START_TEST(request_header_injection_fails)
{
	struct sms_gateway_config gateway;
	struct sms_http_request request;
	char reason[256];

	check_sms_gateway(&gateway, "{\"url\": \"http://127.0.0.1:9/send\", "
	    "\"headers\": {\"X-Text\": \"{{text}}\"}}");
	errno = 0;
	ck_assert_int_eq(sms_http_request_build(&gateway, &check_sms_prepared,
	    &request, reason, sizeof reason), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_msg(strstr(reason, "header X-Text") != NULL, "%s", reason);
	ck_assert_msg(strstr(reason, "line break") != NULL, "%s", reason);
	ck_assert_ptr_null(request.url);
	sms_http_config_free(&gateway.http);
}
END_TEST

START_TEST(url_origin_hides_credentials)
{
	char origin[128];

	sms_http_url_origin("https://user:pw@sms.example.vn:8443/api?key=x",
	    origin, sizeof origin);
	ck_assert_str_eq(origin, "https://sms.example.vn:8443");
	sms_http_url_origin("http://127.0.0.1:9?pass={{password}}", origin,
	    sizeof origin);
	ck_assert_str_eq(origin, "http://127.0.0.1:9");
}
END_TEST

/* --- Responses --------------------------------------------------------------- */

struct check_sms_judge_case {
	const char *config;	/* the gateway's keys */
	int status;
	const char *body;
	int expected;
};

static const struct check_sms_judge_case check_sms_judge_cases[] = {
	/* The defaults: 2xx succeeds, 429 and 5xx are temporary. */
	{ "{}", 200, "", 0 },
	{ "{}", 202, "queued", 0 },
	{ "{}", 429, "", 1 },
	{ "{}", 500, "", 1 },
	{ "{}", 503, "busy", 1 },
	{ "{}", 400, "bad phone", -1 },
	{ "{}", 403, "", -1 },
	{ "{}", 302, "", -1 },
	/* A JSON code as a number in the config. */
	{ "{\"success\": {\"json_field\": \"CodeResult\", \"json_value\": 100}}",
	    200, "{\"CodeResult\": \"100\", \"SMSID\": \"a1\"}", 0 },
	{ "{\"success\": {\"json_field\": \"CodeResult\", \"json_value\": 100}}",
	    200, "{\"CodeResult\": 100}", 0 },
	{ "{\"success\": {\"json_field\": \"CodeResult\", \"json_value\": 100}}",
	    200, "{\"CodeResult\": \"101\", \"ErrorMessage\": \"x\"}", -1 },
	{ "{\"success\": {\"json_field\": \"CodeResult\", \"json_value\": 100}}",
	    200, "{\"CodeResult\": 100.5}", -1 },
	{ "{\"success\": {\"json_field\": \"CodeResult\", \"json_value\": 100}}",
	    200, "{}", -1 },
	{ "{\"success\": {\"json_field\": \"CodeResult\", \"json_value\": 100}}",
	    200, "<html>OK</html>", -1 },
	{ "{\"success\": {\"json_field\": \"CodeResult\", \"json_value\": 100}}",
	    200, "{\"CodeResult\": \"100\"", -1 },
	{ "{\"success\": {\"json_field\": \"CodeResult\", \"json_value\": 100}}",
	    500, "{\"CodeResult\": \"100\"}", 1 },
	/* A JSON code as a string in the config, nested. */
	{ "{\"success\": {\"json_field\": \"result.code\", \"json_value\": \"0\"}}",
	    200, "{\"result\": {\"code\": 0, \"id\": 7}}", 0 },
	{ "{\"success\": {\"json_field\": \"result.code\", \"json_value\": \"0\"}}",
	    200, "{\"result\": {\"code\": \"0\"}}", 0 },
	{ "{\"success\": {\"json_field\": \"result.code\", \"json_value\": \"0\"}}",
	    200, "{\"code\": 0}", -1 },
	{ "{\"success\": {\"json_field\": \"result.code\", \"json_value\": \"0\"}}",
	    200, "{\"result\": {\"code\": {\"value\": 0}}}", -1 },
	{ "{\"success\": {\"json_field\": \"result.code\", \"json_value\": \"0\"}}",
	    200, "{\"result\": \"0\"}", -1 },
	/* An array element and a boolean. */
	{ "{\"success\": {\"json_field\": \"messages.0.ok\", "
	    "\"json_value\": \"true\"}}", 200,
	    "{\"messages\": [{\"ok\": true}]}", 0 },
	{ "{\"success\": {\"json_field\": \"messages.1.ok\", "
	    "\"json_value\": \"true\"}}", 200,
	    "{\"messages\": [{\"ok\": true}]}", -1 },
	/* contains, with listed statuses. */
	{ "{\"success\": {\"statuses\": [200], \"contains\": \"OK\"}}",
	    200, "OK: 8812", 0 },
	{ "{\"success\": {\"statuses\": [200], \"contains\": \"OK\"}}",
	    200, "ERR 12", -1 },
	{ "{\"success\": {\"statuses\": [200], \"contains\": \"OK\"}}",
	    201, "OK", -1 },
	{ "{\"success\": {\"statuses\": [200], \"contains\": \"OK\"}}",
	    503, "OK", 1 },
	/* Listed temporary statuses replace the defaults. */
	{ "{\"temporary_statuses\": [503, 409]}", 503, "", 1 },
	{ "{\"temporary_statuses\": [503, 409]}", 409, "", 1 },
	{ "{\"temporary_statuses\": [503, 409]}", 500, "", -1 },
	{ "{\"temporary_statuses\": [503, 409]}", 429, "", -1 },
};

START_TEST(judge_response_table)
{
	const struct check_sms_judge_case *item = &check_sms_judge_cases[_i];
	struct sms_http_config config;
	struct config_error err;
	char text[512];

	snprintf(text, sizeof text, "{\"url\": \"http://127.0.0.1:9/\", %s",
	    item->config + 1);
	if (strcmp(item->config, "{}") == 0)
		snprintf(text, sizeof text, "{\"url\": \"http://127.0.0.1:9/\"}");
	ck_assert_msg(check_sms_load(text, &config, &err) == 0, "%s",
	    err.message);
	ck_assert_msg(sms_http_judge(&config, item->status, item->body,
	    strlen(item->body)) == item->expected,
	    "config %s, HTTP %d, body %s: expected %d", item->config,
	    item->status, item->body, item->expected);
	sms_http_config_free(&config);
}
END_TEST

START_TEST(judge_contains_body_with_nul)
{
	struct sms_http_config config;
	struct config_error err;
	static const char body[] = "\0\0status=OK";

	ck_assert_int_eq(check_sms_load("{\"url\": \"http://127.0.0.1:9/\", "
	    "\"success\": {\"contains\": \"status=OK\"}}", &config, &err), 0);
	ck_assert_int_eq(sms_http_judge(&config, 200, body, sizeof body - 1),
	    0);
	sms_http_config_free(&config);
}
END_TEST

START_TEST(json_text_values)
{
	static const char body[] = "{\"SMSID\": \"9f2c\", \"n\": 42, "
	    "\"r\": 1.5, \"t\": false, \"z\": null, \"a\": {\"b\": [3, \"x\"]}}";
	struct {
		const char *path;
		const char *expected;
	} cases[] = {
		{ "SMSID", "9f2c" }, { "n", "42" }, { "r", "1.5" },
		{ "t", "false" }, { "z", "null" }, { "a.b.0", "3" },
		{ "a.b.1", "x" }, { "a.b", NULL }, { "a", NULL },
		{ "missing", NULL }, { "a.b.2", NULL }, { "n.x", NULL },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *text = sms_http_json_text(body, strlen(body),
		    cases[i].path);

		if (cases[i].expected == NULL)
			ck_assert_msg(text == NULL, "%s: got %s", cases[i].path,
			    text);
		else
			ck_assert_msg(text != NULL &&
			    strcmp(text, cases[i].expected) == 0,
			    "%s: expected %s, got %s", cases[i].path,
			    cases[i].expected, text != NULL ? text : "NULL");
		free(text);
	}
	ck_assert_ptr_null(sms_http_json_text("not json", 8, "a"));
	ck_assert_ptr_null(sms_http_json_text("", 0, "a"));
}
END_TEST

START_TEST(detail_quotes_body)
{
	static const char error[] = "{\"CodeResult\": \"104\", "
	    "\"ErrorMessage\": \"Số điện thoại không hợp lệ\"}";
	char detail[700];

	sms_http_detail(400, error, strlen(error), detail, sizeof detail);
	ck_assert_str_eq(detail, "HTTP 400: {\"CodeResult\": \"104\", "
	    "\"ErrorMessage\": \"Số điện thoại không hợp lệ\"}");
	sms_http_detail(500, "", 0, detail, sizeof detail);
	ck_assert_str_eq(detail, "HTTP 500");
	sms_http_detail(500, "\r\n  \n", 5, detail, sizeof detail);
	ck_assert_str_eq(detail, "HTTP 500");
	sms_http_detail(502, "\n<h1>Bad\tGateway</h1>\r\n", 23, detail,
	    sizeof detail);
	ck_assert_str_eq(detail, "HTTP 502: <h1>Bad Gateway</h1>");
	sms_http_detail(400, "a\xff" "b\xc3", 4, detail, sizeof detail);
	ck_assert_str_eq(detail, "HTTP 400: a\xef\xbf\xbd" "b\xef\xbf\xbd");
	sms_http_detail(400, "a\0b", 3, detail, sizeof detail);
	ck_assert_str_eq(detail, "HTTP 400: a b");
}
END_TEST

START_TEST(detail_cuts_at_character)
{
	char detail[700];
	char body[400];
	size_t length;

	/* "ả" takes three bytes: 66 of them end at byte 198, and the 67th
	 * would cross the limit of 200. */
	body[0] = '\0';
	for (int i = 0; i < 100; i++)
		strcat(body, "ả");
	sms_http_detail(400, body, strlen(body), detail, sizeof detail);
	length = strlen(detail) - strlen("HTTP 400: ");
	ck_assert_uint_eq(length, 198);
	ck_assert_int_eq(strncmp(detail + strlen("HTTP 400: "), body, 198), 0);

	memset(body, 'x', 300);
	body[300] = '\0';
	sms_http_detail(400, body, 300, detail, sizeof detail);
	ck_assert_uint_eq(strlen(detail), strlen("HTTP 400: ") + 200);
}
END_TEST

/* --- Config ------------------------------------------------------------------ */

START_TEST(config_defaults)
{
	struct sms_http_config config;
	struct config_error err;

	ck_assert_int_eq(check_sms_load(check_sms_json_gateway, &config,
	    &err), 0);
	ck_assert_str_eq(config.method, "POST");
	ck_assert_int_eq(config.body_encoding, SMS_BODY_JSON);
	ck_assert_str_eq(config.success_json_field, "CodeResult");
	ck_assert_str_eq(config.success_json_value, "100");
	ck_assert_str_eq(config.message_id_field, "SMSID");
	ck_assert_uint_eq(config.header_count, 2);
	sms_http_config_free(&config);

	ck_assert_int_eq(check_sms_load("{\"url\": \"https://127.0.0.1/s\"}",
	    &config, &err), 0);
	ck_assert_str_eq(config.method, "GET");
	ck_assert_ptr_null(config.body);
	ck_assert_uint_eq(config.success_status_count, 0);
	sms_http_config_free(&config);

	ck_assert_int_eq(check_sms_load("{\"url\": \"http://127.0.0.1/s\", "
	    "\"headers\": {\"content-type\": \"application/x-www-form-urlencoded"
	    "; charset=UTF-8\"}, \"body\": \"a={{text}}\"}", &config, &err), 0);
	ck_assert_int_eq(config.body_encoding, SMS_BODY_FORM);
	sms_http_config_free(&config);

	ck_assert_int_eq(check_sms_load("{\"url\": \"http://127.0.0.1/s\", "
	    "\"headers\": {\"Content-Type\": \"text/xml\"}, "
	    "\"body\": \"<to>{{to}}</to>\", \"success\": {\"statuses\": "
	    "[200, 201], \"json_field\": \"a.b\", \"json_value\": \"x\"}, "
	    "\"temporary_statuses\": [502]}", &config, &err), 0);
	ck_assert_int_eq(config.body_encoding, SMS_BODY_RAW);
	ck_assert_str_eq(config.method, "POST");
	ck_assert_uint_eq(config.success_status_count, 2);
	ck_assert_int_eq(config.success_statuses[1], 201);
	ck_assert_uint_eq(config.temporary_status_count, 1);
	ck_assert_int_eq(config.temporary_statuses[0], 502);
	sms_http_config_free(&config);
}
END_TEST

START_TEST(config_keys_listed)
{
	static const char *const expected[] = {
		"url", "method", "headers", "body", "body_encoding", "success",
		"temporary_statuses", "message_id_field",
	};
	size_t count = 0;

	while (sms_http_config_keys[count] != NULL)
		count++;
	ck_assert_uint_eq(count, sizeof expected / sizeof expected[0]);
	for (size_t i = 0; i < count; i++)
		ck_assert_str_eq(sms_http_config_keys[i], expected[i]);
}
END_TEST

struct check_sms_config_case {
	const char *keys;	/* added after the url when url is set */
	bool with_url;
	const char *path;	/* the key named by the error */
	const char *text;	/* a part of the error's message */
};

static const struct check_sms_config_case check_sms_config_cases[] = {
	{ "\"method\": \"POST\"", false, "channels.sms.gateways[1].url",
	    "missing" },
	{ "\"url\": \"ftp://127.0.0.1/\"", false,
	    "channels.sms.gateways[1].url", "http:// or https://" },
	{ "\"url\": \"http://127.0.0.1/a b\"", false,
	    "channels.sms.gateways[1].url", "without spaces" },
	{ "\"url\": 5", false, "channels.sms.gateways[1].url",
	    "invalid type (integer)" },
	{ "\"url\": \"http://127.0.0.1/?to={{phone}}\"", false,
	    "channels.sms.gateways[1].url", "unknown placeholder {{phone}}" },
	{ "\"method\": \"PUT\"", true, "channels.sms.gateways[1].method",
	    "\"GET\" or \"POST\"" },
	{ "\"method\": \"GET\", \"body\": \"x\"", true,
	    "channels.sms.gateways[1].body", "no body with method \"GET\"" },
	{ "\"body\": \"{\\\"to\\\": \\\"{{number}}\\\"}\"", true,
	    "channels.sms.gateways[1].body", "unknown placeholder {{number}}" },
	{ "\"body\": \"{{text\"", true, "channels.sms.gateways[1].body",
	    "without a closing" },
	{ "\"body_encoding\": \"xml\", \"body\": \"x\"", true,
	    "channels.sms.gateways[1].body_encoding",
	    "\"json\", \"form\" or \"raw\"" },
	{ "\"body_encoding\": \"json\", \"body\": \"{\\\"to\\\": {{to}}, "
	    "\\\"text\\\": {{text}}}\"", true, "channels.sms.gateways[1].body",
	    "string placeholders inside quotes" },
	{ "\"headers\": {\"Content-Type\": \"application/json\"}, "
	    "\"body\": \"{\\\"to\\\": \\\"{{to}}\\\",}\"", true,
	    "channels.sms.gateways[1].body", "a JSON text once" },
	{ "\"body_encoding\": \"json\"", true,
	    "channels.sms.gateways[1].body_encoding", "add body" },
	{ "\"headers\": [\"X-A: 1\"]", true, "channels.sms.gateways[1].headers",
	    "an object of header names" },
	{ "\"headers\": {\"Bad Name\": \"x\"}", true,
	    "channels.sms.gateways[1].headers.Bad Name", "invalid header name" },
	{ "\"headers\": {\"X-A\": \"a\\r\\nX-B: 1\"}", true,
	    "channels.sms.gateways[1].headers.X-A", "without line breaks" },
	{ "\"headers\": {\"X-A\": 1}", true,
	    "channels.sms.gateways[1].headers.X-A", "a string" },
	{ "\"headers\": {\"Content-Length\": \"1\"}", true,
	    "channels.sms.gateways[1].headers.Content-Length",
	    "set by the hub" },
	{ "\"headers\": {\"X-A\": \"{{secret}}\"}", true,
	    "channels.sms.gateways[1].headers.X-A",
	    "unknown placeholder {{secret}}" },
	{ "\"success\": {\"json_field\": \"CodeResult\"}", true,
	    "channels.sms.gateways[1].success.json_value", "success.json_field "
	    "is set" },
	{ "\"success\": {\"json_value\": \"100\"}", true,
	    "channels.sms.gateways[1].success.json_field", "success.json_value "
	    "is set" },
	{ "\"success\": {\"json_field\": \"a\", \"json_value\": true}", true,
	    "channels.sms.gateways[1].success.json_value",
	    "a string or a number" },
	{ "\"success\": {\"json_field\": \"a..b\", \"json_value\": 1}", true,
	    "channels.sms.gateways[1].success.json_field",
	    "separated by dots" },
	{ "\"success\": {\"json_field\": 1, \"json_value\": 1}", true,
	    "channels.sms.gateways[1].success.json_field",
	    "invalid type (integer)" },
	{ "\"success\": {\"statuses\": [200, \"201\"]}", true,
	    "channels.sms.gateways[1].success.statuses[1]",
	    "from 100 to 599" },
	{ "\"success\": {\"statuses\": [700]}", true,
	    "channels.sms.gateways[1].success.statuses[0]",
	    "from 100 to 599" },
	{ "\"success\": {\"status\": [200]}", true,
	    "channels.sms.gateways[1].success.status", "unknown key" },
	{ "\"success\": \"OK\"", true, "channels.sms.gateways[1].success",
	    "an object" },
	{ "\"temporary_statuses\": 500", true,
	    "channels.sms.gateways[1].temporary_statuses",
	    "an array of HTTP statuses" },
	{ "\"temporary_statuses\": [500, 501, 502, 503, 504, 505, 506, 507, "
	    "508, 509, 510, 511, 429, 408, 409, 425, 599]", true,
	    "channels.sms.gateways[1].temporary_statuses", "at most 16" },
	{ "\"message_id_field\": \".id\"", true,
	    "channels.sms.gateways[1].message_id_field", "separated by dots" },
};

START_TEST(config_errors_name_key)
{
	const struct check_sms_config_case *item = &check_sms_config_cases[_i];
	struct sms_http_config config;
	struct config_error err;
	char text[1024];

	if (item->with_url)
		snprintf(text, sizeof text, "{\"name\": \"carrier\", "
		    "\"type\": \"http\", \"url\": \"http://127.0.0.1:9/\", %s}",
		    item->keys);
	else
		snprintf(text, sizeof text, "{\"name\": \"carrier\", %s}",
		    item->keys);
	ck_assert_msg(check_sms_load(text, &config, &err) == -1,
	    "%s: loaded", text);
	ck_assert_msg(strcmp(err.path, item->path) == 0,
	    "%s: expected path %s, got %s (%s)", text, item->path, err.path,
	    err.message);
	ck_assert_msg(strstr(err.message, item->text) != NULL,
	    "%s: expected \"%s\" in \"%s\"", text, item->text, err.message);
	ck_assert_ptr_null(config.url);
	ck_assert_uint_eq(config.header_count, 0);
}
END_TEST

Suite *
sms_http_suite(void)
{
	Suite *suite = suite_create("sms_http");
	TCase *templates = tcase_create("templates");
	TCase *requests = tcase_create("requests");
	TCase *responses = tcase_create("responses");
	TCase *config = tcase_create("config");

	tcase_add_test(templates, template_check_names);
	tcase_add_test(templates, expand_json_escapes_string);
	tcase_add_test(templates, expand_json_control_characters);
	tcase_add_test(templates, expand_form_percent_encodes);
	tcase_add_test(templates, expand_url_percent_encodes);
	tcase_add_test(templates, expand_header_rejects_line_breaks);
	tcase_add_test(templates, expand_raw_and_missing_values);
	suite_add_tcase(suite, templates);

	tcase_add_test(requests, request_json_body);
	tcase_add_test(requests, request_form_gets_content_type);
	tcase_add_test(requests, request_get_query);
	tcase_add_test(requests, request_header_injection_fails);
	tcase_add_test(requests, url_origin_hides_credentials);
	suite_add_tcase(suite, requests);

	tcase_add_loop_test(responses, judge_response_table, 0,
	    (int)(sizeof check_sms_judge_cases /
	    sizeof check_sms_judge_cases[0]));
	tcase_add_test(responses, judge_contains_body_with_nul);
	tcase_add_test(responses, json_text_values);
	tcase_add_test(responses, detail_quotes_body);
	tcase_add_test(responses, detail_cuts_at_character);
	suite_add_tcase(suite, responses);

	tcase_add_test(config, config_defaults);
	tcase_add_test(config, config_keys_listed);
	tcase_add_loop_test(config, config_errors_name_key, 0,
	    (int)(sizeof check_sms_config_cases /
	    sizeof check_sms_config_cases[0]));
	suite_add_tcase(suite, config);
	return suite;
}
