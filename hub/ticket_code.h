/*
 * Public ticket codes: ten digits that a citizen can type on a phone keypad,
 * hear from the IVR and receive by SMS.
 *
 * The first nine digits are a keyed permutation of the ticket's counter
 * (a Feistel network over 0..999,999,999 with cycle walking), so that codes
 * are unique without a lookup and reveal neither how many tickets exist nor a
 * neighbour's code. The tenth digit is a Damm check digit, which catches any
 * single wrong digit and any swap of two adjacent digits. Codes are shown
 * grouped 4-4-2 ("3805-1729-61") and accepted with or without separators.
 */
#ifndef HUB_TICKET_CODE_H
#define HUB_TICKET_CODE_H

#include <stdbool.h>
#include <stdint.h>

#define TICKET_CODE_DIGITS 10
#define TICKET_CODE_KEY_BYTES 32
#define TICKET_CODE_COUNTER_MAX 999999999ULL

/* Buffer sizes including the NUL. */
#define TICKET_CODE_PLAIN_SIZE 11	/* "3805172961" */
#define TICKET_CODE_GROUPED_SIZE 13	/* "3805-1729-61" */

/* Damm check digit of the NUL-terminated digit string s. */
int ticket_code_damm(const char *digits);

/* Encodes counter (1..TICKET_CODE_COUNTER_MAX) with key into a plain code.
 * Returns 0, or -1 when counter is out of range. */
int ticket_code_encode(const uint8_t key[TICKET_CODE_KEY_BYTES],
    uint64_t counter, char out[TICKET_CODE_PLAIN_SIZE]);

/* Decodes a valid plain code back to its counter. Returns 0 or -1. */
int ticket_code_decode(const uint8_t key[TICKET_CODE_KEY_BYTES],
    const char *code, uint64_t *counter);

/* Parses what a person typed: ten digits, optionally separated by spaces,
 * dashes or dots. Writes the plain code and returns 0 when the check digit is
 * right, -1 otherwise. */
int ticket_code_parse(const char *input, char out[TICKET_CODE_PLAIN_SIZE]);

/* Formats a plain code as "NNNN-NNNN-NN". */
void ticket_code_group(const char *code, char out[TICKET_CODE_GROUPED_SIZE]);

/* Finds the first valid ticket code inside free text (as written in an SMS or
 * an email: "ma 3805-1729-61", "#3805172961"). Digit runs that are part of a
 * longer number are skipped. Digit groups joined by a single space, dash or
 * dot count as one number, and a number after '+' is a phone number.
 * Returns 0 and the plain code, or -1.
 * NOTE: a phone number written alone as ten digits ("0912345670") passes the
 * check digit one time in ten, so a caller confirms that the code names a
 * ticket the sender may post to. */
int ticket_code_find(const char *text, char out[TICKET_CODE_PLAIN_SIZE]);

#endif
