//! Risk and triage hints at intake: words and figures that signal escalation, and the severity
//! and track they suggest. Every hint carries a reason the clerk can read and override.

use hejie_domain::case::{Severity, Track};
use serde::Serialize;

/// What kind of escalation risk a flag signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskKind {
    /// Threats of self-harm or violence (扬言极端行为).
    ExtremeThreat,
    /// Gathering crowds, blocking roads, banners (聚集、堵路、拉横幅).
    Gathering,
    /// Wage arrears close to the Spring Festival (节前欠薪).
    HolidayWageArrears,
    /// Petitions to higher levels (越级上访).
    Petition,
    /// The party has come about this matter before (重复来访).
    RepeatVisits,
    /// Many people on one side (群体性纠纷).
    GroupDispute,
    /// A large sum is at stake (涉案金额较大).
    LargeAmount,
}

impl RiskKind {
    /// The term the clerk reads.
    pub fn label(self) -> &'static str {
        match self {
            RiskKind::ExtremeThreat => "扬言极端行为",
            RiskKind::Gathering => "聚集堵路",
            RiskKind::HolidayWageArrears => "节前欠薪",
            RiskKind::Petition => "越级上访",
            RiskKind::RepeatVisits => "重复来访",
            RiskKind::GroupDispute => "群体性纠纷",
            RiskKind::LargeAmount => "涉案金额较大",
        }
    }
}

/// One reason for concern found at intake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RiskFlag {
    pub kind: RiskKind,
    /// What triggered the flag: the words of the text, or the figure given.
    pub evidence: String,
    /// Why it matters, in Chinese, for the clerk.
    pub reason_zh: String,
}

/// The risk hints for one complaint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assessment {
    pub flags: Vec<RiskFlag>,
    pub suggested_severity: Severity,
    /// Never 门诊 when the suggested severity is 重大.
    pub suggested_track: Track,
    /// Everything the clerk should read, in Chinese: one line per flag, then the suggestion.
    pub reasons: Vec<String>,
}

impl Assessment {
    /// Whether a flag of this kind was raised.
    pub fn has(&self, kind: RiskKind) -> bool {
        self.flags.iter().any(|f| f.kind == kind)
    }
}

/// From this many people on one side a dispute is a group dispute (群体性纠纷).
pub const GROUP_HEAD_COUNT: u32 = 5;
/// From this many people a group dispute is major.
pub const MAJOR_HEAD_COUNT: u32 = 30;
/// From this amount (100,000 yuan, in fen) a dispute is significant.
pub const LARGE_AMOUNT_FEN: i64 = 10_000_000;
/// From this amount (1,000,000 yuan, in fen) a dispute is major.
pub const MAJOR_AMOUNT_FEN: i64 = 100_000_000;
/// From this many earlier visits about the same matter, a visit is a repeat visit.
pub const REPEAT_VISITS: u32 = 2;

const EXTREME_THREATS: &[&str] = &[
    "同归于尽",
    "跳楼",
    "跳河",
    "跳江",
    "跳桥",
    "喝农药",
    "喝药",
    "服毒",
    "上吊",
    "自杀",
    "自焚",
    "不想活",
    "活不下去",
    "寻死",
    "死给",
    "以死相逼",
    "拿刀",
    "带刀",
    "动刀",
    "砍死",
    "砍人",
    "捅死",
    "弄死",
    "杀了",
    "杀人",
    "炸了",
    "放火",
    "点火烧",
    "烧了他",
    "拼了",
    "血溅",
    "要他的命",
    "要他命",
    "让他偿命",
];

const GATHERING: &[&str] = &[
    "聚集",
    "聚众",
    "堵路",
    "堵门",
    "堵大门",
    "堵住大门",
    "封路",
    "拦路",
    "拦车",
    "拉横幅",
    "打横幅",
    "挂横幅",
    "举牌",
    "静坐",
    "围堵",
    "围攻",
    "冲击政府",
    "打砸",
    "集体去",
    "一起去堵",
];

