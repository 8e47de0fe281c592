//! Turning complaint text into the features the classifier counts.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use jieba_rs::Jieba;

/// The segmenter with jieba's built-in dictionary, built once on first use (about a tenth of a
/// second) and shared; it is read-only afterwards.
static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// Prefix of a word feature.
pub(crate) const WORD: &str = "w:";
/// Prefix of a character-bigram feature.
pub(crate) const BIGRAM: &str = "b:";

/// Words so common in complaints of every kind that they say nothing about the type.
const STOP_WORDS: &[&str] = &[
    "的", "了", "在", "是", "我", "你", "他", "她", "它", "我们", "你们", "他们", "她们", "也",
    "就", "都", "还", "和", "与", "及", "把", "被", "给", "说", "要", "去", "有", "这", "那",
    "这个", "那个", "一个", "个", "啊", "吧", "呢", "吗", "嘛", "呀", "哦", "着", "过", "又", "再",
    "很", "让", "对", "从", "到", "向", "跟", "但", "但是", "而", "并", "等", "将", "已", "已经",
    "自己", "现在", "因为", "所以", "如果", "可以", "能", "没", "没有", "不", "什么", "怎么",
    "一直", "请", "希望", "帮忙", "帮", "一下", "问题", "情况", "反映", "其", "之", "于", "为",
    "以", "上", "下",
];

/// Whether a character is Chinese, a letter or a digit: anything else separates clauses.
fn is_content(c: char) -> bool {
    c.is_alphanumeric()
}

/// Digits say "how much", not "what kind": every run of them becomes one `0`.
fn normalise(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut in_digits = false;
    for c in word.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('0');
            }
            in_digits = true;
        } else {
            out.extend(c.to_lowercase());
            in_digits = false;
        }
    }
    out
}

/// The distinct features of a text: its jieba words (prefixed `w:`, stop words and punctuation
/// left out) and its character bigrams within clauses (prefixed `b:`). Presence, not frequency,
/// is what counts, so each feature appears once; the result is sorted.
pub fn features(text: &str) -> Vec<String> {
    let text = normalise(text);
    let mut out = BTreeSet::new();
    for token in JIEBA.cut(&text, true) {
        let w = token.word.trim();
        if w.is_empty() || !w.chars().any(is_content) || STOP_WORDS.contains(&w) {
            continue;
        }
        out.insert(format!("{WORD}{w}"));
    }
    for clause in text.split(|c: char| !is_content(c)) {
        let chars: Vec<char> = clause.chars().collect();
        for pair in chars.windows(2) {
            out.insert(format!("{BIGRAM}{}{}", pair[0], pair[1]));
        }
    }
    out.into_iter().collect()
}

/// The human-readable part of a feature: the word or bigram without its prefix.
pub(crate) fn display(feature: &str) -> &str {
    feature
        .strip_prefix(WORD)
        .or_else(|| feature.strip_prefix(BIGRAM))
        .unwrap_or(feature)
}

/// Whether a feature is a word (as opposed to a bigram).
pub(crate) fn is_word(feature: &str) -> bool {
    feature.starts_with(WORD)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_bigrams_without_stop_words_or_punctuation() {
        let f = features("老板拖欠工资3000元！");
        assert!(f.contains(&"w:老板".to_owned()), "{f:?}");
        assert!(f.contains(&"w:拖欠工资".to_owned()), "{f:?}");
        assert!(f.contains(&"b:欠工".to_owned()), "{f:?}");
        assert!(f.contains(&"b:0元".to_owned()), "{f:?}");
        assert!(!f.iter().any(|x| x.contains('！')), "{f:?}");
        let f = features("我的钱");
        assert!(!f.contains(&"w:的".to_owned()), "{f:?}");
    }

    #[test]
    fn bigrams_do_not_cross_punctuation() {
        let f = features("漏水，楼上");
        assert!(!f.contains(&"b:水楼".to_owned()), "{f:?}");
        assert!(f.contains(&"b:漏水".to_owned()), "{f:?}");
    }
}
