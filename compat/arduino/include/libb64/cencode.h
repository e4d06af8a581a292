// libb64's encoder interface, as arduino-esp32 ships it (no line breaks in the output,
// which HTTP headers need), computed by OpenSSL. Each call NUL-terminates its output
// and returns the number of characters written before the NUL.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

// Base64 length of n bytes, padding included (without the NUL).
#define base64_encode_expected_len(n) ((((n) + 2) / 3) * 4)

typedef struct {
  unsigned char pending[2];  // bytes waiting for a third to make a group
  int npending;
} base64_encodestate;

void base64_init_encodestate(base64_encodestate *state_in);
// Encodes what makes whole 3-byte groups, keeps the rest for the next call.
int base64_encode_block(const char *plaintext_in, int length_in, char *code_out,
                        base64_encodestate *state_in);
// Encodes what is kept, with padding.
int base64_encode_blockend(char *code_out, base64_encodestate *state_in);
// All at once: code_out needs base64_encode_expected_len(length_in) + 1 bytes.
int base64_encode_chars(const char *plaintext_in, int length_in, char *code_out);

#ifdef __cplusplus
}
#endif