const PETITION: &[&str] = &[
    "上访",
    "去北京",
    "到北京",
    "进京",
    "上北京",
    "去省里",
    "到省里",
    "省里告",
    "告到省",
    "去省城",
    "到省城",
    "找省",
    "告到市里",
    "去市里告",
    "找市领导",
    "越级",
    "告到中央",
    "找中央",
    "信访局",
    "信访办",
    "国务院",
];

const WAGE_WORDS: &[&str] = &[
    "欠薪",
    "讨薪",
    "工资",
    "工钱",
    "薪水",
    "血汗钱",
    "劳务费",
    "人工费",
    "辛苦钱",
];

const WAGE_PAID: &[&str] = &[
    "已结清",
    "已经结清",
    "已付清",
    "已经付清",
    "已发放",
    "已经发放",
    "都发了",
    "已经发了",
    "全部结清",
    "已到账",
];

const HOLIDAY_WORDS: &[&str] = &["过年", "春节", "年底", "年关", "腊月", "年前", "回家过年"];

const REPEAT_WORDS: &[&str] = &[
    "多次来访",
    "多次反映",
    "反复反映",
    "反复来访",
    "多次找",
    "跑了好几趟",
    "来了好几次",
    "来过好几次",
    "跑了无数趟",
    "第三次来",
    "第四次来",
    "第五次来",
    "又来了",
    "屡次",
];

const GROUP_WORDS: &[&str] = &[
    "全村",
    "全组",
    "全体村民",
    "全体业主",
    "全体工人",
    "集体",
    "几十户",
    "几十个",
    "几十名",
    "上百",
    "数十",
    "一百多",
    "好几十",
];

/// Words that cancel a threat, gathering or petition when they come right before it.
const NEGATORS: &[&str] = &[
    "不会",
    "不再",
    "不想",
    "不要",
    "不打算",
    "不准备",
    "没有",
    "从没",
    "从未",
    "并未",
    "并没",
    "没",
    "未",
    "不",
    "别",
    "无",
    "勿",
];

/// Words that may stand between a negator and what it negates: 不会**去**上访, 没**说要**跳楼.
const FILLERS: &[&str] = &[
    "去", "再", "要", "想", "说", "说过", "有", "过", "扬言", "打算", "组织", "人",
];

/// Whether the text just before a match negates it.
fn negated(before: &str) -> bool {
    // Only the current clause counts.
    let clause = before
        .rsplit(|c: char| "，。！？；,.!?;\n".contains(c))
        .next()
        .unwrap_or(before);
    let mut rest = clause;
    loop {
        if NEGATORS.iter().any(|n| rest.ends_with(n)) {
            return true;
        }
        match FILLERS.iter().find(|f| rest.ends_with(*f)) {
            Some(f) => rest = &rest[..rest.len() - f.len()],
            None => return false,
        }
    }
}

/// The first word of `words` that occurs in `text` and is not negated.
fn find_affirmed<'a>(text: &str, words: &[&'a str]) -> Option<&'a str> {
    let mut hits: Vec<(usize, &str)> = Vec::new();
    for w in words {
        for (at, _) in text.match_indices(w) {
            if !negated(&text[..at]) {
                hits.push((at, w));
            }
        }
    }
    hits.sort_unstable();
    hits.first().map(|&(_, w)| w)
}

/// The first word of `words` that occurs in `text`, negated or not.
fn find_any<'a>(text: &str, words: &[&'a str]) -> Option<&'a str> {
    words
        .iter()
        .filter_map(|w| text.find(w).map(|at| (at, *w)))
        .min()
        .map(|(_, w)| w)
}

/// The value of a small Chinese numeral such as 十二, 三十, 两百, 二十几 (20) or 几十 (taken as 20).
fn chinese_number(s: &str) -> Option<u32> {
    let digit = |c: char| -> Option<u32> {
        Some(match c {
            '一' => 1,
            '二' | '两' => 2,
            '三' => 3,
            '四' => 4,
            '五' => 5,
            '六' => 6,
            '七' => 7,
            '八' => 8,
            '九' => 9,
            '几' | '数' => 2,
            _ => return None,
        })
    };
    let (mut total, mut pending) = (0u32, None::<u32>);
    // A trailing 几 is vague ("二十几" is "twenty-odd") and adds nothing.
    let s = s.strip_suffix('几').filter(|r| !r.is_empty()).unwrap_or(s);
    for c in s.chars() {
        match c {
            '十' => {
                total += pending.unwrap_or(1) * 10;
                pending = None;
            }
            '百' => {
                total += pending.unwrap_or(1) * 100;
                pending = None;
            }
            '千' => {
                total += pending.unwrap_or(1) * 1000;
                pending = None;
            }
            _ => pending = Some(digit(c)?),
        }
    }
    let n = total + pending.unwrap_or(0);
    (n > 0).then_some(n)
}

