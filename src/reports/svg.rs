//! Report pictures drawn on the server as SVG: no script, no external service, and they print
//! (dark-on-light colours, text as text, a legend on every picture).

use std::fmt::Write;

use crate::format;
use crate::i18n::Lang;

/// Hanoi's 30 districts (2024 codes) on a hand-made grid that roughly follows the map: north
/// up, the Red River's east bank on the right, the urban core in the middle. (column, row).
pub const HANOI_GRID: &[(&str, u32, u32, &str)] = &[
    ("272", 2, 0, "Phúc Thọ"),
    ("250", 4, 0, "Mê Linh"),
    ("016", 6, 0, "Sóc Sơn"),
    ("269", 1, 1, "Sơn Tây"),
    ("273", 3, 1, "Đan Phượng"),
    ("021", 4, 1, "Bắc Từ Liêm"),
    ("003", 5, 1, "Tây Hồ"),
    ("017", 6, 1, "Đông Anh"),
    ("271", 0, 2, "Ba Vì"),
    ("276", 1, 2, "Thạch Thất"),
    ("274", 2, 2, "Hoài Đức"),
    ("019", 3, 2, "Nam Từ Liêm"),
    ("005", 4, 2, "Cầu Giấy"),
    ("001", 5, 2, "Ba Đình"),
    ("002", 6, 2, "Hoàn Kiếm"),
    ("004", 7, 2, "Long Biên"),
    ("018", 8, 2, "Gia Lâm"),
    ("275", 1, 3, "Quốc Oai"),
    ("268", 3, 3, "Hà Đông"),
    ("009", 4, 3, "Thanh Xuân"),
    ("006", 5, 3, "Đống Đa"),
    ("007", 6, 3, "Hai Bà Trưng"),
    ("277", 2, 4, "Chương Mỹ"),
    ("278", 4, 4, "Thanh Oai"),
    ("008", 5, 4, "Hoàng Mai"),
    ("020", 6, 4, "Thanh Trì"),
    ("282", 2, 5, "Mỹ Đức"),
    ("281", 3, 5, "Ứng Hòa"),
    ("279", 6, 5, "Thường Tín"),
    ("280", 5, 6, "Phú Xuyên"),
];

/// Five steps from pale to dark blue; printable in grey scale too.
const SHADES: [&str; 5] = ["#eef4fb", "#c6dbef", "#6baed6", "#2171b5", "#08306b"];

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn shade(value: f64, max: f64) -> (&'static str, &'static str) {
    if max <= 0.0 || value <= 0.0 {
        return ("#ffffff", "#333333");
    }
    let step = ((value / max) * 4.0).round().clamp(0.0, 4.0) as usize;
    (SHADES[step], if step >= 3 { "#ffffff" } else { "#111111" })
}

/// Tiles labelled with a short name and the value; units not on the grid (another province,
/// the 2025 communes) are laid out in code order on a plain grid instead.
pub fn tile_map(
    units: &[(String, String, f64)],
    title: &str,
    legend_low: &str,
    lang: Lang,
) -> String {
    const W: u32 = 92;
    const H: u32 = 58;
    let max = units.iter().map(|u| u.2).fold(0.0, f64::max);
    let on_grid = units.iter().all(|u| HANOI_GRID.iter().any(|g| g.0 == u.0));
    let place = |i: usize, code: &str| -> (u32, u32) {
        match HANOI_GRID.iter().find(|g| g.0 == code) {
            Some(g) if on_grid => (g.1, g.2),
            _ => ((i % 12) as u32, (i / 12) as u32),
        }
    };
    let (cols, rows) = units
        .iter()
        .enumerate()
        .map(|(i, u)| place(i, &u.0))
        .fold((1, 1), |(c, r), (x, y)| (c.max(x + 1), r.max(y + 1)));
    let (width, height) = (cols * (W + 4) + 8, rows * (H + 4) + 40);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart tilemap\" viewBox=\"0 0 {width} {height}\" \
         role=\"img\" aria-label=\"{0}\"><title>{0}</title>",
        escape(title)
    );
    for (i, (code, name, value)) in units.iter().enumerate() {
        let (x, y) = place(i, code);
        let (px, py) = (4 + x * (W + 4), 4 + y * (H + 4));
        let (fill, ink) = shade(*value, max);
        let short = name
            .trim_start_matches("Quận ")
            .trim_start_matches("Huyện ")
            .trim_start_matches("Thị xã ")
            .trim_start_matches("Phường ")
            .trim_start_matches("Xã ");
        let _ = write!(
            s,
            "<g><title>{name}: {value}</title><rect x=\"{px}\" y=\"{py}\" width=\"{W}\" height=\"{H}\" rx=\"4\" \
             fill=\"{fill}\" stroke=\"#555\" stroke-width=\"0.6\"/>\
             <text x=\"{tx}\" y=\"{ty}\" font-size=\"10\" text-anchor=\"middle\" fill=\"{ink}\">{short}</text>\
             <text x=\"{tx}\" y=\"{vy}\" font-size=\"13\" font-weight=\"bold\" text-anchor=\"middle\" fill=\"{ink}\">{v}</text></g>",
            name = escape(name),
            value = format::compact(*value, lang),
            short = escape(short),
            tx = px + W / 2,
            ty = py + 22,
            vy = py + 42,
            v = format::compact(*value, lang),
        );
    }
    // Legend: the five shades with the values they stand for.
    let ly = height - 28;
    let _ = write!(
        s,
        "<text x=\"4\" y=\"{}\" font-size=\"10\">{}</text>",
        ly + 12,
        escape(legend_low)
    );
    for (i, fill) in SHADES.iter().enumerate() {
        let x = 120 + i as u32 * 70;
        let _ = write!(
            s,
            "<rect x=\"{x}\" y=\"{ly}\" width=\"18\" height=\"14\" fill=\"{fill}\" stroke=\"#555\" stroke-width=\"0.6\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"10\">≈ {}</text>",
            x + 22,
            ly + 11,
            format::compact(max * i as f64 / 4.0, lang)
        );
    }
    s.push_str("</svg>");
    s
}

