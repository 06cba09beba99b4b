#include "app/gui/attention_panel.h"

#include "app/figures/attention_figure.h"
#include "app/gui/background_job.h"
#include "core/analysis/attention_maps.h"
#include "core/analysis/attention_stats.h"
#include "core/analysis/calibration.h"
#include "core/io/model_io.h"
#include "widgets/attention_map_view.h"
#include "widgets/attention_stats_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QVBoxLayout>

#include <algorithm>

namespace mlpify::app {

// The map worker's model and images, kept between requests (clicking patch after patch).
struct AttentionPanel::Engine {
    QString spec;
    std::optional<core::ModelBundle> model;
    QString dataKey;
    std::optional<core::Dataset> data;

    core::ModelBundle& modelFor(const QString& s)
    {
        if (!model || s != spec) {
            model = core::loadModel(s.toStdString());
            model->net->eval();
            spec = s;
        }
        return *model;
    }
    // The data's test split, or one image file, at the model's input size.
    const core::Dataset& imagesFor(const QString& dataSpec, const QString& file, const core::ViTConfig& cfg)
    {
        const QString key = (file.isEmpty() ? dataSpec : "file:" + file) + "@" + QString::number(cfg.imageSize) + "x" +
                            QString::number(cfg.inChans);
        if (!data || key != dataKey) {
            const auto options = core::DataOptions{}.size(cfg.imageSize);
            data = file.isEmpty() ? core::loadDataset(dataSpec.toStdString(), core::Split::Test, options)
                                  : core::readImageFile(file.toStdString(), cfg.inChans, options);
            dataKey = key;
        }
        return *data;
    }
};

AttentionPanel::AttentionPanel(QWidget* parent)
    : QWidget(parent), m_mapJob(new BackgroundJob(this)), m_statsJob(new BackgroundJob(this)),
      m_mapEngine(std::make_shared<Engine>())
{
    m_imageIndex = new QSpinBox(this);
    m_imageIndex->setRange(0, 9999999);
    m_imageIndex->setToolTip(tr("Index of the image in the data's test split"));
    m_openImage = new QPushButton(tr("Image &file…"), this);
    m_imageLabel = new QLabel(this);
    m_block = new QComboBox(this);
    m_head = new QComboBox(this);
    m_rollout = new QCheckBox(tr("&Rollout"), this);
    m_rollout->setToolTip(tr("Attention rollout (Abnar & Zuidema 2020) from the input up to the block: each "
                             "block's heads fused, the residual added, rows renormalised, the product taken"));
    m_fusion = new QComboBox(this);
    m_fusion->addItems({"mean", "max", "min"});
    m_fusion->setToolTip(tr("How rollout fuses the heads"));
    m_queryLabel = new QLabel(this);
    m_classQuery = new QPushButton(tr("Class token"), this);
    m_classQuery->setToolTip(tr("Show the class token's attention (click a patch or a special token for its own)"));
    auto* pickers = new QHBoxLayout;
    pickers->addWidget(new QLabel(tr("Image:"), this));
    pickers->addWidget(m_imageIndex);
    pickers->addWidget(m_openImage);
    pickers->addWidget(m_imageLabel);
    pickers->addSpacing(12);
    pickers->addWidget(new QLabel(tr("Block:"), this));
    pickers->addWidget(m_block);
    pickers->addWidget(new QLabel(tr("Head:"), this));
    pickers->addWidget(m_head);
    pickers->addWidget(m_rollout);
    pickers->addWidget(m_fusion);
    pickers->addSpacing(12);
    pickers->addWidget(m_queryLabel);
    pickers->addWidget(m_classQuery);
    pickers->addStretch(1);

    m_mapView = new widgets::AttentionMapView(this);
    m_statsView = new widgets::AttentionStatsView(this);
    m_metric = new QComboBox(this);
    m_metric->addItems({tr("Mean attention distance"), tr("Attention entropy")});
    m_statsImages = new QSpinBox(this);
    m_statsImages->setRange(1, 100000);
    m_statsImages->setValue(256);
    m_statsImages->setSuffix(tr(" images"));
    m_measure = new QPushButton(tr("&Measure every head"), this);
    m_measure->setToolTip(tr("Mean attention distance and entropy of every head over this many test images"));
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setEnabled(false);
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 1000);
    m_progress->setMaximumWidth(200);
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    auto* statsBar = new QHBoxLayout;
    statsBar->addWidget(m_metric);
    statsBar->addWidget(m_statsImages);
    statsBar->addWidget(m_measure);
    statsBar->addWidget(m_cancel);
    statsBar->addWidget(m_progress);
    statsBar->addStretch(1);
    auto* right = new QWidget(this);
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addLayout(statsBar);
    rightLayout->addWidget(m_statsView, 1);
    auto* split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(m_mapView);
    split->addWidget(right);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(pickers);
    layout->addWidget(split, 1);
    layout->addWidget(m_status);

