// The three symbols @jazzer.js/fuzzer 4.0.0's prebuilt addon takes from glibc 2.38 and
// GCC 13's libstdc++ (it was built on a newer system than Debian 12, which has glibc 2.36
// and GCC 12). fuzz/engine.ts preloads this library and marks those two symbol versions
// weak in the addon, so the addon loads here; on a newer system none of this is used.
#include <cstdlib>
#include <ios>

// C23's strtol/strtoul (glibc 2.38 redirects to these names under _GNU_SOURCE); they differ
// from the old ones only in accepting "0b" prefixes, which libFuzzer's flag parsing never sees.
extern "C" long __isoc23_strtol(const char *s, char **end, int base) { return std::strtol(s, end, base); }
extern "C" unsigned long __isoc23_strtoul(const char *s, char **end, int base) { return std::strtoul(s, end, base); }

// GCC 13 initialises the standard streams through this call instead of a static
// ios_base::Init in every unit that includes <iostream>; do what GCC 12 units do.
namespace std {
void ios_base_library_init() { static ios_base::Init init; }
}