/// One point of the time axis: its label (`30/11`) and whether the period covers only part
/// of that week (drawn hollow, its label starred, explained by the chart's note).
pub struct Tick {
    pub label: String,
    pub partial: bool,
}

/// Lines over weeks, one per series, with labelled axes, a marker on every point and a legend;
/// `note` (the partial weeks' explanation) is written under the legend when a week is partial.
pub fn lines(
    ticks: &[Tick],
    series: &[(String, Vec<f64>)],
    title: &str,
    note: &str,
    lang: Lang,
) -> String {
    const DASH: [&str; 4] = ["", "6 3", "2 2", "8 2 2 2"];
    const INK: [&str; 4] = ["#08306b", "#d94801", "#238b45", "#6a51a3"];
    let (w, h, left, bottom) = (640.0, 220.0, 48.0, 30.0);
    let max = series
        .iter()
        .flat_map(|s| s.1.iter().copied())
        .fold(0.0, f64::max)
        .max(1.0);
    let n = ticks.len().max(2) as f64 - 1.0;
    // A single week sits in the middle rather than on the axis.
    let x = |i: usize| {
        if ticks.len() == 1 {
            left + (w - left - 10.0) / 2.0
        } else {
            left + (w - left - 10.0) * i as f64 / n
        }
    };
    let y = |v: f64| 10.0 + (h - bottom - 10.0) * (1.0 - v / max);
    let partial = ticks.iter().any(|t| t.partial);
    let legend_h = 20.0 * series.len() as f64 + if partial { 20.0 } else { 0.0 };
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart trend\" viewBox=\"0 0 {w} {vh}\" role=\"img\" \
         aria-label=\"{t}\"><title>{t}</title>",
        t = escape(title),
        vh = h + legend_h
    );
    let _ = write!(
        s,
        "<line x1=\"{left}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#555\"/>\
         <line x1=\"{left}\" y1=\"10\" x2=\"{left}\" y2=\"{0}\" stroke=\"#555\"/>\
         <text x=\"{2}\" y=\"14\" font-size=\"10\" text-anchor=\"end\">{3}</text>\
         <text x=\"{2}\" y=\"{0}\" font-size=\"10\" text-anchor=\"end\">0</text>",
        h - bottom,
        w - 10.0,
        left - 4.0,
        format::compact(max, lang)
    );
    for (i, tick) in ticks.iter().enumerate() {
        if ticks.len() <= 14 || i % 2 == 0 || tick.partial {
            let _ = write!(
                s,
                "<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\">{}{}</text>",
                x(i),
                h - bottom + 14.0,
                escape(&tick.label),
                if tick.partial { "*" } else { "" }
            );
        }
    }
    for (k, (name, values)) in series.iter().enumerate() {
        let ink = INK[k % 4];
        let points: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v)))
            .collect();
        let _ = write!(
            s,
            "<polyline fill=\"none\" stroke=\"{ink}\" stroke-width=\"2\" stroke-dasharray=\"{}\" points=\"{}\"/>",
            DASH[k % 4],
            points.join(" ")
        );
        for (i, v) in values.iter().enumerate() {
            let hollow = ticks.get(i).is_some_and(|t| t.partial);
            let _ = write!(
                s,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{}\" stroke=\"{ink}\" stroke-width=\"1.5\"/>",
                x(i),
                y(*v),
                if hollow { "#ffffff" } else { ink }
            );
        }
        let ly = h + 6.0 + 20.0 * k as f64;
        let _ = write!(
            s,
            "<line x1=\"{left}\" y1=\"{ly}\" x2=\"{}\" y2=\"{ly}\" stroke=\"{ink}\" stroke-width=\"2\" stroke-dasharray=\"{}\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"11\">{}</text>",
            left + 30.0,
            DASH[k % 4],
            left + 36.0,
            ly + 4.0,
            escape(name)
        );
    }
    if partial {
        let _ = write!(
            s,
            "<text class=\"partial-note\" x=\"{left}\" y=\"{}\" font-size=\"11\">* {}</text>",
            h + 10.0 + 20.0 * series.len() as f64,
            escape(note)
        );
    }
    s.push_str("</svg>");
    s
}

