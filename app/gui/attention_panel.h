// The Attention tab: one image's attention map (block, head or the mean, rollout, any query
// token by clicking) and every head's mean attention distance and entropy over N images, with
// NOSE's blocks marked. Each computation runs on a worker of its own, which opens the model again
// from its spec (no other job's use of the window's model can interfere); the latest request wins.
#pragma once

#include "core/analysis/attention_map_result.h"
#include "core/analysis/attention_stats_result.h"

#include <QImage>
#include <QString>
#include <QWidget>

#include <memory>
#include <optional>
#include <vector>

class QCheckBox;
class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace mlpify::widgets {
class AttentionMapView;
class AttentionStatsView;
} // namespace mlpify::widgets

namespace mlpify::app {

class BackgroundJob;

class AttentionPanel : public QWidget {
    Q_OBJECT
public:
    explicit AttentionPanel(QWidget* parent = nullptr);
    ~AttentionPanel() override;

    // The model by spec (opened again on the workers), its depth and heads for the pickers, which
    // blocks are MLP-only, and the data whose test split the images come from. Clears the views.
    void setSource(const QString& modelSpec, int depth, int heads, const std::vector<int64_t>& mlpOnly,
                   const QString& data);
    // The slimmed model, measured beside the original by the next distance run ("" for none).
    void setSlimmedModel(const QString& spec);
    void setMarkedBlocks(const std::vector<int64_t>& blocks, const QString& label);

    // The map for the pickers' image, block, head, rollout and query; mapReady() or failed() follows.
    void requestMap();
    // Distance and entropy over the chosen number of test images; statisticsReady() or failed().
    void requestStatistics();
    void cancel();
    bool busy() const;

    // Stored results (a project reopened) or a run's.
    void showMap(const core::AttentionMap& map, const QImage& image);
    void showStatistics(const core::AttentionStatistics& original, const core::AttentionStatistics* slimmed);
    const std::optional<core::AttentionMap>& map() const { return m_map; }
    const QImage& mapImage() const { return m_image; }
    const std::optional<core::AttentionStatistics>& statistics() const { return m_stats; }
    const std::optional<core::AttentionStatistics>& slimmedStatistics() const { return m_slimmedStats; }

    // The pickers, for the tour and tests.
    void setImageIndex(int index);
    void setImageFile(const QString& path); // "" returns to the data's images
    void setBlock(int block);
    void setHead(int head); // -1: the mean over heads
    void setRollout(bool on);
    void setQuery(qint64 token);
    void setStatisticsImages(int images);

    widgets::AttentionMapView* mapView() const { return m_mapView; }
    widgets::AttentionStatsView* statsView() const { return m_statsView; }

Q_SIGNALS:
    void mapReady();
    void statisticsReady();
    void failed(const QString& message);

private:
    struct Engine;
    void chooseImageFile();
    void updateQueryLabel();

    QSpinBox* m_imageIndex;
    QPushButton* m_openImage;
    QLabel* m_imageLabel;
    QComboBox* m_block;
    QComboBox* m_head;
    QCheckBox* m_rollout;
    QComboBox* m_fusion;
    QLabel* m_queryLabel;
    QPushButton* m_classQuery;
    widgets::AttentionMapView* m_mapView;
    widgets::AttentionStatsView* m_statsView;
    QComboBox* m_metric;
    QSpinBox* m_statsImages;
    QPushButton* m_measure;
    QPushButton* m_cancel;
    QProgressBar* m_progress;
    QLabel* m_status;
    BackgroundJob* m_mapJob;
    BackgroundJob* m_statsJob;
    std::shared_ptr<Engine> m_mapEngine; // used only on the map worker

    QString m_spec, m_slimmedSpec, m_data, m_imageFile;
    std::vector<int64_t> m_mlpOnly;
    qint64 m_query = 0;
    std::optional<core::AttentionMap> m_map;
    QImage m_image;
    std::optional<core::AttentionStatistics> m_stats, m_slimmedStats;
};

} // namespace mlpify::app
