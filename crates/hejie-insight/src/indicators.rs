//! The indicators the leaders read (两上升、三下降、四提高), each with its published formula.
//!
//! Every indicator is computed from [`Totals`] (sums of the aggregate cells of a period and a
//! place) and a [`Context`] of figures that do not come from the case log: the population, the
//! court's first-instance civil and commercial filings and its judicial confirmations, imported per
//! division and month, and the point-in-time counts of open and overdue cases. The formulas below
//! are the ones shown on the page; `docs/indicators.md` lists them with the same words.
//!
//! Decisions:
//!
//! - A rate whose denominator is 0 has no value (`None`, shown as "—"), never 0% or 100%.
//! - 调解成功率 = 调解成功 ÷ 调解终结 (调解成功 + 调解不成); withdrawn and referred cases are
//!   not mediation outcomes.
//! - 就地化解率 = cases resolved without any escalation (上报) ÷ cases resolved (调解成功).
//! - 预防 = cases found in a sweep (排查发现) and resolved without escalation.
//! - 满意度 counts 满意 and 基本满意 as satisfied.
//! - 履行率 is per agreement: agreements whose checked obligations were all performed ÷ agreements
//!   with at least one obligation checked.
//! - 司法确认率 = judicial confirmations imported from the court ÷ cases mediated successfully; the
//!   case log records no judicial confirmation of its own.
//! - Average days to close is the mean of whole days rounded up; the 90th percentile is the
//!   smallest whole number of days within which at least 90% of the concluded cases closed (181
//!   means 181 days or more).
//! - 万人成讼率 and 纠纷发生率 are per 10,000 residents of the division.
//! - 超期率 is a point-in-time figure (open cases past a limit ÷ open cases now), not a sum over
//!   days, so it takes its two counts from the caller; see [`overdue_rate`].

use crate::aggregate::{Metric, Totals};

/// The result of one indicator: its numerator, its denominator and the value, if defined.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figure {
    pub numerator: i64,
    pub denominator: i64,
    /// A fraction for rates, days for durations, a count for counts, per 10,000 for incidence;
    /// `None` when the denominator is 0.
    pub value: Option<f64>,
}

impl Figure {
    /// A plain count: its own numerator over 1.
    pub fn count(n: i64) -> Self {
        Self {
            numerator: n,
            denominator: 1,
            value: Some(n as f64),
        }
    }

    /// `numerator / denominator × scale`, undefined over 0.
    pub fn ratio(numerator: i64, denominator: i64, scale: f64) -> Self {
        Self {
            numerator,
            denominator,
            value: (denominator != 0).then(|| numerator as f64 / denominator as f64 * scale),
        }
    }
}

/// What an indicator's value is measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    /// A fraction shown as a percentage.
    Percent,
    Days,
    PerTenThousand,
}

/// Figures from outside the case log, for the place and period being computed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Context {
    /// Resident population of the division (常住人口).
    pub population: i64,
    /// First-instance civil and commercial filings (一审民商事案件受理数), imported from the court.
    pub litigation: i64,
    /// Mediation agreements judicially confirmed (司法确认), imported from the court.
    pub judicial_confirmations: i64,
    /// Open cases now (在办案件).
    pub open: i64,
    /// Open cases now past any of their time limits (超期在办案件).
    pub overdue: i64,
}

/// 超期率: open cases past their time limit ÷ open cases, at one instant.
pub fn overdue_rate(open: i64, overdue: i64) -> Figure {
    Figure::ratio(overdue, open, 1.0)
}

macro_rules! indicators {
    ($($variant:ident = $code:literal, $label:literal, $unit:ident, $num:literal, $den:literal;)+) => {
        /// An indicator on the leaders' page.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Indicator {
            $($variant,)+
        }

        impl Indicator {
            pub const ALL: &'static [Indicator] = &[$(Indicator::$variant,)+];

            /// Stable code for APIs and storage.
            pub fn code(self) -> &'static str {
                match self { $(Indicator::$variant => $code,)+ }
            }

            /// The name on the page.
            pub fn label(self) -> &'static str {
                match self { $(Indicator::$variant => $label,)+ }
            }

            pub fn unit(self) -> Unit {
                match self { $(Indicator::$variant => Unit::$unit,)+ }
            }

            /// What the numerator counts, in words.
            pub fn numerator_label(self) -> &'static str {
                match self { $(Indicator::$variant => $num,)+ }
            }

            /// What the denominator counts, in words (empty for counts).
            pub fn denominator_label(self) -> &'static str {
                match self { $(Indicator::$variant => $den,)+ }
            }
        }
    };
}

