#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <uninorm.h>

#include "check_util.h"

char *
check_nfd(const char *text)
{
	size_t length;
	uint8_t *nfd = u8_normalize(UNINORM_NFD, (const uint8_t *)text,
	    strlen(text), NULL, &length);
	char *result;

	ck_assert_ptr_nonnull(nfd);
	result = malloc(length + 1);
	ck_assert_ptr_nonnull(result);
	memcpy(result, nfd, length);
	result[length] = '\0';
	free(nfd);
	return result;
}
