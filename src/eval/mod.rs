//! Evaluation: datasets (golden sets), the metrics of a run and their statistics (bootstrap
//! intervals, paired comparisons, McNemar's exact test), stored runs and the HTML report. The
//! runs themselves go through the application core (`app::Cairn::evaluate`).

pub mod dataset;
pub mod metrics;
pub mod report;
pub mod result;
pub mod stats;
pub mod store;
