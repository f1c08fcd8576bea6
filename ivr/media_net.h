/*
 * Networks that RTP may go to: the CIDR list of channels.sip.media_networks
 * and the comparison of addresses with it. Pure functions, safe on any
 * thread.
 *
 * Over UDP the source of an INVITE can be forged, and the SDP inside may
 * name any address; a hub that streamed prompts wherever an offer points
 * would send a few kilobytes a second to a third party for each datagram
 * it got. So media goes only to the address the SIP request came from, or
 * into a network listed here (a PBX whose media gateway is not its
 * signalling address).
 */
#ifndef IVR_MEDIA_NET_H
#define IVR_MEDIA_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* One network: family, address bytes (4 or 16) and prefix length. */
struct media_net {
	int family;			/* AF_INET or AF_INET6 */
	unsigned char address[16];
	unsigned int prefix;
};

/* Parses "10.20.0.0/16", "2001:db8::/32" or a bare address (a /32 or
 * /128) into net. The bits past the prefix must be zero, so that a typo
 * such as "10.20.1.0/16" does not silently widen the network. Returns 0,
 * or -1 when text has another form. */
int media_net_parse(const char *text, struct media_net *net);

/* Whether address (AF_INET or AF_INET6; an IPv4-mapped IPv6 address
 * counts as IPv4) lies inside one of the count networks. */
bool media_net_contains(const struct media_net *nets, int count,
    const struct sockaddr *address);

/* Whether a and b hold the same host address, ports aside. An IPv4-mapped
 * IPv6 address equals its IPv4 address. */
bool media_net_same_host(const struct sockaddr *a, const struct sockaddr *b);

#endif