indicators! {
    Registered = "registered", "纠纷受理数", Count, "登记的矛盾纠纷件数", "";
    SweepFound = "sweep_found", "排查数", Count, "排查发现登记的矛盾纠纷件数", "";
    Prevented = "prevented", "预防数", Count, "排查发现且未上报即在发生地化解的纠纷件数", "";
    Mediated = "mediated", "调解数", Count, "调解终结（调解成功与调解不成）件数", "";
    Succeeded = "succeeded", "调成数", Count, "调解成功件数", "";
    Petitions = "petitions", "信访量", Count, "经信访渠道登记及再次反映的件次", "";
    MediationSuccessRate = "mediation_success_rate", "调解成功率", Percent,
        "调解成功件数", "调解终结件数（调解成功＋调解不成）";
    CivilSuccessRate = "civil_success_rate", "民商事调解成功率", Percent,
        "民商事纠纷调解成功件数", "民商事纠纷调解终结件数";
    LocalResolutionRate = "local_resolution_rate", "就地化解率", Percent,
        "未经上报即化解的纠纷件数", "化解（调解成功）的纠纷件数";
    FollowUpRate = "follow_up_rate", "回访率", Percent, "已回访的结案件数", "结案件数";
    MajorFollowUpRate = "major_follow_up_rate", "重大纠纷回访率", Percent,
        "已回访的重大纠纷结案件数", "重大纠纷结案件数";
    OverdueRate = "overdue_rate", "超期率", Percent, "超期在办案件数", "在办案件数";
    AverageDaysToClose = "average_days_to_close", "平均办结天数", Days,
        "结案案件办理天数之和（按整日向上取整）", "结案件数";
    P90DaysToClose = "p90_days_to_close", "90%案件办结天数", Days,
        "至少90%的结案案件在此天数内办结（按整日向上取整）", "结案件数";
    SatisfactionRate = "satisfaction_rate", "满意度", Percent,
        "评价为满意或基本满意的结案件数", "有评价的结案件数";
    PerformanceRate = "performance_rate", "履行率", Percent,
        "已检查义务均已履行的调解协议数", "已进行履行检查的调解协议数";
    JudicialConfirmationRate = "judicial_confirmation_rate", "司法确认率", Percent,
        "经法院司法确认的调解协议数（法院导入）", "调解成功件数";
    LitigationPerTenThousand = "litigation_per_10k", "万人成讼率", PerTenThousand,
        "一审民商事案件受理数（法院导入）", "常住人口数";
    IncidencePerTenThousand = "incidence_per_10k", "纠纷发生率", PerTenThousand,
        "登记的矛盾纠纷件数", "常住人口数";
}

impl Indicator {
    /// The formula as the page shows it.
    pub fn formula(self) -> String {
        let (num, den) = (self.numerator_label(), self.denominator_label());
        match self.unit() {
            Unit::Count => num.to_owned(),
            Unit::Percent => format!("{num} ÷ {den} × 100%"),
            Unit::Days if self == Indicator::P90DaysToClose => num.to_owned(),
            Unit::Days => format!("{num} ÷ {den}"),
            Unit::PerTenThousand => format!("{num} ÷ {den} × 10000"),
        }
    }

    /// The indicator over the given sums and outside figures.
    pub fn compute(self, t: &Totals, ctx: &Context) -> Figure {
        let rate = |n: Metric, d: Metric| Figure::ratio(t.get(n), t.get(d), 1.0);
        match self {
            Indicator::Registered => Figure::count(t.get(Metric::Registered)),
            Indicator::SweepFound => Figure::count(t.get(Metric::FoundBySweep)),
            Indicator::Prevented => Figure::count(t.get(Metric::Prevented)),
            Indicator::Mediated => Figure::count(t.get(Metric::Mediated)),
            Indicator::Succeeded => Figure::count(t.get(Metric::Succeeded)),
            Indicator::Petitions => Figure::count(t.get(Metric::Petitions)),
            Indicator::MediationSuccessRate => rate(Metric::Succeeded, Metric::Mediated),
            Indicator::CivilSuccessRate => rate(Metric::CivilSucceeded, Metric::CivilMediated),
            Indicator::LocalResolutionRate => rate(Metric::ResolvedLocally, Metric::Resolved),
            Indicator::FollowUpRate => rate(Metric::FollowedUp, Metric::Closed),
            Indicator::MajorFollowUpRate => rate(Metric::MajorFollowedUp, Metric::MajorClosed),
            Indicator::OverdueRate => overdue_rate(ctx.open, ctx.overdue),
            Indicator::AverageDaysToClose => rate(Metric::CloseDaysSum, Metric::Closed),
            Indicator::P90DaysToClose => {
                let closed = t.get(Metric::Closed);
                match t.close_days_percentile(90) {
                    Some(d) if closed > 0 => Figure {
                        numerator: i64::from(d),
                        denominator: closed,
                        value: Some(f64::from(d)),
                    },
                    _ => Figure {
                        numerator: 0,
                        denominator: closed,
                        value: None,
                    },
                }
            }
            Indicator::SatisfactionRate => rate(Metric::Satisfied, Metric::Ratings),
            Indicator::PerformanceRate => rate(Metric::AgreementsPerformed, Metric::AgreementsDue),
            Indicator::JudicialConfirmationRate => {
                Figure::ratio(ctx.judicial_confirmations, t.get(Metric::Succeeded), 1.0)
            }
            Indicator::LitigationPerTenThousand => {
                Figure::ratio(ctx.litigation, ctx.population, 10_000.0)
            }
            Indicator::IncidencePerTenThousand => {
                Figure::ratio(t.get(Metric::Registered), ctx.population, 10_000.0)
            }
        }
    }

    /// The value as the page shows it: "97.0%", "12.5天", "3.20", "532", or "—".
    pub fn display(self, f: &Figure) -> String {
        let Some(v) = f.value else {
            return "—".to_owned();
        };
        match self.unit() {
            Unit::Count => format!("{}", f.numerator),
            Unit::Percent => format!("{:.1}%", v * 100.0),
            Unit::Days => format!("{v:.1}天"),
            Unit::PerTenThousand => format!("{v:.2}"),
        }
    }
}
