// A fixture, never compiled: gguf/ reaching up into arch/, which check_layering
// must refuse (test layering.inverted_include_fails).
#include "arch/arch.h"
