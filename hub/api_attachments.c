/*
 * GET /api/v1/tickets/ID/attachments/ATTACHMENT_ID: the file of one
 * attachment, for an agent who may see the ticket. The read is recorded as
 * an audit event ("attachment.read") before the file is sent.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/http.h>

#include "api.h"
#include "api_tickets_internal.h"
#include "attachment.h"
#include "auth.h"
#include "clock.h"
#include "http_server.h"
#include "log.h"
#include "store_casework.h"
#include "store_mail.h"

/* The largest file served. The whole file is read into memory before it
 * is sent, and the hub itself does not bound an attachment's size: the
 * channel that takes it does. */
#define API_ATTACHMENT_SIZE_MAX (64LL * 1024 * 1024)
#define API_ATTACHMENT_PATH_MAX 4096

/* One download waiting for its audit event to commit. */
struct api_attachment_read {
	struct store_job job;
	struct evhttp_request *req;
	struct auth_agent agent;
	char actor[160];
	int64_t ticket_id;
	struct store_attachment attachment;
	char *data;
	size_t size;
};

static void
api_attachment_read_free(struct api_attachment_read *download)
{
	store_attachment_clear(&download->attachment);
	free(download->data);
	free(download);
}

/* The Content-Type a browser may show inline; anything else is sent as
 * application/octet-stream so that no HTML or script runs from it. */
static const char *
api_attachment_served_type(const char *content_type)
{
	if (content_type == NULL)
		return "application/octet-stream";
	if (strncmp(content_type, "image/", 6) == 0 &&
	    strcmp(content_type, "image/svg+xml") != 0)
		return content_type;
	/* audio/wav: the recordings of voice reports by phone, which an
	 * agent plays in the browser. */
	if (strcmp(content_type, "application/pdf") == 0 ||
	    strcmp(content_type, "text/plain") == 0 ||
	    strcmp(content_type, "audio/wav") == 0)
		return content_type;
	return "application/octet-stream";
}

/* Whether c may stand unencoded in an RFC 8187 value (attr-char). */
static int
api_attachment_attr_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("!#$&+-.^_`|~", c) != NULL;
}

/* Content-Disposition: attachment with an ASCII fallback filename and the
 * RFC 6266 filename*=UTF-8'' form. Returns a new string or NULL. */
char *
api_attachment_disposition(const char *filename)
{
	const char *name = filename != NULL ? filename : "attachment";
	size_t length = strlen(name);
	char *out = malloc(64 + length * 4);
	char *p;

	if (out == NULL)
		return NULL;
	p = out + sprintf(out, "attachment; filename=\"");
	for (const unsigned char *s = (const unsigned char *)name; *s != '\0';
	    s++)
		*p++ = *s >= 0x20 && *s < 0x7f && *s != '"' && *s != '\\' ?
		    (char)*s : '_';
	p += sprintf(p, "\"; filename*=UTF-8''");
	for (const unsigned char *s = (const unsigned char *)name; *s != '\0';
	    s++) {
		if (api_attachment_attr_char(*s))
			*p++ = (char)*s;
		else
			p += sprintf(p, "%%%02X", *s);
	}
	*p = '\0';
	return out;
}

/* Reads the blob of attachment into memory. Returns 0, or -1 with errno
 * set (ENOENT when the file is missing). */
static int
api_attachment_load(const char *data_dir,
    struct api_attachment_read *download)
{
	char path[API_ATTACHMENT_PATH_MAX];
	struct stat st;
	size_t done = 0;
	int fd;

	if (attachment_path(data_dir, download->attachment.sha256, path,
	    sizeof path) != 0) {
		errno = ENOENT;
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || st.st_size > API_ATTACHMENT_SIZE_MAX) {
		close(fd);
		errno = EFBIG;
		return -1;
	}
	download->size = (size_t)st.st_size;
	download->data = malloc(download->size > 0 ? download->size : 1);
	while (download->data != NULL && done < download->size) {
		ssize_t n = pread(fd, download->data + done,
		    download->size - done, (off_t)done);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			break;
		}
		done += (size_t)n;
	}
	close(fd);
	if (download->data == NULL || done != download->size) {
		errno = EIO;
		return -1;
	}
	return 0;
}

