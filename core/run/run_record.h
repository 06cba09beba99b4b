// What produced a set of results: MLPify's version and commit, the libraries, the machine, every
// seed, the hashes of the model and data files, and the commands that give each number again. A
// figure bundle writes it (record.json and README.md); `mlpify reproduce` checks a project by it.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace mlpify::core {

struct RecordedFile {
    std::string role; // "model", "slimmed model", "data"
    std::string path;
    std::string sha256;
    int64_t bytes = 0;
};

struct RunRecord {
    std::string mlpify, commit;
    std::string libtorch, qt, opencv, blas;
    std::string cpu, device;
    int threads = 0, ranks = 1;
    std::string date;                                // UTC, ISO 8601
    nlohmann::json seeds = nlohmann::json::object(); // where each seed is (a JSON pointer) -> its value
    std::vector<RecordedFile> files;
    nlohmann::json commands = nlohmann::json::object(); // what it is -> the shell command
};

// This build on this machine, now: versions, CPU model, compute threads, device; qt is for the
// caller that links Qt to fill in.
RunRecord currentRecord();

// Adds the file with its size and SHA-256; throws core::Error naming it when it cannot be read.
void recordFile(RunRecord& record, const std::string& role, const std::string& path);
// The files behind a model spec ("default", a file) and a data spec (fashion-mnist, idx:DIR,
// cifar10:DIR, cifar100:DIR: the files of the folder); image folders and presets add none.
void recordModelFiles(RunRecord& record, const std::string& role, const std::string& modelSpec);
void recordDataFiles(RunRecord& record, const std::string& dataSpec);

// Every member named "seed" anywhere in j, by its JSON pointer.
nlohmann::json seedsIn(const nlohmann::json& j);

// Every number of `expected` against the number at the same place in `actual` (members present in
// expected; strings, and members whose name holds "seconds", are not compared: they name or time,
// they do not measure). A number matches when |a - e| <= tolerance * max(1, |e|); NaN matches
// NaN, and a missing place counts as differing.
struct NumberCheck {
    int64_t numbers = 0, differing = 0;
    double maxAbsDifference = 0.0;
    std::string firstDifference; // "/blocks/3/mlp: 4.21 then 4.25"
};
NumberCheck compareNumbers(const nlohmann::json& expected, const nlohmann::json& actual, double tolerance);

void to_json(nlohmann::json& j, const RunRecord& r);
void from_json(const nlohmann::json& j, RunRecord& r);

// The record as Markdown, for a README beside the figures.
std::string recordMarkdown(const RunRecord& r);

} // namespace mlpify::core
