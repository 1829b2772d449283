// sanitizer.h: VALK_UNDER_ASAN, 1 when the tests (and so the valk binary they run) are built with
// AddressSanitizer. Resident-memory bounds hold only without it: ASan keeps freed memory resident
// in its quarantine on purpose, so those checks are compiled out there (make test checks them).
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define VALK_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VALK_UNDER_ASAN 1
#endif
#endif
#ifndef VALK_UNDER_ASAN
#define VALK_UNDER_ASAN 0
#endif
