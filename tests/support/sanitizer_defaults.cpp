// The sanitized test programs' own defaults (tests/unity.cmake adds this file to each program that
// gets INNSPECT_TEST_SANITIZE), so ctest, a test program run by hand and doctest's test discovery
// at build time all run them alike; ASAN_OPTIONS, LSAN_OPTIONS and UBSAN_OPTIONS still override.
//
// allocator_may_return_null: a size read from a broken file may make libhdf5 ask for petabytes;
// the allocator must return null (as malloc does, and libhdf5 checks) rather than abort.
// leak:libhdf5: libhdf5 1.10's own small leaks on the error paths of broken files are not
// innspect's (the same suppression as the fuzz harnesses', fuzz/lsan.supp).

extern "C" const char* __asan_default_options() { return "detect_leaks=1:allocator_may_return_null=1"; }
extern "C" const char* __lsan_default_suppressions() { return "leak:libhdf5\n"; }
extern "C" const char* __ubsan_default_options() { return "print_stacktrace=1:halt_on_error=1"; }
