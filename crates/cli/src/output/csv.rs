//! CSV for spreadsheets, through the `csv` crate (quoting), with a guard against formula
//! injection: a cell that begins like a formula gets a leading `'`, so a break-the-glass reason
//! typed as `=HYPERLINK(…)` opens as text, never as a live formula (OWASP "CSV Injection").

use std::borrow::Cow;
use std::io::Write;

/// The characters with which a spreadsheet starts a formula or a DDE call (OWASP's list).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

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
    if cell.starts_with(FORMULA_STARTS) {
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
        for cell in ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"] {
            assert_eq!(defuse(cell), format!("'{cell}"), "{cell:?}");
        }
        for cell in ["急変のため", "a=b", "2026-11-19T09:00:00+00:00", "", "'quoted"] {
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
