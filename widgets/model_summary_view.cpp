#include "widgets/model_summary_view.h"

#include "widgets/chart_theme.h"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QStackedBarSeries>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QValueAxis>

namespace mlpify::widgets {

namespace {
QString branchText(core::BranchMode mode, double lambda)
{
    switch (mode) {
    case core::BranchMode::Active:
        return QObject::tr("active");
    case core::BranchMode::Diluting:
        return QObject::tr("diluting (λ = %1)").arg(lambda, 0, 'g', 3);
    case core::BranchMode::Removed:
        return QObject::tr("removed");
    case core::BranchMode::Skipped:
        return QObject::tr("skipped");
    }
    return {};
}

// The block as a reader names it (units.md), or each branch's state where one is in between.
QString stateText(const core::BlockMode& m)
{
    const auto plain = [](core::BranchMode b) {
        return b == core::BranchMode::Active || b == core::BranchMode::Removed;
    };
    if (plain(m.mode) && plain(m.mlp))
        return m.gone()            ? QObject::tr("gone (x = 4x)")
               : !m.hasAttention() ? QObject::tr("MLP only")
               : !m.hasMlp()       ? QObject::tr("attention only")
                                   : QObject::tr("attention + MLP");
    return QObject::tr("attention %1, MLP %2").arg(branchText(m.mode, m.lambda), branchText(m.mlp, m.mlpLambda));
}
} // namespace

ModelSummaryView::ModelSummaryView(QWidget* parent) : QWidget(parent)
{
    m_title = new QLabel(this);
    QFont f = m_title->font();
    f.setPointSizeF(f.pointSizeF() * 1.5);
    f.setBold(true);
    m_title->setFont(f);
    m_details = new QLabel(this);
    m_details->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_details->setWordWrap(true);

    m_table = new QTableWidget(0, 4, this);
    m_table->setHorizontalHeaderLabels({tr("Block"), tr("State"), tr("Attention params"), tr("MLP params")});
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setStretchLastSection(true);

    m_chart = new QChartView(this);
    m_chart->setRenderHint(QPainter::Antialiasing);
    m_chart->setMinimumWidth(420);

    auto* body = new QHBoxLayout;
    body->addWidget(m_table, 1);
    body->addWidget(m_chart, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_title);
    layout->addWidget(m_details);
    layout->addLayout(body, 1);
    clear(tr("No model loaded"));
}

void ModelSummaryView::clear(const QString& message)
{
    m_title->setText(message);
    m_details->clear();
    m_table->setRowCount(0);
    replaceChart(new QChart);
}

void ModelSummaryView::replaceChart(QChart* chart)
{
    showChart(m_chart, chart);
}

QString ModelSummaryView::headline() const
{
    return m_title->text() + "\n" + m_details->text();
}

void ModelSummaryView::setSummary(const core::ModelSummary& s)
{
    const QLocale loc;
    const auto& c = s.config;
    m_title->setText(QString::fromStdString(s.name));
    QString details = tr("%1 parameters · %2 blocks · width %3, %4 heads · input %5×%6×%6, patch %7 (%8 tokens)")
                          .arg(loc.toString(static_cast<qlonglong>(s.totalParams)))
                          .arg(c.depth)
                          .arg(c.embedDim)
                          .arg(c.numHeads)
                          .arg(c.inChans)
                          .arg(c.imageSize)
                          .arg(c.patchSize)
                          .arg(c.numTokens());
    if (s.testTop1)
        details += tr("\nTop-1 accuracy %1 % on the %2 test split")
                       .arg(100.0 * *s.testTop1, 0, 'f', 2)
                       .arg(QString::fromStdString(s.metricsData));
    else
        details += tr("\nAccuracy not measured yet");
    details += tr("\nFile: %1").arg(QString::fromStdString(s.source));
    m_details->setText(details);

    m_table->setRowCount(static_cast<int>(s.blocks.size()));
    auto* attn = new QBarSet(tr("Attention"));
    auto* mlp = new QBarSet(tr("MLP"));
    QStringList categories;
    int64_t maxParams = 1;
    for (const auto& b : s.blocks) {
        const int row = static_cast<int>(b.index);
        auto number = [&](int64_t v) {
            auto* item = new QTableWidgetItem(loc.toString(static_cast<qlonglong>(v)));
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            return item;
        };
        m_table->setItem(row, 0, new QTableWidgetItem(QString::number(b.index)));
        m_table->setItem(row, 1, new QTableWidgetItem(stateText(b.mode)));
        m_table->setItem(row, 2, number(b.attentionParams));
        m_table->setItem(row, 3, number(b.mlpParams));
        *attn << static_cast<double>(b.attentionParams);
        *mlp << static_cast<double>(b.mlpParams);
        categories << QString::number(b.index);
        maxParams = std::max(maxParams, b.attentionParams + b.mlpParams);
    }

    auto* series = new QStackedBarSeries;
    series->append(attn);
    series->append(mlp);
    auto* chart = new QChart;
    chart->addSeries(series);
    chart->setTitle(tr("Parameters per block"));
    auto* x = new QBarCategoryAxis;
    x->append(categories);
    x->setTitleText(tr("block"));
    auto* y = new QValueAxis;
    y->setRange(0, static_cast<double>(maxParams) * 1.1);
    y->setLabelFormat("%.0f");
    y->applyNiceNumbers();
    y->setTitleText(tr("parameters"));
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(x);
    series->attachAxis(y);
    chart->legend()->setAlignment(Qt::AlignBottom);
    replaceChart(chart);
}

} // namespace mlpify::widgets
