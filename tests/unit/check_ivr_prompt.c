#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_suites.h"
#include "ivr_prompt.h"

/* A prompts folder with vi/ and en/, removed after each test. */
static char check_prompt_dir[64];

static int
check_prompt_remove(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	return remove(path);
}

static void
check_prompt_setup(void)
{
	char path[128];

	snprintf(check_prompt_dir, sizeof(check_prompt_dir),
	    "/tmp/check_ivr_prompt.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(check_prompt_dir));
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", check_prompt_dir,
		    i == 0 ? "vi" : "en");
		ck_assert_int_eq(mkdir(path, 0700), 0);
	}
}

static void
check_prompt_teardown(void)
{
	nftw(check_prompt_dir, check_prompt_remove, 16, FTW_DEPTH | FTW_PHYS);
}

static void
check_prompt_write(const char *relative, const void *bytes, size_t size)
{
	char path[256];
	FILE *file;

	snprintf(path, sizeof(path), "%s/%s", check_prompt_dir, relative);
	file = fopen(path, "wb");
	ck_assert_msg(file != NULL, "cannot create %s", path);
	ck_assert_uint_eq(fwrite(bytes, 1, size, file), size);
	ck_assert_int_eq(fclose(file), 0);
}

static void
check_prompt_mkdir(const char *relative)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", check_prompt_dir, relative);
	ck_assert_int_eq(mkdir(path, 0700), 0);
}

/* A WAV file in memory, built chunk by chunk. */
struct check_wav {
	unsigned char bytes[4096];
	size_t size;
};

static void
check_wav_bytes(struct check_wav *wav, const void *bytes, size_t size)
{
	ck_assert_uint_le(wav->size + size, sizeof(wav->bytes));
	memcpy(wav->bytes + wav->size, bytes, size);
	wav->size += size;
}

static void
check_wav_u16(struct check_wav *wav, unsigned int value)
{
	unsigned char b[2] = { value & 0xff, (value >> 8) & 0xff };

	check_wav_bytes(wav, b, 2);
}

static void
check_wav_u32(struct check_wav *wav, unsigned long value)
{
	check_wav_u16(wav, value & 0xffff);
	check_wav_u16(wav, (value >> 16) & 0xffff);
}

static void
check_wav_start(struct check_wav *wav)
{
	wav->size = 0;
	check_wav_bytes(wav, "RIFF\0\0\0\0WAVE", 12);
}

/* A fmt chunk; extensible wraps code in WAVE_FORMAT_EXTENSIBLE. */
static void
check_wav_format(struct check_wav *wav, unsigned int code,
    unsigned int channels, unsigned long rate, unsigned int bits,
    bool extensible)
{
	unsigned int block = channels * bits / 8;

	check_wav_bytes(wav, "fmt ", 4);
	check_wav_u32(wav, extensible ? 40 : 16);
	check_wav_u16(wav, extensible ? 0xFFFE : code);
	check_wav_u16(wav, channels);
	check_wav_u32(wav, rate);
	check_wav_u32(wav, rate * block);
	check_wav_u16(wav, block);
	check_wav_u16(wav, bits);
	if (!extensible)
		return;
	check_wav_u16(wav, 22);			/* cbSize */
	check_wav_u16(wav, bits);		/* valid bits */
	check_wav_u32(wav, 4);			/* channel mask: centre */
	check_wav_u16(wav, code);		/* SubFormat GUID */
	check_wav_bytes(wav, "\x00\x00\x00\x00\x10\x00\x80\x00\x00\xAA\x00"
	    "\x38\x9B\x71", 14);
}

static void
check_wav_chunk(struct check_wav *wav, const char *id, const void *body,
    size_t size)
{
	check_wav_bytes(wav, id, 4);
	check_wav_u32(wav, size);
	check_wav_bytes(wav, body, size);
	if (size % 2 == 1)
		check_wav_bytes(wav, "", 1);
}