/// The largest head count stated in the text, as in "30多名工人", "二十几户", "十几个人".
fn head_count_in(text: &str) -> Option<(u32, String)> {
    const UNITS: &[char] = &['人', '名', '户', '位', '家', '个'];
    const NUMERALS: &str = "0123456789一二两三四五六七八九十百千几数";
    let chars: Vec<char> = text.chars().collect();
    let mut best: Option<(u32, String)> = None;
    let mut i = 0;
    while i < chars.len() {
        if !NUMERALS.contains(chars[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && NUMERALS.contains(chars[i]) {
            i += 1;
        }
        let number: String = chars[start..i].iter().collect();
        let mut j = i;
        while j < chars.len() && "多余来几".contains(chars[j]) {
            j += 1;
        }
        if j < chars.len() && UNITS.contains(&chars[j]) {
            // "个" counts people only when people follow: 十几个工人, not 三个月.
            let person_follows = chars[j] != '个'
                || chars[j + 1..]
                    .iter()
                    .take(2)
                    .any(|c| "人工户村业员".contains(*c));
            let value = number
                .parse::<u32>()
                .ok()
                .or_else(|| chinese_number(&number));
            if let (true, Some(n)) = (person_follows, value) {
                let evidence: String = chars[start..=j].iter().collect();
                if best.as_ref().is_none_or(|(b, _)| n > *b) {
                    best = Some((n, evidence));
                }
            }
        }
        i = j.max(i);
    }
    best
}

/// The largest sum of money stated in the text, in fen: "12万", "3.5万元", "8000元", "两万块".
fn amount_in(text: &str) -> Option<(i64, String)> {
    let chars: Vec<char> = text.chars().collect();
    let mut best: Option<(i64, String)> = None;
    let mut i = 0;
    while i < chars.len() {
        if !(chars[i].is_ascii_digit() || "一二两三四五六七八九十百千几".contains(chars[i]))
        {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len()
            && (chars[i].is_ascii_digit()
                || chars[i] == '.'
                || "一二两三四五六七八九十百千几".contains(chars[i]))
        {
            i += 1;
        }
        let number: String = chars[start..i].iter().collect();
        let mut j = i;
        while j < chars.len() && "多余".contains(chars[j]) {
            j += 1;
        }
        let (scale, len) = match chars.get(j) {
            Some('万') => (
                10_000.0,
                1 + usize::from(matches!(chars.get(j + 1), Some('元' | '块'))),
            ),
            Some('亿') => (100_000_000.0, 1),
            Some('元' | '块') => (1.0, 1),
            _ => continue,
        };
        let value = number
            .parse::<f64>()
            .ok()
            .or_else(|| chinese_number(&number).map(f64::from));
        if let Some(v) = value {
            // Rounded to whole fen; amounts in complaints are far below i64's range.
            let fen = (v * scale * 100.0).round() as i64;
            let evidence: String = chars[start..j + len].iter().collect();
            if best.as_ref().is_none_or(|(b, _)| fen > *b) {
                best = Some((fen, evidence));
            }
        }
        i = j + len;
    }
    best
}

/// Yuan, for reasons: "12.5万元" or "8000元".
fn yuan(fen: i64) -> String {
    let yuan = fen as f64 / 100.0;
    if yuan >= 10_000.0 {
        format!("{}万元", (yuan / 100.0).round() / 100.0)
    } else {
        format!("{}元", yuan.round())
    }
}

/// Assesses a complaint at intake.
///
/// `head_count` is the number of people on the complaining side as registered (if known);
/// `amount_fen` the sum in dispute as registered (if not given, the largest sum stated in the
/// text is used); `month` the current calendar month in China Standard Time (1–12);
/// `repeat_visits` how many times the party has come about this matter before.
pub fn assess(
    text: &str,
    head_count: Option<u32>,
    amount_fen: Option<i64>,
    month: u8,
    repeat_visits: u32,
) -> Assessment {
    let mut flags = Vec::new();
    let mut flag = |kind, evidence: String, reason_zh: String| {
        flags.push(RiskFlag {
            kind,
            evidence,
            reason_zh,
        });
    };

    if let Some(w) = find_affirmed(text, EXTREME_THREATS) {
        flag(
            RiskKind::ExtremeThreat,
            w.to_owned(),
            format!(
                "当事人有“{w}”等扬言极端行为的表述，存在人身安全风险，应立即稳控并做好安全防范"
            ),
        );
    }
    if let Some(w) = find_affirmed(text, GATHERING) {
        flag(
            RiskKind::Gathering,
            w.to_owned(),
            format!("出现“{w}”等聚集或过激行为苗头，可能引发群体性事件，需提前介入、现场稳控"),
        );
    }
    if let Some(w) = find_affirmed(text, PETITION) {
        flag(
            RiskKind::Petition,
            w.to_owned(),
            format!("当事人提到“{w}”，有越级上访或到上级反映的倾向，应就地化解、防止矛盾上交"),
        );
    }
    if let Some(wage) = find_any(text, WAGE_WORDS) {
        let paid = find_any(text, WAGE_PAID);
        let holiday_month = matches!(month, 12 | 1 | 2);
        let holiday_word = find_any(text, HOLIDAY_WORDS);
        if paid.is_none() && (holiday_month || holiday_word.is_some()) {
            let when = match holiday_word {
                Some(h) => format!("文中提到“{h}”"),
                None => format!("当前为{month}月，临近春节"),
            };
            flag(
                RiskKind::HolidayWageArrears,
                wage.to_owned(),
                format!("涉及“{wage}”，{when}；节前欠薪易引发讨薪聚集，应优先处理、协调人社部门"),
            );
        }
    }
    let repeat_word = find_affirmed(text, REPEAT_WORDS);
    if repeat_visits >= REPEAT_VISITS {
        flag(
            RiskKind::RepeatVisits,
            format!("此前来访{repeat_visits}次"),
            format!("当事人已就此事来访{repeat_visits}次，诉求长期未解决，情绪可能升级"),
        );
    } else if let Some(w) = repeat_word {
        flag(
            RiskKind::RepeatVisits,
            w.to_owned(),
            format!("文中提到“{w}”，当事人曾多次反映，诉求长期未解决，情绪可能升级"),
        );
    }
    let stated = head_count_in(text);
    let people = match (head_count, &stated) {
        (Some(n), _) if n >= GROUP_HEAD_COUNT => Some((n, format!("登记人数{n}人"))),
        (_, Some((n, e))) if *n >= GROUP_HEAD_COUNT => Some((*n, e.clone())),
        _ => None,
    };
    let group_word = find_any(text, GROUP_WORDS);
    let mut head = 0;
    if let Some((n, evidence)) = people {
        head = n;
        flag(
            RiskKind::GroupDispute,
            evidence,
            format!("涉及约{n}人，属群体性纠纷，需多方协同处置"),
        );
    } else if let Some(w) = group_word {
        flag(
            RiskKind::GroupDispute,
            w.to_owned(),
            format!("文中提到“{w}”，涉及人数较多，可能是群体性纠纷，请核实人数"),
        );
    }
    let amount = match amount_fen {
        Some(fen) => Some((fen, format!("登记金额{}", yuan(fen)))),
        None => amount_in(text),
    };
    let mut large_amount = 0;
    if let Some((fen, evidence)) = amount
        && fen >= LARGE_AMOUNT_FEN
    {
        large_amount = fen;
        flag(
            RiskKind::LargeAmount,
            evidence,
            format!(
                "涉案金额约{}，标的较大，建议引入法律顾问或专业调解",
                yuan(fen)
            ),
        );
    }

    let (severity, severity_reason) = severity(&flags, head, large_amount);
    let (track, track_reason) = track(severity, &flags);
    let mut reasons: Vec<String> = flags.iter().map(|f| f.reason_zh.clone()).collect();
    reasons.push(severity_reason);
    reasons.push(track_reason);
    Assessment {
        flags,
        suggested_severity: severity,
        suggested_track: track,
        reasons,
    }
}

/// The suggested severity and why.
fn severity(flags: &[RiskFlag], head: u32, amount: i64) -> (Severity, String) {
    let has = |k| flags.iter().any(|f| f.kind == k);
    if has(RiskKind::ExtremeThreat) {
        return (Severity::Major, "有扬言极端行为，建议定为重大".to_owned());
    }
    if has(RiskKind::Gathering) {
        return (
            Severity::Major,
            "有聚集、堵路等行为苗头，建议定为重大".to_owned(),
        );
    }
    if head >= MAJOR_HEAD_COUNT {
        return (
            Severity::Major,
            format!("涉及{head}人以上（≥{MAJOR_HEAD_COUNT}人），建议定为重大"),
        );
    }
    if amount >= MAJOR_AMOUNT_FEN {
        return (
            Severity::Major,
            format!("涉案金额{}，达到一百万元，建议定为重大", yuan(amount)),
        );
    }
    let kinds: Vec<&str> = flags.iter().map(|f| f.kind.label()).collect();
    match kinds.len() {
        0 => (
            Severity::Ordinary,
            "未发现风险因素，建议定为一般".to_owned(),
        ),
        1 => (
            Severity::Significant,
            format!("存在“{}”风险，建议定为较大", kinds[0]),
        ),
        _ => (
            Severity::Major,
            format!("“{}”多项风险叠加，建议定为重大", kinds.join("”“")),
        ),
    }
}

/// The suggested track and why. 重大 never goes to 门诊.
fn track(severity: Severity, flags: &[RiskFlag]) -> (Track, String) {
    let has = |k| flags.iter().any(|f| f.kind == k);
    let volatile =
        has(RiskKind::ExtremeThreat) || has(RiskKind::Gathering) || has(RiskKind::Petition);
    match severity {
        Severity::Major if volatile => (
            Track::Emergency,
            "情绪激烈、可能随时升级，建议走急诊：快速响应，由司法总顾问统筹".to_owned(),
        ),
        Severity::Major => (
            Track::Consultation,
            "案情重大、涉及面广，建议走会诊：多部门、专家联合处置".to_owned(),
        ),
        Severity::Significant if has(RiskKind::GroupDispute) => (
            Track::Consultation,
            "群体性纠纷需多部门协同，建议走会诊".to_owned(),
        ),
        _ => (
            Track::Clinic,
            "建议走门诊：由承办调解员按常规程序办理".to_owned(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negation_looks_back_over_fillers_within_the_clause() {
        assert!(negated("我不会去"));
        assert!(negated("他没说要"));
        assert!(negated("并未"));
        assert!(!negated("再不解决我就"));
        assert!(!negated("没人管，我就"));
    }

    #[test]
    fn numbers_in_text() {
        assert_eq!(chinese_number("三十五"), Some(35));
        assert_eq!(chinese_number("十二"), Some(12));
        assert_eq!(chinese_number("两百"), Some(200));
        assert_eq!(chinese_number("几十"), Some(20));
        assert_eq!(head_count_in("30多名工人").map(|x| x.0), Some(30));
        assert_eq!(head_count_in("二十几户村民").map(|x| x.0), Some(20));
        assert_eq!(head_count_in("十几个工人").map(|x| x.0), Some(10));
        assert_eq!(head_count_in("欠了三个月"), None);
        assert_eq!(amount_in("欠款12.5万元").map(|x| x.0), Some(12_500_000));
        assert_eq!(amount_in("赔了两万块").map(|x| x.0), Some(2_000_000));
        assert_eq!(amount_in("8000元和300元").map(|x| x.0), Some(800_000));
        assert_eq!(amount_in("三个月"), None);
    }
}
