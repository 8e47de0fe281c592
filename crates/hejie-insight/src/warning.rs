//! Early warning (预警): spikes of one division × type against a seasonal baseline, and the risk
//! signals of one case.
//!
//! **Spikes.** The caller gives a series of daily or weekly counts for one division × type, oldest
//! first, whose last element is the period being judged. The expected count is the mean of the
//! same period in earlier seasons (with one period either side, so that a festival a week early or
//! late does not look like a spike) when `season` is set and the history reaches back that far,
//! otherwise the mean of the `trailing` periods just before. The expected count never goes below
//! `min_expected`, so a quiet village where nothing happened last year does not raise an alarm for
//! a single case. Counts are modelled as Poisson: the upper control limit is the smallest `k` with
//! P(X ≥ k) ≤ `alpha`, and a count at or above it (and at least `min_count`) is a spike. Its colour
//! follows the tail probability of what was observed:
//!
//! | level | P(X ≥ observed) |
//! |---|---|
//! | 红 red | ≤ 0.0001 |
//! | 橙 orange | ≤ 0.001 |
//! | 黄 yellow | ≤ `alpha` (0.01 by default) |
//!
//! **Risk signals.** A case's signals, their points and the colour thresholds:
//!
//! | signal | points |
//! |---|---|
//! | threat words in the description (跳楼, 同归于尽, 拼命, 上访, 讨个说法, 闹事…) | 3 |
//! | labour dispute about wages (欠薪, 工资…) within 60 days before the Spring Festival | 2 |
//! | group dispute (≥ 5 people; ≥ 30 people scores 3) | 2 |
//! | mediation failed | 2 |
//! | the same party in earlier cases (count from the caller's keyed-hash lookup): 1 earlier case | 1 |
//! | … 2 or more earlier cases | 2 |
//! | the same dispute reported again (≥ 2 linked reports) | 1 |
//! | escalated at least once | 1 |
//! | open longer than `long_open_days` (60 by default) | 1 |
//!
//! 红 at 6 points or more, 橙 at 4–5, 黄 at 2–3; below 2 no colour. A bare 闹 is not a threat word
//! because it is part of everyday words such as 热闹.

use hejie_domain::case::DisputeType;
use time::{Date, Month};

use crate::facts::CaseFacts;

/// Warning colours, most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Red,
    Orange,
    Yellow,
}

impl Level {
    pub fn label(self) -> &'static str {
        match self {
            Level::Red => "红",
            Level::Orange => "橙",
            Level::Yellow => "黄",
        }
    }
}

/// How spikes are judged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpikeConfig {
    /// Periods in a season: 52 for weekly counts compared with the same weeks of earlier years,
    /// 7 for daily counts compared with the same weekday; `None` for a trailing mean only.
    pub season: Option<usize>,
    /// How many earlier seasons to average at most.
    pub seasons: usize,
    /// How many periods the trailing mean covers when no seasonal history exists.
    pub trailing: usize,
    /// False-alarm probability of the upper control limit.
    pub alpha: f64,
    /// The expected count is never taken below this.
    pub min_expected: f64,
    /// Fewer cases than this never make a spike.
    pub min_count: u64,
}

impl Default for SpikeConfig {
    fn default() -> Self {
        Self {
            season: None,
            seasons: 3,
            trailing: 8,
            alpha: 0.01,
            min_expected: 0.5,
            min_count: 3,
        }
    }
}

/// An unusual count: what was expected, what was seen, where the limit lay.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spike {
    pub expected: f64,
    pub observed: u64,
    /// The upper control limit: the smallest count that is a spike.
    pub limit: u64,
    /// Observed ÷ expected.
    pub ratio: f64,
    /// P(X ≥ observed) under the baseline.
    pub p_value: f64,
    pub level: Level,
}

/// ln(k!) by summing logarithms; counts here are small enough for this to be exact and quick.
fn ln_factorial(k: u64) -> f64 {
    (2..=k).map(|i| (i as f64).ln()).sum()
}

/// P(X ≥ k) for X ~ Poisson(mean), summed term by term from k upwards so that tiny tails keep
/// their precision (1 − CDF would round them to 0).
pub fn poisson_tail(mean: f64, k: u64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if mean <= 0.0 {
        return 0.0;
    }
    let mut term = (-mean + k as f64 * mean.ln() - ln_factorial(k)).exp();
    let mut sum = 0.0;
    let mut i = k;
    loop {
        sum += term;
        i += 1;
        term *= mean / i as f64;
        if (i as f64 > mean && term <= sum * 1e-17) || i > k + 100_000 {
            break;
        }
    }
    sum.min(1.0)
}

