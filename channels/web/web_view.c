#include <stdio.h>
#include <string.h>

#include "web.h"

/* Vietnam has kept UTC+7 all year, with no daylight saving time, since
 * 1975 (tz database, Asia/Ho_Chi_Minh). */
#define WEB_VIEW_VIETNAM_OFFSET_SECONDS (7 * 3600)
/* Below this a time is in seconds, above it in milliseconds. */
#define WEB_VIEW_MILLISECONDS_MIN 100000000000LL

static const struct {
	const char *field;
	const char *vi;
	const char *en;
} web_view_labels[] = {
	{ "name", "Họ và tên", "Full name" },
	{ "phone", "Số điện thoại", "Phone number" },
	{ "email", "Email", "Email" },
	{ "subject", "Tiêu đề", "Subject" },
	{ "description", "Nội dung phản ánh", "Description" },
	{ "body", "Nội dung phản ánh", "Description" },
	{ "category", "Lĩnh vực", "Category" },
	{ "category_hint", "Lĩnh vực", "Category" },
	{ "address", "Địa chỉ", "Address" },
	{ "latitude", "Vĩ độ", "Latitude" },
	{ "longitude", "Kinh độ", "Longitude" },
	{ "language", "Ngôn ngữ trả lời", "Reply language" },
	{ "consent", "Đồng ý với thông báo xử lý dữ liệu cá nhân",
	    "Consent to the personal data notice" },
	{ "form_token", "Biểu mẫu", "Form" },
	{ "code", "Mã phản ánh", "Reference code" },
	{ "token", "Đường dẫn tra cứu", "Status link" },
	{ "phone_last4", "4 số cuối của số điện thoại",
	    "Last 4 digits of your phone" },
	{ "rating", "Mức đánh giá", "Rating" },
};

const char *
web_view_field_label(const char *field, const char *language)
{
	bool english = strcmp(language, "en") == 0;
	size_t i;

	for (i = 0; i < sizeof web_view_labels / sizeof web_view_labels[0];
	    i++) {
		if (strcmp(web_view_labels[i].field, field) == 0)
			return english ? web_view_labels[i].en :
			    web_view_labels[i].vi;
	}
	return field;
}

/* Parses "YYYY-MM-DDTHH:MM:SS" with optional fraction and a Z or +HH:MM
 * offset into Unix seconds. Returns 0 or -1. */
static int
web_view_parse_rfc3339(const char *text, int64_t *seconds)
{
	struct tm tm = { 0 };
	int offset_hours = 0, offset_minutes = 0, offset, used = 0;
	const char *rest;
	char sign;

	if (sscanf(text, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
	    &used) != 6 || used == 0)
		return -1;
	rest = text + used;
	if (*rest == '.')
		rest += 1 + strspn(rest + 1, "0123456789");
	sign = *rest;
	if (sign == '+' || sign == '-') {
		if (sscanf(rest + 1, "%2d:%2d", &offset_hours,
		    &offset_minutes) != 2)
			return -1;
	} else if (sign != 'Z' && sign != 'z')
		return -1;

	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	offset = offset_hours * 3600 + offset_minutes * 60;
	if (sign == '-')
		offset = -offset;
	else if (sign != '+')
		offset = 0;
	*seconds = (int64_t)timegm(&tm) - offset;
	return 0;
}

int
web_view_time(const json_t *value, char *out, size_t size)
{
	int64_t seconds;
	time_t local;
	struct tm tm;

	if (json_is_integer(value)) {
		seconds = json_integer_value(value);
		if (seconds >= WEB_VIEW_MILLISECONDS_MIN)
			seconds /= 1000;
	} else if (!json_is_string(value) ||
	    web_view_parse_rfc3339(json_string_value(value), &seconds) != 0)
		return -1;
	if (seconds <= 0)
		return -1;

	local = (time_t)(seconds + WEB_VIEW_VIETNAM_OFFSET_SECONDS);
	if (gmtime_r(&local, &tm) == NULL)
		return -1;
	if (strftime(out, size, "%d/%m/%Y %H:%M", &tm) == 0)
		return -1;
	return 0;
}

int
web_view_common(const struct web *web, const char *language, json_t *vars)
{
	bool english = strcmp(language, "en") == 0;
	int rc = 0;

	rc |= json_object_set_new(vars, "lang", json_string(language));
	rc |= json_object_set_new(vars, "other_lang",
	    json_string(english ? "vi" : "en"));
	rc |= json_object_set_new(vars, "authority_name",
	    json_string(english ? web->config.authority_name_en :
	    web->config.authority_name_vi));
	rc |= json_object_set_new(vars, "retention_months",
	    json_integer(web->config.retention_months));
	return rc == 0 ? 0 : -1;
}

int
web_view_flag(json_t *vars, const char *key, const char *value)
{
	json_t *flags;
	size_t len;

	if (value == NULL)
		return 0;
	len = strlen(value);
	if (len == 0 || len > 32 ||
	    strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789_") != len)
		return 0;
	flags = json_object_get(vars, key);
	if (flags == NULL) {
		flags = json_object();
		if (json_object_set_new(vars, key, flags) != 0)
			return -1;
	}
	return json_object_set_new(flags, value, json_true());
}

static const char *
web_view_form_field(const char *field)
{
	if (strcmp(field, "body") == 0)
		return "description";
	if (strcmp(field, "category_hint") == 0)
		return "category";
	return field;
}

int
web_view_error(const struct hub_error *error, const char *language,
    json_t *vars)
{
	int rc = 0;

	rc |= json_object_set_new(vars, "error", json_true());
	rc |= web_view_flag(vars, "error_code",
	    api_error_name(error->code));
	if (error->field[0] != '\0') {
		rc |= json_object_set_new(vars, "error_field",
		    json_string(web_view_field_label(error->field, language)));
		rc |= web_view_flag(vars, "invalid",
		    web_view_form_field(error->field));
	}
	if (error->limit > 0)
		rc |= json_object_set_new(vars, "error_limit",
		    json_integer(error->limit));
	if (error->limit == HUB_ERROR_ONE_FACTOR)
		rc |= json_object_set_new(vars, "error_one_factor",
		    json_true());
	return rc == 0 ? 0 : -1;
}
