#include "widgets/model_summary_view.h"

#include <QTableWidget>
#include <gtest/gtest.h>

using namespace mlpify;

TEST(ModelSummaryView, ShowsTheNumbersItIsGiven)
{
    core::ModelSummary s;
    s.name = "micro";
    s.source = "/tmp/x.mlpify";
    s.config = core::presetConfig("micro");
    s.config.depth = 3;
    s.totalParams = 123456;
    s.testTop1 = 0.9123;
    s.metricsData = "fashion-mnist";
    for (int i = 0; i < 3; ++i) {
        core::BlockSummary b;
        b.index = i;
        b.mode = i == 1 ? core::BlockMode{core::AttnMode::Removed, 0.0} : core::BlockMode{};
        b.attentionParams = i == 1 ? 0 : 9504;
        b.mlpParams = 18768;
        s.blocks.push_back(b);
    }
    widgets::ModelSummaryView view;
    view.setSummary(s);
    const QString text = view.headline();
    EXPECT_TRUE(text.contains("micro"));
    EXPECT_TRUE(text.contains("91.23")) << text.toStdString();
    EXPECT_TRUE(text.contains("fashion-mnist"));
    ASSERT_EQ(view.blockTable()->rowCount(), 3);
    EXPECT_EQ(view.blockTable()->item(1, 1)->text(), "MLP only");
    EXPECT_EQ(view.blockTable()->item(1, 2)->text(), "0");
    EXPECT_EQ(QLocale().toLongLong(view.blockTable()->item(2, 3)->text()), 18768);
    view.clear("nothing");
    EXPECT_EQ(view.blockTable()->rowCount(), 0);
}