/// The smallest k with P(X ≥ k) ≤ alpha.
pub fn poisson_limit(mean: f64, alpha: f64) -> u64 {
    // Below the mean the tail exceeds one half, so the search can start there for any sensible
    // alpha.
    let mut k = if alpha < 0.5 {
        mean.floor().max(0.0) as u64
    } else {
        0
    };
    while poisson_tail(mean, k) > alpha {
        k += 1;
    }
    k
}

/// The expected count of the last period of `series` from the periods before it.
pub fn baseline(series: &[u64], cfg: &SpikeConfig) -> f64 {
    let Some(now) = series.len().checked_sub(1) else {
        return cfg.min_expected;
    };
    if let Some(season) = cfg.season.filter(|s| *s > 0 && now >= *s) {
        let mut seen = Vec::new();
        for back in 1..=cfg.seasons {
            let Some(centre) = now.checked_sub(back * season) else {
                break;
            };
            // The same period a season ago and its two neighbours.
            let around = &series[centre.saturating_sub(1)..=(centre + 1).min(now - 1)];
            seen.extend(around.iter().map(|c| *c as f64));
        }
        if !seen.is_empty() {
            return (seen.iter().sum::<f64>() / seen.len() as f64).max(cfg.min_expected);
        }
    }
    let from = now.saturating_sub(cfg.trailing.max(1));
    let window = &series[from..now];
    if window.is_empty() {
        return cfg.min_expected;
    }
    (window.iter().sum::<u64>() as f64 / window.len() as f64).max(cfg.min_expected)
}

/// Judges the last period of `series`; `None` when it is within the limit.
pub fn detect_spike(series: &[u64], cfg: &SpikeConfig) -> Option<Spike> {
    let observed = *series.last()?;
    let expected = baseline(series, cfg);
    let limit = poisson_limit(expected, cfg.alpha);
    if observed < limit || observed < cfg.min_count {
        return None;
    }
    let p_value = poisson_tail(expected, observed);
    let level = if p_value <= 1e-4 {
        Level::Red
    } else if p_value <= 1e-3 {
        Level::Orange
    } else {
        Level::Yellow
    };
    Some(Spike {
        expected,
        observed,
        limit,
        ratio: observed as f64 / expected,
        p_value,
        level,
    })
}

/// Threat words: self-harm, violence, taking it further.
pub const THREAT_WORDS: &[&str] = &[
    "跳楼",
    "跳河",
    "喝农药",
    "自杀",
    "同归于尽",
    "拼命",
    "拼了",
    "砍死",
    "弄死",
    "报复",
    "上访",
    "进京",
    "讨个说法",
    "闹事",
    "闹大",
    "大闹",
    "去闹",
    "堵路",
    "拉横幅",
    "爬塔吊",
];

/// Words that make a labour dispute a wage-arrears case.
pub const WAGE_WORDS: &[&str] = &["欠薪", "工资", "工钱", "薪水", "薪资", "劳务费"];

/// Days a wage-arrears signal looks ahead to the festival.
pub const FESTIVAL_WINDOW_DAYS: i64 = 60;

/// The Spring Festival (春节, the first day of the first lunar month) of `year`, from the
/// lunisolar calendar, so the signal knows every year rather than a table's few.
pub fn spring_festival(year: i32) -> Option<Date> {
    let lunar = tyme4rs::tyme::lunar::LunarDay::new(isize::try_from(year).ok()?, 1, 1).ok()?;
    let solar = lunar.get_solar_day();
    let month = Month::try_from(u8::try_from(solar.get_month()).ok()?).ok()?;
    Date::from_calendar_date(
        i32::try_from(solar.get_year()).ok()?,
        month,
        u8::try_from(solar.get_day()).ok()?,
    )
    .ok()
}

/// Days from `day` to the next Spring Festival when it is at most [`FESTIVAL_WINDOW_DAYS`] away
/// (0 on the festival itself).
pub fn spring_festival_ahead(day: Date) -> Option<i64> {
    // The festival falls between 21 January and 20 February: this year's or next year's is
    // the next one.
    [day.year(), day.year() + 1]
        .into_iter()
        .filter_map(spring_festival)
        .map(|f| (f - day).whole_days())
        .find(|d| (0..=FESTIVAL_WINDOW_DAYS).contains(d))
}

