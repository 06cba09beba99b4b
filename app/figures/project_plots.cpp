#include "app/figures/project_plots.h"

#include "app/figures/figure_set.h"
#include "core/analysis/attention_map_result.h"
#include "core/model/block_mode.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

namespace mlpify::app {

namespace {

using core::Plot;
using core::PlotSeries;
using core::SeriesKind;

PlotSeries line(std::string name, int style, bool markers = true)
{
    PlotSeries s;
    s.name = std::move(name);
    s.style = style;
    s.markers = markers;
    return s;
}

// One bar of each group of `groups` bars, `index` from the left, the groups 0.8 wide.
PlotSeries bars(std::string name, int index, size_t groups)
{
    PlotSeries s;
    s.name = std::move(name);
    s.kind = SeriesKind::Bars;
    s.style = index;
    s.barWidth = 0.8 / static_cast<double>(std::max<size_t>(groups, 1));
    s.barOffset = index - (static_cast<double>(groups) - 1.0) / 2.0;
    return s;
}

void add(PlotSeries& s, double x, double y)
{
    s.x.push_back(x);
    s.y.push_back(y);
}

// One shaded column per block in blocks, all under one legend name.
void shadeBlocks(Plot& plot, const std::vector<int64_t>& blocks, const std::string& name, int shade)
{
    for (int64_t b : blocks)
        plot.spans.push_back({static_cast<double>(b) - 0.5, static_cast<double>(b) + 0.5, name, shade});
}

std::string removedBy(const Project& p)
{
    return p.selection ? "removed (" + p.selection->method + ")" : std::string();
}

std::vector<int64_t> mlpOnlyBlocks(const core::EntropyProfile& profile)
{
    std::vector<int64_t> out;
    for (const auto& b : profile.blocks)
        if (!b.mode.hasAttention())
            out.push_back(b.block);
    return out;
}

Plot entropyPlot(const Project& p)
{
    Plot plot;
    plot.name = "entropy";
    plot.caption = "Entropy of each block's attention and MLP output";
    plot.x = {"block (0 = input side)", true, {}, {}, {}};
    plot.y.label = "entropy (" + (p.profile->units.empty() ? std::string("bits") : p.profile->units) + ")";
    auto attn = line("attention", 0), mlp = line("MLP", 1);
    for (const auto& b : p.profile->blocks) {
        if (b.attn)
            add(attn, static_cast<double>(b.block), *b.attn);
        if (!std::isnan(b.mlp)) // an attention-only or gone block has no MLP
            add(mlp, static_cast<double>(b.block), b.mlp);
    }
    plot.series = {attn, mlp};
    if (p.slimmedProfile) {
        auto sa = line("attention, slimmed", 2), sm = line("MLP, slimmed", 3);
        for (const auto& b : p.slimmedProfile->blocks) {
            if (b.attn)
                add(sa, static_cast<double>(b.block), *b.attn);
            if (!std::isnan(b.mlp))
                add(sm, static_cast<double>(b.block), b.mlp);
        }
        if (!sa.x.empty())
            plot.series.push_back(sa);
        plot.series.push_back(sm);
        shadeBlocks(plot, mlpOnlyBlocks(*p.slimmedProfile), "MLP-only after folding", 1);
    } else if (p.selection)
        shadeBlocks(plot, p.selection->selected, removedBy(p), 0);
    return plot;
}

std::vector<std::string> labels(const QStringList& l)
{
    std::vector<std::string> out;
    for (const auto& s : l)
        out.push_back(s.toStdString());
    return out;
}

Plot nosePlot(const Project& p)
{
    const auto d = noseFigureData(p);
    Plot plot;
    plot.name = "nose-path";
    plot.caption = d.title.toStdString();
    plot.x.label = d.columnTitle.toStdString();
    plot.y.label = d.rowTitle.toStdString();
    core::PlotHeatmap h;
    h.values = d.values;
    h.rowLabels = labels(d.rowLabels);
    h.columnLabels = labels(d.columnLabels);
    h.valueLabel = d.valueTitle.toStdString();
    h.diverging = d.scaleKind == widgets::ColourScale::Kind::Diverging;
    for (const auto& cell : d.highlighted)
        h.marked.push_back(cell);
    plot.heatmap = h;
    return plot;
}

std::vector<Plot> trainingPlots(const Project& p)
{
    std::vector<Plot> out;
    const auto& c = p.curves;
    if (!c.steps.empty()) {
        Plot loss, lambda;
        loss.name = "training-loss";
        loss.caption = "Training loss at every step of the dilution run";
        lambda.name = "training-lambda";
        lambda.caption = "The dilution weight lambda at every step";
        loss.x = lambda.x = {"step", true, {}, {}, {}};
        loss.y.label = "loss";
        lambda.y = {"dilution \xCE\xBB", false, 0.0, 1.0, {}};
        auto l = line("", 0, false), lam = line("", 1, false);
        for (const auto& s : c.steps) {
            add(l, static_cast<double>(s.step), s.loss);
            add(lam, static_cast<double>(s.step), s.lambda);
        }
        loss.series = {l};
        lambda.series = {lam};
        out.push_back(loss);
        out.push_back(lambda);
    }
    if (!c.epochs.empty()) {
        Plot acc;
        acc.name = "training-accuracy";
        acc.caption = "Top-1 after every epoch (test at that epoch's lambda)";
        acc.x = {"epoch", true, {}, {}, {}};
        acc.y.label = "top-1 (%)";
        auto test = line("test", 0), train = line("train", 1);
        for (const auto& e : c.epochs) {
            if (e.testTop1 >= 0)
                add(test, static_cast<double>(e.epoch), 100.0 * e.testTop1);
            add(train, static_cast<double>(e.epoch), 100.0 * e.trainTop1);
        }
        if (!test.x.empty())
            acc.series.push_back(test);
        acc.series.push_back(train);
        out.push_back(acc);
    }
    return out;
}

// Up to six blocks spread over the depth, the same ones for the original and the slimmed model.
std::vector<size_t> spectrumBlocks(size_t n)
{
    std::vector<size_t> out;
    const size_t k = std::min<size_t>(n, core::kSeriesStyles);
    for (size_t i = 0; i < k; ++i) {
        const size_t b = k == 1 ? 0 : (i * (n - 1) + (k - 1) / 2) / (k - 1);
        if (out.empty() || out.back() != b)
            out.push_back(b);
    }
    return out;
}

Plot spectrumPlot(const core::SpectrumResult& s, const std::vector<size_t>& shown, const std::string& name,
                  const std::string& whose)
{
    Plot plot;
    plot.name = name;
    plot.caption = "Relative log amplitude of " + whose + " block outputs over frequency";
    plot.x.label = "normalised frequency (1 = \xCF\x80)";
    plot.y.label = "\xCE\x94 log amplitude";
    int style = 0;
    for (size_t i : shown) {
        if (i >= s.blocks.size())
            continue;
        const auto& b = s.blocks[i];
        auto l = line("block " + std::to_string(b.block), style++, false);
        for (size_t k = 0; k < b.radius.size() && k < b.dlogA.size(); ++k)
            add(l, b.radius[k], b.dlogA[k]);
        plot.series.push_back(l);
    }
    return plot;
}

Plot comparePlot(const Project& p)
{
    Plot plot;
    plot.name = "compare";
    plot.caption = "Each model relative to the original (1 = unchanged)";
    plot.x.label = "quantity";
    plot.y.label = "ratio to the original";
    plot.x.categories = {"test top-1", "parameters", "GFLOPs / image", "images / s", "memory"};
    const auto& models = p.compare;
    for (size_t m = 0; m < models.size(); ++m) {
        const auto r = core::ratios(models[0], models[m]);
        auto s = bars(models[m].name, static_cast<int>(m), models.size());
        const double values[] = {r.top1, r.parameters, r.gflopsPerImage, r.imagesPerSecond, r.runMemoryMiB};
        for (size_t q = 0; q < 5; ++q)
            add(s, static_cast<double>(q), values[q] > 0 && std::isfinite(values[q]) ? values[q] : std::nan(""));
        plot.series.push_back(s);
    }
    plot.references.push_back({1.0, ""});
    return plot;
}

Plot frontPlot(const Project& p)
{
    Plot plot;
    plot.name = "front";
    plot.caption = "Test top-1 against throughput; ToMe r rises along each model's points";
    plot.x.label = "throughput (images / s)";
    plot.y.label = "test top-1 (%)";
    std::map<std::string, size_t> byLabel;
    for (const auto& pt : p.front) {
        if (!byLabel.count(pt.label)) {
            byLabel[pt.label] = plot.series.size();
            PlotSeries s = line(pt.label, static_cast<int>(plot.series.size()));
            s.kind = SeriesKind::Points;
            plot.series.push_back(s);
        }
        add(plot.series[byLabel[pt.label]], pt.imagesPerSecond, 100.0 * pt.top1);
    }
    auto front = line("Pareto front", 4, false);
    auto idx = core::paretoFront(p.front);
    std::sort(idx.begin(), idx.end(),
              [&](size_t a, size_t b) { return p.front[a].imagesPerSecond < p.front[b].imagesPerSecond; });
    for (size_t i : idx)
        add(front, p.front[i].imagesPerSecond, 100.0 * p.front[i].top1);
    plot.series.push_back(front);
    return plot;
}

std::vector<Plot> criteriaPlots(const core::CriteriaComparison& c)
{
    Plot top1, te;
    top1.name = "criteria";
    top1.caption = "Training-free top-1 of each criterion's set, and after dilution where run";
    te.name = "criteria-te";
    te.caption = "Transfer entropy of each criterion's set to the head, with its 95% bootstrap interval";
    const bool pools = !c.budget.empty();
    if (pools) {
        top1.caption = "Training-free top-1 of each pool's set (" + c.budget + "), and after dilution where run";
        te.caption =
            "Transfer entropy to the head of each pool's set (" + c.budget + "), with its 95% bootstrap interval";
    }
    const auto key = core::criteriaLabelKey(c); // "" unless pools and methods are crossed
    if (!key.empty()) {
        top1.caption += " (" + key + ")";
        te.caption += " (" + key + ")";
    }
    top1.x = te.x = {pools ? "candidate pool" : "criterion", false, {}, {}, core::criteriaLabels(c, /*brief=*/true)};
    top1.y.label = "top-1 (%)";
    // Crossed pools and methods: twenty vertical names leave the axis too short for the long label.
    te.y.label = std::string(key.empty() ? "transfer entropy" : "TE") + " to the head (" +
                 (c.units.empty() ? std::string("bits") : c.units) + ")";
    const bool diluted =
        std::any_of(c.rows.begin(), c.rows.end(), [](const auto& r) { return r.dilutedTop1.has_value(); });
    const int groups = diluted ? 3 : 2;
    const char* names[] = {"x = x", "x = 2x", "after dilution"};
    for (int g = 0; g < groups; ++g) {
        auto s = bars(names[g], g, static_cast<size_t>(groups));
        for (size_t i = 0; i < c.rows.size(); ++i) {
            const auto& r = c.rows[i];
            const double v = g == 0 ? r.skipTop1 : g == 1 ? r.doubleTop1 : r.dilutedTop1.value_or(std::nan(""));
            add(s, static_cast<double>(i), 100.0 * v); // NaN: not measured, no bar
        }
        top1.series.push_back(s);
    }
    PlotSeries points;
    points.kind = SeriesKind::Points;
    for (size_t i = 0; i < c.rows.size(); ++i) {
        add(points, static_cast<double>(i), c.rows[i].transferEntropy);
        points.low.push_back(c.rows[i].teLow);
        points.high.push_back(c.rows[i].teHigh);
    }
    te.series = {points};
    return {top1, te};
}

Plot attentionPlot(const Project& p, bool distance)
{
    Plot plot;
    plot.name = distance ? "attention-distance" : "attention-entropy";
    plot.caption = distance ? "Mean attention distance of every head, and its mean over heads"
                            : "Entropy of the attention rows of every head, and its mean over heads";
    plot.x = {"block", true, {}, {}, {}};
    plot.y.label = distance ? "mean attention distance (pixels)" : "attention entropy (nats)";
    auto addModel = [&](const core::AttentionStatistics& a, const std::string& who, int style) {
        auto mean = line(who.empty() ? "mean over heads" : who + ", mean over heads", style);
        PlotSeries heads = line(who.empty() ? "heads" : who + ", heads", style + 2);
        heads.kind = SeriesKind::Points;
        for (const auto& b : a.blocks) {
            const auto& h = distance ? b.distance : b.entropy;
            for (double v : h.mean)
                add(heads, static_cast<double>(b.block), v);
            add(mean, static_cast<double>(b.block), distance ? b.meanDistance : b.meanEntropy);
        }
        plot.series.push_back(heads);
        plot.series.push_back(mean);
    };
    addModel(*p.attention, p.slimmedAttention ? "original" : "", 0);
    if (p.slimmedAttention)
        addModel(*p.slimmedAttention, "slimmed", 1);
    if (p.selection)
        shadeBlocks(plot, p.selection->selected, "NOSE's set", 0);
    plot.references.push_back({distance ? p.attention->uniformDistance : p.attention->maxEntropy,
                               distance ? "uniform over the patches" : "uniform over every token"});
    return plot;
}

Plot attentionMapPlot(const core::AttentionMap& m)
{
    Plot plot;
    plot.name = "attention-map";
    plot.caption = core::attentionMapTitle(m);
    plot.x.label = "patch column";
    plot.y.label = "patch row";
    core::PlotHeatmap h;
    const auto g = static_cast<size_t>(m.layout.grid);
    for (size_t r = 0; r < g; ++r) {
        h.rowLabels.push_back(std::to_string(r));
        h.columnLabels.push_back(std::to_string(r));
        h.values.emplace_back(m.patches.begin() + static_cast<std::ptrdiff_t>(r * g),
                              m.patches.begin() + static_cast<std::ptrdiff_t>((r + 1) * g));
    }
    h.valueLabel = "attention";
    plot.heatmap = h;
    return plot;
}

} // namespace

std::vector<core::Plot> projectPlots(const Project& p)
{
    std::vector<Plot> out;
    if (p.profile)
        out.push_back(entropyPlot(p));
    if (p.selection && !p.selection->candidates.empty())
        out.push_back(nosePlot(p));
    for (auto& t : trainingPlots(p))
        out.push_back(std::move(t));
    if (p.spectrum) {
        const auto shown = spectrumBlocks(p.spectrum->blocks.size());
        out.push_back(spectrumPlot(*p.spectrum, shown, "spectrum", "the original model's"));
        if (p.slimmedSpectrum)
            out.push_back(spectrumPlot(*p.slimmedSpectrum, shown, "spectrum-slimmed", "the slimmed model's"));
    }
    if (!p.compare.empty())
        out.push_back(comparePlot(p));
    if (!p.front.empty())
        out.push_back(frontPlot(p));
    if (p.criteria)
        for (auto& c : criteriaPlots(*p.criteria))
            out.push_back(std::move(c));
    if (p.attention) {
        out.push_back(attentionPlot(p, true));
        out.push_back(attentionPlot(p, false));
    }
    if (p.attentionMap && p.attentionMap->layout.grid > 0)
        out.push_back(attentionMapPlot(*p.attentionMap));
    return out;
}

} // namespace mlpify::app
