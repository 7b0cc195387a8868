//! Bar charts drawn on the server as SVG, for the citizen pages' agency record and
//! the supervisor's dashboard. Presentation attributes only (the pages' CSP forbids
//! inline styles). A chart is one image named by a heading; the table beside it
//! carries the same figures for assistive technology and for anyone who prefers
//! numbers.

use maud::{Markup, html};

/// Width of the drawing, in its own units (it scales to the page).
const WIDTH: u32 = 320;
/// Height of one bar with its label above it.
const ROW: u32 = 40;
/// The empty part of a bar.
const TRACK: &str = "#e6e6e6";
/// Text colour (contrast above 15:1 on white).
const INK: &str = "#1a1a1a";

/// One bar: the line drawn above it, and its parts (one for a plain bar, several
/// stacked), each in the scale's unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    /// What the bar is and its figure, as drawn above it ("DLH: 87%").
    pub label: String,
    /// Its parts, drawn left to right in the chart's colours.
    pub parts: Vec<u32>,
}

impl Bar {
    /// A plain bar of one part.
    pub fn plain(label: impl Into<String>, value: u32) -> Self {
        Self {
            label: label.into(),
            parts: vec![value],
        }
    }
}

/// Horizontal bars from 0 to `full` (100 for shares; the largest bar for counts),
/// each labelled above; parts take `colours` in turn. The image is named by the
/// element `labelled_by`.
pub fn bars(bars: &[Bar], full: u32, colours: &[&str], labelled_by: &str) -> Markup {
    let height = ROW * u32::try_from(bars.len()).unwrap_or(0) + 8;
    html! {
        svg.chart viewBox={ "0 0 " (WIDTH) " " (height) } role="img" aria-labelledby=(labelled_by)
            xmlns="http://www.w3.org/2000/svg" {
            @for (row, bar) in bars.iter().enumerate() {
                @let top = ROW * u32::try_from(row).unwrap_or(0);
                text x="0" y=(top + 14) font-size="12" fill=(INK) { (bar.label) }
                rect x="0" y=(top + 20) width=(WIDTH) height="12" fill=(TRACK) {}
                @for (x, width, colour) in segments(&bar.parts, full, colours) {
                    rect x=(x) y=(top + 20) width=(width) height="12" fill=(colour) {}
                }
            }
        }
    }
}

/// The drawn segments of a bar: start, width and colour of each non-empty part,
/// never past the end of the track.
fn segments<'a>(parts: &[u32], full: u32, colours: &[&'a str]) -> Vec<(u32, u32, &'a str)> {
    let full = full.max(1);
    let mut drawn = Vec::new();
    let (mut sum, mut x) = (0u64, 0u32);
    for (index, part) in parts.iter().enumerate() {
        sum += u64::from(*part);
        let end = u32::try_from((sum.min(u64::from(full)) * u64::from(WIDTH)) / u64::from(full))
            .unwrap_or(WIDTH);
        if end > x {
            let colour = colours
                .get(index % colours.len().max(1))
                .copied()
                .unwrap_or(INK);
            drawn.push((x, end - x, colour));
            x = end;
        }
    }
    drawn
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stacked_parts_follow_each_other_and_stop_at_the_end_of_the_track() {
        let colours = ["#a", "#b", "#c"];
        assert_eq!(
            segments(&[1, 0, 3], 4, &colours),
            vec![(0, 80, "#a"), (80, 240, "#c")]
        );
        assert_eq!(segments(&[150], 100, &colours), vec![(0, WIDTH, "#a")]);
        assert!(segments(&[0], 0, &colours).is_empty());
    }

    #[test]
    fn each_bar_is_drawn_with_its_label() {
        let svg = bars(&[Bar::plain("DLH: 50%", 50)], 100, &["#1d5e3a"], "judul").into_string();
        assert!(svg.contains("aria-labelledby=\"judul\""));
        assert!(svg.contains(">DLH: 50%</text>"));
        assert!(svg.contains("width=\"160\""));
    }
}
