//! A progress bar for long work (a 100k-patient demo, a store rebuild). It draws only when
//! standard error is a terminal, so scripts, pipes and tests see clean output.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Bar {
    bar: ProgressBar,
}

impl Bar {
    /// A bar labelled `what` (e.g. "patients"), hidden unless standard error is a terminal.
    pub fn new(what: &'static str) -> Self {
        let target =
            if std::io::stderr().is_terminal() { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        let bar = ProgressBar::with_draw_target(None, target);
        let style = ProgressStyle::with_template("{spinner} {msg:<9} [{bar:40}] {human_pos}/{human_len} ({eta} left)")
            .map(|style| style.progress_chars("=> "));
        if let Ok(style) = style {
            bar.set_style(style);
        }
        bar.set_message(what);
        bar.enable_steady_tick(Duration::from_millis(200));
        Self { bar }
    }

    /// The core's progress callback: `done` of `total` finished.
    pub fn update(&self, done: u64, total: u64) {
        self.bar.set_length(total);
        self.bar.set_position(done);
    }

    /// Removes the bar from the terminal (the command then prints its summary).
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        // On an error the bar must not stay drawn over the error line.
        self.bar.finish_and_clear();
    }
}
