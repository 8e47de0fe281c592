//! `hejie gen`: a demo county and synthetic cases, written through the real command path so every
//! hash chain is valid and every rule of the domain was applied.

pub mod cases;
pub mod corpus;
pub mod county;
pub mod field;
pub mod geo;

use anyhow::{Context, Result};
use hejie_domain::personal::PiiSealer;
use hejie_domain::timestamp::Timestamp;
use hejie_store::Store;
use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use rand::rngs::StdRng;

/// How many registrations go into one write (the store sums their indicator cells before
/// writing them, so bigger batches write fewer cell rows).
const BATCH: usize = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub cases: u64,
    pub events: u64,
    pub rejected: u64,
    /// Field records (reports, patrols, visits, consultations, activities) written.
    pub field_records: u64,
    /// Village and grid boundaries written.
    pub areas: u64,
}

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// Number of cases.
    pub cases: u64,
    /// How many of the corpus's townships the county gets (all of them when larger).
    pub townships: usize,
    /// Seed of the random choices.
    pub seed: u64,
    /// Cases are registered between `from` and `now`.
    pub from: Timestamp,
    pub now: Timestamp,
    /// Draw a progress bar.
    pub progress: bool,
}

/// Writes the demo county, then the cases of `spec`.
pub async fn run(store: &dyn Store, sealer: &dyn PiiSealer, spec: Spec) -> Result<Summary> {
    let Spec {
        cases: n,
        townships,
        seed,
        from,
        now,
        progress,
    } = spec;
    let mut rng = StdRng::seed_from_u64(seed);
    let county = county::build(&mut rng, townships).context("building the demo county")?;
    county::save(store, &county).await?;
    let bar = if progress {
        let bar = ProgressBar::new(n);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} 生成案件 [{bar:40}] {pos}/{len} ({per_sec}, 剩余 {eta})",
            )
            .context("progress template")?
            .progress_chars("=> "),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut summary = Summary {
        cases: 0,
        events: 0,
        rejected: 0,
        field_records: 0,
        areas: 0,
    };
    let mut left = n;
    while left > 0 {
        let take = left.min(BATCH as u64);
        let mut batch = Vec::with_capacity(take as usize);
        let mut steps = Vec::with_capacity(take as usize);
        for _ in 0..take {
            let plan = cases::plan(&mut rng, &county, sealer, from, now, true);
            steps.push(plan.steps as u64);
            batch.push(plan.new_case);
        }
        let results = store
            .create_cases(batch)
            .await
            .context("writing a batch of generated cases")?;
        for (r, s) in results.into_iter().zip(steps) {
            match r {
                Ok(c) => {
                    summary.cases += 1;
                    summary.events += c.version;
                    // The time limits recorded with the commands add events of their own.
                    debug_assert!(c.version >= s);
                }
                Err(e) => {
                    summary.rejected += 1;
                    tracing::warn!(error = %e, "generated case rejected");
                }
            }
        }
        left -= take;
        bar.inc(take);
    }
    bar.finish_and_clear();
    // Field work has its own random stream, so adding it left the cases as they were.
    let mut field_rng = StdRng::seed_from_u64(seed ^ 0x000F_1E1D);
    let f = field::generate(store, &county, &mut field_rng, now)
        .await
        .context("writing the demo field work")?;
    summary.field_records = f.records as u64;
    summary.areas = f.areas as u64;
    Ok(summary)
}
