// File > Open Recent: the last eight models opened, most recent first, kept in QSettings.
#pragma once

#include <QMenu>

namespace mlpify::app {

class RecentMenu : public QMenu {
    Q_OBJECT
public:
    RecentMenu(const QString& title, QWidget* parent);
    void remember(const QString& path);

Q_SIGNALS:
    void chosen(const QString& path);

private:
    void rebuild();
};

} // namespace mlpify::app
