/* The channels.sip section: defaults, paths resolved against the config
 * file, and errors that name the key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_suites.h"
#include "ivr.h"
#include "media_net.h"
#include "module.h"

static char check_sip_dir[64];

/* The section parsed by check_sip_parse, kept for the checks. */
static struct ivr_config check_sip_parsed;

static void
check_sip_dir_make(void)
{
	strcpy(check_sip_dir, "/tmp/check-sip-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(check_sip_dir));
}

static void
check_sip_dir_remove(void)
{
	char command[128];

	snprintf(command, sizeof command, "rm -rf %s", check_sip_dir);
	ck_assert_int_eq(system(command), 0);
}

static void
check_sip_write(const char *name, const char *text)
{
	char path[128];
	FILE *file;

	snprintf(path, sizeof path, "%s/%s", check_sip_dir, name);
	file = fopen(path, "w");
	ck_assert_ptr_nonnull(file);
	ck_assert_int_ge(fputs(text, file), 0);
	ck_assert_int_eq(fclose(file), 0);
}

/* Parses section (the JSON text of channels.sip) in a config whose
 * data_dir is the test folder. Returns what ivr_config_parse returns; the
 * result stays in check_sip_parsed until check_sip_done. */
static int
check_sip_parse(const char *section, struct config_error *err)
{
	struct hub_config *config = NULL;
	struct hub_host host = { 0 };
	struct hub_channel channel = { 0 };
	char text[2048], path[128];
	int result;

	snprintf(text, sizeof text, "{\"data_dir\": \"%s/data\", "
	    "\"channels\": {\"sip\": %s}}\n", check_sip_dir, section);
	check_sip_write("hub.json", text);
	snprintf(path, sizeof path, "%s/hub.json", check_sip_dir);
	memset(err, 0, sizeof *err);
	ck_assert_msg(config_load(path, &config, err) == 0, "%s", err->message);
	host.config = config;
	channel.name = "sip";
	channel.host = &host;
	memset(&check_sip_parsed, 0, sizeof check_sip_parsed);
	result = ivr_config_parse(&channel, json_object_get(config->channels,
	    "sip"), &check_sip_parsed, err);
	config_free(config);
	return result;
}

static void
check_sip_done(void)
{
	ivr_config_free(&check_sip_parsed);
	check_sip_dir_remove();
}

/* Asserts that section is rejected with an error naming key. */
static void
check_sip_rejected(const char *section, const char *key)
{
	struct config_error err;

	ck_assert_int_eq(check_sip_parse(section, &err), -1);
	ck_assert_msg(strstr(err.message, key) != NULL,
	    "error for %s does not name %s: %s", section, key, err.message);
	ivr_config_free(&check_sip_parsed);
}

START_TEST(config_defaults)
{
	struct config_error err;
	char path[128];
	struct stat st;

	check_sip_dir_make();
	check_sip_write("resolv.conf", "nameserver 127.0.0.1\n");
	ck_assert_msg(check_sip_parse("{\"listen\": \"127.0.0.1:5070\", "
	    "\"resolv_conf\": \"resolv.conf\", \"menu_file\": \"menu.json\"}",
	    &err) == 0, "%s", err.message);
	ck_assert_str_eq(check_sip_parsed.listen, "127.0.0.1:5070");
	ck_assert_str_eq(check_sip_parsed.domain, "127.0.0.1");
	ck_assert_str_eq(check_sip_parsed.rtp_address, "127.0.0.1");
	ck_assert_int_eq(check_sip_parsed.number_count, 0);
	ck_assert_int_eq(check_sip_parsed.rtp_port_min, 20000);
	ck_assert_int_eq(check_sip_parsed.rtp_port_max, 20999);
	ck_assert_str_eq(check_sip_parsed.user_agent, "Citizen Hub");
	ck_assert_int_eq(check_sip_parsed.max_calls, 100);
	ck_assert_int_eq(check_sip_parsed.retry_after_seconds, 30);
	ck_assert_int_eq(check_sip_parsed.invites_per_minute, 60);
	ck_assert_int_eq(check_sip_parsed.ring_ms, 0);
	ck_assert_int_eq(check_sip_parsed.max_call_seconds, 900);
	ck_assert_int_eq(check_sip_parsed.max_recording_seconds, 120);
	ck_assert_int_eq(check_sip_parsed.media_timeout_seconds, 30);
	ck_assert_int_eq(check_sip_parsed.no_input_seconds, 6);
	ck_assert_int_eq(check_sip_parsed.tcp_idle_seconds, 60);
	ck_assert_int_eq(check_sip_parsed.media_priority, 0);
	ck_assert_int_eq(check_sip_parsed.transfer_timeout_seconds, 20);
	ck_assert_ptr_null(check_sip_parsed.transfer_uri);
	ck_assert_ptr_null(check_sip_parsed.prompts_override_dir);
	ck_assert_ptr_nonnull(check_sip_parsed.prompts_dir);
	ck_assert(!check_sip_parsed.trace);
	snprintf(path, sizeof path, "%s/resolv.conf", check_sip_dir);
	ck_assert_str_eq(check_sip_parsed.resolv_conf, path);
	snprintf(path, sizeof path, "%s/menu.json", check_sip_dir);
	ck_assert_str_eq(check_sip_parsed.menu_file, path);
	snprintf(path, sizeof path, "%s/data/recordings", check_sip_dir);
	ck_assert_str_eq(check_sip_parsed.recordings_dir, path);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	check_sip_done();
}
END_TEST

START_TEST(config_all_keys)
{
	struct config_error err;

	check_sip_dir_make();
	check_sip_write("resolv.conf", "nameserver 127.0.0.1\n");
	ck_assert_msg(check_sip_parse("{\"listen\": \"[::1]:5071\", "
	    "\"domain\": \"hotline.example.org\", \"numbers\": [\"1022\", "
	    "\"+842838221022\"], \"rtp_address\": \"::1\", "
	    "\"rtp_port_min\": 30000, \"rtp_port_max\": 30010, "
	    "\"user_agent\": \"Test UA\", \"resolv_conf\": \"resolv.conf\", "
	    "\"max_calls\": 3, \"retry_after_seconds\": 5, "
	    "\"invites_per_minute\": 0, \"ring_ms\": 2000, "
	    "\"max_call_seconds\": 60, \"max_recording_seconds\": 10, "
	    "\"media_timeout_seconds\": 4, \"no_input_seconds\": 2, "
	    "\"tcp_idle_seconds\": 3, \"media_priority\": 10, "
	    "\"menu_file\": \"/m.json\", \"prompts_dir\": \"p\", "
	    "\"prompts_override_dir\": \"o\", "
	    "\"transfer_uri\": \"sip:desk@127.0.0.1:5090\", "
	    "\"transfer_timeout_seconds\": 7, \"recordings_dir\": \"rec\", "
	    "\"trace\": true, \"media_networks\": [\"10.20.0.0/16\", "
	    "\"2001:db8::/32\", \"192.0.2.7\"]}", &err) == 0, "%s",
	    err.message);
	ck_assert_int_eq(check_sip_parsed.media_network_count, 3);
	ck_assert_uint_eq(check_sip_parsed.media_networks[0].prefix, 16);
	ck_assert_uint_eq(check_sip_parsed.media_networks[2].prefix, 32);
	ck_assert_str_eq(check_sip_parsed.domain, "hotline.example.org");
	ck_assert_int_eq(check_sip_parsed.number_count, 2);
	ck_assert_str_eq(check_sip_parsed.numbers[1], "+842838221022");
	ck_assert_str_eq(check_sip_parsed.rtp_address, "::1");
	ck_assert_int_eq(check_sip_parsed.rtp_port_max, 30010);
	ck_assert_int_eq(check_sip_parsed.max_calls, 3);
	ck_assert_int_eq(check_sip_parsed.invites_per_minute, 0);
	ck_assert_int_eq(check_sip_parsed.ring_ms, 2000);
	ck_assert_str_eq(check_sip_parsed.menu_file, "/m.json");
	ck_assert_str_eq(check_sip_parsed.transfer_uri,
	    "sip:desk@127.0.0.1:5090");
	ck_assert_int_eq(check_sip_parsed.transfer_timeout_seconds, 7);
	ck_assert_int_eq(check_sip_parsed.tcp_idle_seconds, 3);
	ck_assert_int_eq(check_sip_parsed.media_priority, 10);
	ck_assert_ptr_nonnull(strstr(check_sip_parsed.prompts_override_dir,
	    check_sip_dir));
	ck_assert(check_sip_parsed.trace);
	check_sip_done();
}
END_TEST

START_TEST(config_errors_name_key)
{
	check_sip_dir_make();
	check_sip_write("resolv.conf", "nameserver 127.0.0.1\n");
	check_sip_rejected("{}", "channels.sip.listen");
	check_sip_rejected("{\"listen\": \"localhost:5060\", "
	    "\"resolv_conf\": \"resolv.conf\"}", "channels.sip.listen");
	check_sip_rejected("{\"listen\": \"127.0.0.1\", "
	    "\"resolv_conf\": \"resolv.conf\"}", "channels.sip.listen");
	check_sip_rejected("{\"listen\": \"127.0.0.1:70000\", "
	    "\"resolv_conf\": \"resolv.conf\"}", "channels.sip.listen");
	check_sip_rejected("{\"listen\": \"127.0.0.1:5060\", "
	    "\"resolv_conf\": \"resolv.conf\", \"colour\": 1}",
	    "channels.sip.colour");
	check_sip_rejected("{\"listen\": \"127.0.0.1:5060\", "
	    "\"resolv_conf\": \"missing.conf\"}", "channels.sip.resolv_conf");
	check_sip_rejected("{\"listen\": \"127.0.0.1:5060\", "
	    "\"resolv_conf\": \"resolv.conf\", \"rtp_port_min\": 20001}",
	    "channels.sip.rtp_port_min");
	check_sip_rejected("{\"listen\": \"127.0.0.1:5060\", "
	    "\"resolv_conf\": \"resolv.conf\", \"rtp_port_min\": 30000, "
	    "\"rtp_port_max\": 20000}", "channels.sip.rtp_port_max");
	check_sip_rejected("{\"listen\": \"127.0.0.1:5060\", "
	    "\"resolv_conf\": \"resolv.conf\", \"max_calls\": 0}",
	    "channels.sip.max_calls");
	check_sip_rejected("{\"listen\": \"127.0.0.1:5060\", "
	    "\"resolv_conf\": \"resolv.conf\", \"tcp_idle_seconds\": 0}",
	    "channels.sip.tcp_idle_seconds");
	check_sip_rejected("{\"listen\": \"127.0.0.1:5060\", "
	    "\"resolv_conf\": \"resolv.conf\", \"media_priority\": 100}",
	    "channels.sip.media_priority");
	check_sip_rejected("{\"listen\": \"127.0.0.1:5060\", "
	    "\"resolv_conf\": \"resolv.conf\", \"numbers\": [\"10 22\"]}",
	    "channels.sip.numbers");
	check_sip_rejected("{\"listen\": \"127.0.0.1:5060\", "
	    "\"resolv_conf\": \"resolv.conf\", \"numbers\": \"1022\"}",
	    "channels.sip.numbers");
	check_sip_rejected("{\"listen\": \"127.0.0.1:5060\", "
	    "\"resolv_conf\": \"resolv.conf\", \"rtp_address\": \"host\"}",
	    "channels.sip.rtp_address");
	check_sip_rejected("{\"listen\": \"0.0.0.0:5060\", "
	    "\"resolv_conf\": \"resolv.conf\"}", "channels.sip.rtp_address");
	check_sip_rejected("{\"listen\": \"127.0.0.1:5060\", "
	    "\"resolv_conf\": \"resolv.conf\", "
	    "\"transfer_uri\": \"tel:+84912345678\"}",
	    "channels.sip.transfer_uri");
	check_sip_rejected("{\"listen\": \"127.0.0.1:5060\", "
	    "\"resolv_conf\": \"resolv.conf\", "
	    "\"transfer_uri\": \"sip:a b@example.org\"}",
	    "channels.sip.transfer_uri");
	check_sip_rejected("{\"listen\": \"127.0.0.1:5060\", "
	    "\"resolv_conf\": \"resolv.conf\", \"trace\": 1}",
	    "channels.sip.trace");
	check_sip_rejected("{\"listen\": \"127.0.0.1:5060\", "
	    "\"resolv_conf\": \"resolv.conf\", \"ring_ms\": -1}",
	    "channels.sip.ring_ms");
	check_sip_rejected("{\"listen\": \"127.0.0.1:5060\", "
	    "\"resolv_conf\": \"resolv.conf\", "
	    "\"media_networks\": [\"10.20.1.0/16\"]}",
	    "channels.sip.media_networks");
	check_sip_rejected("{\"listen\": \"127.0.0.1:5060\", "
	    "\"resolv_conf\": \"resolv.conf\", "
	    "\"media_networks\": [\"pbx.example.org\"]}",
	    "channels.sip.media_networks");
	check_sip_rejected("{\"listen\": \"127.0.0.1:5060\", "
	    "\"resolv_conf\": \"resolv.conf\", "
	    "\"media_networks\": \"10.20.0.0/16\"}",
	    "channels.sip.media_networks");
	check_sip_dir_remove();
}
END_TEST

START_TEST(config_split_address)
{
	char host[64];
	int port = 0;

	ck_assert_int_eq(ivr_config_split_address("127.0.0.1:5060", host,
	    sizeof host, &port), 0);
	ck_assert_str_eq(host, "127.0.0.1");
	ck_assert_int_eq(port, 5060);
	ck_assert_int_eq(ivr_config_split_address("[::1]:5062", host,
	    sizeof host, &port), 0);
	ck_assert_str_eq(host, "::1");
	ck_assert_int_eq(port, 5062);
	ck_assert_int_eq(ivr_config_split_address("::1:5060", host,
	    sizeof host, &port), -1);
	ck_assert_int_eq(ivr_config_split_address("127.0.0.1:", host,
	    sizeof host, &port), -1);
	ck_assert_int_eq(ivr_config_split_address("127.0.0.1:0", host,
	    sizeof host, &port), -1);
	ck_assert_int_eq(ivr_config_split_address("127.0.0.1:50x", host,
	    sizeof host, &port), -1);
	ck_assert_int_eq(ivr_config_split_address("[::1]5060", host,
	    sizeof host, &port), -1);
	ck_assert_int_eq(ivr_config_split_address("127.0.0.1:5060", host, 4,
	    &port), -1);
}
END_TEST

Suite *
sip_config_suite(void)
{
	Suite *suite = suite_create("sip_config");
	TCase *tc = tcase_create("config");

	tcase_add_test(tc, config_defaults);
	tcase_add_test(tc, config_all_keys);
	tcase_add_test(tc, config_errors_name_key);
	tcase_add_test(tc, config_split_address);
	suite_add_tcase(suite, tc);
	return suite;
}