/* Writes the RIFF size and saves the file under the prompts folder. */
static void
check_wav_save(struct check_wav *wav, const char *relative)
{
	unsigned long riff = wav->size - 8;

	wav->bytes[4] = riff & 0xff;
	wav->bytes[5] = (riff >> 8) & 0xff;
	wav->bytes[6] = (riff >> 16) & 0xff;
	wav->bytes[7] = (riff >> 24) & 0xff;
	check_prompt_write(relative, wav->bytes, wav->size);
}

/* A valid PCM prompt of the given samples. */
static void
check_wav_pcm(const char *relative, const int16_t *samples, size_t count)
{
	struct check_wav wav;
	unsigned char data[512];

	ck_assert_uint_le(count * 2, sizeof(data));
	for (size_t i = 0; i < count; i++) {
		data[2 * i] = (uint16_t)samples[i] & 0xff;
		data[2 * i + 1] = ((uint16_t)samples[i] >> 8) & 0xff;
	}
	check_wav_start(&wav);
	check_wav_format(&wav, 1, 1, 8000, 16, false);
	check_wav_chunk(&wav, "data", data, count * 2);
	check_wav_save(&wav, relative);
}

static struct ivr_prompts *
check_prompt_load(const char *override, struct config_error *err)
{
	char path[128];

	if (override == NULL)
		return ivr_prompts_load(check_prompt_dir, NULL, err);
	snprintf(path, sizeof(path), "%s/%s", check_prompt_dir, override);
	return ivr_prompts_load(check_prompt_dir, path, err);
}

/* Loads the folder and asserts that it fails, naming file and sox. */
static void
check_prompt_rejected(const char *file)
{
	struct config_error err = { 0 };
	struct ivr_prompts *prompts = check_prompt_load(NULL, &err);

	ck_assert_msg(prompts == NULL, "%s was accepted", file);
	ck_assert_msg(strstr(err.message, file) != NULL,
	    "error does not name %s: %s", file, err.message);
	ck_assert_msg(strstr(err.message, "sox ") != NULL,
	    "error gives no sox command: %s", err.message);
}

START_TEST(pcm_samples_loaded)
{
	static const int16_t samples[] = { 0, 1, -1, 32767, -32768, 1234 };
	struct config_error err = { 0 };
	struct ivr_prompts *prompts;
	const struct ivr_audio *audio;

	check_wav_pcm("vi/welcome.wav", samples, 6);
	check_wav_pcm("en/welcome.wav", samples, 3);
	prompts = check_prompt_load(NULL, &err);
	ck_assert_msg(prompts != NULL, "load failed: %s", err.message);
	audio = ivr_prompts_get(prompts, "vi", "welcome");
	ck_assert_ptr_nonnull(audio);
	ck_assert_uint_eq(audio->count, 6);
	ck_assert_mem_eq(audio->samples, samples, sizeof(samples));
	audio = ivr_prompts_get(prompts, "en", "welcome");
	ck_assert_ptr_nonnull(audio);
	ck_assert_uint_eq(audio->count, 3);
	ck_assert_ptr_null(ivr_prompts_get(prompts, "fr", "welcome"));
	ck_assert_ptr_null(ivr_prompts_get(prompts, "vi", "goodbye"));
	ck_assert_ptr_null(ivr_prompts_get(prompts, "vi", NULL));
	ivr_prompts_free(prompts);
}
END_TEST

