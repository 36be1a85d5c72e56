// Compiles tests/CMakeLists.txt's healthgap_test_pch, the precompiled header the test
// binaries share; nothing of its own.
