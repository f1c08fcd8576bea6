/*
 * The SIP message class of the hub's agent: sofia-sip's own, with four
 * steps wrapped so that requests which sofia-sip 1.12 drops without a word
 * get the answer RFC 3261 and RFC 4475 ask for. Nothing that sofia-sip
 * refuses becomes a request that the IVR acts on:
 *
 * - Request line: a method made of token characters that sofia-sip's
 *   method parser refuses (such as "+", "`" or "%") is read as an unknown
 *   method, so nua answers 501 with Allow. A Request-URI with spaces or
 *   tabs inside is read with its URI marked invalid, so nta answers 400.
 * - CSeq: the same methods are read there too, so that the CSeq of such a
 *   request still matches its request line.
 * - Via: a Via that fails to parse still fails (nta answers 400), but when
 *   it parses once its empty parameters and values are left out, that
 *   cleaned Via is put back before nta sees the request, so the 400 goes
 *   to the sender instead of nowhere.
 * - The end of the header block: a request whose SIP version is not
 *   SIP/2.0 gets the received (and rport) parameters on its top Via there,
 *   since nta sends its 505 before it adds them itself.
 *
 * Headers that nta and nua create with sofia-sip's classes still fit into
 * messages of this class.
 */
#ifndef IVR_SIP_PARSER_H
#define IVR_SIP_PARSER_H

#include <sofia-sip/msg_mclass.h>

/* Bytes of a cleaned Via kept between its header and the end of the header
 * block; a longer one is not kept, and its request is dropped as before. */
#define SIP_PARSER_VIA_MAX 1024

/* Creates the message class, to be given to nua_create with
 * NUTAG_SIP_PARSER. Returns NULL when out of memory. Free it with
 * sip_parser_mclass_free once no message of it is left, that is after
 * nua_destroy. */
msg_mclass_t *sip_parser_mclass_new(void);

/* Frees a message class from sip_parser_mclass_new; NULL is ignored. */
void sip_parser_mclass_free(msg_mclass_t *mclass);

#endif