/// One reason a case is at risk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RiskSignal {
    ThreatWords(Vec<String>),
    WageArrearsBeforeFestival { days_to_festival: i64 },
    GroupDispute { head_count: u32 },
    FailedMediation,
    RepeatParty { earlier_cases: u32 },
    RepeatedReports { reports: u32 },
    Escalated { times: u32 },
    LongOpen { days: u32 },
}

impl RiskSignal {
    /// Points towards the case's colour.
    pub fn points(&self) -> u32 {
        match self {
            RiskSignal::ThreatWords(_) => 3,
            RiskSignal::WageArrearsBeforeFestival { .. } => 2,
            RiskSignal::GroupDispute { head_count } if *head_count >= 30 => 3,
            RiskSignal::GroupDispute { .. } => 2,
            RiskSignal::FailedMediation => 2,
            RiskSignal::RepeatParty { earlier_cases } if *earlier_cases >= 2 => 2,
            RiskSignal::RepeatParty { .. } => 1,
            RiskSignal::RepeatedReports { .. } => 1,
            RiskSignal::Escalated { .. } => 1,
            RiskSignal::LongOpen { .. } => 1,
        }
    }

    /// The reason as a clerk reads it.
    pub fn describe(&self) -> String {
        match self {
            RiskSignal::ThreatWords(w) => format!("描述中出现过激言辞：{}", w.join("、")),
            RiskSignal::WageArrearsBeforeFestival { days_to_festival } => {
                format!("春节前{days_to_festival}天的欠薪纠纷")
            }
            RiskSignal::GroupDispute { head_count } => format!("群体性纠纷（{head_count}人）"),
            RiskSignal::FailedMediation => "调解不成".to_owned(),
            RiskSignal::RepeatParty { earlier_cases } => {
                format!("当事人此前已有{earlier_cases}件纠纷")
            }
            RiskSignal::RepeatedReports { reports } => format!("同一纠纷再次反映{reports}次"),
            RiskSignal::Escalated { times } => format!("已上报{times}次"),
            RiskSignal::LongOpen { days } => format!("已办理{days}天未结"),
        }
    }
}

/// A case's signals, points and colour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskAssessment {
    pub signals: Vec<RiskSignal>,
    pub score: u32,
    pub level: Option<Level>,
}

/// Open cases older than this many days raise [`RiskSignal::LongOpen`].
pub const LONG_OPEN_DAYS: u32 = 60;

/// The threat words found in a description, in list order.
pub fn threat_words(description: &str) -> Vec<String> {
    THREAT_WORDS
        .iter()
        .filter(|w| description.contains(*w))
        .map(|w| (*w).to_owned())
        .collect()
}

/// The risk signals of a case on `today`. `earlier_party_cases` is how many earlier cases share a
/// party with this one, which the caller finds by the parties' keyed hashes.
pub fn assess_risk(
    facts: &CaseFacts,
    description: &str,
    earlier_party_cases: u32,
    today: Date,
) -> RiskAssessment {
    let mut signals = Vec::new();
    let words = threat_words(description);
    if !words.is_empty() {
        signals.push(RiskSignal::ThreatWords(words));
    }
    if facts.dispute_type == Some(DisputeType::Labour)
        && WAGE_WORDS.iter().any(|w| description.contains(w))
        && let Some(days_to_festival) = spring_festival_ahead(today)
    {
        signals.push(RiskSignal::WageArrearsBeforeFestival { days_to_festival });
    }
    if let Some(head_count) = facts.head_count.filter(|n| *n >= 5) {
        signals.push(RiskSignal::GroupDispute { head_count });
    }
    if facts.failed_mediation() {
        signals.push(RiskSignal::FailedMediation);
    }
    if earlier_party_cases > 0 {
        signals.push(RiskSignal::RepeatParty {
            earlier_cases: earlier_party_cases,
        });
    }
    if facts.repeat_reports >= 2 {
        signals.push(RiskSignal::RepeatedReports {
            reports: facts.repeat_reports,
        });
    }
    if facts.escalations > 0 {
        signals.push(RiskSignal::Escalated {
            times: facts.escalations,
        });
    }
    let days = facts.days_open(today);
    if facts.open && days > LONG_OPEN_DAYS {
        signals.push(RiskSignal::LongOpen { days });
    }
    let score = signals.iter().map(RiskSignal::points).sum();
    let level = match score {
        6.. => Some(Level::Red),
        4..=5 => Some(Level::Orange),
        2..=3 => Some(Level::Yellow),
        _ => None,
    };
    RiskAssessment {
        signals,
        score,
        level,
    }
}
