//! The CSV row reader (src/input/csv_rows.rs) on any bytes: no panic, rows in file order, and
//! every row or problem located on a line that exists.
#![no_main]

use std::path::Path;

use citecheck::dev::RowReader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = RowReader::new(Path::new("f.csv"), data) else {
        return;
    };
    let lines = data.iter().filter(|b| **b == b'\n').count() + 1;
    let mut last_line = 0;
    let mut last_number = 0;
    while let Ok(Some(item)) = reader.next_row() {
        let (line, number) = match item {
            Ok(row) => {
                assert!(!row.fields.is_empty() || row.fields.is_empty());
                (row.line, Some(row.number))
            }
            Err(problem) => {
                assert!(!problem.reason.is_empty());
                (problem.line, None)
            }
        };
        assert!(line > last_line, "line {line} after {last_line}");
        assert!(line <= lines, "line {line} of {lines}");
        last_line = line;
        if let Some(number) = number {
            assert!(number > last_number);
            last_number = number;
        }
    }
});
