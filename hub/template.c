#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "template.h"
#include "template_internal.h"

#define TEMPLATE_FILE_MAX (1024 * 1024)

static const char *const template_languages[] = { "vi", "en" };

/* The store thread renders acknowledgements and worker jobs may render
 * too, while SIGHUP reloads on the main thread: the lock guards the swap
 * of texts, and a renderer works on its own copy of one text. */
struct templates {
	char *dir;
	pthread_mutex_t lock;
	json_t *texts;		/* "vi/web/form.html" -> template text */
};

static char *
template_read_file(const char *path, char *err, size_t err_size)
{
	FILE *file = fopen(path, "rb");
	char *text;
	long size;

	if (file == NULL) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(file, 0, SEEK_END) != 0 || (size = ftell(file)) < 0 ||
	    size > TEMPLATE_FILE_MAX || fseek(file, 0, SEEK_SET) != 0) {
		snprintf(err, err_size, "%s: unreadable or larger than %d bytes",
		    path, TEMPLATE_FILE_MAX);
		fclose(file);
		return NULL;
	}
	text = malloc((size_t)size + 1);
	if (text == NULL || fread(text, 1, (size_t)size, file) != (size_t)size) {
		snprintf(err, err_size, "%s: read failed", path);
		free(text);
		fclose(file);
		return NULL;
	}
	text[size] = '\0';
	fclose(file);
	return text;
}

/* Checks the syntax of text by rendering it with no variables. */
static int
template_check(const char *text, const char *name, const char *path,
    char *err, size_t err_size)
{
	char *rendered = template_render_text(text, name, NULL);

	if (rendered == NULL) {
		snprintf(err, err_size, "%s: invalid template syntax (an "
		    "unclosed {{ tag, a section without its {{/name}}, or a "
		    "name longer than %d bytes)", path, TEMPLATE_NAME_MAX - 1);
		return -1;
	}
	free(rendered);
	return 0;
}

static int
template_add_file(json_t *texts, const char *path, const char *key,
    char *err, size_t err_size)
{
	const char *name = strchr(key, '/') + 1;
	char *text = template_read_file(path, err, err_size);
	json_t *value;

	if (text == NULL)
		return -1;
	if (template_check(text, name, path, err, err_size) != 0) {
		free(text);
		return -1;
	}
	value = json_string(text);
	free(text);
	if (value == NULL) {
		snprintf(err, err_size, "%s: not valid UTF-8", path);
		return -1;
	}
	json_object_set_new(texts, key, value);	/* steals value */
	return 0;
}

/* Adds every regular file below path; key is the name relative to the
 * template folder ("vi/web/form.html"). */
static int
template_add_dir(json_t *texts, const char *path, const char *key, int depth,
    char *err, size_t err_size)
{
	DIR *dir;
	struct dirent *entry;
	int rc = 0;

	if (depth > TEMPLATE_DEPTH_MAX || (dir = opendir(path)) == NULL) {
		snprintf(err, err_size, "%s: %s", path,
		    depth > TEMPLATE_DEPTH_MAX ? "folders nested too deep" :
		    strerror(errno));
		return -1;
	}
	while (rc == 0 && (entry = readdir(dir)) != NULL) {
		char child[4096], child_key[1024];
		struct stat st;

		if (entry->d_name[0] == '.')
			continue;
		if (snprintf(child, sizeof(child), "%s/%s", path,
		    entry->d_name) >= (int)sizeof(child) ||
		    snprintf(child_key, sizeof(child_key), "%s/%s", key,
		    entry->d_name) >= (int)sizeof(child_key) ||
		    stat(child, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			rc = template_add_dir(texts, child, child_key,
			    depth + 1, err, err_size);
		else if (S_ISREG(st.st_mode))
			rc = template_add_file(texts, child, child_key, err,
			    err_size);
	}
	closedir(dir);
	return rc;
}

static json_t *
template_load_texts(const char *dir, char *err, size_t err_size)
{
	json_t *texts = json_object();

	for (size_t i = 0; i < 2; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", dir, template_languages[i]);
		if (template_add_dir(texts, path, template_languages[i], 0, err,
		    err_size) != 0) {
			json_decref(texts);
			return NULL;
		}
	}
	return texts;
}

struct templates *
templates_load(const char *dir, char *err, size_t err_size)
{
	struct templates *templates = calloc(1, sizeof(*templates));

	if (templates == NULL || (templates->dir = strdup(dir)) == NULL) {
		snprintf(err, err_size, "out of memory");
		free(templates);
		return NULL;
	}
	pthread_mutex_init(&templates->lock, NULL);
	templates->texts = template_load_texts(dir, err, err_size);
	if (templates->texts == NULL) {
		templates_free(templates);
		return NULL;
	}
	log_info("template", "templates loaded dir=%s count=%zu", dir,
	    json_object_size(templates->texts));
	return templates;
}

int
templates_reload(struct templates *templates, char *err, size_t err_size)
{
	json_t *texts = template_load_texts(templates->dir, err, err_size);

	json_t *old;

	if (texts == NULL)
		return -1;
	pthread_mutex_lock(&templates->lock);
	old = templates->texts;
	templates->texts = texts;
	pthread_mutex_unlock(&templates->lock);
	json_decref(old);
	log_info("template", "templates reloaded dir=%s count=%zu",
	    templates->dir, json_object_size(texts));
	return 0;
}

char *
templates_render(const struct templates *templates, const char *language,
    const char *name, const json_t *vars)
{
	char key[1024];
	const json_t *text = NULL;
	char *source = NULL, *rendered;
	struct templates *shared = (struct templates *)templates;

	if (language == NULL || strcmp(language, "en") != 0)
		language = "vi";
	snprintf(key, sizeof(key), "%s/%s", language, name);
	pthread_mutex_lock(&shared->lock);
	text = json_object_get(templates->texts, key);
	if (text == NULL) {
		snprintf(key, sizeof(key), "vi/%s", name);
		text = json_object_get(templates->texts, key);
	}
	if (text != NULL)
		source = strdup(json_string_value(text));
	pthread_mutex_unlock(&shared->lock);
	if (source == NULL) {
		errno = text == NULL ? ENOENT : ENOMEM;
		return NULL;
	}
	rendered = template_render_text(source, name, vars);
	free(source);
	return rendered;
}

void
templates_free(struct templates *templates)
{
	if (templates == NULL)
		return;
	json_decref(templates->texts);
	pthread_mutex_destroy(&templates->lock);
	free(templates->dir);
	free(templates);
}
