//! `hejie retrain`: trains the escalation model on this deployment's closed cases, measures it on
//! the later held-out period and stores it (issue 8; `hejie_server::escalation`). Too little
//! data stores nothing and exits 1 with the reason in Chinese.

use std::process::ExitCode;
use std::sync::Arc;

use crate::now;
use anyhow::Result;
use hejie_server::escalation::{self, RetrainConfig, RetrainError, Thresholds};
use hejie_store::Store;

/// How many of the strongest weights are printed.
const WEIGHTS_SHOWN: usize = 10;

#[derive(Debug, Clone, Copy, clap::Args)]
pub struct Args {
    /// Probability from which an open case is marked 红 (default: the stored model's, else 0.5).
    #[arg(long)]
    red: Option<f64>,
    /// Probability from which an open case is marked 橙 (default: the stored model's, else 0.3).
    #[arg(long)]
    orange: Option<f64>,
    /// Probability from which an open case is marked 黄 (default: the stored model's, else 0.15).
    #[arg(long)]
    yellow: Option<f64>,
}

pub async fn run(store: Arc<dyn Store>, args: Args) -> Result<ExitCode> {
    // Thresholds not given stay as the stored model has them, so a retrain from the command line
    // does not silently undo what an administrator chose.
    let kept = escalation::load(store.as_ref())
        .await?
        .map(|r| r.thresholds)
        .unwrap_or_default();
    let thresholds = Thresholds {
        red: args.red.unwrap_or(kept.red),
        orange: args.orange.unwrap_or(kept.orange),
        yellow: args.yellow.unwrap_or(kept.yellow),
    };
    let cfg = RetrainConfig {
        thresholds,
        ..RetrainConfig::default()
    };
    let r = match escalation::retrain(store, now(), &cfg).await {
        Ok(r) => r,
        Err(RetrainError::Refused(message)) => {
            eprintln!("{message}");
            return Ok(ExitCode::from(1));
        }
        Err(RetrainError::Store(e)) => return Err(e.into()),
    };
    for (name, p) in [("训练期", &r.train), ("留出检验期", &r.held_out)] {
        println!(
            "{name}：{} 至 {}，{} 件，其中升级 {} 件",
            p.from, p.to, p.cases, p.positives
        );
    }
    println!("留出检验期 AUC：{:.3}", r.auc);
    println!(
        "预警阈值：红 ≥ {}，橙 ≥ {}，黄 ≥ {}",
        r.thresholds.red, r.thresholds.orange, r.thresholds.yellow
    );
    println!("影响最大的因素（标准化权重）：");
    for (name, w) in r.model.strongest(WEIGHTS_SHOWN) {
        println!("  {w:+.3}  {name}");
    }
    println!("模型已保存（{}）。", escalation::MODEL_NAME);
    Ok(ExitCode::SUCCESS)
}
