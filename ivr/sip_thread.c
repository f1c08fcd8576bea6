/*
 * The SIP thread: sofia-sip's su_root and nua, its mailbox and its legs.
 *
 * Every sofia-sip function runs on this thread. Other threads reach it
 * through sip_thread_post, which queues an su_msg to the root's task; the
 * message's handler then runs on this thread.
 */
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sip_ua.h"

#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sresolv.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/tport_tag.h>

#include "sip_parser.h"
#include "sip_tcp.h"
#include "sip_thread.h"

/* Waiting for nua's shutdown at most this long. */
#define SIP_THREAD_SHUTDOWN_MS 3000

/* The logs of sofia-sip's parts. The library exports them, but of these
 * only su_log_default is declared in its headers. */
extern su_log_t nua_log[];
extern su_log_t nta_log[];
extern su_log_t tport_log[];

/* The payload of a mailbox su_msg: one message for the thread. */
struct sip_thread_letter {
	struct ivr_sip_msg *message;
};

int64_t
sip_thread_now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* --- Logging ------------------------------------------------------------------ */

/* Set before sofia-sip logs anything, from channels.sip.trace. */
static bool sip_thread_log_traced;

/* Receives sofia-sip's log output, which comes in pieces: a line is logged
 * when its newline arrives. Only the SIP thread logs through sofia-sip. */
static void
sip_thread_log(void *stream, char const *fmt, va_list ap)
{
	static __thread char line[1024];
	static __thread size_t used;
	int written;

	(void)stream;
	written = vsnprintf(line + used, sizeof line - used, fmt, ap);
	if (written < 0)
		return;
	used += (size_t)written;
	if (used >= sizeof line)
		used = sizeof line - 1;
	if (used > 0 && line[used - 1] != '\n' && used < sizeof line - 1)
		return;
	while (used > 0 && (line[used - 1] == '\n' || line[used - 1] == '\r'))
		line[--used] = '\0';
	/* With tracing, every line of every message is wanted, repeats too. */
	if (used > 0 && sip_thread_log_traced)
		log_debug("sofia", "%s", line);
	else if (used > 0)
		log_library(LOG_LEVEL_DEBUG, "sofia", line);
	used = 0;
}

/* Routes sofia-sip's logs into the hub's log at debug level: warnings
 * normally, and protocol detail with every message when tracing. */
static void
sip_thread_log_setup(const struct ivr_config *config)
{
	unsigned int level = config->trace ? 7 : 2;

	sip_thread_log_traced = config->trace;
	su_log_redirect(su_log_default, sip_thread_log, NULL);
	su_log_redirect(nua_log, sip_thread_log, NULL);
	su_log_redirect(nta_log, sip_thread_log, NULL);
	su_log_redirect(tport_log, sip_thread_log, NULL);
	su_log_set_level(su_log_default, level);
	su_log_set_level(nua_log, level);
	su_log_set_level(nta_log, level);
	su_log_set_level(tport_log, level);
}

/* --- Legs ------------------------------------------------------------------ */

struct sip_leg *
sip_thread_leg_new(struct sip_thread *sip, nua_handle_t *handle)
{
	struct sip_leg *leg = calloc(1, sizeof *leg);

	if (leg == NULL)
		return NULL;
	leg->sip = sip;
	leg->handle = handle;
	leg->call = ++sip->next_call;
	leg->rtp_fd = -1;
	leg->sdp_session = (uint64_t)sip_thread_now_ms();
	leg->next = sip->legs;
	sip->legs = leg;
	atomic_fetch_add(&sip->leg_count, 1);
	nua_handle_bind(handle, leg);
	return leg;
}

struct sip_leg *
sip_thread_leg_find(struct sip_thread *sip, uint64_t call)
{
	for (struct sip_leg *leg = sip->legs; leg != NULL; leg = leg->next)
		if (leg->call == call)
			return leg;
	return NULL;
}

void
sip_thread_leg_free(struct sip_thread *sip, struct sip_leg *leg)
{
	for (struct sip_leg **link = &sip->legs; *link != NULL;
	    link = &(*link)->next) {
		if (*link == leg) {
			*link = leg->next;
			break;
		}
	}
	if (leg->ring_timer != NULL)
		su_timer_destroy(leg->ring_timer);
	if (leg->refer_timer != NULL)
		su_timer_destroy(leg->refer_timer);
	if (leg->rtp_fd >= 0)
		close(leg->rtp_fd);
	nua_handle_bind(leg->handle, NULL);
	nua_handle_destroy(leg->handle);
	atomic_fetch_sub(&sip->leg_count, 1);
	free(leg);
}