START_TEST(g711_decoded_at_load)
{
	/* G.711 code words and their linear values: mu-law 0xFF and 0x7F
	 * are zero, 0x80 and 0x00 the extremes; A-law 0xD5 and 0x55 are
	 * the smallest steps, 0xAA and 0x2A the extremes. */
	static const unsigned char ulaw[] = { 0xFF, 0x7F, 0x80, 0x00 };
	static const int16_t ulaw_linear[] = { 0, 0, 32124, -32124 };
	static const unsigned char alaw[] = { 0xD5, 0x55, 0xAA, 0x2A };
	static const int16_t alaw_linear[] = { 8, -8, 32256, -32256 };
	struct config_error err = { 0 };
	struct ivr_prompts *prompts;
	const struct ivr_audio *audio;
	struct check_wav wav;

	check_wav_start(&wav);
	check_wav_format(&wav, 7, 1, 8000, 8, false);
	check_wav_chunk(&wav, "data", ulaw, sizeof(ulaw));
	check_wav_save(&wav, "vi/ulaw.wav");
	check_wav_start(&wav);
	check_wav_format(&wav, 6, 1, 8000, 8, true);
	check_wav_chunk(&wav, "data", alaw, sizeof(alaw));
	check_wav_save(&wav, "en/alaw.wav");
	prompts = check_prompt_load(NULL, &err);
	ck_assert_msg(prompts != NULL, "load failed: %s", err.message);
	audio = ivr_prompts_get(prompts, "vi", "ulaw");
	ck_assert_ptr_nonnull(audio);
	ck_assert_uint_eq(audio->count, 4);
	ck_assert_mem_eq(audio->samples, ulaw_linear, sizeof(ulaw_linear));
	audio = ivr_prompts_get(prompts, "en", "alaw");
	ck_assert_ptr_nonnull(audio);
	ck_assert_uint_eq(audio->count, 4);
	ck_assert_mem_eq(audio->samples, alaw_linear, sizeof(alaw_linear));
	ivr_prompts_free(prompts);
}
END_TEST

START_TEST(chunks_in_any_order)
{
	static const unsigned char pcm[] = { 0x10, 0x00, 0xF0, 0xFF };
	static const int16_t linear[] = { 16, -16 };
	struct config_error err = { 0 };
	struct ivr_prompts *prompts;
	const struct ivr_audio *audio;
	struct check_wav wav;

	/* An odd-sized LIST chunk (padded), data before fmt, extensible. */
	check_wav_start(&wav);
	check_wav_chunk(&wav, "LIST", "INFOabc", 7);
	check_wav_chunk(&wav, "data", pcm, sizeof(pcm));
	check_wav_format(&wav, 1, 1, 8000, 16, true);
	check_wav_save(&wav, "vi/ordered.wav");
	prompts = check_prompt_load(NULL, &err);
	ck_assert_msg(prompts != NULL, "load failed: %s", err.message);
	audio = ivr_prompts_get(prompts, "vi", "ordered");
	ck_assert_ptr_nonnull(audio);
	ck_assert_uint_eq(audio->count, 2);
	ck_assert_mem_eq(audio->samples, linear, sizeof(linear));
	ivr_prompts_free(prompts);
}
END_TEST

START_TEST(streamed_data_size_clamped)
{
	static const unsigned char pcm[] = { 1, 0, 2, 0, 3, 0 };
	struct config_error err = { 0 };
	struct ivr_prompts *prompts;
	struct check_wav wav;

	/* A writer that streams to a pipe cannot seek back to fill in the
	 * data size and leaves 0xFFFFFFFF. */
	check_wav_start(&wav);
	check_wav_format(&wav, 1, 1, 8000, 16, false);
	check_wav_bytes(&wav, "data\xFF\xFF\xFF\xFF", 8);
	check_wav_bytes(&wav, pcm, sizeof(pcm));
	check_wav_save(&wav, "vi/streamed.wav");
	prompts = check_prompt_load(NULL, &err);
	ck_assert_msg(prompts != NULL, "load failed: %s", err.message);
	ck_assert_uint_eq(ivr_prompts_get(prompts, "vi", "streamed")->count,
	    3);
	ivr_prompts_free(prompts);
}
END_TEST

static const struct {
	const char *file;
	unsigned int code, channels, bits;
	unsigned long rate;
} check_prompt_bad_formats[] = {
	{ "rate.wav", 1, 1, 16, 22050 },
	{ "stereo.wav", 1, 2, 16, 8000 },
	{ "pcm8.wav", 1, 1, 8, 8000 },
	{ "float.wav", 3, 1, 32, 8000 },
	{ "ulaw16.wav", 7, 1, 16, 8000 },
	{ "adpcm.wav", 2, 1, 4, 8000 },
};