    auto remap = [this] {
        if (!m_spec.isEmpty())
            requestMap();
    };
    connect(m_imageIndex, qOverload<int>(&QSpinBox::valueChanged), this, [this, remap] {
        m_imageFile.clear();
        m_imageLabel->clear();
        remap();
    });
    connect(m_openImage, &QPushButton::clicked, this, &AttentionPanel::chooseImageFile);
    connect(m_block, qOverload<int>(&QComboBox::currentIndexChanged), this, remap);
    connect(m_head, qOverload<int>(&QComboBox::currentIndexChanged), this, remap);
    connect(m_fusion, qOverload<int>(&QComboBox::currentIndexChanged), this, remap);
    connect(m_rollout, &QCheckBox::toggled, this, [this, remap](bool on) {
        m_head->setEnabled(!on);
        m_fusion->setEnabled(on);
        remap();
    });
    m_fusion->setEnabled(false);
    connect(m_classQuery, &QPushButton::clicked, this, [this] { setQuery(0); });
    connect(m_mapView, &widgets::AttentionMapView::tokenClicked, this, &AttentionPanel::setQuery);
    connect(m_metric, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int i) {
        m_statsView->setMetric(i == 0 ? widgets::AttentionMetric::Distance : widgets::AttentionMetric::Entropy);
    });
    connect(m_measure, &QPushButton::clicked, this, &AttentionPanel::requestStatistics);
    connect(m_cancel, &QPushButton::clicked, this, &AttentionPanel::cancel);
    connect(m_statsJob, &BackgroundJob::progress, this, [this](double f, const QString& message) {
        m_progress->setValue(static_cast<int>(f * 1000));
        m_status->setText(tr("Measuring: %1").arg(message));
    });
    updateQueryLabel();
}

AttentionPanel::~AttentionPanel()
{
    // The workers' callbacks use this panel's members until their threads end.
    m_mapJob->stop();
    m_statsJob->stop();
}

void AttentionPanel::setSource(const QString& modelSpec, int depth, int heads, const std::vector<int64_t>& mlpOnly,
                               const QString& data)
{
    m_spec = modelSpec;
    m_data = data;
    m_mlpOnly = mlpOnly;
    m_map.reset();
    m_stats.reset();
    m_slimmedStats.reset();
    m_mapView->clear();
    const QSignalBlocker blockBlock(m_block), blockHead(m_head);
    m_block->clear();
    for (int b = 0; b < depth; ++b) {
        const bool gone = std::find(mlpOnly.begin(), mlpOnly.end(), b) != mlpOnly.end();
        m_block->addItem(gone ? tr("%1 (MLP-only)").arg(b) : QString::number(b), b);
    }
    m_head->clear();
    m_head->addItem(tr("mean"), -1);
    for (int h = 0; h < heads; ++h)
        m_head->addItem(QString::number(h), h);
    m_status->setText(tr("Pick an image, a block and a head; click a patch to see what it attends to. Measure "
                         "every head for the mean attention distance per block."));
}

void AttentionPanel::setSlimmedModel(const QString& spec)
{
    m_slimmedSpec = spec;
}

void AttentionPanel::setMarkedBlocks(const std::vector<int64_t>& blocks, const QString& label)
{
    m_statsView->setMarkedBlocks(blocks, label);
}

void AttentionPanel::chooseImageFile()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Image to show the attention on"), QString(),
                                                      tr("Images (*.png *.jpg *.jpeg *.bmp *.webp *.tif *.tiff *.ppm "
                                                         "*.pgm)"));
    if (!path.isEmpty())
        setImageFile(path);
}

void AttentionPanel::setImageFile(const QString& path)
{
    m_imageFile = path;
    m_imageLabel->setText(path.isEmpty() ? QString() : QFileInfo(path).fileName());
    if (!m_spec.isEmpty())
        requestMap();
}

void AttentionPanel::setImageIndex(int index)
{
    m_imageIndex->setValue(index); // requests the map when it changes
}

void AttentionPanel::setBlock(int block)
{
    m_block->setCurrentIndex(m_block->findData(block));
}

void AttentionPanel::setHead(int head)
{
    m_head->setCurrentIndex(m_head->findData(head));
}

void AttentionPanel::setRollout(bool on)
{
    m_rollout->setChecked(on);
}

void AttentionPanel::setQuery(qint64 token)
{
    m_query = token;
    updateQueryLabel();
    if (!m_spec.isEmpty())
        requestMap();
}

void AttentionPanel::setStatisticsImages(int images)
{
    m_statsImages->setValue(images);
}

