// assistant-cli docs: everything in the document index with its status and language.
#include <cstdio>

#include "cli_common.h"
#include "cli_rag.h"
#include "commands.h"
#include "json/json.h"
#include "rag/store.h"

namespace cli {

int runDocs(std::vector<std::string> argv) {
    const char* cmd = "docs";
    Args args(std::move(argv));
    const auto db = ragDatabasePath(args);
    const auto collection = args.value("--collection");
    const bool json = args.flag("--json");
    if (!args.positional().empty() || !args.error().empty()) return usageError(args, cmd, "takes no arguments");
    if (!db) return 1;
    auto store = rag::Store::open(*db);
    if (!store) return failure(cmd, store.error());
    auto docs = store->listDocuments(collection.value_or(""));
    if (!docs) return failure(cmd, docs.error());
    if (json) {
        json::Value out = json::Array{};
        for (const rag::DocumentRecord& d : *docs) {
            json::Value o;
            o.set("path", d.path);
            o.set("status", d.status);
            o.set("pages", d.pages);
            o.set("chunks", d.chunks);
            o.set("language", d.language);
            o.set("detail", d.error);
            out.push(std::move(o));
        }
        std::printf("%s\n", out.dump().c_str());
        return 0;
    }
    for (const rag::DocumentRecord& d : *docs)
        std::printf("%-10s %-3s %s%s%s\n", d.status.c_str(), d.language.empty() ? "-" : d.language.c_str(),
                    d.path.c_str(), d.error.empty() ? "" : "  ", d.error.c_str());
    return 0;
}

}  // namespace cli
