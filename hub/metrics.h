/*
 * Metrics in the Prometheus text format. Updated and rendered on the main
 * thread only, so nothing here is locked.
 */
#ifndef HUB_METRICS_H
#define HUB_METRICS_H

#include <stdint.h>

struct metrics;

struct metrics *metrics_new(void);
void metrics_free(struct metrics *metrics);

/* One HTTP request answered with status, by channel and route pattern. */
void metrics_http_request(struct metrics *metrics, const char *channel,
    const char *route, int status);

/* One message through the pipeline: outcome is "created", "joined",
 * "duplicate", "rejected" or "failed"; seconds from submit to answer. */
void metrics_pipeline(struct metrics *metrics, const char *channel,
    const char *outcome, double seconds);

/* One committed batch of size jobs that took seconds to commit. */
void metrics_commit_batch(struct metrics *metrics, int size, double seconds);

void metrics_set_outbox_depth(struct metrics *metrics, int64_t depth);

/* One stored change of an outbound message through channel: outcome is
 * "sent", "delivered", "failed" or "retried" (queued again after a
 * temporary failure). */
void metrics_send(struct metrics *metrics, const char *channel,
    const char *outcome);

/* Messages waiting in the send queue, read at each scrape. */
void metrics_set_send_queue_depth(struct metrics *metrics, int64_t depth);

/* Sends waiting for their outcome, set by the send queue. */
void metrics_set_send_in_flight(struct metrics *metrics, int64_t in_flight);

/* Renders every metric. Returns a new string; caller frees. */
char *metrics_render(const struct metrics *metrics);

#endif
