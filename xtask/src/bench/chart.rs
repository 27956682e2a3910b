//! The budget chart: one horizontal bar per goal, as the share of the budget used (1.0 = exactly at the goal).

/// One goal on the chart.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    /// Share of the budget used: ≤ 1 means the goal is met.
    pub used: f64,
    /// The figure and its goal, printed beside the bar.
    pub note: String,
}

pub fn svg(title: &str, bars: &[Bar]) -> String {
    let (w, left, right, row, top) = (980.0, 250.0, 330.0, 34.0, 56.0);
    let plot = w - left - right;
    let max = bars.iter().map(|b| b.used).filter(|u| u.is_finite()).fold(1.5_f64, f64::max) * 1.05;
    let x = |v: f64| left + plot * (v.max(0.0) / max);
    let h = top + row * bars.len() as f64 + 40.0;
    let mut s = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="DejaVu Sans, Arial, sans-serif" font-size="13">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="{left}" y="24" font-size="16" font-weight="bold">{}</text>
<text x="{left}" y="42" fill="#555">share of the budget used (1.0 = the goal; shorter is better)</text>
"##,
        esc(title)
    );
    for t in [0.0, 0.5, 1.0, 1.5, 2.0, 3.0].into_iter().filter(|&t| t <= max) {
        let xt = x(t);
        let (stroke, width) = if t == 1.0 { ("#222", 2.0) } else { ("#ddd", 1.0) };
        s += &format!(
            r##"<line x1="{xt:.1}" y1="{top}" x2="{xt:.1}" y2="{:.1}" stroke="{stroke}" stroke-width="{width}"/>
<text x="{xt:.1}" y="{:.1}" text-anchor="middle" fill="#555">{t}</text>
"##,
            top + row * bars.len() as f64,
            top + row * bars.len() as f64 + 16.0
        );
    }
    for (i, b) in bars.iter().enumerate() {
        let y = top + row * i as f64;
        let met = b.used.is_finite() && b.used <= 1.0;
        let colour = if !b.used.is_finite() {
            "#999"
        } else if met {
            "#2e7d32"
        } else {
            "#c62828"
        };
        let bw = if b.used.is_finite() { x(b.used) - left } else { 0.0 };
        s += &format!(
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>
<rect x="{left}" y="{:.1}" width="{bw:.1}" height="{:.1}" fill="{colour}"/>
<text x="{:.1}" y="{:.1}" fill="#222">{}</text>
"##,
            left - 8.0,
            y + row * 0.62,
            esc(&b.label),
            y + 6.0,
            row - 12.0,
            w - right + 10.0,
            y + row * 0.62,
            esc(&b.note)
        );
    }
    s += "</svg>\n";
    s
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::{Bar, svg};

    #[test]
    fn bars_are_coloured_by_budget_and_text_is_escaped() {
        let out = svg(
            "t<1>",
            &[
                Bar { label: "met".into(), used: 0.8, note: "≤ 1.2×".into() },
                Bar { label: "missed".into(), used: 1.3, note: "a & b".into() },
                Bar { label: "unmeasured".into(), used: f64::NAN, note: "n/a".into() },
            ],
        );
        assert!(out.starts_with("<svg") && out.trim_end().ends_with("</svg>"));
        assert!(out.contains("#2e7d32") && out.contains("#c62828") && out.contains("#999"));
        assert!(out.contains("t&lt;1&gt;") && out.contains("a &amp; b"));
    }
}
