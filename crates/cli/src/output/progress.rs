//! A progress bar for long work (a 100k-patient demo, a store rebuild). It draws only when
//! standard error is a terminal, so scripts, pipes and tests see clean output, and only once the
//! work's size is known (setting up users before the patients shows nothing).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Bar {
    what: &'static str,
    bar: Option<ProgressBar>,
}

impl Bar {
    /// A bar labelled `what` (e.g. "patients").
    pub fn new(what: &'static str) -> Self {
        Self { what, bar: None }
    }

    /// The core's progress callback: `done` of `total` finished.
    pub fn update(&mut self, done: u64, total: u64) {
        if self.bar.is_none() && total > 0 && std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("{spinner} {msg} [{bar:40}] {human_pos}/{human_len} ({eta} left)")
                .map(|style| style.progress_chars("=> "));
            if let Ok(style) = style {
                bar.set_style(style);
            }
            bar.set_message(self.what);
            bar.enable_steady_tick(Duration::from_millis(200));
            self.bar = Some(bar);
        }
        if let Some(bar) = &self.bar {
            bar.set_length(total);
            bar.set_position(done);
        }
    }

    /// Removes the bar from the terminal (the command then prints its summary).
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        // On an error the bar must not stay drawn over the error line.
        self.finish();
    }
}
