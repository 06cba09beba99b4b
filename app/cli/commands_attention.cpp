// attention: one image's attention map (a block's heads or their mean, or rollout) and the
// per-model attention distance and entropy, as JSON, CSV or a figure.
#include "app/cli/cli_support.h"
#include "app/cli/commands.h"
#include "app/cli/offscreen_qt.h"
#include "app/cli/terminal_progress.h"
#include "app/figures/attention_figure.h"
#include "core/analysis/attention_maps.h"
#include "core/analysis/attention_stats.h"
#include "core/device.h"
#include "core/error.h"
#include "core/io/atomic_file.h"
#include "core/io/model_io.h"

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace mlpify::app {

namespace {
struct Opts {
    std::string model, vs, imageFile, out, json, csv, fusion = "mean", patch, mark, markLabel = "marked blocks",
                                                      size = "900x640";
    DataArgs data;
    int64_t image = 0, block = -1, head = -1, query = 0;
    bool mean = false, rollout = false, distance = false, entropy = false;
    int dpi = 150;
};

std::string extensionOf(const std::string& path)
{
    auto ext = std::filesystem::path(path).extension().string();
    for (auto& ch : ext)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return ext;
}

bool isFigure(const std::string& ext)
{
    return ext == ".png" || ext == ".svg" || ext == ".pdf";
}

QSize sizeOf(const std::string& wxh)
{
    const auto parts = QString::fromStdString(wxh).split('x');
    return {parts.value(0).toInt(), parts.value(1).toInt()};
}

void writeFigure(const QString& failure)
{
    if (!failure.isEmpty())
        throw core::Error(failure.toStdString());
}

// "R,C" -> the patch's token; Error naming --patch otherwise.
int64_t patchQuery(const std::string& text, const core::TokenLayout& layout)
{
    int64_t r = -1, c = -1;
    char comma = 0;
    std::istringstream in(text);
    if (!(in >> r >> comma >> c) || comma != ',' || !in.eof() || r < 0 || c < 0 || r >= layout.grid || c >= layout.grid)
        throw core::Error("--patch " + text, "needs ROW,COL with both in 0.." + std::to_string(layout.grid - 1) +
                                                 " (the model's patch grid is " + std::to_string(layout.grid) + " x " +
                                                 std::to_string(layout.grid) + ")");
    return layout.patchToken(r, c);
}

int runMap(const Opts& o, const GlobalOptions& g)
{
    const auto ext = extensionOf(o.out);
    if (ext != ".json" && ext != ".csv" && !isFigure(ext))
        throw core::Error(o.out, "unknown output format '" + ext + "' (use .png, .svg, .pdf, .json or .csv)");
    core::checkOutputPaths({o.out}, {o.model, o.imageFile});
    auto model = core::loadModel(o.model);
    const auto& cfg = model.meta.config;
    core::Dataset data =
        o.imageFile.empty()
            ? core::loadDataset(o.data.data, o.data.split == "test" ? core::Split::Test : core::Split::Train,
                                core::DataOptions{}.size(cfg.imageSize))
            : core::readImageFile(o.imageFile, cfg.inChans, core::DataOptions{}.size(cfg.imageSize));
    const int64_t index = o.imageFile.empty() ? o.image : 0;
    model.net->to(core::resolveDevice(g.device));
    core::AttentionMapOptions mo;
    mo.block = o.block;
    mo.head = o.mean ? -1 : o.head;
    mo.rollout = o.rollout;
    mo.fusion = core::headFusionFromString(o.fusion);
    const auto layout = core::tokenLayout(cfg);
    mo.query = o.patch.empty() ? o.query : patchQuery(o.patch, layout);
    const auto map = core::attentionMap(model, core::imageInput(model, data, index), mo);
    if (ext == ".json")
        writeText(o.out, nlohmann::json(map).dump(2) + "\n");
    else if (ext == ".csv")
        writeText(o.out, core::attentionMapCsv(map));
    else {
        const auto qt = startOffscreenQt();
        writeFigure(writeAttentionMapFigure(map, displayImage(data, index), QString::fromStdString(o.out),
                                            sizeOf(o.size), o.dpi));
        std::cerr << "wrote " << o.out << "\n";
    }
    size_t best = 0;
    for (size_t i = 1; i < map.patches.size(); ++i)
        if (map.patches[i] > map.patches[best])
            best = i;
    std::cout << (o.imageFile.empty() ? o.data.data + " " + o.data.split + " image " + std::to_string(index)
                                      : o.imageFile)
              << ": " << core::attentionMapTitle(map) << ": " << std::fixed << std::setprecision(1)
              << 100.0 * map.patchShare() << "% on the patches, most on "
              << layout.tokenName(layout.prefix() + static_cast<int64_t>(best)) << " (" << std::setprecision(4)
              << map.patches[best] << ")\n";
    return 0;
}

int runDistance(const Opts& o, const GlobalOptions& g)
{
    const auto ext = extensionOf(o.out);
    if (!o.out.empty() && !isFigure(ext))
        throw core::Error(o.out, "unknown figure format '" + ext +
                                     "' (use .png, .svg or .pdf; --json and --csv "
                                     "write the numbers)");
    core::checkOutputPaths({o.out, o.json, o.csv}, {o.model, o.vs});
    core::AttentionStatsOptions so;
    so.batchSize = o.data.batch;
    so.device = g.device;
    std::vector<core::AttentionStatistics> all;
    std::vector<std::string> specs{o.model};
    if (!o.vs.empty())
        specs.push_back(o.vs);
    std::vector<int64_t> marked;
    for (const auto& spec : specs) {
        auto model = core::loadModel(spec);
        if (all.empty() && !o.mark.empty())
            marked = parseBlocks(o.mark, model.meta.config.depth, "--mark");
        auto images = core::loadCalibrationSet(o.data.data, model.meta.config, o.data.calibration());
        TerminalProgress progress;
        auto s = core::attentionStatistics(model, images, so, progress, &interruptToken());
        progress.finish();
        std::cout << spec << ": mean attention distance (px) and entropy (nats, uniform " << std::fixed
                  << std::setprecision(2) << s.maxEntropy << ") per block over " << s.images << " images:\n";
        for (const auto& b : s.blocks)
            std::cout << "  block " << std::setw(2) << b.block << (b.state == "active" ? "" : " (" + b.state + ")")
                      << ": distance " << std::setprecision(1) << b.meanDistance << " +- " << b.distanceSpread
                      << ", entropy " << std::setprecision(2) << b.meanEntropy << " +- " << b.entropySpread << "\n";
        if (!s.removedBlocks.empty())
            std::cout << "  MLP-only (no attention): " << joinLayers(s.removedBlocks) << "\n";
        all.push_back(std::move(s));
    }
    if (!o.json.empty()) {
        nlohmann::json j = all.front();
        if (all.size() > 1)
            j = {{"kind", "attention_statistics_comparison"}, {"original", all[0]}, {"slimmed", all[1]}};
        writeText(o.json, j.dump(2) + "\n");
    }
    if (!o.csv.empty())
        writeText(o.csv, core::attentionStatisticsCsv(all));
    if (!o.out.empty()) {
        const auto qt = startOffscreenQt();
        writeFigure(writeAttentionStatsFigure(all[0], all.size() > 1 ? &all[1] : nullptr, marked,
                                              QString::fromStdString(o.markLabel), !o.entropy,
                                              QString::fromStdString(o.out), sizeOf(o.size), o.dpi));
        std::cerr << "wrote " << o.out << "\n";
    }
    return 0;
}
} // namespace

void addAttentionCommand(CLI::App& app, const GlobalOptions& g, Runner* runner)
{
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand(
        "attention", "what the attention looks at: one image's map (--block) or every head's attention distance "
                     "and entropy over N images (--distance)");
    cmd->add_option("MODEL", o->model, "model file or 'default'")->required();
    o->data.images = 256;
    o->data.split = "test";
    o->data.add(cmd);
    auto* image = cmd->add_option("--image", o->image, "index of the image in --data's --split")
                      ->capture_default_str()
                      ->check(inRange(0, 1e12));
    auto* file = cmd->add_option("--image-file", o->imageFile, "an image file (JPEG, PNG, ...) instead")
                     ->check(CLI::ExistingFile);
    image->excludes(file);
    auto* block = cmd->add_option("--block", o->block, "the block whose attention is drawn (rollout: up to it)");
    auto* head = cmd->add_option("--head", o->head, "one head")->check(inRange(0, 1e6));
    auto* mean = cmd->add_flag("--mean", o->mean, "the mean over heads (the default)");
    head->excludes(mean);
    auto* rollout = cmd->add_flag("--rollout", o->rollout, "attention rollout from the input up to --block");
    rollout->excludes(head);
    cmd->add_option("--fusion", o->fusion, "rollout's head fusion")
        ->capture_default_str()
        ->check(CLI::IsMember({"mean", "max", "min"}));
    auto* query = cmd->add_option("--query", o->query, "the token whose attention is drawn (0: class token)")
                      ->capture_default_str()
                      ->check(inRange(0, 1e6));
    auto* patch = cmd->add_option("--patch", o->patch, "ROW,COL: a patch's attention instead of a token's");
    patch->excludes(query);
    auto* distance = cmd->add_flag("--distance", o->distance,
                                   "mean attention distance and entropy of every head over --images images");
    distance->excludes(block);
    cmd->add_flag("--entropy", o->entropy, "with --distance and --out: draw the entropy instead of the distance");
    cmd->add_option("--vs", o->vs, "with --distance: a second model (e.g. the slimmed one) on the same images");
    cmd->add_option("--mark", o->mark, "with --distance: blocks to shade in the figure, e.g. NOSE's set 0,1,2");
    cmd->add_option("--mark-label", o->markLabel, "with --mark: what the shaded blocks are, in the legend")
        ->capture_default_str();
    cmd->add_option("--out", o->out, "the map as .png, .svg, .pdf, .json or .csv; with --distance a figure");
    cmd->add_option("--json", o->json, "with --distance: write JSON");
    cmd->add_option("--csv", o->csv, "with --distance: write CSV (model, block, head, distance, entropy ...)");
    cmd->add_option("--size", o->size, "figure size in pixels, WxH")->capture_default_str()->check(figureSize());
    cmd->add_option("--dpi", o->dpi, "figure resolution")->capture_default_str()->check(inRange(10, 2400));
    cmd->callback([o, &g, runner, cmd] {
        if (!o->distance) {
            if (o->block < 0)
                throw CLI::ValidationError("--block", "is needed for a map (or --distance for the statistics)");
            if (o->out.empty())
                throw CLI::ValidationError("--out", "is needed for a map (.png, .svg, .pdf, .json or .csv)");
            for (const char* only : {"--vs", "--mark", "--mark-label", "--json", "--csv", "--entropy"})
                if (cmd->count(only))
                    throw CLI::ValidationError(only, "goes with --distance");
        } else {
            if (o->out.empty() && o->json.empty() && o->csv.empty())
                throw CLI::ValidationError("--distance", "needs --out, --json or --csv to write to");
            for (const char* only : {"--image", "--image-file", "--head", "--mean", "--rollout", "--query", "--patch"})
                if (cmd->count(only))
                    throw CLI::ValidationError(only, "draws one image's map, not with --distance");
        }
        *runner = [o, &g] { return o->distance ? runDistance(*o, g) : runMap(*o, g); };
    });
}

} // namespace mlpify::app
