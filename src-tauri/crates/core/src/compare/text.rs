//! Text normalization and the token-aware name similarity behind every "confere?" in Balcão.
//!
//! Rule (also shown to the clerk, see [`RULE`]): accents, case, punctuation and extra spaces are ignored, and so are
//! the particles DE, DA, DO, DAS, DOS, E. Names are compared word by word (Jaro-Winkler per word, an initial
//! matching the word it abbreviates at 0.9); words of the longer name left unmatched (a missing middle name)
//! cost 0.04 each; if the first names do not match the score is at most 0.75.
//! Thresholds: ≥ [`MATCH_THRESHOLD`] Confere, ≥ [`CLOSE_THRESHOLD`] Parecido, below that Diferente.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// At or above: the names are the same (only accents, case, spacing, punctuation or particles differ).
pub const MATCH_THRESHOLD: f64 = 0.99;
/// At or above: close (a typo, an abbreviated or missing middle name, an added married surname).
pub const CLOSE_THRESHOLD: f64 = 0.85;
/// Two words at or above this Jaro-Winkler are taken as the same word (with a typo).
const WORD_THRESHOLD: f64 = 0.8;
/// Cost of each word of the longer name that matches nothing in the shorter one.
const MISSING_WORD_COST: f64 = 0.04;
/// The most a pair of names whose first words differ can score.
const FIRST_NAME_CAP: f64 = 0.75;

/// The one-line rule shown next to every comparison.
pub const RULE: &str = "Comparação sem acentos, maiúsculas, pontuação e partículas (de, da, dos, e), palavra por palavra: \
Confere = mesmo nome; Parecido = semelhança de 85% ou mais (erro de digitação, nome do meio abreviado ou ausente, \
sobrenome a mais); Diferente = abaixo de 85% ou primeiro nome diferente.";

const PARTICLES: [&str; 7] = ["DE", "DA", "DO", "DAS", "DOS", "E", "D"];

/// Upper case, accents stripped (NFKD without combining marks), apostrophes dropped, other punctuation
/// turned into spaces, runs of spaces collapsed, trimmed.
pub fn normalize_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.nfkd() {
        if is_combining_mark(c) || matches!(c, '\'' | '’' | '‘' | '`' | '´') {
            continue;
        }
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_uppercase());
        } else {
            pending_space = true;
        }
    }
    out
}

/// The words of a name without particles (all of them when the name is only particles).
pub(crate) fn name_words(s: &str) -> Vec<String> {
    let normalized = normalize_text(s);
    let all: Vec<String> = normalized.split(' ').filter(|w| !w.is_empty()).map(str::to_owned).collect();
    let words: Vec<String> = all.iter().filter(|w| !PARTICLES.contains(&w.as_str())).cloned().collect();
    if words.is_empty() { all } else { words }
}

/// Jaro-Winkler similarity of two words (0..1), prefix scale 0.1 over at most four characters.
pub(crate) fn jaro_winkler(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut b_used = vec![false; b.len()];
    let mut a_matched = Vec::with_capacity(a.len());
    for (i, &ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        if let Some(j) = (lo..hi).find(|&j| !b_used[j] && b[j] == ca) {
            b_used[j] = true;
            a_matched.push(ca);
        }
    }
    let m = a_matched.len();
    if m == 0 {
        return 0.0;
    }
    let b_matched = b.iter().zip(&b_used).filter(|(_, used)| **used).map(|(c, _)| *c);
    let transpositions = a_matched.iter().zip(b_matched).filter(|(x, y)| **x != *y).count() / 2;
    let m = m as f64;
    let jaro = (m / a.len() as f64 + m / b.len() as f64 + (m - transpositions as f64) / m) / 3.0;
    let prefix = a.iter().zip(&b).take(4).take_while(|(x, y)| x == y).count() as f64;
    jaro + prefix * 0.1 * (1.0 - jaro)
}

/// Similarity of two normalized words: equal 1, an initial against the word it abbreviates 0.9, else Jaro-Winkler.
fn word_similarity(a: &str, b: &str) -> f64 {
    if a == b {
        return 1.0;
    }
    let initial = |x: &str, y: &str| x.chars().count() == 1 && y.starts_with(x);
    if initial(a, b) || initial(b, a) {
        return 0.9;
    }
    if a.chars().count() == 1 || b.chars().count() == 1 {
        return 0.0;
    }
    jaro_winkler(a, b)
}

