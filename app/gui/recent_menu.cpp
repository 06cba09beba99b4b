#include "app/gui/recent_menu.h"

#include <QFileInfo>
#include <QSettings>

namespace mlpify::app {

namespace {
constexpr int kKept = 8;
const char* const kKey = "recentModels";
} // namespace

RecentMenu::RecentMenu(const QString& title, QWidget* parent) : QMenu(title, parent)
{
    rebuild();
}

void RecentMenu::remember(const QString& path)
{
    QSettings settings;
    QStringList recent = settings.value(kKey).toStringList();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > kKept)
        recent.removeLast();
    settings.setValue(kKey, recent);
    rebuild();
}

void RecentMenu::rebuild()
{
    clear();
    const QStringList recent = QSettings().value(kKey).toStringList();
    for (const QString& path : recent)
        addAction(QFileInfo(path).fileName(), this, [this, path] { Q_EMIT chosen(path); })->setToolTip(path);
    setEnabled(!recent.isEmpty());
}

} // namespace mlpify::app
