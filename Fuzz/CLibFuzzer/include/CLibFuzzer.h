#ifndef C_LIB_FUZZER_H
#define C_LIB_FUZZER_H

#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer's driver with this process's arguments on `test_one_input`. SwiftPM gives every
/// executable a `main` of its own, so the fuzz targets call the driver rather than libFuzzer's main.
int fsr_run_fuzzer(int argc, char **argv, int (*test_one_input)(const uint8_t *data, size_t size));

#endif
