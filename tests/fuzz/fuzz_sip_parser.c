/*
 * Fuzzes the hub's SIP message class (ivr/sip_parser.h) against sofia-sip's
 * own with whole datagrams. Both parse every input. Where sofia-sip reads a
 * request line, the hub reads the same one. Where only the hub reads one,
 * its URI is invalid (so nta sends 400) or its method is an unknown one
 * made of RFC 3261 token characters. A Via that only the hub has comes
 * with the message marked as failed.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/msg_buffer.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_string.h>

#include "sip_parser.h"

#include "fuzz.h"

static msg_mclass_t *fuzz_sip_mclass;

static void
fuzz_sip_fail(const char *what)
{
	fprintf(stderr, "fuzz_sip_parser: %s\n", what);
	abort();
}

/* Parses data as one datagram from 127.0.0.1:40000. */
static msg_t *
fuzz_sip_parse(msg_mclass_t const *mclass, const uint8_t *data, size_t size)
{
	msg_t *msg = msg_create(mclass, 0);
	su_sockaddr_t source;
	void *buffer;

	if (msg == NULL)
		abort();
	memset(&source, 0, sizeof source);
	source.su_sin.sin_family = AF_INET;
	source.su_sin.sin_port = htons(40000);
	source.su_sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	msg_set_address(msg, &source, (socklen_t)sizeof source.su_sin);
	if ((buffer = msg_buf_alloc(msg, size + 1)) == NULL)
		abort();
	memcpy(buffer, data, size);
	msg_buf_commit(msg, size, 1);
	msg_extract(msg);
	return msg;
}

static void
fuzz_sip_compare_request(sip_request_t const *sofia, sip_request_t const *hub)
{
	if (hub == NULL)
		fuzz_sip_fail("a request line that sofia-sip reads is lost");
	if (sofia->rq_method != hub->rq_method ||
	    !su_strmatch(sofia->rq_method_name, hub->rq_method_name))
		fuzz_sip_fail("the method differs from sofia-sip's");
	if (!su_strmatch(sofia->rq_version, hub->rq_version))
		fuzz_sip_fail("the version differs from sofia-sip's");
	if (sofia->rq_url->url_type != hub->rq_url->url_type)
		fuzz_sip_fail("the URI type differs from sofia-sip's");
}

static void
fuzz_sip_check_new_request(sip_request_t const *hub)
{
	static const char token[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~";
	const char *name = hub->rq_method_name;

	if (hub->rq_url->url_type == url_invalid)
		return;
	if (hub->rq_method != sip_method_unknown || name == NULL ||
	    name[0] == '\0' || name[strspn(name, token)] != '\0')
		fuzz_sip_fail("a request line that sofia-sip rejects is valid "
		    "without an unknown token method");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	msg_t *sofia_msg, *hub_msg;
	sip_t const *sofia, *hub;

	if (fuzz_sip_mclass == NULL &&
	    (fuzz_sip_mclass = sip_parser_mclass_new()) == NULL)
		abort();
	sofia_msg = fuzz_sip_parse(sip_default_mclass(), data, size);
	hub_msg = fuzz_sip_parse(fuzz_sip_mclass, data, size);
	sofia = sip_object(sofia_msg);
	hub = sip_object(hub_msg);
	if (sofia->sip_request != NULL)
		fuzz_sip_compare_request(sofia->sip_request, hub->sip_request);
	else if (hub->sip_request != NULL)
		fuzz_sip_check_new_request(hub->sip_request);
	/* Only where both read the headers: the hub may read the headers of
	 * a request whose request line sofia-sip rejects. */
	if ((sofia->sip_request != NULL || sofia->sip_status != NULL) &&
	    sofia->sip_via == NULL && hub->sip_via != NULL &&
	    (hub->sip_flags & MSG_FLG_ERROR) == 0)
		fuzz_sip_fail("a restored Via without the error mark");
	msg_destroy(sofia_msg);
	msg_destroy(hub_msg);
	return 0;
}
