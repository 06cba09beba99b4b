#include "widgets/criteria_view.h"

#include "widgets/chart_theme.h"

#include "core/analysis/selection_methods.h"
#include "core/analysis/unit_names.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QPen>
#include <QPushButton>
#include <QScatterSeries>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <map>

namespace mlpify::widgets {

namespace {
QString setText(const core::CriterionRow& r)
{
    QStringList parts;
    if (!r.pool.empty()) {
        for (const auto& u : r.unitNames)
            parts << QString::fromStdString(u);
        return r.note.empty() ? parts.join(", ") : QString::fromStdString("none: " + r.note);
    }
    for (auto b : r.selected)
        parts << QString::number(b);
    return "{" + parts.join(", ") + "}";
}
// The chart's category labels: short enough for ten side by side.
QString shortName(const std::string& method)
{
    for (const auto& m : core::selectionMethodTable())
        if (m.name == method)
            return QString::fromStdString(m.shortLabel);
    return QString::fromStdString(method); // a comparison from a newer file
}
QString percent(double v)
{
    return std::isfinite(v) ? QStringLiteral("%1%").arg(100.0 * v, 0, 'f', 2) : QStringLiteral("–");
}
} // namespace

CriteriaView::CriteriaView(QWidget* parent) : QWidget(parent)
{
    m_run = new QPushButton(tr("Compare &Criteria"), this);
    m_run->setToolTip(tr("Run every criterion for the Slim tab's ratio on the analysis's calibration images, on the "
                         "worker; training-free top-1 on the test split"));
    m_stability = new QSpinBox(this);
    m_stability->setRange(0, 1000);
    m_stability->setSpecialValueText(tr("none"));
    m_stability->setToolTip(tr("Run each criterion again on this many bootstrap resamples of the calibration images: "
                               "how often it chooses the same set (costs that many selections)"));
    m_testLimit = new QSpinBox(this);
    m_testLimit->setRange(0, 10'000'000);
    m_testLimit->setSingleStep(1000);
    m_testLimit->setSpecialValueText(tr("all"));
    m_testLimit->setToolTip(tr("The first N test images for the training-free top-1 (all: the whole test split)"));
    m_compare = new QComboBox(this);
    m_compare->setObjectName("compare");
    m_compare->addItem(tr("attention criteria"), QString());
    m_compare->addItem(tr("pools, equal parameters"), QStringLiteral("params"));
    m_compare->addItem(tr("pools, equal FLOPs"), QStringLiteral("flops"));
    m_compare->setToolTip(
        tr("Attention criteria: every criterion's set of the Slim tab's ratio of the attention "
           "layers. Pools: the attention, MLP, block and mixed pools, each given the Slim tab's ratio "
           "of the model's parameters (or FLOPs) to remove"));
    m_poolMethod = new QComboBox(this);
    m_poolMethod->setObjectName("poolMethod");
    for (const auto& m : core::unitMethodNames())
        m_poolMethod->addItem(QString::fromStdString(m), QString::fromStdString(m));
    m_poolMethod->addItem(tr("every method"), QStringLiteral("all"));
    m_poolMethod->setToolTip(tr("How each pool's units are ranked (resources/docs/units.md)"));
    m_poolMethod->setEnabled(false);
    connect(m_compare, &QComboBox::currentIndexChanged, this, [this] {
        m_poolMethod->setEnabled(!budgetKind().isEmpty());
        m_stability->setEnabled(budgetKind().isEmpty()); // stability is measured for the attention criteria
    });
    m_status = new QLabel(tr("No comparison yet."), this);
    m_status->setWordWrap(true);
    auto* controls = new QHBoxLayout;
    controls->addWidget(m_run);
    auto* compareLabel = new QLabel(tr("Co&mpare"), this);
    compareLabel->setBuddy(m_compare);
    controls->addWidget(compareLabel);
    controls->addWidget(m_compare);
    auto* methodLabel = new QLabel(tr("Ran&ked by"), this);
    methodLabel->setBuddy(m_poolMethod);
    controls->addWidget(methodLabel);
    controls->addWidget(m_poolMethod);
    auto* label = new QLabel(tr("Stability &resamples"), this);
    label->setBuddy(m_stability);
    controls->addWidget(label);
    controls->addWidget(m_stability);
    auto* testLabel = new QLabel(tr("&Test images"), this);
    testLabel->setBuddy(m_testLimit);
    controls->addWidget(testLabel);
    controls->addWidget(m_testLimit);
    controls->addWidget(m_status, 1);
    m_chart = new QChartView(new QChart, this);
    m_chart->setRenderHint(QPainter::Antialiasing);
    followPalette(m_chart);
    m_table = new QTableWidget(this);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->setVisible(false);
    m_table->setMaximumHeight(260);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(controls);
    layout->addWidget(m_chart, 1);
    layout->addWidget(m_table);
    connect(m_run, &QPushButton::clicked, this,
            [this] { Q_EMIT compareRequested(m_stability->value(), m_testLimit->value()); });
    clear();
}

int CriteriaView::stabilityResamples() const
{
    return m_stability->value();
}

int CriteriaView::testLimit() const
{
    return m_testLimit->value();
}

void CriteriaView::setTestLimit(int images)
{
    m_testLimit->setValue(images);
}

QString CriteriaView::budgetKind() const
{
    return m_compare->currentData().toString();
}

void CriteriaView::setBudgetKind(const QString& kind)
{
    m_compare->setCurrentIndex(std::max(0, m_compare->findData(kind)));
}

QString CriteriaView::poolMethod() const
{
    return m_poolMethod->currentData().toString();
}

void CriteriaView::setPoolMethod(const QString& method)
{
    m_poolMethod->setCurrentIndex(std::max(0, m_poolMethod->findData(method)));
}

void CriteriaView::setRunning(bool running)
{
    m_run->setEnabled(!running);
    if (running)
        m_status->setText(tr("Comparing the criteria on the worker…"));
}

void CriteriaView::clear()
{
    setComparison({});
    m_status->setText(tr("No comparison yet: Compare Criteria runs every criterion for the Slim tab's ratio."));
}

void CriteriaView::setComparison(const core::CriteriaComparison& c)
{
    const bool pools = !c.budget.empty();
    const auto labels = core::criteriaLabels(c), brief = core::criteriaLabels(c, /*brief=*/true);
    if (pools && c.settings.is_object()) { // the menus say what the shown comparison is
        const auto budget = c.settings.value("budget", nlohmann::json::object());
        const auto positive = [&](const char* k) { return budget.is_object() && budget.value(k, 0.0) > 0; };
        if (positive("params"))
            setBudgetKind(QStringLiteral("params"));
        else if (positive("flops"))
            setBudgetKind(QStringLiteral("flops"));
        const auto methods = c.settings.value("methods", nlohmann::json::array());
        if (methods.size() == 1 && methods.front().is_string())
            setPoolMethod(QString::fromStdString(methods.front().get<std::string>()));
        else if (methods.size() > 1)
            setPoolMethod(QStringLiteral("all"));
    }
    QStringList headers{pools ? tr("pool") : tr("method"),
                        pools ? tr("units (in order chosen)") : tr("set (in order chosen)"),
                        tr("TE to the head (%1)").arg(QString::fromStdString(c.units.empty() ? "bits" : c.units)),
                        tr("95% interval"),
                        tr("top-1 x = x"),
                        tr("top-1 x = 2x"),
                        tr("set chosen in"),
                        tr("top-1 after dilution"),
                        tr("selection (s)")};
    if (pools)
        headers << tr("parameters removed") << tr("FLOPs removed per image");
    m_table->clear();
    m_table->setColumnCount(static_cast<int>(headers.size()));
    m_table->setHorizontalHeaderLabels(headers);
    m_table->setRowCount(static_cast<int>(c.rows.size()));
    for (int i = 0; i < static_cast<int>(c.rows.size()); ++i) {
        const auto& r = c.rows[static_cast<size_t>(i)];
        QStringList cells{QString::fromStdString(labels[static_cast<size_t>(i)]),
                          setText(r),
                          QString::number(r.transferEntropy, 'f', 3),
                          std::isfinite(r.teLow)
                              ? QStringLiteral("%1 to %2").arg(r.teLow, 0, 'f', 3).arg(r.teHigh, 0, 'f', 3)
                              : QStringLiteral("–"),
                          percent(r.skipTop1),
                          percent(r.doubleTop1),
                          r.stabilityResamples > 0
                              ? tr("%1% of %2").arg(100.0 * r.chosenSetShare, 0, 'f', 0).arg(r.stabilityResamples)
                              : QStringLiteral("–"),
                          r.dilutedTop1 ? percent(*r.dilutedTop1) : QStringLiteral("–"),
                          QString::number(r.seconds, 'f', 1)};
        if (pools)
            cells << (r.note.empty() ? QString::number(r.paramsRemoved) : QStringLiteral("–"))
                  << (r.note.empty() ? QString::number(r.flopsRemoved, 'g', 4) : QStringLiteral("–"));
        for (int k = 0; k < cells.size(); ++k) {
            auto* item = new QTableWidgetItem(cells[k]);
            if (k == 7 && r.dilutedTop1)
                item->setToolTip(QString::fromStdString(r.dilutedModel));
            m_table->setItem(i, k, item);
        }
    }
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setStretchLastSection(true);

    auto* chart = new QChart;
    chart->setTitle(c.rows.empty() ? tr("Criteria")
                    : pools        ? tr("Pools, sets of %1: TE on %2 calibration images, top-1 on %3 test images")
                                  .arg(QString::fromStdString(c.budget))
                                  .arg(c.calibrationImages)
                                  .arg(c.testImages)
                            : tr("Criteria: %1 layers removed, TE on %2 calibration images, top-1 on %3 test "
                                 "images")
                                  .arg(c.count)
                                  .arg(c.calibrationImages)
                                  .arg(c.testImages));
    auto* bars = new QBarSeries;
    auto* skip = new QBarSet(tr("top-1 x = x (training-free)"));
    auto* twice = new QBarSet(tr("top-1 x = 2x (training-free)"));
    auto* diluted = new QBarSet(tr("top-1 after dilution"));
    QStringList categories;
    bool anyDiluted = false, anyStable = false;
    auto* stable = new QBarSet(tr("resamples choosing the set"));
    double teLo = 0, teHi = 1;
    for (size_t i = 0; i < c.rows.size(); ++i) {
        const auto& r = c.rows[i];
        categories << (pools ? QString::fromStdString(brief[i]) : shortName(r.method));
        *stable << (r.stabilityResamples > 0 ? 100.0 * r.chosenSetShare : 0.0);
        anyStable = anyStable || r.stabilityResamples > 0;
        *skip << 100.0 * r.skipTop1;
        *twice << 100.0 * r.doubleTop1;
        *diluted << (r.dilutedTop1 ? 100.0 * *r.dilutedTop1 : 0.0);
        anyDiluted = anyDiluted || r.dilutedTop1.has_value();
        for (double v : {r.transferEntropy, r.teLow, r.teHigh})
            if (std::isfinite(v)) {
                teLo = std::min(teLo, v);
                teHi = std::max(teHi, v);
            }
    }
    bars->append(skip);
    bars->append(twice);
    if (anyDiluted)
        bars->append(diluted);
    else
        delete diluted;
    if (anyStable)
        bars->append(stable);
    else
        delete stable;
    chart->addSeries(bars);
    auto* x = new QBarCategoryAxis;
    x->append(categories.isEmpty() ? QStringList{QString()} : categories);
    const auto key = QString::fromStdString(core::criteriaLabelKey(c));
    x->setTitleText(pools ? (key.isEmpty() ? tr("candidate pool") : tr("candidate pool (%1)").arg(key)) : tr("method"));
    if (categories.size() > 10) // side by side they would be cut to "at…"
        x->setLabelsAngle(-90);
    auto* y = new QValueAxis;
    y->setRange(0, 100);
    y->setTitleText(anyStable ? tr("top-1 %, resamples %") : tr("top-1 %"));
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    bars->attachAxis(x);
    bars->attachAxis(y);
    // TE of each set with its interval, on its own axis: a point and a vertical whisker per method.
    auto* teAxis = new QValueAxis;
    teAxis->setRange(teLo, teHi * 1.05);
    teAxis->applyNiceNumbers();
    teAxis->setTitleText(tr("TE (%1), 95% interval").arg(QString::fromStdString(c.units)));
    chart->addAxis(teAxis, Qt::AlignRight);
    auto* points = new QScatterSeries;
    points->setName(tr("TE of the set"));
    points->setMarkerSize(9);
    const QColor ink(40, 40, 40); // apart from the bars' colours, in either palette's chart
    points->setColor(ink);
    points->setBorderColor(ink);
    chart->addSeries(points);
    points->attachAxis(x);
    points->attachAxis(teAxis);
    for (int i = 0; i < static_cast<int>(c.rows.size()); ++i) {
        const auto& r = c.rows[static_cast<size_t>(i)];
        if (!std::isfinite(r.transferEntropy)) // a pool with no set under the budget
            continue;
        points->append(i, r.transferEntropy);
        if (!std::isfinite(r.teLow))
            continue;
        auto* whisker = new QLineSeries;
        whisker->append(i, r.teLow);
        whisker->append(i, r.teHigh);
        whisker->setPen(QPen(ink, 2));
        chart->addSeries(whisker);
        whisker->attachAxis(x);
        whisker->attachAxis(teAxis);
        chart->legend()->markers(whisker).first()->setVisible(false);
    }
    chart->legend()->setAlignment(Qt::AlignBottom);
    showChart(m_chart, chart);
    m_status->setText(c.rows.empty() ? QString()
                      : pools        ? tr("%1 sets of %2.").arg(c.rows.size()).arg(QString::fromStdString(c.budget))
                                     : tr("%1 criteria, %2 of the attention layers each; stability: %3.")
                                    .arg(c.rows.size())
                                    .arg(c.count)
                                    .arg(c.rows.front().stabilityResamples > 0
                                             ? tr("%1 resamples").arg(c.rows.front().stabilityResamples)
                                             : tr("not measured")));
}

QString CriteriaView::cell(int row, int column) const
{
    const auto* item = m_table->item(row, column);
    return item ? item->text() : QString();
}

} // namespace mlpify::widgets