START_TEST(other_formats_rejected)
{
	static const unsigned char data[8] = { 0 };
	const char *file = check_prompt_bad_formats[_i].file;
	struct check_wav wav;
	char relative[64];

	check_wav_start(&wav);
	check_wav_format(&wav, check_prompt_bad_formats[_i].code,
	    check_prompt_bad_formats[_i].channels,
	    check_prompt_bad_formats[_i].rate,
	    check_prompt_bad_formats[_i].bits, false);
	check_wav_chunk(&wav, "data", data, sizeof(data));
	snprintf(relative, sizeof(relative), "en/%s", file);
	check_wav_save(&wav, relative);
	check_prompt_rejected(file);
}
END_TEST

START_TEST(broken_files_rejected)
{
	static const unsigned char data[4] = { 0 };
	struct check_wav wav;

	check_prompt_write("vi/text.wav", "Xin chào", 9);
	check_prompt_rejected("text.wav");
	check_prompt_teardown();
	check_prompt_setup();

	/* fmt chunk longer than the file */
	check_wav_start(&wav);
	check_wav_bytes(&wav, "fmt \x10\x00\x00\x00\x01\x00\x01\x00", 12);
	check_wav_save(&wav, "vi/short.wav");
	check_prompt_rejected("short.wav");
	check_prompt_teardown();
	check_prompt_setup();

	check_wav_start(&wav);
	check_wav_format(&wav, 1, 1, 8000, 16, false);
	check_wav_save(&wav, "vi/nodata.wav");
	check_prompt_rejected("nodata.wav");
	check_prompt_teardown();
	check_prompt_setup();

	check_wav_start(&wav);
	check_wav_chunk(&wav, "data", data, sizeof(data));
	check_wav_save(&wav, "vi/nofmt.wav");
	check_prompt_rejected("nofmt.wav");
	check_prompt_teardown();
	check_prompt_setup();

	check_wav_start(&wav);
	check_wav_format(&wav, 1, 1, 8000, 16, false);
	check_wav_chunk(&wav, "data", data, 0);
	check_wav_save(&wav, "vi/empty.wav");
	check_prompt_rejected("empty.wav");
}
END_TEST

START_TEST(override_replaces_and_adds)
{
	static const int16_t rendered[] = { 1, 2, 3 };
	static const int16_t recorded[] = { 9, 9 };
	struct config_error err = { 0 };
	struct ivr_prompts *prompts;
	const struct ivr_audio *audio;

	check_wav_pcm("vi/welcome.wav", rendered, 3);
	check_wav_pcm("vi/goodbye.wav", rendered, 3);
	check_wav_pcm("en/welcome.wav", rendered, 3);
	/* Overrides for vi only: no en folder there. */
	check_prompt_mkdir("recorded");
	check_prompt_mkdir("recorded/vi");
	check_wav_pcm("recorded/vi/welcome.wav", recorded, 2);
	check_wav_pcm("recorded/vi/hold_music.wav", recorded, 2);
	check_wav_pcm("recorded/vi/aaa.wav", recorded, 2);
	prompts = check_prompt_load("recorded", &err);
	ck_assert_msg(prompts != NULL, "load failed: %s", err.message);

	audio = ivr_prompts_get(prompts, "vi", "welcome");
	ck_assert_ptr_nonnull(audio);
	ck_assert_uint_eq(audio->count, 2);
	ck_assert_int_eq(audio->samples[0], 9);
	ck_assert_uint_eq(ivr_prompts_get(prompts, "en", "welcome")->count, 3);
	ck_assert_uint_eq(ivr_prompts_get(prompts, "vi", "goodbye")->count, 3);
	ck_assert_ptr_nonnull(ivr_prompts_get(prompts, "vi", "hold_music"));
	ck_assert_ptr_nonnull(ivr_prompts_get(prompts, "vi", "aaa"));
	ck_assert_ptr_null(ivr_prompts_get(prompts, "en", "hold_music"));
	ivr_prompts_free(prompts);
}
END_TEST

