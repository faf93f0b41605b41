//! CSV for spreadsheets, through the `csv` crate (quoting), with a guard against formula
//! injection: a cell that begins like a formula gets a leading `'`, so a break-the-glass reason
//! typed as `=HYPERLINK(…)` opens as text, never as a live formula (OWASP "CSV Injection").

use std::borrow::Cow;
use std::io::Write;

/// The characters with which a spreadsheet starts a formula or a DDE call (OWASP's list), and
/// their full-width forms, which a Japanese IME types and some spreadsheets read as the same.
const FORMULA_STARTS: [char; 11] = ['=', '+', '-', '@', '\t', '\r', '\n', '＝', '＋', '－', '＠'];

/// Invisible characters a spreadsheet may skip before reading a formula.
fn skipped_before_a_formula(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{feff}' | '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}')
}

/// Writes a header and rows as CSV to `out`.
pub fn write<W: Write, R: AsRef<[String]>>(out: W, header: &[&str], rows: &[R]) -> anyhow::Result<()> {
    let mut writer = ::csv::Writer::from_writer(out);
    writer.write_record(header)?;
    for row in rows {
        writer.write_record(row.as_ref().iter().map(|cell| defuse(cell).into_owned()))?;
    }
    writer.flush()?;
    Ok(())
}

/// The cell as text a spreadsheet shows but never evaluates.
pub fn defuse(cell: &str) -> Cow<'_, str> {
    // Tab, CR and LF are themselves formula starts; other leading blanks are looked through.
    let first_visible = cell.trim_start_matches(|c: char| skipped_before_a_formula(c) && !FORMULA_STARTS.contains(&c));
    if cell.starts_with(FORMULA_STARTS) || first_visible.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_start_like_a_formula_become_text_and_others_stay_as_they_are() {
        for cell in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+1+1",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "\n=1",
            "＝HYPERLINK(\"http://x\")",
            "＋１＋１",
            "－１＋２",
            "＠SUM(1,1)",
            " =1+1",
            "\u{a0}=1+1",
            "\u{3000}=1+1",
            "\u{feff}=1+1",
            "\u{200b}+1",
        ] {
            assert_eq!(defuse(cell), format!("'{cell}"), "{cell:?}");
        }
        for cell in ["急変のため", "a=b", "2026-11-19T09:00:00+00:00", "", "'quoted", " 山田", "1－2"] {
            assert_eq!(defuse(cell), cell, "{cell:?}");
        }
    }

    #[test]
    fn commas_quotes_and_newlines_survive_a_round_trip() {
        let rows = vec![vec!["1".to_string(), "say \"why\", then\nwait".to_string()]];
        let mut out = Vec::new();
        write(&mut out, &["seq", "reason"], &rows).expect("write");
        let mut reader = ::csv::Reader::from_reader(out.as_slice());
        let read: Vec<::csv::StringRecord> = reader.records().collect::<Result<_, _>>().expect("read back");
        assert_eq!(&read[0][1], "say \"why\", then\nwait");
    }
}
