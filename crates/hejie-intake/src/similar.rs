//! Near-identical descriptions: a cheap, explainable similarity between two complaint texts, used
//! at intake to spot the same dispute reported twice (一案一码).

use std::collections::HashSet;

/// The character bigrams of a text, ignoring whitespace, punctuation and symbols; letters are
/// compared case-insensitively. A text of a single such character yields that character alone.
fn bigrams(s: &str) -> HashSet<(char, char)> {
    let chars: Vec<char> = s
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    match chars.as_slice() {
        [] => HashSet::new(),
        [c] => HashSet::from([(*c, *c)]),
        _ => chars.windows(2).map(|w| (w[0], w[1])).collect(),
    }
}

/// Jaccard similarity of the two texts' character bigrams, from 0.0 (nothing shared, or either
/// text empty) to 1.0 (the same bigrams).
pub fn similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (bigrams(a), bigrams(b));
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let shared = a.intersection(&b).count();
    shared as f64 / (a.len() + b.len() - shared) as f64
}

/// At or above this [`similarity`] two descriptions count as near-identical.
pub const NEAR_IDENTICAL: f64 = 0.6;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_texts_are_fully_similar_whatever_the_punctuation() {
        let a = "邻居张三在我家门口堆放杂物，堵住通道，多次协商未果。";
        assert!((similarity(a, a) - 1.0).abs() < 1e-9);
        let b = "邻居张三在我家门口堆放杂物 堵住通道 多次协商未果!";
        assert!((similarity(a, b) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn reordered_wording_of_the_same_complaint_is_near_identical() {
        let a = "邻居张三在我家门口堆放杂物，堵住通道，多次协商未果。";
        let b = "多次协商未果，邻居张三在我家门口堆放杂物堵住通道";
        let s = similarity(a, b);
        assert!(s >= NEAR_IDENTICAL, "{s}");
        assert!(s < 1.0, "{s}");
    }

    #[test]
    fn unrelated_texts_are_not_similar() {
        let a = "邻居张三在我家门口堆放杂物，堵住通道，多次协商未果。";
        let b = "公司拖欠三个月工资共计一万二千元，老板拒不支付。";
        assert!(similarity(a, b) < 0.1, "{}", similarity(a, b));
    }

    #[test]
    fn empty_or_punctuation_only_text_is_similar_to_nothing() {
        assert_eq!(similarity("", "邻里纠纷"), 0.0);
        assert_eq!(similarity("，。！", "，。！"), 0.0);
        assert!((similarity("Ab", "aB") - 1.0).abs() < 1e-9);
    }
}
