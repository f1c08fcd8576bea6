/*
 * The sip channel module: the hotline's IVR.
 *
 * Three threads share the work of a call, and each owns its part of it:
 *
 *   SIP thread (sip_thread.c, sip_ua.c): sofia-sip's su_root and nua. It
 *     answers INVITE, CANCEL, BYE, re-INVITE, INFO, OPTIONS and REGISTER,
 *     keeps a sip_leg per call, opens the call's RTP socket and enforces the
 *     call limits. Every sofia-sip function runs on this thread.
 *   media thread (media_thread.c, rtp_*.c, ivr_call.c): its own libevent
 *     base with precise timers. It sends the prompts as paced RTP, detects
 *     keys, records the caller and runs the menu (ivr_menu.c) of each call.
 *   main thread (sip.c, ivr_hub.c): the hub. It looks tickets up, opens the
 *     tickets of voice reports and stores the call records.
 *
 * Threads never share a call object: they name a call by its id (an
 * integer the SIP thread gives out) in messages (ivr_msg.h) sent through
 * mailboxes. The configuration, the menu and the prompts are read-only
 * after create and are shared by all three.
 */
#ifndef IVR_H
#define IVR_H

#include <stdbool.h>
#include <stdint.h>

#include "channel.h"

struct media_net;

/* The channels.sip section. Strings are owned by the config. */
struct ivr_config {
	char *listen;			/* "127.0.0.1:5060": UDP and TCP */
	char *domain;			/* SIP domain, for Contact and logs */
	char **numbers;			/* Request-URI users answered; none:
					 * any */
	int number_count;
	char *rtp_address;		/* address of the RTP sockets and in SDP */
	int rtp_port_min;		/* even ports from min to max */
	int rtp_port_max;
	char *user_agent;		/* User-Agent and Server header */
	char *resolv_conf;		/* resolver file for sofia-sip (sres) */
	/* Networks RTP may go to besides the SIP request's source address
	 * (media_net.h); none by default. */
	struct media_net *media_networks;
	int media_network_count;

	int max_calls;			/* beyond: 503 with Retry-After */
	int retry_after_seconds;
	int invites_per_minute;		/* per source address */
	int ring_ms;			/* 180 Ringing this long before 200 */
	int max_call_seconds;
	int max_recording_seconds;
	int media_timeout_seconds;	/* no RTP from the caller this long:
					 * hang up */
	int no_input_seconds;		/* default menu timeout */
	int tcp_idle_seconds;		/* a SIP TCP connection with no
					 * message this long is closed */
	int media_priority;		/* 0: normal scheduling; 1-99: the
					 * media thread runs SCHED_FIFO */

	char *menu_file;		/* JSON menu, absolute */
	char *prompts_dir;		/* prompts_dir/{vi,en}/NAME.wav */
	char *prompts_override_dir;	/* recorded prompts that replace the
					 * rendered ones; NULL for none */
	char *transfer_uri;		/* REFER target; NULL: no transfer */
	int transfer_timeout_seconds;	/* no final NOTIFY by then: voicemail */
	char *recordings_dir;		/* WAV files while a call records */
	bool trace;			/* log every SIP message at debug */
};

/* Checks section and fills config (zeroed by the caller); defaults for
 * absent keys. Relative paths are resolved against the config file.
 * Returns 0, or -1 with err naming the key. */
int ivr_config_parse(struct hub_channel *channel, const json_t *section,
    struct ivr_config *config, struct config_error *err);

void ivr_config_free(struct ivr_config *config);

/* Splits "ADDR:PORT" (IPv4) or "[ADDR]:PORT" (IPv6), a numeric address
 * and a port from 1 to 65535, into host and *port. Returns 0, or -1 when
 * text has another form or host_size is too small. */
int ivr_config_split_address(const char *text, char *host, size_t host_size,
    int *port);

struct ivr_menu;
struct ivr_prompts;
struct sip_thread;
struct media_thread;
struct ivr_hub;
struct mailbox;

/* The module's state, created and freed on the main thread. */
struct ivr {
	struct hub_channel *channel;
	struct ivr_config config;
	const struct ivr_menu *menu;		/* shared, read-only */
	const struct ivr_prompts *prompts;	/* shared, read-only */
	struct ivr_hub *hub;		/* main thread side (ivr_hub.c) */
	struct media_thread *media;
	bool media_stopped;		/* its calls ended, the hub is stopping */
	struct sip_thread *sip;
};

#endif
