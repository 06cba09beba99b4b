// A dilution run for the window, behind one interface: in this process on a worker thread, or as
// `mlpify launch` ranks (processes > 1) whose progress comes from rank 0's JSON log. Both take a
// core::DilutionRun and report the same typed steps, epochs, pauses and end.
#pragma once

#include "core/train/dilution_run.h"
#include "core/train/training_log.h"

#include <QObject>
#include <QString>

#include <memory>

class QProcess;
class QTimer;

namespace mlpify::core {
struct ModelBundle;
}

namespace mlpify::app {

class BackgroundJob;

class TrainingRunner : public QObject {
    Q_OBJECT
public:
    explicit TrainingRunner(QObject* parent = nullptr);
    ~TrainingRunner() override; // stops a run (its checkpoint is written)

    // Starts the run, then folds and writes the result; teacher: the original model, for
    // run.distill in this process (the ranks load their own). false, with failed() emitted
    // or nothing started, when a run is going or the launcher cannot be found.
    bool start(const core::DilutionRun& run, std::shared_ptr<core::ModelBundle> teacher);
    bool running() const;
    bool paused() const;
    void togglePause(); // at the next step; the run writes its checkpoint while paused
    void cancel();      // at the next step, with a checkpoint; finished(false, ...) follows
    void stop();        // cancel and wait: before the owner's members go away
    // The `mlpify` program multi-process runs start (MLPIFY_CLI, else the one beside this program).
    static QString cliPath();

Q_SIGNALS:
    void progress(double fraction, const QString& message);
    void step(const core::StepStats& s);
    void epoch(const core::EpochStats& e);
    void pauseChanged(bool paused, const QString& message);
    void notice(const QString& line); // news of an in-process run: a resize, a new head
    // ok: the folded model is written; otherwise message says why it stopped (cancelled: the
    // checkpoint stays), and failed is true when it was an error rather than a cancel.
    void finished(bool ok, bool failed, const QString& message);

private:
    bool startLaunched(const core::DilutionRun& run);
    void pollLog();
    void endLaunched();

    BackgroundJob* m_job = nullptr;
    QProcess* m_ranks = nullptr;
    QTimer* m_poll = nullptr;
    QString m_log;
    qint64 m_logOffset = 0;
    bool m_ranksPaused = false;
    core::TrainingCurves m_followed; // what the log said so far (the reader's running state)
};

} // namespace mlpify::app