/// Horizontal bars, each with its label on its own line above it (long PAPI dimension names
/// are never cut) and its value written at the end of the bar.
pub fn bars(items: &[(String, f64)], title: &str, lang: Lang) -> String {
    const ROW: f64 = 40.0;
    const WIDTH: f64 = 560.0;
    let max = items.iter().map(|i| i.1).fold(0.0, f64::max).max(1.0);
    let h = ROW * items.len() as f64 + 6.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart bars\" viewBox=\"0 0 640 {h}\" role=\"img\" \
         aria-label=\"{0}\"><title>{0}</title>",
        escape(title)
    );
    for (i, (label, value)) in items.iter().enumerate() {
        let y = 4.0 + ROW * i as f64;
        let len = WIDTH * value / max;
        let _ = write!(
            s,
            "<text x=\"4\" y=\"{}\" font-size=\"12\">{}</text>\
             <rect x=\"4\" y=\"{}\" width=\"{len:.1}\" height=\"14\" fill=\"#2171b5\"/>\
             <text x=\"{:.1}\" y=\"{}\" font-size=\"11\">{}</text>",
            y + 12.0,
            escape(label),
            y + 17.0,
            8.0 + len,
            y + 28.0,
            format::compact(*value, lang)
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_places_thirty_districts_on_distinct_tiles() {
        let mut seen = std::collections::HashSet::new();
        for g in HANOI_GRID {
            assert!(seen.insert((g.1, g.2)), "{} overlaps", g.0);
        }
        assert_eq!(HANOI_GRID.len(), 30);
        let svg = tile_map(
            &[("001".into(), "Quận Ba Đình".into(), 1_234_567.0)],
            "x<y",
            "0",
            Lang::Vi,
        );
        assert!(svg.contains("Ba Đình") && svg.contains("x&lt;y"));
        assert!(svg.contains(">1.234.567<"), "{svg}");
        // The legend's steps are written the reader's way too: ≈ 617.283,5 would be wrong.
        assert!(svg.contains("≈ 617.284<"), "{svg}");
    }

    #[test]
    fn long_bar_labels_start_inside_the_picture_and_are_whole() {
        let label = "D2 Công khai, minh bạch trong việc ra quyết định ở địa phương";
        let svg = bars(
            &[(label.into(), 1234.0), ("D4 x".into(), 0.0)],
            "t",
            Lang::Vi,
        );
        // Left-aligned at the picture's edge: nothing is drawn at a negative x and cut off.
        assert!(svg.contains(&format!(
            "<text x=\"4\" y=\"16\" font-size=\"12\">{label}</text>"
        )));
        assert!(!svg.contains("text-anchor=\"end\""));
        assert!(svg.contains(">1.234<"));
    }

    #[test]
    fn the_trend_axis_is_day_first_and_marks_a_partial_week() {
        let ticks = [
            Tick {
                label: "23/11".into(),
                partial: false,
            },
            Tick {
                label: "30/11".into(),
                partial: true,
            },
        ];
        let series = [("Nhấp".to_string(), vec![10_312.0, 4.0])];
        let svg = lines(&ticks, &series, "t", "tuần chưa trọn", Lang::Vi);
        assert!(svg.contains(">23/11<") && svg.contains(">30/11*<"), "{svg}");
        assert!(svg.contains("* tuần chưa trọn"));
        assert!(svg.contains(">10.312<"), "axis maximum grouped: {svg}");
        assert_eq!(
            svg.matches("fill=\"#ffffff\"").count(),
            1,
            "one hollow point"
        );
        let whole = lines(&ticks[..1], &series, "t", "tuần chưa trọn", Lang::Vi);
        assert!(!whole.contains("chưa trọn") && whole.contains("<circle"));
    }
}
