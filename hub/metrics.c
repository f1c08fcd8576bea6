#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"

/*
 * Every label set here is bounded by construction: channels are the loaded
 * modules plus "core", routes are the patterns registered with the HTTP
 * server (never raw request paths), statuses are three-digit codes and
 * outcomes a fixed list. METRICS_SERIES_MAX still caps each family so that a
 * bug upstream cannot grow memory without bound; updates past it are dropped.
 */

#define METRICS_SERIES_MAX 4096
#define METRICS_LABEL_MAX 96

static const double metrics_seconds_bounds[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
	2.5,
};
#define METRICS_SECONDS_BUCKETS \
	(sizeof metrics_seconds_bounds / sizeof metrics_seconds_bounds[0])

static const double metrics_batch_bounds[] = {
	1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096,
};
#define METRICS_BATCH_BUCKETS \
	(sizeof metrics_batch_bounds / sizeof metrics_batch_bounds[0])

#define METRICS_BUCKETS_MAX 16

struct metrics_histogram {
	uint64_t counts[METRICS_BUCKETS_MAX];	/* per bucket, not cumulative */
	uint64_t count;
	double sum;
};

/* One series of a family: up to three label values and its numbers. */
struct metrics_series {
	char labels[3][METRICS_LABEL_MAX];
	uint64_t value;
	struct metrics_histogram histogram;
};

struct metrics_family {
	struct metrics_series *series;
	size_t count;
	size_t capacity;
};

struct metrics {
	struct metrics_family http_requests;	/* channel, route, status */
	struct metrics_family http_errors;	/* channel, route */
	struct metrics_family pipeline_messages;	/* channel, outcome */
	struct metrics_family pipeline_seconds;	/* channel */
	struct metrics_family send_messages;	/* channel, outcome */
	int64_t send_queue_depth;
	int64_t send_in_flight;
	struct metrics_histogram commit_batch_size;
	struct metrics_histogram commit_seconds;
	int64_t outbox_depth;
	double start_time;
};

struct metrics *
metrics_new(void)
{
	struct metrics *metrics = calloc(1, sizeof *metrics);
	struct timespec now;

	if (metrics == NULL)
		return NULL;
	clock_gettime(CLOCK_REALTIME, &now);
	metrics->start_time = (double)now.tv_sec + now.tv_nsec / 1e9;
	return metrics;
}

void
metrics_free(struct metrics *metrics)
{
	if (metrics == NULL)
		return;
	free(metrics->http_requests.series);
	free(metrics->http_errors.series);
	free(metrics->pipeline_messages.series);
	free(metrics->pipeline_seconds.series);
	free(metrics->send_messages.series);
	free(metrics);
}

/* The series of family with these label values, created when missing.
 * Returns NULL when the family is full or memory is short. */
static struct metrics_series *
metrics_family_get(struct metrics_family *family, const char *first,
    const char *second, const char *third)
{
	const char *values[3] = { first, second, third };
	struct metrics_series *series;
	size_t i, j;

	for (i = 0; i < family->count; i++) {
		series = &family->series[i];
		for (j = 0; j < 3; j++) {
			if (strncmp(series->labels[j], values[j] ? values[j] : "",
			    METRICS_LABEL_MAX - 1) != 0)
				break;
		}
		if (j == 3)
			return series;
	}

	if (family->count == METRICS_SERIES_MAX)
		return NULL;
	if (family->count == family->capacity) {
		size_t capacity = family->capacity ? family->capacity * 2 : 16;
		series = reallocarray(family->series, capacity, sizeof *series);
		if (series == NULL)
			return NULL;
		family->series = series;
		family->capacity = capacity;
	}

	series = &family->series[family->count++];
	memset(series, 0, sizeof *series);
	for (j = 0; j < 3; j++)
		snprintf(series->labels[j], METRICS_LABEL_MAX, "%s",
		    values[j] ? values[j] : "");
	return series;
}

static void
metrics_histogram_observe(struct metrics_histogram *histogram,
    const double *bounds, size_t bucket_count, double value)
{
	size_t i;

	for (i = 0; i < bucket_count; i++) {
		if (value <= bounds[i])
			break;
	}
	if (i < bucket_count)
		histogram->counts[i]++;
	histogram->count++;
	histogram->sum += value;
}

void
metrics_http_request(struct metrics *metrics, const char *channel,
    const char *route, int status)
{
	struct metrics_series *series;
	char status_text[16];

	snprintf(status_text, sizeof status_text, "%d", status);
	series = metrics_family_get(&metrics->http_requests, channel, route,
	    status_text);
	if (series != NULL)
		series->value++;

	if (status < 400)
		return;
	series = metrics_family_get(&metrics->http_errors, channel, route, NULL);
	if (series != NULL)
		series->value++;
}

