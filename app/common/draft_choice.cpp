#include "draft_choice.h"

namespace app {

bool namesDraftModel(std::string_view choice) {
    return !choice.empty() && choice != "prompt-lookup" && choice != "none";
}

assistant::Result<std::shared_ptr<const assistant::Model>> loadDraftModel(std::string_view choice,
                                                                          const std::string& targetPath,
                                                                          const assistant::Model& target) {
    assistant::ModelParams params;
    params.device = target.info().gpuLayers > 0 ? target.info().device : "cpu";
    std::string path(choice);
    if (choice.starts_with("self:")) {
        params.requantize = std::string(choice.substr(5));
        if (params.requantize.empty())
            return std::unexpected(assistant::Error{assistant::ErrorCode::InvalidArgument,
                                                    "--draft self:TYPE needs a type (self:q4_0, self:tq2_0, ...)"});
        path = targetPath;
    }
    auto draft = assistant::Model::load(path, params);
    if (!draft) return std::unexpected(draft.error());
    if (auto ok = assistant::checkDraftModel(target, **draft); !ok) return std::unexpected(ok.error());
    return *draft;
}

}  // namespace app
