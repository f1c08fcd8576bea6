/*
 * Messages between the IVR's three threads (see ivr.h). Each is a plain
 * struct allocated by the sender with ivr_msg_new and owned, once posted, by
 * the receiver, who frees it with free(). Fixed-size fields keep a message
 * one allocation. A message about a call the receiver no longer knows is
 * dropped without error: the two sides of a call end independently.
 */
#ifndef IVR_MSG_H
#define IVR_MSG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ticket_code.h"

#define IVR_CALL_ID_SIZE 256		/* SIP Call-ID */
#define IVR_PARTY_SIZE 64		/* caller or callee user part */
#define IVR_PATH_SIZE 1024		/* the way through the menu */
#define IVR_NAME_SIZE 64		/* category id, end reason, status */
#define IVR_URI_SIZE 256

/* Where a key came from; a call keeps the set it saw. */
enum ivr_dtmf_method {
	IVR_DTMF_RFC4733 = 1u << 0,
	IVR_DTMF_INFO = 1u << 1,
	IVR_DTMF_INBAND = 1u << 2,
};

/* The media direction of an SDP offer, from the caller's side. */
enum ivr_direction {
	IVR_SENDRECV,
	IVR_SENDONLY,		/* the caller holds: the hub stops sending */
	IVR_RECVONLY,
	IVR_INACTIVE,		/* held both ways */
};

/* --- To the media thread (from the SIP thread or the main thread) --------- */

enum ivr_media_type {
	IVR_MEDIA_START,	/* SIP: the call is answered */
	IVR_MEDIA_UPDATE,	/* SIP: a re-INVITE changed address or direction */
	IVR_MEDIA_DIGIT,	/* SIP: a key from INFO application/dtmf-relay */
	IVR_MEDIA_END,		/* SIP: BYE or CANCEL from the caller, or shutdown */
	IVR_MEDIA_TRANSFER,	/* SIP: outcome of a REFER */
	IVR_MEDIA_LOOKUP,	/* main: a ticket's status */
	IVR_MEDIA_REPORT,	/* main: the ticket a voice report opened */
	IVR_MEDIA_STOP,		/* main: end every call and the thread */
};

/* Public facts of a ticket, for the status prompt. */
struct ivr_ticket_status {
	int found;			/* 1, 0 (no such ticket), -1 (error) */
	char status[IVR_NAME_SIZE];	/* "new", "assigned", ... "closed" */
	int64_t due_at_ms;		/* 0 for no deadline */
	int64_t resolved_at_ms;		/* 0 when not resolved */
	char merged_into[TICKET_CODE_PLAIN_SIZE];	/* "" when not merged */
};

struct ivr_media_msg {
	enum ivr_media_type type;
	uint64_t call;

	/* START and UPDATE */
	int rtp_fd;			/* START: bound UDP socket, now the
					 * media thread's to close */
	uint16_t rtp_port;		/* START: its local port */
	struct sockaddr_storage remote;	/* the caller's RTP address */
	socklen_t remote_len;
	struct sockaddr_storage source;	/* START: the INVITE's source
					 * address; ss_family AF_UNSPEC when
					 * unknown */
	int payload_type;		/* 0 (PCMU) or 8 (PCMA) */
	int event_payload_type;		/* telephone-event, -1 when not offered */
	enum ivr_direction direction;
	char call_id[IVR_CALL_ID_SIZE];	/* START */
	char caller[IVR_PARTY_SIZE];	/* START */
	char callee[IVR_PARTY_SIZE];	/* START */
	int64_t started_at_ms;		/* START */
	int64_t answered_at_ms;		/* START */

	/* DIGIT: '0'-'9', '*', '#', 'A'-'D' */
	char digit;

	/* END: "caller", "shutdown", "max_duration" */
	char reason[IVR_NAME_SIZE];

	/* TRANSFER: the final status (the sipfrag of the last NOTIFY, or the
	 * REFER's own failure; 408 when no final NOTIFY came in time). */
	int transfer_status;

	/* LOOKUP */
	struct ivr_ticket_status ticket;

	/* REPORT: 0 and the new ticket's code, or -1 (nothing stored) */
	int report_status;
	char code[TICKET_CODE_PLAIN_SIZE];
};

/* --- To the main thread (from the media thread or the SIP thread) -------- */

enum ivr_hub_type {
	IVR_HUB_LOOKUP,		/* media: the public status of code */
	IVR_HUB_REPORT,		/* media: open a ticket with the recording */
	IVR_HUB_CALL_DONE,	/* media or SIP: store the call record */
};

struct ivr_hub_msg {
	enum ivr_hub_type type;
	uint64_t call;

	char code[TICKET_CODE_PLAIN_SIZE];	/* LOOKUP; CALL_DONE's ticket */

	/* REPORT and CALL_DONE */
	char call_id[IVR_CALL_ID_SIZE];
	char caller[IVR_PARTY_SIZE];
	char callee[IVR_PARTY_SIZE];
	char language[4];
	char category[IVR_NAME_SIZE];	/* REPORT: category id, "" for none
					 * (voicemail) */
	char recording_path[4096];	/* REPORT: the WAV to store, which the
					 * hub removes */
	int64_t recording_ms;
	char recording_sha256[65];	/* CALL_DONE: "" when none */
	/* With call_id, tells this call from another that reused its
	 * Call-ID. */
	int64_t started_at_ms;

	/* CALL_DONE */
	int64_t answered_at_ms;
	int64_t ended_at_ms;
	char path[IVR_PATH_SIZE];
	unsigned int dtmf_methods;	/* enum ivr_dtmf_method bits */
	char end_reason[IVR_NAME_SIZE];
};

/* --- To the SIP thread (from the media thread or the main thread) -------- */

enum ivr_sip_type {
	IVR_SIP_HANGUP,		/* media: send BYE and forget the call */
	IVR_SIP_REFER,		/* media: REFER the caller to target */
	IVR_SIP_STOP,		/* main: end every call with BYE, shut down */
};

struct ivr_sip_msg {
	enum ivr_sip_type type;
	uint64_t call;
	char target[IVR_URI_SIZE];	/* REFER */
	char reason[IVR_NAME_SIZE];	/* HANGUP, for the log */
};

/* Allocates a zeroed message of size bytes with type set in its first
 * field. Returns NULL on allocation failure. */
void *ivr_msg_new(size_t size, int type);

/* "rfc4733,inband" from a set of enum ivr_dtmf_method bits, into buffer.
 * Returns buffer. */
const char *ivr_dtmf_methods_text(unsigned int methods, char *buffer,
    size_t size);

#endif
