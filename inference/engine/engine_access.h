// The way into a Model's internals (Model::Impl) for the engine's own code, tests and
// benchmarks: engine.h keeps Impl opaque and befriends ModelAccess alone. Outside
// inference/ it is reached through the CMake target assistant_engine_internals,
// which only tests and benchmarks link.
#pragma once

#include "assistant/engine.h"
#include "engine/model_impl.h"

namespace assistant {

struct ModelAccess {
    static const Model::Impl& impl(const Model& model) { return *model.m_impl; }
};

inline const Model::Impl& modelImpl(const Model& model) { return ModelAccess::impl(model); }

struct BatcherAccess {
    static Batcher::Impl& impl(Batcher& batcher) { return *batcher.m_impl; }
};

}  // namespace assistant