void
metrics_pipeline(struct metrics *metrics, const char *channel,
    const char *outcome, double seconds)
{
	struct metrics_series *series;

	series = metrics_family_get(&metrics->pipeline_messages, channel,
	    outcome, NULL);
	if (series != NULL)
		series->value++;

	series = metrics_family_get(&metrics->pipeline_seconds, channel, NULL,
	    NULL);
	if (series != NULL)
		metrics_histogram_observe(&series->histogram,
		    metrics_seconds_bounds, METRICS_SECONDS_BUCKETS, seconds);
}

void
metrics_commit_batch(struct metrics *metrics, int size, double seconds)
{
	metrics_histogram_observe(&metrics->commit_batch_size,
	    metrics_batch_bounds, METRICS_BATCH_BUCKETS, size);
	metrics_histogram_observe(&metrics->commit_seconds,
	    metrics_seconds_bounds, METRICS_SECONDS_BUCKETS, seconds);
}

void
metrics_set_outbox_depth(struct metrics *metrics, int64_t depth)
{
	metrics->outbox_depth = depth;
}

void
metrics_send(struct metrics *metrics, const char *channel,
    const char *outcome)
{
	struct metrics_series *series;

	series = metrics_family_get(&metrics->send_messages, channel, outcome,
	    NULL);
	if (series != NULL)
		series->value++;
}

void
metrics_set_send_queue_depth(struct metrics *metrics, int64_t depth)
{
	metrics->send_queue_depth = depth;
}

void
metrics_set_send_in_flight(struct metrics *metrics, int64_t in_flight)
{
	metrics->send_in_flight = in_flight;
}

/* Writes value as a label value: backslash, double quote and line feed are
 * escaped as the text format 0.0.4 requires. */
static void
metrics_write_label(FILE *out, const char *name, const char *value)
{
	fprintf(out, "%s=\"", name);
	for (; *value != '\0'; value++) {
		if (*value == '\\')
			fputs("\\\\", out);
		else if (*value == '"')
			fputs("\\\"", out);
		else if (*value == '\n')
			fputs("\\n", out);
		else
			fputc(*value, out);
	}
	fputc('"', out);
}