/// Token-aware similarity of two names or texts, 0..1 (see the module doc for the rule). Symmetric.
pub fn similarity(a: &str, b: &str) -> f64 {
    let (wa, wb) = (name_words(a), name_words(b));
    if wa.is_empty() || wb.is_empty() {
        return if wa.is_empty() && wb.is_empty() { 1.0 } else { 0.0 };
    }
    if wa == wb {
        return 1.0;
    }
    let (short, long) = if wa.len() <= wb.len() { (&wa, &wb) } else { (&wb, &wa) };
    // Greedy one-to-one assignment, best pairs first (names are a handful of words).
    let mut pairs: Vec<(f64, usize, usize)> = Vec::with_capacity(short.len() * long.len());
    for (i, x) in short.iter().enumerate() {
        for (j, y) in long.iter().enumerate() {
            let s = word_similarity(x, y);
            if s >= WORD_THRESHOLD {
                pairs.push((s, i, j));
            }
        }
    }
    pairs.sort_by(|p, q| q.0.total_cmp(&p.0).then(p.1.cmp(&q.1)).then(p.2.cmp(&q.2)));
    let (mut short_used, mut long_used) = (vec![false; short.len()], vec![false; long.len()]);
    let mut sum = 0.0;
    for (s, i, j) in pairs {
        if !short_used[i] && !long_used[j] {
            short_used[i] = true;
            long_used[j] = true;
            sum += s;
        }
    }
    let unmatched_long = long_used.iter().filter(|u| !**u).count() as f64;
    let mut score = sum / short.len() as f64 - MISSING_WORD_COST * unmatched_long;
    if word_similarity(&wa[0], &wb[0]) < WORD_THRESHOLD {
        score = score.min(FIRST_NAME_CAP);
    }
    score.clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization() {
        assert_eq!(normalize_text("  José   d'Ávila-Sant’Anna, Jr. "), "JOSE DAVILA SANTANNA JR");
        assert_eq!(normalize_text("ＭＡＲＩＡ\u{A0}da  Conceição"), "MARIA DA CONCEICAO");
        assert_eq!(normalize_text("..."), "");
    }

    #[test]
    fn jaro_winkler_reference_values() {
        // Classic values from Winkler's paper.
        assert!((jaro_winkler("MARTHA", "MARHTA") - 0.961).abs() < 0.001);
        assert!((jaro_winkler("DWAYNE", "DUANE") - 0.84).abs() < 0.001);
        assert!((jaro_winkler("DIXON", "DICKSONX") - 0.813).abs() < 0.001);
        assert_eq!(jaro_winkler("ABC", "XYZ"), 0.0);
    }

    fn level(a: &str, b: &str) -> &'static str {
        let s = similarity(a, b);
        assert!((s - similarity(b, a)).abs() < 1e-12, "not symmetric: {a} / {b}");
        if s >= MATCH_THRESHOLD {
            "match"
        } else if s >= CLOSE_THRESHOLD {
            "close"
        } else {
            "different"
        }
    }

    #[test]
    fn names() {
        assert_eq!(level("Maria da Conceição Silva", "MARIA CONCEICAO SILVA"), "match");
        assert_eq!(level("maria  conceição\tsilva", "MARIA CONCEICAO SILVA"), "match");
        assert_eq!(level("Maria Aparecida da Silva", "Maria da Silva"), "close");
        assert_eq!(level("Maria A. Silva", "Maria Aparecida Silva"), "close");
        assert_eq!(level("José da Sylva", "JOSE DA SILVA"), "close");
        assert_eq!(level("Marai Silva", "Maria Silva"), "close");
        assert_eq!(level("Maria Silva", "Maria Silva Santos"), "close");
        assert_eq!(level("João Silva", "José Silva"), "different");
        assert_eq!(level("Maria Silva", "Maria Souza"), "different");
        assert_eq!(level("Joana Souza Santos", "Ana Maria Souza Santos"), "different");
        assert_eq!(level("Silva Maria", "Maria Silva"), "different");
        assert_eq!(level("", "Maria"), "different");
        assert_eq!(similarity("", " . "), 1.0);
    }
}