START_TEST(override_checked_like_rendered)
{
	static const int16_t samples[] = { 1, 2, 3 };
	struct config_error err = { 0 };
	struct check_wav wav;
	static const unsigned char data[4] = { 0 };

	check_wav_pcm("vi/welcome.wav", samples, 3);
	check_prompt_mkdir("recorded");
	check_prompt_mkdir("recorded/en");
	check_wav_start(&wav);
	check_wav_format(&wav, 1, 1, 44100, 16, false);
	check_wav_chunk(&wav, "data", data, sizeof(data));
	check_wav_save(&wav, "recorded/en/welcome.wav");
	ck_assert_ptr_null(check_prompt_load("recorded", &err));
	ck_assert_msg(strstr(err.message, "recorded/en/welcome.wav") != NULL,
	    "error does not name the file: %s", err.message);
	ck_assert_msg(strstr(err.message, "44100 Hz") != NULL,
	    "error does not say what was found: %s", err.message);

	/* A configured override folder that does not exist is an error. */
	ck_assert_ptr_null(check_prompt_load("missing", &err));
	ck_assert_msg(strstr(err.message, "missing") != NULL,
	    "error does not name the folder: %s", err.message);
}
END_TEST

START_TEST(folder_problems_reported)
{
	static const int16_t samples[] = { 1 };
	struct config_error err = { 0 };
	struct ivr_prompts *prompts;
	char path[128];

	/* Other files are skipped; a .wav with another name is an error. */
	check_wav_pcm("vi/welcome.wav", samples, 1);
	check_prompt_write("vi/README", "notes", 5);
	check_prompt_write("vi/.hidden.wav", "x", 1);
	prompts = check_prompt_load(NULL, &err);
	ck_assert_msg(prompts != NULL, "load failed: %s", err.message);
	ivr_prompts_free(prompts);
	check_wav_pcm("vi/Welcome-2.wav", samples, 1);
	ck_assert_ptr_null(check_prompt_load(NULL, &err));
	ck_assert_msg(strstr(err.message, "Welcome-2.wav") != NULL,
	    "error does not name the file: %s", err.message);

	/* A language folder missing from the rendered prompts. */
	check_prompt_teardown();
	check_prompt_setup();
	snprintf(path, sizeof(path), "%s/en", check_prompt_dir);
	ck_assert_int_eq(rmdir(path), 0);
	ck_assert_ptr_null(check_prompt_load(NULL, &err));
	ck_assert_msg(strstr(err.message, path) != NULL,
	    "error does not name %s: %s", path, err.message);

	/* Folders with no prompt at all. */
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_ptr_null(check_prompt_load(NULL, &err));
	ck_assert_msg(strstr(err.message, "no prompts") != NULL,
	    "unexpected error: %s", err.message);
}
END_TEST

/* The names of the IVR's texts that the menu may name. */
static const char *const check_prompt_names[] = {
	"welcome", "for_english", "main_menu", "category_menu",
	"record_intro", "beep", "report_saved", "code_again",
	"report_failed", "enter_code", "code_invalid", "code_unknown",
	"status_intro", "due_intro", "status_new", "status_assigned",
	"status_in_progress", "status_waiting", "status_resolved",
	"status_closed", "status_merged", "no_input", "invalid_choice",
	"transfer", "voicemail", "voicemail_direct", "goodbye", "max_duration",
	"silence_300",
};