static void
metrics_write_header(FILE *out, const char *name, const char *type,
    const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
metrics_write_labels(FILE *out, const struct metrics_series *series,
    const char *const *label_names, size_t label_count)
{
	for (size_t i = 0; i < label_count; i++) {
		if (i > 0)
			fputc(',', out);
		metrics_write_label(out, label_names[i], series->labels[i]);
	}
}

static void
metrics_write_counters(FILE *out, const char *name, const char *help,
    const struct metrics_family *family, const char *const *label_names,
    size_t label_count)
{
	metrics_write_header(out, name, "counter", help);
	for (size_t i = 0; i < family->count; i++) {
		fprintf(out, "%s{", name);
		metrics_write_labels(out, &family->series[i], label_names,
		    label_count);
		fprintf(out, "} %" PRIu64 "\n", family->series[i].value);
	}
}

/* Writes the buckets (cumulative), sum and count of one histogram series.
 * labels is the rendered label list without braces, "" for none. */
static void
metrics_write_histogram(FILE *out, const char *name, const char *labels,
    const struct metrics_histogram *histogram, const double *bounds,
    size_t bucket_count)
{
	const char *comma = labels[0] != '\0' ? "," : "";
	uint64_t cumulative = 0;

	for (size_t i = 0; i < bucket_count; i++) {
		cumulative += histogram->counts[i];
		fprintf(out, "%s_bucket{%s%sle=\"%g\"} %" PRIu64 "\n", name,
		    labels, comma, bounds[i], cumulative);
	}
	fprintf(out, "%s_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n", name, labels,
	    comma, histogram->count);
	if (labels[0] != '\0') {
		fprintf(out, "%s_sum{%s} %.9g\n", name, labels, histogram->sum);
		fprintf(out, "%s_count{%s} %" PRIu64 "\n", name, labels,
		    histogram->count);
	} else {
		fprintf(out, "%s_sum %.9g\n", name, histogram->sum);
		fprintf(out, "%s_count %" PRIu64 "\n", name, histogram->count);
	}
}

static void
metrics_write_pipeline_seconds(FILE *out, const struct metrics *metrics)
{
	const struct metrics_family *family = &metrics->pipeline_seconds;
	char *labels;
	size_t labels_size;
	FILE *label_out;

	metrics_write_header(out, "hub_pipeline_seconds", "histogram",
	    "Seconds from a message's submission to its answer.");
	for (size_t i = 0; i < family->count; i++) {
		label_out = open_memstream(&labels, &labels_size);
		if (label_out == NULL)
			return;
		metrics_write_label(label_out, "channel",
		    family->series[i].labels[0]);
		if (fclose(label_out) != 0)
			return;
		metrics_write_histogram(out, "hub_pipeline_seconds", labels,
		    &family->series[i].histogram, metrics_seconds_bounds,
		    METRICS_SECONDS_BUCKETS);
		free(labels);
	}
}

/* Resident set size from /proc/self/statm (second field, in pages).
 * Returns -1 when it cannot be read. */
static int64_t
metrics_resident_bytes(void)
{
	unsigned long long size_pages, resident_pages;
	long page_size = sysconf(_SC_PAGESIZE);
	FILE *statm = fopen("/proc/self/statm", "re");
	int fields;

	if (statm == NULL)
		return -1;
	fields = fscanf(statm, "%llu %llu", &size_pages, &resident_pages);
	fclose(statm);
	if (fields != 2 || page_size <= 0)
		return -1;
	return (int64_t)resident_pages * page_size;
}

static void
metrics_write_http(FILE *out, const struct metrics *metrics)
{
	static const char *const request_labels[] = {
		"channel", "route", "status"
	};

	metrics_write_counters(out, "hub_http_requests_total",
	    "HTTP requests answered, by channel, route pattern and status.",
	    &metrics->http_requests, request_labels, 3);
	metrics_write_counters(out, "hub_http_errors_total",
	    "HTTP requests answered with a status of 400 or more.",
	    &metrics->http_errors, request_labels, 2);
}

static void
metrics_write_pipeline(FILE *out, const struct metrics *metrics)
{
	static const char *const message_labels[] = { "channel", "outcome" };

	metrics_write_counters(out, "hub_pipeline_messages_total",
	    "Messages through the pipeline, by channel and outcome.",
	    &metrics->pipeline_messages, message_labels, 2);
	metrics_write_pipeline_seconds(out, metrics);
}

static void
metrics_write_send(FILE *out, const struct metrics *metrics)
{
	static const char *const send_labels[] = { "channel", "outcome" };

	metrics_write_counters(out, "hub_send_messages_total",
	    "Outbound messages by channel and outcome: sent, delivered, "
	    "failed, or retried after a temporary failure.",
	    &metrics->send_messages, send_labels, 2);
	metrics_write_header(out, "hub_send_queue_depth", "gauge",
	    "Outbound messages waiting in the send queue, read at each "
	    "scrape.");
	fprintf(out, "hub_send_queue_depth %" PRId64 "\n",
	    metrics->send_queue_depth);
	metrics_write_header(out, "hub_send_in_flight", "gauge",
	    "Sends waiting for their outcome from the channel or the store.");
	fprintf(out, "hub_send_in_flight %" PRId64 "\n",
	    metrics->send_in_flight);
}

static void
metrics_write_store(FILE *out, const struct metrics *metrics)
{
	metrics_write_header(out, "hub_store_commit_batch_size", "histogram",
	    "Jobs in each committed store transaction.");
	metrics_write_histogram(out, "hub_store_commit_batch_size", "",
	    &metrics->commit_batch_size, metrics_batch_bounds,
	    METRICS_BATCH_BUCKETS);
	metrics_write_header(out, "hub_store_commit_seconds", "histogram",
	    "Seconds each store transaction took to commit.");
	metrics_write_histogram(out, "hub_store_commit_seconds", "",
	    &metrics->commit_seconds, metrics_seconds_bounds,
	    METRICS_SECONDS_BUCKETS);
	metrics_write_header(out, "hub_outbox_depth", "gauge",
	    "Outbox rows not yet delivered, read at each scrape.");
	fprintf(out, "hub_outbox_depth %" PRId64 "\n", metrics->outbox_depth);
}

static void
metrics_write_process(FILE *out, const struct metrics *metrics)
{
	int64_t resident = metrics_resident_bytes();

	if (resident >= 0) {
		metrics_write_header(out, "hub_process_resident_bytes", "gauge",
		    "Resident memory of the daemon in bytes.");
		fprintf(out, "hub_process_resident_bytes %" PRId64 "\n",
		    resident);
	}
	metrics_write_header(out, "hub_start_time_seconds", "gauge",
	    "Start time of the daemon in seconds since the Unix epoch.");
	fprintf(out, "hub_start_time_seconds %.3f\n", metrics->start_time);
}

char *
metrics_render(const struct metrics *metrics)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	if (out == NULL)
		return NULL;
	metrics_write_http(out, metrics);
	metrics_write_pipeline(out, metrics);
	metrics_write_send(out, metrics);
	metrics_write_store(out, metrics);
	metrics_write_process(out, metrics);

	if (ferror(out)) {
		fclose(out);
		free(text);
		return NULL;
	}
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
