/*
 * The SIP message class of the hub's agent: sofia-sip's own, with four
 * steps wrapped so that some requests which sofia-sip 1.12 drops without a
 * reply get the response that RFC 3261 and RFC 4475 expect. Nothing that
 * sofia-sip rejects becomes a request that the IVR acts on, except methods
 * of token characters that sofia-sip's method parser rejects:
 *
 * - Request line: a method made of token characters that sofia-sip's
 *   method parser rejects (such as "+" or "`") is read as an unknown
 *   method, so nua sends 501 with Allow. A Request-URI with spaces or tabs
 *   inside is read with its URI marked invalid, so nta sends 400.
 * - CSeq: the same methods are read there too, so that the CSeq of such a
 *   request still matches its request line.
 * - Via: a Via that fails to parse is still an error. When it parses once
 *   its empty parameters and values are left out, that cleaned Via is put
 *   back before nta sees the request, so nta sends its 400 to the sender
 *   instead of dropping the request.
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

/* Maximum bytes of a cleaned Via saved until the end of the header block.
 * A longer one is not saved, so sofia-sip drops its request as before. */
#define SIP_PARSER_VIA_MAX 1024

/* Creates the message class, to be given to nua_create with
 * NUTAG_SIP_PARSER. Returns NULL when out of memory. Free it with
 * sip_parser_mclass_free once no message of it is left, that is after
 * nua_destroy. */
msg_mclass_t *sip_parser_mclass_new(void);

/* Frees a message class from sip_parser_mclass_new; NULL is ignored. */
void sip_parser_mclass_free(msg_mclass_t *mclass);

#endif
