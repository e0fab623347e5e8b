//! The progress bar every long command shows (indicatif): a message, a
//! bar, the count in `unit`s, and the elapsed time.

use indicatif::{ProgressBar, ProgressStyle};

/// A bar over `len` `unit`s (files, candles, bars) with `message` in front.
#[must_use]
pub fn bar(len: u64, unit: &str, message: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    let template =
        format!("{{msg:>12}} [{{bar:30}}] {{pos}}/{{len}} {unit} {{per_sec}} {{elapsed}}");
    bar.set_style(
        ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(message);
    bar
}