/* --- Mailbox ------------------------------------------------------------------ */

static void
sip_thread_letter_free(struct sip_thread_letter *letter)
{
	free(letter->message);
	letter->message = NULL;
}

/* Runs when nua's shutdown takes too long. */
static void
sip_thread_shutdown_expired(struct sip_thread *sip, su_timer_t *timer,
    struct sip_leg *unused)
{
	(void)timer;
	(void)unused;
	log_warn(SIP_LOG, "nua shutdown timed out after %d ms",
	    SIP_THREAD_SHUTDOWN_MS);
	su_root_break(sip->root);
}

static void
sip_thread_stop_calls(struct sip_thread *sip)
{
	struct sip_leg *leg, *next;

	if (sip->stopping)
		return;
	sip->stopping = true;
	log_info(SIP_LOG, "stopping calls=%d",
	    atomic_load(&sip->leg_count));
	for (leg = sip->legs; leg != NULL; leg = next) {
		next = leg->next;
		/* The media thread has stopped before the SIP thread. */
		leg->media_running = false;
		sip_ua_hangup(leg, "shutdown");
	}
	nua_shutdown(sip->nua);
	su_timer_set(sip->shutdown_timer, sip_thread_shutdown_expired, NULL);
}

/* Receives one message from another thread. */
static void
sip_thread_receive(struct sip_thread *sip, su_msg_r msg,
    struct sip_thread_letter *letter)
{
	struct ivr_sip_msg *message = letter->message;
	struct sip_leg *leg;

	(void)msg;
	if (message == NULL)
		return;
	leg = sip_thread_leg_find(sip, message->call);
	switch (message->type) {
	case IVR_SIP_HANGUP:
		if (leg != NULL) {
			leg->media_running = false;
			sip_ua_hangup(leg, message->reason);
		}
		break;
	case IVR_SIP_REFER:
		if (leg != NULL)
			sip_ua_refer(leg, message->target);
		break;
	case IVR_SIP_STOP:
		sip_thread_stop_calls(sip);
		break;
	}
	sip_thread_letter_free(letter);
}

int
sip_thread_post(struct sip_thread *sip, struct ivr_sip_msg *message)
{
	su_msg_r msg = SU_MSG_R_INIT;
	int result = -1;

	pthread_mutex_lock(&sip->post_lock);
	if (!sip->post_closed && su_msg_create(msg, su_root_task(sip->root),
	    su_task_null, sip_thread_receive,
	    sizeof(struct sip_thread_letter)) == 0) {
		su_msg_data(msg)->message = message;
		/* Frees the message of a letter never delivered. */
		su_msg_deinitializer(msg, sip_thread_letter_free);
		message = NULL;
		result = su_msg_send(msg) == 0 ? 0 : -1;
	}
	pthread_mutex_unlock(&sip->post_lock);
	free(message);
	return result;
}

int
sip_thread_calls(const struct sip_thread *sip)
{
	return atomic_load(&((struct sip_thread *)sip)->leg_count);
}

/* --- The thread ------------------------------------------------------------ */

static void
sip_thread_set_ready(struct sip_thread *sip, int ready)
{
	pthread_mutex_lock(&sip->ready_lock);
	sip->ready = ready;
	pthread_cond_signal(&sip->ready_cond);
	pthread_mutex_unlock(&sip->ready_lock);
}

/* A SIP message larger than this gets 413; an INVITE with its SDP is a few
 * kilobytes. */
#define SIP_THREAD_MESSAGE_MAX	65536

/* A TCP connection that sent part of a message and nothing more for this
 * long is closed. */
#define SIP_THREAD_INCOMPLETE_MS	10000U

