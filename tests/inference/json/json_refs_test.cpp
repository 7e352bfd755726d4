// Parses the conformance reference files (../shared/conformance/refs/*.json) with
// json::Value and checks known fields. Expected values were read from the files
// with Python's json module.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "json/json.h"
#include "shared_data.h"

namespace {

std::string readAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

json::Value parseFile(const std::string& path) {
    auto v = json::Value::parse(readAll(path));
    EXPECT_TRUE(v.has_value()) << path << ": " << (v ? "" : v.error());
    return v ? *v : json::Value();
}

TEST(JsonRefs, LlamaAKnownFields) {
    const std::string path = testdata::sharedPath("conformance/refs/llama-a.json");
    REQUIRE_SHARED(path);
    const json::Value ref = parseFile(path);
    ASSERT_TRUE(ref.isObject());

    EXPECT_EQ(ref["arch"].asString(), "llama");
    EXPECT_EQ(ref["quant"].asString(), "F32");
    EXPECT_EQ(ref["model_file"].asString(), "models/llama-a.gguf");
    EXPECT_EQ(ref["sha256"].asString(),
              "6a0e60bee21c76494631713e577354704db9dca969ee03ccaa3ecf5259a9f1e1");
    EXPECT_TRUE(ref["source_f32_model"].isNull());
    ASSERT_NE(ref.find("source_f32_model"), nullptr);
    EXPECT_EQ(ref["seed"].asInt(), 101);
    EXPECT_EQ(ref["n_vocab"].asInt(), 512);
    EXPECT_EQ(ref["n_ctx"].asInt(), 256);
    EXPECT_EQ(ref["n_gen"].asInt(), 32);
    EXPECT_EQ(ref["spec"]["n_embd"].asInt(), 256);
    EXPECT_EQ(ref["spec"]["n_head_kv"].asInt(), 2);
    EXPECT_EQ(ref["spec"]["rope_theta"].asNumber(), 10000.0);
    EXPECT_EQ(ref["spec"]["norm_eps"].asNumber(), 1e-05);
    EXPECT_EQ(ref["spec"]["std"].asNumber(), 0.05);
    EXPECT_TRUE(ref["spec"]["tied"].isBool());
    EXPECT_FALSE(ref["spec"]["tied"].asBool());
    EXPECT_EQ(ref["tensor_type_counts"]["F32"].asInt(), 39);
    EXPECT_EQ(ref["tensor_types"].size(), 39u);
    EXPECT_EQ(ref["tensor_types"]["token_embd.weight"].asString(), "F32");

    const json::Array& seqs = ref["sequences"].asArray();
    ASSERT_EQ(seqs.size(), 3u);
    const char* kinds[] = {"text", "random_ids", "text"};
    const int64_t lengths[] = {8, 64, 200};
    for (size_t i = 0; i < seqs.size(); ++i) {
        const json::Value& s = seqs[i];
        EXPECT_EQ(s["kind"].asString(), kinds[i]);
        EXPECT_EQ(s["length"].asInt(), lengths[i]);
        ASSERT_TRUE(s["ids"].isArray());
        ASSERT_TRUE(s["greedy_ids"].isArray());
        EXPECT_EQ(s["ids"].size(), static_cast<size_t>(lengths[i]));
        ASSERT_EQ(s["greedy_ids"].size(), 32u);
        for (const json::Value& id : s["greedy_ids"].asArray()) {
            ASSERT_TRUE(id.isNumber());
            EXPECT_EQ(id.asNumber(), static_cast<double>(id.asInt()));  // integral
            EXPECT_GE(id.asInt(), 0);
            EXPECT_LT(id.asInt(), 512);
        }
    }
    EXPECT_EQ(seqs[0]["ids"][0].asInt(), 1);
    EXPECT_EQ(seqs[0]["ids"][1].asInt(), 403);
    EXPECT_EQ(seqs[0]["greedy_ids"][0].asInt(), 293);
    EXPECT_EQ(seqs[0]["greedy_ids"][1].asInt(), 293);
    EXPECT_EQ(seqs[0]["greedy_ids"][2].asInt(), 12);
    EXPECT_EQ(seqs[0]["greedy_ids"][3].asInt(), 242);
    EXPECT_EQ(seqs[1]["greedy_ids"][0].asInt(), 307);
    EXPECT_EQ(seqs[2]["greedy_ids"][0].asInt(), 432);
}

TEST(JsonRefs, EveryRefFileParsesAndRoundTrips) {
    const std::string dir = testdata::sharedPath("conformance/refs");
    REQUIRE_SHARED(dir);
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == ".json") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    ASSERT_FALSE(files.empty()) << "no .json files in " << dir;

    for (const auto& file : files) {
        SCOPED_TRACE(file.string());
        const json::Value ref = parseFile(file.string());
        ASSERT_TRUE(ref.isObject());
        EXPECT_FALSE(ref["arch"].asString().empty());
        EXPECT_EQ(ref["sha256"].asString().size(), 64u);
        ASSERT_TRUE(ref["sequences"].isArray());
        EXPECT_GT(ref["sequences"].size(), 0u);
        // Causal-LM refs: every sequence has ids of its length and n_gen greedy ids.
        if (ref.find("n_gen")) {
            for (const json::Value& s : ref["sequences"].asArray()) {
                EXPECT_EQ(s["ids"].size(), static_cast<size_t>(s["length"].asInt()));
                EXPECT_EQ(s["greedy_ids"].size(), static_cast<size_t>(ref["n_gen"].asInt()));
            }
        }
        // Serializing and parsing again gives an equal value (compact and pretty).
        for (int indent : {-1, 1, 2}) {
            auto again = json::Value::parse(ref.dump(indent));
            ASSERT_TRUE(again.has_value()) << again.error();
            EXPECT_EQ(*again, ref) << "indent " << indent;
        }
        // A copy is independent of the original.
        json::Value copy = ref;
        copy.set("arch", "changed");
        EXPECT_NE(copy["arch"].asString(), ref["arch"].asString());
    }
}

}  // namespace