static int
api_attachment_apply(struct store_tx *tx, void *arg)
{
	struct api_attachment_read *download = arg;
	struct store_casework_ticket ticket;
	char detail[96];

	if (store_tx_casework_ticket(tx, download->ticket_id, &ticket) != 1)
		return -1;
	snprintf(detail, sizeof detail, "{\"attachment_id\":%lld}",
	    (long long)download->attachment.id);
	return store_tx_casework_audit(tx, &(struct store_casework_audit){
	    .ticket_id = ticket.id, .citizen_id = ticket.citizen_id,
	    .agent_id = download->agent.id, .actor = download->actor,
	    .action = "attachment.read", .detail = detail }, clock_now_ms());
}

static void
api_attachment_done(int result, void *arg)
{
	struct api_attachment_read *download = arg;
	struct evkeyvalq *headers =
	    evhttp_request_get_output_headers(download->req);
	char *disposition;

	if (result != 0) {
		log_error("http", "attachment read not audited, not sent "
		    "ticket=%lld attachment=%lld", (long long)download->ticket_id,
		    (long long)download->attachment.id);
		api_tickets_error(download->req, HUB_ERR_UNAVAILABLE, NULL, 0);
		api_attachment_read_free(download);
		return;
	}
	disposition = api_attachment_disposition(
	    download->attachment.filename);
	if (disposition != NULL)
		evhttp_add_header(headers, "Content-Disposition", disposition);
	free(disposition);
	evhttp_add_header(headers, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(headers, "Cache-Control", "private, no-store");
	http_send_text(download->req, 200, api_attachment_served_type(
	    download->attachment.content_type), download->data,
	    download->size);
	api_attachment_read_free(download);
}

void
api_ticket_attachment(struct api_context *api, struct evhttp_request *req,
    const struct auth_agent *agent, int64_t ticket_id, const char *id_text)
{
	struct api_attachment_read *download;
	struct store_ticket ticket;
	int64_t attachment_id = 0;
	char *end;
	int found;

	errno = 0;
	if (id_text[0] >= '1' && id_text[0] <= '9')
		attachment_id = strtoll(id_text, &end, 10);
	if (attachment_id <= 0 || errno != 0 || *end != '\0') {
		api_tickets_error(req, HUB_ERR_NOT_FOUND, "attachment_id", 0);
		return;
	}
	memset(&ticket, 0, sizeof ticket);
	found = store_ticket_get(api->store, ticket_id, &ticket);
	if (found == 1 && !auth_sees_department(agent, ticket.department)) {
		store_ticket_clear(&ticket);
		auth_forbid(req);
		return;
	}
	store_ticket_clear(&ticket);
	if (found != 1) {
		api_tickets_error(req, found == 0 ? HUB_ERR_NOT_FOUND :
		    HUB_ERR_INTERNAL, found == 0 ? "id" : NULL, 0);
		return;
	}

	download = calloc(1, sizeof *download);
	if (download == NULL) {
		api_tickets_error(req, HUB_ERR_INTERNAL, NULL, 0);
		return;
	}
	found = store_attachment_get(api->store, ticket_id, attachment_id,
	    &download->attachment);
	if (found == 1 && api_attachment_load(store_data_dir(api->store),
	    download) != 0) {
		log_warn("http", "attachment file not readable ticket=%lld "
		    "attachment=%lld sha256=%s: %s", (long long)ticket_id,
		    (long long)attachment_id, download->attachment.sha256,
		    strerror(errno));
		found = errno == ENOENT ? 0 : -1;
	}
	if (found != 1) {
		api_tickets_error(req, found == 0 ? HUB_ERR_NOT_FOUND :
		    HUB_ERR_INTERNAL, found == 0 ? "attachment_id" : NULL, 0);
		api_attachment_read_free(download);
		return;
	}

	download->req = req;
	download->agent = *agent;
	auth_actor(agent, download->actor, sizeof download->actor);
	download->ticket_id = ticket_id;
	download->job = (struct store_job){ .apply = api_attachment_apply,
	    .done = api_attachment_done, .arg = download };
	if (store_submit(api->store, &download->job) != 0) {
		api_tickets_error(req, HUB_ERR_UNAVAILABLE, NULL, 0);
		api_attachment_read_free(download);
	}
}