static nua_t *
sip_thread_nua_create(struct sip_thread *sip, const char *url)
{
	const struct ivr_config *config = sip->config;

	/* SIPTAG_ALLOW_STR replaces nua's default Allow list only when no
	 * NUTAG_ALLOW comes before it, so REGISTER, MESSAGE, SUBSCRIBE and
	 * REFER get 405 with this Allow. */
	return nua_create(sip->root, sip_ua_callback, sip,
	    NUTAG_URL(url),
	    NUTAG_MEDIA_ENABLE(0),
	    NUTAG_AUTOANSWER(0),
	    NUTAG_AUTOALERT(0),
	    SIPTAG_ALLOW_STR("INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, NOTIFY"),
	    NUTAG_APPL_METHOD("INFO"),
	    NUTAG_ENABLEMESSAGE(0),
	    /* No PRACK in Allow, so no reliable provisional responses. */
	    SIPTAG_SUPPORTED_STR("timer"),
	    SIPTAG_ACCEPT_STR("application/sdp"),
	    NTATAG_SERVER_RPORT(1),
	    NTATAG_MAXSIZE(SIP_THREAD_MESSAGE_MAX),
	    /* sofia-sip 1.12 has no cap on the number of TCP connections, so
	     * these timers are what frees the fds of silent or slow peers. */
	    TPTAG_IDLE((unsigned)config->tcp_idle_seconds * 1000U),
	    TPTAG_TIMEOUT(SIP_THREAD_INCOMPLETE_MS),
	    SRESTAG_RESOLV_CONF(config->resolv_conf),
	    SIPTAG_USER_AGENT_STR(config->user_agent),
	    SIPTAG_SERVER_STR(config->user_agent),
	    TAG_IF(config->trace, TPTAG_LOG(1)),
	    NUTAG_SIP_PARSER(sip->mclass),
	    TAG_NULL());
}

/* Binds host:port over UDP and TCP for a moment, because nua_create does
 * not say why it failed. Returns 0, or an errno value. */
static int
sip_thread_probe(const char *host, int port)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST };
	struct addrinfo *address;
	const int types[] = { SOCK_DGRAM, SOCK_STREAM };
	char service[16];
	int error = 0;

	snprintf(service, sizeof service, "%d", port);
	if (getaddrinfo(host, service, &hints, &address) != 0)
		return EINVAL;
	for (size_t i = 0; i < 2 && error == 0; i++) {
		int fd = socket(address->ai_family, types[i] | SOCK_CLOEXEC, 0);

		if (fd < 0 || bind(fd, address->ai_addr, address->ai_addrlen) != 0)
			error = errno;
		if (fd >= 0)
			close(fd);
	}
	freeaddrinfo(address);
	return error;
}

static void
sip_thread_tcp_scan(struct sip_thread *sip, su_timer_t *timer,
    su_timer_arg_t *arg)
{
	int closed;

	(void)timer;
	(void)arg;
	closed = sip_tcp_scan(sip->tcp, sip_thread_now_ms());
	if (closed > 0)
		log_info("sip", "closed %d TCP connections that sent no SIP "
		    "request within tcp_idle_seconds=%d", closed,
		    sip->config->tcp_idle_seconds);
}

/* Starts the TCP watchdog, scanning four times per idle time and at least
 * every 5 s. */
static int
sip_thread_tcp_start(struct sip_thread *sip, const char *host, int port)
{
	int64_t idle_ms = (int64_t)sip->config->tcp_idle_seconds * 1000;
	int64_t period_ms = idle_ms / 4 < 5000 ? idle_ms / 4 : 5000;

	sip->tcp = sip_tcp_new(host, port, idle_ms);
	sip->tcp_timer = su_timer_create(su_root_task(sip->root),
	    (su_duration_t)period_ms);
	if (sip->tcp == NULL || sip->tcp_timer == NULL ||
	    su_timer_run(sip->tcp_timer, sip_thread_tcp_scan, NULL) != 0) {
		snprintf(sip->error, sizeof sip->error, "cannot start the "
		    "SIP TCP watchdog: out of memory");
		return -1;
	}
	return 0;
}

/* Creates the root and nua; sets sip->error on failure. */
static int
sip_thread_open(struct sip_thread *sip)
{
	char host[64], url[128];
	int port, error;

	if (ivr_config_split_address(sip->config->listen, host, sizeof host,
	    &port) != 0) {
		snprintf(sip->error, sizeof sip->error, "invalid listen address "
		    "%s", sip->config->listen);
		return -1;
	}
	snprintf(url, sizeof url, strchr(host, ':') != NULL ?
	    "sip:[%s]:%d" : "sip:%s:%d", host, port);
	if ((sip->root = su_root_create(sip)) == NULL) {
		snprintf(sip->error, sizeof sip->error, "su_root_create "
		    "failed: %s", strerror(errno));
		return -1;
	}
	if ((error = sip_thread_probe(host, port)) != 0) {
		snprintf(sip->error, sizeof sip->error, "cannot listen on %s "
		    "(UDP and TCP): %s", url, strerror(error));
		return -1;
	}
	if ((sip->mclass = sip_parser_mclass_new()) == NULL) {
		snprintf(sip->error, sizeof sip->error, "out of memory for "
		    "the SIP parser");
		return -1;
	}
	/* NOTE: when nua_create fails, sofia-sip 1.12.11 keeps a reference
	 * to the root's port, so LeakSanitizer reports about 2 kB at exit. */
	if ((sip->nua = sip_thread_nua_create(sip, url)) == NULL) {
		snprintf(sip->error, sizeof sip->error, "cannot listen on %s "
		    "(UDP and TCP): nua_create failed (see the sofia log "
		    "lines at debug level)", url);
		return -1;
	}
	sip->shutdown_timer = su_timer_create(su_root_task(sip->root),
	    SIP_THREAD_SHUTDOWN_MS);
	if (sip->shutdown_timer == NULL) {
		snprintf(sip->error, sizeof sip->error, "su_timer_create "
		    "failed: %s", strerror(errno));
		return -1;
	}
	return sip_thread_tcp_start(sip, host, port);
}

