/*
 * Fuzzes the config file parsers: config_position_line (hub/config.h),
 * the tokenizer that finds a key's line in raw text, and config_load, which
 * parses and checks a whole file. The input's first line is the key path
 * and the rest is the text for config_position_line; config_load reads the
 * whole input from a temporary file.
 */
#include <stdio.h>
#include <unistd.h>

#include "config.h"

#include "fuzz.h"

static char fuzz_config_path[] = "/tmp/citizenhub-fuzz-config-XXXXXX";

int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Removes the temporary file when the fuzzer exits normally. */
static void
fuzz_config_remove(void)
{
	unlink(fuzz_config_path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd = mkstemp(fuzz_config_path);

	if (fd == -1) {
		perror("fuzz_config: mkstemp");
		abort();
	}
	close(fd);
	atexit(fuzz_config_remove);
	return 0;
}

static void
fuzz_config_position(const char *input)
{
	const char *newline = strchr(input, '\n');
	char *path;

	if (newline == NULL) {
		(void)config_position_line(input, "");
		(void)config_position_line("", input);
		return;
	}
	path = strndup(input, (size_t)(newline - input));
	if (path == NULL)
		abort();
	(void)config_position_line(newline + 1, path);
	free(path);
}

static void
fuzz_config_load(const uint8_t *data, size_t size)
{
	FILE *file = fopen(fuzz_config_path, "w");
	struct hub_config *config;
	struct config_error error;

	if (file == NULL || fwrite(data, 1, size, file) != size ||
	    fclose(file) != 0) {
		perror("fuzz_config: cannot write the temporary file");
		abort();
	}
	if (config_load(fuzz_config_path, &config, &error) == 0)
		config_free(config);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *input = fuzz_string(data, size);

	fuzz_config_position(input);
	fuzz_config_load(data, size);
	free(input);
	return 0;
}
