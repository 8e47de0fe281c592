//! Star rating of grids (星级网格): a score out of 100 from four parts of a grid's record over a
//! rating period, and the stars that score earns.
//!
//! The parts reward what grid management is for: reporting what is found (上报活跃度),
//! resolving disputes where they arise instead of passing them up (网格内化解率), closing
//! matters within their time limits (办理及时率) and doing the periodic sweeps (排查完成率).
//! Weights and thresholds are configuration; the caller counts the record from the store.

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

/// What a grid's record says over a rating period; the caller counts it from the store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridRecord {
    /// Field reports filed in the grid.
    pub reports: u32,
    /// Dispute reports and cases arising in the grid.
    pub disputes: u32,
    /// Of those, resolved on the spot or in the grid or village without escalation.
    pub closed_in_grid: u32,
    /// Matters closed in the period.
    pub handled: u32,
    /// Of those, closed within their time limit.
    pub on_time: u32,
    pub sweeps_due: u32,
    pub sweeps_done: u32,
}

/// How a grid's record turns into a score and stars.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingPolicy {
    /// Reports in the period that earn the whole reporting part.
    pub target_reports: u32,
    pub weight_reports: u32,
    pub weight_closure: u32,
    pub weight_timeliness: u32,
    pub weight_sweeps: u32,
    /// Minimum scores for 5, 4, 3 and 2 stars; below the last is 1 star.
    pub stars: [u32; 4],
}

impl Default for RatingPolicy {
    /// Closure in the grid weighs most because resolving disputes at the grassroots (矛盾不上交)
    /// is the point of grid management; timeliness next, reporting and sweeps equally.
    fn default() -> Self {
        Self {
            target_reports: 10,
            weight_reports: 20,
            weight_closure: 35,
            weight_timeliness: 25,
            weight_sweeps: 20,
            stars: [90, 75, 60, 40],
        }
    }
}

impl RatingPolicy {
    /// Refuses weights that do not make a score out of 100, a reporting target of 0 and star
    /// thresholds that are not strictly descending within 0 to 100.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let refuse = |message: String| Err(ValidationError::new("rating", message));
        // Summing in u64 keeps absurd weights from overflowing into a sum that looks right.
        let sum: u64 = [
            self.weight_reports,
            self.weight_closure,
            self.weight_timeliness,
            self.weight_sweeps,
        ]
        .into_iter()
        .map(u64::from)
        .sum();
        if sum != 100 {
            return refuse(format!("各项权重之和应为100，当前为{sum}"));
        }
        if self.target_reports == 0 {
            return refuse("上报活跃度的目标件数应至少为1".to_owned());
        }
        if let Some(&over) = self.stars.iter().find(|&&s| s > 100) {
            return refuse(format!("星级分数线不能超过100分（当前有{over}分）"));
        }
        if self.stars.windows(2).any(|w| w[0] <= w[1]) {
            return refuse("星级分数线应从五星到二星严格递减".to_owned());
        }
        Ok(())
    }
}

/// One part of a rating.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RatingPart {
    /// "上报活跃度", "网格内化解率", "办理及时率" or "排查完成率".
    pub name: &'static str,
    /// Between 0 and 1.
    pub ratio: f64,
    pub weight: u32,
    /// `ratio × weight`, unrounded so the parts add up to the score before rounding.
    pub points: f64,
    /// The counts behind the ratio, e.g. "8/10件", or why there was nothing to count.
    pub detail: String,
}

/// A grid's rating for a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rating {
    /// Between 0 and 100, rounded to one decimal.
    pub score: f64,
    /// Between 1 and 5.
    pub stars: u8,
    pub parts: Vec<RatingPart>,
}

/// Rates a grid's record.
///
/// The ratio for reports is min(1, reports / target); closure is closed_in_grid / disputes;
/// timeliness is on_time / handled; sweeps is sweeps_done / sweeps_due. A zero denominator gives
/// ratio 1, since there was nothing to fail at, except for reports where the target is the
/// denominator. Numerators are clamped to their denominators so bad counts never exceed 100%.
///
/// Stars are read from the rounded score, so the score people see and the stars always agree.
/// The policy should be validated; with an invalid one the score is still kept within 0 to 100.
pub fn rate(policy: &RatingPolicy, record: &GridRecord) -> Rating {
    let reports = if policy.target_reports == 0 {
        // Only an unvalidated policy gets here; an unreachable target is treated as met.
        part(
            "上报活跃度",
            1.0,
            policy.weight_reports,
            "未设目标".to_owned(),
        )
    } else {
        part(
            "上报活跃度",
            (f64::from(record.reports) / f64::from(policy.target_reports)).min(1.0),
            policy.weight_reports,
            format!("{}/{}件", record.reports, policy.target_reports),
        )
    };
    let parts = vec![
        reports,
        share(
            "网格内化解率",
            record.closed_in_grid,
            record.disputes,
            policy.weight_closure,
            ("件", "无纠纷"),
        ),
        share(
            "办理及时率",
            record.on_time,
            record.handled,
            policy.weight_timeliness,
            ("件", "无办结事项"),
        ),
        share(
            "排查完成率",
            record.sweeps_done,
            record.sweeps_due,
            policy.weight_sweeps,
            ("次", "无排查任务"),
        ),
    ];
    let total: f64 = parts.iter().map(|p| p.points).sum();
    let score = ((total * 10.0).round() / 10.0).clamp(0.0, 100.0);
    let stars = [5, 4, 3, 2]
        .into_iter()
        .zip(policy.stars)
        .find(|&(_, min)| score >= f64::from(min))
        .map_or(1, |(stars, _)| stars);
    Rating {
        score,
        stars,
        parts,
    }
}

fn part(name: &'static str, ratio: f64, weight: u32, detail: String) -> RatingPart {
    RatingPart {
        name,
        ratio,
        weight,
        points: ratio * f64::from(weight),
        detail,
    }
}

/// A part measured as `done` of `due`, with the unit of the counts and the detail shown when
/// nothing was due.
fn share(
    name: &'static str,
    done: u32,
    due: u32,
    weight: u32,
    (unit, nothing_due): (&str, &str),
) -> RatingPart {
    if due == 0 {
        return part(name, 1.0, weight, nothing_due.to_owned());
    }
    let done = done.min(due);
    part(
        name,
        f64::from(done) / f64::from(due),
        weight,
        format!("{done}/{due}{unit}"),
    )
}

/// The stars as people draw them, out of five: 3 gives "★★★☆☆". More than five shows five.
pub fn stars_label(stars: u8) -> String {
    let filled = usize::from(stars.min(5));
    "★".repeat(filled) + &"☆".repeat(5 - filled)
}