/* Frees what sip_thread_open made, after the root stopped running. */
static void
sip_thread_close(struct sip_thread *sip)
{
	pthread_mutex_lock(&sip->post_lock);
	sip->post_closed = true;
	pthread_mutex_unlock(&sip->post_lock);
	while (sip->legs != NULL)
		sip_thread_leg_free(sip, sip->legs);
	if (sip->nua != NULL)
		nua_destroy(sip->nua);
	sip->nua = NULL;
	if (sip->shutdown_timer != NULL)
		su_timer_destroy(sip->shutdown_timer);
	sip->shutdown_timer = NULL;
	if (sip->tcp_timer != NULL)
		su_timer_destroy(sip->tcp_timer);
	sip->tcp_timer = NULL;
	sip_tcp_free(sip->tcp);
	sip->tcp = NULL;
	if (sip->root != NULL)
		su_root_destroy(sip->root);
	sip->root = NULL;
	/* Last: every message of the class went with nua and the root. */
	sip_parser_mclass_free(sip->mclass);
	sip->mclass = NULL;
}

static void *
sip_thread_main(void *arg)
{
	struct sip_thread *sip = arg;

	su_init();
	su_home_init(sip->home);
	sip_thread_log_setup(sip->config);
	if (sip_thread_open(sip) != 0) {
		sip_thread_close(sip);
		su_home_deinit(sip->home);
		su_deinit();
		sip_thread_set_ready(sip, -1);
		return NULL;
	}
	sip_thread_set_ready(sip, 1);
	su_root_run(sip->root);
	sip_thread_close(sip);
	su_home_deinit(sip->home);
	su_deinit();
	return NULL;
}

static void
sip_thread_free(struct sip_thread *sip)
{
	pthread_mutex_destroy(&sip->post_lock);
	pthread_mutex_destroy(&sip->ready_lock);
	pthread_cond_destroy(&sip->ready_cond);
	free(sip);
}

struct sip_thread *
sip_thread_start(struct ivr *ivr, struct config_error *err)
{
	struct sip_thread *sip = calloc(1, sizeof *sip);
	int ready;

	if (sip == NULL) {
		snprintf(err->message, sizeof err->message, "channels.sip: "
		    "out of memory for the SIP thread");
		return NULL;
	}
	sip->ivr = ivr;
	sip->config = &ivr->config;
	sip_limit_init(&sip->limit, ivr->config.max_calls,
	    ivr->config.invites_per_minute, ivr->config.retry_after_seconds);
	pthread_mutex_init(&sip->post_lock, NULL);
	pthread_mutex_init(&sip->ready_lock, NULL);
	pthread_cond_init(&sip->ready_cond, NULL);
	if (pthread_create(&sip->thread, NULL, sip_thread_main, sip) != 0) {
		snprintf(err->message, sizeof err->message, "channels.sip: "
		    "cannot start the SIP thread: %s", strerror(errno));
		sip_thread_free(sip);
		return NULL;
	}
	pthread_mutex_lock(&sip->ready_lock);
	while (sip->ready == 0)
		pthread_cond_wait(&sip->ready_cond, &sip->ready_lock);
	ready = sip->ready;
	pthread_mutex_unlock(&sip->ready_lock);
	if (ready < 0) {
		pthread_join(sip->thread, NULL);
		snprintf(err->message, sizeof err->message, "channels.sip.listen: "
		    "%s", sip->error);
		sip_thread_free(sip);
		return NULL;
	}
	return sip;
}

void
sip_thread_stop(struct sip_thread *sip)
{
	struct ivr_sip_msg *message;

	if (sip == NULL)
		return;
	message = ivr_msg_new(sizeof *message, IVR_SIP_STOP);
	if (message == NULL || sip_thread_post(sip, message) != 0)
		log_error(SIP_LOG, "cannot post the stop to the SIP thread");
	pthread_join(sip->thread, NULL);
	log_info(SIP_LOG, "stopped");
	sip_thread_free(sip);
}
