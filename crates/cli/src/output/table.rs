//! Plain-text tables aligned by display width. A kanji or full-width kana takes two terminal
//! columns, so padding by characters (`{:<10}`) pushes every later column right on rows with
//! Japanese names; here each column starts at the same display column on every row.

use unicode_width::UnicodeWidthStr;

/// Two spaces between columns; the last column is not padded (no trailing blanks).
const GAP: usize = 2;

/// Renders `rows` (the first may be a header) as lines ending in '\n'. Control characters in a
/// cell (a newline, an escape sequence) become spaces so no cell can break or restyle the table.
pub fn render<R: AsRef<[String]>>(rows: &[R]) -> String {
    let rows: Vec<Vec<String>> = rows.iter().map(|r| r.as_ref().iter().map(|c| clean(c)).collect()).collect();
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> =
        (0..columns).map(|i| rows.iter().filter_map(|r| r.get(i)).map(|c| c.width()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < row.len() {
                line.push_str(&" ".repeat(widths[i] - cell.width() + GAP));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn clean(cell: &str) -> String {
    cell.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use unicode_width::UnicodeWidthStr;

    use super::render;

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    /// The display column at which each cell of `line` starts, given the cells in order.
    fn starts(line: &str, cells: &[String]) -> Vec<usize> {
        let mut from = 0;
        cells
            .iter()
            .map(|cell| {
                let at = from + line[from..].find(cell.as_str()).expect("cell on its line");
                from = at + cell.len();
                line[..at].width()
            })
            .collect()
    }

    #[test]
    fn kanji_and_ascii_names_line_up_column_by_column() {
        let rows = vec![
            row(&["chart", "name", "kana", "phone"]),
            row(&["000001", "山田 太郎", "ヤマダ タロウ", "03-1234-5678"]),
            row(&["000002", "Smith John", "スミス ジョン", "-"]),
            row(&["000003", "髙橋 一", "ﾀｶﾊｼ ﾊｼﾞﾒ", "090-0000-0000"]),
            row(&["10", "李", "リ", ""]),
        ];
        let text = render(&rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), rows.len());
        let first = starts(lines[0], &rows[0]);
        for (line, cells) in lines.iter().zip(&rows).skip(1) {
            let at = starts(line, cells);
            // An empty last cell has no start of its own to compare.
            let compared = cells.iter().filter(|c| !c.is_empty()).count();
            assert_eq!(at[..compared], first[..compared], "misaligned row: {line:?}\n{text}");
        }
        assert!(text.lines().all(|l| !l.ends_with(' ')), "no trailing blanks");
    }

    #[test]
    fn a_cell_cannot_break_the_table_or_send_escape_codes() {
        let text = render(&[row(&["a\nb", "\u{1b}[31mred"])]);
        assert_eq!(text.lines().count(), 1);
        assert!(!text.contains('\u{1b}'));
    }
}
