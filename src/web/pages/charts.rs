//! Charts drawn on the server as SVG: the geometry is computed here and the templates
//! (`templates/dashboard/*chart.html`) turn it into elements, so every label is escaped
//! by askama and nothing needs a script or an inline style (colours come from CSS
//! classes). Every chart carries its numbers as text too: a `<title>`/`<desc>` for screen
//! readers and a table under it.

/// The width of every chart's coordinate system; it scales to its box.
pub const WIDTH: u32 = 400;
const LABEL_WIDTH: f32 = 112.0;
const BAR_SPACE: f32 = 200.0;
const ROW_HEIGHT: f32 = 28.0;
const BAR_HEIGHT: f32 = 18.0;

/// One row of a horizontal bar chart.
pub struct HBar {
    pub label: String,
    /// The number as shown after the bar (e.g. "12" or "12 · 40%").
    pub value: String,
    pub bar_y: String,
    pub text_y: String,
    pub width: String,
    pub value_x: String,
    /// Bars of a funnel get shades by stage.
    pub class: &'static str,
}

/// Categories down the side, a bar each (sectors, funnel stages, waiting times).
pub struct HChart {
    pub id: &'static str,
    pub title: String,
    pub desc: String,
    pub height: u32,
    pub label_x: String,
    pub bar_x: String,
    pub bar_height: String,
    pub rows: Vec<HBar>,
    /// Column headings of the table of numbers.
    pub label_heading: &'static str,
    pub value_heading: &'static str,
}

fn n(x: f32) -> String {
    format!("{x:.1}")
}

impl HChart {
    /// `rows`: (label, count, shown value); bars are scaled to the largest count.
    pub fn new(
        id: &'static str,
        title: impl Into<String>,
        columns: (&'static str, &'static str),
        rows: Vec<(String, i64, String)>,
        shades: bool,
    ) -> HChart {
        let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1) as f32;
        let title = title.into();
        let desc = rows
            .iter()
            .map(|(label, _, shown)| format!("{label}: {shown}"))
            .collect::<Vec<_>>()
            .join("; ");
        let bars = rows
            .into_iter()
            .enumerate()
            .map(|(i, (label, count, value))| {
                let top = 4.0 + i as f32 * ROW_HEIGHT;
                // A zero still shows as a hairline, so that the row reads as "none".
                let width = (count.max(0) as f32 / max * BAR_SPACE).max(1.5);
                HBar {
                    label,
                    value,
                    bar_y: n(top),
                    text_y: n(top + BAR_HEIGHT / 2.0 + 4.5),
                    width: n(width),
                    value_x: n(LABEL_WIDTH + width + 6.0),
                    class: if shades {
                        [
                            "chart__bar--1",
                            "chart__bar--2",
                            "chart__bar--3",
                            "chart__bar--4",
                        ][i.min(3)]
                    } else {
                        "chart__bar--1"
                    },
                }
            })
            .collect::<Vec<_>>();
        HChart {
            id,
            desc: if desc.is_empty() {
                "No data yet.".into()
            } else {
                format!("{desc}.")
            },
            title,
            height: (8.0 + bars.len() as f32 * ROW_HEIGHT).ceil() as u32,
            label_x: n(LABEL_WIDTH - 8.0),
            bar_x: n(LABEL_WIDTH),
            bar_height: n(BAR_HEIGHT),
            rows: bars,
            label_heading: columns.0,
            value_heading: columns.1,
        }
    }
}

/// One column of a vertical bar chart.
pub struct VBar {
    pub label: String,
    /// Shown under the axis (every other week, so that labels do not collide).
    pub tick: Option<String>,
    pub value: i64,
    pub x: String,
    pub y: String,
    pub width: String,
    pub height: String,
    pub center: String,
    pub value_y: String,
}

/// A series over time (matches per week).
pub struct VChart {
    pub id: &'static str,
    pub title: String,
    pub desc: String,
    pub height: u32,
    pub bars: Vec<VBar>,
    pub axis_y: String,
    pub axis_x1: String,
    pub axis_x2: String,
    pub tick_y: String,
    pub max_label: String,
    pub max_y: String,
    pub label_x: String,
    pub label_heading: &'static str,
    pub value_heading: &'static str,
}

impl VChart {
    /// `points`: (label for the table, short tick label, count), oldest first.
    pub fn new(
        id: &'static str,
        title: impl Into<String>,
        columns: (&'static str, &'static str),
        points: Vec<(String, String, i64)>,
    ) -> VChart {
        // Room on the right for the newest week's label, centred under its bar.
        let (left, right, top, bottom) = (34.0_f32, WIDTH as f32 - 22.0, 22.0_f32, 150.0_f32);
        let max = points.iter().map(|p| p.2).max().unwrap_or(0).max(1);
        let slot = (right - left) / points.len().max(1) as f32;
        let bar_width = (slot * 0.64).max(2.0);
        let last = points.len().saturating_sub(1);
        let desc = points
            .iter()
            .map(|(label, _, count)| format!("{label}: {count}"))
            .collect::<Vec<_>>()
            .join("; ");
        let bars = points
            .into_iter()
            .enumerate()
            .map(|(i, (label, tick, count))| {
                let h = count.max(0) as f32 / max as f32 * (bottom - top);
                let x = left + i as f32 * slot + (slot - bar_width) / 2.0;
                VBar {
                    label,
                    // Every other week from the newest, which is always labelled.
                    tick: (last - i).is_multiple_of(2).then_some(tick),
                    value: count,
                    x: n(x),
                    y: n(bottom - h),
                    width: n(bar_width),
                    height: n(h),
                    center: n(x + bar_width / 2.0),
                    value_y: n(bottom - h - 5.0),
                }
            })
            .collect();
        VChart {
            id,
            title: title.into(),
            desc: if desc.is_empty() {
                "No data yet.".into()
            } else {
                format!("{desc}.")
            },
            height: (bottom + 24.0) as u32,
            bars,
            axis_y: n(bottom),
            axis_x1: n(left),
            axis_x2: n(right),
            tick_y: n(bottom + 17.0),
            max_label: max.to_string(),
            max_y: n(top + 4.0),
            label_x: n(left - 6.0),
            label_heading: columns.0,
            value_heading: columns.1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_value_and_say_their_numbers() {
        let chart = HChart::new(
            "t",
            "Challenges by sector",
            ("Sector", "Challenges"),
            vec![
                ("Energy".into(), 4, "4".into()),
                ("Water".into(), 2, "2".into()),
                ("Waste".into(), 0, "0".into()),
            ],
            false,
        );
        assert_eq!(chart.rows[0].width, "200.0");
        assert_eq!(chart.rows[1].width, "100.0");
        assert_eq!(chart.rows[2].width, "1.5", "a zero is a hairline");
        assert_eq!(chart.desc, "Energy: 4; Water: 2; Waste: 0.");
        assert_eq!(chart.height, 92);

        let weeks = VChart::new(
            "w",
            "Matches per week",
            ("Week", "Matches"),
            vec![
                ("Week of 2 Mar".into(), "2 Mar".into(), 0),
                ("Week of 9 Mar".into(), "9 Mar".into(), 3),
                ("Week of 16 Mar".into(), "16 Mar".into(), 6),
            ],
        );
        assert_eq!(weeks.bars[2].y, "22.0", "the tallest bar reaches the top");
        assert_eq!(weeks.bars[0].height, "0.0");
        assert!(weeks.bars[2].tick.is_some() && weeks.bars[1].tick.is_none());
        assert_eq!(weeks.max_label, "6");
    }
}
