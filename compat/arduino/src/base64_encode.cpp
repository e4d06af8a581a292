// libb64's streaming encoder on OpenSSL's EVP_EncodeBlock, which encodes whole groups
// without line breaks; the state carries the 0-2 bytes of an unfinished group.
#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

#include "libb64/cencode.h"

namespace {

// Encodes n bytes (a multiple of 3, or the final group) to out; returns the characters.
int encodeGroups(const unsigned char *in, int n, char *out) {
  unsigned char chunk[64 + 1];  // 48 bytes -> 64 characters and OpenSSL's NUL
  int written = 0;
  while (n > 0) {
    const int take = std::min(n, 48);
    const int len = EVP_EncodeBlock(chunk, in, take);
    std::memcpy(out + written, chunk, static_cast<size_t>(len));
    written += len;
    in += take;
    n -= take;
  }
  return written;
}

}  // namespace

extern "C" {

void base64_init_encodestate(base64_encodestate *state_in) {
  state_in->npending = 0;
}

int base64_encode_block(const char *plaintext_in, int length_in, char *code_out,
                        base64_encodestate *state_in) {
  const auto *in = reinterpret_cast<const unsigned char *>(plaintext_in);
  int written = 0;
  // Complete the kept group first.
  while (state_in->npending > 0 && state_in->npending < 3 && length_in > 0) {
    if (state_in->npending == 2) {
      const unsigned char group[3] = {state_in->pending[0], state_in->pending[1], *in};
      written += encodeGroups(group, 3, code_out);
      state_in->npending = 0;
    } else {
      state_in->pending[state_in->npending++] = *in;
    }
    ++in;
    --length_in;
  }
  if (state_in->npending == 0) {
    const int whole = length_in - length_in % 3;
    written += encodeGroups(in, whole, code_out + written);
    in += whole;
    for (int k = whole; k < length_in; ++k)
      state_in->pending[state_in->npending++] = *in++;
  }
  code_out[written] = 0;
  return written;
}

int base64_encode_blockend(char *code_out, base64_encodestate *state_in) {
  const int written = encodeGroups(state_in->pending, state_in->npending, code_out);
  state_in->npending = 0;
  code_out[written] = 0;
  return written;
}

int base64_encode_chars(const char *plaintext_in, int length_in, char *code_out) {
  base64_encodestate state;
  base64_init_encodestate(&state);
  const int len = base64_encode_block(plaintext_in, length_in, code_out, &state);
  return len + base64_encode_blockend(code_out + len, &state);
}

}  // extern "C"
