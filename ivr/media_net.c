/*
 * CIDR networks for the addresses RTP may go to.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media_net.h"

/* The family and address bytes of address, with an IPv4-mapped IPv6
 * address turned into IPv4. Returns the byte count (4 or 16), or 0 for
 * another family. */
static size_t
media_net_bytes(const struct sockaddr *address, int *family,
    const unsigned char **bytes)
{
	if (address->sa_family == AF_INET) {
		*family = AF_INET;
		*bytes = (const unsigned char *)
		    &((const struct sockaddr_in *)address)->sin_addr;
		return 4;
	}
	if (address->sa_family != AF_INET6)
		return 0;
	*bytes = ((const struct sockaddr_in6 *)address)->sin6_addr.s6_addr;
	if (IN6_IS_ADDR_V4MAPPED(
	    &((const struct sockaddr_in6 *)address)->sin6_addr)) {
		*family = AF_INET;
		*bytes += 12;
		return 4;
	}
	*family = AF_INET6;
	return 16;
}

/* Whether the first prefix bits of a and b are equal. */
static bool
media_net_prefix_equal(const unsigned char *a, const unsigned char *b,
    unsigned int prefix)
{
	unsigned int whole = prefix / 8, rest = prefix % 8;

	if (memcmp(a, b, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[whole] ^ b[whole]) & (0xff00u >> rest) & 0xffu) == 0;
}

int
media_net_parse(const char *text, struct media_net *net)
{
	char host[INET6_ADDRSTRLEN];
	const char *slash = strchr(text, '/');
	size_t length = slash != NULL ? (size_t)(slash - text) : strlen(text);
	unsigned int bits;
	char *end;
	long prefix;

	memset(net, 0, sizeof *net);
	if (length == 0 || length >= sizeof host)
		return -1;
	memcpy(host, text, length);
	host[length] = '\0';
	net->family = strchr(host, ':') != NULL ? AF_INET6 : AF_INET;
	if (inet_pton(net->family, host, net->address) != 1)
		return -1;
	bits = net->family == AF_INET6 ? 128 : 32;
	net->prefix = bits;
	if (slash == NULL)
		return 0;
	errno = 0;
	prefix = strtol(slash + 1, &end, 10);
	if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || errno != 0 ||
	    prefix < 0 || prefix > (long)bits)
		return -1;
	net->prefix = (unsigned int)prefix;
	/* No host bits: the address must be the network's first. */
	for (unsigned int bit = net->prefix; bit < bits; bit++)
		if (net->address[bit / 8] & (0x80u >> (bit % 8)))
			return -1;
	return 0;
}

bool
media_net_contains(const struct media_net *nets, int count,
    const struct sockaddr *address)
{
	const unsigned char *bytes;
	int family;

	if (media_net_bytes(address, &family, &bytes) == 0)
		return false;
	for (int i = 0; i < count; i++)
		if (nets[i].family == family && media_net_prefix_equal(
		    nets[i].address, bytes, nets[i].prefix))
			return true;
	return false;
}

bool
media_net_same_host(const struct sockaddr *a, const struct sockaddr *b)
{
	const unsigned char *a_bytes, *b_bytes;
	int a_family, b_family;
	size_t length = media_net_bytes(a, &a_family, &a_bytes);

	return length > 0 && media_net_bytes(b, &b_family, &b_bytes) ==
	    length && a_family == b_family &&
	    memcmp(a_bytes, b_bytes, length) == 0;
}