static void
check_prompt_rendered_say(const struct ivr_prompts *prompts,
    const char *language, const struct ivr_say *say)
{
	for (size_t i = 0; i < say->count; i++) {
		const struct ivr_audio *audio = ivr_prompts_get(prompts,
		    language, say->names[i]);

		/* Only a failure reaches Check, which is slow per assertion. */
		if (audio == NULL)
			ck_abort_msg("%s/%s.wav not rendered", language,
			    say->names[i]);
		/* A fragment or phrase: 0.1 to 4 seconds. */
		if (audio->count < 800 || audio->count > 32000)
			ck_abort_msg("%s/%s.wav: %zu samples", language,
			    say->names[i], audio->count);
	}
}

/* The build's prompts (make renders them before this test is built). */
START_TEST(rendered_prompts_complete)
{
	static const char *const languages[] = { "vi", "en" };
	struct config_error err = { 0 };
	struct ivr_prompts *prompts = ivr_prompts_load(TEST_PROMPT_DIR, NULL,
	    &err);
	struct ivr_say say;

	ck_assert_msg(prompts != NULL, "%s", err.message);
	for (size_t l = 0; l < 2; l++) {
		for (size_t i = 0; i < sizeof(check_prompt_names) /
		    sizeof(check_prompt_names[0]); i++) {
			const struct ivr_audio *audio = ivr_prompts_get(prompts,
			    languages[l], check_prompt_names[i]);

			ck_assert_msg(audio != NULL, "%s/%s.wav not rendered",
			    languages[l], check_prompt_names[i]);
			ck_assert_msg(audio->count >= 800 &&
			    audio->count <= 8000 * 30, "%s/%s.wav: %zu samples",
			    languages[l], check_prompt_names[i], audio->count);
		}
		for (long n = 0; n <= 9999; n++) {
			say.count = 0;
			if (ivr_say_number(languages[l], n, &say) != 0)
				ck_abort_msg("%s %ld not spoken", languages[l],
				    n);
			check_prompt_rendered_say(prompts, languages[l], &say);
		}
		/* Every day of 2027, from noon UTC+7 on 1 January. */
		for (int day = 0; day < 365; day++) {
			say.count = 0;
			if (ivr_say_date(languages[l], 1798779600000LL +
			    day * 86400000LL, &say) != 0)
				ck_abort_msg("%s day %d not spoken",
				    languages[l], day);
			check_prompt_rendered_say(prompts, languages[l], &say);
		}
		say.count = 0;
		ck_assert_int_eq(ivr_say_code(languages[l], "0123456789",
		    &say), 0);
		ck_assert_int_eq(ivr_say_status(languages[l], "in_progress",
		    &say), 0);
		check_prompt_rendered_say(prompts, languages[l], &say);
	}
	ck_assert_uint_eq(ivr_prompts_get(prompts, "vi", "beep")->count, 3200);
	ck_assert_uint_eq(ivr_prompts_get(prompts, "en",
	    "silence_300")->count, 2400);
	ivr_prompts_free(prompts);
}
END_TEST

Suite *
ivr_prompt_suite(void)
{
	Suite *suite = suite_create("ivr_prompt");
	TCase *files = tcase_create("files");
	TCase *rendered = tcase_create("rendered");
	int formats = (int)(sizeof(check_prompt_bad_formats) /
	    sizeof(check_prompt_bad_formats[0]));

	tcase_add_checked_fixture(files, check_prompt_setup,
	    check_prompt_teardown);
	tcase_add_test(files, pcm_samples_loaded);
	tcase_add_test(files, g711_decoded_at_load);
	tcase_add_test(files, chunks_in_any_order);
	tcase_add_test(files, streamed_data_size_clamped);
	tcase_add_loop_test(files, other_formats_rejected, 0, formats);
	tcase_add_test(files, broken_files_rejected);
	tcase_add_test(files, override_replaces_and_adds);
	tcase_add_test(files, override_checked_like_rendered);
	tcase_add_test(files, folder_problems_reported);
	tcase_add_test(rendered, rendered_prompts_complete);
	suite_add_tcase(suite, files);
	suite_add_tcase(suite, rendered);
	return suite;
}