void AttentionPanel::updateQueryLabel()
{
    m_queryLabel->setText(m_map ? tr("Query: %1").arg(QString::fromStdString(m_map->layout.tokenName(m_query)))
                                : tr("Query: token %1").arg(m_query));
}

bool AttentionPanel::busy() const
{
    return m_mapJob->running() || m_statsJob->running();
}

void AttentionPanel::cancel()
{
    m_mapJob->cancel();
    m_statsJob->cancel();
}

void AttentionPanel::requestMap()
{
    if (m_spec.isEmpty() || m_block->currentIndex() < 0)
        return;
    core::AttentionMapOptions o;
    o.block = m_block->currentData().toInt();
    o.head = m_head->currentData().toInt();
    o.rollout = m_rollout->isChecked();
    o.fusion = core::headFusionFromString(m_fusion->currentText().toStdString());
    o.query = m_query;
    if (!o.rollout && std::find(m_mlpOnly.begin(), m_mlpOnly.end(), o.block) != m_mlpOnly.end()) {
        m_status->setText(
            tr("Block %1 is MLP-only: it has no attention to show (rollout passes through it).").arg(o.block));
        return;
    }
    const auto engine = m_mapEngine;
    const QString spec = m_spec, data = m_data, file = m_imageFile;
    const int64_t index = file.isEmpty() ? m_imageIndex->value() : 0;
    m_mapJob->start(
        tr("Attention map"),
        [this, engine, spec, data, file, index, o](core::Progress&, const core::CancelToken&) {
            auto& model = engine->modelFor(spec);
            const auto& images = engine->imagesFor(data, file, model.meta.config);
            auto map = core::attentionMap(model, core::imageInput(model, images, index), o);
            const QImage image = displayImage(images, index);
            m_mapJob->post([this, map, image] {
                showMap(map, image);
                Q_EMIT mapReady();
            });
        },
        [this](JobEnd end, const QString& message) {
            if (end == JobEnd::Failed) {
                m_status->setText(message);
                Q_EMIT failed(message);
            }
        });
}

void AttentionPanel::requestStatistics()
{
    if (m_spec.isEmpty())
        return;
    const QString spec = m_spec, slimmed = m_slimmedSpec, data = m_data;
    const int64_t images = m_statsImages->value();
    m_measure->setEnabled(false);
    m_cancel->setEnabled(true);
    m_progress->setValue(0);
    m_statsJob->start(
        tr("Attention statistics"),
        [this, spec, slimmed, data, images](core::Progress& progress, const core::CancelToken& cancel) {
            std::vector<core::AttentionStatistics> out;
            QStringList specs{spec};
            if (!slimmed.isEmpty())
                specs << slimmed;
            for (int i = 0; i < specs.size(); ++i) {
                auto model = core::loadModel(specs[i].toStdString());
                const auto set = core::loadCalibrationSet(data.toStdString(), model.meta.config,
                                                          {images, core::kCalibrationSeed, "test"});
                core::ProgressSpan part(progress, static_cast<double>(i) / specs.size(),
                                        static_cast<double>(i + 1) / specs.size());
                out.push_back(core::attentionStatistics(model, set, {}, part, &cancel));
            }
            m_statsJob->post([this, out] {
                showStatistics(out[0], out.size() > 1 ? &out[1] : nullptr);
                Q_EMIT statisticsReady();
            });
        },
        [this](JobEnd end, const QString& message) {
            m_measure->setEnabled(true);
            m_cancel->setEnabled(false);
            if (end == JobEnd::Failed) {
                m_status->setText(message);
                Q_EMIT failed(message);
            } else if (end == JobEnd::Cancelled && !m_statsJob->waiting()) {
                m_status->setText(tr("Measuring cancelled."));
            }
        });
}

void AttentionPanel::showMap(const core::AttentionMap& map, const QImage& image)
{
    m_map = map;
    m_image = image;
    m_query = map.query;
    m_mapView->setMap(map, image);
    updateQueryLabel();
    m_status->setText(QString::fromStdString(core::attentionMapTitle(map)) +
                      tr(": %1% of the attention on the patches.").arg(100.0 * map.patchShare(), 0, 'f', 1));
}

void AttentionPanel::showStatistics(const core::AttentionStatistics& original, const core::AttentionStatistics* slimmed)
{
    m_stats = original;
    m_slimmedStats.reset();
    if (slimmed)
        m_slimmedStats = *slimmed;
    m_statsView->setStatistics(original, slimmed);
    m_status->setText(tr("Mean attention distance and entropy of every head over %1 test images of %2.")
                          .arg(original.images)
                          .arg(QString::fromStdString(original.settings.value("data", std::string()))));
}

} // namespace mlpify::app
