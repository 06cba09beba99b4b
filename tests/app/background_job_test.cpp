// The window's job runner: the latest request wins, and what a stale job still posts is dropped.
#include "app/gui/background_job.h"

#include <QTest>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace mlpify;

TEST(BackgroundJob, TheLatestRequestCancelsTheRunningOneAndDropsItsResult)
{
    app::BackgroundJob job;
    QStringList delivered, ends;
    std::atomic<bool> aStarted{false}, bRan{false};
    auto record = [&](const QString& name) {
        return [&, name](app::JobEnd end, const QString&) {
            ends << name + (end == app::JobEnd::Done        ? ":done"
                            : end == app::JobEnd::Cancelled ? ":cancelled"
                                                            : ":failed");
        };
    };
    // A runs until it is cancelled, then posts a result that must not arrive.
    job.start(
        "A",
        [&](core::Progress&, const core::CancelToken& cancel) {
            aStarted = true;
            while (!cancel.cancelled())
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            job.post([&] { delivered << "A"; });
        },
        record("A"));
    while (!aStarted)
        QTest::qWait(5);
    // B is replaced by C before A has ended: B never runs.
    job.start(
        "B", [&](core::Progress&, const core::CancelToken&) { bRan = true; }, record("B"));
    EXPECT_TRUE(job.waiting());
    job.start(
        "C", [&](core::Progress&, const core::CancelToken&) { job.post([&] { delivered << "C"; }); }, record("C"));
    for (int i = 0; i < 60000 && ends.size() < 3; i += 5)
        QTest::qWait(5);
    for (int i = 0; i < 100 && delivered.isEmpty(); ++i)
        QTest::qWait(5); // C's result is queued behind its end
    EXPECT_EQ(ends, (QStringList{"B:cancelled", "A:cancelled", "C:done"}));
    EXPECT_EQ(delivered, QStringList{"C"});
    EXPECT_FALSE(bRan);
    EXPECT_FALSE(job.running());
    EXPECT_FALSE(job.waiting());
}

TEST(BackgroundJob, CancelEndsTheJobAndAWaitingRequest)
{
    app::BackgroundJob job;
    QStringList ends;
    std::atomic<bool> started{false};
    job.start(
        "A",
        [&](core::Progress&, const core::CancelToken& cancel) {
            started = true;
            while (!cancel.cancelled())
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
        },
        [&](app::JobEnd end, const QString&) { ends << (end == app::JobEnd::Cancelled ? "A:cancelled" : "A:other"); });
    while (!started)
        QTest::qWait(5);
    job.start(
        "B", [](core::Progress&, const core::CancelToken&) {},
        [&](app::JobEnd end, const QString&) { ends << (end == app::JobEnd::Cancelled ? "B:cancelled" : "B:other"); });
    job.cancel();
    for (int i = 0; i < 60000 && ends.size() < 2; i += 5)
        QTest::qWait(5);
    EXPECT_EQ(ends, (QStringList{"B:cancelled", "A:cancelled"}));
    EXPECT_FALSE(job.running());
}
