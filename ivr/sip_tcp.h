/*
 * The SIP TCP watchdog: closes TCP connections to the SIP port over which
 * no SIP request arrived within channels.sip.tcp_idle_seconds of their
 * accept.
 *
 * sofia-sip 1.12.11 arms its idle timer (TPTAG_IDLE) only after a
 * connection received something, and restarts its incomplete-message timer
 * (TPTAG_TIMEOUT) on every byte, so a peer that sends nothing, or one
 * garbage byte now and then, kept its connection, and so a file
 * descriptor, for ever. sofia-sip has no cap on the number of connections
 * either. The watchdog runs on the SIP thread: it finds the connections
 * among the process's descriptors and shuts down those whose peer sent no
 * request in time, and sofia-sip then closes them as closed by the peer.
 */
#ifndef IVR_SIP_TCP_H
#define IVR_SIP_TCP_H

#include <stdint.h>
#include <sys/socket.h>

struct sip_tcp;

/* Creates the watchdog for TCP connections to the local address
 * host:port, with idle_ms as the time a connection gets to deliver its
 * first request. Returns NULL on allocation failure. */
struct sip_tcp *sip_tcp_new(const char *host, int port, int64_t idle_ms);

void sip_tcp_free(struct sip_tcp *tcp);

/* Records that a SIP request arrived from peer, so a connection from that
 * address and port is left to sofia-sip's idle timer. */
void sip_tcp_request_seen(struct sip_tcp *tcp, const struct sockaddr *peer,
    socklen_t length);

/* Scans the process's sockets at now_ms and shuts down each connection to
 * the SIP port that is older than idle_ms and delivered no request.
 * Returns how many it shut down. */
int sip_tcp_scan(struct sip_tcp *tcp, int64_t now_ms);

#endif
