/*
 * The SMS output kind of the templates: GSM-friendly substitutions and the
 * measure of a text in SMS parts.
 *
 * GSM 03.38 (3GPP TS 23.038) has a basic table of 128 characters and an
 * extension table reached with an escape, so an extension character takes
 * two septets. A text with any other character is sent in UCS-2, whose
 * units are UTF-16 code units.
 */
#include <stdint.h>
#include <string.h>

#include <unistr.h>

#include "template.h"
#include "template_internal.h"

#define TEMPLATE_SMS_GSM_SINGLE 160
#define TEMPLATE_SMS_GSM_PART 153
#define TEMPLATE_SMS_UCS2_SINGLE 70
#define TEMPLATE_SMS_UCS2_PART 67

/* The basic table's characters beyond printable ASCII. The table also
 * contains printable ASCII except ` and the extension characters below. */
static const uint32_t template_sms_basic[] = {
	0x00a3, 0x00a5, 0x00e8, 0x00e9, 0x00f9, 0x00ec, 0x00f2, 0x00c7,
	0x00d8, 0x00f8, 0x00c5, 0x00e5, 0x0394, 0x03a6, 0x0393, 0x039b,
	0x03a9, 0x03a0, 0x03a8, 0x03a3, 0x0398, 0x039e, 0x00c6, 0x00e6,
	0x00df, 0x00c9, 0x00a4, 0x00a1, 0x00c4, 0x00d6, 0x00d1, 0x00dc,
	0x00a7, 0x00bf, 0x00e4, 0x00f6, 0x00f1, 0x00fc, 0x00e0,
};

/* Characters of the extension table, two septets each. */
static const char template_sms_extension[] = "^{}\\[~]|";
#define TEMPLATE_SMS_EURO 0x20ac

/* Typographic characters and their GSM 03.38 replacement; "" drops one. */
static const struct {
	uint32_t from;
	const char *to;
} template_sms_substitutions[] = {
	{ 0x00a0, " " }, { 0x2002, " " }, { 0x2003, " " }, { 0x2004, " " },
	{ 0x2005, " " }, { 0x2006, " " }, { 0x2007, " " }, { 0x2008, " " },
	{ 0x2009, " " }, { 0x200a, " " }, { 0x202f, " " }, { 0x3000, " " },
	{ 0x200b, "" }, { 0x200c, "" }, { 0x200d, "" }, { 0xfeff, "" },
	{ 0x00ad, "" },
	{ 0x2010, "-" }, { 0x2011, "-" }, { 0x2012, "-" }, { 0x2013, "-" },
	{ 0x2014, "-" }, { 0x2015, "-" }, { 0x2212, "-" },
	{ 0x2018, "'" }, { 0x2019, "'" }, { 0x201a, "'" }, { 0x201b, "'" },
	{ 0x2032, "'" }, { 0x00b4, "'" }, { 0x0060, "'" },
	{ 0x201c, "\"" }, { 0x201d, "\"" }, { 0x201e, "\"" }, { 0x201f, "\"" },
	{ 0x2033, "\"" }, { 0x00ab, "\"" }, { 0x00bb, "\"" },
	{ 0x2026, "..." }, { 0x2022, "*" }, { 0x00b7, "." },
};

/* The replacement of c, or NULL when c is written as it is. */
static const char *
template_sms_substitute(uint32_t c)
{
	size_t count = sizeof template_sms_substitutions /
	    sizeof template_sms_substitutions[0];

	if (c == '\t')
		return " ";
	if (c == '\r')
		return "";
	if ((c < 0x20 && c != '\n') || c == 0x7f || (c >= 0x80 && c < 0xa0))
		return "";
	for (size_t i = 0; i < count; i++)
		if (template_sms_substitutions[i].from == c)
			return template_sms_substitutions[i].to;
	return NULL;
}

void
template_sms_write(FILE *out, const char *text)
{
	const uint8_t *s = (const uint8_t *)text;
	ucs4_t c;
	int length;

	while (*s != '\0') {
		const char *replacement;

		length = u8_mbtouc(&c, s, strlen((const char *)s));
		replacement = template_sms_substitute(c);
		if (replacement != NULL)
			fputs(replacement, out);
		else
			fwrite(s, 1, (size_t)length, out);
		s += length;
	}
}

/* Septets of c in GSM 03.38: 1, 2 for the extension table, or 0 when the
 * alphabet lacks it. */
static int
template_sms_septets(uint32_t c)
{
	size_t count = sizeof template_sms_basic / sizeof template_sms_basic[0];

	if (c == '\n' || c == '\r')
		return 1;
	if ((c > 0 && c < 0x80 && strchr(template_sms_extension,
	    (int)c) != NULL) || c == TEMPLATE_SMS_EURO)
		return 2;
	if (c >= 0x20 && c < 0x7f)
		return c == '`' ? 0 : 1;
	for (size_t i = 0; i < count; i++)
		if (template_sms_basic[i] == c)
			return 1;
	return 0;
}

static size_t
template_sms_parts(size_t units, size_t single, size_t part)
{
	if (units <= single)
		return 1;
	return (units + part - 1) / part;
}

void
template_sms_measure(const char *text, struct template_sms_size *size)
{
	const uint8_t *s = (const uint8_t *)text;
	size_t septets = 0, utf16 = 0;
	bool gsm = true;
	ucs4_t c;
	int length, septet_count;

	while (*s != '\0') {
		length = u8_mbtouc(&c, s, strlen((const char *)s));
		septet_count = template_sms_septets(c);
		if (septet_count == 0)
			gsm = false;
		septets += (size_t)septet_count;
		utf16 += c > 0xffff ? 2 : 1;
		s += length;
	}
	size->ucs2 = !gsm;
	size->units = gsm ? septets : utf16;
	size->parts = gsm ? template_sms_parts(septets,
	    TEMPLATE_SMS_GSM_SINGLE, TEMPLATE_SMS_GSM_PART) :
	    template_sms_parts(utf16, TEMPLATE_SMS_UCS2_SINGLE,
	    TEMPLATE_SMS_UCS2_PART);
}
