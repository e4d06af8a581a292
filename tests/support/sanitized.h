// Whether this build runs under AddressSanitizer or ThreadSanitizer: load-heavy tests scale
// themselves down there.
#pragma once

namespace tst {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
}  // namespace tst
