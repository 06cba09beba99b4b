#include "app/gui/training_runner.h"

#include "app/gui/background_job.h"
#include "core/run/run_dilution.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QThread>
#include <QTimer>

#include <csignal>

namespace mlpify::app {

TrainingRunner::TrainingRunner(QObject* parent) : QObject(parent), m_job(new BackgroundJob(this))
{
    connect(m_job, &BackgroundJob::progress, this, &TrainingRunner::progress);
    connect(m_job, &BackgroundJob::pauseChanged, this, &TrainingRunner::pauseChanged);
    connect(m_job, &BackgroundJob::notice, this, &TrainingRunner::notice);
    connect(m_job, &BackgroundJob::finished, this, [this](JobEnd end, const QString& message) {
        Q_EMIT finished(end == JobEnd::Done, end == JobEnd::Failed, message);
    });
}

TrainingRunner::~TrainingRunner()
{
    stop();
}

QString TrainingRunner::cliPath()
{
    return qEnvironmentVariableIsSet("MLPIFY_CLI") ? qEnvironmentVariable("MLPIFY_CLI") // tests, custom installs
                                                   : QDir(QCoreApplication::applicationDirPath()).filePath("mlpify");
}

bool TrainingRunner::running() const
{
    return m_job->running() || m_ranks != nullptr;
}

bool TrainingRunner::paused() const
{
    return m_ranks ? m_ranksPaused : m_job->paused();
}

bool TrainingRunner::start(const core::DilutionRun& run, std::shared_ptr<core::ModelBundle> teacher)
{
    if (running())
        return false;
    if (run.processes > 1)
        return startLaunched(run);
    m_job->start(tr("Dilution training"),
                 [this, run, teacher](core::Progress& progress, const core::CancelToken& cancel) {
                     core::DilutionExecution how; // the CLI's `dilute` executes the same run the same way
                     how.train = core::trainOptionsFor(run);
                     how.teacher = teacher;
                     core::TrainCallbacks cb;
                     cb.onStep = [this](const core::StepStats& s) { m_job->post([this, s] { Q_EMIT step(s); }); };
                     cb.onEpoch = [this](const core::EpochStats& e) { m_job->post([this, e] { Q_EMIT epoch(e); }); };
                     core::runDilution(run, how, progress, cancel, cb);
                 });
    return true;
}

bool TrainingRunner::startLaunched(const core::DilutionRun& run)
{
    const QString cli = cliPath();
    if (!QFileInfo::exists(cli)) {
        Q_EMIT finished(false, true,
                        tr("%1: not found; multi-process runs use the mlpify command beside mlpify-gui").arg(cli));
        return false;
    }
    m_log = QString::fromStdString(run.out) + ".jsonl";
    QFile::remove(m_log);
    m_logOffset = 0;
    m_ranksPaused = false;
    m_followed = {};
    const int threads = std::max(1, QThread::idealThreadCount() / run.processes);
    const int port = 20000 + static_cast<int>(QCoreApplication::applicationPid() % 20000);
    QStringList args{"launch", "--nproc",   QString::number(run.processes), "--port", QString::number(port),
                     "--",     "--threads", QString::number(threads)};
    for (const auto& word : core::toArgs(run)) // the run's one argv form (core/train/dilution_run.h)
        args << QString::fromStdString(word);
    args << "--distributed"
         << "--json-log" << m_log;
    m_ranks = new QProcess(this);
    m_ranks->setProcessChannelMode(QProcess::MergedChannels);
    m_poll = new QTimer(this);
    connect(m_poll, &QTimer::timeout, this, &TrainingRunner::pollLog);
    connect(m_ranks, &QProcess::finished, this, [this](int code, QProcess::ExitStatus status) {
        pollLog();
        const QString tail = QString::fromLocal8Bit(m_ranks->readAll()).trimmed().section('\n', -3);
        endLaunched();
        const bool ok = status == QProcess::NormalExit && code == 0;
        Q_EMIT finished(ok, !ok && !tail.contains("interrupted"), ok ? QString() : tail);
    });
    connect(m_ranks, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
        if (e != QProcess::FailedToStart)
            return; // other errors end in finished()
        const QString why = tr("%1 could not be started: %2").arg(m_ranks->program(), m_ranks->errorString());
        endLaunched();
        Q_EMIT finished(false, true, why);
    });
    Q_EMIT progress(0, tr("Starting %1 processes…").arg(run.processes));
    m_ranks->start(cli, args);
    m_poll->start(250);
    return true;
}

void TrainingRunner::endLaunched()
{
    m_poll->deleteLater();
    m_poll = nullptr;
    m_ranks->deleteLater();
    m_ranks = nullptr;
}

void TrainingRunner::pollLog()
{
    QFile f(m_log);
    if (!f.open(QIODevice::ReadOnly) || !f.seek(m_logOffset))
        return;
    while (!f.atEnd()) {
        const QByteArray line = f.readLine();
        if (!line.endsWith('\n'))
            break; // a line still being written: read it next time
        m_logOffset += line.size();
        core::StepStats s;
        core::EpochStats e;
        switch (core::readLogLine(line.toStdString(), m_followed, &s, &e)) {
        case core::LogLineKind::Step:
            if (s.totalSteps > 0)
                Q_EMIT progress(static_cast<double>(s.step) / static_cast<double>(s.totalSteps),
                                tr("step %1 of %2").arg(s.step).arg(s.totalSteps));
            Q_EMIT step(s);
            break;
        case core::LogLineKind::Epoch:
            Q_EMIT epoch(e);
            break;
        case core::LogLineKind::None:
            break;
        }
    }
}

void TrainingRunner::togglePause()
{
    if (m_ranks) { // the launcher forwards the signal to every rank; they pause at the same step
        if (m_ranks->state() != QProcess::Running)
            return;
        m_ranksPaused = !m_ranksPaused;
        ::kill(static_cast<pid_t>(m_ranks->processId()), SIGUSR1);
        Q_EMIT pauseChanged(m_ranksPaused,
                            m_ranksPaused ? tr("Pausing every process at the next step…") : tr("Resuming…"));
        return;
    }
    if (!m_job->running())
        return;
    const bool pause = !m_job->paused();
    m_job->setPaused(pause);
    Q_EMIT pauseChanged(pause, pause ? tr("Pausing at the next batch…") : tr("Resuming…"));
}

void TrainingRunner::cancel()
{
    if (m_ranks && m_ranks->state() == QProcess::Running) // every rank stops at the same step; rank 0 checkpoints
        ::kill(static_cast<pid_t>(m_ranks->processId()), SIGINT);
    m_job->cancel(); // an atomic flag: a queued call would wait behind the busy worker
}

void TrainingRunner::stop()
{
    m_job->stop();
    if (m_ranks) { // the ranks stop together and rank 0 writes the checkpoint
        m_ranks->disconnect(this);
        if (m_ranks->state() == QProcess::Running) {
            ::kill(static_cast<pid_t>(m_ranks->processId()), SIGINT);
            m_ranks->waitForFinished(30000);
        }
    }
}

} // namespace mlpify::app
