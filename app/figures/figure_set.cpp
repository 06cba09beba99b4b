#include "app/figures/figure_set.h"

#include "app/figures/project_plots.h"
#include "core/plot/plot_writers.h"

#include "core/error.h"
#include "core/io/atomic_file.h"
#include "widgets/attention_map_view.h"
#include "widgets/attention_stats_view.h"
#include "widgets/compare_view.h"
#include "widgets/criteria_view.h"
#include "widgets/entropy_chart_view.h"
#include "widgets/front_view.h"
#include "widgets/heatmap_view.h"
#include "widgets/line_chart_view.h"
#include "widgets/print_figure.h"
#include "widgets/spectrum_view.h"
#include "widgets/training_view.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace mlpify::app {

widgets::HeatmapData noseFigureData(const Project& p)
{
    if (!p.selection)
        return {};
    const auto& s = *p.selection;
    auto d = widgets::noseHeatmapData(
        s, QString::fromStdString(s.settings.is_object() ? s.settings.value("units", "") : std::string()));
    if (p.criteria)
        for (const auto& row : p.criteria->rows)
            if (row.method == "nose" && row.stabilityResamples > 0 && row.selected.size() == s.selected.size())
                widgets::setColumnFrequencies(d, row.layerFrequency, row.stabilityResamples);
    return d;
}

void showProject(const Project& p, const ProjectViews& v)
{
    if (p.profile)
        v.entropy->setProfiles(*p.profile, p.slimmedProfile ? &*p.slimmedProfile : nullptr);
    if (p.selection && !p.selection->candidates.empty())
        v.nose->setData(noseFigureData(p));
    if (p.spectrum)
        v.spectrum->setSpectra(*p.spectrum, p.slimmedSpectrum ? &*p.slimmedSpectrum : nullptr);
    v.compare->setModels(p.compare);
    v.front->setPoints(p.front, p.frontChosen);
    if (p.criteria)
        v.criteria->setComparison(*p.criteria);
    else
        v.criteria->clear();
    if (p.attention) {
        v.attentionStats->setStatistics(*p.attention, p.slimmedAttention ? &*p.slimmedAttention : nullptr);
        v.attentionStats->setMarkedBlocks(p.selection ? p.selection->selected : std::vector<int64_t>{},
                                          QCoreApplication::translate("Figures", "NOSE's set"));
    }
    if (p.attentionMap)
        v.attentionMap->setMap(*p.attentionMap, p.attentionImage);
    v.training->clear();
    for (const auto& s : p.curves.steps)
        v.training->addStep(s.step, p.curves.totalSteps, s.loss, s.lambda, s.imagesPerSecond);
    for (const auto& e : p.curves.epochs)
        v.training->addEpoch(e.epoch, e.trainTop1, e.testTop1, e.lambda);
    v.training->setStatus(p.slimmedModel.isEmpty()
                              ? QCoreApplication::translate("Figures", "No training run yet.")
                              : QCoreApplication::translate("Figures", "Folded model: %1").arg(p.slimmedModel));
}

QStringList writeProjectFigures(const Project& p, const QString& dir, const FigureOptions& o)
{
    const QFileInfo target(dir);
    if (target.exists() && !target.isDir())
        throw core::Error(dir.toStdString(), "exists and is not a folder");
    const QString staging =
        QDir(target.absolutePath()).filePath("." + target.fileName() + ".tmp." + QString::number(::getpid()));
    QDir(staging).removeRecursively();
    if (!QDir().mkpath(staging))
        throw core::Error(staging.toStdString(), "cannot create the folder");
    struct Cleanup {
        QString dir;
        ~Cleanup() { QDir(dir).removeRecursively(); }
    } cleanup{staging};

    QStringList names;
    auto writeText = [&](const QString& name, const std::string& text) {
        core::writeBytesAtomically(QDir(staging).filePath(name).toStdString(), text);
        names << name;
    };
    const auto plots = projectPlots(p);
    std::string readme =
        "# Figures of " + p.model.toStdString() + "\n\nEach figure comes as PDF, SVG and PNG (" + o.size.name +
        " size, " + std::to_string(o.size.widthIn).substr(0, 4) + " in wide), as pgfplots " +
        "(`NAME.tex` compiles with `pdflatex NAME.tex`; `NAME.tikz` is the picture alone for " +
        "`\\input`, with `\\usepackage{pgfplots}` and `\\usetikzlibrary{patterns}`), with its numbers in " +
        "`NAME-data.csv` and a matplotlib script `NAME.py` that redraws it from them.\n\n" +
        "| figure | what it shows |\n|---|---|\n";
    for (const auto& plot : plots) {
        const QString stem = QString::fromStdString(plot.name);
        for (const char* ext : {"pdf", "svg", "png"}) {
            const QString name = stem + "." + ext;
            const QString file = QDir(staging).filePath(name);
            QString err = widgets::writePlot(plot, o.size, file, o.dpi);
            if (!err.isEmpty()) // named as the file it was to become
                throw core::Error(err.replace(file, QDir(dir).filePath(name)).toStdString());
            names << name;
        }
        writeText(stem + ".tex", core::pgfplotsDocument(plot, o.size));
        writeText(stem + ".tikz", core::pgfplotsPicture(plot, o.size));
        writeText(stem + "-data.csv", core::plotCsv(plot));
        writeText(stem + ".py", core::matplotlibScript(plot, o.size, plot.name + "-data.csv"));
        readme += "| " + plot.name + " | " + plot.caption + " |\n";
    }
    saveProject(p, QDir(staging).filePath("project-data.json")); // the numbers behind the figures
    names << "project-data.json";
    if (!p.front.empty()) {
        core::writeBytesAtomically(QDir(staging).filePath("front.csv").toStdString(), core::frontCsv(p.front));
        names << "front.csv";
    }
    if (p.criteria) {
        core::writeBytesAtomically(QDir(staging).filePath("criteria.csv").toStdString(),
                                   core::criteriaCsv(*p.criteria));
        names << "criteria.csv";
    }

    if (p.attention) {
        std::vector<core::AttentionStatistics> models{*p.attention};
        if (p.slimmedAttention)
            models.push_back(*p.slimmedAttention);
        core::writeBytesAtomically(QDir(staging).filePath("attention.csv").toStdString(),
                                   core::attentionStatisticsCsv(models));
        names << "attention.csv";
    }
    if (p.attentionMap) {
        core::writeBytesAtomically(QDir(staging).filePath("attention-map.csv").toStdString(),
                                   core::attentionMapCsv(*p.attentionMap));
        names << "attention-map.csv";
    }

    const auto record = projectRecord(p);
    writeText("record.json", nlohmann::json(record).dump(2) + "\n");
    writeText("README.md", readme + "\n" + core::recordMarkdown(record) +
                               "\nCheck the files and the cheap numbers again on another machine: `mlpify reproduce "
                               "FOLDER` (FOLDER: this one).\n");

    if (!QDir().mkpath(dir))
        throw core::Error(dir.toStdString(), "cannot create the folder");
    QStringList written;
    for (const auto& name : names) {
        const QString to = QDir(dir).filePath(name);
        if (::rename(QDir(staging).filePath(name).toLocal8Bit().constData(), to.toLocal8Bit().constData()) != 0)
            throw core::Error(to.toStdString(), "cannot write: " + std::string(std::strerror(errno)));
        written << to;
    }
    return written;
}

} // namespace mlpify::app
