//! `cairn eval --collection C (--dataset NAME | --dataset-file FILE) [--variant V]... [--json]
//! [--report FILE.html] [--fail-under METRIC=VALUE]...`

use std::path::PathBuf;

use cairn_ingest::domain::CollectionName;

use crate::app::{Cairn, EvalDataset, EvalRequest};
use crate::config::Settings;
use crate::eval::dataset::{self, Format};
use crate::eval::metrics::{self, METRICS};
use crate::eval::report;
use crate::eval::result::EvalResult;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Collection to answer from
    #[arg(long, short)]
    collection: CollectionName,
    /// A stored dataset (see `cairn datasets`)
    #[arg(
        long,
        required_unless_present = "dataset_file",
        conflicts_with = "dataset_file"
    )]
    dataset: Option<String>,
    /// A stored version of --dataset (default: the newest)
    #[arg(long, requires = "dataset")]
    version: Option<String>,
    /// A .jsonl or .csv dataset file, used without storing it
    #[arg(long, value_name = "FILE")]
    dataset_file: Option<PathBuf>,
    /// A variant to run (repeatable; the first is the baseline; default: `default`)
    #[arg(long = "variant", value_name = "NAME")]
    variants: Vec<String>,
    /// Print the result as one JSON document (docs/evaluation.md)
    #[arg(long)]
    json: bool,
    /// Write a self-contained HTML report
    #[arg(long, value_name = "FILE.html")]
    report: Option<PathBuf>,
    /// Exit non-zero when METRIC of any variant is below VALUE, e.g. hit_at_5=0.9 (repeatable)
    #[arg(long = "fail-under", value_name = "METRIC=VALUE", value_parser = threshold)]
    fail_under: Vec<(String, f64)>,
}

/// `METRIC=VALUE`, for a metric where higher is better.
fn threshold(text: &str) -> Result<(String, f64), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("expected METRIC=VALUE, e.g. hit_at_5=0.9, got {text:?}"))?;
    let metric = metrics::find(name.trim()).ok_or_else(|| {
        let names: Vec<&str> = METRICS.iter().map(|m| m.name).collect();
        format!("unknown metric {name:?}; metrics are {}", names.join(", "))
    })?;
    if !metric.higher_is_better {
        return Err(format!(
            "{} is better when lower, so --fail-under does not apply to it",
            metric.name
        ));
    }
    let value: f64 = value
        .trim()
        .parse()
        .map_err(|_| format!("{value:?} is not a number"))?;
    Ok((metric.name.to_owned(), value))
}

pub async fn run(settings: &Settings, args: Args) -> anyhow::Result<()> {
    let _data_lock = super::own_data_dir(settings)?;
    let dataset = match (&args.dataset, &args.dataset_file) {
        (Some(name), _) => EvalDataset::Stored {
            name: name.clone(),
            version: args.version.clone(),
        },
        (None, Some(file)) => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let items = dataset::parse(&text, Format::of(file)?)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let name = file
                .file_stem()
                .map_or_else(|| "file".to_owned(), |s| s.to_string_lossy().into_owned());
            EvalDataset::Items { name, items }
        }
        (None, None) => anyhow::bail!("give --dataset NAME or --dataset-file FILE"),
    };
    let app = Cairn::build(settings)?;
    let result = app
        .evaluate(EvalRequest {
            collection: args.collection.clone(),
            dataset,
            variants: args.variants.clone(),
        })
        .await?;
    if let Some(path) = &args.report {
        std::fs::write(path, report::html(&result))
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string(&result)?);
    } else {
        print_summary(&result);
        if let Some(path) = &args.report {
            println!("report: {}", path.display());
        }
    }
    check_thresholds(&result, &args.fail_under)
}

fn print_summary(result: &EvalResult) {
    let run = &result.run;
    println!(
        "dataset {} (version {}), collection {} ({} chunks), run {}",
        run.dataset, run.dataset_version, run.collection, run.points, run.id
    );
    for w in &result.warnings {
        println!("warning: {w}");
    }
    print!("{:<28}", "metric");
    for v in &run.variant_order {
        print!("{v:>30}");
    }
    println!();
    for m in METRICS {
        print!("{:<28}", m.name);
        for v in &run.variant_order {
            let cell = match result.metrics.get(v).and_then(|ms| ms.get(m.name)) {
                Some(metric) => match (metric.value, metric.ci95) {
                    (Some(x), Some([lo, hi])) => format!("{x:.3} [{lo:.3}, {hi:.3}]"),
                    (Some(x), None) => format!("{x:.3}"),
                    _ => "no data".to_owned(),
                },
                None => "no data".to_owned(),
            };
            print!("{cell:>30}");
        }
        println!();
    }
    for c in &result.comparisons {
        println!("\n{} against {}:", c.candidate, c.baseline);
        for s in &c.summary {
            println!("  {s}");
        }
        println!(
            "  regressed ({}): {}",
            c.regressed.len(),
            report::listed(&c.regressed)
        );
        println!(
            "  improved ({}): {}",
            c.improved.len(),
            report::listed(&c.improved)
        );
    }
}

fn check_thresholds(result: &EvalResult, thresholds: &[(String, f64)]) -> anyhow::Result<()> {
    let mut failures = Vec::new();
    for (name, minimum) in thresholds {
        for (variant, metrics) in &result.metrics {
            match metrics.get(name).and_then(|m| m.value) {
                Some(value) if value >= *minimum => {}
                Some(value) => failures.push(format!("{variant}: {name} = {value:.3} < {minimum}")),
                None => failures.push(format!("{variant}: {name} has no data (needs {minimum})")),
            }
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("--fail-under: {}", failures.join("; "))
    }
}
