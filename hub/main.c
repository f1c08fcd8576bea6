/*
 * citizenhubd: the Citizen Hub daemon.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon.h"

static void
main_usage(FILE *out)
{
	fprintf(out,
	    "usage: citizenhubd -c FILE [--http ADDR:PORT] [--data-dir DIR] "
	    "[-t] [-v]\n"
	    "  -c, --config FILE     configuration file (JSON)\n"
	    "      --http ADDR:PORT  listen there instead of http.listen\n"
	    "      --data-dir DIR    keep data there instead of data_dir\n"
	    "  -t, --check-config    check the configuration and exit\n"
	    "  -v, --verbose         debug logging; twice: every trace too\n"
	    "  -V, --version         print the version and exit\n"
	    "  -h, --help            print this help and exit\n");
}

int
main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "http", required_argument, NULL, 'H' },
		{ "data-dir", required_argument, NULL, 'D' },
		{ "check-config", no_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon_options options = { 0 };
	int check_only = 0, option;

	while ((option = getopt_long(argc, argv, "c:tvVh", long_options,
	    NULL)) != -1) {
		switch (option) {
		case 'c': options.config_path = optarg; break;
		case 'H': options.http_listen = optarg; break;
		case 'D': options.data_dir = optarg; break;
		case 't': check_only = 1; break;
		case 'v': options.verbose++; break;
		case 'V': printf("citizenhubd %s\n", PACKAGE_VERSION); return 0;
		case 'h': main_usage(stdout); return 0;
		default: main_usage(stderr); return 2;
		}
	}
	if (options.config_path == NULL || optind != argc) {
		fprintf(stderr, "citizenhubd: %s\n", options.config_path == NULL ?
		    "missing -c FILE: name the configuration file" :
		    "unexpected argument after the options");
		main_usage(stderr);
		return 2;
	}
	return check_only ? daemon_check_config(&options) : daemon_run(&options);
}
