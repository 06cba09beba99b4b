#include "app/gui/tour.h"

#include "app/gui/attention_panel.h"
#include "app/gui/main_window.h"
#include "app/gui/slim_panel.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace mlpify::app {

Tour::Tour(MainWindow* window) : QDialog(window), m_window(window)
{
    setWindowTitle(tr("MLPify — guided tour"));
    setModal(false);
    m_steps = {
        {MainWindow::SummaryTab,
         tr("1. The model"),
         tr("This is the embedded default: a 12-block vision transformer (width 48, 3 heads) trained on "
            "Fashion-MNIST to about 90% test accuracy. Every block has an attention branch and an MLP branch; "
            "the table shows how the parameters split between them. The question of the paper: which attention "
            "layers carry so little information that an MLP can take over?"),
         {}},
        {MainWindow::EntropyTab, tr("2. Entropy curves"),
         tr("Each point is the entropy of one branch's output over calibration images (a Gaussian estimate, "
            "in nats, the natural log; the axis names the units). Low entropy means little information. The paper "
            "observes that attention in the bottom "
            "blocks carries less than the MLP that follows it: those layers are candidates for removal. The "
            "analysis runs on a worker thread; the window stays responsive."),
         [](MainWindow& w) {
             if (!w.project().profile && !w.jobRunning())
                 w.startAnalysis();
         }},
        {MainWindow::NoseTab,
         tr("3. NOSE: choosing the layers"),
         tr("Transfer entropy measures how much the head's output entropy changes when a set of attention layers "
            "is skipped. NOSE builds the set greedily: each row is one step, each cell the value of adding that "
            "layer; the outlined cell is the choice. Layers whose removal disturbs the head least go first."),
         {}},
        {MainWindow::AttentionTab, tr("4. What the attention looks at"),
         tr("Right: every point is one head, at the mean distance in pixels between a patch and the patches it "
            "attends to, over 256 test images (as Dosovitskiy et al. 2021, Fig. 7); the line is the mean over "
            "heads and the shaded blocks are NOSE's set. Left: one image with the class token's attention over its "
            "patches. Click a patch to see what that patch attends to, or switch on rollout. Do the blocks NOSE "
            "would remove look at their neighbours, or everywhere alike?"),
         [](MainWindow& w) {
             auto* attention = w.findChild<AttentionPanel*>();
             if (!w.project().attention && !attention->busy())
                 attention->requestStatistics();
             if (!attention->map())
                 attention->requestMap();
         }},
        {MainWindow::SlimTab, tr("5. Dilution training"),
         tr("The chosen attention layers fade out during training: x = (2 − λ) x + λ Attn(x), λ from 1 to 0, so "
            "the MLP learns to do without them. At λ = 0 the block is folded into an MLP-only block, exactly. "
            "The settings here are a short teaching run on part of the data; press Start (Ctrl+T) and watch the "
            "loss, λ and accuracy live. Pause and Cancel work at any time."),
         [](MainWindow& w) { teachingSettings(w); }},
        {MainWindow::SpectrumTab, tr("6. Frequency spectra"),
         tr("How much high-frequency content do the token maps keep? The curve is the log amplitude of the 2-D "
            "Fourier transform relative to the lowest frequency. Attention acts as a low-pass filter; the paper "
            "reports that MLP-only blocks keep more high-frequency detail (more expressive features)."),
         [](MainWindow& w) {
             if (!w.project().spectrum && !w.jobRunning())
                 w.startSpectrum();
         }},
        {MainWindow::CompareTab, tr("7. Before and after"),
         tr("Accuracy, parameters, FLOPs, measured throughput and memory of the original and the slimmed model, "
            "side by side. A short run loses a little accuracy; the paper's long schedules recover it. Export any "
            "figure with Ctrl+E, all of them with Ctrl+Shift+E, and save the session as a project (Ctrl+S)."),
         [](MainWindow& w) {
             if (w.project().compare.empty() && !w.jobRunning())
                 w.startCompare();
         }},
    };
    m_title = new QLabel(this);
    QFont f = m_title->font();
    f.setBold(true);
    f.setPointSizeF(f.pointSizeF() * 1.2);
    m_title->setFont(f);
    m_text = new QLabel(this);
    m_text->setWordWrap(true);
    m_text->setMinimumWidth(480);
    m_text->setMinimumHeight(150);
    m_text->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_counter = new QLabel(this);
    m_back = new QPushButton(tr("&Back"), this);
    m_next = new QPushButton(tr("&Next"), this);
    m_next->setDefault(true);
    auto* close = new QPushButton(tr("&Close"), this);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_counter);
    buttons->addStretch(1);
    buttons->addWidget(m_back);
    buttons->addWidget(m_next);
    buttons->addWidget(close);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_title);
    layout->addWidget(m_text, 1);
    layout->addLayout(buttons);
    connect(m_back, &QPushButton::clicked, this, [this] { go(m_current - 1); });
    connect(m_next, &QPushButton::clicked, this, [this] {
        if (m_current + 1 < stepCount())
            go(m_current + 1);
        else
            hide();
    });
    connect(close, &QPushButton::clicked, this, &QDialog::hide);
}

void Tour::start()
{
    show();
    go(0);
}

void Tour::go(int step)
{
    if (step < 0 || step >= stepCount())
        return;
    m_current = step;
    const auto& s = m_steps[step];
    m_window->showTab(s.tab);
    m_title->setText(s.title);
    m_text->setText(s.text);
    m_counter->setText(tr("%1 of %2").arg(step + 1).arg(stepCount()));
    m_back->setEnabled(step > 0);
    m_next->setText(step + 1 < stepCount() ? tr("&Next") : tr("&Finish"));
    if (s.enter)
        s.enter(*m_window);
    Q_EMIT stepShown(step);
}

void Tour::teachingSettings(MainWindow& window)
{
    auto* slim = window.findChild<SlimPanel*>();
    auto r = slim->request();
    r.epochs = 1;
    r.dilutionEpochs = 0.8;
    r.trainLimit = 6000;
    r.batch = 128;
    r.lr = 5e-4;
    slim->setRequest(r);
    if (slim->selected().isEmpty())
        window.applyMethod(slim->method(), slim->ratio());
}

} // namespace mlpify::app
